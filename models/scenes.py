"""Random virtual-room scenes for training and benchmarking the glint detector.

A scene is an ordinary scenario table (validated by `device.sim.scenario.parse_scenario`):
the device stands 1 m inside the west wall looking east; one hidden lens (or none) and a
handful of distractors of every kind sit inside the camera's view at 0.3-5 m, facing the
device within a chosen angle. Frames are rendered by the virtual room's own renderer, over
a real photograph (scikit-image) or the room's procedural texture, with hand motion between
the ON and the OFF frame. Everything is drawn from one seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from device.sim.geometry import CameraParams, Pose, project, unit_dir
from device.sim.render import MAX_BLUR_PX, render_frame
from device.sim.scenario import Scenario, parse_scenario
from device.sim.world import World

Gray = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]

DEVICE_XYZ = (1.0, 5.0, 1.3)
ROOM_Y_M, ROOM_Z_M = 10.0, 3.5
FRAME_PERIOD_S = 1 / 30
DISTRACTORS = ("screw", "mirror", "glass", "glossy_plastic", "plastic_bag", "photo_eyes",
               "retro_tape", "standby_led", "lamp", "tv")


@dataclass(frozen=True)
class LensSpec:
    distance_m: float
    off_axis_deg: float
    aperture_mm: float
    pinhole: bool = False
    image_az_deg: float = 0.0  # where in the view (from the device's base axis)
    image_el_deg: float = 0.0


@dataclass
class Scene:
    """One generated room plus what is in it (for labels and per-condition metrics)."""

    scenario: Scenario
    world: World
    lighting: str
    lens: LensSpec | None
    kinds: dict[str, str] = field(default_factory=dict)  # distractor id -> kind


def _dir_from(az_deg: float, el_deg: float) -> F64:
    return unit_dir(az_deg, el_deg)


def _az_el(v: F64) -> list[float]:
    v = v / np.linalg.norm(v)
    return [round(math.degrees(math.atan2(v[1], v[0])), 3),
            round(math.degrees(math.asin(max(-1.0, min(1.0, v[2])))), 3)]


def _tilted(towards: F64, angle_deg: float, rng: np.random.Generator) -> F64:
    """A unit vector `angle_deg` away from `towards`, in a random direction around it."""
    t = towards / np.linalg.norm(towards)
    helper = np.array([0.0, 0.0, 1.0]) if abs(t[2]) < 0.9 else np.array([0.0, 1.0, 0.0])
    a = np.cross(t, helper)
    a /= np.linalg.norm(a)
    b = np.cross(t, a)
    phi = rng.uniform(0, 2 * math.pi)
    perp = math.cos(phi) * a + math.sin(phi) * b
    ang = math.radians(angle_deg)
    out: F64 = math.cos(ang) * t + math.sin(ang) * perp
    return out


def _place(distance_m: float, az: float, el: float, room_x: float) -> F64:
    p = np.array(DEVICE_XYZ) + distance_m * _dir_from(az, el)
    return np.clip(p, [0.05, 0.05, 0.05], [room_x - 0.05, ROOM_Y_M - 0.05, ROOM_Z_M - 0.05])


def _distractor(kind: str, i: int, rng: np.random.Generator, room_x: float,
                max_d: float) -> dict[str, Any]:
    d = float(np.exp(rng.uniform(math.log(0.3), math.log(max_d))))
    az, el = rng.uniform(-28, 28), rng.uniform(-21, 21)
    p = _place(d, az, el, room_x)
    to_dev = np.array(DEVICE_XYZ) - p
    item: dict[str, Any] = {"kind": kind, "id": f"{kind}-{i}", "position_m": p.round(4).tolist()}
    cap = 0.35 * d  # keep each object within ~20 degrees of the view

    def size(lo: float, hi: float) -> float:
        return round(float(rng.uniform(min(lo, cap), min(hi, cap))), 3)

    spread = {"mirror": 12.0, "glass": 12.0, "screw": 60.0, "photo_eyes": 25.0,
              "retro_tape": 45.0, "glossy_plastic": 30.0, "plastic_bag": 40.0, "tv": 20.0}
    if kind in spread:
        item["normal_deg"] = _az_el(_tilted(to_dev, rng.uniform(0, spread[kind]), rng))
    if kind == "screw":
        item["radius_mm"] = round(float(rng.uniform(1.5, 8.0)), 2)
    elif kind in ("mirror", "glass"):
        item["size_m"] = [size(0.1, 0.9)] * 2
    elif kind in ("glossy_plastic", "plastic_bag"):
        item["size_m"] = [size(0.08, 0.4), size(0.08, 0.4)]
    elif kind == "photo_eyes":
        item["separation_m"] = round(float(rng.uniform(0.02, 0.07)), 3)
        item["radius_mm"] = round(float(rng.uniform(3.0, 8.0)), 2)
    elif kind == "retro_tape":
        item["size_m"] = [size(0.05, 0.5), round(float(rng.uniform(0.01, 0.05)), 3)]
        item["angle_deg"] = round(float(rng.uniform(-90, 90)), 1)
    elif kind == "standby_led":
        item["brightness"] = round(float(rng.uniform(2.0, 20.0)), 2)
        item["size_mm"] = round(float(rng.uniform(1.0, 4.0)), 2)
        if rng.random() < 0.3:  # a blinking standby light
            item["flicker_hz"] = round(float(rng.uniform(0.5, 4.0)), 2)
            item["flicker_depth"] = 1.0
    elif kind == "lamp":
        item["radius_m"] = max(0.01, size(0.02, 0.18) / 2)
        item["brightness"] = round(float(rng.uniform(0.5, 3.0)), 2)
        item["lights_room"] = False
    elif kind == "tv":
        item["size_m"] = [max(0.05, size(0.4, 1.2)), max(0.05, size(0.25, 0.7))]
        item["on"] = bool(rng.random() < 0.6)
    return item


def make_scene(rng: np.random.Generator, lighting: str, lens: LensSpec | None,
               n_distractors: int, kinds: tuple[str, ...] = DISTRACTORS,
               seed: int = 0, housed: bool = False) -> Scene:
    """A random room around the device with an optional lens and some distractors.

    `housed`: the lens always sits in a camera body (box or disc) as every real one does;
    otherwise a third of the lenses float bare, which teaches the model the glint alone.
    """
    far = max(5.2, (lens.distance_m + 0.3) if lens else 0.0)
    back_wall = float(rng.uniform(far, far + 2.5))
    room_x = DEVICE_XYZ[0] + back_wall
    table: dict[str, Any] = {
        "description": "generated scene",
        "truth": {"has_camera": lens is not None},
        "room": {"size_m": [round(room_x, 3), ROOM_Y_M, ROOM_Z_M], "lighting": lighting,
                 "wall_albedo": round(float(rng.uniform(0.2, 0.85)), 3),
                 "flicker_depth": round(float(rng.uniform(0.0, 0.05)), 3)},
        "sweep": {"door_m": [0.5, 1.0], "door_facing_deg": 0.0,
                  "stations": [{"position_m": [DEVICE_XYZ[0], DEVICE_XYZ[1]],
                                "facing_deg": 0.0}]},
    }
    if lens is not None:
        p = _place(lens.distance_m, lens.image_az_deg, lens.image_el_deg, room_x)
        to_dev = np.array(DEVICE_XYZ) - p
        axis = _tilted(to_dev, lens.off_axis_deg, rng)
        table["lenses"] = [{
            "id": "lens-0", "position_m": p.round(4).tolist(), "axis_deg": _az_el(axis),
            "aperture_mm": round(lens.aperture_mm, 3), "pinhole": lens.pinhole,
            "housing": str(rng.choice(["box", "disc"] if housed else ["none", "box", "disc"])),
            "housing_size_m": round(float(rng.uniform(0.03, 0.12)), 3),
            "housing_albedo": round(float(rng.uniform(0.1, 0.9)), 3),
        }]
    items = [_distractor(str(rng.choice(kinds)), i, rng, room_x, min(5.0, back_wall - 0.1))
             for i in range(n_distractors)]
    table["distractors"] = items
    scenario = parse_scenario(table, "generated scene", "generated")
    return Scene(scenario, World(scenario, seed), lighting, lens,
                 {it["id"]: it["kind"] for it in items})


@dataclass(frozen=True)
class Motion:
    """Hand motion over a pair: start aim, angular velocity (deg/s), time between frames."""

    yaw_deg: float
    pitch_deg: float
    yaw_dps: float
    pitch_dps: float
    gap_s: float
    on_first: bool


def random_motion(rng: np.random.Generator) -> Motion:
    speed = float(rng.choice([0.0, 3.0, 10.0, 25.0]))  # still, tremor, slow and normal sweep
    ang = rng.uniform(0, 2 * math.pi)
    return Motion(float(rng.uniform(-6, 6)), float(rng.uniform(-5, 5)),
                  speed * math.cos(ang) + rng.normal(0, 1.5),
                  speed * math.sin(ang) * 0.4 + rng.normal(0, 1.5),
                  float(rng.choice([1, 2])) * FRAME_PERIOD_S, bool(rng.random() < 0.5))


def _pose(m: Motion, t_s: float) -> Pose:
    return Pose(np.array(DEVICE_XYZ), m.yaw_deg + m.yaw_dps * t_s, m.pitch_deg + m.pitch_dps * t_s)


def photo_crop(photo: Gray, cam: CameraParams, yaw_deg: float, pitch_deg: float,
               zoom: float, wrap: bool = False) -> Gray:
    """The part of a (scaled) photograph the camera sees at this aim: the photo moves with it.

    The scaled photo spans the view plus 12 degrees each way. Beyond that it stops at its
    edge, unless `wrap`: then it continues as its own mirror image, so a long pan keeps
    seeing a background that moves like a wall (the bench pans 30 degrees).
    """
    m = MAX_BLUR_PX // 2 + 1
    h, w = cam.height + 2 * m, cam.width + 2 * m
    ppd = cam.fx * math.pi / 180.0
    ph, pw = photo.shape
    scale = zoom * max((h + 2 * 12 * ppd) / ph, (w + 2 * 12 * ppd) / pw)
    key = (id(photo), round(scale, 4))
    big = _SCALED.get(key)
    if big is None:
        big = np.asarray(Image.fromarray(photo).resize((int(pw * scale), int(ph * scale)),
                                                       Image.Resampling.BILINEAR))
        _SCALED.clear()
        _SCALED[key] = big
    bh, bw = big.shape
    y0 = round((bh - h) / 2 - pitch_deg * ppd)
    x0 = round((bw - w) / 2 - yaw_deg * ppd)  # turning left (yaw up) moves the room right
    if wrap:
        rows = _mirror_index(np.arange(y0, y0 + h), bh)
        cols = _mirror_index(np.arange(x0, x0 + w), bw)
        return np.ascontiguousarray(big[rows[:, None], cols[None, :]])
    y0 = min(max(y0, 0), bh - h)
    x0 = min(max(x0, 0), bw - w)
    return np.ascontiguousarray(big[y0:y0 + h, x0:x0 + w])


_SCALED: dict[tuple[int, float], Gray] = {}


def _mirror_index(i: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.int64]:
    """Indices into 0..n-1 that reflect at both ends, however far out `i` goes."""
    period = 2 * n - 2 if n > 1 else 1
    j = np.mod(i, period)
    out: npt.NDArray[np.int64] = np.where(j < n, j, period - j)
    return out


def render_pair(scene: Scene, m: Motion, rng: np.random.Generator, photo: Gray | None,
                zoom: float = 1.0) -> tuple[Gray, Gray, Pose]:
    """(ON frame, OFF frame, the ON frame's mid-exposure pose) under hand motion `m`."""
    cam = scene.world.camera
    t_on, t_off = (0.0, m.gap_s) if m.on_first else (m.gap_s, 0.0)
    frames = []
    for t0, ring in ((t_on, 1.0), (t_off, 0.0)):
        poses = [_pose(m, t0 + k * cam.window_s / 3) for k in range(4)]
        mid = _pose(m, t0 + cam.window_s / 2)
        bg = None if photo is None else photo_crop(photo, cam, mid.yaw_deg, mid.pitch_deg, zoom)
        frames.append(render_frame(scene.world, cam, poses, np.full(cam.height, ring), rng,
                                   t_start_s=t0, background=bg))
    return frames[0], frames[1], _pose(m, t_on + cam.window_s / 2)


def project_point(scene: Scene, xyz: tuple[float, ...], pose: Pose) -> tuple[float, float] | None:
    """Image position of a room point seen from `pose`, or None when behind the camera."""
    x, y, z = project(np.asarray(xyz, float)[None, :], pose, scene.world.camera)
    if not (z[0] > 0 and np.isfinite(x[0])):
        return None
    return float(x[0]), float(y[0])
