"""Every virtual room through the whole daemon, as `camsweep demo` runs it: which alerts are
raised and which are not.

The eight demos run once per session, two at a time in their own processes (each is the
real console command with its threads, virtual clock and simulated parts); the tests then
read their JSON reports and check them against the rooms' ground truth.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from device.config import load
from device.fusion.alert import RF_CORROBORATION_BONUS
from device.sim.scenario import list_scenarios, load_scenario
from device.sim.world import World

SEED = 1  # the demo's default seed
MATCH_PX = 12.0  # a lens finding this close to where the hidden lens is in the image is it
DEMO_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class Expect:
    verdict: str  # the verdict the room's sweep must end on
    rf_labels: tuple[str, ...] = ()  # each must name one of the room's RF findings


# What the rooms hide (scenario files, [truth] and [[emitters]]).
EXPECT: dict[str, Expect] = {
    "clock_camera_video_tx": Expect("camera", ("analog video 1.2 GHz",)),
    "downlight_lte_camera": Expect("camera", ("LTE B20 uplink",)),
    "daylight_office_gsm_camera": Expect("camera", ("GSM900",)),
    "smoke_detector_camera": Expect("camera"),
    "dark_bedroom_camera": Expect("camera"),
    "wifi_only_camera": Expect("camera"),
    "clean_hotel_room": Expect("clear"),
    "busy_rf_room": Expect("clear"),
}
# Emitters every room has and no finding may ever name: the baseline at the door learns them.
NEVER_REPORTED = ("FM broadcast", "downlink", "DVB-T", "DAB")


def run_demo(name: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "device", "demo", name, "--json", "--no-record",
         "--seed", str(SEED)],
        capture_output=True, text=True, timeout=DEMO_TIMEOUT_S, check=False,
    )
    assert proc.returncode == 0, f"demo {name} failed:\n{proc.stderr[-2000:]}"
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    names = [name for name, _ in list_scenarios()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(names, pool.map(run_demo, names), strict=True))


def test_every_room_has_expectations() -> None:
    assert sorted(EXPECT) == sorted(name for name, _ in list_scenarios())


def lens_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["channel"] == "lens"]


def rf_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["channel"] == "rf"]


def finds_the_lens(world: World, finding: dict[str, Any]) -> bool:
    return any(math.hypot(finding["x"] - v.x_px, finding["y"] - v.y_px) <= MATCH_PX
               for v in world.visible_lenses(float(finding["t_s"])))


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_room_report(name: str, reports: dict[str, dict[str, Any]]) -> None:
    report = reports[name]
    scenario = load_scenario(name)
    expect = EXPECT[name]
    assert report["scenario"] == name
    labels = [f["label"] for f in rf_findings(report)]
    for wanted in expect.rf_labels:
        assert any(wanted in label for label in labels), f"{name}: no {wanted!r} in {labels}"
    for label in labels:
        assert not any(word in label for word in NEVER_REPORTED), f"{name}: reported {label}"
    if scenario.has_camera:
        assert report["verdict"] != "clear", f"{name} hides a camera but was called clear"
        world = World(scenario, SEED)
        assert any(finds_the_lens(world, f) for f in lens_findings(report)), (
            f"{name}: no lens finding where the hidden lens is"
        )
    assert report["verdict"] == expect.verdict
    assert any("2.4/5.8 GHz" in note for note in report["notes"])


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_rf_alone_is_never_a_camera(name: str, reports: dict[str, dict[str, Any]]) -> None:
    """A camera verdict always stands on a lens finding; RF only ever corroborates one."""
    report = reports[name]
    if report["verdict"] != "camera":
        return
    cfg = load().alert
    best_lens = max((f["confidence"] for f in lens_findings(report)), default=0.0)
    assert best_lens > 0.0, f"{name}: camera verdict without any lens finding"
    assert best_lens + RF_CORROBORATION_BONUS + 1e-9 >= cfg.camera_confidence, (
        f"{name}: camera verdict, but the best lens finding is only {best_lens}"
    )


def test_wifi_camera_room_has_no_rf_finding(reports: dict[str, dict[str, Any]]) -> None:
    """Its camera streams over 2.4 GHz, which the receiver cannot hear: only the lens finds it."""
    assert rf_findings(reports["wifi_only_camera"]) == []


def test_rooms_without_camera_raise_no_new_rf_emitter(reports: dict[str, dict[str, Any]]) -> None:
    """Everything transmitting in these rooms was already there at the door."""
    for name in ("clean_hotel_room", "busy_rf_room"):
        new = [f for f in rf_findings(reports[name]) if f.get("novelty") == "new"]
        assert new == [], f"{name}: {new}"
