"""Render one camera frame of the virtual room: a pure function of its inputs.

`render_frame(world, cam, poses, ring_rows, rng)` returns the 8-bit grey frame a Pi NoIR
camera v2 would deliver: the room's albedo (a seeded panorama, or a photograph you pass as
`background`) lit by the room light and the IR ring, the objects' glints and self-lit
sources on top, motion blur and rolling shutter from the poses across the exposure, then
shot and read noise, 8-bit clipping. Pixels are linear in radiance (no gamma curve).

Rolling shutter: row r gathers light over [t_start + r * readout / H, ... + exposure];
`ring_rows[r]` is the fraction of that time the ring was on (0..1), so a frame exposed
across a ring transition is lit only partly, row by row.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from device.sim.appearance import Appearance
from device.sim.geometry import CameraParams, Pose, project
from device.sim.light import flicker_rows, lit
from device.sim.optics import OPTICS
from device.sim.sensor import expose
from device.sim.sprites import add_polygon, add_small_spots, add_spot, motion_path, paint_polygon
from device.sim.viewctx import Flicker, Poly, Spot
from device.sim.world import World

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Num = npt.NDArray[Any]  # uint8 albedo, uint16 sums of views, float32 photographs

BANDS = 8  # rolling-shutter skew of the background in this many horizontal bands
MAX_BLUR_PX = 8


class _PoseTrack:
    """Poses sampled evenly over the frame window; linear in between."""

    def __init__(self, poses: list[Pose], t0: float, span: float) -> None:
        self.poses, self.t0, self.span = poses, t0, span

    def frac(self, t_s: F64) -> F64:
        """Fractional index into `poses` of each time."""
        n = len(self.poses)
        if n == 1 or self.span <= 0:
            return np.zeros(np.shape(t_s))
        return np.clip((t_s - self.t0) / self.span * (n - 1), 0, n - 1)

    def at(self, t_s: float) -> Pose:
        n = len(self.poses)
        if n == 1 or self.span <= 0:
            return self.poses[0]
        f = min(max((t_s - self.t0) / self.span * (n - 1), 0.0), n - 1.0)
        k = min(int(f), n - 2)
        return self.poses[k].lerp(self.poses[k + 1], f - k)


def render_frame(
    world: World,
    cam: CameraParams,
    poses: list[Pose],
    ring_rows: F64,
    rng: np.random.Generator,
    *,
    t_start_s: float = 0.0,
    ring_level: float = 1.0,
    background: Num | None = None,
) -> U8:
    """Render one frame (see module docstring).

    `poses` are evenly spaced over the frame window, first row's start to last row's end (one
    pose = a still device).
    """
    track = _PoseTrack(list(poses), t_start_s, cam.window_s)
    row_start = t_start_s + cam.row_start_s()
    t_mid = t_start_s + cam.window_s / 2
    mid = track.at(t_mid)
    escale = (
        255.0 * (cam.exposure_s * cam.analogue_gain) / (OPTICS.ref_exposure_s * OPTICS.ref_gain)
    )
    room = world.scenario.room
    amb_rows = flicker_rows(row_start, cam.exposure_s, room.flicker_hz, room.flicker_depth, 0.0)
    ring_gain = np.clip(np.asarray(ring_rows, np.float32), 0, 1) * np.float32(ring_level)

    albedo, n_blur = _background(world, cam, track, row_start, background)
    img = lit(world, cam, mid, albedo, amb_rows, ring_gain, escale / 255.0 / n_blur)
    _draw(
        img, world, cam, track, mid, t_mid, row_start, amb_rows * escale, ring_gain * escale, escale
    )
    return expose(img, cam, rng)


def _background(
    world: World,
    cam: CameraParams,
    track: _PoseTrack,
    row_start: F64,
    photo: Num | None,
) -> tuple[Num, int]:
    """Albedo (0..255) behind everything, motion-blurred; returns (sum of views, view count)."""
    h, w = cam.height, cam.width
    ppd = cam.fx * math.pi / 180.0
    centre_row_t = row_start[h // 2]
    a, b = track.at(centre_row_t), track.at(centre_row_t + cam.exposure_s)
    dx = ((b.yaw_deg - a.yaw_deg + 180.0) % 360.0 - 180.0) * ppd
    dy = (b.pitch_deg - a.pitch_deg) * ppd
    n = int(min(max(math.ceil(max(abs(dx), abs(dy))), 0) + 1, MAX_BLUR_PX))
    m = MAX_BLUR_PX // 2 + 1
    if photo is None:
        bands = []
        edges = np.linspace(0, h + 2 * m, BANDS + 1).astype(int)
        for r0, r1 in itertools.pairwise(edges):
            row = min(max((r0 + r1) // 2 - m, 0), h - 1)
            p = track.at(row_start[row] + cam.exposure_s / 2)
            bands.append((int(r0), int(r1), p.yaw_deg, p.pitch_deg))
        places = world.places(float(centre_row_t))
        src: Num = world.panorama(places[0][0], cam).gather(cam, bands, m)
        if len(places) > 1:
            other = world.panorama(places[1][0], cam).gather(cam, bands, m)
            wa = np.float32(places[0][1])
            src = src * wa + other * (np.float32(1) - wa)
    else:
        src = _photo(photo, h + 2 * m, w + 2 * m)
    if n == 1:
        return src[m : m + h, m : m + w], 1
    acc: Num = np.zeros((h, w), np.float32 if src.dtype != np.uint8 else np.uint16)
    for i in range(n):
        u = i / (n - 1) - 0.5
        ox, oy = round(u * dx), round(u * dy)
        ox, oy = max(-m, min(m, ox)), max(-m, min(m, oy))
        acc += src[m - oy : m - oy + h, m - ox : m - ox + w]
    return acc, n


def _photo(photo: Num, h: int, w: int) -> Num:
    """A photograph as the background albedo: centre crop (edge-padded if too small)."""
    arr = np.asarray(photo)
    if arr.ndim == 3:
        arr = arr.mean(axis=2)
    if arr.dtype != np.uint8:
        arr = np.clip(arr * (255.0 if float(arr.max(initial=0)) <= 1.0 else 1.0), 0, 255).astype(
            np.float32
        )
    ph, pw = arr.shape
    if ph < h or pw < w:
        py, px = max(0, h - ph), max(0, w - pw)
        arr = np.pad(arr, ((py // 2, py - py // 2), (px // 2, px - px // 2)), mode="edge")
        ph, pw = arr.shape
    y0, x0 = (ph - h) // 2, (pw - w) // 2
    return arr[y0 : y0 + h, x0 : x0 + w]


def _draw(
    img: F32,
    world: World,
    cam: CameraParams,
    track: _PoseTrack,
    mid: Pose,
    t_mid: float,
    row_start: F64,
    amb_gain: F32,
    ring_gain: F32,
    escale: float,
) -> None:
    """Draw the objects: opaque surfaces, then glints and self-lit sources with motion."""
    items = Appearance(world, mid, cam, t_mid).build()
    if not items:
        return
    psf = OPTICS.psf_px(cam.width)
    polys = [it for it in items if isinstance(it, Poly)]
    if polys:
        _draw_polys(img, polys, cam, mid, row_start, amb_gain, ring_gain, escale)
    spots = [it for it in items if isinstance(it, Spot)]
    if spots:
        _draw_spots(img, spots, cam, track, mid, row_start, amb_gain, ring_gain, escale, psf)


def _draw_polys(
    img: F32,
    polys: list[Poly],
    cam: CameraParams,
    mid: Pose,
    row_start: F64,
    amb_gain: F32,
    ring_gain: F32,
    escale: float,
) -> None:
    """Polygons in painter's order: opaque surfaces far to near, then light added on top."""
    sizes = np.array([len(pl.points) for pl in polys])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    px, py, pz = project(np.concatenate([pl.points for pl in polys]), mid, cam)
    with np.errstate(invalid="ignore"):
        depth = np.add.reduceat(pz, starts) / sizes
        usable = np.minimum.reduceat(pz, starts) > 0.01
        usable &= np.maximum.reduceat(px, starts) >= 0
        usable &= np.minimum.reduceat(px, starts) < cam.width
        usable &= np.maximum.reduceat(py, starts) >= 0
        usable &= np.minimum.reduceat(py, starts) < cam.height
    opaque = np.array([pl.layer in ("albedo", "emit") for pl in polys])
    for i in np.lexsort((-depth, ~opaque)):
        if not usable[i]:
            continue
        pl = polys[i]
        a, b = starts[i], starts[i] + sizes[i]
        poly = np.stack([px[a:b], py[a:b]], axis=1)
        if pl.layer == "albedo":
            lit_amb, lit_ring = np.float32(pl.lit[0]), np.float32(pl.lit[1])
            paint_polygon(
                img, poly, np.float32(pl.value) * (lit_amb * amb_gain + lit_ring * ring_gain)
            )
        elif pl.layer == "emit":
            gain = _layer_gain("self", pl.flicker, row_start, cam, amb_gain, ring_gain, escale)
            paint_polygon(img, poly, np.float32(pl.value) * gain)
        else:
            gain = _layer_gain(pl.layer, pl.flicker, row_start, cam, amb_gain, ring_gain, escale)
            add_polygon(img, poly, pl.value, gain)


def _draw_spots(
    img: F32,
    spots: list[Spot],
    cam: CameraParams,
    track: _PoseTrack,
    mid: Pose,
    row_start: F64,
    amb_gain: F32,
    ring_gain: F32,
    escale: float,
    psf: float,
) -> None:
    """Spots at their row's time (rolling shutter), smeared over the row's exposure."""
    pts = np.array([s.point for s in spots])
    mx, my, mz = project(pts, mid, cam)
    keep = (mz > 0.01) & (mx > -20) & (mx < cam.width + 20) & (my > -20) & (my < cam.height + 20)
    if not np.any(keep):
        return
    idx = np.flatnonzero(keep)
    proj = [project(pts[idx], p, cam)[:2] for p in track.poses]
    xs = np.array([p[0] for p in proj])  # (K, N)
    ys = np.array([p[1] for p in proj])
    rows = np.clip(my[idx], 0, cam.height - 1).astype(np.int64)
    start = _interp_track(xs, ys, track.frac(row_start[rows]))
    end = _interp_track(xs, ys, track.frac(row_start[rows] + cam.exposure_s))
    finite = np.all(np.isfinite(start), axis=1) & np.all(np.isfinite(end), axis=1)
    gains = np.array(
        [
            _layer_gain(
                spots[j].layer, spots[j].flicker, row_start, cam, amb_gain, ring_gain, escale
            )
            for j in idx
        ]
    )
    radius = np.array([spots[j].radius_px for j in idx])
    energy = np.array([spots[j].energy for j in idx])
    smear = np.hypot(*(end - start).T)
    small = finite & (radius < 0.5 * psf) & (smear < 4.0)  # drawn as plain PSF Gaussians
    add_small_spots(img, start[small], end[small], energy[small], psf, gains[small])
    for i in np.flatnonzero(finite & ~small):
        path = motion_path((start[i, 0], start[i, 1]), (end[i, 0], end[i, 1]))
        add_spot(img, path, float(energy[i]), float(radius[i]), psf, gains[i])


def _interp_track(xs: F64, ys: F64, f: F64) -> F64:
    """Image positions (N, 2) of N points at fractional pose indices f (N,)."""
    n = xs.shape[0]
    cols = np.arange(xs.shape[1])
    if n == 1:
        return np.stack([xs[0], ys[0]], axis=1)
    k = np.minimum(f.astype(np.int64), n - 2)
    u = f - k
    x = xs[k, cols] + u * (xs[k + 1, cols] - xs[k, cols])
    y = ys[k, cols] + u * (ys[k + 1, cols] - ys[k, cols])
    return np.stack([x, y], axis=1)


def _layer_gain(
    layer: str,
    flicker: Flicker | None,
    row_start: F64,
    cam: CameraParams,
    amb_gain: F32,
    ring_gain: F32,
    escale: float,
) -> F32:
    """Per-row factor of a layer: ring lit fraction, room flicker, or the source's own."""
    if layer == "ring":
        return ring_gain
    if layer == "ambient":
        return amb_gain
    if flicker is None:
        return np.full(cam.height, escale, np.float32)
    rows = flicker_rows(row_start, cam.exposure_s, flicker.hz, flicker.depth, flicker.phase)
    return rows * np.float32(escale)
