"""Seeded noise of the sim camera: the pooled Gaussian field and its storage."""

from __future__ import annotations

import numpy as np

from device.sim.noise import POOL_SCALE, gaussian_image


def test_gaussian_image_is_unit_normal_in_pool_steps() -> None:
    field = gaussian_image(np.random.default_rng(3), 240, 320)
    assert field.dtype == np.int16 and field.shape == (240, 320)
    z = field / POOL_SCALE
    assert abs(float(z.mean())) < 0.02
    assert abs(float(z.std()) - 1.0) < 0.02
    assert float(np.abs(z).max()) > 3.5  # the tails are there, not clipped to the int16 range


def test_gaussian_image_is_deterministic_per_generator() -> None:
    a = gaussian_image(np.random.default_rng(11), 240, 320)
    b = gaussian_image(np.random.default_rng(11), 240, 320)
    c = gaussian_image(np.random.default_rng(12), 240, 320)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
