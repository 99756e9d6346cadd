"""Per-sweep detection against the learned floor, at several bandwidths, averaged and bursty.

Each hop contributes its Welch mean (the energy detector over the dwell) and, per scale, the
largest single-frame mean over `W` adjacent bins (the burst detector: a GSM slot or an LTE
subframe that the dwell average dilutes). At the end of a sweep both are divided by the
learned floor and compared with thresholds from the closed forms:

- mean over W bins and the dwell's frames: the exact tail of that correlated sum
  (device.rf.quadform), with the learned floor's own error (R looks) integrated over; with
  independent cells this is the CA-CFAR closed form F.isf(p, 2M, 2R);
- frame maximum over W bins: the same for one frame, at p / frames (a union bound over the
  frames of the dwell);
- p = Pfa / number of tests, so the union of all tests stays within the configured per-bin
  Pfa.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.rf import quadform
from device.rf.floor import NoiseFloor
from device.rf.hopstats import SweepBuffer, burst_tests, neutral_dc
from device.rf.psd import Welch, window_mean
from device.rf.sweep import stitch

FloatArray = npt.NDArray[np.float64]
F32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Thresholds:
    """Multipliers on the floor for each scale: dwell mean and single-frame maximum."""

    scales: tuple[int, ...]
    mean: tuple[float, ...]
    burst: tuple[float, ...]


def thresholds(welch: Welch, scales: tuple[int, ...], pfa: float, ref_looks: float) -> Thresholds:
    """Thresholds so that all tests together keep the per-bin `pfa` (a union bound)."""
    bursts = burst_tests(welch)
    per_test = pfa / ((2 if bursts else 1) * len(scales))
    looks = _quantised(ref_looks)
    size, step, frames = welch.fft_size, welch.step, welch.frames
    mean_t = tuple(quadform.threshold(size, step, frames, w, per_test, looks) for w in scales)
    if not bursts:
        return Thresholds(scales, mean_t, tuple(math.inf for _ in scales))
    burst_t = tuple(
        quadform.threshold(size, step, 1, w, per_test / frames, looks) for w in scales
    )
    return Thresholds(scales, mean_t, burst_t)


def _quantised(ref_looks: float) -> float:
    """Round to 5% steps: thresholds are cached, and 5% of the floor's looks changes nothing."""
    if not math.isfinite(ref_looks):
        return ref_looks
    return float(math.exp(round(math.log(max(ref_looks, 1.0)) / 0.05) * 0.05))


@dataclass(frozen=True)
class SweepDetection:
    """Everything known per grid position after one sweep."""

    power: FloatArray  # Welch mean, linear
    floor: FloatArray  # learned floor, linear
    z_mean: tuple[FloatArray, ...]  # per scale: windowed mean over the floor
    z_burst: tuple[FloatArray, ...]  # per scale: largest frame over the floor
    mask_mean: BoolArray
    mask_burst: BoolArray
    thresholds: Thresholds

    @property
    def mask(self) -> BoolArray:
        return np.asarray(self.mask_mean | self.mask_burst)


def detect(
    buf: SweepBuffer, mean: F32Array, burst: F32Array, floor: NoiseFloor, welch: Welch, pfa: float
) -> SweepDetection:
    """Normalise a reduced sweep by the learned floor and apply every test."""
    plan = buf.plan
    levels = floor.levels(plan)
    crop = plan.crop_bins
    span = slice(crop, plan.fft_size - crop)
    # Over the floor (level per hop times the shape), in the kept span only.
    ratio = np.divide(mean[:, span], floor.shape[span])
    ratio /= levels[:, None]
    ratio = ratio.astype(np.float32)
    neutral_dc(ratio, plan.fft_size // 2 - crop, plan.dc_bins, value=1.0)
    th = thresholds(welch, buf.scales, pfa, floor.ref_looks())
    z_mean: list[FloatArray] = []
    z_burst: list[FloatArray] = []
    mask_mean = np.zeros(plan.grid_k.size, dtype=bool)
    mask_burst = np.zeros(plan.grid_k.size, dtype=bool)
    full = np.ones((len(plan.hops), plan.fft_size), dtype=np.float64)
    inside = full[:, span]
    for i, width in enumerate(buf.scales):
        inside[...] = window_mean(ratio, width, axis=1)
        zm = stitch(plan, full)
        mask_mean |= zm > th.mean[i]
        if math.isfinite(th.burst[i]):
            np.divide(burst[i][:, span], levels[:, None], out=inside)
            zb = stitch(plan, full)
            mask_burst |= zb > th.burst[i]
        else:
            zb = zm
        z_mean.append(zm)
        z_burst.append(zb)
    power = stitch(plan, mean)
    return SweepDetection(
        power, floor.grid_floor(plan), tuple(z_mean), tuple(z_burst), mask_mean, mask_burst, th
    )
