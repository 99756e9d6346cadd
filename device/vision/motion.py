"""Global image shift between two frames by projection-profile matching (hand-held motion).

Row and column means of a frame are cheap (two passes over the pixels); their first
differences keep the scene's edges and drop the smooth brightness change the IR ring causes.
Matching the profiles of two frames over a bounded range of lags gives the integer shift of
the whole image in well under a millisecond at 640x480, plus a confidence (normalised
correlation at the best lag) that says whether the scene had enough structure to tell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.events import Gray

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Profiles:
    """Edge profiles of one frame: first differences of its row and column means."""

    rows: F32
    cols: F32


@dataclass(frozen=True)
class Shift:
    """`moving[y + dy, x + dx]` shows what `ref[y, x]` showed; `confidence` is 0..1."""

    dy: int
    dx: int
    confidence: float

    def __neg__(self) -> Shift:
        return Shift(-self.dy, -self.dx, self.confidence)


ZERO = Shift(0, 0, 0.0)


def profiles(img: Gray) -> Profiles:
    """Edge profiles of a grey frame."""
    rows = img.mean(axis=1, dtype=np.float32)
    cols = img.mean(axis=0, dtype=np.float32)
    return Profiles(np.diff(rows).astype(np.float32), np.diff(cols).astype(np.float32))


def _match_1d(ref: F32, mov: F32, max_lag: int) -> tuple[int, float]:
    """Lag d maximising the normalised correlation of ref[i] with mov[i + d]."""
    n = ref.size
    max_lag = min(max_lag, n // 3)
    # full[k] = sum_i ref[i] * mov[i + k - (n - 1)]; lags -max_lag..max_lag sit around n - 1.
    full = np.correlate(mov, ref, mode="full")
    lags = np.arange(-max_lag, max_lag + 1)
    num = full[lags + n - 1].astype(np.float64)
    c_ref = np.concatenate([[0.0], np.cumsum(ref.astype(np.float64) ** 2)])
    c_mov = np.concatenate([[0.0], np.cumsum(mov.astype(np.float64) ** 2)])
    # Overlap for lag d >= 0: ref[0:n-d], mov[d:n]; for d < 0: ref[-d:n], mov[0:n+d].
    pos = lags >= 0
    e_ref = np.where(pos, c_ref[n - np.maximum(lags, 0)], c_ref[n] - c_ref[np.maximum(-lags, 0)])
    e_mov = np.where(pos, c_mov[n] - c_mov[np.maximum(lags, 0)], c_mov[n + np.minimum(lags, 0)])
    den = np.sqrt(e_ref * e_mov)
    score = np.where(den > 0, num / np.where(den > 0, den, 1.0), -1.0)
    k = int(np.argmax(score))
    return int(lags[k]), max(0.0, float(score[k]))


def estimate_shift(ref: Profiles, moving: Profiles, max_shift_px: int) -> Shift:
    """Integer global shift of `moving` relative to `ref`, within +-max_shift_px per axis."""
    if min(ref.rows.size, ref.cols.size) < 3 or ref.rows.shape != moving.rows.shape \
            or ref.cols.shape != moving.cols.shape:
        return ZERO  # too small (or different sizes) to tell any motion
    dy, cy = _match_1d(ref.rows, moving.rows, max_shift_px)
    dx, cx = _match_1d(ref.cols, moving.cols, max_shift_px)
    return Shift(dy, dx, min(cy, cx))
