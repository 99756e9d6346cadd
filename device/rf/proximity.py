"""Proximity mode: fast power readings on one emitter, peak hold, automatic gain stepping.

Hotter/colder needs readings that do not jump when the gain changes, so power is referred
to the antenna (dBFS minus gain). Near a transmitter (700 mW at 1 m is about -5 dBm at the
antenna) the 8-bit ADC clips: a block with more than `clip_fraction` of its bytes at 0 or
255 steps the gain down two steps; a signal whose RMS is below `gain_up_below_dbfs` steps it
up one. The receiver is tuned `offset_hz` away from the emitter so the DC spike stays clear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.events import IqBlock, ProximityReading
from device.rf.psd import Welch, frame_powers_cu8, make_welch


@dataclass(frozen=True)
class ProximitySettings:
    """Parameters from the [rf] config section."""

    block_s: float
    clip_fraction: float
    gain_up_below_dbfs: float
    strength_span_db: float
    fft_size: int
    overlap: float
    dc_bins: int


def clip_share(data: npt.NDArray[np.uint8]) -> float:
    """Share of bytes at the ADC rails (0 or 255)."""
    if data.size == 0:
        return 0.0
    # One pass: adding 1 with uint8 wrap-around takes 255 to 0 and 0 to 1, the rest above.
    return float(np.count_nonzero(np.add(data, np.uint8(1)) < 2) / data.size)


def rms_dbfs(data: npt.NDArray[np.uint8]) -> float:
    """RMS of the complex samples (mean removed) in dB relative to |x| = 1."""
    x = data.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    i, q = x[0::2], x[1::2]
    power = float(np.var(i) + np.var(q))
    return 10.0 * math.log10(max(power, 1e-20))


class GainStepper:
    """Chooses the next manual gain from the clip share and the signal level."""

    def __init__(self, gains_db: list[float], clip_fraction: float, up_below_dbfs: float) -> None:
        if not gains_db:
            raise ValueError("the receiver reports no manual gains")
        self.gains = sorted(gains_db)
        self.clip_fraction = clip_fraction
        self.up_below_dbfs = up_below_dbfs

    def next_gain(self, current_db: float, clipped: bool, level_dbfs: float) -> float:
        i = int(np.argmin([abs(g - current_db) for g in self.gains]))
        if clipped:
            return self.gains[max(0, i - 2)]
        if level_dbfs < self.up_below_dbfs and i + 1 < len(self.gains):
            return self.gains[i + 1]
        return self.gains[i]


class ProximityTracker:
    """Turns IQ blocks tuned near one emitter into ProximityReadings."""

    def __init__(
        self, target_hz: float, bandwidth_hz: float, rate_sps: float, offset_hz: float,
        settings: ProximitySettings,
    ) -> None:
        self.target_hz = target_hz
        self.rate_sps = rate_sps
        self.settings = settings
        # Keep the emitter inside the band: the offset shrinks for wide emitters.
        room = max(0.0, rate_sps / 2.0 - bandwidth_hz / 2.0) * 0.8
        self.offset_hz = min(offset_hz, room)
        self.tune_hz = target_hz + self.offset_hz
        self.welch: Welch = make_welch(settings.fft_size, settings.overlap, 1)
        size = settings.fft_size
        freqs = (np.arange(size) - size // 2) * (rate_sps / size)
        half = max(bandwidth_hz / 2.0, 1.5 * rate_sps / size)
        rel = freqs + self.offset_hz
        self.in_band = np.abs(rel) <= half
        dc = np.abs(np.arange(size) - size // 2) <= settings.dc_bins
        edge = np.abs(freqs) > 0.4 * rate_sps
        self.out_band = ~self.in_band & ~dc & ~edge
        self.peak_ref_db = -np.inf
        self.floor_ref_db = np.inf

    @property
    def block_samples(self) -> int:
        return max(self.settings.fft_size, int(self.settings.block_s * self.rate_sps))

    def reading(self, block: IqBlock) -> ProximityReading:
        """One reading from a block taken at `tune_hz` (settle samples already dropped)."""
        data = block.data
        frames = frame_powers_cu8(data, self.welch, None)
        mean = frames.mean(axis=0, dtype=np.float64)
        enbw = self.welch.enbw_bins
        band = float(mean[self.in_band].sum()) / enbw
        if self.out_band.any():
            # Many frames averaged: the median of the out-of-band bins is their noise level.
            noise = float(np.median(mean[self.out_band]))
            noise_band = noise * int(self.in_band.sum()) / enbw
        else:
            noise_band = band
        power_dbfs = 10.0 * math.log10(max(band, 1e-20))
        ref_db = power_dbfs - block.gain_db
        floor_db = 10.0 * math.log10(max(noise_band, 1e-20)) - block.gain_db
        self.floor_ref_db = min(self.floor_ref_db, floor_db)
        self.peak_ref_db = max(self.peak_ref_db, ref_db)
        strength = (ref_db - self.floor_ref_db) / self.settings.strength_span_db
        return ProximityReading(
            t_s=block.t_start_s,
            center_hz=self.target_hz,
            power_dbfs=power_dbfs,
            peak_hold_dbfs=self.peak_ref_db + block.gain_db,
            strength=float(min(1.0, max(0.0, strength))),
            clipped=clip_share(data) > self.settings.clip_fraction,
            gain_db=block.gain_db,
        )
