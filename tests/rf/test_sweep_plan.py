"""Band plans as data, the hop planner (no gaps, DC notches, timing) and rtl_power CSV."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from device.events import Spectrum
from device.rf import bands, rtlpower, sweep
from device.rf.settings import rf_setup

from .conftest import rf_config

RATE = 2.4e6


def _plans(
    name: str, crop: float, custom: tuple[tuple[float, ...], ...] = ()
) -> list[sweep.SweepPlan]:
    ranges = bands.plan_ranges(name, custom, 6e6)
    return [sweep.plan_sweep(name, ranges, RATE, 1024, crop, 2, phase) for phase in (0, 1)]


@pytest.mark.parametrize(
    ("name", "crop", "custom"),
    [("full", 0.02, ()), ("camera", 0.1, ()), ("custom", 0.1, ((100.0, 130.5), (433.0, 435.0)))],
)
def test_planner_covers_the_bands_with_no_gaps(name: str, crop: float, custom: tuple) -> None:
    for plan in _plans(name, crop, custom):
        assert plan.gaps_hz() == []
        # Every grid position is measured by a hop except the DC notches, which are few.
        owner = plan.hop_of_position()
        assert np.array_equal(np.flatnonzero(owner < 0), plan.missing)
        assert plan.missing.size <= len(plan.hops) * (2 * plan.dc_bins + 1)
        # Hops stay inside what the tuner can reach.
        centers = np.array([h.center_hz for h in plan.hops])
        assert centers.min() >= 24e6 and centers.max() <= 1766e6


def test_full_plan_spans_the_tuner_and_its_timing_fits_10_s() -> None:
    plan = _plans("full", 0.02)[0]
    assert plan.freqs_hz[0] <= 24e6 + plan.bin_hz and plan.freqs_hz[-1] >= 1766e6 - plan.bin_hz
    # 12 ms per retune (R820T) plus settle and 2 frames: the planner's own estimate.
    assert plan.sweep_time_s(0.012, 512 + 1536) < 10.0


def test_alternate_sweeps_move_the_dc_notches() -> None:
    even, odd = _plans("camera", 0.1)
    assert np.array_equal(even.grid_k, odd.grid_k)
    assert np.intersect1d(even.missing, odd.missing).size == 0


def test_camera_plan_holds_video_channels_uplinks_and_ism() -> None:
    plan = _plans("camera", 0.1)[0]

    def covered(f_hz: float) -> bool:
        return any(lo <= f_hz <= hi for lo, hi in plan.ranges)

    for ch in bands.VIDEO_CHANNELS_MHZ:
        assert covered(ch * 1e6)
    for lo, hi, _ in bands.CELL_UPLINKS_MHZ + bands.ISM_MHZ:
        assert covered(lo * 1e6) and covered(min(hi, 1766.0) * 1e6)
    assert not covered(98e6)  # FM broadcast is not a camera band


def test_custom_plan_from_config_and_its_errors() -> None:
    setup = rf_setup(rf_config(band_plan="custom", custom_ranges_mhz=[[430.0, 440.0]]))
    assert setup.plan(0).ranges == ((430e6, 440e6),)
    with pytest.raises(ValueError, match="custom_ranges_mhz"):
        bands.plan_ranges("custom", (), 6e6)
    with pytest.raises(ValueError):
        bands.plan_ranges("nope", (), 6e6)


def test_stitch_puts_each_hop_bin_at_its_frequency() -> None:
    plan = _plans("custom", 0.1, ((430.0, 436.0),))[0]
    rows = np.zeros((len(plan.hops), plan.fft_size))
    for hop in plan.hops:
        offsets = (np.arange(plan.fft_size) - plan.fft_size // 2) * plan.bin_hz
        rows[hop.index] = hop.center_hz + offsets  # each bin holds its own frequency
    stitched = sweep.stitch(plan, rows)
    np.testing.assert_allclose(stitched, plan.freqs_hz, atol=1e-3)


@pytest.mark.parametrize(
    ("center_mhz", "bw_hz", "label"),
    [
        (1200.0, 6e6, "analog video 1.2 GHz ch 1200"),
        (1080.0, 15e6, "analog video 1.2 GHz ch 1080"),
        (910.0, 18e6, "analog video 0.9 GHz ch 910"),
        (433.92, 5e3, "ISM 433"),
        (868.3, 100e3, "ISM 868"),
        (98.0, 200e3, "FM broadcast"),
        (940.0, 5e6, "cell downlink (GSM900/B8)"),
        (845.0, 5e6, "GSM850/LTE B5 uplink / LTE B20 uplink"),
        (850.0, 5e6, "LTE B20 uplink"),
        (1740.0, 1e6, "DCS1800/LTE B3 uplink"),
    ],
)
def test_band_table_labels(center_mhz: float, bw_hz: float, label: str) -> None:
    assert bands.label_for(center_mhz * 1e6, bw_hz) == label


def test_narrow_emitter_on_a_video_channel_is_not_video() -> None:
    assert not bands.label_for(910e6, 200e3).startswith("analog video")
    assert bands.label_for(60e6, 1e4).startswith("unlisted")


def test_coverage_note_names_the_blind_bands() -> None:
    assert "2.4 GHz" in bands.COVERAGE_NOTE and "5.8 GHz" in bands.COVERAGE_NOTE


def test_rtl_power_csv_rows_reassemble_the_spectrum() -> None:
    plan = _plans("custom", 0.1, ((430.0, 436.0),))[0]
    power = np.linspace(-80, -40, plan.grid_k.size)
    spec = Spectrum(1.0, plan.freqs_hz, power, plan.name)
    lines = list(rtlpower.rows(spec, plan, 8704, datetime(2024, 5, 1, 12, 0, 0)))
    assert len(lines) == len(plan.hops)
    assert lines[0].startswith("2024-05-01, 12:00:00, ")
    freqs, values = [], []
    for line in lines:
        low, high, step, samples, db = rtlpower.parse_row(line)
        assert samples == 8704 and step == pytest.approx(plan.bin_hz, abs=0.01)
        assert high - low == pytest.approx(len(db) * step, abs=1.0)
        freqs += [low + i * step for i in range(len(db))]
        values += db
    np.testing.assert_allclose(freqs, plan.freqs_hz, atol=1.0)
    np.testing.assert_allclose(values, power, atol=0.006)
