"""The room's solid geometry: walls, floor, ceiling and furniture boxes, ray-cast in bulk."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.sim.geometry import I64, FArr, ray_box_exit, ray_boxes
from device.sim.scenario_model import Room

F64 = npt.NDArray[np.float64]

# Surface ids: 0 west wall (x=0), 1 east, 2 south (y=0), 3 north, 4 floor, 5 ceiling,
# 6 + i furniture box i.
WALL_NORMALS = np.array(
    [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], dtype=np.float64
)
FIRST_BOX = 6


@dataclass(frozen=True)
class Hits:
    """Where a bundle of rays hits the room: distance, point, inward normal, surface id."""

    t: FArr
    points: FArr
    normals: FArr
    surface: I64


class RoomGeometry:
    """Axis-aligned box room with axis-aligned furniture."""

    def __init__(self, room: Room) -> None:
        self.size = np.array(room.size_m, dtype=np.float64)
        self.boxes = [(np.array(b.min_m, float), np.array(b.max_m, float)) for b in room.furniture]
        self.room = room

    def raycast(self, origin: FArr, dirs: FArr, cull: bool = False) -> Hits:
        """First surface hit by each ray (dirs (..., 3) unit vectors) from a point inside.

        `cull` tests each furniture box only against rays inside its bounding cone: worth it
        for a panorama's millions of rays, not for a few hundred.
        """
        shape = dirs.shape[:-1]
        flat = dirs.reshape(-1, 3)
        origin = np.clip(origin, 1e-3, self.size - 1e-3).astype(flat.dtype)
        t, surface = ray_box_exit(origin, flat, self.size.astype(flat.dtype))
        normals = WALL_NORMALS[surface].astype(flat.dtype)
        if self.boxes and not cull:
            self._all_boxes(origin, flat, t, surface, normals)
        for i, (lo, hi) in enumerate(self.boxes if cull else []):
            idx = self._candidates(origin, flat, lo, hi)
            sub = flat if idx is None else flat[idx]
            tb, axis = ray_boxes(origin, sub, lo.astype(flat.dtype), hi.astype(flat.dtype))
            t_cur = t if idx is None else t[idx]
            closer = tb < t_cur
            if not np.any(closer):
                continue
            rows = np.flatnonzero(closer) if idx is None else idx[closer]
            t[rows] = tb[closer]
            surface[rows] = FIRST_BOX + i
            comp = sub[closer, axis[closer]]
            box_n = np.zeros((rows.size, 3), flat.dtype)
            box_n[np.arange(rows.size), axis[closer]] = -np.sign(comp)
            normals[rows] = box_n
        points = origin + flat * t[:, None]
        return Hits(
            t.reshape(shape),
            points.reshape(*shape, 3),
            normals.reshape(*shape, 3),
            surface.reshape(shape),
        )

    def _all_boxes(self, origin: FArr, dirs: FArr, t: FArr, surface: I64, normals: FArr) -> None:
        """Every box against every ray at once (for small bundles of rays)."""
        lo = np.array([b[0] for b in self.boxes], dirs.dtype)[:, None, :]
        hi = np.array([b[1] for b in self.boxes], dirs.dtype)[:, None, :]
        tb, axis = ray_boxes(origin, dirs[None, :, :], lo, hi)  # (B, N)
        best = np.argmin(tb, axis=0)
        cols = np.arange(dirs.shape[0])
        t_box = tb[best, cols]
        closer = t_box < t
        if not np.any(closer):
            return
        t[closer] = t_box[closer]
        surface[closer] = FIRST_BOX + best[closer]
        ax = axis[best, cols][closer]
        rows = np.flatnonzero(closer)
        box_n = np.zeros((rows.size, 3), dirs.dtype)
        box_n[np.arange(rows.size), ax] = -np.sign(dirs[rows, ax])
        normals[rows] = box_n

    @staticmethod
    def _candidates(origin: FArr, dirs: FArr, lo: F64, hi: F64) -> npt.NDArray[np.intp] | None:
        """Indices of rays that may hit the box (inside its bounding cone), None = all."""
        centre = 0.5 * (lo + hi) - origin
        radius = 0.5 * float(np.linalg.norm(hi - lo))
        dist = float(np.linalg.norm(centre))
        if dist <= radius * 1.05:
            return None
        cos_cone = math.cos(math.asin(radius / dist) + 0.01)
        return np.flatnonzero(dirs @ (centre / dist).astype(dirs.dtype) >= cos_cone)
