"""The learned noise floor's estimators against their plain numpy definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from device.rf import cfar
from device.rf.floor import NoiseFloor, _nan_median_rows
from device.rf.sweep import plan_sweep


def test_nan_median_rows_is_nanmedian() -> None:
    rng = np.random.default_rng(1)
    rows = rng.random((300, 9))
    rows[rng.random(rows.shape) < 0.7] = np.nan
    rows[:, 0] = rng.random(300)  # every row keeps at least one number
    counts = np.count_nonzero(~np.isnan(rows), axis=1)
    assert {1, 2, 3} <= set(counts.tolist())  # odd and even counts, a single number
    np.testing.assert_array_equal(_nan_median_rows(rows, counts), np.nanmedian(rows, axis=1))


@pytest.mark.parametrize("estimator", ["os", "ca"])
def test_first_update_follows_the_estimator_definitions(estimator: str) -> None:
    plan = plan_sweep("test", [(400e6, 500e6)], 2.4e6, 256, 0.1, 2, 0)
    looks = 8.0
    floor = NoiseFloor(256, plan.crop_bins, 2, looks, estimator, 0.5)
    rng = np.random.default_rng(2)
    hops = len(plan.hops)
    true_shape = 1.0 + 0.3 * np.cos(np.arange(256) / 40.0)
    true_levels = np.linspace(1.0, 2.0, hops)
    rows = rng.gamma(looks, 1.0 / looks, (hops, 256)) * np.outer(true_levels, true_shape)
    floor.update(plan, rows)
    # The definitions, written out: over the kept bins, a quantile (or the mean) per hop of
    # the rows over the shape, then the median over hops per bin normalised to a mean of 1.
    kept = floor.kept

    def levels_over(shape: np.ndarray) -> np.ndarray:
        ratio = rows[:, kept] / shape[kept]
        if estimator == "ca":
            return np.asarray(ratio.mean(axis=1))
        k = math.floor(0.5 * kept.sum())
        return np.partition(ratio, k, axis=1)[:, k] * cfar.quantile_to_mean(0.5, looks)

    def shape_under(levels: np.ndarray) -> np.ndarray:
        med = np.median(rows[:, kept] / levels[:, None], axis=0)
        shape = np.ones(256)
        shape[kept] = med / med.mean()
        return shape

    # The first sweep: a shape from flat levels, the levels over it, the shape again.
    levels = levels_over(shape_under(levels_over(np.ones(256))))
    np.testing.assert_allclose(floor.levels(plan), levels, rtol=1e-12)
    np.testing.assert_allclose(floor.shape, shape_under(levels), rtol=1e-12)
    assert np.corrcoef(floor.shape[kept], true_shape[kept])[0, 1] > 0.9
