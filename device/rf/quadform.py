"""Exact tails of Welch statistics: Hann bins and overlapping frames are correlated.

In noise, the mean power over W adjacent bins and K overlapping Hann frames is a Hermitian
quadratic form in Gaussian samples, so it equals Σ λ_i E_i with E_i independent unit
exponentials and λ_i the eigenvalues of the (K·W)² correlation matrix of those DFT
coefficients. Matching only its first two moments with a Gamma law (the usual "equivalent
degrees of freedom") underestimates the tail by 1.5x at 1e-3 and 4-7x at 1e-7, so the
thresholds here come from the Lugannani-Rice saddlepoint approximation of that sum instead
(relative error ~1% in the tail). A learned noise floor is itself estimated with
`ref_looks` looks; its error is integrated over with Gauss-Hermite quadrature.

Correlation of DFT coefficient k of the frame at offset 0 with coefficient m of the frame at
offset d (white noise, window w): e^{j2πmd/L} Σ_n w[n] w[n+d] e^{-j2π(k-m)n/L} / Σ w².
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(9)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def hann(fft_size: int) -> FloatArray:
    return np.asarray(0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(fft_size) / fft_size))


@functools.lru_cache(maxsize=64)
def eigenvalues(fft_size: int, step: int, frames: int, width: int) -> FloatArray:
    """λ_i of the mean over `frames` Hann frames `step` apart and `width` adjacent bins."""
    w = hann(fft_size)
    energy = float(np.dot(w, w))
    n = np.arange(fft_size)
    bins = np.arange(width)
    size = frames * width
    cov = np.zeros((size, size), dtype=np.complex128)
    for lag in range(frames):
        d = lag * step
        if d >= fft_size:
            continue
        prod = np.zeros(fft_size)
        prod[: fft_size - d] = w[: fft_size - d] * w[d:]
        # spec[q] = Σ_n prod[n] e^{-j2π q n / L} for q = k - m in -(W-1)..(W-1)
        q = np.arange(-(width - 1), width)
        spec = np.exp(-2j * np.pi * np.outer(q, n) / fft_size) @ prod / energy
        block = spec[(bins[:, None] - bins[None, :]) + width - 1]
        block = block * np.exp(2j * np.pi * bins[None, :] * d / fft_size)
        for a in range(frames - lag):
            b = a + lag
            cov[a * width : (a + 1) * width, b * width : (b + 1) * width] = block
            if lag:
                cov[b * width : (b + 1) * width, a * width : (a + 1) * width] = block.conj().T
    lam = np.linalg.eigvalsh(cov) / size
    lam = lam[lam > 1e-12 * lam.max()]
    return np.asarray(np.sort(lam)[::-1])


def tail(lam: FloatArray, t: float) -> float:
    """P(Σ λ_i E_i > t) by the Lugannani-Rice saddlepoint approximation."""
    return float(tails(lam, np.array([t]))[0])


def tails(lam: FloatArray, ts: FloatArray) -> FloatArray:
    """P(Σ λ_i E_i > t) for each t in `ts` (vectorised over t, either side of the mean)."""
    t = np.asarray(ts, dtype=np.float64)
    mean = float(lam.sum())
    lmax = float(lam[0])
    # Solve K'(s) = Σ λ/(1 - λ s) = t by safeguarded Newton: s > 0 above the mean, s < 0
    # below it (K' tends to 0 as s -> -inf, so a bracket far below always exists).
    lo = np.full_like(t, -1e6 / lmax)
    hi = np.full_like(t, 1.0 / lmax)
    s = np.clip((1.0 - mean / t) / lmax, -10.0 / lmax, 0.5 / lmax)
    lam_col = lam[None, :]
    for _ in range(200):
        r = lam_col / (1.0 - lam_col * s[:, None])
        k1 = r.sum(axis=1)
        k2 = (r * r).sum(axis=1)
        below = k1 < t
        lo = np.where(below, s, lo)
        hi = np.where(below, hi, s)
        s_new = s - (k1 - t) / k2
        bad = (s_new <= lo) | (s_new >= hi)
        s_new = np.where(bad, 0.5 * (lo + hi), s_new)
        done = np.abs(s_new - s) <= 1e-14 * np.maximum(1.0 / lmax, np.abs(s))
        s = s_new
        if done.all():
            break
    k0 = -np.log1p(-lam_col * s[:, None]).sum(axis=1)
    r = lam_col / (1.0 - lam_col * s[:, None])
    k2 = (r * r).sum(axis=1)
    w = np.sign(s) * np.sqrt(np.maximum(2.0 * (s * t - k0), 0.0))
    u = s * np.sqrt(k2)
    near = np.abs(w) < 1e-7  # at the mean the formula is 0/0; the tail there is ~1/2
    w_safe = np.where(near, 1.0, w)
    u_safe = np.where(near, 1.0, u)
    upper = 0.5 * _erfc(w_safe / math.sqrt(2.0))
    density = np.exp(-0.5 * w_safe * w_safe) / math.sqrt(2.0 * math.pi)
    out = np.clip(upper + density * (1.0 / u_safe - 1.0 / w_safe), 0.0, 1.0)
    return np.asarray(np.where(near, 0.5, out))


def _erfc(x: FloatArray) -> FloatArray:
    return np.asarray([math.erfc(v) for v in np.ravel(x)]).reshape(np.shape(x))


def tail_with_floor(lam: FloatArray, t: float, ref_looks: float) -> float:
    """P(Σ λ_i E_i > t · F) where the floor F has mean 1 and `ref_looks` looks."""
    if not math.isfinite(ref_looks) or ref_looks > 1e9:
        return tail(lam, t)
    sigma = math.sqrt(math.log1p(1.0 / ref_looks))
    factors = np.exp(sigma * _GH_NODES - 0.5 * sigma * sigma)
    return float(np.dot(_GH_WEIGHTS, tails(lam, t * factors)))


@functools.lru_cache(maxsize=512)
def threshold(
    fft_size: int, step: int, frames: int, width: int, pfa: float, ref_looks: float = math.inf
) -> float:
    """Multiplier on the noise level with P(false alarm) = `pfa` for this statistic."""
    lam = eigenvalues(fft_size, step, frames, width)

    def gap(log_t: float) -> float:
        p = tail_with_floor(lam, math.exp(log_t), ref_looks)
        return math.log(max(p, 1e-300)) - math.log(pfa)

    # log tail is smooth and nearly linear in log t: bracket, then regula falsi (Illinois).
    a, b = 0.0, math.log(2.0)
    fa, fb = math.log(0.5) - math.log(pfa), gap(b)
    while fb > 0:
        a, fa = b, fb
        b += math.log(2.0)
        fb = gap(b)
    side = 0
    for _ in range(100):
        c = b - fb * (b - a) / (fb - fa)
        fc = gap(c)
        if abs(fc) < 1e-9 or abs(b - a) < 1e-12:
            return math.exp(c)
        if fc * fb < 0:
            a, fa = b, fb
            side = 0
        else:
            fa = fa / 2.0 if side == -1 else fa
            side = -1
        b, fb = c, fc
    return math.exp(b)
