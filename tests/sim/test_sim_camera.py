"""The sim camera's picamera2-like timing, rolling shutter and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from device.clock import VirtualClock
from device.config import load
from device.hal.base import Camera, EndOfData
from device.hal.registry import BuildContext, build
from device.sim.camera import SimCamera, ring_fraction_rows
from device.sim.scenario import load_scenario
from device.sim.world import World

from .conftest import FakeRing

OVERRIDES = {"camera": {"width": 320, "height": 240}, "sim": {"duration_s": 2.0}}


def _camera(
    seed: int = 1, scenario: str = "smoke_detector_camera"
) -> tuple[SimCamera, VirtualClock, FakeRing]:
    cfg = load(overrides=OVERRIDES)
    clock = VirtualClock()
    ring = FakeRing(clock)
    world = World(load_scenario(scenario), seed)
    cam = build("camera", "sim", BuildContext(config=cfg, clock=clock, world=world, ring=ring))
    assert isinstance(cam, SimCamera) and isinstance(cam, Camera)
    return cam, clock, ring


def test_capture_timing_follows_the_sensor() -> None:
    cam, clock, _ = _camera()
    cam.start()
    f0 = cam.capture()
    p = cam.params
    assert f0.index == 0 and f0.t_start_s == 0.0
    assert f0.exposure_s == pytest.approx(p.readout_s + p.exposure_s)
    assert f0.ring_on is None and f0.pixels.shape == (240, 320) and f0.pixels.dtype == np.uint8
    assert clock.now() == pytest.approx(f0.t_start_s + cam.latency_s)
    f1 = cam.capture()
    assert f1.index == 1 and f1.t_start_s == pytest.approx(1 / 30)
    clock.advance(0.2)  # the caller was busy: frames that went by are skipped
    f2 = cam.capture()
    assert f2.index > 2 and f2.t_start_s + cam.latency_s >= 0.2 + f1.t_start_s


def test_toggle_after_capture_straddles_the_next_frame() -> None:
    cam, clock, ring = _camera()
    cam.start()
    first = cam.capture()
    ring.set(True)
    t_toggle = clock.now()
    nxt = cam.capture()
    assert nxt.t_start_s < t_toggle < nxt.t_end_s  # the toggle lands inside its window
    rows = cam._ring_rows(nxt.t_start_s + cam.params.row_start_s(), nxt.t_start_s)
    assert 0.0 < rows[0] < 1.0 and rows[-1] == 1.0
    assert np.all(np.diff(rows) >= 0)
    assert first.index + 1 == nxt.index


def test_ring_fraction_rows() -> None:
    starts = np.array([0.0, 0.004, 0.008, 0.012])
    rows = ring_fraction_rows([(0.010, True), (0.030, False)], False, starts, 0.008)
    assert rows.tolist() == pytest.approx([0.0, 0.25, 0.75, 1.0])
    assert ring_fraction_rows([], True, starts, 0.008).tolist() == [1.0] * 4


def test_end_of_sweep() -> None:
    cam, _, _ = _camera()
    cam.start()
    with pytest.raises(EndOfData):
        for _ in range(200):
            cam.capture()


def test_frames_are_deterministic_per_seed() -> None:
    def frames(seed: int) -> list[bytes]:
        cam, _, ring = _camera(seed)
        cam.start()
        out = []
        for i in range(4):
            out.append(cam.capture().pixels.tobytes())
            ring.set(i % 2 == 0)
        return out

    assert frames(3) == frames(3)
    assert frames(3) != frames(4)
