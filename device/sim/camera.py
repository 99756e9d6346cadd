"""The simulated Pi NoIR camera: frames of the virtual room on the camera's virtual clock.

Timing follows picamera2 on a real sensor. Frames stream continuously at `camera.fps` from
`start()`; frame k starts at t_k = t0 + k / fps and its rows expose one after another
(rolling shutter) over [t_k, t_k + readout + exposure]. `capture()` returns the next frame
once it has been read out plus the ISP/pipeline latency, and moves the clock to that
delivery time. So a ring toggled right after `capture()` lands inside the next frame's
window: that frame is lit only partly, row by row, and the vision code must drop it (it
decides from the ring's transition log; `Frame.ring_on` is None).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from device.clock import VirtualClock
from device.events import Frame
from device.hal.base import EndOfData, IrRing, PartError
from device.sim.geometry import CameraParams
from device.sim.render import render_frame

if TYPE_CHECKING:
    from device.config import CameraConfig
    from device.hal.registry import BuildContext
    from device.sim.world import World

log = logging.getLogger(__name__)

PIPELINE_LATENCY_S = 0.010  # end of readout -> buffer in the application (ISP + queue)
POSES_PER_FRAME = 5  # samples of the hand's motion across one frame window
MIN_FRAME_GAP_S = 0.0005  # vertical blanking: exposure + readout never fill the whole period


def ring_fraction_rows(
    transitions: list[tuple[float, bool]],
    state_before: bool,
    row_start_s: npt.NDArray[np.float64],
    exposure_s: float,
) -> npt.NDArray[np.float64]:
    """Fraction of each row's exposure [start, start + exposure] during which the ring was on.

    `transitions` are (t_s, on) in time order; `state_before` is the ring's state before
    the first of them.
    """
    if exposure_s <= 0:
        return np.zeros(row_start_s.shape)
    starts = [-math.inf] + [t for t, _ in transitions]
    ends = [t for t, _ in transitions] + [math.inf]
    states = [state_before] + [on for _, on in transitions]
    row_end = row_start_s + exposure_s
    lit = np.zeros(row_start_s.shape)
    for a, b, on in zip(starts, ends, states, strict=True):
        if on:
            lit += np.clip(np.minimum(row_end, b) - np.maximum(row_start_s, a), 0.0, None)
    return np.clip(lit / exposure_s, 0.0, 1.0)


class SimCamera:
    """A Pi NoIR camera v2 looking at the virtual room (implements hal.base.Camera)."""

    def __init__(
        self,
        world: World,
        clock: VirtualClock,
        ring: IrRing | None,
        cfg: CameraConfig,
        duration_s: float,
        ring_level: float = 1.0,
    ) -> None:
        period = 1.0 / cfg.fps
        base = CameraParams(width=cfg.width, height=cfg.height)
        exposure = cfg.exposure_us / 1e6
        # the sensor cannot expose longer than a frame period (it would lower the frame rate)
        if exposure > period - MIN_FRAME_GAP_S:
            log.warning(
                "exposure %.1f ms exceeds the %.1f fps frame period; clamped",
                exposure * 1e3,
                cfg.fps,
            )
            exposure = period - MIN_FRAME_GAP_S
        readout = min(base.readout_s, period - MIN_FRAME_GAP_S)
        self.params = CameraParams(
            width=cfg.width,
            height=cfg.height,
            exposure_s=exposure,
            analogue_gain=cfg.analogue_gain,
            readout_s=readout,
        )
        self._world = world
        world.use_camera(self.params)  # ground truth in this camera's pixels
        self._clock = clock
        self._ring = ring
        self._ring_level = ring_level
        self._period = period
        self._duration_s = duration_s
        self._t0: float | None = None
        self._next = 0

    @classmethod
    def from_config(cls, ctx: BuildContext) -> SimCamera:
        if ctx.world is None:
            raise PartError(
                "camera",
                "the sim camera needs a virtual room",
                "build it with a World (camsweep demo does)",
            )
        if not isinstance(ctx.clock, VirtualClock):
            raise PartError(
                "camera",
                "the sim camera needs a VirtualClock",
                "give it the camera timeline's VirtualClock",
            )
        cfg = ctx.config
        level = cfg.ring.brightness if cfg.ring.pwm else 1.0
        return cls(ctx.world, ctx.clock, ctx.ring, cfg.camera, cfg.sim.duration_s, level)

    def __enter__(self) -> SimCamera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start streaming now (exposure and gain are fixed by the config)."""
        if self._t0 is None:
            self._t0 = self._clock.now()

    @property
    def latency_s(self) -> float:
        """From a frame's start to its delivery by `capture()`."""
        return self.params.window_s + PIPELINE_LATENCY_S

    def frame_start_s(self, index: int) -> float:
        self.start()
        assert self._t0 is not None
        return self._t0 + index * self._period

    def capture(self) -> Frame:
        """The next frame not yet delivered (frames already gone by are skipped, like a queue
        that drops stale buffers); the clock moves to its delivery time."""
        self.start()
        assert self._t0 is not None
        now = self._clock.now()
        k_due = math.ceil((now - self._t0 - self.latency_s) / self._period - 1e-9)
        k = max(self._next, k_due)
        t_k = self._t0 + k * self._period
        if t_k + self.params.window_s > self._duration_s:
            raise EndOfData(f"the simulated sweep ends at {self._duration_s:g} s")
        deliver = t_k + self.latency_s
        if deliver > now:
            self._clock.set(deliver)
        self._next = k + 1
        return Frame(k, t_k, self.params.window_s, self.render(k), None)

    def render(self, index: int) -> npt.NDArray[np.uint8]:
        """Pixels of frame `index` (deterministic: world seed and the frame index)."""
        cam = self.params
        t_k = self.frame_start_s(index)
        row_start = t_k + cam.row_start_s()
        ring_rows = self._ring_rows(row_start, t_k)
        times = t_k + np.linspace(0.0, cam.window_s, POSES_PER_FRAME)
        poses = [self._world.pose(float(t)) for t in times]
        rng = np.random.default_rng([self._world.seed, 0xCA3, index])
        return render_frame(
            self._world, cam, poses, ring_rows, rng, t_start_s=t_k,
            ring_level=self.ring_level(t_k),
        )

    def ring_level(self, t_k: float) -> float:
        """The ring's level during the frame starting at `t_k`: a ring on PWM may shine at
        another level each time it is switched on."""
        duty_at = getattr(self._ring, "duty_at", None)
        if duty_at is None:
            return self._ring_level
        return float(duty_at(t_k + self.params.window_s / 2))

    def _ring_rows(self, row_start: npt.NDArray[np.float64], t_k: float) -> npt.NDArray[np.float64]:
        """Lit fraction per row from the ring's log (each entry is a change of state)."""
        if self._ring is None:
            return np.zeros(row_start.shape)
        changes = self._ring.transitions(t_k)
        # no change since the frame began: the ring has been as it is now all along
        state = (not changes[0][1]) if changes else self._ring.is_on
        return ring_fraction_rows(changes, state, row_start, self.params.exposure_s)

    def describe(self) -> str:
        p = self.params
        return (
            f"simulated Pi NoIR camera v2 in {self._world.scenario.name!r}: {p.width}x{p.height} "
            f"@ {1 / self._period:g} fps, exposure {p.exposure_s * 1e3:.1f} ms, "
            f"gain {p.analogue_gain:g}"
        )

    def close(self) -> None:
        """Nothing to release; kept for the Camera protocol (idempotent)."""
