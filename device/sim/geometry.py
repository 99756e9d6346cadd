"""Vector geometry of the virtual room: directions, the device pose, pinhole projection.

Room frame: x east, y north, z up (metres). A direction `(azimuth_deg, elevation_deg)` has
azimuth 0 along +x and 90 along +y (counter-clockwise seen from above). The camera looks
along its pose's (yaw, pitch); image x grows to the right, image y downwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
FArr = npt.NDArray[np.floating[Any]]  # float32 or float64 (panoramas work in float32)
I64 = npt.NDArray[np.int64]

# Raspberry Pi camera v2 (Sony IMX219, the NoIR variant has no IR-cut filter): 62.2 x 48.8
# degrees full field of view (Raspberry Pi camera documentation).
PI_CAM_V2_HFOV_DEG = 62.2
PI_CAM_V2_VFOV_DEG = 48.8


def unit_dir(azimuth_deg: float, elevation_deg: float) -> F64:
    """Unit vector for a direction given as azimuth/elevation in degrees."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])


def unit_dirs(azimuth_deg: FArr, elevation_deg: FArr) -> F64:
    """Vectorised `unit_dir`: arrays of angles -> (..., 3) unit vectors."""
    az, el = np.broadcast_arrays(np.radians(azimuth_deg), np.radians(elevation_deg))
    ce = np.cos(el)
    return np.stack([ce * np.cos(az), ce * np.sin(az), np.sin(el)], axis=-1)


def cross(a: F64, b: F64) -> F64:
    """Cross product of two 3-vectors (np.cross is slow for single vectors)."""
    return np.array(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


def plane_axes(normal: F64) -> tuple[F64, F64]:
    """Two unit vectors spanning the plane with this normal: (horizontal-ish, up-ish)."""
    up = np.array([0.0, 0.0, 1.0])
    if abs(float(normal @ up)) > 0.95:  # a ceiling/floor object: use north as "up"
        up = np.array([0.0, 1.0, 0.0])
    side = cross(up, normal)
    side /= math.sqrt(float(side @ side))
    return side, cross(normal, side)


@dataclass(frozen=True)
class Pose:
    """Where the device is and where its camera looks (degrees; roll about the view axis)."""

    position_m: F64
    yaw_deg: float
    pitch_deg: float
    roll_deg: float = 0.0

    def basis(self) -> tuple[F64, F64, F64]:
        """(forward, right, down) unit vectors of the camera in the room frame."""
        cached: tuple[F64, F64, F64] | None = self.__dict__.get("_basis")
        if cached is not None:
            return cached
        y, p, r = (math.radians(a) for a in (self.yaw_deg, self.pitch_deg, self.roll_deg))
        cy, sy, cp, sp, cr, sr = (
            math.cos(y),
            math.sin(y),
            math.cos(p),
            math.sin(p),
            math.cos(r),
            math.sin(r),
        )
        fwd = np.array([cp * cy, cp * sy, sp])
        right = np.array([sy, -cy, 0.0])
        up = np.array([-sp * cy, -sp * sy, cp])  # right x fwd
        out = (fwd, right * cr + up * sr, -(up * cr - right * sr))
        self.__dict__["_basis"] = out  # poses are immutable: cache the rotation
        return out

    def lerp(self, other: Pose, u: float) -> Pose:
        """Linear blend towards `other` (0..1), angles by shortest way."""

        def ang(a: float, b: float) -> float:
            return a + u * ((b - a + 180.0) % 360.0 - 180.0)

        return Pose(
            self.position_m + u * (other.position_m - self.position_m),
            ang(self.yaw_deg, other.yaw_deg),
            self.pitch_deg + u * (other.pitch_deg - self.pitch_deg),
            self.roll_deg + u * (other.roll_deg - self.roll_deg),
        )


@dataclass(frozen=True)
class CameraParams:
    """Pinhole camera and sensor timing (defaults: Pi NoIR camera v2 at 640x480)."""

    width: int = 640
    height: int = 480
    hfov_deg: float = PI_CAM_V2_HFOV_DEG
    vfov_deg: float = PI_CAM_V2_VFOV_DEG
    exposure_s: float = 0.008
    analogue_gain: float = 4.0
    # Rolling shutter: time from the first row's start to the last row's start. The IMX219's
    # 2x2-binned full-FOV mode reads 1232 lines in about 20 ms.
    readout_s: float = 0.020
    fx: float = field(init=False)
    fy: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fx", (self.width / 2) / math.tan(math.radians(self.hfov_deg / 2)))
        object.__setattr__(
            self, "fy", (self.height / 2) / math.tan(math.radians(self.vfov_deg / 2))
        )

    @property
    def cx(self) -> float:
        return (self.width - 1) / 2

    @property
    def cy(self) -> float:
        return (self.height - 1) / 2

    @property
    def window_s(self) -> float:
        """Whole exposure window: first row's start to last row's end."""
        return self.readout_s + self.exposure_s

    def row_start_s(self) -> F64:
        """Start of each row's exposure relative to the frame start (rolling shutter)."""
        return np.arange(self.height) * (self.readout_s / self.height)


def project(points: F64, pose: Pose, cam: CameraParams) -> tuple[F64, F64, F64]:
    """Project (N, 3) room points: image x, y (pixels) and depth along the view axis (m)."""
    fwd, right, down = pose.basis()
    d = np.atleast_2d(points) - pose.position_m
    z = d @ fwd
    safe = np.where(z > 1e-6, z, np.nan)
    x = cam.cx + cam.fx * (d @ right) / safe
    y = cam.cy + cam.fy * (d @ down) / safe
    return x, y, z


def angle_deg(a: F64, b: F64) -> F64:
    """Angle between unit vectors (broadcast over leading axes), degrees."""
    c = np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)
    return np.degrees(np.arccos(c))


def ray_box_exit(origin: FArr, dirs: FArr, size: FArr) -> tuple[FArr, I64]:
    """Distance along each ray from inside the room box to its wall, and the wall index.

    Wall index: 0 west (x=0), 1 east, 2 south (y=0), 3 north, 4 floor, 5 ceiling.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        t_hi = (size - origin) / dirs
        t_lo = -origin / dirs
    t_axis = np.where(dirs > 0, t_hi, t_lo)
    t_axis = np.where(np.isfinite(t_axis) & (t_axis > 0), t_axis, np.inf)
    axis = np.argmin(t_axis, axis=-1)
    t = np.take_along_axis(t_axis, axis[..., None], axis=-1)[..., 0]
    positive = np.take_along_axis(dirs, axis[..., None], axis=-1)[..., 0] > 0
    return t, np.asarray(axis * 2 + positive, dtype=np.int64)


def ray_boxes(origin: FArr, dirs: FArr, lo: FArr, hi: FArr) -> tuple[FArr, I64]:
    """Entry distance of each ray (N, 3) into an axis-aligned box (inf = miss) and its face axis."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / dirs
        t1 = (lo - origin) * inv
        t2 = (hi - origin) * inv
    tmin = np.fmin(t1, t2)
    tmax = np.fmax(t1, t2)
    np.nan_to_num(tmin, copy=False, nan=-np.inf)
    np.nan_to_num(tmax, copy=False, nan=np.inf)
    axis = np.argmax(tmin, axis=-1)
    t_near = np.max(tmin, axis=-1)
    t_far = np.min(tmax, axis=-1)
    hit = (t_far >= t_near) & (t_near > 1e-6)
    return np.where(hit, t_near, np.inf), np.asarray(axis, dtype=np.int64)
