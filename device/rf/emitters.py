"""Group detected bins into emitters: centre, bandwidth, peak and mean power, SNR, kind.

Runs of detected bins closer than `merge_gap_bins` are one emitter. Its centre and width are
taken over the bins within `occupied_db` of its strongest excess power (an x-dB occupied
bandwidth), so the splatter around an on-off keyed carrier does not drag the centre away
from the carrier, and a flat video plateau is measured edge to edge. When that core holds
less than half the power (FM video: a carrier line on an 18 MHz plateau) the band holding
the central 90% of the power is used instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from device.rf.bands import label_for
from device.rf.detect import SweepDetection
from device.rf.psd import to_db

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

Kind = Literal["continuous", "burst"]

# The x-dB core must hold at least this share of an emitter's power to define its width
# (an OOK carrier holds ~90% against its keying splatter; an FM video carrier 25-75%).
CORE_SHARE = 0.8


@dataclass(frozen=True)
class Emitter:
    """One emitter seen in one sweep (or one stretch of a recording)."""

    center_hz: float
    bandwidth_hz: float
    lo_hz: float
    hi_hz: float
    peak_dbfs: float
    mean_dbfs: float
    floor_dbfs: float
    snr_db: float  # strongest single-bin excess over the floor
    kind: Kind
    duty: float  # share of the dwell it was on, 0..1 (1 for continuous)
    label: str = ""

    def overlaps(self, lo_hz: float, hi_hz: float, tolerance_hz: float = 0.0) -> bool:
        return self.lo_hz - tolerance_hz <= hi_hz and lo_hz <= self.hi_hz + tolerance_hz


def runs(mask: BoolArray, merge_gap: int) -> list[tuple[int, int]]:
    """[start, stop) index runs of True, joining runs separated by <= merge_gap False cells."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > merge_gap + 1)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    stops = np.concatenate((idx[breaks], [idx[-1]])) + 1
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def occupied(excess: FloatArray, occupied_db: float) -> tuple[int, int, FloatArray]:
    """(first, last, weights) of the bins within `occupied_db` of the largest excess."""
    peak = float(excess.max())
    if peak <= 0.0:
        k = int(np.argmax(excess))
        w = np.zeros_like(excess)
        w[k] = 1.0
        return k, k, w
    keep = excess >= peak * 10.0 ** (-occupied_db / 10.0)
    idx = np.flatnonzero(keep)
    weights = np.where(keep, excess, 0.0)
    return int(idx[0]), int(idx[-1]), weights


def central_span(excess: FloatArray, share: float) -> tuple[int, int]:
    """(first, last) bins between the (1-share)/2 and (1+share)/2 points of cumulative power."""
    cum = np.cumsum(excess)
    if cum[-1] <= 0:
        k = int(np.argmax(excess))
        return k, k
    tail = (1.0 - share) / 2.0 * cum[-1]
    first = int(np.searchsorted(cum, tail, side="right"))
    last = int(np.searchsorted(cum, cum[-1] - tail, side="left"))
    return min(first, last), max(first, last)


def measure(
    freqs_hz: FloatArray,
    power: FloatArray,
    floor: FloatArray,
    occupied_db: float,
    bin_hz: float,
) -> tuple[float, float, float, float, float, float, float, float]:
    """(centre, bandwidth, lo, hi, peak_dbfs, mean_dbfs, floor_dbfs, snr_db) of one group."""
    excess = np.maximum(power - floor, 0.0)
    first, last, weights = occupied(excess, occupied_db)
    total = float(weights.sum())
    if total < CORE_SHARE * float(excess.sum()):
        # Most of the power lies outside the x-dB core: a carrier on a wide plateau (FM
        # video). Use the band holding the central 90% of the power instead.
        first, last = central_span(excess, 0.9)
        weights = np.zeros_like(excess)
        weights[first : last + 1] = excess[first : last + 1]
        total = float(weights.sum())
    center = float(np.dot(weights, freqs_hz) / total) if total > 0 else float(freqs_hz[first])
    sel = slice(first, last + 1)
    lo = float(freqs_hz[first]) - bin_hz / 2.0
    hi = float(freqs_hz[last]) + bin_hz / 2.0
    snr = float(np.max(excess / floor))
    return (
        center,
        hi - lo,
        lo,
        hi,
        float(to_db(power.max())),
        float(to_db(power[sel].mean())),
        float(to_db(floor[sel].mean())),
        float(to_db(max(snr, 1e-12))),
    )


def group_sweep(
    freqs_hz: FloatArray,
    det: SweepDetection,
    bin_hz: float,
    merge_gap_bins: int,
    occupied_db: float,
    burst_duty: float,
) -> list[Emitter]:
    """Emitters in one sweep's detections, labelled from the band table."""
    out: list[Emitter] = []
    for start, stop in runs(det.mask, merge_gap_bins):
        sel = slice(start, stop)
        center, bw, lo, hi, peak, mean, flo, snr = measure(
            freqs_hz[sel], det.power[sel], det.floor[sel], occupied_db, bin_hz
        )
        duty = _duty(det, sel, stop - start)
        kind: Kind = "burst" if duty < burst_duty else "continuous"
        out.append(
            Emitter(center, bw, lo, hi, peak, mean, flo, snr, kind, duty, label_for(center, bw))
        )
    return out


def _duty(det: SweepDetection, sel: slice, width: int) -> float:
    """Share of the dwell an emitter was on: windowed mean excess over the largest frame's.

    Taken at the widest detection scale that fits inside the emitter (where a continuous
    noise-like signal's frame-to-frame spread is smallest) and as the median over the
    emitter's bins where it stands clearly out, so one fluctuating bin cannot decide.
    """
    scales = det.thresholds.scales
    choice = max((i for i, w in enumerate(scales) if w <= max(width, 1)), default=0)
    zb = det.z_burst[choice][sel] - 1.0
    zm = det.z_mean[choice][sel] - 1.0
    strong = zb >= 0.5 * float(zb.max())
    if not strong.any() or float(zb.max()) <= 0.0:
        return 1.0
    return float(np.clip(np.median(zm[strong] / zb[strong]), 0.0, 1.0))


def drop_images(
    emitters: list[Emitter],
    freqs_hz: FloatArray,
    power: FloatArray,
    hop_centers_hz: FloatArray,
    image_db: float,
) -> list[Emitter]:
    """Remove emitters that are the tuner's IQ image of a much stronger one.

    An RTL-SDR's I/Q imbalance mirrors everything about the LO, 25-40 dB down: an emitter is
    an image when, in the hop that measured it, its mirror frequency holds a peak at least
    `image_db` stronger. `hop_centers_hz` is the LO of the hop behind each grid position.
    """
    out: list[Emitter] = []
    for em in emitters:
        k = int(np.clip(np.searchsorted(freqs_hz, em.center_hz), 0, freqs_hz.size - 1))
        mirror = 2.0 * float(hop_centers_hz[k]) - em.center_hz
        half = max(em.bandwidth_hz / 2.0, 2.0 * (freqs_hz[1] - freqs_hz[0]))
        lo, hi = np.searchsorted(freqs_hz, [mirror - half, mirror + half])
        if hi > lo and float(to_db(power[lo:hi].max())) - em.peak_dbfs >= image_db:
            continue
        out.append(em)
    return out


def relabel(emitter: Emitter) -> Emitter:
    """The same emitter with its label recomputed from the band table."""
    return replace(emitter, label=label_for(emitter.center_hz, emitter.bandwidth_hz))
