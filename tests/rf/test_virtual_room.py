"""The RF worker in the virtual room: camera transmitters found, ambient RF suppressed."""

from __future__ import annotations

from typing import Any

import pytest

from device.clock import VirtualClock
from device.events import RfFinding, Spectrum
from device.hal.registry import BuildContext
from device.rf.worker import RfWorker

from .conftest import rf_config

pytest.importorskip("device.sim.sdr")
from device.sim.scenario import load_scenario
from device.sim.sdr import SimSdr
from device.sim.world import World


def _sweep_room(
    scenario: str, ranges_mhz: list[list[float]], sweeps: int, gap_s: float
) -> tuple[RfWorker, list[Any], list[list[Any]]]:
    """Sweep a few bands of a room; `gap_s` of the walk passes between sweeps (as if the
    plan held more bands), so a handful of short sweeps spans the whole room."""
    cfg = rf_config(band_plan="custom", custom_ranges_mhz=ranges_mhz)
    world = World(load_scenario(scenario), cfg.sim.seed)
    clock = VirtualClock()
    sdr = SimSdr.from_config(BuildContext(cfg, clock, world))
    events: list[Any] = []
    worker = RfWorker.create(sdr, cfg, events.append)
    per_sweep: list[list] = []
    while worker.sweeps_done < sweeps:
        before = worker.sweeps_done
        worker.step()
        if worker.sweeps_done > before:
            per_sweep.append(list(worker.last_emitters))
            if not worker.baseline.learning:
                clock.advance(gap_s)
    return worker, events, per_sweep


def test_video_sender_found_while_fm_and_downlinks_stay_baseline() -> None:
    # FM broadcast, an LTE B20 and a GSM900 downlink, and the clock's 1.2 GHz video channel.
    ranges = [[93.0, 102.0], [795.0, 807.0], [943.0, 947.0], [1190.0, 1210.0]]
    _worker, events, per_sweep = _sweep_room("clock_camera_video_tx", ranges, 12, 4.0)
    assert sum(isinstance(e, Spectrum) for e in events) == 12
    labels = {e.label for e in per_sweep[0]}
    assert "FM broadcast" in labels
    assert any(label.startswith("cell downlink") for label in labels)
    for emitters in per_sweep:
        video = [e for e in emitters if e.label == "analog video 1.2 GHz ch 1200"]
        assert video, "the video sender was missed in a sweep"
        assert video[0].bandwidth_hz > 3e6
        assert abs(video[0].center_hz - 1200e6) < 1e6
    findings = [e for e in events if isinstance(e, RfFinding)]
    assert findings, "the video sender never became a finding"
    assert {f.label for f in findings} == {"analog video 1.2 GHz ch 1200"}
    assert all(f.confidence >= 0.6 for f in findings)


def test_lte_uplink_bursts_found() -> None:
    _worker, events, per_sweep = _sweep_room("downlight_lte_camera", [[835.0, 862.0]], 10, 4.0)
    found = [e for e in events if isinstance(e, RfFinding)]
    assert found, "the LTE uplink never became a finding"
    assert all(abs(f.center_hz - 847e6) < 6e6 for f in found)
    assert all("LTE B20 uplink" in f.label for f in found)
    seen = sum(any("LTE B20 uplink" in e.label for e in sweep) for sweep in per_sweep)
    assert seen >= 8  # bursty, but a 3.6 ms dwell catches it nearly every sweep


def test_busy_room_without_a_camera_raises_nothing_suspicious() -> None:
    # A phone in a call, ISM sensors, a wireless speaker, FM and a DVB-T mux: all either at
    # baseline or benign; none may reach the fusion's "suspicious" level on RF alone (0.4).
    ranges = [[86.0, 108.0], [432.0, 436.0], [860.0, 870.0], [898.0, 906.0]]
    _worker, events, per_sweep = _sweep_room("busy_rf_room", ranges, 10, 4.0)
    assert any(e.label == "FM broadcast" for e in per_sweep[-1])
    findings = [e for e in events if isinstance(e, RfFinding)]
    assert all(f.confidence < 0.4 for f in findings), findings
