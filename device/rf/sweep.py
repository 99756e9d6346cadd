"""Hop planner: band-plan ranges -> retune frequencies at one fixed sample rate.

Every spectrum bin sits on one global grid, frequency = k x bin_hz (bin_hz = rate/fft_size),
and every hop centre is on it too, so hops stitch without resampling. Each hop keeps the
middle of its band: `crop_bins` at each edge are dropped (the tuner's anti-alias roll-off
and aliasing live there), so neighbouring hops' raw bands overlap by 2 x crop_bins and each
frequency is measured by the hop where it is closest to the centre. The bins within
`dc_bins` of a hop's centre (the DC spike) are not taken from that hop; they are filled by
interpolation, and alternate sweeps shift every hop by `2*dc_bins + 1` bins (`phase` 1) so
no frequency sits under a DC notch twice in a row.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from device.rf.bands import TUNER_MAX_MHZ, TUNER_MIN_MHZ, Range, merge_ranges

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Hop:
    """One retune: where to tune and which FFT bins go where in the stitched spectrum.

    The bins are kept as runs (a hop's kept band, split by its DC notch and by bins an
    earlier hop owns): a few numbers per hop instead of two indices per bin.
    """

    index: int
    center_hz: float
    runs: IntArray = field(repr=False)  # (runs, 3): first FFT bin, first grid position, length

    @property
    def src_bins(self) -> IntArray:
        """Centred FFT bin indices taken from this hop."""
        return _expand(self.runs[:, 0], self.runs[:, 2])

    @property
    def dst(self) -> IntArray:
        """Positions in the plan's grid of `src_bins`."""
        return _expand(self.runs[:, 1], self.runs[:, 2])


@dataclass(frozen=True)
class SweepPlan:
    """Hops for one sweep over `ranges` and the grid their bins stitch onto."""

    name: str
    rate_sps: float
    fft_size: int
    crop_bins: int
    dc_bins: int
    phase: int
    ranges: tuple[Range, ...]
    grid_k: IntArray = field(repr=False)  # global bin index of each grid position
    hops: tuple[Hop, ...]
    missing: IntArray = field(repr=False)  # grid positions no hop measures (DC notches)

    @property
    def bin_hz(self) -> float:
        return self.rate_sps / self.fft_size

    @property
    def freqs_hz(self) -> FloatArray:
        return self.grid_k.astype(np.float64) * self.bin_hz

    @property
    def kept_bins(self) -> int:
        return self.fft_size - 2 * self.crop_bins

    def sweep_time_s(self, retune_s: float, samples_per_hop: int) -> float:
        """Time one sweep takes when the SDR needs `retune_s` per retune."""
        return len(self.hops) * (retune_s + samples_per_hop / self.rate_sps)

    @functools.cached_property
    def runs(self) -> list[tuple[int, int, int, int]]:
        """(hop, first FFT bin, first grid position, length) of every run of measured bins."""
        return [
            (h.index, int(src), int(dst), int(n)) for h in self.hops for src, dst, n in h.runs
        ]

    @functools.cached_property
    def fill(self) -> tuple[IntArray, IntArray, FloatArray]:
        """(left, right, weight of right) measured neighbours of each missing position."""
        measured = np.ones(self.grid_k.size, dtype=bool)
        measured[self.missing] = False
        idx = np.flatnonzero(measured)
        pos = np.searchsorted(idx, self.missing)
        left = idx[np.clip(pos - 1, 0, idx.size - 1)]
        right = idx[np.clip(pos, 0, idx.size - 1)]
        span = np.maximum(right - left, 1)
        weight = np.clip((self.missing - left) / span, 0.0, 1.0)
        return left, right, weight

    def hop_of_position(self) -> IntArray:
        """Index of the hop that measured each grid position (-1 for interpolated ones)."""
        owner = np.full(self.grid_k.size, -1, dtype=np.int64)
        for hop in self.hops:
            owner[hop.dst] = hop.index
        return owner

    def gaps_hz(self) -> list[Range]:
        """Parts of the requested ranges that no hop's kept band covers (should be none)."""
        spans = sorted(
            (h.center_hz + (self.crop_bins - self.fft_size // 2) * self.bin_hz,
             h.center_hz + (self.fft_size // 2 - self.crop_bins - 1) * self.bin_hz)
            for h in self.hops
        )
        gaps: list[Range] = []
        for lo, hi in self.ranges:
            cursor = lo
            for s_lo, s_hi in spans:
                if s_hi + self.bin_hz < cursor or s_lo > hi:
                    continue
                if s_lo > cursor + self.bin_hz:
                    gaps.append((cursor, min(s_lo, hi)))
                cursor = max(cursor, s_hi)
            if cursor + self.bin_hz < hi:
                gaps.append((cursor, hi))
        return gaps


def plan_sweep(
    name: str,
    ranges: list[Range],
    rate_sps: float,
    fft_size: int,
    crop_fraction: float,
    dc_bins: int,
    phase: int = 0,
) -> SweepPlan:
    """Plan the hops covering `ranges` (Hz, merged and sorted) with no gaps."""
    if not ranges:
        raise ValueError("a band plan needs at least one range")
    crop = round(crop_fraction * fft_size)
    keep = fft_size - 2 * crop
    if keep <= 4 * (dc_bins + 1):
        raise ValueError("crop_fraction leaves too few bins per hop")
    bin_hz = rate_sps / fft_size
    # A gap narrower than one hop costs a retune either way: measure it instead.
    ranges = merge_ranges(ranges, join_gap_hz=keep * bin_hz)
    shift = (2 * dc_bins + 1) if phase % 2 else 0
    half = fft_size // 2
    max_center_k = math.floor(TUNER_MAX_MHZ * 1e6 / bin_hz)
    min_center_k = math.ceil(TUNER_MIN_MHZ * 1e6 / bin_hz)

    grid_parts: list[IntArray] = []
    centers: list[int] = []
    for lo, hi in ranges:
        k0, k1 = math.ceil(lo / bin_hz), math.floor(hi / bin_hz)
        grid_parts.append(np.arange(k0, k1 + 1, dtype=np.int64))
        center = k0 - shift + (half - crop)
        while True:
            centers.append(min(max(center, min_center_k), max_center_k - shift))
            if center + (half - crop - 1) >= k1:
                break
            center += keep
    grid_k = np.concatenate(grid_parts)
    hops = _assign(grid_k, centers, fft_size, crop, dc_bins, bin_hz)
    owned = np.zeros(grid_k.size, dtype=bool)
    for hop in hops:
        owned[hop.dst] = True
    return SweepPlan(
        name, float(rate_sps), fft_size, crop, dc_bins, phase % 2,
        tuple(ranges), grid_k, tuple(hops), np.flatnonzero(~owned),
    )


def _assign(
    grid_k: IntArray, centers: list[int], fft_size: int, crop: int, dc_bins: int, bin_hz: float
) -> list[Hop]:
    """Give each grid position to the first hop whose kept band (minus DC) contains it."""
    half = fft_size // 2
    owned = np.zeros(grid_k.size, dtype=bool)
    kept = np.arange(crop, fft_size - crop, dtype=np.int64)
    kept = kept[np.abs(kept - half) > dc_bins]
    hops: list[Hop] = []
    for center in sorted(set(centers)):
        k = center + (kept - half)
        pos = np.searchsorted(grid_k, k)
        inside = (pos < grid_k.size) & (grid_k[np.minimum(pos, grid_k.size - 1)] == k)
        pos, src = pos[inside], kept[inside]
        fresh = ~owned[pos]
        pos, src = pos[fresh], src[fresh]
        if pos.size == 0:
            continue
        owned[pos] = True
        cut = np.flatnonzero((np.diff(src) != 1) | (np.diff(pos) != 1)) + 1
        first = np.concatenate([[0], cut])
        length = np.diff(np.append(first, src.size))
        runs = np.stack([src[first], pos[first], length], axis=1).astype(np.int64)
        hops.append(Hop(len(hops), center * bin_hz, runs))
    return hops


def _expand(starts: IntArray, lengths: IntArray) -> IntArray:
    """Runs (start, length) -> the indices they cover, in order."""
    total = int(lengths.sum())
    before = np.cumsum(lengths) - lengths  # output index where each run begins
    return np.asarray(np.arange(total) + np.repeat(starts - before, lengths), dtype=np.int64)


def stitch(plan: SweepPlan, hop_rows: npt.NDArray[np.floating]) -> FloatArray:
    """(hops x fft_size) per-hop values -> one value per grid position, DC notches filled."""
    if hop_rows.shape != (len(plan.hops), plan.fft_size):
        raise ValueError(
            f"expected {(len(plan.hops), plan.fft_size)} hop rows, got {hop_rows.shape}"
        )
    out = np.empty(plan.grid_k.size, dtype=np.float64)
    for row, col, pos, n in plan.runs:  # a few hundred slice copies beat a per-bin gather
        out[pos : pos + n] = hop_rows[row, col : col + n]
    if plan.missing.size:
        left, right, weight = plan.fill
        out[plan.missing] = out[left] * (1.0 - weight) + out[right] * weight
    return out
