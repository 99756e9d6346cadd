"""One ON/OFF frame pair in, scored glint candidates out: align, difference, describe, classify."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from device.config import VisionConfig
from device.events import Gray
from device.vision.features import Candidates, describe
from device.vision.glint import Differencer, ExtractParams
from device.vision.motion import ZERO, Profiles, Shift, estimate_shift, profiles

F32 = npt.NDArray[np.float32]


def extract_params(cfg: VisionConfig) -> ExtractParams:
    """The spot detector's thresholds from the [vision] config."""
    return ExtractParams(
        diff_threshold=cfg.diff_threshold,
        local_contrast=cfg.local_contrast,
        spot_radius_px=cfg.spot_radius_px,
        off_window_px=cfg.off_window_px,
        local_search_px=cfg.local_search_px,
        twin_px=cfg.twin_px,
        max_candidates=cfg.max_candidates,
    )


@dataclass(frozen=True)
class Detection:
    """One scored candidate in ON-frame pixels; `score` is the lens probability 0..1."""

    x: float
    y: float
    radius_px: float
    peak: float
    area_px: int
    score: float
    label: Literal["lens", "other"]
    neighbours: int = 0  # other spots of the same pair within the cluster radius
    surround: float = 0.0  # ON - OFF on the rings around the glint (its lit surroundings)
    twin: float = 0.0  # lowest ON - OFF near it (about -peak beside a self-lit point)
    saturation: float = 0.0  # share of the 3x3 ON pixels at the glint that clip


@dataclass(frozen=True)
class PairResult:
    """What one frame pair gave: the OFF->ON alignment, the candidates and their scores."""

    shift: Shift
    cands: Candidates
    scores: F32
    min_score: float

    def detections(self, cluster_radius_px: float = 0.0,
                   neighbour_score: float = 0.0) -> list[Detection]:
        """One Detection per candidate; `neighbours` counts the other glint-like spots (score
        at least `neighbour_score`) within the radius: edges and noise do not count."""
        out = []
        radius = self.cands.feature("radius_px")
        peak = self.cands.feature("peak")
        area = self.cands.feature("area_px")
        surround = peak * (1.0 - self.cands.feature("contrast"))
        twin = self.cands.feature("twin")
        saturation = self.cands.feature("saturation")
        ys = self.cands.ys.astype(np.float64)
        xs = self.cands.xs.astype(np.float64)
        glinty = self.scores >= neighbour_score
        close = ((ys[:, None] - ys[None, :]) ** 2 + (xs[:, None] - xs[None, :]) ** 2
                 <= cluster_radius_px ** 2)
        near = (close & glinty[None, :]).sum(axis=1) - glinty
        for i in range(len(self.cands)):
            score = float(self.scores[i])
            out.append(Detection(
                x=float(self.cands.xs[i]), y=float(self.cands.ys[i]),
                radius_px=round(float(radius[i]), 2), peak=float(peak[i]),
                area_px=int(area[i]), score=round(score, 4),
                label="lens" if score >= self.min_score else "other",
                neighbours=int(near[i]), surround=round(float(surround[i]), 1),
                twin=float(twin[i]), saturation=float(saturation[i]),
            ))
        return out


class Scorer(Protocol):
    """Anything that gives a lens probability per candidate (the TFLite classifier)."""

    def scores(self, cands: Candidates) -> F32: ...


class PairAnalyzer:
    """Holds the work buffers and the classifier; `analyze` is called once per pair."""

    def __init__(self, cfg: VisionConfig, classifier: Scorer | None) -> None:
        self.cfg = cfg
        self.params = extract_params(cfg)
        self.differencer = Differencer(self.params)
        self.classifier = classifier

    def align(self, on_prof: Profiles, off_prof: Profiles, fallback: Shift = ZERO) -> Shift:
        """Shift of OFF relative to ON, or `fallback` when the scene is too bare to tell."""
        shift = estimate_shift(on_prof, off_prof, self.cfg.max_shift_px)
        if shift.confidence < self.cfg.min_shift_confidence:
            return Shift(fallback.dy, fallback.dx, shift.confidence)
        return shift

    def candidates(self, on: Gray, off: Gray, shift: Shift) -> Candidates:
        """Unscored candidates of a pair aligned by `shift` (what training labels)."""
        spots = self.differencer.spots(on, off, shift)
        return describe(on, off, shift, spots, self.cfg.patch_px, self.cfg.diff_threshold,
                        self.cfg.spot_radius_px)

    def analyze(self, on: Gray, off: Gray, on_prof: Profiles | None = None,
                off_prof: Profiles | None = None, fallback: Shift = ZERO) -> PairResult:
        """Align, extract, describe and classify one pair."""
        shift = self.align(on_prof or profiles(on), off_prof or profiles(off), fallback)
        cands = self.candidates(on, off, shift)
        if self.classifier is not None:
            scores = self.classifier.scores(cands)
        else:
            scores = np.zeros(len(cands), np.float32)
        return PairResult(shift, cands, scores, self.cfg.min_score)
