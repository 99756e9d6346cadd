"""ON - OFF differencing and spot extraction: where is something bright only with the ring ON?

Pure numpy over 8-bit grey frames. The OFF frame is first aligned to the ON frame with the
global shift from `device.vision.motion`; a pixel is a spot candidate when its difference
exceeds a threshold, is a local maximum, and stands above the difference sampled on two rings
around it (so a wall lit by the ring is not a glint, but a pinhole on that wall is). Work is
proportional to the number of bright-difference pixels, not to the frame size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.events import Gray
from device.vision.motion import Shift

I16 = npt.NDArray[np.int16]
IntArr = npt.NDArray[np.intp]


@dataclass(frozen=True)
class ExtractParams:
    """Thresholds of the spot detector (from VisionConfig; reasons in defaults.toml)."""

    diff_threshold: float = 24.0
    local_contrast: float = 16.0
    spot_radius_px: int = 6
    off_window_px: int = 2
    local_search_px: int = 3
    twin_px: int = 12
    max_candidates: int = 32
    max_pixels: int = 20000


@dataclass(frozen=True)
class Spot:
    """A local maximum of ON - OFF that passed the spot tests (pixel coords of the ON frame)."""

    y: int
    x: int
    peak: int  # ON - OFF at the spot, 0..255
    surround: float  # ON - OFF on the rings around it
    off_max: int  # brightest OFF pixel near the spot (after alignment)
    twin: int = 0  # lowest ON - OFF within twin_px: a self-lit point's own OFF image, missed
    # by the alignment, leaves a dark copy of the glint next to it


def _ring_offsets(radius: float, n: int = 16) -> tuple[IntArr, IntArr]:
    a = np.arange(n) * (2 * np.pi / n)
    return (np.round(radius * np.sin(a)).astype(np.intp),
            np.round(radius * np.cos(a)).astype(np.intp))


def _mirror_border(d: I16, p: int) -> None:
    """Fill the p-pixel padding around the frame with its mirror image, in place.

    Ring samples that fall outside the frame then see the scene continued, so the frame
    border does not look like a dark surround.
    """
    h, w = d.shape[0] - 2 * p, d.shape[1] - 2 * p
    if h > p and w > p:
        d[:p] = d[2 * p:p:-1]
        d[p + h:] = d[p + h - 2:h - 2:-1]
        d[:, :p] = d[:, 2 * p:p:-1]
        d[:, p + w:] = d[:, p + w - 2:w - 2:-1]
    else:  # a tiny frame: numpy repeats the reflection as often as needed
        inner = d[p:p + h, p:p + w]
        d[...] = np.pad(inner, p, mode="reflect") if min(h, w) > 1 else np.pad(inner, p, "edge")


# Half-side of the neighbourhood matched around a spot for local alignment, and the radius
# of its centre left out of the match (the glint itself is not in the OFF frame).
LOCAL_PATCH_RADIUS = 5
# How far a kept spot may move to the brightest difference pixel near it (a glint next to
# a lit edge).
RECENTRE_PX = 3
# Above this many bright-difference pixels the local maxima are found over the whole frame.
DENSE_PIXELS = 4000
LOCAL_CENTRE_RADIUS = 2


def _window_max(img: Gray, ys: IntArr, xs: IntArr, half: int) -> IntArr:
    """Maximum of `img` over the (2*half+1)^2 window around each (y, x), clipped to the frame."""
    h, w = img.shape
    g = np.arange(-half, half + 1)
    near = img[np.clip(ys[:, None, None] + g[None, :, None], 0, h - 1),
               np.clip(xs[:, None, None] + g[None, None, :], 0, w - 1)]
    out: IntArr = near.reshape(len(ys), -1).max(axis=1).astype(np.intp)
    return out


class Differencer:
    """Holds padded work buffers for one frame size so each pair allocates almost nothing."""

    def __init__(self, params: ExtractParams) -> None:
        self.p = params
        self.pad = int(np.ceil(params.spot_radius_px * 1.5)) + 1
        self._shape: tuple[int, int] | None = None
        self._d = np.zeros((1, 1), np.int16)
        self._inner = _ring_offsets(params.spot_radius_px)
        self._outer = _ring_offsets(params.spot_radius_px * 1.5)
        five = np.array([0, 3, 6, 10, 13])  # five of the sixteen, spread round the ring
        self._inner5 = (self._inner[0][five], self._inner[1][five])
        self._outer5 = (self._outer[0][five], self._outer[1][five])
        g = np.arange(-LOCAL_PATCH_RADIUS, LOCAL_PATCH_RADIUS + 1)
        self._ring_mask = ((g[:, None] ** 2 + g[None, :] ** 2)
                           > LOCAL_CENTRE_RADIUS ** 2).astype(np.float32)

    def difference(self, on: Gray, off: Gray, shift: Shift) -> I16:
        """ON minus the aligned OFF, zero where the OFF frame did not cover (padded view)."""
        if on.shape != off.shape:
            raise ValueError(f"ON is {on.shape} but OFF is {off.shape}; frames must match")
        h, w = on.shape
        if self._shape != (h, w):
            self._shape = (h, w)
            self._d = np.zeros((h + 2 * self.pad, w + 2 * self.pad), np.int16)
        d = self._d
        d.fill(0)
        dy, dx = shift.dy, shift.dx
        y0, y1 = max(0, -dy), min(h, h - dy)
        x0, x1 = max(0, -dx), min(w, w - dx)
        p = self.pad
        if y1 > y0 and x1 > x0:
            np.subtract(on[y0:y1, x0:x1], off[y0 + dy:y1 + dy, x0 + dx:x1 + dx],
                        out=d[p + y0:p + y1, p + x0:p + x1], dtype=np.int16)
        _mirror_border(d, p)
        return d

    def spots(self, on: Gray, off: Gray, shift: Shift) -> list[Spot]:
        """Spots bright in ON and absent in the aligned OFF, brightest first."""
        p = self.p
        d = self.difference(on, off, shift)
        flat = d.ravel()
        h, w = on.shape
        pad, stride = self.pad, d.shape[1]
        interior = d[pad:pad + h, pad:pad + w]
        above = interior > p.diff_threshold
        inner = np.flatnonzero(above)
        if inner.size == 0:
            return []
        if inner.size > DENSE_PIXELS:
            # Much of the frame is lit by the ring: a whole-frame 3x3 maximum is cheaper than
            # gathering eight neighbours for every bright pixel.
            rowmax = np.maximum(np.maximum(d[:, :-2], d[:, 1:-1]), d[:, 2:])
            max3 = np.maximum(np.maximum(rowmax[:-2], rowmax[1:-1]), rowmax[2:])
            peak = above & (interior >= max3[pad - 1:pad - 1 + h, pad - 1:pad - 1 + w])
            inner = np.flatnonzero(peak)
            idx = (inner // w + pad) * stride + inner % w + pad
            v = flat[idx]
        else:
            idx = (inner // w + pad) * stride + inner % w + pad  # back to the padded buffer
            v = flat[idx]
            # Local maximum over the 8-neighbourhood (>= so plateaus of saturation survive).
            keep = np.ones(idx.size, bool)
            for off_i in (-stride - 1, -stride, -stride + 1, -1, 1, stride - 1, stride,
                          stride + 1):
                keep &= v >= flat[idx + off_i]
            idx, v = idx[keep], v[keep]
        if idx.size > p.max_pixels:  # a glossy scene lit up: keep the brightest maxima only
            top = np.argpartition(v, -p.max_pixels)[-p.max_pixels:]
            idx, v = idx[top], v[top]
        if idx.size == 0:
            return []
        # Spot test: fewer than 5 of 16 ring samples within `local_contrast` of the centre
        # on either ring (the 5th-highest sample is that much lower). Five samples all too
        # bright on both rings already fail it, which clears a lit surface's noise cheaply.
        limit = v - p.local_contrast
        keep = (self._ring_count(d, idx, self._inner5, limit) < 5) | \
            (self._ring_count(d, idx, self._outer5, limit) < 5)
        idx, v, limit = idx[keep], v[keep], limit[keep]
        keep = (self._ring_count(d, idx, self._inner, limit) < 5) | \
            (self._ring_count(d, idx, self._outer, limit) < 5)
        idx, v = idx[keep], v[keep]
        if idx.size == 0:
            return []
        surround = np.minimum(self._ring_level(d, idx, self._inner),
                              self._ring_level(d, idx, self._outer))
        # Most spot-like first (height above the surround): when a glossy scene offers more
        # spots than max_candidates, a small lens glint is not crowded out by a lit strip.
        order = np.lexsort((-v, -(v.astype(np.int32) - surround)))
        ys = idx[order] // stride - self.pad
        xs = idx[order] % stride - self.pad
        # One survivor per spot-sized cell before the exact greedy pass keeps that pass short.
        r = max(1, p.spot_radius_px)
        cell = (ys // r) * (stride // r + 2) + xs // r
        _, first = np.unique(cell, return_index=True)
        first = np.sort(first)[: 8 * p.max_candidates]
        return self._suppress(on, off, shift, ys[first], xs[first], v[order][first],
                              surround[order][first])

    def _ring_samples(self, d: I16, idx: IntArr, ring: tuple[IntArr, IntArr]) -> I16:
        """ON - OFF at 16 points on a ring around each pixel (the border is mirrored)."""
        offsets = ring[0] * d.shape[1] + ring[1]
        out: I16 = d.ravel()[idx[:, None] + offsets[None, :]]
        return out

    def _ring_count(self, d: I16, idx: IntArr, ring: tuple[IntArr, IntArr],
                    limit: I16) -> npt.NDArray[np.uint8]:
        """How many ring samples reach `limit` (one flat gather per sample: numpy is much
        faster at that than at reducing a short second axis)."""
        flat = d.ravel()
        count = np.zeros(idx.size, np.uint8)
        for off in (ring[0] * d.shape[1] + ring[1]).tolist():
            count += flat[idx + off] >= limit
        return count

    def _ring_level(self, d: I16, idx: IntArr, ring: tuple[IntArr, IntArr]) -> I16:
        """The 5th-highest of 16 ON - OFF samples on a ring around each pixel.

        The 5th of 16 lets a spot next to one bright edge count.
        """
        samples = self._ring_samples(d, idx, ring)
        part: I16 = np.partition(samples, -5, axis=1)[:, -5]
        return part

    def _suppress(self, on: Gray, off: Gray, shift: Shift, ys: IntArr, xs: IntArr,
                  v: I16, surround: I16) -> list[Spot]:
        """Greedy non-maximum suppression within the spot radius, then the OFF test."""
        p = self.p
        n = min(ys.size, 4 * p.max_candidates)
        ys, xs, v, surround = ys[:n], xs[:n], v[:n], surround[:n]
        near = ((ys[:, None] - ys[None, :]) ** 2 + (xs[:, None] - xs[None, :]) ** 2
                <= p.spot_radius_px ** 2)
        alive = np.ones(n, bool)
        rows: list[int] = []
        for i in range(n):  # brightest first: each kept spot silences its neighbours
            if alive[i]:
                rows.append(i)
                alive &= ~near[i]
                if len(rows) >= 2 * p.max_candidates:
                    break
        sel = np.asarray(rows, np.intp)
        ky, kx, kv = self._recentre(on.shape, ys[sel], xs[sel])
        sur = surround[sel]
        _, first = np.unique(ky * on.shape[1] + kx, return_index=True)
        first = np.sort(first)  # two maxima may lead to the same glint: keep it once
        ky, kx, kv, sur = ky[first], kx[first], kv[first], sur[first]
        off_max = self._off_max(on, off, shift, ky, kx)
        ok = on[ky, kx].astype(np.intp) - off_max > p.diff_threshold
        ky, kx, kv, sur, off_max = ky[ok], kx[ok], kv[ok], sur[ok], off_max[ok]
        n = min(int(ky.size), p.max_candidates)
        twin = self._twin(on.shape, ky[:n], kx[:n])
        return [Spot(int(ky[i]), int(kx[i]), int(kv[i]), float(sur[i]), int(off_max[i]),
                     int(twin[i])) for i in range(n)]

    def _twin(self, shape: tuple[int, ...], ys: IntArr, xs: IntArr) -> IntArr:
        """Lowest ON - OFF within twin_px of each spot (0 when nothing is darker in ON).

        A lens is dark in OFF wherever the hand moved it. A steady LED that the alignment
        missed (rolling-shutter skew at the top and bottom of the frame in a fast pan) shows
        in OFF a few pixels away: ON - OFF there is about minus its glint.
        """
        r = self.p.twin_px
        if r <= 0 or ys.size == 0:
            return np.zeros(ys.size, np.intp)
        h, w = shape[0], shape[1]
        pad = self.pad
        g = np.arange(-r, r + 1)
        wy = np.clip(ys[:, None, None] + g[None, :, None], 0, h - 1) + pad
        wx = np.clip(xs[:, None, None] + g[None, None, :], 0, w - 1) + pad
        low: IntArr = np.minimum(self._d[wy, wx].reshape(ys.size, -1).min(axis=1), 0)
        return low.astype(np.intp)

    def _recentre(self, shape: tuple[int, ...], ys: IntArr, xs: IntArr
                  ) -> tuple[IntArr, IntArr, I16]:
        """Move each spot to the brightest ON - OFF pixel within RECENTRE_PX.

        The most spot-like maximum can sit on a lit housing's edge right next to the glint;
        the classifier is trained on patches centred on the glint itself.
        """
        d, pad = self._d, self.pad
        g = np.arange(-RECENTRE_PX, RECENTRE_PX + 1)
        wy = ys[:, None, None] + g[None, :, None]
        wx = xs[:, None, None] + g[None, None, :]
        win = np.where((wy >= 0) & (wy < shape[0]) & (wx >= 0) & (wx < shape[1]),
                       d[wy + pad, wx + pad], np.iinfo(np.int16).min)
        best = win.reshape(len(ys), -1).argmax(axis=1)
        side = 2 * RECENTRE_PX + 1
        ny = np.clip(ys + best // side - RECENTRE_PX, 0, shape[0] - 1)
        nx = np.clip(xs + best % side - RECENTRE_PX, 0, shape[1] - 1)
        out: I16 = d[ny + pad, nx + pad]
        return ny, nx, out

    def _off_max(self, on: Gray, off: Gray, shift: Shift, ys: IntArr, xs: IntArr) -> IntArr:
        """Brightest OFF pixel near each spot after aligning its surroundings locally.

        The global shift leaves a few pixels of error near depth edges (parallax) and under
        rolling-shutter skew, so each spot's neighbourhood (its centre left out) is matched
        against the OFF frame over +-local_search_px first; a lamp's rim or a window edge
        then finds itself in OFF, a glint does not.
        """
        p = self.p
        lsr, win = p.local_search_px, p.off_window_px
        oy, ox = ys + shift.dy, xs + shift.dx
        tight = _window_max(off, oy, ox, win)
        if lsr == 0:
            return tight
        # Only spots whose verdict the local alignment could change need it: dark in OFF even
        # over the widest window = accepted anyway; bright in OFF right there = refused anyway.
        wide = _window_max(off, oy, ox, win + lsr)
        peak = on[ys, xs].astype(np.intp)
        unsure = (peak - wide <= p.diff_threshold) & (peak - tight > p.diff_threshold)
        out = tight.copy()
        if np.any(unsure):
            out[unsure] = self._refined_off_max(on, off, shift, ys[unsure], xs[unsure])
        return out

    def _refined_off_max(self, on: Gray, off: Gray, shift: Shift, ys: IntArr,
                         xs: IntArr) -> IntArr:
        p = self.p
        r, lsr, win = LOCAL_PATCH_RADIUS, p.local_search_px, p.off_window_px
        h, w = on.shape
        offs = np.arange(-r, r + 1)
        on_p = on[np.clip(ys[:, None, None] + offs[None, :, None], 0, h - 1),
                  np.clip(xs[:, None, None] + offs[None, None, :], 0, w - 1)].astype(np.float32)
        big = np.arange(-r - lsr, r + lsr + 1)
        oy = ys + shift.dy
        ox = xs + shift.dx
        off_w = off[np.clip(oy[:, None, None] + big[None, :, None], 0, h - 1),
                    np.clip(ox[:, None, None] + big[None, None, :], 0, w - 1)].astype(np.float32)
        views = np.lib.stride_tricks.sliding_window_view(
            off_w, (2 * r + 1, 2 * r + 1), axis=(1, 2))  # type: ignore[call-overload]
        mask = self._ring_mask
        n_m = float(mask.sum())
        on_c = on_p - (on_p * mask).sum(axis=(1, 2), keepdims=True) / n_m
        mean_v = (views * mask).sum(axis=(3, 4), keepdims=True) / n_m
        cost = (np.abs(on_c[:, None, None] - (views - mean_v)) * mask).sum(axis=(3, 4))
        best = cost.reshape(len(ys), -1).argmin(axis=1)
        side = 2 * lsr + 1
        return _window_max(off, oy + best // side - lsr, ox + best % side - lsr, win)
