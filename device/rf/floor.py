"""The learned per-bin noise floor: the tuner's passband shape times a level per hop.

A fixed threshold fails on an RTL-SDR: the noise floor moves with frequency, gain and the
position inside each hop by several dB, and a 1 dB error already costs the energy detector
its sensitivity (the SNR wall). So the floor is learned, per bin, from the sweeps:

- the passband shape is the same for every hop, so it is the median over all hops of each
  in-hop bin (emitters fill few hops and do not move the median);
- each hop's level is an ordered statistic (or the mean, `estimator = "ca"`) of its bins
  over the shape: robust to emitters filling part of the hop;
- a hop whose level stands more than `raise_db` above its neighbours within
  `neighbour_hz` is taken to be filled by an emitter (a wide video sender) and gets the
  neighbours' level instead;
- levels and shape are averaged over sweeps (weight `alpha`); a hop that rises by more than
  its estimation noise is not learned from, so an approaching emitter cannot creep in.

`ref_looks` is the floor's precision in equivalent looks, which sets the CFAR threshold
(device.rf.cfar.learned_threshold).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from device.rf import cfar
from device.rf.sweep import SweepPlan, stitch

FloatArray = npt.NDArray[np.float64]


class NoiseFloor:
    """Learns shape and per-hop levels from (hops x fft_size) Welch rows of each sweep."""

    def __init__(
        self,
        fft_size: int,
        crop_bins: int,
        dc_bins: int,
        looks: float,
        estimator: str = "os",
        quantile: float = 0.5,
        raise_db: float = 3.0,
        neighbour_hz: float = 100e6,
        alpha: float = 0.3,
    ) -> None:
        if estimator not in ("os", "ca"):
            raise ValueError("estimator must be 'os' or 'ca'")
        self.fft_size = fft_size
        self.looks = looks
        self.estimator = estimator
        self.quantile = quantile
        self.raise_ratio = 10.0 ** (raise_db / 10.0)
        self.neighbour_hz = neighbour_hz
        self.alpha = alpha
        half = fft_size // 2
        bins = np.arange(fft_size)
        self.kept = (bins >= crop_bins) & (bins < fft_size - crop_bins) & (
            np.abs(bins - half) > dc_bins
        )
        self.n_kept = int(self.kept.sum())
        self._kept_idx = np.flatnonzero(self.kept)  # a take by index beats a boolean mask
        self._to_mean = cfar.quantile_to_mean(quantile, looks) if estimator == "os" else 1.0
        self.shape = np.ones(fft_size)
        self._levels: dict[int, FloatArray] = {}
        self._updates = 0
        self._hops_seen = 0

    def reset(self) -> None:
        """Forget everything (the gain changed: the floor in dBFS moved)."""
        self.shape = np.ones(self.fft_size)
        self._levels.clear()
        self._updates = 0

    @property
    def ready(self) -> bool:
        return self._updates > 0

    def levels(self, plan: SweepPlan) -> FloatArray:
        """Learned level per hop of `plan` (its phase); the current estimate if none yet."""
        return self._levels[plan.phase]

    def hop_floor(self, plan: SweepPlan) -> FloatArray:
        """(hops x fft_size) floor: shape times level."""
        return np.outer(self.levels(plan), self.shape)

    def grid_floor(self, plan: SweepPlan) -> FloatArray:
        """The floor at each grid position of `plan`."""
        return stitch(plan, self.hop_floor(plan))

    def level_looks(self) -> float:
        """Equivalent looks of one sweep's level estimate for a hop."""
        if self.estimator == "os":
            return cfar.quantile_ref_dof(self.n_kept, self.quantile, self.looks)
        return self.n_kept * self.looks

    def ref_looks(self) -> float:
        """Equivalent looks of the floor estimate at one bin (level and shape errors)."""
        if self._updates == 0:
            return 1.0
        shape_looks = cfar.quantile_ref_dof(max(self._hops_seen, 3), 0.5, self.looks)
        # An average over sweeps with weight alpha holds (2 - alpha)/alpha sweeps' worth.
        sweeps = min(float(self._updates), (2.0 - self.alpha) / self.alpha)
        return sweeps / (1.0 / self.level_looks() + 1.0 / shape_looks)

    def update(
        self, plan: SweepPlan, hop_rows: FloatArray, skip: npt.NDArray[np.bool_] | None = None
    ) -> None:
        """Learn from one sweep's Welch rows (hops x fft_size, linear power).

        Hops in `skip` (read at a reduced gain: their noise is the ADC's, not the tuner's)
        take their neighbours' level and teach nothing about the passband shape.
        """
        rows = np.asarray(hop_rows, dtype=np.float64)
        skip = np.zeros(rows.shape[0], dtype=bool) if skip is None else np.asarray(skip)
        first = self._updates == 0
        shape = self.shape
        if first:
            shape = self._estimate_shape(rows[~skip], self._estimate_levels(rows[~skip], shape))
        raw_levels = self._estimate_levels(rows, shape)
        raw_levels[skip] = np.nan  # unknown: replaced by the neighbours' median
        levels = self._clamp_raised(plan, raw_levels)
        if np.isnan(levels).any():
            known = levels[~np.isnan(levels)]
            levels[np.isnan(levels)] = np.median(known) if known.size else 1.0
        new_shape = self._estimate_shape(rows[~skip], levels[~skip]) if (~skip).any() else shape
        old = self._levels.get(plan.phase)
        if old is None or old.shape != levels.shape:
            self._levels[plan.phase] = levels
        else:
            blended = self._blend_levels(old, levels)
            self._levels[plan.phase] = np.where(skip, old, blended)
        self.shape = new_shape if first else (1 - self.alpha) * self.shape + self.alpha * new_shape
        self._updates += 1
        self._hops_seen = rows.shape[0]

    def _estimate_levels(self, rows: FloatArray, shape: FloatArray) -> FloatArray:
        ratio = np.take(rows, self._kept_idx, axis=1)
        ratio /= shape[self._kept_idx]
        if self.estimator == "ca":
            return np.asarray(ratio.mean(axis=1))
        k = min(ratio.shape[1] - 1, math.floor(self.quantile * ratio.shape[1]))
        ratio.partition(k, axis=1)
        return np.asarray(ratio[:, k] * self._to_mean)

    def _estimate_shape(self, rows: FloatArray, levels: FloatArray) -> FloatArray:
        shape = np.ones(self.fft_size)
        # Bins as rows (contiguous), so the median over hops partitions contiguous memory.
        ratio = np.ascontiguousarray(np.take(rows, self._kept_idx, axis=1).T)
        ratio /= levels
        med = np.median(ratio, axis=1, overwrite_input=True)
        med *= cfar.quantile_to_mean(0.5, self.looks)
        shape[self.kept] = med / med.mean()
        return shape

    def _clamp_raised(self, plan: SweepPlan, levels: FloatArray) -> FloatArray:
        centers = np.array([h.center_hz for h in plan.hops])
        lo = np.searchsorted(centers, centers - self.neighbour_hz)
        hi = np.searchsorted(centers, centers + self.neighbour_hz, side="right")
        width = int((hi - lo).max())
        idx = lo[:, None] + np.arange(width)[None, :]
        valid = (idx < hi[:, None]) & (idx != np.arange(levels.size)[:, None])
        near = np.where(valid, levels[np.minimum(idx, levels.size - 1)], np.nan)
        valid_count = np.count_nonzero(~np.isnan(near), axis=1)
        enough = valid_count >= 2
        ref = np.full(levels.size, np.nan)
        if enough.any():
            ref[enough] = _nan_median_rows(near[enough], valid_count[enough])
        with np.errstate(invalid="ignore"):
            raised = levels > ref * self.raise_ratio
        unknown = np.isnan(levels) & ~np.isnan(ref)
        return np.where(raised | unknown, ref, levels)

    def _blend_levels(self, old: FloatArray, new: FloatArray) -> FloatArray:
        ratio = new / old
        # The whole band moving together is drift (temperature, supply): follow it. Hops
        # an emitter has raised are left out of that estimate, unless most hops moved, which
        # is a real step of the whole receiver.
        calm = ratio[ratio < self.raise_ratio]
        drift = float(np.median(calm if calm.size * 2 >= ratio.size else ratio))
        base = old * drift
        noise = 1.0 / math.sqrt(self.level_looks())
        rising = new > base * (1.0 + 3.0 * noise)
        blended = (1 - self.alpha) * base + self.alpha * new
        return np.where(rising, base, blended)


def _nan_median_rows(rows: FloatArray, valid_count: npt.NDArray[np.intp]) -> FloatArray:
    """np.nanmedian over axis 1 (rows holding `valid_count` numbers each, at least one),
    by one sort: NaN sorts last, so the middle of each row's numbers is known by index."""
    ordered = np.sort(rows, axis=1)
    r = np.arange(rows.shape[0])
    hi = ordered[r, valid_count // 2]
    lo = ordered[r, (valid_count - 1) // 2]
    return np.asarray((lo + hi) / 2)
