"""Welch power spectra from raw RTL-SDR bytes or complex samples, vectorised.

Frames of `fft_size` samples, `step` apart, Hann-windowed; power per bin is normalised so a
full-scale complex tone (|x| = 1) centred in a bin reads 1 (0 dBFS). The window carries a
(-1)^n modulation so the FFT comes out already centred (the fftshift for free), and the
block's mean is removed first: that is most of the RTL-SDR's DC spike (the rest is masked
by the caller). scipy.fft is used when installed (single precision, about twice as fast);
numpy.fft otherwise, with identical results to float precision.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided, sliding_window_view

FloatArray = npt.NDArray[np.float64]
F32Array = npt.NDArray[np.float32]
U8Array = npt.NDArray[np.uint8]
C64Array = npt.NDArray[np.complex64]

# Samples per FFT call: large enough to amortise numpy's per-call overhead over short hops,
# small enough (2 MB of complex64) to stay in a Pi's L2 + the host's L3.
_CHUNK_SAMPLES = 262144


def _pick_fft() -> tuple[str, Callable[[Any], Any]]:
    try:
        from scipy import fft as sfft
    except ImportError:
        return "numpy", lambda a: np.fft.fft(a, axis=1)
    return "scipy", lambda a: sfft.fft(a, axis=1, workers=1, overwrite_x=True)


FFT_BACKEND, _fft = _pick_fft()


def use_numpy_fft(enabled: bool = True) -> None:
    """Force numpy.fft (for the benchmark's numpy-only figure); False restores the default."""
    global FFT_BACKEND, _fft
    if enabled:
        FFT_BACKEND, _fft = "numpy", (lambda a: np.fft.fft(a, axis=1))
    else:
        FFT_BACKEND, _fft = _pick_fft()


@dataclass(frozen=True)
class Welch:
    """Frame layout, window and the statistics a detector needs to set its thresholds."""

    fft_size: int
    step: int
    frames: int
    window: F32Array = field(repr=False)

    @property
    def samples(self) -> int:
        """Complex samples needed for `frames` frames."""
        return self.fft_size + (self.frames - 1) * self.step

    @property
    def enbw_bins(self) -> float:
        """Equivalent noise bandwidth of the window in bins (Hann: 1.5)."""
        w = self.window.astype(np.float64)
        return float(self.fft_size * np.sum(w**2) / np.sum(w) ** 2)

    def looks(self, frames: int | None = None) -> float:
        """Equivalent independent looks of the frame average (Welch 1967, eq. for overlap)."""
        k = self.frames if frames is None else frames
        return k / (1.0 + 2.0 * sum((1.0 - j / k) * self.frame_corr(j) for j in range(1, k)))

    def frame_corr(self, lag: int) -> float:
        """Correlation of one bin's noise power between frames `lag` apart."""
        shift = lag * self.step
        if shift >= self.fft_size:
            return 0.0
        w = self.window.astype(np.float64)
        return float((np.dot(w[: self.fft_size - shift], w[shift:]) / np.dot(w, w)) ** 2)

    def bin_corr(self, lag: int) -> float:
        """Correlation of noise power between bins `lag` apart in one frame."""
        w2 = self.window.astype(np.float64) ** 2
        n = np.arange(self.fft_size)
        c = np.sum(w2 * np.exp(-2j * np.pi * lag * n / self.fft_size)) / np.sum(w2)
        return float(abs(c) ** 2)

    def sum_looks(self, width: int) -> float:
        """Equivalent independent bins in a mean over `width` adjacent bins."""
        if width <= 1:
            return 1.0
        corr = sum((1.0 - lag / width) * self.bin_corr(lag) for lag in range(1, width))
        return width / (1.0 + 2.0 * corr)


def make_welch(fft_size: int, overlap: float, frames: int) -> Welch:
    """Hann frames of `fft_size` with fractional `overlap` (0 <= overlap < 1)."""
    if fft_size < 8 or fft_size % 2:
        raise ValueError("fft_size must be an even number >= 8")
    if not 0.0 <= overlap < 1.0:
        raise ValueError("overlap must be in [0, 1)")
    if frames < 1:
        raise ValueError("frames must be >= 1")
    step = max(1, round(fft_size * (1.0 - overlap)))
    n = np.arange(fft_size)
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * n / fft_size)).astype(np.float32)
    return Welch(fft_size, step, frames, window)


def _modulated(welch: Welch, scale: float) -> F32Array:
    sign = np.where(np.arange(welch.fft_size) % 2 == 0, 1.0, -1.0)
    return (welch.window * sign * scale).astype(np.float32)


def _norm(welch: Welch) -> float:
    return 1.0 / float(np.sum(welch.window.astype(np.float64))) ** 2


def frame_powers_cu8(raw: U8Array, welch: Welch, frames: int | None = None) -> F32Array:
    """Power per (frame, bin) from interleaved uint8 IQ; bins run from -rate/2 upwards."""
    raw = np.ascontiguousarray(raw, dtype=np.uint8)
    n_samples = raw.size // 2
    if n_samples < welch.fft_size:
        raise ValueError(f"need at least {welch.fft_size} samples, got {n_samples}")
    mean = np.array([raw[0::2].mean(), raw[1::2].mean()], dtype=np.float32)
    w2 = np.repeat(_modulated(welch, 1.0 / 127.5), 2)
    offset = -np.tile(mean, welch.fft_size) * w2
    views = sliding_window_view(raw[: 2 * n_samples], 2 * welch.fft_size)[:: 2 * welch.step]
    if frames is not None:
        views = views[:frames]
    out = np.empty((views.shape[0], welch.fft_size), dtype=np.float32)
    chunk = max(1, _CHUNK_SAMPLES // welch.fft_size)
    buf = np.empty((chunk, 2 * welch.fft_size), dtype=np.float32)
    norm = np.float32(_norm(welch))
    for start in range(0, views.shape[0], chunk):
        part = views[start : start + chunk]
        b = buf[: part.shape[0]]
        np.multiply(part, w2, out=b)
        b += offset
        dst = out[start : start + part.shape[0]]
        _power_into(_fft(b.view(np.complex64)), dst)
        dst *= norm
    return out


def frame_powers_cu8_batch(raw: U8Array, welch: Welch, normalise: bool = True) -> F32Array:
    """(hops x frames x bins) powers from a (hops x 2n) array of interleaved uint8 blocks.

    One vectorised pass for a whole sweep: per-call overhead would otherwise dominate the
    few frames of each hop. The hop's DC (the byte offset and the RTL's own) is not removed:
    a constant lands only in the centre bin and its two neighbours under a Hann window,
    which the sweep masks anyway.
    With `normalise` False the caller multiplies by `power_norm(welch)` (after reducing).
    """
    raw = np.ascontiguousarray(raw, dtype=np.uint8)
    out = np.empty((raw.shape[0], welch.frames, welch.fft_size), dtype=np.float32)
    chunk = max(1, _CHUNK_SAMPLES // (welch.fft_size * welch.frames))
    for _ in frame_power_chunks(raw, welch, chunk, out):
        pass
    if normalise:
        out *= np.float32(_norm(welch))
    return out


def frame_power_chunks(
    raw: U8Array, welch: Welch, chunk_hops: int, out: F32Array | None = None
) -> Iterator[tuple[int, int, F32Array]]:
    """Unnormalised |FFT|² of every frame of a (hops x 2n) byte array, `chunk_hops` at a time.

    Yields (first hop, end hop, powers (hops x frames x bins)). The powers are a view into
    `out` when given, else into one buffer that the next chunk overwrites: reduce them
    before asking for the next. The bytes' 127.5 offset is not subtracted: a constant times
    the Hann window has energy only in the centre bin and its two neighbours (the DC mask).
    """
    if raw.ndim != 2 or raw.dtype != np.uint8:
        raise ValueError(f"need a (hops x 2n) uint8 array, got {raw.dtype} {raw.shape}")
    hops, width = raw.shape
    size, k = welch.fft_size, welch.frames
    if width // 2 < welch.samples:
        raise ValueError(f"need {welch.samples} samples per hop, got {width // 2}")
    if out is not None and out.shape != (hops, k, size):
        raise ValueError(f"out must be {(hops, k, size)}, got {out.shape}")
    chunk = max(1, min(chunk_hops, hops))
    # Frames as a strided view of the bytes: hop, frame (2*step bytes apart), interleaved IQ.
    framed = as_strided(
        raw, (hops, k, 2 * size), (raw.strides[0], 2 * welch.step * raw.strides[1],
                                   raw.strides[1]), writeable=False,
    )
    w2 = _interleaved_window(welch)
    work = _take_scratch("work", (chunk, k, 2 * size))
    powers = _take_scratch("powers", (chunk, k, size)) if out is None else out
    try:
        for start in range(0, hops, chunk):
            stop = min(hops, start + chunk)
            n = stop - start
            w = work[:n]
            np.multiply(framed[start:stop], w2, out=w)
            dst = powers[:n] if out is None else out[start:stop]
            spec = _fft(w.reshape(n * k, 2 * size).view(np.complex64))
            _power_into(spec, dst.reshape(n * k, size))
            yield start, stop, dst
    finally:
        _give_scratch("work", work)
        if out is None:
            _give_scratch("powers", powers)


# Work buffers kept per thread between sweeps: every page of a fresh array faults on first
# touch, which costs more than the arithmetic done in it. A buffer is taken out while in
# use, so nested callers get their own.
_SCRATCH = threading.local()


def _take_scratch(name: str, shape: tuple[int, ...]) -> F32Array:
    buf: F32Array | None = _SCRATCH.__dict__.pop(name, None)
    return buf if buf is not None and buf.shape == shape else np.empty(shape, np.float32)


def _give_scratch(name: str, buf: F32Array) -> None:
    setattr(_SCRATCH, name, buf)


def _power_into(spec: npt.NDArray[Any], out: F32Array) -> None:
    """|spec|² into `out` (m x bins), squaring the spectrum's own storage in place.

    Squares of the interleaved floats then the sum of each pair: contiguous, vectorised
    work, unlike np.abs (a hypot per bin) or strided .real/.imag products.
    """
    parts = spec.view(spec.real.dtype)
    np.square(parts, out=parts)
    np.add(parts[:, 0::2], parts[:, 1::2], out=out)


def power_norm(welch: Welch) -> float:
    """Factor from |FFT|² of the windowed frame to power per bin (full-scale tone = 1)."""
    return _norm(welch)


@functools.lru_cache(maxsize=8)
def _interleaved_window_cached(size: int, step: int) -> F32Array:
    w = make_welch(size, 1.0 - step / size, 1)
    return np.repeat(_modulated(w, 1.0 / 127.5), 2)


def _interleaved_window(welch: Welch) -> F32Array:
    return _interleaved_window_cached(welch.fft_size, welch.step)


def frame_powers_iq(iq: npt.NDArray[Any], welch: Welch, remove_mean: bool = True) -> F32Array:
    """Power per (frame, bin) from complex samples (any complex dtype), centred bins."""
    x = np.asarray(iq).astype(np.complex64, copy=False)
    if x.size < welch.fft_size:
        raise ValueError(f"need at least {welch.fft_size} samples, got {x.size}")
    mean = np.complex64(x.mean()) if remove_mean else np.complex64(0)
    w = _modulated(welch, 1.0)
    views = sliding_window_view(x, welch.fft_size)[:: welch.step]
    out = np.empty((views.shape[0], welch.fft_size), dtype=np.float32)
    chunk = max(1, _CHUNK_SAMPLES // welch.fft_size)
    norm = np.float32(_norm(welch))
    for start in range(0, views.shape[0], chunk):
        part = (views[start : start + chunk] - mean) * w
        dst = out[start : start + part.shape[0]]
        _power_into(_fft(part.astype(np.complex64, copy=False)), dst)
        dst *= norm
    return out


def bin_offsets_hz(fft_size: int, rate_sps: float) -> FloatArray:
    """Frequency of each centred bin relative to the tuned centre."""
    return (np.arange(fft_size, dtype=np.float64) - fft_size // 2) * (rate_sps / fft_size)


def dc_mask(fft_size: int, half_width_bins: int) -> npt.NDArray[np.bool_]:
    """True for the bins within `half_width_bins` of the centre (the LO / DC spike)."""
    k = np.arange(fft_size) - fft_size // 2
    return np.asarray(np.abs(k) <= half_width_bins)


def window_mean(power: npt.NDArray[Any], width: int, axis: int = -1) -> F32Array:
    """Mean over `width` adjacent bins, windows clamped inside the array (same length).

    Every output averages exactly `width` inputs, so one threshold fits every bin.
    """
    p = np.asarray(power, dtype=np.float32)
    if width <= 1:
        return p
    p = np.moveaxis(p, axis, -1)
    n = p.shape[-1]
    if width > n:
        raise ValueError(f"window {width} wider than the {n} bins")
    # Output i averages the window starting at clip(i - width//2, 0, n - width): the
    # windows in order in the middle, the first and last repeated at the edges.
    count, half = n - width + 1, width // 2
    out = np.empty(p.shape, dtype=np.float32)
    middle = out[..., half : half + count]
    np.divide(_sliding_sums(p.astype(np.float64), width), width, out=middle, casting="same_kind")
    out[..., :half] = middle[..., :1]
    out[..., half + count :] = middle[..., -1:]
    return np.moveaxis(out, -1, axis)


def _sliding_sums(x: FloatArray, width: int) -> FloatArray:
    """Sums of every `width` consecutive values along the last axis (n - width + 1 of them).

    From sums over power-of-two widths, each the pairwise sum of the one before, added at
    the offsets of `width`'s binary digits: log2(width) contiguous adds, none of the
    cancellation of differences of a running sum.
    """
    count = x.shape[-1] - width + 1
    parts: list[FloatArray] = []
    offset, span, power, left = 0, 1, x, width
    while left:
        if left & 1:
            parts.append(power[..., offset : offset + count])
            offset += span
        left >>= 1
        if left:
            power = power[..., :-span] + power[..., span:]
            span *= 2
    total = parts[0].copy()
    for part in parts[1:]:
        total += part
    return total


def to_db(power: npt.ArrayLike, floor: float = 1e-30) -> FloatArray:
    """10·log10(power) with a floor so empty bins stay finite."""
    db = np.array(power, dtype=np.float64)
    np.maximum(db, floor, out=db)
    np.log10(db, out=db)
    db *= 10.0
    return np.asarray(db)


def db_to_lin(db: float) -> float:
    return math.pow(10.0, db / 10.0)
