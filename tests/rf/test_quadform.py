"""Exact tails of correlated Welch statistics (saddlepoint) against known cases and noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from device.rf import psd, quadform

st = pytest.importorskip("scipy.stats")


def test_single_bin_single_frame_is_exponential() -> None:
    lam = quadform.eigenvalues(1024, 512, 1, 1)
    assert lam.tolist() == pytest.approx([1.0])
    assert quadform.tail(lam, 6.9) == pytest.approx(math.exp(-6.9), rel=0.03)


def test_non_overlapping_frames_are_gamma() -> None:
    # Hann frames that do not overlap are independent: the mean of 8 is Gamma(8)/8.
    lam = quadform.eigenvalues(1024, 1024, 8, 1)
    assert lam == pytest.approx(np.full(8, 1 / 8))
    assert quadform.tail(lam, 2.5) == pytest.approx(st.gamma.sf(20.0, 8), rel=0.01)
    t = quadform.threshold(1024, 1024, 8, 1, 1e-6)
    assert t == pytest.approx(st.gamma.isf(1e-6, 8) / 8, rel=1e-3)


def test_eigenvalues_hold_the_welch_statistics() -> None:
    welch = psd.make_welch(1024, 0.5, 16)
    lam = quadform.eigenvalues(1024, welch.step, 16, 8)
    assert lam.sum() == pytest.approx(1.0, rel=1e-9)
    # 1 / Σλ² is the equivalent number of looks of the two-moment (Gamma) approximation.
    assert 1 / np.sum(lam**2) == pytest.approx(welch.looks() * welch.sum_looks(8), rel=0.05)


def test_hann_bin_sums_have_heavier_tails_than_the_gamma_match() -> None:
    welch = psd.make_welch(1024, 0.5, 1)
    nu = welch.sum_looks(8)
    exact = quadform.threshold(1024, 512, 1, 8, 1e-7)
    assert exact > st.gamma.isf(1e-7, nu) / nu


def test_window_mean_threshold_on_simulated_noise() -> None:
    rng = np.random.default_rng(3)
    size, width, pfa = 1024, 8, 1e-3
    t = quadform.threshold(size, 512, 1, width, pfa)
    w = quadform.hann(size)
    hits = total = 0
    for _ in range(8):
        x = rng.standard_normal((256, size)) + 1j * rng.standard_normal((256, size))
        p = np.abs(np.fft.fft(x * w, axis=1)) ** 2 / (2 * np.dot(w, w))
        z = psd.window_mean(p, width, axis=1)
        hits += int((z > t).sum())
        total += z.size
    assert pfa / 2 < hits / total < 2 * pfa


def test_floor_uncertainty_raises_the_threshold() -> None:
    assert quadform.threshold(1024, 512, 16, 1, 1e-6, 200.0) > quadform.threshold(
        1024, 512, 16, 1, 1e-6
    )
