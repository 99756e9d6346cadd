"""The vision worker on a fake pipelined camera: ring toggling, straddle drops, findings."""

from __future__ import annotations

import numpy as np
import pytest
from test_sync import FakeRing
from vision_synth import Scene

from device.config import load
from device.events import Frame, GlintCandidate, LensFinding
from device.hal.base import EndOfData, PartError
from device.vision.features import Candidates
from device.vision.motion import Shift
from device.vision.worker import VisionWorker

PERIOD_S = 1 / 30
WINDOW_S = 0.030  # rolling shutter: first row start to last row end


class PipelinedCamera:
    """Frame i is exposed over [i*T, i*T + W] and handed over one period later, like a real
    camera pipeline; a ring change inside the window gives a half-lit (straddled) frame."""

    def __init__(self, scene: Scene, ring: FakeRing, n_frames: int,
                 motion: tuple[int, int] = (0, 0), blink: tuple[int, int] | None = None) -> None:
        self.scene, self.ring, self.n = scene, ring, n_frames
        self.motion = motion
        self.blink = blink  # (y, x) of a source lit in frames 0-3 of every 8 (3.75 Hz), ring or not
        self.i = 0
        self.window_s = WINDOW_S
        self.started = self.closed = False

    def start(self) -> None:
        self.started = True

    def _state_at(self, t: float) -> bool:
        state = False
        for ts, on in self.ring.log:
            if ts <= t:
                state = on
        return state

    def capture(self) -> Frame:
        if self.i >= self.n:
            raise EndOfData("end of the fake sweep")
        i = self.i
        self.i += 1
        t0 = i * PERIOD_S
        wobble = np.sin(i / 4.0)  # hand sway, up to `motion` px each way
        dy, dx = round(self.motion[0] * wobble), round(self.motion[1] * wobble)
        top, bottom = self._state_at(t0), self._state_at(t0 + self.window_s)
        img = self.scene.frame(top, dy, dx)
        if bottom != top:
            img[img.shape[0] // 2:] = self.scene.frame(bottom, dy, dx)[img.shape[0] // 2:]
        if self.blink is not None and i % 8 < 4:
            by, bx = self.blink
            img[by - 1:by + 2, bx - 1:bx + 2] = 230
        self.ring.now = t0 + PERIOD_S + self.window_s  # handed over after the next one began
        return Frame(i, t0, self.window_s, img)

    def describe(self) -> str:
        return "pipelined fake"

    def close(self) -> None:
        self.closed = True


class PeakScorer:
    """Stand-in classifier: bright compact spots are lenses."""

    def scores(self, cands: Candidates) -> np.ndarray:
        return (cands.feature("peak") > 60).astype(np.float32) * 0.9


def _worker(scene: Scene, n: int, motion: tuple[int, int] = (0, 0)):
    cfg = load()
    ring = FakeRing()
    cam = PipelinedCamera(scene, ring, n, motion)
    events: list[object] = []
    cam.start()
    w = VisionWorker(cam, ring, cfg, events.append, PeakScorer())
    return w, cam, ring, events


def _run(w: VisionWorker) -> None:
    with pytest.raises(EndOfData):
        for _ in range(1000):
            w.step()


def test_worker_finds_a_lens_and_drops_straddled_frames() -> None:
    scene = Scene(ambient=80, ring_gain=20, seed=11, glints=[(60, 90, 150, 1.2)])
    w, _, ring, events = _worker(scene, 60)
    _run(w)
    findings = [e for e in events if isinstance(e, LensFinding)]
    assert findings, "the lens was never confirmed"
    f = findings[0]
    assert (f.x, f.y) == (90, 60)
    assert f.crop is not None and f.crop.shape[0] <= load().vision.evidence_crop_px
    assert any(isinstance(e, GlintCandidate) and e.label == "lens" for e in events)
    # Every toggle lands inside the next exposure: those frames are dropped, others kept.
    assert w.stats.dropped > 0 and w.stats.pairs > 0
    assert w.sync.disagreements == 0
    ons = sum(on for _, on in ring.log)
    assert ons >= 10  # the ring really toggled


class TimedFakeRing(FakeRing):
    """A ring that also switches at a set instant (logged then), like GpioRing."""

    def set_at(self, on: bool, at_s: float, scale: float = 1.0) -> bool:
        if at_s < self.now + 0.002 or at_s <= self.log[-1][0]:
            return False
        if on != self._on:
            self._on = on
            self.log.append((at_s, on))
        return True


def test_ring_switched_between_exposures_keeps_every_frame() -> None:
    scene = Scene(ambient=80, ring_gain=20, seed=11, glints=[(60, 90, 150, 1.2)])
    ring = TimedFakeRing()
    cam = PipelinedCamera(scene, ring, 60)
    events: list[object] = []
    w = VisionWorker(cam, ring, load(), events.append, PeakScorer())
    _run(w)
    # Each switch sits in the 3.3 ms gap between one frame's last row and the next's first.
    switches = [t for t, _ in ring.log[1:]]
    assert len(switches) >= 50
    for t in switches:
        k = int(t // PERIOD_S)
        assert k * PERIOD_S + WINDOW_S < t < (k + 1) * PERIOD_S
    # Only the frames before the first switch is planned are in one state; none straddles.
    assert w.stats.dropped == 0 and w.sync.disagreements == 0
    assert w.stats.pairs >= 55
    assert any(isinstance(e, LensFinding) for e in events)


def test_a_late_worker_places_the_switch_further_ahead() -> None:
    ring = TimedFakeRing()
    cam = PipelinedCamera(Scene(seed=18), ring, 10)
    w = VisionWorker(cam, ring, load(), lambda e: None, PeakScorer())
    frame = cam.capture()
    ring.now = frame.t_start_s + 3.5 * PERIOD_S  # the gaps two and three frames on are past
    w._held = 1
    assert w._plan_ring(frame)
    t, on = ring.log[-1]
    assert on and 3 * PERIOD_S < t - frame.t_start_s < 4 * PERIOD_S
    later = cam.capture()
    ring.now = later.t_start_s + 60 * PERIOD_S  # hopelessly behind: switch at once instead
    assert not w._plan_ring(later)


def test_worker_with_hand_motion() -> None:
    scene = Scene(ambient=120, ring_gain=20, seed=12, glints=[(60, 80, 150, 1.2)])
    w, *_, events = _worker(scene, 80, motion=(5, -8))
    _run(w)
    assert any(isinstance(e, LensFinding) for e in events)
    assert len({e.track_id for e in events if isinstance(e, LensFinding)}) == 1


def test_clean_scene_gives_no_finding() -> None:
    scene = Scene(ambient=100, ring_gain=20, seed=13, steady=[(30, 30, 120, 1.0)])
    w, *_, events = _worker(scene, 60)
    _run(w)
    assert not any(isinstance(e, LensFinding) for e in events)


def test_blinking_led_is_not_a_lens() -> None:
    scene = Scene(ambient=60, ring_gain=15, seed=17)
    ring = FakeRing()
    cam = PipelinedCamera(scene, ring, 120, blink=(50, 70))
    events: list[object] = []
    w = VisionWorker(cam, ring, load(), events.append, PeakScorer())
    _run(w)
    assert any(isinstance(e, GlintCandidate) for e in events)  # it does pass single pairs
    assert not any(isinstance(e, LensFinding) for e in events)


def test_rf_mode_pauses_the_ring() -> None:
    scene = Scene(seed=14)
    w, _, ring, _ = _worker(scene, 10)
    w.set_mode("rf")
    for _ in range(5):
        w.step()
    assert ring.is_on is False and w.stats.pairs == 0
    with pytest.raises(ValueError, match="unknown mode"):
        w.set_mode("disco")


def test_ring_that_never_settles_is_a_part_error() -> None:
    class Flicker(FakeRing):
        def transitions(self, since_s: float = 0.0) -> list[tuple[float, bool]]:
            t = self.now
            return [(t - k * 0.005, k % 2 == 0) for k in range(400, -1, -1)]

    ring = Flicker()
    cam = PipelinedCamera(Scene(seed=15), ring, 500)
    w = VisionWorker(cam, ring, load(), lambda e: None, PeakScorer())
    with pytest.raises(PartError, match="straddled"):
        for _ in range(100):
            w.step()


def test_close_turns_the_ring_off() -> None:
    w, cam, ring, _ = _worker(Scene(seed=16), 10)
    ring.set(True)
    w.close()
    assert ring.is_on is False and cam.closed


def test_a_camera_without_a_gap_falls_back_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    """Exposure + readout filling the frame period: no room for a switch between frames."""
    scene = Scene(ambient=80, ring_gain=20, seed=11, glints=[(60, 90, 150, 1.2)])
    ring = TimedFakeRing()
    cam = PipelinedCamera(scene, ring, 40)
    cam.window_s = PERIOD_S - 0.0005
    w = VisionWorker(cam, ring, load(), lambda e: None, PeakScorer())
    with caplog.at_level("WARNING", logger="device.vision.worker"):
        _run(w)
    assert "every other frame is dropped" in caplog.text
    assert w.stats.dropped > 0 and w.stats.pairs > 0


class DimmingFakeRing(TimedFakeRing):
    """A timed ring on PWM: records the level each ON switch asks for."""

    can_dim = True

    def __init__(self) -> None:
        super().__init__()
        self.on_scales: list[float] = []

    def set_at(self, on: bool, at_s: float, scale: float = 1.0) -> bool:
        ok = super().set_at(on, at_s, scale)
        if ok and on:
            self.on_scales.append(scale)
        return ok


@pytest.mark.parametrize("ring_gain, dims", [(600.0, True), (30.0, False)])
def test_ring_glare_on_a_near_surface_dims_every_other_on_frame(ring_gain: float,
                                                                dims: bool) -> None:
    scene = Scene(ambient=20, ring_gain=ring_gain, seed=19)
    ring = DimmingFakeRing()
    cam = PipelinedCamera(scene, ring, 40)
    w = VisionWorker(cam, ring, load(), lambda e: None, PeakScorer())
    _run(w)
    scales = ring.on_scales
    near = load().ring.near_scale
    if not dims:
        assert scales and set(scales) == {1.0}
        return
    first = scales.index(near)  # near mode starts after the first saturated full-power pair
    tail = scales[first:]
    assert len(tail) >= 8
    assert tail[0::2] == [near] * len(tail[0::2]) and tail[1::2] == [1.0] * len(tail[1::2])


def test_a_weak_motion_match_is_taken_when_it_repeats() -> None:
    """In the dark the ON-to-ON match stays weak though it is right: a weak match that agrees
    with the previous one is the camera's motion; a lone one, one that disagrees, one after a
    match too weak to count, or any weak one in a lit room is not."""
    cam = PipelinedCamera(Scene(seed=19), FakeRing(), 4)
    w = VisionWorker(cam, FakeRing(), load(), lambda e: None, PeakScorer())
    w._ambient_dn = 5.0  # a dark room
    weak = Shift(dy=0, dx=-20, confidence=0.18)
    assert not w._trusted(weak)
    w._last_shift = Shift(dy=1, dx=-24, confidence=0.2)
    assert w._trusted(weak)
    w._ambient_dn = 60.0  # lit: a weak match is a bare view, however it repeats
    assert not w._trusted(weak)
    w._ambient_dn = 5.0
    w._last_shift = Shift(dy=0, dx=5, confidence=0.2)
    assert not w._trusted(weak)
    w._last_shift = Shift(dy=0, dx=-20, confidence=0.05)
    assert not w._trusted(weak)
    assert w._trusted(Shift(dy=0, dx=30, confidence=0.5))  # a clear match stands alone
