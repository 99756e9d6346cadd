"""Energy-detector and CFAR closed forms, and vectorised CA/OS-CFAR over power arrays.

Conventions: a cell holds square-law power averaged over `looks` independent looks, so in
noise it is Gamma(looks)/looks times the noise level (looks = 1: exponential). Thresholds
are multipliers on the noise estimate. The closed forms (design notes, "Facts: RF
detection"):

- ideal energy detector over N complex samples: Pfa = Q(N, λ), Pd = Q(N, λ/(1+γ)) for a
  noise-like signal (Q = regularized upper incomplete gamma);
- CA-CFAR, N reference cells, one look: α = N(Pfa^(-1/N) - 1); with M looks the cell over the
  reference mean is F(2M, 2NM), so α = F.isf(Pfa, 2M, 2NM);
- OS-CFAR, k-th smallest of N reference cells, one look: Pfa = Π_{i<k} (N-i)/(N-i+α);
  with M looks the same expectation is integrated numerically over the order statistic;
- a reference learned from R effective looks (a learned noise floor) is the CA case with
  NM replaced by R: α = F.isf(Pfa, 2M, 2R).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from device.rf import special

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


# --- ideal energy detector -------------------------------------------------------------


def ed_pfa(n_samples: float, threshold: float) -> float:
    """False-alarm probability of the ideal energy detector (statistic = Σ|x|²/σ²)."""
    return special.gammaincc(n_samples, threshold)


def ed_threshold(n_samples: float, pfa: float) -> float:
    """Threshold λ on Σ|x|²/σ² for the ideal energy detector at `pfa`."""
    return special.gamma_isf(pfa, n_samples)


def ed_pd_noise_like(n_samples: float, threshold: float, snr: float) -> float:
    """Detection probability of the ideal energy detector for a Gaussian (noise-like) signal."""
    return special.gammaincc(n_samples, threshold / (1.0 + snr))


# --- CA-CFAR ----------------------------------------------------------------------------


def ca_cfar_alpha(n_ref: int, pfa: float) -> float:
    """Single-look CA-CFAR multiplier on the reference mean: N(Pfa^(-1/N) - 1)."""
    return n_ref * (pfa ** (-1.0 / n_ref) - 1.0)


def ca_cfar_threshold(n_ref: int, looks: float, pfa: float) -> float:
    """CA-CFAR multiplier on the reference mean for cells of `looks` averaged looks."""
    return special.f_isf(pfa, 2.0 * looks, 2.0 * n_ref * looks)


def ca_cfar_pfa(n_ref: int, looks: float, threshold: float) -> float:
    """False-alarm probability of CA-CFAR at multiplier `threshold`."""
    return special.f_sf(threshold, 2.0 * looks, 2.0 * n_ref * looks)


def ca_cfar_pd(n_ref: int, looks: float, threshold: float, snr: float) -> float:
    """Detection probability of CA-CFAR for a noise-like signal at per-cell `snr` (linear)."""
    return special.f_sf(threshold / (1.0 + snr), 2.0 * looks, 2.0 * n_ref * looks)


@functools.lru_cache(maxsize=256)
def learned_threshold(looks: float, ref_dof: float, pfa: float) -> float:
    """Multiplier on a learned noise level estimated with `ref_dof` effective looks."""
    return special.f_isf(pfa, 2.0 * looks, 2.0 * ref_dof)


# Called by the noise floor every sweep with the same few arguments; each is a bisection.
@functools.lru_cache(maxsize=64)
def quantile_ref_dof(n_cells: int, quantile: float, looks: float) -> float:
    """Effective looks of a noise level estimated as a scaled sample quantile of n cells.

    The q-quantile of n Gamma(M) cells has variance q(1-q)/(n f(x_q)²); scaled to the
    mean its relative variance is that over x_q², and the effective looks are its inverse.
    """
    x_q = special.gamma_ppf(quantile, looks)
    density = special.gamma_pdf(x_q, looks)
    rel_var = quantile * (1.0 - quantile) / (n_cells * density**2 * x_q**2)
    return 1.0 / rel_var


@functools.lru_cache(maxsize=64)
def quantile_to_mean(quantile: float, looks: float) -> float:
    """Factor from the q-quantile of Gamma(looks)/looks noise to its mean (1)."""
    return looks / special.gamma_ppf(quantile, looks)


# --- OS-CFAR ----------------------------------------------------------------------------


def os_cfar_pfa(n_ref: int, k: int, threshold: float, looks: float = 1.0) -> float:
    """False-alarm probability of OS-CFAR (k-th smallest of n_ref cells) at `threshold`."""
    if not 1 <= k <= n_ref:
        raise ValueError("k must be in 1..n_ref")
    if looks == 1.0:
        out = 1.0
        for i in range(k):
            out *= (n_ref - i) / (n_ref - i + threshold)
        return out
    grid, weights = _order_stat_grid(n_ref, k, looks)
    return _os_pfa_on_grid(grid, weights, threshold, looks)


def _os_pfa_on_grid(grid: FloatArray, weights: FloatArray, threshold: float, looks: float) -> float:
    tail = special.gammaincc_vec(looks, threshold * grid)
    return float(np.sum(tail * weights))


@functools.lru_cache(maxsize=64)
def os_cfar_threshold(n_ref: int, k: int, looks: float, pfa: float) -> float:
    """OS-CFAR multiplier on the k-th smallest reference cell for `pfa`."""
    if looks == 1.0:

        def pfa_at(t: float) -> float:
            return os_cfar_pfa(n_ref, k, t, 1.0)
    else:
        grid, weights = _order_stat_grid(n_ref, k, looks)

        def pfa_at(t: float) -> float:
            return _os_pfa_on_grid(grid, weights, t, looks)

    lo, hi = 1e-3, 1.0
    while pfa_at(hi) > pfa:
        hi *= 2.0
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if pfa_at(mid) > pfa:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1.0 + 1e-12:
            break
    return math.sqrt(lo * hi)


def _order_stat_grid(n_ref: int, k: int, looks: float) -> tuple[FloatArray, FloatArray]:
    """Quadrature nodes and weights for the k-th order statistic of n Gamma(looks) cells."""
    lo = special.gamma_ppf(1e-12, looks)
    hi = special.gamma_isf(1e-14, looks)
    grid = np.geomspace(lo, hi, 4000)
    cdf = 1.0 - special.gammaincc_vec(looks, grid)
    log_pdf = (looks - 1.0) * np.log(grid) - grid - math.lgamma(looks)
    log_coef = math.lgamma(n_ref + 1) - math.lgamma(k) - math.lgamma(n_ref - k + 1)
    with np.errstate(divide="ignore"):
        log_dens = (
            log_coef + (k - 1) * np.log(cdf) + (n_ref - k) * np.log1p(-cdf) + log_pdf
        )
    dens = np.exp(log_dens)
    # Trapezoid weights on the log-spaced grid.
    widths = np.diff(grid)
    weights = np.zeros_like(grid)
    weights[:-1] += 0.5 * widths
    weights[1:] += 0.5 * widths
    weights *= dens
    weights /= weights.sum()
    return grid, weights


# --- sliding-window CFAR over an array --------------------------------------------------


@dataclass(frozen=True)
class CfarResult:
    """Per-cell decision and the noise estimate it was made against."""

    detections: BoolArray
    noise: FloatArray


def _padded(power: FloatArray, reach: int) -> FloatArray:
    if power.size <= reach:
        raise ValueError(f"CFAR needs more than {reach} cells, got {power.size}")
    return np.pad(np.asarray(power, dtype=np.float64), reach, mode="reflect")


def ca_cfar(power: npt.ArrayLike, n_ref: int, n_guard: int, threshold: float) -> CfarResult:
    """Cell-averaging CFAR: n_ref/2 reference cells each side beyond n_guard guard cells.

    The ends of the array are mirrored so every cell has a full window.
    """
    if n_ref < 2 or n_ref % 2:
        raise ValueError("n_ref must be an even number >= 2")
    half = n_ref // 2
    reach = half + n_guard
    p = np.asarray(power, dtype=np.float64)
    padded = _padded(p, reach)
    csum = np.concatenate(([0.0], np.cumsum(padded)))
    idx = np.arange(p.size) + reach
    left = csum[idx - n_guard] - csum[idx - reach]
    right = csum[idx + reach + 1] - csum[idx + n_guard + 1]
    noise = (left + right) / n_ref
    return CfarResult(p > threshold * noise, noise)


def os_cfar(
    power: npt.ArrayLike, n_ref: int, n_guard: int, k: int, threshold: float
) -> CfarResult:
    """Ordered-statistic CFAR: the k-th smallest of the reference cells is the noise estimate."""
    if n_ref < 2 or n_ref % 2:
        raise ValueError("n_ref must be an even number >= 2")
    if not 1 <= k <= n_ref:
        raise ValueError("k must be in 1..n_ref")
    half = n_ref // 2
    reach = half + n_guard
    p = np.asarray(power, dtype=np.float64)
    windows = sliding_window_view(_padded(p, reach), 2 * reach + 1)
    ref = np.concatenate((windows[:, :half], windows[:, -half:]), axis=1)
    noise = np.partition(ref, k - 1, axis=1)[:, k - 1]
    return CfarResult(p > threshold * noise, noise)
