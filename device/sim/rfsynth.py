"""IQ synthesis: what an RTL-SDR tuned to `lo_hz` delivers, as a pure function.

Continuous noise-like signals (cell downlinks, the FM-video plateau, the receiver's own
noise) are shaped in the frequency domain and share one inverse FFT; carriers and broadcast
FM are built in time; bursty emitters (GSM slots, LTE subframes, ISM OOK packets, generic
bursts) are gated by schedules that depend only on absolute time. Samples are complex in
full-scale units (|x|^2 = 1 is 0 dBFS); `to_cu8` adds the dongle's impairments (IQ
imbalance, DC offset, clipping) and quantizes to interleaved uint8, value =
round((x + 1) * 127.5).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt

from device.sim.noise import gaussian, hash_u01
from device.sim.rfmodel import GSM_FRAME_S, GSM_SLOT_S, LTE_RB_HZ, LTE_SUBFRAME_S, OOK_JITTER, Heard
from device.sim.scenario_rf import Burst, FmVideo, GsmUplink, IsmOok, LteUplink, Receiver, Wifi

F64 = npt.NDArray[np.float64]
C64 = npt.NDArray[np.complex64]
U8 = npt.NDArray[np.uint8]

THERMAL_DBM_PER_HZ = -174.0  # kT at 290 K
FM_AUDIO_HZ = 15e3
FM_RMS = 0.35  # message rms relative to peak deviation (speech/music with pre-emphasis)
VIDEO_ROLLOFF = 0.35  # the FM-video plateau's shoulders, as a fraction of its width
SHARP_ROLLOFF = 0.03
BURST_ROLLOFF = 0.3
WIFI_SLOT_S = 1e-3
EDGE_RESPONSE = 0.2  # -7 dB at the band edges


def if_response(offset_hz: F64, rate_sps: float, passband_frac: float) -> F64:
    """Power response of the tuner's IF filter and the RTL2832U's decimation at baseband.

    Flat over `passband_frac` of the band, then drooping to EDGE_RESPONSE at +/- rate/2,
    the familiar sag at the edges of an RTL-SDR spectrum.
    """
    edge = passband_frac * rate_sps / 2
    x = np.clip((np.abs(offset_hz) - edge) / max(rate_sps / 2 - edge, 1.0), 0.0, 1.0)
    return np.asarray(1.0 - (1.0 - EDGE_RESPONSE) * np.sin(0.5 * math.pi * x) ** 2)


def band_shape(offset_hz: F64, centre_hz: float, width_hz: float, rolloff: float) -> F64:
    """Raised-cosine band of unit density (integrates to `width_hz`)."""
    half = width_hz / 2
    d = np.abs(offset_hz - centre_hz)
    lo, hi = half * (1 - rolloff), half * (1 + rolloff)
    t = np.clip((d - lo) / max(hi - lo, 1e-9), 0.0, 1.0)
    return np.asarray(0.5 * (1 + np.cos(math.pi * t)))


class Synth:
    """Synthesizes one block of IQ for a list of heard sources (see module docstring)."""

    def __init__(
        self, rx: Receiver, seed: int, lo_hz: float, rate_sps: float, gain_db: float
    ) -> None:
        self.rx, self.seed, self.lo, self.fs = rx, seed, lo_hz, rate_sps
        self.g = 10 ** ((gain_db - rx.fullscale_dbm) / 10)  # mW -> FS^2

    def block(self, heard: list[Heard], t_s: float, n: int, rng: np.random.Generator) -> C64:
        fs = self.fs
        freqs, resp = _grid(n, fs, self.rx.passband_frac)  # ascending (fft-shifted) bins
        bin_hz = fs / n
        thermal = 10 ** ((THERMAL_DBM_PER_HZ + self.rx.noise_figure_db) / 10) * bin_hz * self.g
        psd = np.full(n, thermal)
        x: npt.NDArray[np.complex128] | None = None
        t = np.empty(0)
        for h in heard:
            p_fs = 10 ** (h.power_dbm / 10) * self.g
            off = h.freq_hz - self.lo
            kind = h.kind
            if kind in ("downlink", "continuous"):
                _add_band(
                    psd, freqs, off, h.bandwidth_hz, p_fs / h.bandwidth_hz * bin_hz, SHARP_ROLLOFF
                )
                continue
            if kind == "fm_video":
                assert isinstance(h.emitter, FmVideo)
                carrier = 10 ** (h.emitter.carrier_db / 10)
                width = h.bandwidth_hz * (1 - VIDEO_ROLLOFF / 2)
                _add_band(
                    psd,
                    freqs,
                    off,
                    width,
                    p_fs * (1 - carrier) / h.bandwidth_hz * bin_hz,
                    VIDEO_ROLLOFF,
                )
                p_fs *= carrier
                kind = "cw"
            if x is None:
                x = np.zeros(n, np.complex128)
                t = t_s + np.arange(n) / fs
            if kind == "cw":
                x += self._tone(off, p_fs, t, h.stream)
            elif kind == "fm_broadcast":
                x += self._fm(off, p_fs, h.deviation_hz, t, rng, h.stream)
            elif kind == "ism_ook":
                assert isinstance(h.emitter, IsmOok)
                x += self._tone(off, p_fs, t, h.stream) * self._ook_gate(h.emitter, h.stream, t)
            elif kind == "lte_uplink":
                assert isinstance(h.emitter, LteUplink)
                x += self._lte(h.emitter, h.stream, off, p_fs, t, rng)
            else:
                x += self._gated_noise(h, off, p_fs, t, rng)
        psd *= resp
        psd += 10 ** (self.rx.floor_dbfs / 10) / n  # the ADC side's own noise, after the filter
        spec = _complex_noise(rng, n)
        spec *= np.sqrt(psd * (n / 2)).astype(np.float32)
        noise = np.fft.ifft(np.fft.ifftshift(spec), norm="ortho")
        if x is not None:
            noise += x
        return noise.astype(np.complex64)

    def _tone(self, off: float, p_fs: float, t: F64, stream: int) -> npt.NDArray[np.complex128]:
        if abs(off) >= self.fs / 2:
            return np.zeros(t.size, np.complex128)
        amp = math.sqrt(
            p_fs * float(if_response(np.array([off]), self.fs, self.rx.passband_frac)[0])
        )
        phase0 = 2 * math.pi * float(hash_u01(self.seed, stream, [7])[0])
        return np.asarray(amp * np.exp(1j * (2 * math.pi * off * t + phase0)))

    def _fm(
        self, off: float, p_fs: float, dev_hz: float, t: F64, rng: np.random.Generator, stream: int
    ) -> npt.NDArray[np.complex128]:
        """Broadcast FM: constant envelope, a band-limited message moving the frequency."""
        n = t.size
        knots = max(int(n / self.fs * FM_AUDIO_HZ * 2) + 2, 2)
        message = np.interp(
            np.linspace(0, knots - 1, n), np.arange(knots), rng.normal(0, FM_RMS, knots)
        )
        inst = off + dev_hz * np.clip(message, -1, 1)
        phase = 2 * math.pi * (off * t[0] + np.cumsum(inst) / self.fs)
        phase0 = 2 * math.pi * float(hash_u01(self.seed, stream, [11])[0])
        gain = np.sqrt(if_response(inst, self.fs, self.rx.passband_frac)) * (
            np.abs(inst) < self.fs / 2
        )
        return np.asarray(math.sqrt(p_fs) * gain * np.exp(1j * (phase + phase0)))

    def _ook_gate(self, e: IsmOok, stream: int, t: F64) -> F64:
        """On/off keying: packets every `period_s` (jittered), random bits of `pulse_s`."""
        gate = np.zeros(t.size)
        k0 = math.floor((t[0] - e.offset_s) / e.period_s) - 1
        k1 = math.floor((t[-1] - e.offset_s) / e.period_s) + 1
        for k in range(max(k0, 0), k1 + 1):
            jitter = (
                (float(hash_u01(self.seed, stream, [k])[0]) - 0.5) * 2 * OOK_JITTER * e.period_s
            )
            start = e.offset_s + k * e.period_s + jitter
            inside = (t >= start) & (t < start + e.packet_s)
            if not np.any(inside):
                continue
            bit = np.floor((t[inside] - start) / e.pulse_s).astype(np.int64)
            bits = hash_u01(self.seed, stream * 7919 + 1, k * 100_003 + bit) < 0.5
            bits |= bit < 8  # a preamble of ones: every sensor wakes its receiver first
            gate[inside] = bits
        return gate

    def _lte(
        self, e: LteUplink, stream: int, off: float, p_fs: float, t: F64, rng: np.random.Generator
    ) -> npt.NDArray[np.complex128]:
        """SC-FDMA uplink: each 1 ms subframe is either idle or a noise-like allocation."""
        out = np.zeros(t.size, np.complex128)
        sf = np.floor(t / LTE_SUBFRAME_S).astype(np.int64)
        cuts = np.flatnonzero(np.diff(sf)) + 1
        n_rb_max = int(e.channel_bw_hz / LTE_RB_HZ * 0.9)
        for seg in np.split(np.arange(t.size), cuts):
            k = int(sf[seg[0]])
            u = hash_u01(self.seed, stream, [3 * k, 3 * k + 1, 3 * k + 2])
            if u[0] >= e.duty:
                continue
            n_rb = e.min_rb + int(u[1] * (e.max_rb - e.min_rb + 1))
            start = int(u[2] * max(n_rb_max - n_rb, 0))
            width = n_rb * LTE_RB_HZ
            centre = off - e.channel_bw_hz * 0.45 + (start + n_rb / 2) * LTE_RB_HZ
            # the UE's power is spread over what it is allocated: the same total per subframe
            out[seg] = self._shaped(seg.size, centre, width, p_fs, SHARP_ROLLOFF, rng)
        return out

    def _gated_noise(
        self, h: Heard, off: float, p_fs: float, t: F64, rng: np.random.Generator
    ) -> npt.NDArray[np.complex128]:
        e = h.emitter
        if isinstance(e, GsmUplink):
            gate = ((t - e.offset_s) % GSM_FRAME_S) < e.slots * GSM_SLOT_S
        elif isinstance(e, Burst):
            gate = ((t - e.offset_s) % e.period_s) < e.on_s
        elif isinstance(e, Wifi):
            slot = np.floor(t / WIFI_SLOT_S).astype(np.int64)
            busy = hash_u01(self.seed, h.stream, slot) < e.duty
            gate = busy & (((t / WIFI_SLOT_S) % 1.0) * WIFI_SLOT_S < e.packet_s)
        else:
            raise TypeError(f"no synthesis for emitter kind {h.kind!r}")
        if not np.any(gate):
            return np.zeros(t.size, np.complex128)
        sig = self._shaped(t.size, off, h.bandwidth_hz, p_fs, BURST_ROLLOFF, rng)
        return np.asarray(sig * gate)

    def _shaped(
        self,
        n: int,
        centre: float,
        width: float,
        p_fs: float,
        rolloff: float,
        rng: np.random.Generator,
    ) -> npt.NDArray[np.complex128]:
        """Noise-like signal of total power `p_fs` over a band (only the in-window part)."""
        freqs, resp = _grid(n, self.fs, self.rx.passband_frac)
        psd = np.zeros(n)
        _add_band(psd, freqs, centre, width, p_fs / width * (self.fs / n), rolloff)
        psd *= resp
        spec = _complex_noise(rng, n)
        spec *= np.sqrt(psd * (n / 2)).astype(np.float32)
        return np.asarray(np.fft.ifft(np.fft.ifftshift(spec), norm="ortho"))


@functools.lru_cache(maxsize=32)
def _grid(n: int, rate_sps: float, passband_frac: float) -> tuple[F64, F64]:
    """Ascending baseband bin frequencies of an n-point FFT and the IF response there."""
    freqs = np.fft.fftshift(np.fft.fftfreq(n, 1 / rate_sps))
    return freqs, if_response(freqs, rate_sps, passband_frac)


def _add_band(
    psd: F64, freqs: F64, centre: float, width: float, per_bin: float, rolloff: float
) -> None:
    """Add a raised-cosine band (power `per_bin` in each bin of its flat top) to a PSD."""
    half = width / 2 * (1 + rolloff)
    lo, hi = np.searchsorted(freqs, [centre - half, centre + half])
    if hi > lo:
        psd[lo:hi] += per_bin * band_shape(freqs[lo:hi], centre, width, rolloff)


def _complex_noise(rng: np.random.Generator, n: int) -> C64:
    """n circular complex Gaussian values of unit variance per component."""
    out = np.empty(n, np.complex64)
    out.real = gaussian(rng, n)
    out.imag = gaussian(rng, n)
    return out


def to_cu8(x: C64, rx: Receiver) -> U8:
    """The RTL2832U's output: IQ imbalance, DC offset, clipping, 8-bit quantization."""
    g = 10 ** (rx.iq_gain_db / 20)
    phi = math.radians(rx.iq_phase_deg)
    dc = 10 ** (rx.dc_offset_dbfs / 20) * complex(math.cos(0.6), math.sin(0.6))
    i = x.real + dc.real
    q = g * (x.imag * math.cos(phi) + x.real * math.sin(phi)) + dc.imag
    out = np.empty(2 * x.size, np.float32)
    out[0::2] = i
    out[1::2] = q
    out += 1.0
    out *= 127.5
    np.rint(out, out=out)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)
