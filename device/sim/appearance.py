"""What each object in the room looks like from a pose: spots and polygons to draw.

Physics per kind (radiance in FS units, see `device.sim.optics`):
- lens: retro-reflects the ring only within its cone (~20 deg), a compact round spot whose
  size follows the aperture and whose brightness is largely independent of distance;
- specular distractors (screws, eyes, mirrors, glass, plastic, tape): `device.sim.specular`;
- standby LED, lamp, TV (on), daylight window: self-lit, independent of the ring.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import numpy.typing as npt

from device.sim.optics import OPTICS, ambient_radiance, lens_cone, ring_radiance
from device.sim.scenario_model import (
    Eyes,
    Faceted,
    Flat,
    Lamp,
    Led,
    Mirror,
    Placed,
    Screw,
    Tape,
    Tv,
)
from device.sim.specular import SpecularKinds
from device.sim.viewctx import (
    F64,
    MIN_ENERGY,
    Flicker,
    Poly,
    Spot,
    disc,
    phase_of,
    rect,
)
from device.sim.world import CRINKLE_DEPTH_M, World

LENS_BARREL_ALBEDO = 0.03  # a lens or pinhole looks like a dark dot under room light
TV_OFF_ALBEDO = 0.04
VIEW_MARGIN_DEG = 4.0  # hand motion within one frame and glow beyond an object's outline
WINDOW_GLASS_ALBEDO = 0.06
WINDOW_FRAME_ALBEDO = 0.75
WINDOW_FRAME_M = 0.05


class Appearance(SpecularKinds):
    """Turns the world's objects into a draw list for one pose and camera."""

    def lens(self, lens_index: int) -> None:
        lens = self.world.scenario.lenses[lens_index]
        p, axis = self._placed(lens.id, lens.position_m, lens.axis_deg)
        if not self._in_front(p, lens.housing_size_m):
            return
        size = lens.housing_size_m
        if lens.housing == "disc":
            self._albedo(
                self._shape(lens.id + "/housing", lambda: disc(p, axis, size / 2)),
                lens.housing_albedo,
                axis,
            )
        elif lens.housing == "box":
            self._albedo(
                self._shape(lens.id + "/housing", lambda: rect(p, axis, (size, size))),
                lens.housing_albedo,
                axis,
            )
        radius_m = lens.aperture_mm / 2000.0
        barrel = self._shape(lens.id + "/barrel", lambda: disc(p, axis, radius_m * 1.4, 8))
        self._albedo(barrel, LENS_BARREL_ALBEDO, axis)
        u, d, off = self._view(p)
        theta = math.degrees(math.acos(max(-1.0, min(1.0, float(u @ axis)))))
        if theta >= 90.0:
            return
        cone = lens.cone_deg * (OPTICS.pinhole_cone if lens.pinhole else 1.0)
        gain = OPTICS.pinhole_gain if lens.pinhole else 1.0
        radiance = (
            OPTICS.lens_radiance_ratio
            * OPTICS.ring_wall_fs_1m
            * float(OPTICS.beam(off))
            * lens.reflectivity
            * gain
            * float(lens_cone(theta, cone))
            / (1.0 + (d / OPTICS.lens_d0_m) ** 2)
        )
        r_px, energy = self._point_energy(radiance, radius_m, d)
        if energy > MIN_ENERGY:
            self.items.append(Spot(p, r_px, energy, "ring"))

    def led(self, led: Led) -> None:
        p = np.asarray(led.position_m, float)
        if not self._in_front(p):
            return
        _, d, _ = self._view(p)
        r_px, energy = self._point_energy(led.brightness, led.size_mm / 2000.0, d)
        flick = (
            Flicker(led.flicker_hz, led.flicker_depth, phase_of(led.id))
            if led.flicker_depth
            else None
        )
        self.items.append(Spot(p, r_px, energy, "self", flick))

    def lamp(self, lamp: Lamp) -> None:
        p = np.asarray(lamp.position_m, float)
        if not self._in_front(p, lamp.radius_m):
            return
        u, _, _ = self._view(p)
        flick = (
            Flicker(lamp.flicker_hz, lamp.flicker_depth, phase_of(lamp.id))
            if lamp.flicker_depth
            else None
        )
        self.items.append(Poly(disc(p, u, lamp.radius_m, 16), lamp.brightness, "emit", flick))

    def tv(self, tv: Tv) -> None:
        if not tv.on:
            self.flat(tv, TV_OFF_ALBEDO)
            return
        p, n = self._placed(tv.id, tv.position_m, tv.normal_deg)
        if not self._in_front(p, max(tv.size_m)) or float((self.c - p) @ n) <= 0:
            return
        phase = phase_of(tv.id)
        cut = math.floor(self.t_s / tv.cut_s + phase)
        scene = np.random.default_rng([self.world.seed, zlib.crc32(tv.id.encode()), cut]).random()
        level = tv.brightness * (0.3 + 0.7 * scene) * (1 + 0.1 * math.sin(2.3 * self.t_s + phase))
        flick = Flicker(tv.flicker_hz, tv.flicker_depth, phase) if tv.flicker_depth else None
        self.items.append(
            Poly(self._shape(tv.id, lambda: rect(p, n, tv.size_m)), level, "emit", flick)
        )

    def window(self) -> None:
        """The window: sky (self-lit) by day, dark glass at night; frame and bar on top."""
        win = self.world.window
        if win is None or not self._in_front(win.centre, 3.0):
            return
        radiance = OPTICS.window_fs[self.world.scenario.lighting]
        if radiance > 0:
            self.items.append(Poly(win.corners, radiance, "emit"))
        else:
            self._albedo(win.corners, WINDOW_GLASS_ALBEDO, win.inward)
        for part in self.world.static("window/frame", lambda: window_frame(win.corners)):
            self._albedo(part, WINDOW_FRAME_ALBEDO, win.inward)

    # -- all -----------------------------------------------------------------------------
    def build(self) -> list[Spot | Poly]:
        """Draw list: opaque surfaces first (with their lighting), then light."""
        self.window()
        lenses = self.world.scenario.lenses
        seen = self._in_view()
        for i in range(len(lenses)):
            if seen[i]:
                self.lens(i)
        for j, obj in enumerate(self.world.scenario.distractors):
            if seen[len(lenses) + j]:
                self._distractor(obj)
        self._light_albedo()
        # opaque surfaces first, glass (window) before what sits in front of it
        self.items.sort(key=lambda it: 0 if it.layer in ("albedo", "emit") else 1)
        return self.items

    def _in_view(self) -> npt.NDArray[np.bool_]:
        """Which objects (lenses, then distractors) may show in the image: a cone test on
        their bounding spheres, so the rest costs nothing."""
        centres, radii = self.world.static("bounds", lambda: _bounds(self.world))
        rel = centres - self.c
        dist = np.maximum(np.linalg.norm(rel, axis=1), 1e-3)
        cos_off = (rel @ self.fwd) / dist
        off = np.degrees(np.arccos(np.clip(cos_off, -1.0, 1.0)))
        reach = np.degrees(np.arcsin(np.clip(radii / dist, 0.0, 1.0)))
        half_diag = math.degrees(
            math.atan(math.hypot(self.cam.cx / self.fx, self.cam.cy / self.cam.fy))
        )
        return np.asarray(off < half_diag + reach + VIEW_MARGIN_DEG)

    def _distractor(self, obj: Placed) -> None:
        if isinstance(obj, Screw):
            self.screw(obj)
        elif isinstance(obj, Tv):
            self.tv(obj)
        elif isinstance(obj, Flat):
            self.flat(obj, obj.albedo if isinstance(obj, Mirror) else None)
        elif isinstance(obj, Faceted):
            self.faceted(obj)
        elif isinstance(obj, Eyes):
            self.eyes(obj)
        elif isinstance(obj, Tape):
            self.tape(obj)
        elif isinstance(obj, Led):
            self.led(obj)
        elif isinstance(obj, Lamp):
            self.lamp(obj)

    def _light_albedo(self) -> None:
        polys = [it for it in self.items if isinstance(it, Poly) and it.layer == "albedo"]
        if not polys:
            return
        centres = np.array([p.points.mean(axis=0) for p in polys])
        normals = np.array([p.normal for p in polys])
        w = self.world
        win = None if w.window is None else (w.window.centre, w.window.inward, w.window.area_m2)
        amb = ambient_radiance(
            centres, normals, w.scenario.lighting, w.scenario.size_m[2], w.lamps, win
        )
        ring = ring_radiance(centres, normals, self.pose)
        for poly, a, r in zip(polys, amb, ring, strict=True):
            poly.lit = (float(a), float(r))


def window_frame(corners: F64) -> list[F64]:
    """Four frame bars and a central mullion as thin quads inside the window's corners."""
    bl, br, tr, tl = corners
    along = (br - bl) / np.linalg.norm(br - bl)
    up = (tl - bl) / np.linalg.norm(tl - bl)
    f = WINDOW_FRAME_M
    mid_b, mid_t = 0.5 * (bl + br), 0.5 * (tl + tr)
    return [
        np.array([bl, br, br + f * up, bl + f * up]),
        np.array([tl - f * up, tr - f * up, tr, tl]),
        np.array([bl, bl + f * along, tl + f * along, tl]),
        np.array([br - f * along, br, tr, tr - f * along]),
        np.array(
            [
                mid_b - f / 2 * along,
                mid_b + f / 2 * along,
                mid_t + f / 2 * along,
                mid_t - f / 2 * along,
            ]
        ),
    ]


def _bounds(world: World) -> tuple[F64, F64]:
    """Centres and bounding radii (m) of the lenses and distractors, in scenario order."""
    centres, radii = [], []
    for lens in world.scenario.lenses:
        centres.append(lens.position_m)
        radii.append(max(lens.housing_size_m, lens.aperture_mm / 1000.0))
    for d in world.scenario.distractors:
        centres.append(d.position_m)
        size = getattr(d, "size_m", None)
        if size is not None:
            r = math.hypot(*size) / 2
        elif isinstance(d, Lamp):
            r = d.radius_m
        elif isinstance(d, Screw):
            r = d.radius_mm / 1000.0
        else:
            r = 0.02
        radii.append(r + CRINKLE_DEPTH_M)
    return np.array(centres, float).reshape(-1, 3), np.array(radii, float)
