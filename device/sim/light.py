"""The light on the room's surfaces in one frame: room light and IR ring, per pixel.

Both are smooth, so they are computed where a coarse grid of rays hits the room (exact
geometry from the device's position) and interpolated bilinearly, with the per-row factors
of a rolling-shutter frame (room flicker, the ring's lit fraction) folded in.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from device.sim.geometry import CameraParams, Pose
from device.sim.optics import ambient_radiance, ring_radiance
from device.sim.world import World

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Num = npt.NDArray[Any]

GRID_PX = 32  # the room light is smooth: computed on a grid this many pixels apart


@dataclass(frozen=True)
class _Tables:
    """Per-camera constants: the coarse light grid and how it is upsampled."""

    gx: F64  # grid node columns (image pixels)
    gy: F64  # grid node rows
    wx: F32  # (gw, W): linear interpolation along x
    ky: npt.NDArray[np.intp]  # for each light row: the grid row above it
    fy: F32  # and the blend towards the next grid row
    factor: int  # the light is smooth: computed on every `factor`-th row (1 or 2)


@functools.lru_cache(maxsize=8)
def _tables(cam: CameraParams) -> _Tables:
    gw = max(2, math.ceil((cam.width - 1) / GRID_PX) + 1)
    gh = max(2, math.ceil((cam.height - 1) / GRID_PX) + 1)
    gx = np.linspace(0, cam.width - 1, gw)
    gy = np.linspace(0, cam.height - 1, gh)
    f = 2 if cam.height % 2 == 0 else 1
    cols = np.arange(cam.width, dtype=np.float64)
    rows = np.arange(cam.height // f) * f + (f - 1) / 2  # image row of each light row
    step_x = gx[1] - gx[0]
    wx = np.clip(1 - np.abs(cols[None, :] - gx[:, None]) / step_x, 0, 1).astype(np.float32)
    pos = rows / (gy[1] - gy[0])
    ky = np.minimum(pos.astype(np.intp), gh - 2)
    return _Tables(gx, gy, wx, ky, (pos - ky).astype(np.float32), f)


def flicker_rows(row_start_s: F64, exposure_s: float, hz: float, depth: float, phase: float) -> F32:
    """Mean of 1 + depth*sin(2*pi*hz*t + phase) over each row's exposure."""
    if depth <= 0 or hz <= 0:
        return np.ones(row_start_s.shape, np.float32)
    w = 2 * math.pi * hz
    a = w * row_start_s + phase
    mean = (np.cos(a) - np.cos(a + w * exposure_s)) / (w * exposure_s)
    return (1 + depth * mean).astype(np.float32)


def lit(
    world: World,
    cam: CameraParams,
    pose: Pose,
    albedo: Num,
    amb_rows: F32,
    ring_gain: F32,
    scale: float,
) -> F32:
    """Albedo times light: room light and ring on a coarse grid, upsampled with row factors."""
    tab = _tables(cam)
    fwd, right, down = pose.basis()
    a = (tab.gx - cam.cx) / cam.fx
    b = (tab.gy - cam.cy) / cam.fy
    dirs = fwd + a[None, :, None] * right + b[:, None, None] * down
    dirs /= np.linalg.norm(dirs, axis=-1, keepdims=True)
    hits = world.geometry.raycast(pose.position_m, dirs)
    win = world.window
    wgeom = None if win is None else (win.centre, win.inward, win.area_m2)
    s = world.scenario
    amb = ambient_radiance(hits.points, hits.normals, s.lighting, s.size_m[2], world.lamps, wgeom)
    ring = ring_radiance(hits.points, hits.normals, pose)
    # Upsample bilinearly: first along y on the small grid, with the per-row factors (room
    # flicker, ring lit fraction) folded in, then along x by a small matrix product; on every
    # other row only (the light is smooth), then one broadcast multiply with the albedo.
    f, ky, fy = tab.factor, tab.ky, tab.fy
    fa = amb_rows.reshape(-1, f).mean(axis=1) * np.float32(scale)
    fr = ring_gain.reshape(-1, f).mean(axis=1) * np.float32(scale)
    a32, r32 = amb.astype(np.float32), ring.astype(np.float32)
    rows = a32[ky] * ((1 - fy) * fa)[:, None]
    rows += a32[ky + 1] * (fy * fa)[:, None]
    rows += r32[ky] * ((1 - fy) * fr)[:, None]
    rows += r32[ky + 1] * (fy * fr)[:, None]
    light = rows @ tab.wx
    if f == 1:
        light *= albedo
        return light
    h, w = cam.height, cam.width
    out = np.empty((h, w), np.float32)
    np.multiply(albedo.reshape(h // f, f, w), light[:, None, :], out=out.reshape(h // f, f, w))
    return out
