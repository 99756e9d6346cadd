"""Photographs used as room backgrounds (training and bench) move as the room does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from device.clock import VirtualClock
from device.config import load
from device.sim.geometry import CameraParams, Pose, project, unit_dir
from device.sim.scenario import load_scenario
from device.sim.world import World
from models import scenes
from models.scenes import photo_crop


def shift_between(a: np.ndarray, b: np.ndarray, search: int = 40) -> tuple[int, int]:
    """(dy, dx) that moves the centre of `a` onto `b` best (sum of absolute differences)."""
    h, w = a.shape
    core = a[search:h - search, search:w - search].astype(np.int32)
    best, arg = None, (0, 0)
    for dy in range(-search, search + 1, 1):
        for dx in range(-search, search + 1, 1):
            cand = b[search + dy:h - search + dy, search + dx:w - search + dx].astype(np.int32)
            cost = int(np.abs(core - cand).sum())
            if best is None or cost < best:
                best, arg = cost, (dy, dx)
    return arg


def geometric_shift(cam: CameraParams, pose_a: Pose, pose_b: Pose) -> tuple[float, float]:
    far = 50.0 * unit_dir(pose_a.yaw_deg, pose_a.pitch_deg)[None, :]
    xa, ya, _ = project(far, pose_a, cam)
    xb, yb, _ = project(far, pose_b, cam)
    return float(yb[0] - ya[0]), float(xb[0] - xa[0])


@pytest.mark.parametrize(("yaw", "pitch"), [(2.0, 0.0), (-2.0, 0.0), (0.0, 2.0), (1.5, -1.5)])
def test_photo_moves_with_the_room(yaw: float, pitch: float) -> None:
    cam = CameraParams(width=160, height=120)
    rng = np.random.default_rng(4)
    photo = rng.integers(0, 256, (90, 120), dtype=np.uint8).repeat(4, 0).repeat(4, 1)
    a = photo_crop(photo, cam, 0.0, 0.0, 1.0)
    b = photo_crop(photo, cam, yaw, pitch, 1.0)
    gy, gx = geometric_shift(cam, Pose(np.zeros(3), 0.0, 0.0), Pose(np.zeros(3), yaw, pitch))
    dy, dx = shift_between(a, b, search=12)
    assert abs(dy - gy) <= 1.0 and abs(dx - gx) <= 1.0, ((dy, dx), (gy, gx))


def test_wrapped_photo_keeps_moving_past_its_edge() -> None:
    cam = CameraParams(width=160, height=120)
    rng = np.random.default_rng(5)
    photo = rng.integers(0, 256, (60, 80), dtype=np.uint8).repeat(2, 0).repeat(2, 1)
    a = photo_crop(photo, cam, 30.0, 0.0, 1.0, wrap=True)
    b = photo_crop(photo, cam, 31.0, 0.0, 1.0, wrap=True)
    _, gx = geometric_shift(cam, Pose(np.zeros(3), 30.0, 0.0), Pose(np.zeros(3), 31.0, 0.0))
    dy, dx = shift_between(a, b, search=6)
    assert dy == 0 and abs(dx - gx) <= 1.0
    clamped = [photo_crop(photo, cam, y, 0.0, 1.0) for y in (30.0, 31.0)]
    assert np.array_equal(*clamped)  # without wrap the view stops at the photo's edge


class _SteadyRing:
    """A ring switched on at t = 0 and shining at a fixed PWM level ever since."""

    def __init__(self, level: float) -> None:
        self.level = level

    def transitions(self, since_s: float = 0.0) -> list[tuple[float, bool]]:
        return [(0.0, True)]

    def duty_at(self, t_s: float) -> float:
        return self.level


def bench_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_vision", Path(__file__).resolve().parents[2] / "bench" / "vision.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    return bench


def test_bench_photo_camera_renders_the_ring_level() -> None:
    """Near mode dims every other ON frame; with a photograph as the room the bench camera
    must render that level too, or a near lens is judged on frames the device never sees."""
    bench = bench_module()
    cfg = load()
    world = World(load_scenario("clean_hotel_room").with_lighting("dark"), 3)
    photo = np.full((480, 640), 200, np.uint8)
    means = []
    for level in (0.0, 0.25, 1.0):
        cam = bench.PhotoCamera(photo, world, VirtualClock(), _SteadyRing(level), cfg.camera,
                                5.0)
        means.append(float(cam.render(60).mean()))
    dark, dimmed, full = means
    # what the ring adds: about a quarter of it at a quarter of the power
    assert full - dark > 1.0, means
    assert 0.1 * (full - dark) < dimmed - dark < 0.4 * (full - dark), means


def test_bench_second_look_pans_back_across_the_lens() -> None:
    """The bench's second look: the pan goes on until the lens has left the view, long
    enough for a new pass, and comes back across it the other way at the same speed, until
    it has left the view again (so each pass can be held across the view)."""
    bench = bench_module()
    seed = 77
    rng = np.random.default_rng(seed)
    spec = scenes.LensSpec(1.0, 0.0, 2.0, pinhole=False)
    world = bench.PannedWorld(scenes.make_scene(rng, "office", spec, 0, seed=seed, housed=True),
                              seed, 0.0)
    end = world.look_again()
    ts = np.arange(0.0, end, 1 / 30)
    seen = np.array([bool(bench.lens_xy(world, float(t))) for t in ts])
    changes = np.flatnonzero(np.diff(seen.astype(int)))
    assert not seen[0] and not seen[-1]
    assert len(changes) == 4  # in, out, in again, out again
    gap = ts[changes[2]] - ts[changes[1]]
    assert gap >= load().vision.pass_gap_s
    assert world.turn_s == pytest.approx((ts[changes[1]] + ts[changes[2]]) / 2, abs=0.1)
    speeds = np.abs(np.diff([world.pan_yaw(float(t)) for t in ts])) * 30
    assert speeds.max() == pytest.approx(bench.PAN_DPS, abs=0.5)
