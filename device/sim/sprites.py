"""Drawing primitives for the sim camera: blurred spots and anti-aliased convex polygons.

All work on a float32 radiance image in place and touch only a small patch around the
shape, so a frame with dozens of glints stays cheap. `row_gain` (one factor per image row)
carries what changes along a rolling-shutter frame: the ring's lit fraction, flicker.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

MIN_PEAK = 1.0 / 4096  # below ~0.06 DN a spot is not worth drawing
MAX_HALF_PX = 40


def erfc(x: F32) -> F32:
    """Complementary error function (Abramowitz & Stegun 7.1.26, error < 1.5e-7)."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    y = poly * np.exp(-z * z)
    return np.asarray(np.where(x >= 0, y, 2.0 - y), dtype=np.float32)


def spot_peak(energy: float, radius_px: float, psf_sigma_px: float) -> tuple[float, float]:
    """(peak radiance, Gaussian sigma or 0) of a disc of `radius_px` seen through the PSF.

    A spot smaller than the PSF is drawn as a Gaussian holding its energy; a larger one as a
    flat disc with blurred (erfc) edges, whose integral is pi (R^2 + sigma^2).
    """
    s = psf_sigma_px
    r = radius_px
    if r < s:
        sig2 = s * s + r * r / 2
        return energy / (2 * math.pi * sig2), math.sqrt(sig2)
    return energy / (math.pi * (r * r + s * s)), 0.0


def add_spot(
    img: F32,
    path_xy: F64,
    energy: float,
    radius_px: float,
    psf_sigma_px: float,
    row_gain: F32 | None = None,
) -> None:
    """Add a spot of total `energy` (radiance x px^2) smeared along `path_xy` (M, 2) points."""
    m = len(path_xy)
    if m == 0:
        return
    peak, gauss = spot_peak(energy, radius_px, psf_sigma_px)
    peak /= m
    if peak < MIN_PEAK:
        return
    wing = math.sqrt(2 * math.log(max(peak / MIN_PEAK, 1.0001)))
    half = min((gauss * wing if gauss else radius_px + psf_sigma_px * wing) + 1.0, MAX_HALF_PX)
    xs, ys = path_xy[:, 0], path_xy[:, 1]
    h, w = img.shape
    x0 = max(math.floor(xs.min() - half), 0)
    x1 = min(math.ceil(xs.max() + half) + 1, w)
    y0 = max(math.floor(ys.min() - half), 0)
    y1 = min(math.ceil(ys.max() + half) + 1, h)
    if x0 >= x1 or y0 >= y1:
        return
    gx = np.arange(x0, x1, dtype=np.float32)
    gy = np.arange(y0, y1, dtype=np.float32)
    patch = np.zeros((y1 - y0, x1 - x0), np.float32)
    for x, y in path_xy:
        r2 = (gy - np.float32(y))[:, None] ** 2 + ((gx - np.float32(x)) ** 2)[None, :]
        if gauss:
            patch += np.exp(r2 * np.float32(-0.5 / (gauss * gauss)))
        else:
            edge = (np.sqrt(r2) - np.float32(radius_px)) * np.float32(
                1 / (math.sqrt(2) * psf_sigma_px)
            )
            patch += np.float32(0.5) * erfc(edge)
    patch *= np.float32(peak)
    if row_gain is not None:
        patch *= row_gain[y0:y1, None]
    img[y0:y1, x0:x1] += patch


def polygon_coverage(poly_xy: F64, shape: tuple[int, int]) -> tuple[slice, slice, F32] | None:
    """Coverage (0..1) of a convex polygon over its bounding patch, or None when off-image.

    Scanline: each row's span [left, right] is found from the edges at the row centre, and
    coverage ramps over one pixel at the span's ends (anti-aliased left/right edges; top
    and bottom edges are resolved to the row).
    """
    h, w = shape
    x0 = max(math.floor(poly_xy[:, 0].min()), 0)
    x1 = min(math.ceil(poly_xy[:, 0].max()) + 1, w)
    y0 = max(math.floor(poly_xy[:, 1].min()), 0)
    y1 = min(math.ceil(poly_xy[:, 1].max()) + 1, h)
    if x0 >= x1 or y0 >= y1:
        return None
    yc = np.arange(y0, y1, dtype=np.float64)
    a, b = poly_xy, np.roll(poly_xy, -1, axis=0)
    dy = b[:, 1] - a[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (yc[:, None] - a[None, :, 1]) / dy[None, :]
        xs = a[None, :, 0] + u * (b[:, 0] - a[:, 0])[None, :]
    crosses = (u >= 0) & (u <= 1) & (dy[None, :] != 0)
    left = np.where(crosses, xs, np.inf).min(axis=1)
    right = np.where(crosses, xs, -np.inf).max(axis=1)
    ok = right > left
    if not np.any(ok):
        return None
    gx = np.arange(x0, x1, dtype=np.float32)[None, :]
    lo = np.where(ok, left, np.inf).astype(np.float32)[:, None]
    hi = np.where(ok, right, -np.inf).astype(np.float32)[:, None]
    cov = np.minimum(gx - lo, hi - gx)
    cov += np.float32(0.5)
    np.clip(cov, 0.0, 1.0, out=cov)
    return slice(y0, y1), slice(x0, x1), cov


def add_polygon(img: F32, poly_xy: F64, radiance: float, row_gain: F32 | None = None) -> None:
    """Add an emitting (or retro-reflecting) convex polygon of uniform radiance."""
    found = polygon_coverage(poly_xy, img.shape)  # type: ignore[arg-type]
    if found is None:
        return
    ys, xs, cov = found
    cov *= np.float32(radiance)
    if row_gain is not None:
        cov *= row_gain[ys, None]
    img[ys, xs] += cov


def paint_polygon(img: F32, poly_xy: F64, value_rows: F32) -> None:
    """Paint an opaque polygon: pixels become `value_rows[y]` where covered (blended at edges)."""
    found = polygon_coverage(poly_xy, img.shape)  # type: ignore[arg-type]
    if found is None:
        return
    ys, xs, cov = found
    patch = img[ys, xs]
    patch += cov * (value_rows[ys, None] - patch)


def motion_path(
    start_xy: tuple[float, float], end_xy: tuple[float, float], step_px: float = 0.7
) -> F64:
    """Points along a straight smear, spaced about `step_px`, at least one (the midpoint)."""
    length = math.hypot(end_xy[0] - start_xy[0], end_xy[1] - start_xy[1])
    m = min(max(math.ceil(length / step_px), 1), 12)
    u = (np.arange(m) + 0.5) / m
    return np.stack(
        [
            start_xy[0] + u * (end_xy[0] - start_xy[0]),
            start_xy[1] + u * (end_xy[1] - start_xy[1]),
        ],
        axis=1,
    )


SMALL_HALF_PX = 6  # patch half-size for batched point spots (PSF tails + a short smear)
SMALL_SUBSTEPS = 6


def add_small_spots(
    img: F32, start_xy: F64, end_xy: F64, energy: F64, psf_sigma_px: float, row_gain: F32
) -> None:
    """Batch of point-like spots (N), each smeared from start to end (< ~4 px).

    `row_gain` is (N, H): each spot's per-row factor. One vectorised pass renders all the
    patches; only the final additions loop.
    """
    n = len(energy)
    if n == 0:
        return
    h, w = img.shape
    size = 2 * SMALL_HALF_PX + 1
    u = (np.arange(SMALL_SUBSTEPS) + 0.5) / SMALL_SUBSTEPS
    px = start_xy[:, 0:1] + u[None, :] * (end_xy[:, 0:1] - start_xy[:, 0:1])  # (N, M)
    py = start_xy[:, 1:2] + u[None, :] * (end_xy[:, 1:2] - start_xy[:, 1:2])
    ox = np.floor(0.5 * (start_xy[:, 0] + end_xy[:, 0])).astype(np.int64) - SMALL_HALF_PX
    oy = np.floor(0.5 * (start_xy[:, 1] + end_xy[:, 1])).astype(np.int64) - SMALL_HALF_PX
    grid = np.arange(size, dtype=np.float64)
    k = -0.5 / (psf_sigma_px * psf_sigma_px)
    gx = np.exp(k * np.square(ox[:, None, None] + grid[None, None, :] - px[:, :, None]))
    gy = np.exp(k * np.square(oy[:, None, None] + grid[None, None, :] - py[:, :, None]))
    peak = energy / (2 * math.pi * psf_sigma_px * psf_sigma_px) / SMALL_SUBSTEPS
    patches = np.einsum("nmp,nmq->npq", gy, gx) * peak[:, None, None]
    rows = np.clip(oy[:, None] + np.arange(size)[None, :], 0, h - 1)
    patches *= np.take_along_axis(row_gain, rows, axis=1)[:, :, None]
    patches32 = patches.astype(np.float32)
    for i in range(n):
        x0, y0 = int(ox[i]), int(oy[i])
        xa, ya = max(x0, 0), max(y0, 0)
        xb, yb = min(x0 + size, w), min(y0 + size, h)
        if xa < xb and ya < yb:
            img[ya:yb, xa:xb] += patches32[i, ya - y0 : yb - y0, xa - x0 : xb - x0]
