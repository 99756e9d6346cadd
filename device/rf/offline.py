"""Offline analysis of one IQ recording: bursts and continuous emitters in time and frequency.

A recording is one tuned frequency over time, so the floor is learned along time instead of
across hops: per bin, a low quantile of the block powers (robust while an emitter is on for
up to 1 - quantile of the recording), and the thresholds follow from the closed forms as in
the sweep (device.rf.detect). Steady emitters raise that per-bin floor itself; they are found
by comparing the floor with its neighbours in frequency (ordered-statistic CFAR) and need
`continuous_db` of excess so the tuner's passband ripple is not an emitter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from device.rf import cfar, quadform
from device.rf.emitters import measure, occupied, runs
from device.rf.psd import Welch, dc_mask, frame_powers_iq, make_welch, window_mean

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class OfflineSettings:
    """Analysis parameters (from the [rf] config section, see defaults.toml)."""

    frame_s: float = 0.001
    overlap: float = 0.5
    block_frames: int = 4
    pfa: float = 1e-7
    floor_quantile: float = 0.1
    scales: tuple[int, ...] = (1, 8, 64)
    dc_bins: int = 2
    merge_gap_s: float = 0.03
    merge_gap_hz: float = 20000.0
    occupied_db: float = 10.0
    continuous_fraction: float = 0.9
    continuous_db: float = 6.0
    continuous_ref_bins: int = 32


@dataclass(frozen=True)
class Detection:
    """One emitter in a recording: when, where, how wide, how strong."""

    start_s: float
    end_s: float
    center_hz: float
    bandwidth_hz: float
    peak_snr_db: float
    kind: Literal["burst", "continuous"]

    def as_json(self) -> dict[str, float | str]:
        return {
            "start_s": round(self.start_s, 6),
            "end_s": round(self.end_s, 6),
            "center_hz": round(self.center_hz, 1),
            "bandwidth_hz": round(self.bandwidth_hz, 1),
            "peak_snr_db": round(self.peak_snr_db, 2),
            "kind": self.kind,
        }


def fft_size_for(rate_sps: float, frame_s: float) -> int:
    """Power of two closest to `frame_s` of samples, at least 64."""
    return max(64, 1 << max(0, round(math.log2(max(rate_sps * frame_s, 1.0)))))


def min_samples(rate_sps: float, settings: OfflineSettings) -> int:
    """Shortest recording the analysis can learn a floor from (eight blocks)."""
    size = fft_size_for(rate_sps, settings.frame_s)
    welch = make_welch(size, settings.overlap, settings.block_frames)
    return welch.samples + 8 * settings.block_frames * welch.step


def analyze(
    iq: npt.NDArray[np.complexfloating], rate_sps: float, center_hz: float,
    settings: OfflineSettings,
) -> list[Detection]:
    """Detections in a recording, ordered by start time then frequency."""
    size = fft_size_for(rate_sps, settings.frame_s)
    welch = make_welch(size, settings.overlap, settings.block_frames)
    if iq.size < min_samples(rate_sps, settings):
        raise ValueError(
            f"{iq.size} samples is too short to analyse; need at least "
            f"{min_samples(rate_sps, settings)}"
        )
    frames = frame_powers_iq(iq, welch)
    n_blocks = frames.shape[0] // settings.block_frames
    blocks = frames[: n_blocks * settings.block_frames].reshape(
        n_blocks, settings.block_frames, size
    ).mean(axis=1, dtype=np.float64)
    block_s = settings.block_frames * welch.step / rate_sps
    duration_s = iq.size / rate_sps
    freqs = center_hz + (np.arange(size) - size // 2) * (rate_sps / size)
    looks = welch.looks()
    masked = dc_mask(size, settings.dc_bins)
    q = settings.floor_quantile
    k = min(n_blocks - 1, int(q * n_blocks))
    floor = np.partition(blocks, k, axis=0)[k] * cfar.quantile_to_mean(q, looks)
    ref_looks = cfar.quantile_ref_dof(n_blocks, q, looks)
    z = blocks / floor
    z[:, masked] = 1.0
    scales = tuple(w for w in settings.scales if w <= size // 4) or (1,)
    per_test = settings.pfa / len(scales)
    hits = np.zeros(z.shape, dtype=bool)
    best = np.zeros(z.shape)
    for width in scales:
        t = quadform.threshold(
            size, welch.step, settings.block_frames, width, per_test, round(ref_looks, -1)
        )
        zw = window_mean(z, width, axis=1)
        hits |= zw > t
        np.maximum(best, zw, out=best)
    hits[:, masked] = False
    bin_hz = rate_sps / size
    out = _bursts(hits, best, blocks, floor, freqs, bin_hz, block_s, welch, rate_sps, settings)
    out += _continuous(blocks, floor, freqs, bin_hz, masked, ref_looks, duration_s, settings)
    long_bursts = [d for d in out if d.kind == "burst"
                   and d.end_s - d.start_s >= settings.continuous_fraction * duration_s]
    out = [d for d in out if d not in long_bursts] + [
        Detection(d.start_s, d.end_s, d.center_hz, d.bandwidth_hz, d.peak_snr_db, "continuous")
        for d in long_bursts
    ]
    return sorted(out, key=lambda d: (d.start_s, d.center_hz))


@dataclass
class _Track:
    """Detected cells linked over time: one burst (or one stretch of an emitter)."""

    lo: int
    hi: int  # inclusive bin span of the occupied bandwidth over the whole track
    recent_lo: int
    recent_hi: int  # occupied span in the track's latest block
    first: int
    last: int  # block indices
    peak_z: float
    recent_z: float  # strongest cell in the latest block


def _bursts(
    hits: BoolArray, z: FloatArray, blocks: FloatArray, floor: FloatArray, freqs: FloatArray,
    bin_hz: float, block_s: float, welch: Welch, rate_sps: float, settings: OfflineSettings,
) -> list[Detection]:
    """Link each block's detected runs into tracks, then measure each track.

    A run continues a track when its strongest bin falls in the occupied (x-dB) span the
    track had in its latest block: the weak splatter of an on-off keyed carrier, which
    reaches across the band, does not glue it to unrelated emitters. A run more than
    `occupied_db` stronger than the track's latest block is a new transmission.
    """
    jump = 10.0 ** (settings.occupied_db / 10.0)
    gap_bins = max(0, int(settings.merge_gap_hz / bin_hz))
    gap_blocks = max(0, int(settings.merge_gap_s / block_s))
    open_tracks: list[_Track] = []
    done: list[_Track] = []
    for b in np.flatnonzero(hits.any(axis=1)):
        closed = [t for t in open_tracks if b - t.last > gap_blocks + 1]
        done += closed
        open_tracks = [t for t in open_tracks if b - t.last <= gap_blocks + 1]
        for f0, f1 in runs(hits[b], gap_bins):
            first, last, _ = occupied(z[b, f0:f1] - 1.0, settings.occupied_db)
            lo, hi = f0 + first, f0 + last
            top = f0 + int(np.argmax(z[b, f0:f1]))
            peak = float(z[b, top])
            match = next(
                (t for t in open_tracks
                 if t.last < b
                 and t.recent_lo - gap_bins <= top <= t.recent_hi + gap_bins
                 and peak - 1.0 <= jump * (t.recent_z - 1.0)),
                None,
            )
            if match is None:
                open_tracks.append(_Track(lo, hi, lo, hi, int(b), int(b), peak, peak))
                continue
            match.lo, match.hi = min(match.lo, lo), max(match.hi, hi)
            match.recent_lo, match.recent_hi = lo, hi
            match.last = int(b)
            match.peak_z = max(match.peak_z, peak)
            match.recent_z = peak
    done = _merge_products(
        done + open_tracks, 10.0 ** (settings.occupied_db / 10.0), gap_blocks
    )
    tail_s = (welch.fft_size - welch.step) / rate_sps
    out: list[Detection] = []
    for t in done:
        power = blocks[t.first : t.last + 1, t.lo : t.hi + 1].mean(axis=0)
        center, bw, *_ = measure(
            freqs[t.lo : t.hi + 1], power, floor[t.lo : t.hi + 1], settings.occupied_db, bin_hz
        )
        out.append(Detection(
            t.first * block_s, (t.last + 1) * block_s + tail_s, center, bw,
            10.0 * math.log10(max(t.peak_z - 1.0, 1e-12)), "burst",
        ))
    return out


def _same_emission(a: _Track, b: _Track, ratio: float, slack: int) -> bool:
    """Overlapping in frequency and in time, or back to back at a similar strength."""
    if a.lo > b.hi or b.lo > a.hi:
        return False
    if a.first <= b.last and b.first <= a.last:
        return True
    near = a.first - slack <= b.last and b.first <= a.last + slack
    return near and max(a.peak_z, b.peak_z) <= ratio * min(a.peak_z, b.peak_z)


def _merge_products(tracks: list[_Track], ratio: float, slack: int) -> list[_Track]:
    """Join tracks of one transmission: overlapping in time and frequency, or much weaker.

    A strong on-off keyed or FSK packet shows weaker components elsewhere in the band for
    about its own duration (keying splatter, harmonics of its data rate; `slack` blocks
    either side); they are the same transmission, reported once at its carrier.
    """
    merged: list[_Track] = []
    for t in sorted(tracks, key=lambda x: -x.peak_z):
        same = next((o for o in merged if _same_emission(o, t, ratio, slack)), None)
        if same is None:
            merged.append(t)
            continue
        same.first, same.last = min(same.first, t.first), max(same.last, t.last)
        same.lo, same.hi = min(same.lo, t.lo), max(same.hi, t.hi)
    return [
        t for t in merged
        if not any(
            o is not t
            and o.first - slack <= t.first
            and t.last <= o.last + slack
            and o.peak_z >= ratio * t.peak_z
            for o in merged
        )
    ]


def _continuous(
    blocks: FloatArray, floor: FloatArray, freqs: FloatArray, bin_hz: float, masked: BoolArray,
    ref_looks: float, duration_s: float, settings: OfflineSettings,
) -> list[Detection]:
    """Emitters on for the whole recording: the per-bin floor stands above its neighbours."""
    n_ref = min(settings.continuous_ref_bins, (floor.size // 4) * 2)
    if n_ref < 4:
        return []
    k = n_ref // 2
    t = max(
        cfar.os_cfar_threshold(n_ref, k, min(ref_looks, 1e4), settings.pfa),
        10.0 ** (settings.continuous_db / 10.0),
    )
    clean = floor.copy()
    clean[masked] = np.median(floor)
    res = cfar.os_cfar(clean, n_ref, 2, k, t)
    hits = res.detections & ~masked
    out: list[Detection] = []
    mean_power = blocks.mean(axis=0)
    for f0, f1 in runs(hits, max(0, int(settings.merge_gap_hz / bin_hz))):
        ref = res.noise[f0:f1]
        center, bw, *_ = measure(freqs[f0:f1], mean_power[f0:f1], ref, settings.occupied_db, bin_hz)
        snr = float(np.max(mean_power[f0:f1] / ref)) - 1.0
        out.append(Detection(0.0, duration_s, center, bw, 10.0 * math.log10(max(snr, 1e-12)),
                             "continuous"))
    return out
