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

from device.rf.psd import Welch, frame_powers_cu8_batch, power_norm
from device.rf.sweep import SweepPlan

FloatArray = npt.NDArray[np.float64]
F32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

# Below this many frames per dwell a burst is diluted by at most 1/3 in the mean: the mean
# test finds it nearly as well, so the frame-maximum test is skipped.
MIN_BURST_FRAMES = 4
# Frames reduced per vectorised pass (128 x 1024 x 4 bytes of power: 0.5 MB, cache sized).
_CHUNK_FRAMES = 128


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
        mean = np.zeros((hops, size), dtype=np.float32)
        burst = np.zeros((len(self.scales), hops, size), dtype=np.float32)
        bursts = burst_tests(welch)
        centre = size // 2 - crop
        chunk = max(1, _CHUNK_FRAMES // welch.frames)
        for start in range(0, hops, chunk):
            stop = min(hops, start + chunk)
            frames = frame_powers_cu8_batch(self.raw[start:stop], welch, normalise=False)
            mean[start:stop] = frames.mean(axis=1)
            if not bursts:
                continue
            part = frames[:, :, span]
            neutral_dc(part, centre, plan.dc_bins)
            cache: dict[int, F32Array] = {}
            for i, width in enumerate(self.scales):
                burst[i, start:stop, span] = frame_max(part, width, cache)
        # Powers of hops read at a lower gain are referred back to the sweep gain.
        scale = (power_norm(welch) * 10.0 ** (self.gain_offset_db / 10.0)).astype(np.float32)
        mean *= scale[:, None]
        if bursts:
            shape_kept = shape[span]
            for i, width in enumerate(self.scales):
                burst[i][:, span] *= scale[:, None] / window_shape(shape_kept, width, kept)
        return mean, burst


def frame_max(frames: F32Array, width: int, sums: dict[int, F32Array] | None = None) -> F32Array:
    """Largest over frames of the mean over `width` bins, per bin ((hops x frames x n) in).

    `sums` caches block sums between calls for several widths of the same frames.
    """
    if width <= 1:
        return np.asarray(frames.max(axis=1))
    n = frames.shape[-1]
    half = width // 2
    block = _block_sums(frames, half, {} if sums is None else sums)
    windows = block[..., :-1] + block[..., 1:]
    best = windows.max(axis=1) * np.float32(1.0 / (2 * half))
    return np.asarray(best[..., _nearest_window(n, width)])


def _block_sums(frames: F32Array, half: int, cache: dict[int, F32Array]) -> F32Array:
    """Sums of `half` consecutive bins, as strided adds (far cheaper than a reshape-sum),
    built from the largest cached block size dividing `half`."""
    if half in cache:
        return cache[half]
    base, src = 1, frames
    for h, arr in cache.items():
        if half % h == 0 and h > base:
            base, src = h, arr
    step = half // base
    end = (src.shape[-1] // step) * step
    out = src[..., 0:end:step].copy()
    for r in range(1, step):
        out += src[..., r:end:step]
    cache[half] = out
    return out


@functools.lru_cache(maxsize=32)
def _nearest_window(n: int, width: int) -> IntArray:
    """For each of n bins, the stride-W/2 window whose centre is nearest."""
    half = width // 2
    count = n // half - 1
    centre_of_first = half  # window i spans [i*half, i*half + 2*half)
    idx = np.rint((np.arange(n) - centre_of_first) / half).astype(np.int64)
    return np.asarray(np.clip(idx, 0, max(count - 1, 0)))


def window_shape(shape: FloatArray, width: int, n: int) -> FloatArray:
    """The passband shape averaged the way `frame_max` averages bins."""
    s = shape[None, None, :n].astype(np.float32)
    return np.asarray(frame_max(s, width)[0], dtype=np.float64)


def neutral_dc(rows: F32Array, center: int, dc_bins: int, value: float | None = None) -> None:
    """Overwrite the DC-notch bins so windows spanning them are not pulled up or down.

    By default with the mean of the two bins just outside the notch (the local level).
    """
    lo, hi = center - dc_bins, center + dc_bins + 1
    if value is None:
        rows[..., lo:hi] = 0.5 * (rows[..., lo - 1 : lo] + rows[..., hi : hi + 1])
    else:
        rows[..., lo:hi] = value
