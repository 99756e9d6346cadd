"""The project's TFLite loader against real third-party models (LAPD) and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from device.hal.base import PartError
from device.vision.tflite import TfliteModel

LAPD = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tflite" / "lapd"
LAPD_MODELS = ["saved_model.tflite", "model1.tflite", "model2.tflite", "model3.tflite",
               "model4.tflite"]


def _known_answer() -> dict:
    path = LAPD / "known_answer_test.json"
    if not path.is_file():
        pytest.skip(f"real LAPD models not available at {LAPD} (../shared/data absent)")
    return json.loads(path.read_text())


@pytest.mark.parametrize("name", LAPD_MODELS)
def test_lapd_models_reproduce_known_answers(name: str) -> None:
    ref = _known_answer()
    model = TfliteModel(LAPD / name, num_threads=1)
    assert model.sample_shape == tuple(ref["input_shape"][1:])
    x = np.asarray(ref["input_flat_row_major"], dtype=np.float32).reshape(ref["input_shape"])
    got = float(model.predict(x).ravel()[0])
    assert abs(got - ref["expected_probability"][name]) <= 1e-4


def test_lapd_batch_matches_single() -> None:
    ref = _known_answer()
    model = TfliteModel(LAPD / "saved_model.tflite", num_threads=1)
    x = np.asarray(ref["input_flat_row_major"], dtype=np.float32).reshape(ref["input_shape"])
    rng = np.random.default_rng(0)
    batch = np.concatenate([x, rng.random((4, 5, 5, 2), dtype=np.float32)])
    out = model.predict(batch)
    assert out.shape == (5, 1)
    assert abs(float(out[0, 0]) - ref["expected_probability"]["saved_model.tflite"]) <= 1e-4
    assert model.predict(np.zeros((0, 5, 5, 2), np.float32)).shape == (0, 1)


def test_wrong_input_shape_is_a_clear_error() -> None:
    _known_answer()
    model = TfliteModel(LAPD / "model1.tflite")
    with pytest.raises(ValueError, match="model takes"):
        model.predict(np.zeros((1, 4, 4, 2), np.float32))


def test_missing_and_garbage_files(tmp_path: Path) -> None:
    with pytest.raises(PartError, match="not found"):
        TfliteModel(tmp_path / "nope.tflite")
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"not a flatbuffer at all" * 10)
    with pytest.raises(PartError, match="not a usable TFLite model"):
        TfliteModel(junk)
