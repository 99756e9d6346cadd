"""RfWorker under the worker contract, against a small synthetic receiver."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from device.events import ProximityReading, RfFinding, Spectrum
from device.rf.synthetic import SyntheticSdr, ToyEmitter
from device.rf.worker import RfWorker

from .conftest import small_config

AMBIENT = ToyEmitter(434.5e6, -45.0)
VIDEO = ToyEmitter(1200e6, -15.0, 18e6)
SENSOR = ToyEmitter(433.92e6, -45.0)


def _run(worker: RfWorker, sweeps: int) -> None:
    target = worker.sweeps_done + sweeps
    for _ in range(100_000):
        if worker.sweeps_done >= target:
            return
        worker.step()
    raise AssertionError("the worker never finished its sweeps")


def _worker(events: list, sdr: SyntheticSdr, evidence: Path | None = None, **rf) -> RfWorker:
    return RfWorker.create(sdr, small_config(**rf), events.append, evidence)


def test_spectrum_once_per_sweep_and_findings_only_for_new_emitters() -> None:
    events: list = []
    sdr = SyntheticSdr(emitters=(AMBIENT,), seed=11)
    worker = _worker(events, sdr)
    assert worker.name == "rf" and "2.4 GHz" in worker.coverage_note
    _run(worker, 2)  # the baseline at the door
    sdr.emitters = (AMBIENT, VIDEO, SENSOR)
    _run(worker, 3)
    spectra = [e for e in events if isinstance(e, Spectrum)]
    assert len(spectra) == 5
    assert spectra[0].freqs_hz.shape == spectra[0].power_dbfs.shape
    assert [s.t_s for s in spectra] == sorted(s.t_s for s in spectra)
    findings = [e for e in events if isinstance(e, RfFinding)]
    labels = {f.label for f in findings}
    assert "analog video 1.2 GHz ch 1200" in labels
    assert any(abs(f.center_hz - 433.92e6) < 5e3 for f in findings)
    assert not any(abs(f.center_hz - 434.5e6) < 50e3 for f in findings)
    assert all(f.novelty == "new" and 0 < f.confidence <= 1 for f in findings)
    # Each emitter reported once, not every sweep.
    assert len(findings) == len({round(f.center_hz / 1e5) for f in findings})


def test_every_finding_gets_a_sigmf_evidence_recording(tmp_path: Path) -> None:
    events: list = []
    sdr = SyntheticSdr(emitters=(), seed=12)
    worker = _worker(events, sdr, tmp_path / "evidence")
    _run(worker, 2)
    sdr.emitters = (SENSOR,)
    _run(worker, 3)
    findings = [e for e in events if isinstance(e, RfFinding)]
    assert findings
    meta_path = Path(findings[0].evidence_path)
    assert meta_path.is_file() and meta_path.name.endswith(".sigmf-meta")
    meta = json.loads(meta_path.read_text())
    assert meta["global"]["core:datatype"] == "cu8"
    assert meta["global"]["core:sample_rate"] == 2.4e6
    lo = meta["captures"][0]["core:frequency"]
    assert lo - findings[0].center_hz == pytest.approx(400e3, abs=1e3)  # clear of DC
    data = meta_path.with_name(meta_path.name.replace("-meta", "-data"))
    assert data.stat().st_size == 2 * int(0.1 * 2.4e6)
    assert "ISM 433" in meta["global"]["core:description"]


def test_settle_samples_keep_the_previous_frequency_out() -> None:
    strong = ToyEmitter(431.0e6, -20.0)

    def ghosts(settle: int) -> int:
        events: list = []
        sdr = SyntheticSdr(emitters=(strong,), stale_samples=1500, seed=13)
        worker = _worker(events, sdr, settle_samples=settle)
        _run(worker, 2)
        return sum(1 for e in worker.last_emitters if abs(e.center_hz - 431.0e6) > 50e3)

    assert ghosts(0) > 0  # stale samples of the previous hop show up at wrong frequencies
    assert ghosts(2048) == 0


def test_proximity_mode_readings_gain_stepping_and_return_to_sweeping() -> None:
    events: list = []
    sdr = SyntheticSdr(emitters=(), seed=14, noise_dbfs=-35.0)
    worker = _worker(events, sdr)
    _run(worker, 2)
    loud = ToyEmitter(433.92e6, 3.0, 50e3)  # next to a transmitter: clips at 29.7 dB gain
    sdr.emitters = (loud,)
    _run(worker, 2)
    assert worker.findings
    start_gain = sdr.gain_db
    worker.set_mode("proximity")
    for _ in range(40):
        worker.step()
    readings = [e for e in events if isinstance(e, ProximityReading)]
    assert len(readings) == 40
    assert readings[0].clipped and readings[0].gain_db == start_gain
    assert readings[-1].gain_db < start_gain and not readings[-1].clipped
    times = np.array([r.t_s for r in readings])
    assert np.all(np.diff(times) > 0) and np.diff(times).max() <= 0.1  # >= 10 readings/s
    assert all(abs(r.center_hz - 433.92e6) < 5e3 for r in readings)
    assert readings[-1].strength > 0.5
    assert readings[-1].peak_hold_dbfs >= readings[-1].power_dbfs - 0.01
    # Stepping the gain does not move the strength much: it is referred to the antenna.
    assert abs(readings[-1].strength - readings[-2].strength) < 0.1
    worker.set_mode("sweep")
    n_spectra = sum(isinstance(e, Spectrum) for e in events)
    _run(worker, 1)
    assert sum(isinstance(e, Spectrum) for e in events) == n_spectra + 1
    assert sdr.gain_db == start_gain


def test_proximity_needs_something_to_track_and_modes_are_checked() -> None:
    events: list = []
    worker = _worker(events, SyntheticSdr(seed=15))
    worker.set_mode("proximity")
    worker.step()  # nothing found yet: it keeps sweeping
    assert worker.mode == "sweep"
    assert not any(isinstance(e, ProximityReading) for e in events)
    with pytest.raises(ValueError, match="unknown mode"):
        worker.set_mode("party")
    worker.set_mode("lens")
    worker.step()
    assert worker.mode == "lens"
    worker.close()


def test_a_clipping_hop_is_read_again_at_lower_gain_and_referred_back() -> None:
    events: list = []
    sdr = SyntheticSdr(emitters=(ToyEmitter(433.92e6, 3.0),), seed=16)  # clips at 29.7 dB
    worker = _worker(events, sdr)
    start_gain = sdr.gain_db
    _run(worker, 1)
    tone = [e for e in worker.last_emitters if abs(e.center_hz - 433.92e6) < 5e3]
    assert tone, worker.last_emitters
    # The tone's power, referred to the sweep gain, is what it is: not a clipped mess.
    assert tone[0].peak_dbfs == pytest.approx(3.0, abs=1.5)
    assert len(worker.last_emitters) <= 2  # no intermodulation garbage over the hop
    assert sdr.gain_db == start_gain or worker._hop == 0
