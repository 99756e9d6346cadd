"""The glint classifier: lens probability for each candidate patch, from models/glint.tflite.

The model is loaded once per process (tflite-runtime first, then ai-edge-litert) and run on
all candidates of a frame pair in one batch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

from device.config import VisionConfig
from device.hal.base import PartError
from device.vision.features import N_CHANNELS, Candidates
from device.vision.tflite import TfliteModel

F32 = npt.NDArray[np.float32]


def default_model_path() -> Path:
    """models/glint.tflite next to the `device` package (source tree or editable install)."""
    return Path(__file__).resolve().parents[2] / "models" / "glint.tflite"


def resolve_model_path(configured: str) -> Path:
    """vision.model_path, or the packaged model when it is empty."""
    return Path(configured).expanduser() if configured else default_model_path()


class GlintClassifier:
    """Scores candidate patches: probability 0..1 that each is a camera lens."""

    def __init__(self, path: Path, num_threads: int, patch_px: int) -> None:
        self.model = TfliteModel(path, num_threads=num_threads)
        want = (patch_px, patch_px, N_CHANNELS)
        if self.model.sample_shape != want:
            raise PartError(
                "vision model",
                f"{path} takes patches of shape {self.model.sample_shape}, but the detector "
                f"makes {want} (vision.patch_px = {patch_px})",
                "set vision.patch_px to the model's patch side, or retrain with models/train.py",
            )

    def describe(self) -> str:
        """What is loaded and by which runtime, for the self-test and the logs."""
        size_kb = self.model.path.stat().st_size / 1024
        return (
            f"{self.model.path.name} ({size_kb:.0f} KB, patches "
            f"{'x'.join(map(str, self.model.sample_shape))}) on {self.model.runtime}"
        )

    def scores(self, cands: Candidates) -> F32:
        """Lens probability per candidate, in the candidates' order."""
        if len(cands) == 0:
            return np.zeros(0, np.float32)
        out = self.model.predict(cands.patches).reshape(len(cands), -1)[:, 0]
        return np.clip(out, 0.0, 1.0).astype(np.float32)


def load_default_classifier(cfg: VisionConfig) -> GlintClassifier:
    """The classifier the [vision] config names (PartError when missing or unusable)."""
    return GlintClassifier(resolve_model_path(cfg.model_path), cfg.num_threads, cfg.patch_px)


def model_version(configured_path: str) -> str:
    """The lens model's file name and the start of its SHA-256, for the sweep record."""
    path = resolve_model_path(configured_path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return f"{path.name} (missing)"
    return f"{path.name} sha256:{digest}"
