"""Per-hop statistics of a sweep: the dwell mean per bin and the burst (frame maximum) test.

Each hop's raw bytes are kept as they arrive and reduced in one vectorised pass at the end
of the sweep, hops in chunks small enough to stay in cache: per-call overhead would
otherwise dominate the few frames of each hop.

The burst statistic of scale W is the largest single-frame mean over W adjacent bins. For
W > 1 the windows are taken at a stride of W/2 (each bin is served by the window centred
nearest to it): half-overlapping windows lose at most a quarter of a W-wide burst and cost
2/W of sliding ones, which is what keeps the sweep DSP far faster than real time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from device.rf.psd import Welch, frame_power_chunks, power_norm
from device.rf.sweep import SweepPlan

FloatArray = npt.NDArray[np.float64]
F32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

# Below this many frames per dwell a burst is diluted by at most 1/3 in the mean: the mean
# test finds it nearly as well, so the frame-maximum test is skipped.
MIN_BURST_FRAMES = 4
# Frames reduced per vectorised pass: 256 x 1024 bins of float32 power (1 MB) from 2 MB of
# FFT input. A pass costs about 40 numpy calls whatever its size; measured on the x86 host,
# 256 frames run 5% faster than 128 (which kept the power alone in a Pi's 1 MB L2).
_CHUNK_FRAMES = 256


def burst_tests(welch: Welch) -> bool:
    """Whether the dwell has enough frames for the frame-maximum test to beat the mean."""
    return welch.frames >= MIN_BURST_FRAMES


@dataclass
class SweepBuffer:
    """The raw bytes of every hop of one sweep, reduced in one vectorised pass at its end."""

    plan: SweepPlan
    scales: tuple[int, ...]
    samples: int  # complex samples kept per hop
    raw: npt.NDArray[np.uint8] = field(init=False, repr=False)
    filled: npt.NDArray[np.bool_] = field(init=False)
    gain_offset_db: FloatArray = field(init=False)  # sweep gain minus the gain a hop was read at
    t_end_s: float = 0.0

    def __post_init__(self) -> None:
        self.raw = np.empty((len(self.plan.hops), 2 * self.samples), dtype=np.uint8)
        self.filled = np.zeros(len(self.plan.hops), dtype=bool)
        self.gain_offset_db = np.zeros(len(self.plan.hops))

    @property
    def ranged(self) -> npt.NDArray[np.bool_]:
        """Hops read at a lower gain because they clipped at the sweep gain."""
        return np.asarray(self.gain_offset_db > 0)

    @property
    def complete(self) -> bool:
        return bool(self.filled.all())

    def add(self, hop_index: int, data: npt.NDArray[np.uint8], gain_offset_db: float = 0.0) -> None:
        """Keep one hop's interleaved bytes (exactly `samples` complex samples)."""
        if data.size != 2 * self.samples:
            raise ValueError(f"expected {2 * self.samples} bytes for a hop, got {data.size}")
        self.raw[hop_index] = data
        self.filled[hop_index] = True
        self.gain_offset_db[hop_index] = gain_offset_db

    def reduce(self, welch: Welch, shape: FloatArray) -> tuple[F32Array, F32Array]:
        """(mean (hops x bins), burst (scales x hops x bins)) for the whole sweep.

        `burst` is over the passband `shape`, inside the kept span, zero elsewhere.
        """
        plan = self.plan
        hops, size = len(plan.hops), plan.fft_size
        crop = plan.crop_bins
        kept = size - 2 * crop
        span = slice(crop, size - crop)
        mean = np.empty((hops, size), dtype=np.float32)
        bursts = burst_tests(welch)
        burst = np.zeros((len(self.scales), hops, size), dtype=np.float32)
        # Per scale, the largest frame's sum in each window: scale 1 straight into `burst`,
        # wider ones per window (hops x windows, one spare zero column for the cropped bins)
        # spread to bins once at the end. No hops x bins temporaries: fresh pages are dear.
        spread: dict[int, F32Array] = {}
        targets: list[F32Array] = []
        for i, width in enumerate(self.scales):
            if width <= 1:
                targets.append(burst[i][:, span])
            else:
                spread[i] = np.zeros((hops, _window_count(kept, width) + 1), dtype=np.float32)
                targets.append(spread[i][:, :-1])
        centre = size // 2 - crop
        chunk = max(1, _CHUNK_FRAMES // welch.frames)
        for start, stop, frames in frame_power_chunks(self.raw, welch, chunk):
            np.add.reduce(frames, axis=1, out=mean[start:stop])
            if bursts:
                part = frames[:, :, span]
                neutral_dc(part, centre, plan.dc_bins)
                window_maxima(part, self.scales, [t[start:stop] for t in targets])
        # Powers of hops read at a lower gain are referred back to the sweep gain.
        gain = 10.0 ** (self.gain_offset_db / 10.0)
        mean *= (power_norm(welch) / welch.frames * gain).astype(np.float32)[:, None]
        if not bursts:
            return mean, burst
        shape_kept = np.asarray(shape, dtype=np.float64)[span]
        hop_scale = (power_norm(welch) * gain).astype(np.float32)[:, None]
        for i, width in enumerate(self.scales):
            ref = _window_means(shape_kept, width)
            targets[i] *= hop_scale
            targets[i] *= (1.0 / (_bins_per_window(width) * ref)).astype(np.float32)
            if i in spread:
                np.take(spread[i], _bin_to_window(size, crop, width), axis=1, out=burst[i])
        return mean, burst


def _bins_per_window(width: int) -> int:
    """Bins summed by one window of scale `width` (2 x half for W > 1)."""
    return 1 if width <= 1 else 2 * (width // 2)


def _window_count(n: int, width: int) -> int:
    """Windows of scale `width` over n bins: every bin for W = 1, stride W/2 otherwise."""
    return n if width <= 1 else max(n // (width // 2) - 1, 1)


def window_maxima(
    frames: F32Array, scales: tuple[int, ...], out: list[F32Array] | None = None
) -> list[F32Array]:
    """Per scale, the largest over frames of the sum in each window ((hops x frames x n) in).

    Scale 1 is the bin itself; scale W > 1 sums 2·(W//2) bins in windows W//2 apart.
    Results go to `out` (hops x windows each) when given.
    """
    sums: dict[int, F32Array] = {}
    result: list[F32Array] = []
    for i, width in enumerate(scales):
        if width <= 1:
            windows = frames
        else:
            block = _block_sums(frames, width // 2, sums)
            windows = block[..., :-1] + block[..., 1:] if block.shape[-1] > 1 else block
        dst = None if out is None else out[i]
        result.append(np.maximum.reduce(windows, axis=1, out=dst))
    return result


def _block_sums(frames: F32Array, half: int, cache: dict[int, F32Array]) -> F32Array:
    """Sums of `half` consecutive bins, built from the largest cached block size dividing
    `half`: a product with a vector of ones over a (blocks x step) view of each frame, one
    BLAS call per frame (far cheaper than strided adds or a reshape-sum over a short axis)."""
    if half in cache:
        return cache[half]
    base, src = 1, frames
    for h, arr in cache.items():
        if half % h == 0 and h > base:
            base, src = h, arr
    step = half // base
    if step == 1:
        return src
    count = src.shape[-1] // step
    blocks = src[..., : count * step].reshape(*src.shape[:-1], count, step)
    out = np.matmul(blocks, _ones(step))
    cache[half] = out
    return out


@functools.lru_cache(maxsize=8)
def _ones(n: int) -> F32Array:
    return np.ones(n, dtype=np.float32)


@functools.lru_cache(maxsize=32)
def _nearest_window(n: int, width: int) -> IntArray:
    """For each of n bins, the stride-W/2 window whose centre is nearest."""
    if width <= 1:
        return np.arange(n, dtype=np.int64)
    half = width // 2
    count = n // half - 1
    centre_of_first = half  # window i spans [i*half, i*half + 2*half)
    idx = np.rint((np.arange(n) - centre_of_first) / half).astype(np.int64)
    return np.asarray(np.clip(idx, 0, max(count - 1, 0)))


@functools.lru_cache(maxsize=32)
def _bin_to_window(size: int, crop: int, width: int) -> IntArray:
    """Window index of every bin of a hop; the cropped bins get the index one past the last."""
    kept = size - 2 * crop
    idx = np.full(size, _window_count(kept, width), dtype=np.int64)
    idx[crop : size - crop] = _nearest_window(kept, width)
    return idx


def _window_means(shape: FloatArray, width: int) -> FloatArray:
    """The passband shape averaged over each window of scale `width` (windows, not bins)."""
    s = shape[None, None, :].astype(np.float32)
    return np.asarray(window_maxima(s, (width,))[0][0], dtype=np.float64) / _bins_per_window(width)


def neutral_dc(rows: F32Array, center: int, dc_bins: int, value: float | None = None) -> None:
    """Overwrite the DC-notch bins so windows spanning them are not pulled up or down.

    By default with the mean of the two bins just outside the notch (the local level).
    """
    lo, hi = center - dc_bins, center + dc_bins + 1
    if value is None:
        rows[..., lo:hi] = 0.5 * (rows[..., lo - 1 : lo] + rows[..., hi : hi + 1])
    else:
        rows[..., lo:hi] = value
