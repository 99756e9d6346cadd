"""Tracker: persistence over ring cycles, motion consistency, bearings, evidence crops."""

from __future__ import annotations

import numpy as np
import pytest

from device.events import LensFinding
from device.vision.pipeline import Detection
from device.vision.tracker import Tracker, TrackParams, bearing_deg, crop_around

FRAME = np.zeros((480, 640), np.uint8)


def det(x: float, y: float, score: float = 0.9) -> Detection:
    return Detection(x=x, y=y, radius_px=1.5, peak=120, area_px=7, score=score,
                     label="lens" if score >= 0.5 else "other")


def test_confirms_after_confirm_cycles_and_refreshes() -> None:
    tr = Tracker(TrackParams(confirm_cycles=3, refresh_cycles=4))
    out = []
    for k in range(8):
        out.append(tr.update(k, k * 0.1, [det(100, 200)], (0.0, 0.0), FRAME))
    got = [k for k, f in enumerate(out) if f]
    assert got == [2, 6]  # confirmed at the 3rd ON frame, refreshed 4 cycles later
    finding = out[2][0]
    assert finding.cycles == 3 and finding.track_id == 1
    assert (finding.x, finding.y) == (100, 200)
    assert 0 < finding.confidence <= 1
    assert out[6][0].confidence > finding.confidence


def test_two_pairs_of_one_on_frame_count_once() -> None:
    tr = Tracker(TrackParams(confirm_cycles=3))
    for k in range(2):
        assert tr.update(k, k * 0.1, [det(50, 50)], (0.0, 0.0), FRAME) == []
        assert tr.update(k, k * 0.1 + 0.03, [det(50, 50)], (0.0, 0.0), FRAME) == []
    assert len(tr.update(2, 0.2, [det(50, 50)], (0.0, 0.0), FRAME)) == 1


def test_follows_the_scene_when_the_hand_moves() -> None:
    tr = Tracker(TrackParams(confirm_cycles=4, track_radius_px=6))
    found = []
    for k in range(6):
        offset = (-15.0 * k, 4.0 * k)  # camera pans: the lens drifts +15 px/frame in x
        found += tr.update(k, k * 0.1, [det(100 + 15 * k, 80 - 4 * k)], offset, FRAME)
    assert len(found) == 1 and found[0].x == 100 + 15 * 3


def test_glint_sliding_against_the_scene_is_not_confirmed() -> None:
    tr = Tracker(TrackParams(confirm_cycles=3, track_radius_px=6))
    found = []
    for k in range(10):
        found += tr.update(k, k * 0.1, [det(100 + 15 * k, 80)], (0.0, 0.0), FRAME)
    assert found == []


def test_blinking_source_is_not_confirmed() -> None:
    tr = Tracker(TrackParams(confirm_cycles=3, min_hit_ratio=0.6, max_misses=4))
    found = []
    for k in range(30):
        seen = [det(300, 300)] if k % 3 == 0 else []  # in one ON frame out of three
        found += tr.update(k, k * 0.1, seen, (0.0, 0.0), FRAME)
    assert found == []


def test_low_scores_never_confirm() -> None:
    tr = Tracker(TrackParams(confirm_cycles=3, min_score=0.5))
    found = []
    for k in range(10):
        found += tr.update(k, k * 0.1, [det(10, 10, score=0.3)], (0.0, 0.0), FRAME)
    assert found == []


def test_evidence_crop_is_small_and_from_the_frame() -> None:
    img = np.arange(480 * 640, dtype=np.uint32).reshape(480, 640).astype(np.uint8)
    tr = Tracker(TrackParams(confirm_cycles=1, evidence_crop_px=48))
    (finding,) = tr.update(0, 0.0, [det(5, 470)], (0.0, 0.0), img)
    assert finding.crop is not None and finding.crop.shape == (48, 48)
    assert np.array_equal(finding.crop, img[432:480, 0:48])


@pytest.mark.parametrize(
    ("x", "y", "az", "el"),
    [(319.5, 239.5, 0.0, 0.0), (639.5, 239.5, 31.1, 0.0), (319.5, -0.5, 0.0, 24.4)],
)
def test_bearing(x: float, y: float, az: float, el: float) -> None:
    assert bearing_deg(x, y, 640, 480, 62.2, 48.8) == pytest.approx((az, el), abs=0.01)


def test_crop_of_a_tiny_frame() -> None:
    assert crop_around(np.ones((10, 12), np.uint8), 3, 3, 48).shape == (10, 10)


def test_near_lens_drifting_by_parallax_is_followed() -> None:
    tr = Tracker(TrackParams(confirm_cycles=4, track_radius_px=10))
    found = []
    for k in range(6):  # the room is still, but the near lens drifts 15 px per ON frame
        found += tr.update(k, k * 0.1, [det(100 + 15 * k, 80)], (0.0, 0.0), FRAME)
    assert len(found) == 1


def test_a_doubtful_glint_held_steady_long_enough_is_confirmed() -> None:
    """Mean score 0.4: under the 0.7 a glint needs after 3 hits, but the need falls by 0.05
    a hit to the 0.35 floor, so it is confirmed at the 9th hit (need 0.4) in a steady run;
    never when it blinks in and out, or when the need does not fall."""
    def run(step: float, seen: set[int]) -> list[int]:
        tr = Tracker(TrackParams(confirm_cycles=3, min_score=0.7, score_step=step,
                                 floor_score=0.35, label_score=0.5, steady_hit_ratio=0.8,
                                 max_misses=6, refresh_cycles=100))
        when = []
        for k in range(20):
            dets = [det(300, 100, score=0.4)] if k in seen else []
            if tr.update(k, k * 0.1, dets, (0.0, 0.0), FRAME):
                when.append(k)
        return when

    assert run(0.05, set(range(20))) == [8]
    assert run(0.0, set(range(20))) == []
    assert run(0.05, {k for k in range(20) if k % 3}) == []  # seen in 2 of 3 ON frames


def test_needed_score_falls_with_hits_to_the_floor() -> None:
    tr = Tracker(TrackParams(confirm_cycles=3, min_score=0.7, score_step=0.05, floor_score=0.35))
    assert [round(tr.needed_score(h), 2) for h in (3, 4, 7, 10, 30)] == [0.7, 0.65, 0.5, 0.35, 0.35]


def test_crowded_glints_are_not_confirmed() -> None:
    tr = Tracker(TrackParams(confirm_cycles=3, max_neighbours=1.0))
    found = []
    for k in range(8):
        crowd = Detection(x=200, y=200, radius_px=1.0, peak=90, area_px=3, score=0.9,
                          label="lens", neighbours=4)
        found += tr.update(k, k * 0.1, [crowd], (0.0, 0.0), FRAME)
    assert found == []


def test_wide_glint_is_a_lens_only_when_clipped_with_its_body_lit() -> None:
    """A 4 px glint is a lens within arm's reach: it clips the ON frame and the ring lights
    its body. The same glint with nothing lit around it is the ring's image in a mirror or a
    framed print; one that does not clip ON is a ring-lit patch of glossy plastic."""
    def run(surround: float, saturation: float = 1.0, radius: float = 4.0) -> int:
        tr = Tracker(TrackParams(confirm_cycles=3, big_glint_px=3.5, dark_surround=10.0,
                                 wide_share=0.5, refresh_cycles=100))
        found = []
        for k in range(10):
            glint = Detection(x=320, y=240, radius_px=radius, peak=180, area_px=50,
                              score=0.9, label="lens", surround=surround,
                              saturation=saturation)
            found += tr.update(k, k * 0.1, [glint], (0.0, 0.0), FRAME)
        return len(found)

    assert run(surround=40.0) == 1  # clipped, the housing around it lit: a near lens
    assert run(surround=3.0) == 0
    assert run(surround=40.0, saturation=0.0) == 0
    assert run(surround=3.0, saturation=0.0, radius=2.0) == 1  # small: a lens far off


def test_glint_with_a_dark_twin_counts_as_an_off_sighting() -> None:
    """A steady LED that the alignment missed: each hit carries a dark copy of the glint
    beside it, so the track is vetoed like one seen lit in an OFF frame."""
    def run(twin: float) -> int:
        tr = Tracker(TrackParams(confirm_cycles=3, max_off_sightings=0, off_share=0.1,
                                 twin_share=0.75))
        found = []
        for k in range(8):
            glint = Detection(x=400, y=20, radius_px=1.5, peak=200, area_px=7, score=0.95,
                              label="lens", twin=twin)
            found += tr.update(k, k * 0.1, [glint], (0.0, 0.0), FRAME)
        return len(found)

    assert run(twin=-190.0) == 0
    assert run(twin=-60.0) > 0  # a housing edge beside a lens: shallower than the glint


def test_a_shallow_twin_beside_a_faint_glint_is_no_led() -> None:
    """In daylight a lens glint on a lit housing may stand only ~100 DN above OFF, and the
    housing's misaligned edge beside it ~90 DN below: deep for that glint, too shallow for a
    self-lit point, which saturates the OFF frame."""
    def run(twin: float, peak: float) -> int:
        tr = Tracker(TrackParams(confirm_cycles=3, max_off_sightings=0, off_share=0.1,
                                 twin_share=0.75, twin_min=128.0))
        found = []
        for k in range(8):
            glint = Detection(x=400, y=200, radius_px=1.5, peak=peak, area_px=7, score=0.95,
                              label="lens", twin=twin)
            found += tr.update(k, k * 0.1, [glint], (0.0, 0.0), FRAME)
        return len(found)

    assert run(twin=-90.0, peak=103.0) > 0
    assert run(twin=-140.0, peak=150.0) == 0


def test_spot_seen_in_an_off_frame_vetoes_the_track() -> None:
    tr = Tracker(TrackParams(confirm_cycles=3, max_off_sightings=0))
    off = np.full((480, 640), 40, np.uint8)
    lit = off.copy()
    lit[99:102, 299:302] = 200  # the source is lit while the ring is off
    found = []
    for k in range(6):
        tr.check_off(k, lit if k == 1 else off, (0, 0), (0.0, 0.0), 24.0)
        found += tr.update(k, k * 0.1, [det(300, 100)], (0.0, 0.0), FRAME)
    assert found == []
    assert tr.tracks[0].off_sightings == 1


def test_one_off_sighting_in_a_long_track_is_forgiven_but_not_a_blinking_source() -> None:
    """One sighting per ten hits is allowed (`off_share`); a source lit in OFF frames
    again and again never is."""
    off = np.full((480, 640), 40, np.uint8)
    lit = off.copy()
    lit[99:102, 299:302] = 200

    def run(lit_at: set[int]) -> list[int]:
        tr = Tracker(TrackParams(confirm_cycles=3, max_off_sightings=0, off_share=0.1,
                                 refresh_cycles=1))
        when = []
        for k in range(14):
            tr.check_off(k, lit if k in lit_at else off, (0, 0), (0.0, 0.0), 24.0)
            if tr.update(k, k * 0.1, [det(300, 100)], (0.0, 0.0), FRAME):
                when.append(k)
        return when

    assert run({1})[0] == 9  # vetoed until the tenth hit forgives the one sighting
    assert run({1, 4, 7, 10, 13}) == []


def test_housing_lit_in_off_is_not_looked_at_where_the_pair_found_the_glint() -> None:
    """A pinhole in a small white housing: the OFF frame shows the housing lit around the
    dark pupil. A pair that detected the glint already found OFF dark at its exact place, so
    the housing near its predicted place is no sighting; in a pair without it, it is."""
    housing = np.full((480, 640), 60, np.uint8)
    housing[97:104, 297:304] = 155  # 7 px of white plastic lit by the room
    housing[100, 300] = 20  # the pupil
    tr = Tracker(TrackParams(confirm_cycles=3, max_off_sightings=0))
    found = []
    for k in range(6):
        glint = [det(300, 100)]
        tr.check_off(k, housing, (0, 1), (0.0, 0.0), 24.0, glint)  # prediction 1 px off
        found += tr.update(k, k * 0.1, glint, (0.0, 0.0), FRAME)
    assert tr.tracks[0].off_sightings == 0
    assert found
    tr.check_off(6, housing, (0, 1), (0.0, 0.0), 24.0, [])
    assert tr.tracks[0].off_sightings == 1


def test_dim_off_spot_under_a_bright_glint_is_not_a_self_lit_source() -> None:
    """A housing edge or texture 40 DN above its ring under a 200 DN glint: still a lens."""
    tr = Tracker(TrackParams(confirm_cycles=3, max_off_sightings=0))
    off = np.full((480, 640), 40, np.uint8)
    speck = off.copy()
    speck[99:102, 299:302] = 80
    found = []
    for k in range(6):
        tr.check_off(k, speck, (0, 0), (0.0, 0.0), 24.0)
        glint = Detection(x=300, y=100, radius_px=1.0, peak=200, area_px=3, score=0.9,
                          label="lens")
        found += tr.update(k, k * 0.1, [glint], (0.0, 0.0), FRAME)
    assert tr.tracks[0].off_sightings == 0
    assert found, "a steady bright glint over a dim OFF speck must be confirmed"


def test_nearer_established_track_keeps_its_glint_from_a_young_one() -> None:
    """A one-hit track's wider gate must not let it take a glint that sits nearer another."""
    tr = Tracker(TrackParams(confirm_cycles=3, track_radius_px=20.0))
    for k in range(2):  # the lens track: two hits at (300, 100)
        tr.update(k, k * 0.1, [det(300, 100)], (0.0, 0.0), FRAME)
    # a stray spot starts a young track 30 px below it
    tr.update(2, 0.2, [det(300, 100), det(300, 130, score=0.3)], (0.0, 0.0), FRAME)
    lens = next(t for t in tr.tracks if t.hits == 3)
    # the glint moves 12 px towards the stray track: 12 px from its own, 18 px from the stray
    tr.update(3, 0.3, [det(300, 112)], (0.0, 0.0), FRAME)
    assert lens.hits == 4


def test_frames_at_another_ring_level_are_not_missed_chances() -> None:
    """A lens seen only in the dimmed ON frames of near mode is confirmed; the same every
    other frame at one level is too unsteady (3 hits in 5 frames < 0.7)."""

    def run(levels: list[float]) -> list[LensFinding]:
        tr = Tracker(TrackParams(confirm_cycles=3, min_hit_ratio=0.7))
        found: list[LensFinding] = []
        for k, level in enumerate(levels):
            dets = [det(300, 100)] if k % 2 == 0 else []
            found += tr.update(k, k * 0.1, dets, (0.0, 0.0), FRAME, level)
        return found

    assert run([0.25, 1.0] * 6)
    assert not run([1.0, 1.0] * 6)


def test_a_lens_lost_in_glare_before_near_mode_is_judged_at_the_dimmed_level() -> None:
    """Seen once at full power, then lost in the glare of its white housing for the frames
    it takes near mode to start, then seen in every dimmed frame: the full-power misses do
    not count against the dimmed sightings. A glint missed as often at one level is not
    confirmed."""

    def run(dimmed: float) -> list[LensFinding]:
        tr = Tracker(TrackParams(confirm_cycles=3, min_hit_ratio=0.6, max_misses=6))
        levels = [1.0] * 6 + [1.0, dimmed] * 5
        found: list[LensFinding] = []
        for k, level in enumerate(levels):
            seen = k == 0 or (k >= 6 and k % 2 == 1)
            found += tr.update(k, k * 0.1, [det(300, 100)] if seen else [], (0.0, 0.0),
                               FRAME, level)
        return found

    assert run(0.25)
    assert not run(1.0)


def sweep_passes(tr: Tracker, spans: list[tuple[int, int, float, float]],
                 frames: int) -> list[LensFinding]:
    """Frames 0..frames-1 at 10 per second; a glint at (x, y) in the frames of each span
    (first, last, x, y)."""
    found: list[LensFinding] = []
    for k in range(frames):
        dets = [det(x, y, score=0.6) for a, b, x, y in spans if a <= k <= b]
        found += tr.update(k, k * 0.1, dets, (0.0, 0.0), FRAME)
    return found


def test_a_place_confirmed_on_three_separate_passes_combines_them() -> None:
    """A lens glints again each time the device faces it: the third pass lifts the place's
    confidence above any single pass; two passes do not. (The glint here stands still in
    mid-frame: combining is not made to wait for passes held across the view.)"""
    params = TrackParams(confirm_cycles=3, max_misses=4, site_passes=3, pass_gap_s=1.0,
                         site_held=0)
    spans = [(0, 9, 300, 200), (30, 39, 310, 205), (60, 69, 290, 195)]
    found = sweep_passes(Tracker(params), spans, 75)
    by_pass = [[f for f in found if a * 0.1 <= f.t_s <= b * 0.1] for a, b, _, _ in spans]
    assert all(by_pass)
    single = max(f.confidence for f in by_pass[0])
    assert max(f.confidence for f in by_pass[1]) == pytest.approx(single, abs=0.05)
    assert by_pass[1][0].passes == 2
    third = by_pass[2][-1]
    assert third.passes == 3
    assert third.confidence > single + 0.2
    assert third.confidence == pytest.approx(1 - (1 - single) ** 3, abs=0.05)
    assert len({f.track_id for f in found}) == 3  # three tracks, one place


def test_a_glint_lost_for_a_moment_or_seen_elsewhere_is_no_new_pass() -> None:
    params = TrackParams(confirm_cycles=3, max_misses=2, site_passes=2, pass_gap_s=1.0,
                         site_radius_px=120.0, site_memory_s=20.0)
    # lost for half a second between tracks: the same pass
    found = sweep_passes(Tracker(params), [(0, 9, 300, 200), (15, 24, 300, 200)], 30)
    assert {f.passes for f in found} == {1}
    # another place 200 px away, or the same place after the memory ran out: a new place
    found = sweep_passes(Tracker(params), [(0, 9, 300, 200), (30, 39, 500, 200)], 45)
    assert {f.passes for f in found} == {1}
    found = sweep_passes(Tracker(params), [(0, 9, 300, 200), (230, 239, 300, 200)], 245)
    assert {f.passes for f in found} == {1}
    # the same place 2 s later: the second pass
    found = sweep_passes(Tracker(params), [(0, 9, 300, 200), (30, 39, 300, 200)], 45)
    assert max(f.passes for f in found) == 2


def pan_across(tr: Tracker, lit: tuple[float, float], passes: int = 1,
               speed_px: float = 20.0) -> list[LensFinding]:
    """The device pans so that a place fixed in the room crosses the view from its left edge
    to its right, `passes` times with a 2 s look away between; the place glints while its
    image is inside `lit` (x range)."""
    found: list[LensFinding] = []
    k = 0
    for _ in range(passes):
        for step in range(int(700 / speed_px)):
            x = 5.0 + speed_px * step
            shift = -speed_px * step  # the camera turned: the room moved right in the image
            dets = [det(x, 240.0, score=0.7)] if lit[0] <= x <= lit[1] else []
            found += tr.update(k, k / 15, dets, (shift, 0.0), FRAME)
            k += 1
        for _ in range(30):  # turned away: nothing in view
            found += tr.update(k, k / 15, [], (0.0, 0.0), FRAME)
            k += 1
    return found


def test_a_glint_held_across_the_view_marks_its_pass_when_it_leaves() -> None:
    """A lens stays lit from the moment its place enters the view until it leaves: once it
    has left, the place is reported again with that pass held."""
    found = pan_across(Tracker(TrackParams()), (0.0, 640.0))
    assert found and found[0].held_passes == 0  # confirmed on entering, not yet held
    assert found[-1].held_passes == 1
    assert found[-1].x > 640 - TrackParams().held_edge_px  # where it was last seen


def test_a_glint_that_lights_or_goes_out_in_mid_view_is_not_held() -> None:
    """A glossy facet's narrow lobe: lit only while the device passes through it, with the
    place well inside the view; confirmed, but no pass is held, however often."""
    for lit in ((200.0, 450.0), (0.0, 400.0), (250.0, 640.0)):
        found = pan_across(Tracker(TrackParams()), lit, passes=3)
        assert found, lit
        assert max(f.passes for f in found) == 3
        assert all(f.held_passes == 0 for f in found), lit


def test_passes_combine_once_two_were_held() -> None:
    """Three passes over a facet that goes out in mid-view keep the best single pass's
    confidence; three held passes combine."""
    params = TrackParams(site_passes=3, site_held=2)
    facet = pan_across(Tracker(params), (150.0, 450.0), passes=3)
    lens = pan_across(Tracker(params), (0.0, 640.0), passes=3)
    assert max(f.passes for f in facet) == max(f.passes for f in lens) == 3
    assert max(f.confidence for f in facet) == max(f.confidence for f in facet
                                                   if f.passes == 1)
    single = max(f.confidence for f in lens if f.passes == 1)
    assert max(f.confidence for f in lens) == pytest.approx(1 - (1 - single) ** 3, abs=0.05)
    assert max(f.held_passes for f in lens) == 3
