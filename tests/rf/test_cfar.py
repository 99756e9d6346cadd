"""CFAR thresholds against the closed forms, and their false-alarm and detection rates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from device.rf import cfar

st = pytest.importorskip("scipy.stats")
sp = pytest.importorskip("scipy.special")


def test_ca_alpha_closed_form_n16_pfa1e4_is_10_95_db() -> None:
    alpha = cfar.ca_cfar_alpha(16, 1e-4)
    assert 10 * math.log10(alpha) == pytest.approx(10.95, abs=0.005)
    # One look: the F(2, 2N) form is the same threshold.
    assert cfar.ca_cfar_threshold(16, 1, 1e-4) == pytest.approx(alpha, rel=1e-9)
    # The wrong snippet that circulates (-ln(pfa) * 2N) is far off.
    assert abs(alpha - (-math.log(1e-4) * 2 * 16)) > 100


@pytest.mark.parametrize(("n", "looks", "pfa"), [(16, 1, 1e-3), (16, 8, 1e-3), (32, 4, 1e-4)])
def test_ca_threshold_is_the_f_quantile(n: int, looks: int, pfa: float) -> None:
    assert cfar.ca_cfar_threshold(n, looks, pfa) == pytest.approx(
        st.f.isf(pfa, 2 * looks, 2 * n * looks), rel=1e-9
    )


@pytest.mark.parametrize(("n", "k"), [(16, 12), (32, 24), (24, 12)])
def test_os_single_look_threshold_inverts_the_product_form(n: int, k: int) -> None:
    t = cfar.os_cfar_threshold(n, k, 1.0, 1e-3)
    product = math.prod((n - i) / (n - i + t) for i in range(k))
    assert product == pytest.approx(1e-3, rel=1e-9)
    # The numerical integral used for several looks agrees with the product at one look.
    assert cfar.os_cfar_pfa(n, k, t, 1.0 + 1e-9) == pytest.approx(1e-3, rel=1e-4)


def test_ed_closed_forms_match_the_design_notes() -> None:
    # Pd 0.9 at Pfa 1e-3 needs about -8.3 dB for N = 1000 samples (noise-like signal).
    n = 1000
    lam = cfar.ed_threshold(n, 1e-3)
    assert cfar.ed_pfa(n, lam) == pytest.approx(1e-3, rel=1e-9)
    snr = 10 ** (-8.3 / 10)
    assert cfar.ed_pd_noise_like(n, lam, snr) == pytest.approx(0.9, abs=0.02)


def _cells(rng: np.random.Generator, looks: int, n: int, snr: float = 0.0) -> np.ndarray:
    """Square-law cells averaged over `looks` looks, noise level 1, noise-like signal."""
    return rng.gamma(looks, (1.0 + snr) / looks, size=n)


@pytest.mark.parametrize("looks", [1, 8])
def test_ca_cfar_false_alarms_on_pure_noise(looks: int) -> None:
    rng = np.random.default_rng(10 + looks)
    pfa, n_ref = 1e-3, 16
    cells = _cells(rng, looks, 2_000_000)
    res = cfar.ca_cfar(cells, n_ref, 2, cfar.ca_cfar_threshold(n_ref, looks, pfa))
    rate = res.detections.mean()
    # ~2000 expected alarms: a factor 2 either way is > 20 standard deviations.
    assert pfa / 2 < rate < 2 * pfa


@pytest.mark.parametrize("looks", [1, 4])
def test_os_cfar_false_alarms_on_pure_noise(looks: int) -> None:
    rng = np.random.default_rng(20 + looks)
    pfa, n_ref, k = 1e-3, 24, 18
    cells = _cells(rng, looks, 400_000)
    res = cfar.os_cfar(cells, n_ref, 2, k, cfar.os_cfar_threshold(n_ref, k, looks, pfa))
    assert pfa / 2 < res.detections.mean() < 2 * pfa


def _snr_db_for_pd(pd: float, n_ref: int, looks: int, t: float) -> float:
    """The SNR at which the closed form gives `pd` (bisection)."""
    lo, hi = -30.0, 40.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if cfar.ca_cfar_pd(n_ref, looks, t, 10 ** (mid / 10)) < pd:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@pytest.mark.parametrize(("snr_db", "looks"), [(3.0, 8), (13.0, 1)])
def test_ca_cfar_detection_within_1_db_of_the_closed_form(snr_db: float, looks: int) -> None:
    rng = np.random.default_rng(7)
    n_ref, pfa, trials = 16, 1e-3, 20_000
    t = cfar.ca_cfar_threshold(n_ref, looks, pfa)
    # The cell under test holds signal + noise; its reference cells hold noise only.
    cut = _cells(rng, looks, trials, 10 ** (snr_db / 10))
    ref = rng.gamma(looks, 1.0 / looks, size=(trials, n_ref)).mean(axis=1)
    pd = float(np.mean(cut > t * ref))
    assert 0.05 < pd < 0.98, "pick an SNR on the slope of the Pd curve"
    assert abs(_snr_db_for_pd(pd, n_ref, looks, t) - snr_db) < 1.0


def test_learned_threshold_tends_to_the_known_noise_threshold() -> None:
    known = st.gamma.isf(1e-4, 10) / 10
    assert cfar.learned_threshold(10, 1e9, 1e-4) == pytest.approx(known, rel=1e-4)
    assert cfar.learned_threshold(10, 50, 1e-4) > known


def test_quantile_helpers() -> None:
    # Median of Gamma(M)/M to its mean, and the quantile estimator's precision.
    assert cfar.quantile_to_mean(0.5, 1.0) == pytest.approx(1 / math.log(2), rel=1e-9)
    assert cfar.quantile_ref_dof(1000, 0.5, 1e4) < 1000 * 1e4


def test_cfar_input_errors() -> None:
    with pytest.raises(ValueError):
        cfar.ca_cfar(np.ones(10), 3, 1, 2.0)
    with pytest.raises(ValueError):
        cfar.os_cfar(np.ones(100), 16, 2, 17, 2.0)
    with pytest.raises(ValueError):
        cfar.ca_cfar(np.ones(5), 16, 2, 2.0)
