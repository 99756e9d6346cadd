"""Optical physics of the virtual room, measured in rendered ON and OFF frames."""

from __future__ import annotations

import dataclasses

import numpy as np

from device.sim.render import render_frame
from device.sim.world import World

from .conftest import SMALL_CAM, look_at, scenario

LENS_AT = (2.0, 3.99, 1.3)


def _pair(world: World, pose, seed: int = 5, rows_on=None):  # type: ignore[no-untyped-def]
    """ON and OFF frames of a still device (same noise seeds, so only the ring differs)."""
    on_rows = np.ones(SMALL_CAM.height) if rows_on is None else rows_on
    on = render_frame(world, SMALL_CAM, [pose], on_rows, np.random.default_rng(seed))
    off = render_frame(
        world, SMALL_CAM, [pose], np.zeros(SMALL_CAM.height), np.random.default_rng(seed)
    )
    return on.astype(int), off.astype(int)


def _lens_world(
    aperture_mm: float = 2.0, lighting: str = "office", wall_albedo: float = 0.6
) -> World:
    s = scenario(
        truth={"has_camera": True},
        room={"lighting": lighting, "wall_albedo": wall_albedo},
        lenses=[
            {
                "id": "lens",
                "position_m": list(LENS_AT),
                "axis_deg": [270.0, 0.0],
                "aperture_mm": aperture_mm,
                "cone_deg": 22.0,
            }
        ],
    )
    return World(s, 1, SMALL_CAM)


def _peak_and_background(on, off, x: float, y: float):  # type: ignore[no-untyped-def]
    diff = on - off
    xi, yi = round(x), round(y)
    peak = diff[yi - 2 : yi + 3, xi - 2 : xi + 3].max()
    ring = diff[yi - 12 : yi + 13, xi - 12 : xi + 13]
    return int(peak), float(np.median(ring))


def test_lens_is_bright_in_on_minus_off_only_inside_its_cone() -> None:
    world = _lens_world()
    results = {}
    for off_axis in (0.0, 10.0, 35.0, 60.0):
        pose = look_at(LENS_AT, (270.0 + off_axis, 0.0), 1.5)
        on, off = _pair(world, pose)
        x, y = SMALL_CAM.cx, SMALL_CAM.cy
        peak, background = _peak_and_background(on, off, x, y)
        results[off_axis] = peak - background
    assert results[0.0] > 100 and results[10.0] > 100
    assert results[35.0] < 12 and results[60.0] < 12


def test_lens_spot_is_largely_independent_of_distance_and_grows_with_aperture() -> None:
    world = _lens_world(aperture_mm=2.0)
    peaks = []
    for d in (0.5, 1.0, 2.0):
        on, off = _pair(world, look_at(LENS_AT, (270.0, 0.0), d))
        peaks.append(_peak_and_background(on, off, SMALL_CAM.cx, SMALL_CAM.cy)[0])
    assert min(peaks) > 150  # saturating at every working distance

    # size and brightness follow the aperture: at a short exposure (nothing saturates) the
    # spot's energy grows with the aperture's area
    short = dataclasses.replace(SMALL_CAM, exposure_s=0.0002, analogue_gain=1.0)

    def energy(aperture: float) -> float:
        w = _lens_world(aperture_mm=aperture, lighting="dark", wall_albedo=0.2)
        pose = look_at(LENS_AT, (270.0, 0.0), 0.8)
        on = render_frame(w, short, [pose], np.ones(short.height), np.random.default_rng(1)).astype(
            float
        )
        off = render_frame(
            w, short, [pose], np.zeros(short.height), np.random.default_rng(1)
        ).astype(float)
        yi, xi = int(short.cy), int(short.cx)
        return float(np.sum((on - off)[yi - 6 : yi + 7, xi - 6 : xi + 7]))

    sums = [energy(a) for a in (1.0, 2.0, 3.0, 5.0)]
    assert sums == sorted(sums) and sums[-1] > 8 * sums[0]


def test_self_lit_led_cancels_in_on_minus_off() -> None:
    s = scenario(
        distractors=[
            {"kind": "standby_led", "id": "led", "position_m": [2.0, 3.99, 1.3], "brightness": 2.0}
        ]
    )
    world = World(s, 1, SMALL_CAM)
    on, off = _pair(world, look_at((2.0, 3.99, 1.3), (270.0, 0.0), 1.2))
    yi, xi = int(SMALL_CAM.cy), int(SMALL_CAM.cx)
    assert (
        off[yi - 1 : yi + 2, xi - 1 : xi + 2].max() > off[yi + 20, xi + 20] + 30
    )  # the LED is there
    peak, background = _peak_and_background(on, off, SMALL_CAM.cx, SMALL_CAM.cy)
    assert abs(peak - background) < 12


def test_mirror_shows_the_ring_only_near_normal_incidence() -> None:
    s = scenario(
        distractors=[
            {
                "kind": "mirror",
                "id": "m",
                "position_m": [2.0, 3.99, 1.3],
                "normal_deg": [270.0, 0.0],
                "size_m": [0.4, 0.4],
            }
        ]
    )
    world = World(s, 1, SMALL_CAM)
    on, off = _pair(world, look_at((2.0, 3.99, 1.3), (270.0, 0.0), 1.0))
    assert (on - off).max() > 150
    lit = np.argwhere((on - off) > 150)
    extent = lit.max(axis=0) - lit.min(axis=0)
    assert extent.max() >= 4  # the ring's image: larger than a lens spot
    on, off = _pair(world, look_at((2.0, 3.99, 1.3), (240.0, 0.0), 1.0))
    assert (on - off).max() < 60


def test_screw_glints_from_wide_angles_and_fades_with_distance() -> None:
    s = scenario(
        room={"lighting": "dark", "wall_albedo": 0.2},
        distractors=[
            {
                "kind": "screw",
                "id": "s",
                "position_m": [2.0, 3.99, 1.3],
                "normal_deg": [270.0, 0.0],
                "radius_mm": 5.0,
            }
        ],
    )
    world = World(s, 1, SMALL_CAM)
    near = [
        _peak_and_background(
            *_pair(world, look_at((2.0, 3.99, 1.3), (270.0 + a, 0.0), 0.5)),
            SMALL_CAM.cx,
            SMALL_CAM.cy,
        )
        for a in (0.0, 50.0)
    ]
    assert all(p - b > 60 for p, b in near)  # convex: visible far outside a lens's cone
    p, b = _peak_and_background(
        *_pair(world, look_at((2.0, 3.99, 1.3), (270.0, 0.0), 2.5)), SMALL_CAM.cx, SMALL_CAM.cy
    )
    assert p - b < near[0][0] - near[0][1] - 60  # 1/d^4: far weaker at 2.5 m


def test_straddled_rows_are_partly_lit() -> None:
    world = _lens_world(lighting="dark")
    pose = look_at(LENS_AT, (270.0, 0.0), 1.0)
    ramp = np.clip((np.arange(SMALL_CAM.height) - 60) / 120, 0.0, 1.0)  # top dark, bottom lit
    on, off = _pair(world, pose, rows_on=ramp)
    diff = (on - off).astype(float)
    top, bottom = diff[:50].mean(), diff[-50:].mean()
    assert abs(top) < 0.5 and bottom > 3.0  # the ring lights the wall only in the late rows


def test_frames_are_deterministic_per_seed() -> None:
    world = _lens_world()
    pose = look_at(LENS_AT, (280.0, 5.0), 1.3)
    a, _ = _pair(world, pose, seed=9)
    b, _ = _pair(world, pose, seed=9)
    c, _ = _pair(world, pose, seed=10)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_photograph_background() -> None:
    world = _lens_world()
    pose = look_at(LENS_AT, (270.0, 0.0), 1.0)
    photo = np.tile(np.linspace(0, 255, 400, dtype=np.uint8), (300, 1))
    on = render_frame(
        world,
        SMALL_CAM,
        [pose],
        np.ones(SMALL_CAM.height),
        np.random.default_rng(1),
        background=photo,
    )
    off = render_frame(
        world,
        SMALL_CAM,
        [pose],
        np.zeros(SMALL_CAM.height),
        np.random.default_rng(1),
        background=photo,
    )
    row = off[30].astype(float)
    assert row[-20:].mean() > row[:20].mean() + 20  # the photo's gradient shows through
    assert (
        int(on[int(SMALL_CAM.cy), int(SMALL_CAM.cx)])
        - int(off[int(SMALL_CAM.cy), int(SMALL_CAM.cx)])
        > 100
    )
