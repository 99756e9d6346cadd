"""Per-spot features and the classifier's input patches, vectorised over all spots of a pair.

The same function builds training patches (models/train.py) and runtime patches, so the
model always sees exactly what the detector will give it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.events import Gray
from device.vision.glint import Spot
from device.vision.motion import Shift

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

# Column order of Candidates.features.
FEATURE_NAMES = ("peak", "on_peak", "saturation", "area_px", "radius_px", "roundness",
                 "contrast", "halo", "off_level", "twin")
# Patch channels: ON, aligned OFF, ON - OFF (all /255) and ON - OFF over its peak (shape only).
N_CHANNELS = 4
SATURATED = 250  # 8-bit level from which a pixel is treated as clipped


@dataclass(frozen=True)
class Candidates:
    """Spots of one pair as arrays: positions, features (N x F), patches (N x P x P x C)."""

    ys: I64
    xs: I64
    features: F32
    patches: F32

    def __len__(self) -> int:
        return int(self.ys.size)

    def feature(self, name: str) -> F32:
        out: F32 = self.features[:, FEATURE_NAMES.index(name)]
        return out


def empty(patch_px: int) -> Candidates:
    return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64),
                      np.zeros((0, len(FEATURE_NAMES)), np.float32),
                      np.zeros((0, patch_px, patch_px, N_CHANNELS), np.float32))


def _gather(img: Gray, ys: I64, xs: I64, size: int) -> npt.NDArray[np.uint8]:
    """size x size crops centred on (ys, xs), edge pixels repeated beyond the frame."""
    h, w = img.shape
    offs = np.arange(size) - size // 2
    rows = np.clip(ys[:, None] + offs[None, :], 0, h - 1)
    cols = np.clip(xs[:, None] + offs[None, :], 0, w - 1)
    out: npt.NDArray[np.uint8] = img[rows[:, :, None], cols[:, None, :]]
    return out


def describe(on: Gray, off: Gray, shift: Shift, spots: list[Spot], patch_px: int,
             diff_threshold: float, spot_radius_px: int) -> Candidates:
    """Features and classifier patches for `spots` found in (on, off aligned by shift)."""
    if not spots:
        return empty(patch_px)
    ys = np.array([s.y for s in spots], np.int64)
    xs = np.array([s.x for s in spots], np.int64)
    on_p = _gather(on, ys, xs, patch_px).astype(np.float32)
    off_p = _gather(off, ys + shift.dy, xs + shift.dx, patch_px).astype(np.float32)
    d = on_p - off_p
    c = patch_px // 2
    peak = np.maximum(d[:, c, c], 1.0)
    offs = np.arange(patch_px, dtype=np.float32) - c
    r = np.sqrt(offs[:, None] ** 2 + offs[None, :] ** 2)
    disc = r <= min(spot_radius_px, c - 1)
    half = np.maximum(diff_threshold, peak / 2)[:, None, None]
    hm = (d >= half) & disc[None]
    area = np.maximum(hm.sum(axis=(1, 2)), 1).astype(np.float32)
    # Second moments of the half-maximum blob: eigenvalue ratio 1 = round, 0 = a line.
    wy = offs[None, :, None] * hm
    wx = offs[None, None, :] * hm
    my = wy.sum(axis=(1, 2)) / area
    mx = wx.sum(axis=(1, 2)) / area
    syy = (wy * offs[None, :, None]).sum(axis=(1, 2)) / area - my**2 + 1 / 12
    sxx = (wx * offs[None, None, :]).sum(axis=(1, 2)) / area - mx**2 + 1 / 12
    sxy = (wy * offs[None, None, :]).sum(axis=(1, 2)) / area - my * mx
    tr, det = syy + sxx, syy * sxx - sxy**2
    disc_term = np.sqrt(np.maximum(tr**2 / 4 - det, 0))
    lmax, lmin = tr / 2 + disc_term, np.maximum(tr / 2 - disc_term, 0)
    roundness = np.sqrt(lmin / np.maximum(lmax, 1e-6))
    annulus = (r >= 2) & (r < 4)
    halo = (d * annulus[None]).sum(axis=(1, 2)) / annulus.sum() / peak
    sat = (on_p[:, c - 1:c + 2, c - 1:c + 2] >= SATURATED).mean(axis=(1, 2))
    surround = np.array([s.surround for s in spots], np.float32)
    features = np.stack([
        peak, on_p[:, c, c], sat, area, np.sqrt(area / np.pi), roundness,
        (peak - surround) / peak, halo, np.array([s.off_max for s in spots]) / 255.0,
        np.array([s.twin for s in spots], np.float32),
    ], axis=1).astype(np.float32)
    patches = np.stack([on_p / 255.0, off_p / 255.0, np.maximum(d, 0) / 255.0,
                        np.clip(d / peak[:, None, None], -1.0, 1.0)], axis=3)
    return Candidates(ys, xs, features, patches.astype(np.float32))
