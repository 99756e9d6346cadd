"""Grouping bins into emitters, and the room baseline's new / stronger / growing logic."""

from __future__ import annotations

import numpy as np
import pytest

from device.rf.baseline import RoomBaseline, confidence, is_ambient
from device.rf.emitters import Emitter, measure, runs


def test_runs_join_small_gaps() -> None:
    mask = np.zeros(30, dtype=bool)
    mask[[2, 3, 4, 7, 8, 20]] = True
    assert runs(mask, 0) == [(2, 5), (7, 9), (20, 21)]
    assert runs(mask, 2) == [(2, 9), (20, 21)]
    assert runs(np.zeros(5, dtype=bool), 3) == []


def test_measure_uses_the_occupied_bandwidth_not_the_splatter() -> None:
    bin_hz = 1000.0
    freqs = np.arange(200) * bin_hz
    floor = np.ones(200)
    power = floor + 0.5  # weak splatter everywhere
    power[100:104] += 1000.0  # the carrier, 30 dB above the splatter
    center, bw, lo, hi, _peak, _mean, _flo, snr = measure(freqs, power, floor, 10.0, bin_hz)
    assert center == pytest.approx(101.5 * bin_hz, abs=bin_hz)
    assert bw == pytest.approx(4 * bin_hz)
    assert lo == pytest.approx(99.5 * bin_hz) and hi == pytest.approx(103.5 * bin_hz)
    assert snr == pytest.approx(10 * np.log10(1000.5), abs=0.01)


def _em(center_mhz: float, peak: float, bw_khz: float = 200.0, label: str = "LTE B20 uplink",
        mean: float | None = None) -> Emitter:
    c, half = center_mhz * 1e6, bw_khz * 500.0
    return Emitter(c, 2 * half, c - half, c + half, peak, peak if mean is None else mean,
                   -80.0, peak + 80.0, "continuous", 1.0, label)


def _baseline() -> RoomBaseline:
    return RoomBaseline(sweeps=2, margin_db=6.0, growth_db=3.0, growth_sweeps=3,
                        confirm_sweeps=2, confirm_window=4, match_hz=20e3)


FREQS = np.arange(830e6, 870e6, 10e3)


def _power(**levels_dbfs: float) -> np.ndarray:
    p = np.full(FREQS.size, 1e-8)
    for key, db in levels_dbfs.items():
        f = float(key[1:]) * 1e6
        p[np.abs(FREQS - f) <= 100e3] = 10 ** (db / 10)
    return p


def test_nothing_is_a_finding_while_learning() -> None:
    base = _baseline()
    assert base.learning
    assert base.observe(0, [_em(850.0, -40.0)], FREQS, _power(f850=-40.0)) == []
    assert base.observe(1, [_em(850.0, -40.0)], FREQS, _power(f850=-40.0)) == []
    assert not base.learning


def test_new_emitter_is_reported_once_confirmed() -> None:
    base = _baseline()
    for s in range(2):
        base.observe(s, [_em(850.0, -40.0)], FREQS, _power(f850=-40.0))
    new = _em(840.0, -50.0)
    assert base.observe(2, [_em(850.0, -40.0), new], FREQS, _power(f850=-40.0, f840=-50.0)) == []
    found = base.observe(3, [_em(850.0, -40.0), new], FREQS, _power(f850=-40.0, f840=-50.0))
    assert [(f.emitter.center_hz, f.novelty) for f in found] == [(840e6, "new")]
    # Seen again at the same strength: not reported again.
    assert base.observe(4, [new], FREQS, _power(f840=-50.0)) == []


def test_known_emitter_clearly_stronger_is_reported() -> None:
    base = _baseline()
    for s in range(2):
        base.observe(s, [_em(850.0, -50.0)], FREQS, _power(f850=-50.0))
    louder = _em(850.0, -40.0)
    base.observe(2, [louder], FREQS, _power(f850=-40.0))
    found = base.observe(3, [louder], FREQS, _power(f850=-40.0))
    assert [f.novelty for f in found] == ["stronger"]
    # 3 dB up is within the margin: not a finding.
    base2 = _baseline()
    for s in range(2):
        base2.observe(s, [_em(850.0, -50.0)], FREQS, _power(f850=-50.0))
    for s in range(2, 5):
        assert base2.observe(s, [_em(850.0, -47.0)], FREQS, _power(f850=-47.0)) == []


def test_growing_emitter_is_reported_as_growing() -> None:
    base = _baseline()
    for s in range(2):
        base.observe(s, [_em(850.0, -60.0)], FREQS, _power(f850=-60.0))
    out = []
    for s, db in zip(range(2, 6), (-59.0, -57.5, -56.0, -55.0), strict=True):
        out += base.observe(s, [_em(850.0, db)], FREQS, _power(f850=-59.0))
    assert "growing" in [f.novelty for f in out]


def test_ambient_services_only_count_when_new() -> None:
    assert is_ambient("FM broadcast")
    assert is_ambient("cell downlink (GSM900/B8)")
    assert not is_ambient("GSM900/LTE B8 uplink / cell downlink (GSM850/B5)")
    base = _baseline()
    fm = _em(850.0, -50.0, label="FM broadcast")
    for s in range(2):
        base.observe(s, [fm], FREQS, _power(f850=-50.0))
    faded = _em(850.0, -35.0, label="FM broadcast")  # 15 dB up: multipath, not approach
    for s in range(2, 6):
        assert base.observe(s, [faded], FREQS, _power(f850=-35.0)) == []


def test_confidence_prefers_video_and_new_uplinks() -> None:
    video = _em(1200.0, -40.0, 6000.0, "analog video 1.2 GHz ch 1200")
    ism = _em(433.92, -40.0, 5.0, "ISM 433")
    uplink = _em(847.0, -40.0, 5000.0, "LTE B20 uplink")
    assert confidence(video, "new") > confidence(uplink, "new") > confidence(ism, "new")
    # Only video and new uplinks reach the fusion's "suspicious" level (0.4) on RF alone.
    assert confidence(uplink, "new") >= 0.4 > confidence(uplink, "growing")
    assert confidence(ism, "growing") < 0.4
    assert 0.4 <= confidence(video, "stronger") <= 1.0


def test_iq_images_of_strong_emitters_are_dropped() -> None:
    from device.rf.emitters import drop_images

    freqs = np.arange(99e6, 101e6, 1e3)
    power = np.full(freqs.size, 1e-9)
    lo = 100e6
    real = _em(100.3, -20.0, 50.0, "FM broadcast")
    image = _em(99.7, -50.0, 50.0, "FM broadcast")  # mirror of 100.3 about the LO, 30 dB down
    weak_real = _em(99.5, -55.0, 50.0, "FM broadcast")  # nothing strong at its mirror
    power[np.abs(freqs - 100.3e6) < 25e3] = 10 ** (-20.0 / 10)
    power[np.abs(freqs - 99.7e6) < 25e3] = 10 ** (-50.0 / 10)
    kept = drop_images([real, image, weak_real], freqs, power, np.full(freqs.size, lo), 15.0)
    assert kept == [real, weak_real]
