"""`camsweep calibrate ppm`: the SDR crystal's frequency error, measured on a known carrier.

The receiver is tuned `rf.evidence_offset_hz` above the reference (clear of the DC spike),
and each of ~20 blocks gives one estimate: the strongest bin within 150 kHz of the reference
in a long Hann-windowed FFT, refined by a parabola through the log powers of the peak and its
neighbours. Their mean is the carrier, their standard deviation the spread.

Sign: librtlsdr's `freq_correction` (our `sdr.ppm`) is positive for a crystal that runs fast.
A fast crystal puts the LO high, so a carrier shows *below* its true frequency. One crystal
clocks both the tuner's LO and the ADC, so the apparent offset is the crystal's error times
the carrier frequency (the LO error times the LO, less the sample-rate error times the
offset from the LO). The error still to be corrected is minus the carrier's apparent
relative offset, and the right setting is the configured `sdr.ppm` plus that error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.hal.base import Sdr
from device.rf.bands import TUNER_MAX_MHZ, TUNER_MIN_MHZ
from device.rf.psd import bin_offsets_hz, frame_powers_cu8, make_welch

SEARCH_HZ = 150e3  # how far from the reference the carrier may be: 100 ppm at 1.5 GHz
PPM_BLOCKS = 20  # estimates averaged: the spread tells a steady carrier from a wandering one
PPM_FFT_SIZE = 1 << 16  # 37 Hz bins at 2.4 MS/s (0.23 ppm at 162 MHz) before interpolation
# The peak must stand this far above the search window's median: noise alone reaches about
# +12 dB somewhere among the ~8000 bins of the window.
MIN_CARRIER_SNR_DB = 20.0
MAX_SPREAD_PPM = 2.0  # blocks disagreeing more than this: a modulated or drifting reference
PASSBAND_SHARE = 0.4  # of the sample rate either side of the LO the search window may use


class BadReference(ValueError):
    """The reference frequency cannot be measured; the message says why and what to do."""


def check_reference(ref_hz: float) -> None:
    """Refuse a reference the tuner cannot receive."""
    lo, hi = TUNER_MIN_MHZ * 1e6 + SEARCH_HZ, TUNER_MAX_MHZ * 1e6 - SEARCH_HZ
    if not math.isfinite(ref_hz) or not lo <= ref_hz <= hi:
        raise BadReference(
            f"--ref-hz {ref_hz:g} is outside what an RTL-SDR receives "
            f"({TUNER_MIN_MHZ:g}-{TUNER_MAX_MHZ:g} MHz); give the reference in Hz, "
            "e.g. --ref-hz 162550000 for the NOAA station on 162.550 MHz"
        )


def lo_offset_hz(rate_sps: float, wanted_hz: float) -> float:
    """How far above the reference to tune: `wanted_hz`, less when the rate is too low."""
    return max(0.0, min(wanted_hz, PASSBAND_SHARE * rate_sps - SEARCH_HZ))


def carrier_offset_hz(
    power: npt.NDArray[np.float32], rate_sps: float, lo_hz: float, hi_hz: float
) -> tuple[float, float]:
    """(offset from the LO, SNR dB) of the strongest bin within [lo_hz, hi_hz] (centred bins)."""
    n = power.size
    freqs = bin_offsets_hz(n, rate_sps)
    idx = np.flatnonzero((freqs >= lo_hz) & (freqs <= hi_hz))
    if idx.size == 0:
        raise BadReference("the search window lies outside the sampled band; raise sdr.rate_sps")
    p = power.astype(np.float64)
    k = int(idx[np.argmax(p[idx])])
    delta = 0.0
    if 0 < k < n - 1 and min(p[k - 1], p[k + 1]) > 0:
        a, b, c = np.log10(p[k - 1 : k + 2])
        den = a - 2.0 * b + c
        if den < 0:
            delta = float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
    noise = float(np.median(p[idx]))
    snr_db = 10.0 * math.log10(p[k] / noise) if noise > 0 else math.inf
    return float(freqs[k]) + delta * rate_sps / n, snr_db


@dataclass(frozen=True)
class PpmResult:
    """The measured carrier against the reference, and what `sdr.ppm` should be."""

    ref_hz: float
    carrier_hz: float  # mean of the per-block estimates
    blocks: int
    spread_ppm: float  # standard deviation of the per-block estimates
    snr_db: float  # median over blocks
    configured_ppm: int

    @property
    def apparent_ppm(self) -> float:
        """How far above the reference the carrier shows, in ppm."""
        return (self.carrier_hz - self.ref_hz) / self.ref_hz * 1e6

    @property
    def error_ppm(self) -> float:
        """Crystal error not yet corrected, in `sdr.ppm`'s sign (positive = runs fast)."""
        return -self.apparent_ppm

    @property
    def suggested_ppm(self) -> int:
        return round(self.configured_ppm + self.error_ppm)

    @property
    def found(self) -> bool:
        return self.snr_db >= MIN_CARRIER_SNR_DB

    @property
    def ok(self) -> bool:
        return self.found and self.spread_ppm <= MAX_SPREAD_PPM

    def lines(self, config_path: str) -> list[str]:
        where = f"within {SEARCH_HZ / 1e3:.0f} kHz of {self.ref_hz / 1e6:.6f} MHz"
        if not self.found:
            return [
                f"no carrier stands out {where}: the strongest is {self.snr_db:+.1f} dB over "
                f"the noise, needs +{MIN_CARRIER_SNR_DB:.0f}",
                "fix: check the antenna and the reference frequency, and that the transmitter "
                "is on the air (indoors, try next to a window)",
            ]
        out = [
            f"strongest carrier {where}: {self.carrier_hz / 1e6:.6f} MHz ({self.blocks} blocks, "
            f"spread {self.spread_ppm:.1f} ppm)"
        ]
        if self.spread_ppm > MAX_SPREAD_PPM:
            out.append(
                f"the carrier moved by {self.spread_ppm:.1f} ppm between blocks (limit "
                f"{MAX_SPREAD_PPM:g}): a modulated reference or a dongle still warming up"
            )
            out.append(
                "fix: let the dongle warm up for 5 minutes and run again, or use an unmodulated "
                "reference (a GSM control channel, a signal generator)"
            )
            return out
        c, s = self.configured_ppm, self.suggested_ppm
        error = f"crystal error {self.error_ppm:+.1f} ppm"
        if c:
            error += f" left after sdr.ppm = {c}"
        if s == c:
            out.append(f"{error}: sdr.ppm = {c} is right")
        else:
            out.append(f"{error}: set sdr.ppm = {s} in {config_path}")
        return out


def measure_ppm(
    sdr: Sdr,
    ref_hz: float,
    configured_ppm: int,
    offset_hz: float,
    settle_samples: int,
    blocks: int = PPM_BLOCKS,
    fft_size: int = PPM_FFT_SIZE,
) -> PpmResult:
    """Tune next to `ref_hz`, read `blocks` blocks and estimate the carrier in each."""
    check_reference(ref_hz)
    offset = lo_offset_hz(sdr.rate_sps, offset_hz)
    sdr.tune(ref_hz + offset)
    if settle_samples:
        sdr.read(settle_samples)  # samples still from before the retune
    welch = make_welch(fft_size, 0.0, 1)
    carriers: list[float] = []
    snrs: list[float] = []
    for _ in range(blocks):
        block = sdr.read(fft_size)
        power = frame_powers_cu8(block.data, welch)[0]
        rel = ref_hz - block.center_hz
        off, snr = carrier_offset_hz(power, block.rate_sps, rel - SEARCH_HZ, rel + SEARCH_HZ)
        carriers.append(block.center_hz + off)
        snrs.append(snr)
    f = np.asarray(carriers)
    return PpmResult(
        ref_hz=ref_hz,
        carrier_hz=float(f.mean()),
        blocks=blocks,
        spread_ppm=float(f.std() / ref_hz * 1e6),
        snr_db=float(np.median(snrs)),
        configured_ppm=int(configured_ppm),
    )
