"""The vision worker: toggles the IR ring in step with frames and turns pairs into findings.

`step()` captures frames until one clean ON/OFF pair has been processed (one ring cycle). The
ring holds each state for `ring.frames_per_state` frames. Where the ring can switch at a set
instant and the sensor leaves a blanking gap between frames (exposure + readout shorter than
the frame period), every switch is placed in the middle of a gap, planned two frames ahead:
no frame sees a transition and all of them are usable. Otherwise the ring is switched as soon
as a clean frame arrives and the frame exposed across it is dropped by the sync. Timestamps
come from the frames only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from device.config import Config
from device.events import Frame, GlintCandidate
from device.hal.base import Camera, IrRing, PartError, TimedRing
from device.vision.classifier import GlintClassifier, resolve_model_path
from device.vision.features import SATURATED
from device.vision.motion import Profiles, Shift, estimate_shift, profiles
from device.vision.pipeline import PairAnalyzer, PairResult, Scorer
from device.vision.sync import Pair, PairBuilder, RingSync
from device.vision.tracker import Tracker, TrackParams

log = logging.getLogger(__name__)

# Frames a step may capture without producing a pair before it returns (keeps step() < 1 s
# at 30 fps), and consecutive unusable frames after which the ring sync is declared broken.
MAX_FRAMES_PER_STEP = 12
MAX_CONSECUTIVE_DROPS = 60
# A switch planned into the blanking gap may land this far from its instant (timer wake-up
# on Linux): the gap must hold it with the sync guard on both sides.
SWITCH_JITTER_S = 0.001
# How many frames ahead a late worker may still place a switch (the frames before it keep
# their state) before it falls back to switching at once.
MAX_PLAN_AHEAD = 4
# A pixel the ring saturates: at the 8-bit ceiling with the ring ON, clearly below it OFF
# (a lamp or a window saturated in both frames is not the ring's doing).
GLARE_MARGIN = 50
MODES = ("sweep", "lens", "rf", "proximity")


def track_params(cfg: Config) -> TrackParams:
    v = cfg.vision
    return TrackParams(
        confirm_cycles=v.confirm_cycles, track_radius_px=v.track_radius_px,
        min_score=v.confirm_min_score, track_min_score=v.track_min_score,
        max_misses=v.track_max_misses, min_hit_ratio=v.min_hit_ratio,
        refresh_cycles=v.finding_refresh_cycles, evidence_crop_px=v.evidence_crop_px,
        hfov_deg=v.hfov_deg, vfov_deg=v.vfov_deg, max_off_sightings=v.track_max_off_sightings,
        max_neighbours=v.max_neighbours, off_share=v.track_off_share,
        score_step=v.confirm_score_step, floor_score=v.floor_score, label_score=v.min_score,
        steady_hit_ratio=v.steady_hit_ratio, big_glint_px=v.big_glint_px,
        dark_surround=v.dark_surround_dn, wide_share=v.wide_glint_share,
        twin_share=v.twin_share, twin_min=v.twin_min_dn, site_radius_px=v.site_radius_px,
        site_memory_s=v.site_memory_s, pass_gap_s=v.pass_gap_s, site_passes=v.site_passes,
        site_held=cfg.alert.lens_passes, held_edge_px=v.held_edge_px,
    )


@dataclass
class VisionStats:
    """Counters for the self-test, the bench and the logs."""

    frames: int = 0
    dropped: int = 0
    pairs: int = 0
    candidates: int = 0
    findings: int = 0
    process_s: float = 0.0  # CPU-side wall time spent analysing pairs (bench figure only)


class VisionWorker:
    """Runs the lens channel: ring sync, differencing, classification, tracking."""

    name = "vision"

    def __init__(self, camera: Camera, ring: IrRing, cfg: Config,
                 emit: Callable[[object], None], classifier: Scorer | None) -> None:
        self.camera = camera
        self.ring = ring
        self.cfg = cfg
        self.emit = emit
        self.analyzer = PairAnalyzer(cfg.vision, classifier)
        self.tracker = Tracker(track_params(cfg))
        self.sync = RingSync(ring, cfg.vision.sync_guard_s)
        self.pairs = PairBuilder(cfg.vision.max_pair_gap_s)
        self.stats = VisionStats()
        self.mode = "sweep"
        self.last_result: PairResult | None = None
        self._commanded = ring.is_on
        self._clean_in_state = 0
        self._period_s = 1.0 / cfg.camera.fps
        self._timed_ring = ring if isinstance(ring, TimedRing) else None
        self._planned_s = -float("inf")  # the latest blanking gap already planned
        self._held = 0  # frames planned in the commanded state so far
        self._timing_logged = False
        # Near mode: while the ring saturates a near surface, every other ON frame is dimmed.
        self._can_dim = bool(getattr(ring, "can_dim", False))
        self._near = False
        self._last_dimmed = False  # the latest ON switch was a dimmed one
        self._glare_checked_on = -1  # ON frame whose glare was measured (it is in two pairs)
        self._on_scales: dict[float, float] = {}  # planned ON switch time -> its scale
        self._drops_in_row = 0
        self._profiles: dict[int, Profiles] = {}
        self._last_on: tuple[int, float, Profiles] | None = None
        self._velocity = (0.0, 0.0)  # image motion of the scene, px/s, from ON-to-ON shifts
        self._last_shift: Shift | None = None  # the latest ON-to-ON match, however weak
        self._ambient_dn = 255.0  # mean level of the latest OFF frame (room light alone)
        self._offset = (0.0, 0.0)  # accumulated (dx, dy) of the latest ON frame
        self._offsets: dict[int, tuple[float, float]] = {}

    @classmethod
    def create(cls, camera: Camera, ring: IrRing, cfg: Config,
               emit: Callable[[object], None], model_path: Path | None = None) -> VisionWorker:
        """Load the classifier once, start the camera with locked exposure, ring OFF."""
        path = model_path or resolve_model_path(cfg.vision.model_path)
        classifier = GlintClassifier(path, cfg.vision.num_threads, cfg.vision.patch_px)
        ring.set(False)
        camera.start()
        return cls(camera, ring, cfg, emit, classifier)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        self.mode = mode
        if mode == "rf":
            self.ring.set(False)  # also cancels the switches planned ahead
            self._commanded = False
            self._planned_s = -float("inf")
            self.pairs.reset()

    def step(self) -> None:
        """Capture until one clean ON/OFF pair is processed (or a bounded number of frames)."""
        for _ in range(MAX_FRAMES_PER_STEP):
            frame = self.camera.capture()
            self.stats.frames += 1
            if self.mode == "rf":
                return  # lens channel paused: the camera keeps pacing the loop
            state = self.sync.tag(frame)
            if not self._plan_ring(frame):
                self._toggle_ring(state)
            if state is None:
                self.stats.dropped += 1
                self._drops_in_row += 1
                if self._drops_in_row >= MAX_CONSECUTIVE_DROPS:
                    raise PartError("ir_ring", f"{self._drops_in_row} frames in a row straddled "
                                    "a ring transition", "lower camera.exposure_us or camera.fps")
                continue
            self._drops_in_row = 0
            self._remember(frame, state)
            pair = self.pairs.push(frame, state)
            if pair is not None:
                self._process(pair)
                return

    def _plan_ring(self, frame: Frame) -> bool:
        """Plan the first blanking gap not yet planned that is still ahead (normally the one
        before the frame after next): keep the ring's state there or switch it.

        False when the ring cannot be timed, the sensor leaves no gap wide enough, or the
        worker is so far behind that no gap within MAX_PLAN_AHEAD frames is still ahead.
        """
        period = self._period_s
        gap = period - frame.exposure_s  # exposure_s spans every row's exposure
        ring = self._timed_ring
        needed = 2 * (self.cfg.vision.sync_guard_s + SWITCH_JITTER_S)
        if not self._timing_logged:
            self._timing_logged = True
            if ring is None:
                log.info("ring cannot switch at a set instant: every other frame is dropped")
            elif gap < needed:
                log.warning("the camera leaves %.1f ms between exposures, %.1f ms are needed to "
                            "switch the ring there: every other frame is dropped (lower "
                            "camera.exposure_us or camera.fps)", gap * 1e3, needed * 1e3)
            else:
                log.info("ring switched in the %.1f ms between exposures: every frame is used",
                         gap * 1e3)
        if ring is None or gap < needed:
            return False
        for ahead in range(2, 2 + MAX_PLAN_AHEAD):
            at_s = frame.t_start_s + ahead * period - gap / 2
            if at_s <= self._planned_s + period / 2:
                continue  # an earlier frame planned this gap: plan the next one
            if self._held < self.cfg.ring.frames_per_state:
                self._held += 1  # the next frame keeps the state
                self._planned_s = at_s
                return True
            on = not self._commanded
            scale = self._next_scale() if on else 1.0
            if ring.set_at(on, at_s, scale):
                self._commanded = on
                self._held = 1
                self._planned_s = at_s
                if on:
                    self._last_dimmed = scale < 1.0
                    self._on_scales = {t: v for t, v in self._on_scales.items()
                                       if t > at_s - 1.0}
                    self._on_scales[at_s] = scale
                return True
            # too late for this gap: the frame before the next one keeps the state
        return False

    def _next_scale(self) -> float:
        """Ring level of the next ON frame: in near mode, every other one is dimmed."""
        if not (self._near and self._can_dim) or self._last_dimmed:
            return 1.0
        return self.cfg.ring.near_scale

    def _scale_of(self, frame: Frame) -> float:
        """The ring level an ON frame was taken at (1 unless planned dimmed)."""
        before = [t for t in self._on_scales if t <= frame.t_start_s]
        return self._on_scales[max(before)] if before else 1.0

    def _update_near(self, pair: Pair, scale: float) -> None:
        """Enter near mode when the ring saturates much of a full-power ON frame (`scale`
        is the level the pair's ON frame was taken at)."""
        if not self._can_dim or pair.on.index == self._glare_checked_on:
            return
        self._glare_checked_on = pair.on.index
        if scale < 1.0:
            return
        on, off = pair.on.pixels[::4, ::4], pair.off.pixels[::4, ::4]
        share = np.count_nonzero((on >= SATURATED) & (off < SATURATED - GLARE_MARGIN)) / on.size
        limit = self.cfg.ring.near_share
        if not self._near and share >= limit:
            log.info("the ring saturates %.0f%% of the view: every other ON frame dimmed",
                     100 * share)
            self._near = True
        elif self._near and share < limit / 2:
            self._near = False

    def _toggle_ring(self, state: bool | None) -> None:
        if state is None or state != self._commanded:
            return
        self._clean_in_state += 1
        if self._clean_in_state >= self.cfg.ring.frames_per_state:
            self._commanded = not self._commanded
            self.ring.set(self._commanded)
            self._clean_in_state = 0
            self._held = 1

    def _remember(self, frame: Frame, ring_on: bool) -> None:
        """Profiles per clean frame and the accumulated camera motion of ON frames."""
        prof = profiles(frame.pixels)
        self._profiles = {k: v for k, v in self._profiles.items() if k >= frame.index - 8}
        self._profiles[frame.index] = prof
        if not ring_on:
            self._ambient_dn = float(frame.pixels[::8, ::8].mean())
            return
        if self._last_on is not None:
            _, last_t, last_prof = self._last_on
            shift = estimate_shift(last_prof, prof, self.cfg.vision.max_shift_px)
            dt = frame.t_start_s - last_t
            if self._trusted(shift):
                if dt > 0:
                    self._velocity = (shift.dx / dt, shift.dy / dt)
                dx, dy = float(shift.dx), float(shift.dy)
            else:  # too little structure to tell: assume the sweep goes on as it went
                dx, dy = self._velocity[0] * dt, self._velocity[1] * dt
            # A room-fixed point at p in the last ON frame is at p + shift in this one.
            self._offset = (self._offset[0] - dx, self._offset[1] - dy)
            self._last_shift = shift
        self._last_on = (frame.index, frame.t_start_s, prof)
        self._offsets = {k: v for k, v in self._offsets.items() if k >= frame.index - 8}
        self._offsets[frame.index] = self._offset

    def _trusted(self, shift: Shift) -> bool:
        """Is this ON-to-ON match the camera's motion? A clear one is. In the dark the ring
        lights little structure and the match stays weak (0.15-0.25) though it is right to
        a few pixels; there a weak match that agrees with the previous one is taken too,
        while a lag picked at random from a bare wall seldom repeats. In a lit room a weak
        match means a bare view (a ceiling), and the recent motion is the better guess."""
        v = self.cfg.vision
        if shift.confidence >= v.min_shift_confidence:
            return True
        if self._ambient_dn >= v.dark_ambient_dn:
            return False
        last = self._last_shift
        return (shift.confidence >= v.weak_shift_confidence and last is not None
                and last.confidence >= v.weak_shift_confidence
                and abs(shift.dx - last.dx) <= v.weak_shift_agree_px
                and abs(shift.dy - last.dy) <= v.weak_shift_agree_px)

    def _process(self, pair: Pair) -> None:
        started = time.perf_counter()
        scale = self._scale_of(pair.on)
        self._update_near(pair, scale)
        # If the ON/OFF match is too weak to trust, the scene's recent motion says where the
        # OFF frame should sit (ON frames are ring-lit alike and match each other better).
        dt = pair.off.t_start_s - pair.on.t_start_s
        predicted = Shift(round(self._velocity[1] * dt), round(self._velocity[0] * dt), 0.0)
        result = self.analyzer.analyze(pair.on.pixels, pair.off.pixels,
                                       self._profiles.get(pair.on.index),
                                       self._profiles.get(pair.off.index), predicted)
        detections = result.detections(self.cfg.vision.cluster_radius_px,
                                       self.cfg.vision.track_min_score)
        offset = self._offsets.get(pair.on.index, self._offset)
        self.tracker.check_off(pair.on.index, pair.off.pixels, (result.shift.dy, result.shift.dx),
                               offset, self.cfg.vision.diff_threshold, detections)
        findings = self.tracker.update(pair.on.index, pair.t_s, detections, offset,
                                       pair.on.pixels, scale)
        self.stats.process_s += time.perf_counter() - started
        self.stats.pairs += 1
        self.stats.candidates += len(detections)
        self.last_result = result
        ranked = sorted((d for d in detections if d.score >= self.cfg.vision.track_min_score),
                        key=lambda d: -d.score)
        for det in ranked[: self.cfg.vision.candidate_events]:
            self.emit(GlintCandidate(t_s=pair.t_s, x=det.x, y=det.y, radius_px=det.radius_px,
                                     peak=det.peak, area_px=det.area_px, score=det.score,
                                     label=det.label))
        for finding in findings:
            self.stats.findings += 1
            log.info("lens finding: track %d at (%.0f, %.0f) bearing %s confidence %.2f",
                     finding.track_id, finding.x, finding.y, finding.bearing_deg,
                     finding.confidence)
            self.emit(finding)

    def close(self) -> None:
        """Ring off and camera released; safe to call twice."""
        try:
            self.ring.set(False)
        except PartError:
            log.debug("ring already closed")
        self.camera.close()
