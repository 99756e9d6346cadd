"""`camsweep calibrate ring`: where the IR ring's beam points, and how strong a lens glint is.

Both measurements difference frames taken with the ring ON and OFF. `--wall` averages a
few pairs of a plain wall and places the lit patch: the half-maximum region of the
block-averaged difference, weighted by how far each block stands above half the peak. The
glint reading runs the lens detector's own spot extraction (device.vision) on each pair and
reports its strongest spot against the detector's threshold. Image offsets are in pixels from
the image centre, x to the right and y downwards (image rows).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import numpy.typing as npt

from device.clock import Clock
from device.config import Config
from device.events import Frame, Gray
from device.hal.base import Camera, EndOfData, IrRing, PartError
from device.vision.pipeline import PairAnalyzer
from device.vision.sync import ring_state_during

F32 = npt.NDArray[np.float32]

# A toggle spoils the frame exposing across it; picamera2 may still hold up to 4 buffers
# exposed before the toggle. More than this many frames without the wanted state = no sync.
MAX_FRAMES_PER_STATE = 12
WALL_PAIRS = 3  # ON/OFF pairs averaged for the beam: sensor noise and lamp flicker average out
# Side of the blocks the wall difference is averaged over: a glint or a hot pixel cannot
# move the centre.
BEAM_BLOCK_PX = 16
# ON - OFF mean below which the lit patch is too faint to place: a light wall at 0.5 m gives
# +20 to +70 grey levels at the default exposure; this low means too far or a dark surface.
WALL_MIN_MEAN = 4.0
BEAM_LIMIT_FRACTION = 0.1  # the beam centre may be off by a tenth of the frame width
GLINT_MARGIN = 2.0  # a glint must reach twice vision.diff_threshold to be detected with margin
GLINT_PAIRS_PER_READING = 2  # pairs per reading, the strongest counts: tremor can blink a glint
READING_INTERVAL_S = 1.0  # one glint line a second
REST_EXCLUDE_RADII = 3  # spot radii around the glint left out of the "rest of frame" mean
FULL_SCALE = 255  # an 8-bit ON pixel at this level is clipped: the glint is "saturated"


def clean_frame(camera: Camera, ring: IrRing, on: bool, guard_s: float) -> Frame:
    """Switch the ring and return the first frame exposed wholly in that state."""
    ring.set(on)
    for _ in range(MAX_FRAMES_PER_STATE):
        frame = camera.capture()
        state = frame.ring_on
        if state is None:
            state = ring_state_during(
                ring.transitions(), frame.t_start_s, frame.t_end_s, False, guard_s
            )
        if state == on:
            return frame
    raise PartError(
        "camera",
        f"no frame with the ring {'ON' if on else 'OFF'} in {MAX_FRAMES_PER_STATE} frames",
        "run `camsweep selftest`: the camera must stream and the ring must switch",
    )


def capture_pair(camera: Camera, ring: IrRing, guard_s: float) -> tuple[Gray, Gray]:
    """(ON, OFF) pixels of one clean pair; the ring is left OFF."""
    on = clean_frame(camera, ring, True, guard_s).pixels
    off = clean_frame(camera, ring, False, guard_s).pixels
    return on, off


@dataclass(frozen=True)
class BeamReading:
    """Where the ring lights a wall: offset of the lit patch from the image centre (px)."""

    dx_px: float
    dy_px: float
    limit_px: float
    mean_diff: float  # ON - OFF over the whole frame, grey levels
    peak_diff: float  # brightest block of ON - OFF, grey levels
    min_mean: float

    @property
    def verdict(self) -> str:
        if self.mean_diff < self.min_mean:
            return f"too dim (needs a mean of at least +{self.min_mean:g})"
        if math.hypot(self.dx_px, self.dy_px) > self.limit_px:
            return "off centre"
        return "ok"

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    def line(self) -> str:
        return (
            f"beam centre ({round(self.dx_px):+d}, {round(self.dy_px):+d}) px from the image "
            f"centre (limit {self.limit_px:.0f}), ON-OFF mean {self.mean_diff:+.1f}, "
            f"peak {self.peak_diff:+.0f}: {self.verdict}"
        )

    def advice(self) -> str:
        if self.ok:
            return ""
        if self.mean_diff < self.min_mean:
            return (
                "hold the device 0.5 m from a plain, light wall in a dim room; if it is, "
                "run `camsweep selftest` to check that the ring lights"
            )
        return (
            "an LED string leaning outward shifts the centre toward the opposite side: press "
            "the LEDs back square in their holes (or re-glue them) and run "
            "`camsweep calibrate ring --wall` again"
        )


def beam_centre(diff: F32, min_mean: float = WALL_MIN_MEAN) -> BeamReading:
    """Place the lit patch in a (ring ON - ring OFF) image of a plain wall."""
    h, w = diff.shape
    b = BEAM_BLOCK_PX if min(h, w) >= 4 * BEAM_BLOCK_PX else 1
    hb, wb = h // b, w // b
    blocks = diff[: hb * b, : wb * b].reshape(hb, b, wb, b).mean(axis=(1, 3), dtype=np.float64)
    peak = float(blocks.max())
    weight = np.clip(blocks - peak / 2.0, 0.0, None)
    total = float(weight.sum())
    if total > 0:
        ys = (np.arange(hb) + 0.5) * b
        xs = (np.arange(wb) + 0.5) * b
        cy = float((weight.sum(axis=1) * ys).sum() / total)
        cx = float((weight.sum(axis=0) * xs).sum() / total)
    else:  # nothing lit at all: no centre to speak of
        cy, cx = h / 2.0, w / 2.0
    return BeamReading(
        cx - w / 2.0, cy - h / 2.0, BEAM_LIMIT_FRACTION * w, float(diff.mean()), peak, min_mean
    )


def measure_wall(camera: Camera, ring: IrRing, cfg: Config, pairs: int = WALL_PAIRS) -> BeamReading:
    """Average `pairs` ON - OFF differences of the wall and place the beam."""
    total: F32 | None = None
    for _ in range(pairs):
        on, off = capture_pair(camera, ring, cfg.vision.sync_guard_s)
        d = on.astype(np.float32) - off.astype(np.float32)
        total = d if total is None else total + d
    assert total is not None
    return beam_centre(total / np.float32(pairs))


@dataclass(frozen=True)
class GlintReading:
    """The strongest glint of a pair, or none; offsets in px from the image centre."""

    peak: float  # ON - OFF at the glint, grey levels (0 when there is none)
    dx_px: float
    dy_px: float
    width_px: float
    rest_mean: float  # ON - OFF over the frame away from the glint
    needs: float
    saturated: bool

    @property
    def found(self) -> bool:
        return self.peak > 0

    @property
    def verdict(self) -> str:
        if self.saturated:
            return "saturated"
        return "ok" if self.peak >= self.needs else "weak"

    @property
    def ok(self) -> bool:
        return self.verdict != "weak"

    def line(self) -> str:
        rest = (
            f"rest of frame ON-OFF {self.rest_mean:+.1f}: {self.verdict} (needs +{self.needs:.0f})"
        )
        if not self.found:
            return f"no glint; {rest}"
        return (
            f"glint {self.peak:+.0f} at ({round(self.dx_px):+d}, {round(self.dy_px):+d}) px, "
            f"{self.width_px:.0f} px wide; {rest}"
        )


def glint_reading(on: Gray, off: Gray, analyzer: PairAnalyzer, needs: float) -> GlintReading:
    """The strongest spot the lens detector extracts from one ON/OFF pair."""
    result = analyzer.analyze(on, off)
    cands = result.cands
    d = analyzer.differencer.difference(on, off, result.shift)
    pad = analyzer.differencer.pad
    h, w = on.shape
    diff = d[pad : pad + h, pad : pad + w]
    if len(cands) == 0:
        return GlintReading(0.0, 0.0, 0.0, 0.0, float(diff.mean()), needs, False)
    peaks = cands.feature("peak")
    i = int(np.argmax(peaks))
    y, x = int(cands.ys[i]), int(cands.xs[i])
    rr = REST_EXCLUDE_RADII * analyzer.params.spot_radius_px
    yy, xx = np.ogrid[:h, :w]
    away = (yy - y) ** 2 + (xx - x) ** 2 > rr**2
    rest = float(diff[away].mean()) if away.any() else 0.0
    return GlintReading(
        peak=float(peaks[i]),
        dx_px=x - w / 2.0,
        dy_px=y - h / 2.0,
        width_px=2.0 * float(cands.feature("radius_px")[i]),
        rest_mean=rest,
        needs=needs,
        saturated=bool(cands.feature("on_peak")[i] >= FULL_SCALE),
    )


def glint_readings(
    camera: Camera,
    ring: IrRing,
    clock: Clock,
    cfg: Config,
    readings: int,
    out: TextIO,
) -> list[GlintReading]:
    """Print the strongest glint once a second; `readings` <= 0 = until Ctrl-C or the end."""
    analyzer = PairAnalyzer(cfg.vision, None)
    needs = GLINT_MARGIN * cfg.vision.diff_threshold
    guard_s = cfg.vision.sync_guard_s
    idle = threading.Event()  # never set: waits run their full length
    results: list[GlintReading] = []
    next_s = clock.now()
    try:
        while readings <= 0 or len(results) < readings:
            best: GlintReading | None = None
            for _ in range(GLINT_PAIRS_PER_READING):
                on, off = capture_pair(camera, ring, guard_s)
                r = glint_reading(on, off, analyzer, needs)
                if best is None or r.peak > best.peak:
                    best = r
            assert best is not None
            print(best.line(), file=out, flush=True)
            results.append(best)
            next_s = max(next_s + READING_INTERVAL_S, clock.now())
            clock.wait(idle, next_s - clock.now())
    except KeyboardInterrupt:
        print("", file=out)
    except EndOfData:
        if not results:
            raise
    return results
