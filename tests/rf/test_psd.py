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


def _reference_frame_powers(raw: np.ndarray, welch: psd.Welch) -> np.ndarray:
    """|FFT|² of every Hann frame of each hop's bytes, centred bins, in float64 (no offset)."""
    size = welch.fft_size
    n = np.arange(size)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * n / size)) * np.where(n % 2, -1.0, 1.0) / 127.5
    x = raw[:, 0::2].astype(np.float64) + 1j * raw[:, 1::2].astype(np.float64)
    out = np.empty((raw.shape[0], welch.frames, size))
    for j in range(welch.frames):
        frame = x[:, j * welch.step : j * welch.step + size] * window
        out[:, j] = np.abs(np.fft.fft(frame, axis=1)) ** 2
    return out


@pytest.mark.parametrize("numpy_only", [False, True])
def test_frame_power_chunks_match_a_per_frame_reference(numpy_only: bool) -> None:
    welch = psd.make_welch(64, 0.5, 5)
    rng = np.random.default_rng(3)
    raw = rng.integers(0, 256, size=(7, 2 * welch.samples + 10), dtype=np.uint8)
    expected = _reference_frame_powers(raw, welch)
    psd.use_numpy_fft(numpy_only)
    try:
        for chunk in (1, 3, 7, 50):
            got = np.empty((7, welch.frames, 64), dtype=np.float32)
            ends = []
            for start, stop, powers in psd.frame_power_chunks(raw, welch, chunk):
                got[start:stop] = powers
                ends.append(stop)
            assert ends[-1] == 7 and len(ends) == -(-7 // min(chunk, 7))
            np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5 * expected.max())
        batch = psd.frame_powers_cu8_batch(raw, welch, normalise=False)
        np.testing.assert_allclose(batch, expected, rtol=2e-5, atol=2e-5 * expected.max())
    finally:
        psd.use_numpy_fft(False)


def test_interleaved_frame_power_chunks_keep_their_own_buffers() -> None:
    welch = psd.make_welch(64, 0.5, 4)
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, size=(4, 2 * welch.samples), dtype=np.uint8)
    b = rng.integers(0, 256, size=(4, 2 * welch.samples), dtype=np.uint8)
    for (_, _, pa), (_, _, pb) in zip(
        psd.frame_power_chunks(a, welch, 1), psd.frame_power_chunks(b, welch, 1), strict=True
    ):
        assert not np.shares_memory(pa, pb)
        assert not np.array_equal(pa, pb)
    # Buffers handed back after one run serve the next without changing its results.
    first = [p.copy() for _, _, p in psd.frame_power_chunks(a, welch, 2)]
    again = [p.copy() for _, _, p in psd.frame_power_chunks(a, welch, 2)]
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)


def test_frame_power_chunks_reject_bad_input() -> None:
    welch = psd.make_welch(64, 0.5, 4)
    good = np.zeros((2, 2 * welch.samples), dtype=np.uint8)
    with pytest.raises(ValueError, match="uint8"):
        next(psd.frame_power_chunks(good.astype(np.int16), welch, 1))
    with pytest.raises(ValueError, match="samples per hop"):
        next(psd.frame_power_chunks(good[:, :-4], welch, 1))
    with pytest.raises(ValueError, match="out must be"):
        next(psd.frame_power_chunks(good, welch, 1, np.empty((2, 4, 32), dtype=np.float32)))


@pytest.mark.parametrize("width", [1, 2, 3, 8, 13, 40])
def test_window_mean_is_the_clamped_window_average_on_any_axis(width: int) -> None:
    rng = np.random.default_rng(5)
    x = rng.random((3, 40)).astype(np.float32)
    expected = np.empty_like(x)
    for i in range(40):
        start = min(max(i - width // 2, 0), 40 - width)
        expected[:, i] = x[:, start : start + width].mean(axis=1)
    np.testing.assert_allclose(psd.window_mean(x, width), expected, rtol=1e-6)
    np.testing.assert_allclose(psd.window_mean(x.T, width, axis=0), expected.T, rtol=1e-6)


def test_to_db_floors_empty_bins_and_leaves_its_input_alone() -> None:
    p = np.array([0.0, 1.0, 100.0])
    np.testing.assert_allclose(psd.to_db(p), [-300.0, 0.0, 20.0])
    assert p.tolist() == [0.0, 1.0, 100.0]
    assert float(psd.to_db(1000.0)) == pytest.approx(30.0)
