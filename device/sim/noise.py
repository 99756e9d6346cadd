"""Fast seeded randomness for the sim: table-driven Gaussian noise and counter-based hashes."""

from __future__ import annotations

import functools
import statistics

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
I16 = npt.NDArray[np.int16]
F64 = npt.NDArray[np.float64]


@functools.lru_cache(maxsize=1)
def gaussian_lut() -> F32:
    """Standard-normal quantiles at 65536 evenly spaced probabilities (tails to ~4.2 sigma)."""
    inv = statistics.NormalDist().inv_cdf
    return np.array([inv((k + 0.5) / 65536) for k in range(65536)], dtype=np.float32)


def gaussian(rng: np.random.Generator, size: int) -> F32:
    """`size` standard-normal float32 values: 16-bit uniform draws index the quantile table.

    Several times faster than numpy's normal generator over a whole frame; a sum of many of
    them (an FFT bin, a pixel difference) is Gaussian to far beyond 4 sigma.
    """
    return np.take(gaussian_lut(), rng.integers(0, 65536, size, dtype=np.uint16), mode="clip")


def hash_u01(seed: int, stream: int, index: npt.ArrayLike) -> F64:
    """Counter-based uniform numbers in [0, 1): the same (seed, stream, index) -> same value.

    A SplitMix64 finaliser; lets bursts and packets be a function of absolute time, so IQ
    does not depend on how the reads were chunked.
    """
    x = np.asarray(index, dtype=np.int64).astype(np.uint64)
    key = np.uint64((seed * 0x632BE59BD9B4E019 + stream * 0x85EBCA6B + 1) & 0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        x = x * np.uint64(0x9E3779B97F4A7C15) + key
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return np.asarray((x >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53)))


POOL_ROWS = 8192  # rows of precomputed Gaussian noise a frame's rows are drawn from
POOL_SLACK = 64  # extra columns: each frame also starts at a random column
# The pool is stored as int16 steps of 1/POOL_SCALE sigma (a power of two, so scaling by it is
# exact): half the memory of float32 (11.5 MB for 640-pixel rows), +-8 sigma of range, and a
# rounding of at most 1.2e-4 sigma, far below the 1 DN steps of the 8-bit output.
POOL_SCALE = 4096.0
_POOL_BLOCK = 512  # rows drawn at a time: a float32 block is a few MB, never the whole pool


@functools.lru_cache(maxsize=4)
def _pool(width: int) -> I16:
    rng = np.random.default_rng(0x6A055)
    pool = np.empty((POOL_ROWS, width + POOL_SLACK), np.int16)
    limit = np.iinfo(np.int16).max
    for r0 in range(0, POOL_ROWS, _POOL_BLOCK):
        block = rng.standard_normal((_POOL_BLOCK, width + POOL_SLACK), dtype=np.float32)
        block *= np.float32(POOL_SCALE)
        np.rint(block, out=block)
        np.clip(block, -limit, limit, out=block)
        pool[r0 : r0 + _POOL_BLOCK] = block
    return pool


def gaussian_image(rng: np.random.Generator, height: int, width: int) -> I16:
    """A height x width field of standard-normal noise times POOL_SCALE, cheaply.

    Each image row is a random row of a fixed pool of true Gaussian noise, starting at a
    random column: two frames share a row's noise with probability 1/8192 per row, and
    never as a shifted copy of the whole frame (which a motion estimator could lock onto).
    """
    pool = _pool(width)
    rows = rng.integers(0, POOL_ROWS, height)
    c0 = int(rng.integers(0, POOL_SLACK))
    return pool[rows, c0 : c0 + width]
