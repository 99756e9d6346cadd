"""Photometric constants of the virtual room and the light that falls on its surfaces.

Radiance is in "full-scale units" (FS): 1.0 is what reaches 255 in an 8-bit frame at the
reference exposure (8 ms, analogue gain 4, the defaults); other exposures scale linearly.
The numbers below are calibrated to what hidden-camera finders report and are documented in
docs/scenarios.md ("Physics").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from device.sim.geometry import Pose
from device.sim.scenario_model import Lamp

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OpticsModel:
    ref_exposure_s: float = 0.008
    ref_gain: float = 4.0
    # Lambertian white (albedo 1) seen under the room light, FS. A NoIR camera at 8 ms/x4:
    # a dark room barely registers, office walls sit mid-grey, daylight is bright.
    ambient_fs: dict[str, float] = field(
        default_factory=lambda: {"dark": 0.025, "office": 0.55, "daylight": 1.0}
    )
    # A window's own radiance (night with curtains / overcast / sunlit sky in near-IR).
    window_fs: dict[str, float] = field(
        default_factory=lambda: {"dark": 0.0, "office": 0.5, "daylight": 4.0}
    )
    # The IR ring lighting a white wall 1 m straight ahead: 0.25 FS (about 64 DN) at 8 ms,
    # x4, from ~0.5 W of 850 nm LEDs: under office light a near wall brightens by a third,
    # in a dark room the ring is the only light. Irradiance falls as 1/d^2 and with the
    # LEDs' beam (half intensity at `ring_beam_half_deg` off the axis).
    ring_wall_fs_1m: float = 0.25
    ring_beam_half_deg: float = 30.0
    ring_radius_m: float = 0.015
    ring_leds: int = 12
    # Optical blur of the downscaled 640x480 stream, in pixels (Gaussian sigma).
    psf_sigma_px: float = 0.6
    # A lens (cat's eye) returns the ring's light back towards it within ~1 degree: its
    # apparent radiance is ~pi / (1e-3 sr) x 0.25 = ~800 times a white wall's, "largely
    # independent of distance" at working range, falling off beyond `lens_d0_m`. A 1 mm
    # pinhole at 3 m and 20 degrees off axis then still gives a spot of ~50 DN.
    lens_radiance_ratio: float = 800.0
    lens_d0_m: float = 2.5
    pinhole_cone: float = 0.9  # the pinhole's wall narrows the cone...
    pinhole_gain: float = 0.8  # ...and vignettes the return
    # Retro-reflective sheeting: less than a lens but bright over wide entrance angles.
    tape_radiance_ratio: float = 60.0
    tape_d0_m: float = 2.0
    # A convex highlight of the room lamps is this many times the average ambient light.
    specular_ambient_gain: float = 1.5
    convex_visible_deg: float = 80.0  # beyond this a dome's highlight hides behind its rim

    def beam(self, off_axis_deg: F64 | float) -> F64:
        """Relative ring irradiance at an angle from the camera axis."""
        return np.power(2.0, -np.square(np.asarray(off_axis_deg) / self.ring_beam_half_deg))

    def ring_irradiance_fs(self, distance_m: F64, off_axis_deg: F64) -> F64:
        """Radiance (FS) of a white Lambertian surface facing the ring, per unit ring power."""
        d2 = np.maximum(np.square(distance_m), 0.01)
        return self.ring_wall_fs_1m * self.beam(off_axis_deg) / d2

    def psf_px(self, width: int) -> float:
        return max(0.5, self.psf_sigma_px * width / 640.0)


OPTICS = OpticsModel()


def lens_cone(off_axis_deg: F64 | float, cone_deg: float) -> F64:
    """Smooth cone of a lens's retro-reflection: 1 on axis, 1/2 at `cone_deg`, ~0 at 1.5x."""
    return np.power(2.0, -np.power(np.asarray(off_axis_deg) / cone_deg, 6.0))


def ambient_radiance(
    points: F64,
    normals: F64,
    lighting: str,
    room_height_m: float,
    lamps: list[Lamp],
    window: tuple[F64, F64, float] | None,
    optics: OpticsModel = OPTICS,
) -> F64:
    """Radiance (FS) of albedo-1 Lambertian surfaces at `points` under the room's own light.

    A uniform level (a little brighter high up, where ceiling lights reach), plus pools of
    light from lamps that light the room, plus the window (centre, inward normal, area m^2).
    """
    base = optics.ambient_fs[lighting]
    z = np.clip(points[..., 2] / max(room_height_m, 0.1), 0.0, 1.0)
    out = base * (0.8 + 0.3 * z)
    for lamp in lamps:
        rel = np.asarray(lamp.position_m) - points
        d2 = np.maximum(np.sum(rel * rel, axis=-1), 0.04)
        cos = np.clip(np.sum(rel * normals, axis=-1) / np.sqrt(d2), 0.0, 1.0)
        out = out + lamp.brightness * lamp.radius_m**2 * cos / d2
    if window is not None:
        centre, inward, area = window
        radiance = optics.window_fs[lighting]
        if radiance > 0:
            rel = centre - points
            d2 = np.maximum(np.sum(rel * rel, axis=-1), 0.09)
            d = np.sqrt(d2)
            cos_s = np.clip(np.sum(rel * normals, axis=-1) / d, 0.0, 1.0)
            cos_w = np.clip(-(rel @ inward) / d, 0.0, 1.0)
            out = out + radiance * area * cos_s * cos_w / (math.pi * d2)
    return np.asarray(out)


def ring_radiance(points: F64, normals: F64, pose: Pose, optics: OpticsModel = OPTICS) -> F64:
    """Radiance (FS) of albedo-1 Lambertian surfaces lit by the ring at full power."""
    fwd, _, _ = pose.basis()
    rel = points - pose.position_m
    d = np.maximum(np.linalg.norm(rel, axis=-1), 0.05)
    u = rel / d[..., None]
    off = np.degrees(np.arccos(np.clip(u @ fwd, -1.0, 1.0)))
    cos_inc = np.clip(-np.sum(u * normals, axis=-1), 0.0, 1.0)
    return np.asarray(optics.ring_irradiance_fs(d, off) * cos_inc)
