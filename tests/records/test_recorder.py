"""The recorder: findings written as they come, one row per track, spectra at door and end."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from device import events as ev
from device.records.recorder import Recorder
from device.records.report import SweepReport
from device.records.store import Store


def spectrum(t_s: float, level: float) -> ev.Spectrum:
    f = np.linspace(900e6, 901e6, 8)
    return ev.Spectrum(t_s, f, np.full(8, level), "camera")


def test_rows_per_track_and_spectra(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        rec = Recorder(store)
        sweep = rec.begin(room="7")
        rec.on_event(spectrum(1.0, -80.0))
        rec.on_event(spectrum(2.0, -70.0))
        crop = np.zeros((8, 8), dtype=np.uint8)
        for conf in (0.5, 0.9, 0.7):
            rec.on_event(ev.LensFinding(3.0, 4, 10.0, 10.0, (1.0, 2.0), conf, 3, crop))
        rec.on_event(ev.RfFinding(4.0, 1.2e9, 18e6, -40, 20, "video", "continuous", 0.6))
        rec.on_event(ev.RfFinding(5.0, 1.20003e9, 18e6, -40, 20, "video", "continuous", 0.4))
        (lens, rf) = store.findings(sweep)
        assert lens["confidence"] == 0.9 and Path(lens["evidence"]).is_file()
        assert rf["confidence"] == 0.6  # the same emitter, not a second row
        assert store.spectrum(sweep, "baseline") is not None
        assert store.spectrum(sweep, "last") is None  # written once, at the end
        rec.finish(SweepReport("", "7", "", "", 0.0, 5.0, ev.Verdict.CAMERA, 0.9))
        last = store.spectrum(sweep, "last")
        assert last is not None and last[1][0] == -70.0
        assert store.sweep(sweep).status == "complete"
