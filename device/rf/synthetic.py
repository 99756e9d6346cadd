"""A minimal synthetic receiver for unit tests and the benchmark (not the virtual room).

Complex Gaussian noise plus listed emitters (tones or band-limited noise, optionally
bursty), an RTL-SDR-like DC offset, gain, 8-bit quantisation with clipping, stale samples
after a retune (or, with `flushes`, a flush reported in IqBlock.dropped as the pyrtlsdr
backend does), and R820T-like timing on a virtual clock: every `tune()` costs `retune_s`,
every `read(n)` costs n / rate. The virtual room (device.sim) is the realistic model; this
one is small and exact so closed forms can be checked against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.clock import VirtualClock
from device.events import IqBlock

# R820T manual gain steps (dB), as librtlsdr reports them.
R820T_GAINS_DB: tuple[float, ...] = (
    0.0, 0.9, 1.4, 2.7, 3.7, 7.7, 8.7, 12.5, 14.4, 15.7, 16.6, 19.7, 20.7, 22.9, 25.4, 28.0,
    29.7, 32.8, 33.8, 36.4, 37.2, 38.6, 40.2, 42.1, 43.4, 43.9, 44.5, 48.0, 49.6,
)


@dataclass(frozen=True)
class ToyEmitter:
    """An emitter as the synthetic receiver sees it at the reference gain."""

    freq_hz: float
    power_dbfs: float  # total power at the reference gain, dB relative to |x| = 1
    bandwidth_hz: float = 0.0  # 0: a tone; otherwise flat band-limited noise
    duty: float = 1.0  # share of each period it is on
    period_s: float = 0.01
    phase_s: float = 0.0


class SyntheticSdr:
    """Implements device.hal.base.Sdr over synthetic IQ on a virtual clock."""

    def __init__(
        self,
        rate_sps: float = 2.4e6,
        emitters: tuple[ToyEmitter, ...] = (),
        noise_dbfs: float = -30.0,
        ref_gain_db: float = 29.7,
        retune_s: float = 0.012,
        stale_samples: int = 0,
        flushes: bool = False,
        dc_offset: complex = 0.02 + 0.01j,
        seed: int = 1,
        clock: VirtualClock | None = None,
    ) -> None:
        self._rate = float(rate_sps)
        self.emitters = emitters
        self.noise_dbfs = noise_dbfs
        self.ref_gain_db = ref_gain_db
        self.retune_s = retune_s
        self.stale_samples = stale_samples
        # Like the pyrtlsdr backend: the retune time includes reading and dropping the USB
        # buffer, and the next block reports those bytes in IqBlock.dropped.
        self.flushes = flushes
        self._flushed = 0
        self.dc_offset = dc_offset
        self.clock = clock or VirtualClock()
        self._rng = np.random.default_rng(seed)
        self._center = 100e6
        self._previous = self._center
        self._gain = ref_gain_db
        self._stale_left = 0
        self.tunes = 0
        self.samples_read = 0

    @property
    def rate_sps(self) -> float:
        return self._rate

    @property
    def center_hz(self) -> float:
        return self._center

    @property
    def gain_db(self) -> float:
        return self._gain

    def tune(self, center_hz: float) -> None:
        self._previous = self._center
        self._center = float(center_hz)
        self._stale_left = 0 if self.flushes else self.stale_samples
        self._flushed = 2 * int(self.retune_s * self._rate) if self.flushes else 0
        self.tunes += 1
        self.clock.advance(self.retune_s)

    def set_gain(self, gain_db: float) -> None:
        gains = np.array(R820T_GAINS_DB)
        self._gain = float(gains[np.argmin(np.abs(gains - gain_db))])

    def gains_db(self) -> list[float]:
        return list(R820T_GAINS_DB)

    def read(self, n_samples: int) -> IqBlock:
        t0 = self.clock.now()
        stale = min(self._stale_left, n_samples)
        x = np.empty(n_samples, dtype=np.complex64)
        if stale:
            x[:stale] = self.synthesize(self._previous, stale, t0)
        x[stale:] = self.synthesize(self._center, n_samples - stale, t0 + stale / self._rate)
        self._stale_left -= stale
        self.samples_read += n_samples
        self.clock.advance(n_samples / self._rate)
        dropped, self._flushed = self._flushed, 0
        return IqBlock(self._center, self._rate, t0, self._to_bytes(x), self._gain, dropped)

    def synthesize(self, center_hz: float, n: int, t0_s: float) -> npt.NDArray[np.complex64]:
        """Complex samples at the current gain (before quantisation)."""
        if n <= 0:
            return np.zeros(0, dtype=np.complex64)
        scale = 10.0 ** ((self._gain - self.ref_gain_db) / 20.0)
        sigma = math.sqrt(10.0 ** (self.noise_dbfs / 10.0) / 2.0) * scale
        x = (self._rng.standard_normal(n) + 1j * self._rng.standard_normal(n)) * sigma
        t = t0_s + np.arange(n) / self._rate
        for em in self.emitters:
            offset = em.freq_hz - center_hz
            if abs(offset) > self._rate / 2.0 + em.bandwidth_hz / 2.0:
                continue
            amp = math.sqrt(10.0 ** (em.power_dbfs / 10.0)) * scale
            sig = self._emitter_samples(em, offset, n, t) * amp
            if em.duty < 1.0:
                sig = sig * (((t - em.phase_s) % em.period_s) < em.duty * em.period_s)
            x = x + sig
        return (x + self.dc_offset).astype(np.complex64)

    def _emitter_samples(
        self, em: ToyEmitter, offset_hz: float, n: int, t: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.complex128]:
        phase0 = self._rng.uniform(0, 2 * np.pi)
        if em.bandwidth_hz <= 0:
            return np.exp(1j * (2 * np.pi * offset_hz * t + phase0))
        # Flat band-limited noise of unit power, built in the frequency domain.
        freqs = np.fft.fftfreq(n, 1.0 / self._rate)
        band = np.abs(freqs - offset_hz) <= em.bandwidth_hz / 2.0
        spec = np.zeros(n, dtype=np.complex128)
        count = int(band.sum())
        if count == 0:
            return np.zeros(n, dtype=np.complex128)
        spec[band] = self._rng.standard_normal(count) + 1j * self._rng.standard_normal(count)
        sig = np.fft.ifft(spec) * n / math.sqrt(2.0 * count)
        return np.asarray(sig, dtype=np.complex128)

    def _to_bytes(self, x: npt.NDArray[np.complex64]) -> npt.NDArray[np.uint8]:
        inter = np.empty(2 * x.size, dtype=np.float32)
        inter[0::2] = x.real
        inter[1::2] = x.imag
        return np.clip(np.rint((inter + 1.0) * 127.5), 0, 255).astype(np.uint8)

    def describe(self) -> str:
        return f"synthetic receiver, {self._rate / 1e6:g} MS/s, {len(self.emitters)} emitters"

    def close(self) -> None:
        return None

