"""Welch spectra: scaling, equivalent looks, the cu8 paths, DC handling, window means."""

from __future__ import annotations

import numpy as np
import pytest

from device.hal.iqfile import to_cu8
from device.rf import psd


def _tone(n: int, bin_offset: float, amp: float, size: int = 1024) -> np.ndarray:
    k = np.arange(n)
    return (amp * np.exp(2j * np.pi * bin_offset * k / size)).astype(np.complex64)


def test_full_scale_tone_reads_0_dbfs_in_its_bin() -> None:
    welch = psd.make_welch(1024, 0.5, 8)
    p = psd.frame_powers_iq(_tone(welch.samples, 100, 1.0), welch).mean(axis=0)
    assert int(np.argmax(p)) - 512 == 100
    assert psd.to_db(p.max()) == pytest.approx(0.0, abs=1e-3)


def test_noise_level_and_equivalent_looks() -> None:
    welch = psd.make_welch(1024, 0.5, 16)
    rng = np.random.default_rng(1)
    sigma2 = 0.01
    rows = []
    for _ in range(60):
        x = (rng.standard_normal(welch.samples) + 1j * rng.standard_normal(welch.samples))
        rows.append(psd.frame_powers_iq(x * np.sqrt(sigma2 / 2), welch, False).mean(axis=0))
    p = np.array(rows)
    # Noise per bin is sigma² / N times the window's noise bandwidth (1.5 bins for Hann).
    assert p.mean() == pytest.approx(sigma2 / 1024 * welch.enbw_bins, rel=0.02)
    assert welch.enbw_bins == pytest.approx(1.5, rel=1e-6)
    assert p.mean() ** 2 / p.var() == pytest.approx(welch.looks(), rel=0.05)


def test_batch_cu8_path_matches_the_single_hop_path_outside_dc() -> None:
    welch = psd.make_welch(1024, 0.5, 4)
    rng = np.random.default_rng(2)
    x = _tone(welch.samples, -200, 0.3) + 0.05 * (
        rng.standard_normal(welch.samples) + 1j * rng.standard_normal(welch.samples)
    )
    raw = to_cu8(x)
    single = psd.frame_powers_cu8(raw, welch, welch.frames)
    batch = psd.frame_powers_cu8_batch(np.stack([raw, raw]), welch)
    away = np.abs(np.arange(1024) - 512) > 1
    np.testing.assert_allclose(batch[1][:, away], single[:, away], rtol=1e-3, atol=1e-9)


def test_dc_offset_lands_only_in_the_masked_centre_bins() -> None:
    welch = psd.make_welch(1024, 0.5, 4)
    x = np.full(welch.samples, 0.2 + 0.1j, dtype=np.complex64)
    p = psd.frame_powers_cu8_batch(to_cu8(x)[None, :], welch)[0].mean(axis=0)
    mask = psd.dc_mask(1024, 2)
    assert p[~mask].max() < 1e-6 * p[mask].max()


def test_window_mean_keeps_length_and_averages() -> None:
    x = np.arange(20, dtype=np.float32)
    m = psd.window_mean(x, 4)
    assert m.shape == x.shape
    assert m[10] == pytest.approx(np.mean(x[8:12]))
    assert m[0] == pytest.approx(np.mean(x[0:4]))
    assert m[-1] == pytest.approx(np.mean(x[-4:]))
    with pytest.raises(ValueError):
        psd.window_mean(x, 40)


def test_numpy_and_default_fft_agree() -> None:
    welch = psd.make_welch(256, 0.5, 4)
    raw = to_cu8(_tone(welch.samples, 30, 0.5, 256))
    a = psd.frame_powers_cu8(raw, welch)
    psd.use_numpy_fft(True)
    try:
        b = psd.frame_powers_cu8(raw, welch)
    finally:
        psd.use_numpy_fft(False)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-9)


def test_make_welch_rejects_bad_layouts() -> None:
    with pytest.raises(ValueError):
        psd.make_welch(1023, 0.5, 4)
    with pytest.raises(ValueError):
        psd.make_welch(1024, 1.0, 4)
    with pytest.raises(ValueError):
        psd.frame_powers_cu8(np.zeros(100, dtype=np.uint8), psd.make_welch(1024, 0.5, 4))
