"""Offline analysis of one captured ON/OFF frame pair (what `camsweep analyze-frames` runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from device.config import VisionConfig
from device.events import Gray
from device.hal.imageio import read_grey
from device.vision.pipeline import Detection, PairAnalyzer, Scorer

SENSOR_BITS = (8, 10, 12, 14, 16)


class FramePairError(ValueError):
    """The two frames cannot be compared; the message says why and how to fix it."""


def common_uint8(on: npt.NDArray[np.integer], off: npt.NDArray[np.integer]) -> tuple[Gray, Gray]:
    """Both frames as 8-bit with ONE scale, so their difference keeps its meaning.

    16-bit files often hold 10-, 12- or 14-bit sensor data: the smallest of those depths that
    holds both frames' maximum is mapped to 0..255 (a right shift), never each frame on its own.
    """
    if on.dtype == np.uint8 and off.dtype == np.uint8:
        return on.astype(np.uint8, copy=False), off.astype(np.uint8, copy=False)
    top = int(max(on.max(initial=0), off.max(initial=0)))
    bits = next(b for b in SENSOR_BITS if top < (1 << b))
    shift = bits - 8
    return ((on.astype(np.uint32) >> shift).astype(np.uint8),
            (off.astype(np.uint32) >> shift).astype(np.uint8))


def load_pair(on_path: Path, off_path: Path) -> tuple[Gray, Gray]:
    """Read and check an ON/OFF pair (ImageReadError or FramePairError on bad input)."""
    on = read_grey(on_path)
    off = read_grey(off_path)
    if on.shape != off.shape:
        raise FramePairError(
            f"the ON frame {on_path} is {on.shape[1]}x{on.shape[0]} but the OFF frame {off_path} "
            f"is {off.shape[1]}x{off.shape[0]}; give two frames from the same camera mode")
    if on.size == 0:
        raise FramePairError(f"{on_path} and {off_path} have no pixels; give real frames")
    return common_uint8(on, off)


def analyze_pair(on: Gray, off: Gray, cfg: VisionConfig,
                 classifier: Scorer | None) -> list[Detection]:
    """Scored candidates of one pair, brightest first, in the input's pixel coordinates."""
    analyzer = PairAnalyzer(cfg, classifier)
    return analyzer.analyze(on, off).detections()
