"""Scenario files: every built-in loads, mistakes name the file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.sim.scenario import list_scenarios, load_scenario, scenarios_dir
from device.tomlmodel import ModelError

REQUIRED = {
    "clean_hotel_room",
    "smoke_detector_camera",
    "clock_camera_video_tx",
    "downlight_lte_camera",
    "wifi_only_camera",
    "busy_rf_room",
}

GOOD = """
description = "one lens on a wall"
[truth]
has_camera = true
[room]
size_m = [3.0, 3.0, 2.5]
lighting = "dark"
[sweep]
door_m = [1.5, 0.3]
door_facing_deg = 90.0
stations = [{ position_m = [1.5, 1.5], facing_deg = 90.0 }]
[[lenses]]
id = "lens"
position_m = [1.5, 2.99, 1.3]
axis_deg = [270.0, 0.0]
aperture_mm = 2.0
"""


def test_builtin_scenarios_all_load_with_descriptions() -> None:
    listed = dict(list_scenarios())
    assert set(listed) >= REQUIRED
    for name, desc in listed.items():
        s = load_scenario(name)
        assert s.name == name
        assert desc and "\n" not in desc
        assert s.has_camera == (bool(s.lenses) or bool(s.camera_emitters))


def test_ground_truth_of_the_channels() -> None:
    assert not load_scenario("smoke_detector_camera").rf_visible
    assert load_scenario("clock_camera_video_tx").rf_visible
    assert load_scenario("downlight_lte_camera").rf_visible
    wifi = load_scenario("wifi_only_camera")
    assert wifi.has_camera and wifi.lens_visible and not wifi.rf_visible
    assert [e.freq_hz for e in wifi.rf_blind] == [2437e6]
    busy = load_scenario("busy_rf_room")
    assert not busy.has_camera and busy.emitters and not busy.camera_emitters


def test_load_by_path(tmp_path: Path) -> None:
    path = tmp_path / "my_room.toml"
    path.write_text(GOOD)
    s = load_scenario(str(path))
    assert s.name == "my_room" and s.lighting == "dark" and s.lenses[0].aperture_mm == 2.0
    assert s.with_lighting("daylight").lighting == "daylight"


def test_unknown_builtin_name_lists_the_known_ones() -> None:
    with pytest.raises(ModelError) as err:
        load_scenario("no_such_room")
    assert "clean_hotel_room" in str(err.value) and "--scenario-file" in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("aperture_mm = 2.0", 'aperture_mm = 2.0\ncolour = "red"', "lenses[0].colour"),
        ("aperture_mm = 2.0", 'aperture_mm = "big"', "lenses[0].aperture_mm"),
        ("aperture_mm = 2.0", "aperture_mm = 50.0", "lenses[0].aperture_mm"),
        ('lighting = "dark"', 'lighting = "moonlight"', "room.lighting"),
        ("position_m = [1.5, 2.99, 1.3]", "position_m = [1.5, 9.0, 1.3]", "lenses[0].position_m"),
        ("position_m = [1.5, 2.99, 1.3]", "position_m = [1.5, 2.99]", "lenses[0].position_m"),
        ("has_camera = true", "has_camera = false", "truth.has_camera"),
        ("door_facing_deg = 90.0", "door_facing_deg = 90.0\nspeed_dps = 0.0", "sweep.speed_dps"),
    ],
)
def test_broken_file_names_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    path = tmp_path / "broken.toml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(ModelError) as err:
        load_scenario(path)
    assert err.value.path == key
    assert str(path) in str(err.value)


def test_distractor_and_emitter_kinds_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "kinds.toml"
    path.write_text(
        GOOD + '\n[[distractors]]\nkind = "disco_ball"\nid = "d"\nposition_m = [1, 1, 1]\n'
    )
    with pytest.raises(ModelError) as err:
        load_scenario(path)
    assert err.value.path == "distractors[0].kind" and "plastic_bag" in str(err.value)
    path.write_text(
        GOOD + '\n[[emitters]]\nkind = "gsm_uplink"\nid = "g"\nposition_m = [1, 1, 1]\n'
        "freq_hz = 900e6\npower_dbm = 10.0\nslots = 9\n"
    )
    with pytest.raises(ModelError) as err:
        load_scenario(path)
    assert err.value.path == "emitters[0].slots"


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "dup.toml"
    path.write_text(
        GOOD + '\n[[distractors]]\nkind = "screw"\nid = "lens"\nposition_m = [1, 1, 1]\n'
    )
    with pytest.raises(ModelError) as err:
        load_scenario(path)
    assert err.value.path == "distractors[0].id"


def test_scenario_files_are_packaged() -> None:
    assert sorted(p.stem for p in scenarios_dir().glob("*.toml")) == sorted(
        n for n, _ in list_scenarios()
    )
