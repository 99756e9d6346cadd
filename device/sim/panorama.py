"""Seeded procedural room texture, precomputed as an albedo panorama per standing place.

Each place the person stands (the door, each station) gets one panorama: rows are elevation
(top = highest), columns azimuth (left = largest, as seen facing it), `ppd` pixels per degree
matching the camera's focal length. A frame's background is then two cheap gathers from it
(columns, rows) with the pinhole's tangent mapping; small objects are drawn per frame on top.
The room is ray-cast at half resolution and upsampled, which keeps a panorama to a fraction
of a second. Both passes run over bands of rows: a panorama is a few MB of bytes, but a
whole one in float rays and hit points would be a hundred.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from device.sim.geometry import CameraParams, unit_dirs
from device.sim.room import FIRST_BOX, RoomGeometry
from device.sim.scenario_model import Room

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

LIGHT_DIR = np.array([0.3, 0.5, 0.81], np.float32)  # faces shade differently: edges stay visible
NOISE_PX = 256  # side of the tileable noise image the textures sample
GRAIN = 0.04  # fine multiplicative grain added at full resolution
BAND_PX = 1 << 15  # rays (half resolution) per band: a few 100 kB per float array

Picture = tuple[int, float, float, float, float, float]  # wall, centre x/z, half w/h, tone


@dataclass(frozen=True)
class Panorama:
    pixels: U8
    az_max_deg: float
    el_max_deg: float
    ppd: float
    centre_m: F64

    def gather(
        self, cam: CameraParams, bands: list[tuple[int, int, float, float]], margin: int
    ) -> U8:
        """Background albedo for a (H + 2m) x (W + 2m) frame; bands = (row0, row1, yaw, pitch)."""
        h, w = cam.height + 2 * margin, cam.width + 2 * margin
        col_map, row_map = _maps(cam, margin, self.ppd)
        ph, pw = self.pixels.shape
        out = np.empty((h, w), np.uint8)
        az_mid = self.az_max_deg - pw / self.ppd / 2
        yaw = np.array([b[2] for b in bands])
        yaw = az_mid + (yaw - az_mid + 180.0) % 360.0 - 180.0
        pitch = np.array([b[3] for b in bands])
        stretch = 1.0 / np.maximum(np.cos(np.radians(pitch)), 0.25)
        # all bands at once: column indices per band, row indices per image row
        cols = np.rint((self.az_max_deg - yaw)[:, None] * self.ppd + col_map * stretch[:, None])
        cols = np.clip(cols, 0, pw - 1).astype(np.intp)
        band_pitch = np.repeat(pitch, [b[1] - b[0] for b in bands])
        rows = np.rint((self.el_max_deg - band_pitch) * self.ppd + row_map[: band_pitch.size])
        rows = np.clip(rows, 0, ph - 1).astype(np.intp)
        lo, hi = cols.min(axis=1), cols.max(axis=1) + 1
        for i, (r0, r1, _, _) in enumerate(bands):
            c0 = int(lo[i])
            block = self.pixels[rows[r0:r1], c0 : int(hi[i])]  # fancy rows: faster than take
            np.take(block, cols[i] - c0, axis=1, out=out[r0:r1], mode="clip")
        return out


@functools.lru_cache(maxsize=16)
def _maps(cam: CameraParams, margin: int, ppd: float) -> tuple[F64, F64]:
    """Panorama offsets (pixels) of each image column and row: the pinhole's arctangent."""
    x = np.arange(cam.width + 2 * margin) - margin - cam.cx
    y = np.arange(cam.height + 2 * margin) - margin - cam.cy
    return np.degrees(np.arctan(x / cam.fx)) * ppd, np.degrees(np.arctan(y / cam.fy)) * ppd


def build_panorama(
    geom: RoomGeometry,
    centre_m: F64,
    az_range_deg: tuple[float, float],
    el_range_deg: tuple[float, float],
    ppd: float,
    seed: int,
    door_m: tuple[float, ...] | None = None,
) -> Panorama:
    """Ray-cast the room from `centre_m` and texture every hit (walls, floor, furniture)."""
    az_lo, az_hi = az_range_deg
    if az_hi - az_lo > 360.0:
        mid = 0.5 * (az_lo + az_hi)
        az_lo, az_hi = mid - 180.0, mid + 180.0
    el_lo, el_hi = max(el_range_deg[0], -90.0), min(el_range_deg[1], 90.0)
    half = ppd / 2
    cols = max(math.ceil((az_hi - az_lo) * half), 2)
    rows = max(math.ceil((el_hi - el_lo) * half), 2)
    az = (az_hi - (np.arange(cols) + 0.5) / half).astype(np.float32)
    el = (el_hi - (np.arange(rows) + 0.5) / half).astype(np.float32)
    rng = np.random.default_rng([seed, 0xA1BED0])
    noise = _noise_image(rng)
    pictures = _picture_layout(geom, rng)
    origin = centre_m.astype(np.float32)
    band = max(1, BAND_PX // cols)
    pixels = np.empty((2 * rows, 2 * cols), np.uint8)
    grain_cols = (np.arange(2 * cols) * 7)[None, :] % NOISE_PX
    for r0 in range(0, rows, band):
        r1 = min(rows, r0 + band)
        # one row more than the band: the last upsampled row blends towards the next band
        lo_res = _albedo(geom, origin, az, el[r0 : r1 + 1], noise, pictures, door_m)
        full = _upsample2(lo_res[: r1 - r0], lo_res[-1] if r1 < rows else None)
        full *= 1 + GRAIN * noise[np.arange(2 * r0, 2 * r1)[:, None] % NOISE_PX, grain_cols]
        full *= 255.0
        full += 0.5
        np.clip(full, 0, 255, out=full)
        pixels[2 * r0 : 2 * r1] = full
    return Panorama(pixels, az_hi, el_hi, ppd, centre_m)


def _noise_image(rng: np.random.Generator) -> F32:
    """Tileable smooth noise in -1..1 (white noise low-passed in the Fourier domain)."""
    white = rng.standard_normal((NOISE_PX, NOISE_PX))
    f = np.fft.fftfreq(NOISE_PX)
    k2 = f[:, None] ** 2 + f[None, :] ** 2
    smooth = np.real(np.fft.ifft2(np.fft.fft2(white) * np.exp(-k2 / (2 * 0.02**2))))
    smooth /= np.max(np.abs(smooth))
    return smooth.astype(np.float32)


def _upsample2(a: F32, below: F32 | None) -> F32:
    """Double both dimensions of a band of rows with linear interpolation.

    `below` is the row under the band (None at the bottom edge, which is repeated).
    """
    rows = np.empty((a.shape[0] * 2, a.shape[1]), np.float32)
    rows[0::2] = a
    rows[1:-1:2] = 0.5 * (a[:-1] + a[1:])
    rows[-1] = a[-1] if below is None else 0.5 * (a[-1] + below)
    out = np.empty((rows.shape[0], a.shape[1] * 2), np.float32)
    out[:, 0::2] = rows
    out[:, 1:-1:2] = 0.5 * (rows[:, :-1] + rows[:, 1:])
    out[:, -1] = rows[:, -1]
    return out


def _sample(noise: F32, u: npt.NDArray[Any], v: npt.NDArray[Any]) -> F32:
    """Nearest sample of the noise image at (u, v) given in noise pixels."""
    iu = u.astype(np.int64) & (NOISE_PX - 1)
    iv = v.astype(np.int64) & (NOISE_PX - 1)
    return noise[iv, iu]


def _albedo(
    geom: RoomGeometry,
    centre: F32,
    az: F32,
    el: F32,
    noise: F32,
    pictures: list[Picture],
    door_m: tuple[float, ...] | None,
) -> F32:
    """Albedo of the rays at azimuths `az` (columns) and elevations `el` (rows)."""
    dirs = unit_dirs(az[None, :], el[:, None]).astype(np.float32)
    hits = geom.raycast(centre, dirs, cull=True)
    p = hits.points.astype(np.float32)
    n = hits.normals.astype(np.float32)
    surf = hits.surface
    px, py, pz = p[..., 0], p[..., 1], p[..., 2]
    horiz = np.where(np.abs(n[..., 0]) > 0.5, py, px)
    vert = np.where(np.abs(n[..., 2]) > 0.5, py, pz)
    room = geom.room
    fine = _sample(noise, horiz * 160, vert * 160)
    coarse = _sample(noise, horiz * 9 + 97, vert * 9 + 31)
    out = np.float32(room.wall_albedo) * (1 + 0.10 * coarse + 0.05 * fine)
    walls = surf < 4
    out[walls] *= (1 + 0.04 * np.sign(np.sin(horiz * np.float32(2 * math.pi / 0.25))))[walls]
    out[walls & (pz < 0.1)] = 0.25  # skirting board
    _pictures(out, pictures, surf, horiz, pz, noise)
    if door_m is not None:  # the door the person came in by, on the nearest wall
        wall, along = _nearest_wall(geom.size, door_m)
        on = (surf == wall) & (np.abs(horiz - along) < 0.45) & (pz < 2.05)
        out[on] = (0.35 * (1 + fine))[on]
    _floor_ceiling(out, room, surf, px, py, fine, noise)
    for i, box in enumerate(room.furniture):
        on = surf == FIRST_BOX + i
        if np.any(on):
            wood = 1 + 0.12 * _sample(noise, horiz[on] * 20, vert[on] * 300) + fine[on]
            out[on] = box.albedo * wood
    shade = 0.85 + 0.15 * (n @ LIGHT_DIR)
    return np.clip(out * shade, 0.0, 1.0).astype(np.float32)


def _picture_layout(geom: RoomGeometry, rng: np.random.Generator) -> list[Picture]:
    """A few framed pictures on the walls: texture the motion estimator can lock onto."""
    out: list[Picture] = []
    for _ in range(int(rng.integers(4, 8))):
        wall = int(rng.integers(0, 4))
        wlen = float(geom.size[1] if wall < 2 else geom.size[0])
        cx, cz = rng.uniform(0.4, max(wlen - 0.4, 0.5)), rng.uniform(1.1, 1.8)
        hw, hh = rng.uniform(0.12, 0.35), rng.uniform(0.1, 0.3)
        out.append((wall, cx, cz, hw, hh, rng.uniform(0.15, 0.85)))
    return out


def _pictures(
    out: F32, pictures: list[Picture], surf: I64, horiz: F32, pz: F32, noise: F32
) -> None:
    """Paint the pictures (a dark frame round a textured inside) where the rays hit them."""
    for wall, cx, cz, hw, hh, inner in pictures:
        on = (surf == wall) & (np.abs(horiz - cx) < hw) & (np.abs(pz - cz) < hh)
        if not np.any(on):
            continue
        hx, hz = horiz[on], pz[on]
        frame = (np.abs(hx - cx) > hw - 0.03) | (np.abs(hz - cz) > hh - 0.03)
        pic = inner * (1 + 0.6 * _sample(noise, hx * 60 + 13, hz * 60 + 71))
        out[on] = np.where(frame, 0.12, pic)


def _floor_ceiling(
    out: F32, room: Room, surf: I64, px: F32, py: F32, fine: F32, noise: F32
) -> None:
    floor = surf == 4
    if np.any(floor):
        x, y = px[floor], py[floor]
        plank = np.floor(x / 0.15)
        albedo = room.floor_albedo * (1 + 0.15 * _sample(noise, plank * 37, plank * 11))
        gap = np.abs(x / 0.15 - plank - 0.5) > 0.47
        grain = 1 + 0.08 * _sample(noise, x * 400, y * 30)
        out[floor] = np.where(gap, 0.08, albedo * grain)
    ceiling = surf == 5
    out[ceiling] = (room.ceiling_albedo * (1 + 0.3 * fine))[ceiling]


def _nearest_wall(size: F64, xy: tuple[float, ...]) -> tuple[int, float]:
    """(wall id, coordinate along it) of the wall closest to a floor position."""
    x, y = xy[0], xy[1]
    dists = [x, size[0] - x, y, size[1] - y]
    wall = int(np.argmin(dists))
    return wall, (y if wall < 2 else x)
