"""Training code: gradients of the numpy CNN, and its TFLite export loaded by the runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from device.vision.tflite import TfliteModel
from models import nn


def _params(seed: int = 0) -> nn.CnnParams:
    rng = np.random.default_rng(seed)
    p = nn.init_params((8, 8, 4), 3, 4, 5, rng)
    for v in p.arrays().values():
        v += rng.normal(0, 0.05, v.shape)
    return p


def test_backward_matches_numerical_gradient() -> None:
    p = _params()
    rng = np.random.default_rng(1)
    x = rng.random((3, 8, 8, 4))
    y = np.array([0.0, 1.0, 1.0])

    def loss() -> float:
        pr = nn.sigmoid(nn.forward(p, x))
        return float(-(y * np.log(pr) + (1 - y) * np.log(1 - pr)).sum())

    cache = nn._Cache()
    grads = nn.backward(p, cache, nn.sigmoid(nn.forward(p, x, cache)) - y)
    for name, w in p.arrays().items():
        i = tuple(int(rng.integers(0, s)) for s in w.shape)
        w[i] += 1e-6
        up = loss()
        w[i] -= 2e-6
        down = loss()
        w[i] += 1e-6
        assert grads[name][i] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-7)


def test_training_separates_a_toy_problem() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((200, 8, 8, 4)) * 0.2
    y = (rng.random(200) < 0.5).astype(float)
    x[y == 1, 3:5, 3:5, 2] += 0.8  # positives carry a bright centre in the difference channel
    p = _params(3)
    losses = nn.train(p, x, y, np.ones(200), epochs=15, batch=32, rng=rng, lr=5e-3)
    assert losses[-1] < losses[0] / 3
    assert np.mean((nn.predict(p, x) > 0.5) == (y == 1)) > 0.95


@pytest.mark.parametrize("half", [False, True])
def test_export_is_loadable_and_matches_numpy(tmp_path: Path, half: bool) -> None:
    writer = pytest.importorskip("models.tflite_writer", reason="flatbuffers not installed")
    p = _params(4)
    path = tmp_path / "m.tflite"
    size = writer.write(p, path, half=half)
    assert path.stat().st_size == size
    model = TfliteModel(path)
    assert model.sample_shape == (8, 8, 4)
    x = np.random.default_rng(5).random((6, 8, 8, 4))
    got = model.predict(x.astype(np.float32))[:, 0]
    assert np.max(np.abs(got - nn.predict(p, x))) < (1e-3 if half else 1e-5)
