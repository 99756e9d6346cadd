"""Specular distractors: convex highlights, flat mirrors, faceted plastic, retro tape.

- screw, eyes: convex mirrors: a point-like ring highlight from any direction, falling as
  1/d^4, plus a highlight of the room light (also with the ring OFF);
- mirror, glass, TV (off): flat mirrors: the ring's image (a ring of LED dots) only when the
  device stands in front of the surface, near normal incidence;
- glossy plastic, plastic bag: many tiny facets, each lit only when its normal points at the
  device (a few degrees): glints that come and go with small motions;
- retro-reflective tape: an extended strip, bright over wide entrance angles.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from device.sim.geometry import plane_axes
from device.sim.optics import OPTICS
from device.sim.scenario_model import Eyes, Faceted, Flat, Screw, Tape, Tv
from device.sim.viewctx import F64, MIN_ENERGY, Poly, Spot, ViewContext, disc, rect

IRIS_ALBEDO = 0.08
SCREW_ALBEDO = 0.45
TAPE_ALBEDO = 0.6


class SpecularKinds(ViewContext):
    """Draw-list builders for the specular kinds (mixed into `Appearance`)."""

    def convex(self, p: F64, normal: F64, radius_m: float, rho: float) -> None:
        """Ring and room-light highlights of a small convex mirror (dome of `radius_m`)."""
        u, d, off = self._view(p)
        facing = float(u @ normal)
        limit = math.cos(math.radians(OPTICS.convex_visible_deg))
        if facing <= limit:
            return
        rim = min(1.0, (facing - limit) / 0.1)
        k = rho * (radius_m * self.fx) ** 2 / 4 * rim
        e_ring = math.pi * OPTICS.ring_wall_fs_1m * float(OPTICS.beam(off)) * k / d**4
        if e_ring > MIN_ENERGY:
            self.items.append(Spot(p + radius_m * u, 0.0, e_ring, "ring"))
        light = self._light_from(p)
        half = u + light
        half /= max(float(np.linalg.norm(half)), 1e-6)
        if float(half @ normal) > 0.0 and self.spec_ambient > 0:
            e_amb = self.spec_ambient * k / d**2
            if e_amb > MIN_ENERGY:
                self.items.append(Spot(p + radius_m * half, 0.0, e_amb, "ambient"))

    def screw(self, s: Screw) -> None:
        p, n = self._placed(s.id, s.position_m, s.normal_deg)
        if not self._in_front(p):
            return
        self._albedo(
            self._shape(s.id, lambda: disc(p, n, s.radius_mm / 1000.0, 8)), SCREW_ALBEDO, n
        )
        self.convex(p, n, s.radius_mm / 1000.0, s.reflectivity)

    def eyes(self, e: Eyes) -> None:
        p, n = self._placed(e.id, e.position_m, e.normal_deg)
        if not self._in_front(p, max(e.size_m)):
            return
        self._albedo(self._shape(e.id, lambda: rect(p, n, e.size_m)), e.albedo, n)
        t1, _ = plane_axes(n)
        for side in (-0.5, 0.5):
            q = p + side * e.separation_m * t1
            iris = self._shape(
                f"{e.id}/iris{side}", functools.partial(disc, q, n, e.separation_m * 0.18, 10)
            )
            self._albedo(iris, IRIS_ALBEDO, n)
            self.convex(q, n, e.radius_mm / 1000.0, e.reflectivity)

    def flat(self, f: Flat | Tv, paint: float | None) -> None:
        """Mirror-like pane: the ring's LED dots appear when the device is in front of it."""
        p, n = self._placed(f.id, f.position_m, f.normal_deg)
        if not self._in_front(p, max(f.size_m)):
            return
        if paint is not None:
            self._albedo(self._shape(f.id, lambda: rect(p, n, f.size_m)), paint, n)
        s = float((self.c - p) @ n)
        if s <= 0.02:
            return
        t1, t2 = plane_axes(n)
        fwd, right, down = self.pose.basis()
        off = math.degrees(math.acos(max(-1.0, min(1.0, float(-n @ fwd)))))
        leds = OPTICS.ring_leds
        a = np.linspace(0, 2 * math.pi, leds, endpoint=False)
        ring = self.c + OPTICS.ring_radius_m * (
            np.cos(a)[:, None] * right + np.sin(a)[:, None] * down
        )
        images = ring - 2 * ((ring - p) @ n)[:, None] * n
        feet = 0.5 * (ring + images) - p  # where each LED's light is reflected back
        edge = np.minimum(f.size_m[0] / 2 - np.abs(feet @ t1), f.size_m[1] / 2 - np.abs(feet @ t2))
        inside = np.clip(edge / 0.01 + 0.5, 0.0, 1.0)
        energy = math.pi * OPTICS.ring_wall_fs_1m * f.reflectivity * self.fx**2 / (leds * 4 * s * s)
        energy *= float(OPTICS.beam(off))
        for img, w in zip(images, inside, strict=True):
            if w * energy > MIN_ENERGY:
                self.items.append(Spot(img, 0.0, float(w * energy), "ring"))

    def faceted(self, f: Faceted) -> None:
        p, n = self._placed(f.id, f.position_m, f.normal_deg)
        if not self._in_front(p, max(f.size_m)):
            return
        self._albedo(self._shape(f.id, lambda: rect(p, n, f.size_m)), f.albedo, n)
        fac = self.world.facets[f.id]
        rel = self.c - fac.points
        d = np.maximum(np.linalg.norm(rel, axis=1), 0.05)
        u = rel / d[:, None]
        lobe = math.radians(f.glint_deg)
        solid = 2 * math.pi * lobe * lobe
        k = f.reflectivity * fac.area_m2 * self.fx**2 / solid
        cos_n = np.clip(np.sum(u * fac.normals, axis=1), -1.0, 1.0)
        g_ring = np.exp(-np.square(np.arccos(cos_n)) / (2 * lobe * lobe)) * (cos_n > 0)
        off = np.degrees(np.arccos(np.clip(-(u @ self.fwd), -1.0, 1.0)))
        e_ring = math.pi * OPTICS.ring_wall_fs_1m * OPTICS.beam(off) * k * g_ring / d**4
        light = self._light_from(p)
        half = u + light
        half /= np.linalg.norm(half, axis=1, keepdims=True)
        cos_h = np.clip(np.sum(half * fac.normals, axis=1), -1.0, 1.0)
        g_amb = np.exp(-np.square(np.arccos(cos_h)) / (2 * lobe * lobe)) * (cos_h > 0)
        e_amb = math.pi * self.spec_ambient * k * g_amb / d**2
        for i in np.flatnonzero(e_ring > MIN_ENERGY):
            self.items.append(Spot(fac.points[i], 0.0, float(e_ring[i]), "ring"))
        for i in np.flatnonzero(e_amb > MIN_ENERGY):
            self.items.append(Spot(fac.points[i], 0.0, float(e_amb[i]), "ambient"))

    def tape(self, t: Tape) -> None:
        p, n = self._placed(t.id, t.position_m, t.normal_deg)
        if not self._in_front(p, max(t.size_m)):
            return
        pts = self._shape(t.id, lambda: rect(p, n, t.size_m, t.angle_deg))
        self._albedo(pts, TAPE_ALBEDO, n)
        u, d, off = self._view(p)
        cos_e = float(u @ n)
        if cos_e <= 0:
            return
        entrance = math.degrees(math.acos(min(cos_e, 1.0)))
        radiance = (
            OPTICS.tape_radiance_ratio
            * OPTICS.ring_wall_fs_1m
            * float(OPTICS.beam(off))
            * t.gain
            * cos_e
            * 2.0 ** (-((entrance / t.half_angle_deg) ** 4))
            / (1.0 + (d / OPTICS.tape_d0_m) ** 2)
        )
        self.items.append(Poly(pts, radiance, "ring"))
