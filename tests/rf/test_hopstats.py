"""Per-hop sweep statistics against a direct, per-frame computation of their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from device.rf import hopstats
from device.rf.psd import Welch, make_welch, power_norm
from device.rf.sweep import SweepPlan, plan_sweep

RATE = 2.4e6


def _plan(fft_size: int, crop: float = 0.1) -> SweepPlan:
    return plan_sweep("test", [(430e6, 445e6)], RATE, fft_size, crop, 2, 0)


def _powers(raw: np.ndarray, welch: Welch) -> np.ndarray:
    """Normalised power per (hop, frame, centred bin), float64, straight from the definition."""
    size = welch.fft_size
    n = np.arange(size)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / size)
    x = (raw[:, 0::2] + 1j * raw[:, 1::2]) / 127.5
    out = np.empty((raw.shape[0], welch.frames, size))
    for j in range(welch.frames):
        frame = x[:, j * welch.step : j * welch.step + size] * window
        out[:, j] = np.abs(np.fft.fftshift(np.fft.fft(frame, axis=1), axes=1)) ** 2
    return out * power_norm(welch)


def _burst_reference(
    frames: np.ndarray, shape: np.ndarray, width: int, plan: SweepPlan
) -> np.ndarray:
    """Largest frame's mean over each stride-W/2 window, over the shape, spread to bins."""
    size, crop = plan.fft_size, plan.crop_bins
    part = frames[:, :, crop : size - crop].copy()
    lo, hi = size // 2 - crop - plan.dc_bins, size // 2 - crop + plan.dc_bins + 1
    part[..., lo:hi] = 0.5 * (part[..., lo - 1 : lo] + part[..., hi : hi + 1])
    s = shape[crop : size - crop]
    kept = size - 2 * crop
    out = np.zeros((frames.shape[0], size))
    if width == 1:
        out[:, crop : size - crop] = part.max(axis=1) / s
        return out
    half = width // 2
    count = kept // half - 1
    for b in range(kept):
        i = int(np.clip(np.rint((b - half) / half), 0, count - 1))
        window = slice(i * half, i * half + 2 * half)
        best = part[..., window].mean(axis=2).max(axis=1)
        out[:, crop + b] = best / s[window].mean()
    return out


@pytest.mark.parametrize("chunk_frames", [128, 18])
def test_reduce_matches_the_definitions_of_mean_and_burst(
    chunk_frames: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hopstats, "_CHUNK_FRAMES", chunk_frames)  # one chunk, or several
    plan = _plan(256)
    welch = make_welch(256, 0.5, 6)
    scales = (1, 6, 16, 64)
    rng = np.random.default_rng(8)
    buf = hopstats.SweepBuffer(plan, scales, welch.samples)
    offsets = np.where(np.arange(len(plan.hops)) % 3 == 1, 10.0, 0.0)
    for hop in plan.hops:
        buf.add(hop.index, rng.integers(0, 256, 2 * welch.samples, dtype=np.uint8),
                offsets[hop.index])
    shape = 1.0 + 0.2 * np.sin(np.arange(256) / 9.0)
    mean, burst = buf.reduce(welch, shape)
    frames = _powers(buf.raw.astype(np.float64), welch) * 10.0 ** (offsets / 10.0)[:, None, None]
    assert mean.dtype == np.float32 and burst.dtype == np.float32
    np.testing.assert_allclose(mean, frames.mean(axis=1), rtol=1e-5, atol=1e-6 * mean.max())
    assert burst.shape == (len(scales), len(plan.hops), 256)
    for i, width in enumerate(scales):
        expected = _burst_reference(frames, shape, width, plan)
        np.testing.assert_allclose(burst[i], expected, rtol=1e-5, atol=1e-6 * expected.max())


def test_short_dwells_skip_the_burst_test() -> None:
    plan = _plan(256)
    welch = make_welch(256, 0.5, 2)
    buf = hopstats.SweepBuffer(plan, (1, 8), welch.samples)
    rng = np.random.default_rng(9)
    for hop in plan.hops:
        buf.add(hop.index, rng.integers(0, 256, 2 * welch.samples, dtype=np.uint8))
    mean, burst = buf.reduce(welch, np.ones(256))
    assert not hopstats.burst_tests(welch)
    assert mean.min() > 0 and not burst.any()


@pytest.mark.parametrize("width", [1, 2, 3, 6, 8, 12, 20, 64])
def test_window_maxima_of_any_width(width: int) -> None:
    rng = np.random.default_rng(10)
    frames = rng.random((2, 5, 70)).astype(np.float32)
    # Sums of widths sharing a block size come from one cache: ask for a divisor first.
    got = hopstats.window_maxima(frames, (2, width) if width > 2 else (width,))[-1]
    if width == 1:
        np.testing.assert_array_equal(got, frames.max(axis=1))
        return
    half = width // 2
    count = max(70 // half - 1, 1)
    expected = np.stack(
        [frames[..., i * half : i * half + 2 * half].sum(axis=2).max(axis=1) for i in range(count)],
        axis=-1,
    )
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_a_hop_of_the_wrong_length_is_refused() -> None:
    plan = _plan(256)
    buf = hopstats.SweepBuffer(plan, (1,), 1000)
    with pytest.raises(ValueError, match="2000 bytes"):
        buf.add(0, np.zeros(1998, dtype=np.uint8))
