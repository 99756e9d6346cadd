"""Labelled glint candidates: rendered by the virtual room, extracted by the runtime detector.

Each generated scene is rendered as ON/OFF pairs; the detector's own `PairAnalyzer` aligns
and extracts candidates exactly as on the device, and each candidate is labelled from the
ground truth: a lens if it lies on the projected lens, otherwise the kind of the nearest
distractor (or "background": texture, noise, motion). The classifier never sees anything
the detector would not hand it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from device.config import VisionConfig
from device.vision.features import FEATURE_NAMES, Candidates
from device.vision.motion import profiles
from device.vision.pipeline import PairAnalyzer
from models import scenes

F32 = npt.NDArray[np.float32]
LIGHTS = ("dark", "office", "daylight")
LENS_TOLERANCE_PX = 4.0  # motion smear and rolling shutter move the peak off the projection


@dataclass
class Dataset:
    """Patches (N x P x P x C), features, 0/1 labels and per-candidate metadata."""

    patches: list[F32] = field(default_factory=list)
    features: list[F32] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    light: list[str] = field(default_factory=list)
    lens_distance_m: list[float] = field(default_factory=list)
    lens_off_axis_deg: list[float] = field(default_factory=list)
    lens_aperture_mm: list[float] = field(default_factory=list)
    pairs: int = 0
    lens_pairs: int = 0  # pairs with a lens glint expected in view (inside its cone)
    lens_found: int = 0  # ... of which the detector made a candidate on the lens

    def arrays(self) -> tuple[F32, F32, npt.NDArray[np.float64]]:
        x = np.concatenate(self.patches) if self.patches else np.zeros((0, 16, 16, 4), np.float32)
        f = (np.concatenate(self.features) if self.features
             else np.zeros((0, len(FEATURE_NAMES)), np.float32))
        return x, f, np.asarray(self.labels, np.float64)


def label_candidates(cands: Candidates, scene: scenes.Scene, pose: scenes.Pose
                     ) -> tuple[list[int], list[str]]:
    """1/0 per candidate and its kind ("lens", a distractor kind, or "background")."""
    lens_xy = []
    for lens in scene.scenario.lenses:
        xy = scenes.project_point(scene, lens.position_m, pose)
        if xy is not None:
            lens_xy.append(xy)
    objs = []
    fx = scene.world.camera.fx
    for d in scene.scenario.distractors:
        xy = scenes.project_point(scene, d.position_m, pose)
        if xy is None:
            continue
        dist = float(np.linalg.norm(np.asarray(d.position_m) - pose.position_m))
        extent = max(*getattr(d, "size_m", (0.05,)), getattr(d, "radius_m", 0.0) * 2)
        objs.append((xy, max(30.0, 0.6 * extent * fx / max(dist, 0.1)), scene.kinds[d.id]))
    radius = cands.feature("radius_px")
    labels, kinds = [], []
    for i in range(len(cands)):
        x, y = float(cands.xs[i]), float(cands.ys[i])
        if any(math.hypot(x - lx, y - ly) <= LENS_TOLERANCE_PX + radius[i] for lx, ly in lens_xy):
            labels.append(1)
            kinds.append("lens")
            continue
        kind, best = "background", math.inf
        for (ox, oy), tol, k in objs:
            dd = math.hypot(x - ox, y - oy)
            if dd <= tol and dd < best:
                kind, best = k, dd
        labels.append(0)
        kinds.append(kind)
    return labels, kinds


def random_lens(rng: np.random.Generator) -> scenes.LensSpec:
    """A hidden lens anywhere in the working range, including outside its cone."""
    return scenes.LensSpec(
        distance_m=float(np.exp(rng.uniform(math.log(0.3), math.log(5.5)))),
        off_axis_deg=float(rng.uniform(0, 45) if rng.random() < 0.8 else rng.uniform(0, 10)),
        aperture_mm=float(rng.uniform(0.8, 5.5)),
        pinhole=bool(rng.random() < 0.3),
        image_az_deg=float(rng.uniform(-26, 26)),
        image_el_deg=float(rng.uniform(-19, 19)),
    )


def generate(cfg: VisionConfig, photos: list[npt.NDArray[np.uint8]], n_scenes: int,
             seed: int, pairs_per_scene: int = 4, lens_share: float = 0.75) -> Dataset:
    """Render `n_scenes` random scenes over `photos` and collect labelled candidates."""
    analyzer = PairAnalyzer(cfg, None)
    ds = Dataset()
    for i in range(n_scenes):
        rng = np.random.default_rng([seed, i])
        light = LIGHTS[i % 3]
        lens = random_lens(rng) if rng.random() < lens_share else None
        scene = scenes.make_scene(rng, light, lens, int(rng.integers(3, 11)),
                                  seed=seed * 100003 + i)
        use_photo = photos and rng.random() < 0.8
        photo = photos[int(rng.integers(len(photos)))] if use_photo else None
        zoom = float(rng.uniform(1.0, 2.0))
        for _ in range(pairs_per_scene):
            motion = scenes.random_motion(rng)
            on, off, pose = scenes.render_pair(scene, motion, rng, photo, zoom)
            shift = analyzer.align(profiles(on), profiles(off))
            cands = analyzer.candidates(on, off, shift)
            labels, kinds = label_candidates(cands, scene, pose)
            ds.pairs += 1
            if lens is not None and lens.off_axis_deg <= 20 and lens.distance_m <= 3:
                ds.lens_pairs += 1
                ds.lens_found += int(any(labels))
            if not len(cands):
                continue
            ds.patches.append(cands.patches)
            ds.features.append(cands.features)
            ds.labels += labels
            ds.kinds += kinds
            ds.light += [light] * len(cands)
            spec = lens or scenes.LensSpec(math.nan, math.nan, math.nan)
            ds.lens_distance_m += [spec.distance_m] * len(cands)
            ds.lens_off_axis_deg += [spec.off_axis_deg] * len(cands)
            ds.lens_aperture_mm += [spec.aperture_mm] * len(cands)
    return ds


def generate_tour(cfg: VisionConfig, scenario_name: str, seed: int, n_pairs: int,
                  ds: Dataset | None = None) -> Dataset:
    """Candidates along a built-in room's own sweep (realistic clutter and motion), labelled."""
    from device.sim.render import render_frame
    from device.sim.scenario import load_scenario
    from device.sim.world import World

    analyzer = PairAnalyzer(cfg, None)
    ds = ds or Dataset()
    rng = np.random.default_rng([seed, 1])
    rooms = []
    for i, light in enumerate(LIGHTS):
        scenario = load_scenario(scenario_name).with_lighting(light)
        rooms.append(scenes.Scene(scenario, World(scenario, seed + i), light, None,
                                  {d.id: d.kind for d in scenario.distractors}))
    for k in range(n_pairs):
        scene = rooms[k % 3]
        light, world = scene.lighting, scene.world
        cam = world.camera
        t = float(rng.uniform(2.0, 110.0))
        frames = []
        for dt, ring in ((0.0, 1.0), (2 * scenes.FRAME_PERIOD_S, 0.0)):
            poses = [world.pose(t + dt + u * cam.window_s) for u in (0.0, 0.5, 1.0)]
            frames.append(render_frame(world, cam, poses, np.full(cam.height, ring), rng,
                                       t_start_s=t + dt))
        on, off = frames
        cands = analyzer.candidates(on, off, analyzer.align(profiles(on), profiles(off)))
        labels, kinds = label_candidates(cands, scene, world.pose(t + cam.window_s / 2))
        ds.pairs += 1
        if not len(cands):
            continue
        ds.patches.append(cands.patches)
        ds.features.append(cands.features)
        ds.labels += labels
        ds.kinds += kinds
        ds.light += [light] * len(cands)
        ds.lens_distance_m += [math.nan] * len(cands)
        ds.lens_off_axis_deg += [math.nan] * len(cands)
        ds.lens_aperture_mm += [math.nan] * len(cands)
    return ds
