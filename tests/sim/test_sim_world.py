"""The sweep path and ground-truth helpers of the virtual room."""

from __future__ import annotations

import gc
import weakref

import numpy as np

from device.sim.pose import DOOR
from device.sim.scenario import load_scenario
from device.sim.world import World

from .conftest import SMALL_CAM


def test_pose_is_deterministic_per_seed() -> None:
    s = load_scenario("clean_hotel_room")
    a, b, c = World(s, 7), World(s, 7), World(s, 8)
    for t in (0.0, 12.3, 47.9, 119.0):
        pa, pb, pc = a.pose(t), b.pose(t), c.pose(t)
        assert np.array_equal(pa.position_m, pb.position_m) and pa.yaw_deg == pb.yaw_deg
        assert pa.yaw_deg != pc.yaw_deg  # a different hand: different jitter


def test_sweep_visits_door_then_stations_in_a_z_pattern() -> None:
    s = load_scenario("clean_hotel_room")
    w = World(s, 1)
    assert w.places(1.0) == [(DOOR, 1.0)]
    st = s.sweep.stations[0]
    times = np.arange(0, w.path.tour_s, 0.05)
    at_station = [t for t in times if w.places(float(t)) == [(0, 1.0)]]
    yaws = np.array([w.path.nominal(float(t))[2] for t in at_station])
    pitches = np.array([w.path.nominal(float(t))[3] for t in at_station])
    span = yaws.max() - yaws.min()
    assert abs(span - st.yaw_span_deg) < 1.0
    assert abs(pitches.max() - st.pitch_deg[1]) < 0.5 and abs(pitches.min() - st.pitch_deg[0]) < 0.5
    # Z: the rows are swept in one direction (yaw decreasing), diagonals go back
    steps = np.diff(yaws)
    assert np.sum(steps < 0) > np.sum(steps > 0)


def test_hand_jitter_is_small_and_present() -> None:
    s = load_scenario("clean_hotel_room")
    w = World(s, 3)
    t = np.arange(2.0, 4.0, 0.01)
    nominal = np.array([w.path.nominal(float(x))[2] for x in t])
    actual = np.array([w.pose(float(x)).yaw_deg for x in t])
    rms = float(np.sqrt(np.mean((actual - nominal) ** 2)))
    assert 0.05 < rms < 3 * s.sweep.jitter_deg


def test_visible_lenses_reports_image_position_and_angle() -> None:
    w = World(load_scenario("smoke_detector_camera"), 1)
    views = [(float(t), v) for t in np.arange(0, 110, 0.2) for v in w.visible_lenses(float(t))]
    assert views
    inside = [v for _, v in views if v.off_axis_deg < 20]
    assert inside, "the sweep passes through the lens's cone"
    for _, v in views:
        assert 0 <= v.x_px < 640 and 0 <= v.y_px < 480 and 0 < v.distance_m < 3
    small = w.visible_lenses(views[0][0], SMALL_CAM)
    assert small and small[0].x_px < 320


def test_world_lets_old_panoramas_go_and_rebuilds_them_alike() -> None:
    world = World(load_scenario("clock_camera_video_tx"), 4242, SMALL_CAM)
    first = world.panorama(DOOR, SMALL_CAM)
    door_pixels = first.pixels.copy()
    released = weakref.ref(first)
    del first
    second = world.panorama(0, SMALL_CAM)
    world.panorama(1, SMALL_CAM)
    gc.collect()
    assert released() is None  # a room's stations are never all held at once
    assert world.panorama(1, SMALL_CAM) is world.panorama(1, SMALL_CAM)  # recent: reused
    assert np.array_equal(world.panorama(DOOR, SMALL_CAM).pixels, door_pixels)
    assert world.panorama(0, SMALL_CAM) is not second  # evicted by the door's rebuild
