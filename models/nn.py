"""A small NHWC convolutional network trained with numpy alone (no framework needed).

Architecture (fixed, small enough for a Pi core at hundreds of patches per second):
conv3x3 SAME + ReLU -> maxpool 2 -> conv3x3 SAME + ReLU -> maxpool 2 -> dense + ReLU ->
dense -> logistic. Float64 maths during training; `models/tflite_writer.py` exports it.
Deterministic given the seed and the data order (single-threaded BLAS recommended).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

F = npt.NDArray[np.float64]


@dataclass
class CnnParams:
    """Weights in the layouts the exporter expects: conv [kh,kw,cin,cout], dense [in,out]."""

    conv1_w: F
    conv1_b: F
    conv2_w: F
    conv2_b: F
    fc1_w: F
    fc1_b: F
    fc2_w: F
    fc2_b: F
    input_shape: tuple[int, int, int] = (16, 16, 3)

    def arrays(self) -> dict[str, F]:
        return {k: getattr(self, k) for k in ("conv1_w", "conv1_b", "conv2_w", "conv2_b",
                                              "fc1_w", "fc1_b", "fc2_w", "fc2_b")}

    def n_params(self) -> int:
        return int(sum(a.size for a in self.arrays().values()))


def init_params(input_shape: tuple[int, int, int], c1: int, c2: int, hidden: int,
                rng: np.random.Generator, dtype: type = np.float64) -> CnnParams:
    """He-initialised weights for the fixed architecture (float32 trains about twice as fast)."""
    h, w, c = input_shape
    if h % 4 or w % 4:
        raise ValueError("patch side must be a multiple of 4 (two 2x2 poolings)")
    flat = (h // 4) * (w // 4) * c2

    def he(shape: tuple[int, ...], fan_in: int) -> F:
        out: F = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape).astype(dtype)
        return out

    def zeros(n: int) -> F:
        out: F = np.zeros(n, dtype)
        return out

    return CnnParams(
        conv1_w=he((3, 3, c, c1), 9 * c), conv1_b=zeros(c1),
        conv2_w=he((3, 3, c1, c2), 9 * c1), conv2_b=zeros(c2),
        fc1_w=he((flat, hidden), flat), fc1_b=zeros(hidden),
        fc2_w=he((hidden, 1), hidden) * 0.1, fc2_b=zeros(1),
        input_shape=input_shape,
    )


def _im2col(x: F) -> F:
    """3x3 SAME patches of NHWC `x` as [N,H,W,9*C] in (kh, kw, c) order."""
    _, h, w, _ = x.shape
    p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    cols = [p[:, i:i + h, j:j + w, :] for i in range(3) for j in range(3)]
    return np.concatenate(cols, axis=3)


def _col2im(dcols: F, shape: tuple[int, ...]) -> F:
    n, h, w, c = shape
    dp = np.zeros((n, h + 2, w + 2, c), dcols.dtype)
    k = 0
    for i in range(3):
        for j in range(3):
            dp[:, i:i + h, j:j + w, :] += dcols[..., k * c:(k + 1) * c]
            k += 1
    return dp[:, 1:-1, 1:-1, :]


def _pool(x: F) -> tuple[F, F]:
    n, h, w, c = x.shape
    r = x.reshape(n, h // 2, 2, w // 2, 2, c)
    out = r.max(axis=(2, 4))
    mask = (r == out[:, :, None, :, None, :]).astype(x.dtype)
    return out, mask


def _unpool(dout: F, mask: F) -> F:
    n, h2, _, w2, _, c = mask.shape
    d = mask * dout[:, :, None, :, None, :]
    return d.reshape(n, h2 * 2, w2 * 2, c)


@dataclass
class _Cache:
    items: dict[str, F] = field(default_factory=dict)


def forward(p: CnnParams, x: F, cache: _Cache | None = None) -> F:
    """Logits (N,) for NHWC inputs `x`."""
    c = cache.items if cache is not None else {}
    cols1 = _im2col(x)
    a1 = np.maximum(cols1 @ p.conv1_w.reshape(-1, p.conv1_w.shape[3]) + p.conv1_b, 0.0)
    p1, m1 = _pool(a1)
    cols2 = _im2col(p1)
    a2 = np.maximum(cols2 @ p.conv2_w.reshape(-1, p.conv2_w.shape[3]) + p.conv2_b, 0.0)
    p2, m2 = _pool(a2)
    flat = p2.reshape(p2.shape[0], -1)
    h = np.maximum(flat @ p.fc1_w + p.fc1_b, 0.0)
    logits: F = (h @ p.fc2_w + p.fc2_b)[:, 0]
    c.update(x=x, cols1=cols1, a1=a1, m1=m1, p1=p1, cols2=cols2, a2=a2, m2=m2, flat=flat, h=h)
    return logits


def backward(p: CnnParams, cache: _Cache, dlogits: F) -> dict[str, F]:
    """Gradients of the loss w.r.t. every parameter, given dLoss/dlogits."""
    c = cache.items
    g: dict[str, F] = {}
    dl = dlogits[:, None]
    g["fc2_w"] = c["h"].T @ dl
    g["fc2_b"] = dl.sum(axis=0)
    dh = (dl @ p.fc2_w.T) * (c["h"] > 0)
    g["fc1_w"] = c["flat"].T @ dh
    g["fc1_b"] = dh.sum(axis=0)
    dflat = dh @ p.fc1_w.T
    da2 = _unpool(dflat.reshape(c["m2"].shape[0], c["m2"].shape[1], c["m2"].shape[3],
                                c["m2"].shape[5]), c["m2"]) * (c["a2"] > 0)
    k2 = da2.reshape(-1, da2.shape[3])
    g["conv2_w"] = (c["cols2"].reshape(-1, c["cols2"].shape[3]).T @ k2).reshape(p.conv2_w.shape)
    g["conv2_b"] = k2.sum(axis=0)
    dcols2 = da2 @ p.conv2_w.reshape(-1, p.conv2_w.shape[3]).T
    dp1 = _col2im(dcols2, c["p1"].shape)
    da1 = _unpool(dp1, c["m1"]) * (c["a1"] > 0)
    k1 = da1.reshape(-1, da1.shape[3])
    g["conv1_w"] = (c["cols1"].reshape(-1, c["cols1"].shape[3]).T @ k1).reshape(p.conv1_w.shape)
    g["conv1_b"] = k1.sum(axis=0)
    return g


def sigmoid(z: F) -> F:
    out: F = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


@dataclass
class Adam:
    """Adam optimiser state over a CnnParams."""

    lr: float = 2e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 1e-4
    t: int = 0
    m: dict[str, F] = field(default_factory=dict)
    v: dict[str, F] = field(default_factory=dict)

    def step(self, p: CnnParams, grads: dict[str, F]) -> None:
        self.t += 1
        for name, g in grads.items():
            w = getattr(p, name)
            if name.endswith("_w"):
                g = g + self.weight_decay * w
            m = self.m.get(name, np.zeros_like(w)) * self.beta1 + (1 - self.beta1) * g
            v = self.v.get(name, np.zeros_like(w)) * self.beta2 + (1 - self.beta2) * g * g
            self.m[name], self.v[name] = m, v
            mh = m / (1 - self.beta1 ** self.t)
            vh = v / (1 - self.beta2 ** self.t)
            setattr(p, name, w - self.lr * mh / (np.sqrt(vh) + self.eps))


def train(p: CnnParams, x: F, y: F, weights: F, epochs: int, batch: int,
          rng: np.random.Generator, lr: float = 2e-3) -> list[float]:
    """Minibatch Adam on weighted binary cross-entropy; returns the mean loss per epoch."""
    opt = Adam(lr=lr)
    losses: list[float] = []
    n = x.shape[0]
    for epoch in range(epochs):
        opt.lr = lr * 0.5 * (1 + np.cos(np.pi * epoch / epochs))  # cosine decay
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            cache = _Cache()
            z = forward(p, x[idx], cache)
            prob = sigmoid(z)
            w = weights[idx]
            eps = 1e-7
            total += float(-(w * (y[idx] * np.log(prob + eps)
                                  + (1 - y[idx]) * np.log(1 - prob + eps))).sum())
            dz = (w * (prob - y[idx]) / w.sum()).astype(x.dtype)
            opt.step(p, backward(p, cache, dz))
        losses.append(total / float(weights.sum()))
    return losses


def predict(p: CnnParams, x: F, batch: int = 2048) -> F:
    """Lens probabilities (N,) for NHWC inputs."""
    out = [sigmoid(forward(p, x[i:i + batch])) for i in range(0, x.shape[0], batch)]
    return np.concatenate(out) if out else np.zeros(0)
