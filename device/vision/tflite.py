"""The project's TFLite loader: one interpreter per model file, batched float32 inference.

tflite-runtime 2.14 is tried first (Pi OS Bookworm, numpy < 2), then ai-edge-litert (numpy 2,
Python 3.13). The interpreter is built once; inputs are fed in the model's own NHWC layout.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from device.hal.base import BackendUnavailable, PartError

log = logging.getLogger(__name__)

# (module, attribute) pairs tried in order; the first that imports wins.
RUNTIMES: tuple[tuple[str, str], ...] = (
    ("tflite_runtime.interpreter", "Interpreter"),
    ("ai_edge_litert.interpreter", "Interpreter"),
)

FloatArray = npt.NDArray[np.float32]


def interpreter_class() -> tuple[Any, str]:
    """Return the first importable TFLite Interpreter class and its module name."""
    errors: list[str] = []
    for module_name, attr in RUNTIMES:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:  # missing wheel, or tflite-runtime under numpy 2
            errors.append(f"{module_name}: {exc}")
            continue
        return getattr(module, attr), module_name
    raise BackendUnavailable(
        "tflite",
        "no TFLite runtime could be imported (" + "; ".join(errors) + ")",
        ".venv/bin/pip install 'tflite-runtime>=2.14' (needs numpy<2), "
        "or .venv/bin/pip install ai-edge-litert",
    )


class TfliteModel:
    """A loaded .tflite model with one float32 input and one output, run on batches."""

    def __init__(self, path: Path, num_threads: int = 1) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise PartError("vision model", f"model file {self.path} not found",
                            "set vision.model_path or regenerate it with models/train.py")
        cls, self.runtime = interpreter_class()
        try:
            self._interp = cls(model_path=str(self.path), num_threads=num_threads)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise PartError("vision model", f"{self.path} is not a usable TFLite model: {exc}",
                            "regenerate it with models/train.py") from exc
        inputs = self._interp.get_input_details()
        outputs = self._interp.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise PartError("vision model",
                            f"{self.path} has {len(inputs)} inputs and {len(outputs)} outputs; "
                            "expected one of each")
        self._in = inputs[0]
        self._out = outputs[0]
        if self._in["dtype"] != np.float32:
            raise PartError("vision model", f"{self.path} takes {self._in['dtype']}, not float32")
        self.sample_shape: tuple[int, ...] = tuple(int(d) for d in self._in["shape"][1:])
        self._batch = int(self._in["shape"][0])
        log.info("loaded %s with %s (input %s, %d thread(s))",
                 self.path, self.runtime, self.sample_shape, num_threads)

    def _resize(self, batch: int) -> None:
        if batch == self._batch:
            return
        self._interp.resize_tensor_input(self._in["index"], [batch, *self.sample_shape])
        self._interp.allocate_tensors()
        self._in = self._interp.get_input_details()[0]
        self._out = self._interp.get_output_details()[0]
        self._batch = batch

    def predict(self, batch: npt.ArrayLike) -> FloatArray:
        """Run the model on `batch` (N x sample_shape) and return N outputs, float32."""
        x = np.ascontiguousarray(batch, dtype=np.float32)
        if x.shape[1:] != self.sample_shape:
            raise ValueError(f"input of shape {x.shape[1:]} per sample; the model takes "
                             f"{self.sample_shape}")
        n = x.shape[0]
        if n == 0:
            return np.zeros((0, *self._out["shape"][1:]), dtype=np.float32)
        # Pad to a power of two so a varying number of candidates rarely reallocates.
        bucket = 1 << (n - 1).bit_length()
        if bucket != n:
            x = np.concatenate([x, np.zeros((bucket - n, *self.sample_shape), np.float32)])
        self._resize(bucket)
        self._interp.set_tensor(self._in["index"], x)
        self._interp.invoke()
        out: FloatArray = np.array(self._interp.get_tensor(self._out["index"]), dtype=np.float32)
        return out[:n]
