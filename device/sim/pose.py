"""The device's pose over time: a person sweeping a room in a Z pattern, with hand jitter.

The person first stands at the door panning slowly (the RF channel learns its baseline
there), then walks to each station and sweeps its part of the room in a Z pattern: rows of
left-to-right passes from the highest to the lowest pitch, joined by diagonals. After the
last station the tour starts again at the first. The device is held `arm_m` in front of the
body, so turning also moves it (parallax, glints that twinkle). Hand jitter is a seeded sum
of slow drift and physiological tremor (8-12 Hz).
"""

from __future__ import annotations

import bisect
import itertools
import math

import numpy as np

from device.sim.geometry import Pose, unit_dir
from device.sim.scenario_model import Sweep

State = tuple[float, float, float, float]  # x_m, y_m, yaw_deg, pitch_deg
Key = tuple[float, State, int]  # t_s, state, place (DOOR or station index)
DOOR = -1

DOOR_PAN_DEG = 25.0  # half-width of the slow look around the room from the door
TURN_DPS = 90.0  # how fast a person turns while walking between stations
TILT_DPS = 60.0
MIN_LEG_S = 0.25
DRIFT_HZ = (0.25, 1.5)  # slow wander of a hand-held device
TREMOR_SPREAD_HZ = 1.5  # physiological tremor is a band around `tremor_hz`
ROLL_SHARE = 0.5  # roll wanders less than yaw and pitch


def _wrap(a: float) -> float:
    return (a + 180.0) % 360.0 - 180.0


class SweepPath:
    """Piecewise eased keyframes for the nominal path plus seeded jitter; `pose(t_s)`."""

    def __init__(self, sweep: Sweep, seed: int) -> None:
        self.sweep = sweep
        door: State = (sweep.door_m[0], sweep.door_m[1], sweep.door_facing_deg, 0.0)
        first: list[Key] = [(0.0, door, DOOR)]
        self._door_pan(first)
        for i in range(len(sweep.stations)):
            self._station(first, i)
        self._first_t = [k[0] for k in first]
        self._first = first
        loop: list[Key] = [(0.0, first[-1][1], first[-1][2])]
        for i in range(len(sweep.stations)):
            self._station(loop, i)
        self._loop_t = [k[0] for k in loop]
        self._loop = loop
        self._jitter = _Jitter(sweep, seed)

    @property
    def tour_s(self) -> float:
        """Duration of the first pass (door + every station)."""
        return self._first_t[-1]

    def _add(self, keys: list[Key], state: State, duration_s: float, place: int) -> None:
        keys.append((keys[-1][0] + max(duration_s, MIN_LEG_S), state, place))

    def _door_pan(self, keys: list[Key]) -> None:
        x, y, facing, _ = keys[-1][1]
        speed = self.sweep.speed_dps / 2  # looking around, not searching yet
        remaining = self.sweep.door_dwell_s
        sign = 1.0
        while remaining > MIN_LEG_S:
            target = facing + sign * DOOR_PAN_DEG
            dt = min(remaining, abs(target - keys[-1][1][2]) / speed)
            self._add(keys, (x, y, target, 0.0), dt, DOOR)
            remaining -= dt
            sign = -sign

    def _station(self, keys: list[Key], index: int) -> None:
        st = self.sweep.stations[index]
        x0, y0, yaw0, pitch0 = keys[-1][1]
        left = st.facing_deg + st.yaw_span_deg / 2  # azimuth grows to the left
        span = st.yaw_span_deg
        low, high = st.pitch_deg
        left_u = yaw0 + _wrap(left - yaw0)
        start: State = (st.position_m[0], st.position_m[1], left_u, high)
        walk = math.hypot(start[0] - x0, start[1] - y0) / self.sweep.walk_speed_mps
        turn = max(abs(left_u - yaw0) / TURN_DPS, abs(high - pitch0) / TILT_DPS)
        self._add(keys, start, max(walk, turn), index)
        pitches = np.linspace(high, low, st.rows) if st.rows > 1 else np.array([0.5 * (low + high)])
        for r, pitch in enumerate(pitches):
            if r > 0:  # the diagonal of the Z back to the left
                prev = keys[-1][1]
                dist = math.hypot(span, prev[3] - pitch)
                leg = dist / self.sweep.speed_dps
                self._add(keys, (start[0], start[1], left_u, float(pitch)), leg, index)
            elif pitch != high:
                tilt = abs(high - pitch) / TILT_DPS
                self._add(keys, (start[0], start[1], left_u, float(pitch)), tilt, index)
            leg = span / self.sweep.speed_dps
            self._add(keys, (start[0], start[1], left_u - span, float(pitch)), leg, index)

    def _segment(self, t_s: float) -> tuple[Key, Key, float]:
        """The keyframes around `t_s` and the eased progress (0..1) between them."""
        if t_s <= self._first_t[-1]:
            times, keys = self._first_t, self._first
        else:
            times, keys = self._loop_t, self._loop
            t_s = (t_s - self._first_t[-1]) % times[-1]
        k = max(0, min(bisect.bisect_right(times, t_s) - 1, len(times) - 2))
        t0, t1 = times[k], times[k + 1]
        u = 0.0 if t1 <= t0 else min(max((t_s - t0) / (t1 - t0), 0.0), 1.0)
        return keys[k], keys[k + 1], 0.5 - 0.5 * math.cos(math.pi * u)  # hands stop at corners

    def nominal(self, t_s: float) -> State:
        """The intended (jitter-free) body position and view direction at `t_s`."""
        (_, a, _), (_, b, _), s = self._segment(t_s)
        return (
            a[0] + s * (b[0] - a[0]),
            a[1] + s * (b[1] - a[1]),
            a[2] + s * (b[2] - a[2]),
            a[3] + s * (b[3] - a[3]),
        )

    def places(self, t_s: float) -> list[tuple[int, float]]:
        """Where the person stands (DOOR or station index) with weights; two while walking."""
        (_, _, p0), (_, _, p1), s = self._segment(t_s)
        if p1 == p0 or s <= 0.0:
            return [(p0, 1.0)]
        if s >= 1.0:
            return [(p1, 1.0)]
        return [(p0, 1.0 - s), (p1, s)]

    def place_state(self, place: int) -> State:
        """Body position and central view direction of a standing place."""
        sw = self.sweep
        if place == DOOR:
            return (sw.door_m[0], sw.door_m[1], sw.door_facing_deg, 0.0)
        st = sw.stations[place]
        return (st.position_m[0], st.position_m[1], st.facing_deg, 0.5 * sum(st.pitch_deg))

    def view_ranges(self) -> dict[int, tuple[float, float, float, float]]:
        """Per place: (yaw_min, yaw_max, pitch_min, pitch_max) of every view seen from there.

        A walk between two places counts for both (its frames blend the two backgrounds).
        """
        out: dict[int, list[float]] = {}
        for keys in (self._first, self._loop):
            for a, b in itertools.pairwise(keys):
                for place in {a[2], b[2]}:
                    r = out.setdefault(place, [math.inf, -math.inf, math.inf, -math.inf])
                    ref = self.place_state(place)[2]
                    for st in (a[1], b[1]):
                        yaw = ref + _wrap(st[2] - ref)
                        r[0], r[1] = min(r[0], yaw), max(r[1], yaw)
                        r[2], r[3] = min(r[2], st[3]), max(r[3], st[3])
        return {p: (r[0], r[1], r[2], r[3]) for p, r in out.items()}

    def pose(self, t_s: float) -> Pose:
        """The device pose at `t_s` (seconds since the sweep started)."""
        x, y, yaw, pitch = self.nominal(t_s)
        d_yaw, d_pitch, d_roll, dx, dy, dz = self._jitter.at(t_s)
        yaw += d_yaw
        pitch = max(-89.0, min(89.0, pitch + d_pitch))
        body = np.array([x, y, self.sweep.hand_height_m])
        hand = body + self.sweep.arm_m * unit_dir(yaw, pitch) + np.array([dx, dy, dz])
        return Pose(hand, yaw, pitch, d_roll)


class _Jitter:
    """Seeded sums of sinusoids: slow drift plus tremor, for 3 angles and 3 positions."""

    def __init__(self, sweep: Sweep, seed: int) -> None:
        rng = np.random.default_rng([seed, 0x5EED, 1])
        n_drift, n_tremor = 4, 3
        freqs = np.concatenate(
            [
                rng.uniform(*DRIFT_HZ, size=(6, n_drift)),
                sweep.tremor_hz
                + rng.uniform(-TREMOR_SPREAD_HZ, TREMOR_SPREAD_HZ, size=(6, n_tremor)),
            ],
            axis=1,
        )
        weights = np.concatenate([np.full(n_drift, 0.85), np.full(n_tremor, 0.5)])
        weights = weights * rng.uniform(0.5, 1.0, size=(6, weights.size))
        # scale so each axis has the requested rms (sum of sinusoids: rms^2 = sum(a^2)/2)
        rms = np.sqrt(np.sum(weights**2, axis=1, keepdims=True) / 2)
        scale = (
            np.array([1.0, 1.0, ROLL_SHARE, 1.0, 1.0, 1.0])[:, None]
            * np.array([sweep.jitter_deg] * 3 + [sweep.jitter_mm / 1000.0] * 3)[:, None]
        )
        self._amp = weights / rms * scale
        self._w = 2 * np.pi * freqs
        self._phase = rng.uniform(0, 2 * np.pi, size=freqs.shape)

    def at(self, t_s: float) -> tuple[float, float, float, float, float, float]:
        v = np.sum(self._amp * np.sin(self._w * t_s + self._phase), axis=1)
        return (float(v[0]), float(v[1]), float(v[2]), float(v[3]), float(v[4]), float(v[5]))
