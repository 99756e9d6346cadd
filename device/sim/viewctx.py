"""Shared pieces of the appearance model: draw-list items, outlines, the view context."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from device.sim.geometry import CameraParams, Pose, plane_axes, unit_dir
from device.sim.optics import OPTICS
from device.sim.world import World

F64 = npt.NDArray[np.float64]
# ring: lit by the ring (x ring fraction per row); ambient: room light (x room flicker);
# self: its own light, added; emit: its own light, opaque (covers what is behind);
# albedo: an opaque surface lit by the room light and the ring.
Layer = Literal["ring", "ambient", "self", "emit", "albedo"]

MIN_ENERGY = 1e-4  # FS px^2: fainter glints are not drawn


@dataclass(frozen=True)
class Flicker:
    hz: float
    depth: float
    phase: float


@dataclass
class Spot:
    """A small round light source at a room point (drawn with motion blur)."""

    point: F64
    radius_px: float
    energy: float  # radiance x px^2
    layer: Layer
    flicker: Flicker | None = None


@dataclass
class Poly:
    """A convex polygon in the room: emitting (`value` = radiance) or opaque (`value` = albedo)."""

    points: F64
    value: float
    layer: Layer
    flicker: Flicker | None = None
    normal: F64 | None = None
    lit: tuple[float, float] = (0.0, 0.0)  # (ambient, ring) radiance on it, for albedo polys


def disc(centre: F64, normal: F64, radius_m: float, sides: int = 12) -> F64:
    t1, t2 = plane_axes(normal)
    a = np.linspace(0, 2 * math.pi, sides, endpoint=False)
    return centre + radius_m * (np.cos(a)[:, None] * t1 + np.sin(a)[:, None] * t2)


def rect(centre: F64, normal: F64, size: tuple[float, ...], angle_deg: float = 0.0) -> F64:
    t1, t2 = plane_axes(normal)
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    u, v = c * t1 + s * t2, -s * t1 + c * t2
    hw, hh = size[0] / 2, size[1] / 2
    return np.array(
        [
            centre - hw * u - hh * v,
            centre + hw * u - hh * v,
            centre + hw * u + hh * v,
            centre - hw * u + hh * v,
        ]
    )


def phase_of(obj_id: str) -> float:
    """A fixed flicker phase per object (crc32: stable across runs, unlike hash())."""
    return (zlib.crc32(obj_id.encode()) % 10000) / 10000 * 2 * math.pi


class ViewContext:
    """One pose and camera looking at the world; collects the draw list in `items`."""

    def __init__(self, world: World, pose: Pose, cam: CameraParams, t_s: float) -> None:
        self.world, self.pose, self.cam, self.t_s = world, pose, cam, t_s
        self.fwd, _, _ = pose.basis()
        self.c = pose.position_m
        self.fx = cam.fx
        lighting = world.scenario.lighting
        self.spec_ambient = OPTICS.ambient_fs[lighting] * OPTICS.specular_ambient_gain
        win = world.window
        if lighting == "daylight" and win is not None:
            self.light_dir: F64 | None = None  # towards the window, per object
        elif world.lamps:
            self.light_dir = None
        else:
            self.light_dir = np.array([0.0, 0.0, 1.0])  # ceiling lights
        self.items: list[Spot | Poly] = []

    # -- helpers -------------------------------------------------------------------------
    def _view(self, p: F64) -> tuple[F64, float, float]:
        """(unit vector object->device, distance m, off-axis angle of the object deg)."""
        v = self.c - p
        d = max(float(np.linalg.norm(v)), 0.05)
        u = v / d
        off = math.degrees(math.acos(max(-1.0, min(1.0, float(-u @ self.fwd)))))
        return u, d, off

    def _light_from(self, p: F64) -> F64:
        if self.light_dir is not None:
            return self.light_dir
        win = self.world.window
        if self.world.scenario.lighting == "daylight" and win is not None:
            target = win.centre
        else:
            target = np.asarray(max(self.world.lamps, key=lambda m: m.brightness).position_m, float)
        rel = target - p
        return rel / max(float(np.linalg.norm(rel)), 1e-6)

    def _placed(
        self, obj_id: str, position: tuple[float, ...], direction: tuple[float, ...]
    ) -> tuple[F64, F64]:
        """(position, unit normal/axis) of an object, computed once per world."""
        return self.world.static(
            obj_id + "/placed", lambda: (np.asarray(position, float), unit_dir(*direction))
        )

    def _shape(self, key: str, build: Callable[[], F64]) -> F64:
        return self.world.static(key + "/shape", build)

    def _in_front(self, p: F64, reach_m: float = 0.0) -> bool:
        return float((p - self.c) @ self.fwd) > 0.02 - reach_m

    def _albedo(self, pts: F64, albedo: float, normal: F64) -> None:
        self.items.append(Poly(pts, albedo, "albedo", normal=normal))

    def _point_energy(self, radiance: float, radius_m: float, d: float) -> tuple[float, float]:
        r_px = radius_m * self.fx / d
        return r_px, radiance * math.pi * r_px * r_px
