"""Differencing, motion compensation and spot extraction on synthetic frames."""

from __future__ import annotations

import numpy as np
import pytest
from vision_synth import Scene

from device.config import load
from device.vision.features import FEATURE_NAMES
from device.vision.motion import ZERO, Shift, estimate_shift, profiles
from device.vision.pipeline import PairAnalyzer

CFG = load().vision


@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (3, -5), (-9, 12)])
def test_shift_estimate_recovers_hand_motion(dy: int, dx: int) -> None:
    scene = Scene(ambient=150, seed=3)
    on = scene.frame(True)
    off = scene.frame(False, dy, dx)
    shift = estimate_shift(profiles(on), profiles(off), 16)
    # OFF shows the ON frame's pixel (y, x) at (y - dy, x - dx).
    assert (shift.dy, shift.dx) == (-dy, -dx)
    assert shift.confidence > 0.6


def test_bare_scene_gives_low_confidence() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(10, 2, (120, 160)).clip(0, 255).astype(np.uint8)
    b = rng.normal(10, 2, (120, 160)).clip(0, 255).astype(np.uint8)
    assert estimate_shift(profiles(a), profiles(b), 16).confidence < CFG.min_shift_confidence


def test_tiny_frames_have_no_motion() -> None:
    a = np.zeros((2, 2), np.uint8)
    assert estimate_shift(profiles(a), profiles(a), 8) == ZERO


def test_glint_found_despite_motion_and_ring_light() -> None:
    scene = Scene(ambient=150, ring_gain=40, seed=1, glints=[(60, 80, 120, 1.0)],
                  steady=[(30, 40, 90, 1.0)])  # an indicator LED: bright in both frames
    on = scene.frame(True)
    off = scene.frame(False, 4, -6)
    result = PairAnalyzer(CFG, None).analyze(on, off)
    assert (result.shift.dy, result.shift.dx) == (-4, 6)
    found = [(d.y, d.x) for d in result.detections()]
    assert (60.0, 80.0) in found
    assert all(abs(y - 30) > 3 or abs(x - 40) > 3 for y, x in found)


def test_without_alignment_the_steady_led_would_leak() -> None:
    scene = Scene(ambient=150, seed=1, steady=[(30, 40, 90, 1.0)])
    on = scene.frame(True)
    off = scene.frame(False, 4, -6)
    analyzer = PairAnalyzer(CFG, None)
    misaligned = analyzer.candidates(on, off, Shift(0, 0, 1.0))
    aligned = analyzer.candidates(on, off, Shift(-4, 6, 1.0))
    near_led = lambda c: any(abs(y - 30) <= 2 and abs(x - 40) <= 2  # noqa: E731
                             for y, x in zip(c.ys, c.xs, strict=True))
    assert near_led(misaligned)
    assert not near_led(aligned)


def test_a_steady_led_the_alignment_missed_leaves_a_dark_twin() -> None:
    """The OFF image of a self-lit point sits a few pixels from its ON image when the
    alignment misses it: ON - OFF there is about minus the glint. A lens has no such twin."""
    scene = Scene(ambient=150, seed=1, steady=[(30, 40, 90, 1.0)], glints=[(60, 80, 120, 1.0)])
    on = scene.frame(True)
    off = scene.frame(False, 4, -6)
    cands = PairAnalyzer(CFG, None).candidates(on, off, Shift(0, 0, 1.0))
    by_place = {(int(y), int(x)): dict(zip(FEATURE_NAMES, f.tolist(), strict=True))
                for y, x, f in zip(cands.ys, cands.xs, cands.features, strict=True)}
    led = next(f for (y, x), f in by_place.items() if abs(y - 30) <= 2 and abs(x - 40) <= 2)
    assert led["twin"] <= -0.75 * led["peak"]
    aligned = PairAnalyzer(CFG, None).candidates(on, off, Shift(-4, 6, 1.0))
    glint = FEATURE_NAMES.index("twin"), FEATURE_NAMES.index("peak")
    (row,) = [f for y, x, f in zip(aligned.ys, aligned.xs, aligned.features, strict=True)
              if (y, x) == (60, 80)]
    assert row[glint[0]] > -0.25 * row[glint[1]]


def test_lit_wall_is_not_a_glint_but_a_pinhole_on_it_is() -> None:
    scene = Scene(ambient=0, ring_gain=160, noise=1.0, seed=2, grain_px=32,
                  glints=[(50, 50, 80, 1.2)])
    on, off = scene.frame(True), scene.frame(False)
    dets = PairAnalyzer(CFG, None).analyze(on, off).detections()
    assert [(d.y, d.x) for d in dets] == [(50.0, 50.0)]


def test_dark_room_glint_and_features() -> None:
    scene = Scene(ambient=0, ring_gain=5, seed=4, glints=[(40, 100, 200, 1.5)])
    on, off = scene.frame(True), scene.frame(False)
    result = PairAnalyzer(CFG, None).analyze(on, off)
    assert len(result.cands) == 1
    feats = dict(zip(FEATURE_NAMES, result.cands.features[0].tolist(), strict=True))
    assert feats["peak"] > 150
    assert feats["roundness"] > 0.8
    assert 1.0 < feats["radius_px"] < 4.0
    assert feats["off_level"] < 0.1
    patch = result.cands.patches[0]
    assert patch.shape == (CFG.patch_px, CFG.patch_px, 4)
    c = CFG.patch_px // 2
    assert patch[c, c, 2] == pytest.approx(patch.max(axis=(0, 1))[2])


def test_empty_difference_gives_no_candidates() -> None:
    scene = Scene(ambient=100, ring_gain=0, seed=5)
    on = scene.frame(False)
    assert PairAnalyzer(CFG, None).analyze(on, on.copy()).detections() == []


def test_mismatched_sizes_raise() -> None:
    analyzer = PairAnalyzer(CFG, None)
    with pytest.raises(ValueError, match="frames must match"):
        analyzer.candidates(np.zeros((10, 10), np.uint8), np.zeros((10, 12), np.uint8), ZERO)


def test_candidate_count_is_bounded() -> None:
    glints = [(10 + 12 * (i // 12), 10 + 12 * (i % 12), 150, 1.0) for i in range(96)]
    scene = Scene(ambient=0, ring_gain=0, seed=6, glints=glints)
    dets = PairAnalyzer(CFG, None).analyze(scene.frame(True), scene.frame(False)).detections()
    assert len(dets) == CFG.max_candidates


def test_glint_at_the_frame_edge() -> None:
    scene = Scene(ambient=0, ring_gain=0, seed=7, glints=[(0, 0, 200, 1.0), (119, 159, 200, 1.0)])
    dets = PairAnalyzer(CFG, None).analyze(scene.frame(True), scene.frame(False)).detections()
    assert {(d.y, d.x) for d in dets} == {(0.0, 0.0), (119.0, 159.0)}


def test_candidate_is_centred_on_the_glint_next_to_a_lit_edge() -> None:
    off = np.full((120, 160), 20, np.uint8)
    on = off.copy()
    on[52:70, 40:100] = 140  # a near housing lit by the ring
    yy, xx = np.mgrid[:120, :160]
    on = np.clip(on + 230 * np.exp(-((yy - 50) ** 2 + (xx - 70) ** 2) / 2.0), 0, 255)
    dets = PairAnalyzer(CFG, None).analyze(on.astype(np.uint8), off).detections()
    assert (50.0, 70.0) in [(d.y, d.x) for d in dets]
