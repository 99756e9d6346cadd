"""Real photographs used as room backgrounds: scikit-image's bundled public-domain images.

The images ship inside the scikit-image wheel (no download at run time). Training and
evaluation use disjoint photos so the metrics are measured on backgrounds the model never saw.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]

# Photographs (not drawings or microscopy), split once and for all.
TRAIN_PHOTOS = ("astronaut", "camera", "coffee", "brick", "gravel", "page", "coins",
                "stereo_motorcycle")
EVAL_PHOTOS = ("chelsea", "rocket", "grass", "text", "clock")


def _loader(name: str) -> Callable[[], npt.NDArray[np.generic]]:
    try:
        import skimage.data as skdata
    except ImportError as exc:
        raise RuntimeError(
            "the training backgrounds come from scikit-image: install it in the training venv "
            "(python -m venv /tmp/trainvenv && /tmp/trainvenv/bin/pip install 'numpy<2' "
            "scikit-image flatbuffers && /tmp/trainvenv/bin/pip install -e .)"
        ) from exc
    fn: Callable[[], npt.NDArray[np.generic]] = getattr(skdata, name)
    return fn


def to_gray(img: npt.NDArray[np.generic]) -> Gray:
    """uint8 luma (ITU-R 601) of a grey, RGB or RGBA photograph."""
    a = np.asarray(img).astype(np.float32)
    if a.ndim == 3:
        a = a[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    if np.asarray(img).dtype == np.bool_:
        a = a * 255
    return np.clip(np.round(a), 0, 255).astype(np.uint8)


def load(name: str) -> Gray:
    """One photograph as a grey uint8 array."""
    img = _loader(name)()
    if isinstance(img, tuple):  # stereo_motorcycle returns (left, right, disparity)
        img = img[0]
    return to_gray(img)


def load_split(split: str) -> dict[str, Gray]:
    """All photographs of "train" or "eval"."""
    names = {"train": TRAIN_PHOTOS, "eval": EVAL_PHOTOS}[split]
    return {n: load(n) for n in names}
