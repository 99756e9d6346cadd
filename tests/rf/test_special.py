"""The numpy-only special functions agree with scipy.special / scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest

from device.rf import special

sp = pytest.importorskip("scipy.special")
st = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("a", [0.5, 1.0, 3.7, 16.0, 30.4, 1000.0])
def test_incomplete_gamma_matches_scipy(a: float) -> None:
    for x in np.geomspace(a / 20 + 1e-3, 5 * a + 30, 25):
        assert special.gammainc(a, x) == pytest.approx(sp.gammainc(a, x), rel=1e-9, abs=1e-300)
        assert special.gammaincc(a, x) == pytest.approx(sp.gammaincc(a, x), rel=1e-9, abs=1e-300)
    xs = np.geomspace(1e-3, 10 * a + 50, 200)
    np.testing.assert_allclose(
        special.gammaincc_vec(a, xs), sp.gammaincc(a, xs), rtol=1e-9, atol=1e-290
    )


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.5), (1.0, 16.0), (16.0, 256.0), (30.0, 3000.0)])
def test_incomplete_beta_matches_scipy(a: float, b: float) -> None:
    for x in np.linspace(0.001, 0.999, 40):
        assert special.betainc(a, b, x) == pytest.approx(sp.betainc(a, b, x), rel=1e-9)


@pytest.mark.parametrize(("p", "d1", "d2"), [(1e-4, 2, 32), (1e-3, 32, 512), (1e-7, 8, 1e4)])
def test_f_isf_matches_scipy(p: float, d1: float, d2: float) -> None:
    assert special.f_isf(p, d1, d2) == pytest.approx(st.f.isf(p, d1, d2), rel=1e-9)


@pytest.mark.parametrize(("p", "a"), [(1e-3, 16.0), (1e-7, 4.0), (0.5, 30.0)])
def test_gamma_quantiles_match_scipy(p: float, a: float) -> None:
    assert special.gamma_isf(p, a) == pytest.approx(st.gamma.isf(p, a), rel=1e-9)
    assert special.gamma_ppf(p, a) == pytest.approx(st.gamma.ppf(p, a), rel=1e-9)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        special.gammainc(0.0, 1.0)
    with pytest.raises(ValueError):
        special.f_isf(1.5, 2, 2)
