"""The virtual room: one seeded, deterministic world that drives the sim camera and SDR.

`World(scenario, seed)` holds the room, what hides in it, the person's sweep (`pose(t_s)`)
and ground truth for tests and benchmarks (`visible_lenses(t_s)`). Everything random is
drawn from `seed`, so the same seed gives the same frames and IQ bytes.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar, cast

import numpy as np
import numpy.typing as npt

from device.sim.geometry import CameraParams, Pose, angle_deg, plane_axes, project, unit_dir
from device.sim.panorama import Panorama, build_panorama
from device.sim.pose import DOOR, SweepPath
from device.sim.room import RoomGeometry
from device.sim.scenario import Scenario
from device.sim.scenario_model import Faceted, Lamp, PlasticBag

F64 = npt.NDArray[np.float64]
T = TypeVar("T")

PANORAMAS_KEPT = 2  # a frame blends at most two standing places; a revisited one is rebuilt
PANORAMA_MARGIN_DEG = 6.0  # jitter and motion blur beyond the nominal view range
CRINKLE_DEPTH_M = 0.01  # a crumpled bag's facets sit up to this far off its mean plane


class LensView(NamedTuple):
    """A lens inside the image: where, how far off its axis the device is, how far."""

    lens_id: str
    x_px: float
    y_px: float
    off_axis_deg: float
    distance_m: float


class ObjectView(NamedTuple):
    id: str
    kind: str
    x_px: float
    y_px: float
    distance_m: float


@dataclass(frozen=True)
class Facets:
    """The tiny mirror facets of a glossy or crinkled surface (seeded per world)."""

    points: F64  # (F, 3)
    normals: F64  # (F, 3)
    area_m2: float  # of one facet


@dataclass(frozen=True)
class WindowGeom:
    centre: F64
    inward: F64
    area_m2: float
    corners: F64  # (4, 3)


class World:
    """The room, its contents and the sweep, all derived from (scenario, seed)."""

    def __init__(self, scenario: Scenario, seed: int, camera: CameraParams | None = None) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.camera = camera or CameraParams()
        self.geometry = RoomGeometry(scenario.room)
        self.path = SweepPath(scenario.sweep, self.seed)
        self.lamps = [d for d in scenario.distractors if isinstance(d, Lamp) and d.lights_room]
        self.window = _window_geom(scenario)
        self.facets = {
            d.id: _make_facets(d, self.seed, i)
            for i, d in enumerate(scenario.distractors)
            if isinstance(d, Faceted)
        }
        self._static: dict[str, Any] = {}

    def static(self, key: str, build: Callable[[], T]) -> T:
        """Memoised per-world value (object outlines, axes): computed once, read every frame."""
        value = self._static.get(key)
        if value is None:
            value = build()
            self._static[key] = value
        return cast(T, value)

    def use_camera(self, camera: CameraParams) -> None:
        """Report ground truth (`visible_lenses`...) in this camera's pixels from now on."""
        self.camera = camera

    def pose(self, t_s: float) -> Pose:
        """The device pose at `t_s` seconds into the sweep."""
        return self.path.pose(t_s)

    def places(self, t_s: float) -> list[tuple[int, float]]:
        """Standing places (door = -1, else station index) in view at `t_s`, with weights."""
        return self.path.places(t_s)

    def panorama(self, place: int, cam: CameraParams) -> Panorama:
        """The background panorama of a standing place for this camera.

        Panoramas are a pure function of (scenario, seed, place, camera), so worlds built
        alike share them (tests and benchmarks build many). Only the PANORAMAS_KEPT used
        last are kept, process-wide; the one used longest ago is let go before another is
        built, so a room with many stations never holds them all at once.
        """
        key = (self.scenario, self.seed, place, cam)
        with _PANORAMAS_LOCK:
            pano = _PANORAMAS.get(key)
            if pano is not None:
                _PANORAMAS.move_to_end(key)
                return pano
            while len(_PANORAMAS) >= PANORAMAS_KEPT:
                _PANORAMAS.popitem(last=False)
            pano = self._build_panorama(place, cam)
            _PANORAMAS[key] = pano
            return pano

    def _build_panorama(self, place: int, cam: CameraParams) -> Panorama:
        ppd = cam.fx * math.pi / 180.0  # the panorama's pixels are the camera's
        yaw_lo, yaw_hi, pitch_lo, pitch_hi = self.path.view_ranges()[place]
        sw = self.scenario.sweep
        margin = PANORAMA_MARGIN_DEG + 3 * sw.jitter_deg
        el_lo = pitch_lo - cam.vfov_deg / 2 - margin
        el_hi = pitch_hi + cam.vfov_deg / 2 + margin
        worst = min(max(abs(el_lo), abs(el_hi)), 75.0)
        half_az = (cam.hfov_deg / 2 + margin) / math.cos(math.radians(worst))
        x, y, facing, _ = self.path.place_state(place)
        centre = np.array([x, y, sw.hand_height_m]) + sw.arm_m * unit_dir(facing, 0.0)
        door = sw.door_m
        return build_panorama(
            self.geometry,
            centre,
            (yaw_lo - half_az, yaw_hi + half_az),
            (el_lo, el_hi),
            ppd,
            self.seed,
            door_m=door if place != DOOR else None,
        )

    def visible_lenses(self, t_s: float, camera: CameraParams | None = None) -> list[LensView]:
        """Lenses inside the image at `t_s` facing the device (off-axis < 90 deg).

        Pixels are those of `camera`, else of the camera in use (`use_camera`; the sim
        camera registers itself). Nothing in the room occludes anything.
        """
        cam = camera or self.camera
        pose = self.pose(t_s)
        out: list[LensView] = []
        for lens in self.scenario.lenses:
            p = np.asarray(lens.position_m, float)
            x, y, z = project(p[None, :], pose, cam)
            if not (z[0] > 0 and 0 <= x[0] <= cam.width - 1 and 0 <= y[0] <= cam.height - 1):
                continue
            to_cam = pose.position_m - p
            dist = float(np.linalg.norm(to_cam))
            off = float(angle_deg(unit_dir(*lens.axis_deg), to_cam / dist))
            if off < 90.0:
                out.append(LensView(lens.id, float(x[0]), float(y[0]), off, dist))
        return out

    def visible_distractors(
        self, t_s: float, camera: CameraParams | None = None
    ) -> list[ObjectView]:
        """Distractors whose centre is inside the image at `t_s` (for per-type benchmarks)."""
        cam = camera or self.camera
        pose = self.pose(t_s)
        out: list[ObjectView] = []
        for d in self.scenario.distractors:
            p = np.asarray(d.position_m, float)
            x, y, z = project(p[None, :], pose, cam)
            if z[0] > 0 and 0 <= x[0] <= cam.width - 1 and 0 <= y[0] <= cam.height - 1:
                dist = float(np.linalg.norm(pose.position_m - p))
                out.append(ObjectView(d.id, d.kind, float(x[0]), float(y[0]), dist))
        return out


_PANORAMAS: OrderedDict[tuple[Any, ...], Panorama] = OrderedDict()
_PANORAMAS_LOCK = threading.Lock()


def _make_facets(d: Faceted, seed: int, index: int) -> Facets:
    rng = np.random.default_rng([seed, 0xFACE7, index])
    n = unit_dir(*d.normal_deg)
    t1, t2 = plane_axes(n)
    f = d.facets
    u = rng.uniform(-0.5, 0.5, size=(f, 1)) * d.size_m[0]
    v = rng.uniform(-0.5, 0.5, size=(f, 1)) * d.size_m[1]
    depth = CRINKLE_DEPTH_M if isinstance(d, PlasticBag) else 0.0
    w = rng.uniform(-depth, depth, size=(f, 1))
    points = np.asarray(d.position_m, float) + u * t1 + v * t2 + w * n
    tilt = np.tan(np.radians(rng.normal(0.0, d.roughness_deg, size=(f, 2))).clip(-1.4, 1.4))
    normals = n + tilt[:, :1] * t1 + tilt[:, 1:] * t2
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    return Facets(points, normals, d.size_m[0] * d.size_m[1] / f)


def _window_geom(s: Scenario) -> WindowGeom | None:
    win = s.room.window
    if win is None:
        return None
    sx, sy, _ = s.size_m
    z = win.sill_m + win.height_m / 2
    centre, inward, along = {
        "west": ((0.0, win.center_m, z), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
        "east": ((sx, win.center_m, z), (-1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
        "south": ((win.center_m, 0.0, z), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0)),
        "north": ((win.center_m, sy, z), (0.0, -1.0, 0.0), (1.0, 0.0, 0.0)),
    }[win.wall]
    c, a = np.array(centre), np.array(along)
    up = np.array([0.0, 0.0, 1.0])
    hw, hh = win.width_m / 2, win.height_m / 2
    corners = np.array(
        [c - hw * a - hh * up, c + hw * a - hh * up, c + hw * a + hh * up, c - hw * a + hh * up]
    )
    return WindowGeom(c, np.array(inward), win.width_m * win.height_m, corners)
