"""Glint tracks across ring cycles: a candidate becomes a lens finding only when it persists.

Positions are kept in stabilised image coordinates: the image position plus the camera's
accumulated global shift, so a lens fixed in the room stays put while the hand moves. A glint
that slides against the scene (a reflection on a curved or moving surface), that blinks (a
standby LED), or that shows in one frame only (a flash) never gathers enough hits in enough
distinct ON frames to be confirmed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from device.events import Gray, LensFinding
from device.vision.pipeline import Detection

ALPHA, BETA = 0.6, 0.3  # gains of the position/drift filter of each track
RING_R = 5  # radius (px) of the ring that tells a spot in an OFF frame from its surroundings
# A self-lit source shows in OFF about as bright as its glint in ON - OFF; a spot in an OFF
# frame counts against a track only from this share of the track's mean glint peak (a
# textured background or a housing edge under the predicted position is far dimmer).
OFF_PEAK_SHARE = 0.5
# A pair's detection this close to a track's predicted place is that track's glint (the
# prediction strays a few pixels): its OFF frame was just found dark at the exact place.
OWN_GLINT_PX = 6.0
_ANG = np.arange(12) * (2 * np.pi / 12)
_RING_DY = np.round(RING_R * np.sin(_ANG)).astype(np.intp)
_RING_DX = np.round(RING_R * np.cos(_ANG)).astype(np.intp)


@dataclass(frozen=True)
class TrackParams:
    """Tracker settings (from VisionConfig; reasons in defaults.toml)."""

    confirm_cycles: int = 3
    track_radius_px: float = 24.0
    min_score: float = 0.5  # mean lens score a track needs at confirm_cycles hits
    track_min_score: float = 0.2
    max_misses: int = 4
    min_hit_ratio: float = 0.6
    refresh_cycles: int = 15
    evidence_crop_px: int = 48
    hfov_deg: float = 62.2
    vfov_deg: float = 48.8
    max_tracks: int = 64
    max_off_sightings: int = 0
    off_share: float = 0.0
    max_neighbours: float = 1.0
    score_step: float = 0.0  # the mean score needed falls by this per hit beyond confirm_cycles...
    floor_score: float = 0.35  # ...down to this
    label_score: float = 0.5  # a track whose mean is under the lens label's score...
    steady_hit_ratio: float = 0.8  # ...must have been seen in this share of its ON frames
    big_glint_px: float = 3.5  # a glint this wide (radius) comes from a lens within ~0.7 m:
    dark_surround: float = 10.0  # its body is lit above this (ON - OFF, DN) and it clips ON
    wide_share: float = 0.5  # a track this often wide without both is no lens
    twin_share: float = 0.75  # a dark copy this deep beside a glint (share of its peak)...
    twin_min: float = 128.0  # ...and at least this deep (DN) is the OFF image of a self-lit
    # point: the hit counts as an OFF sighting
    site_radius_px: float = 120.0  # a lens confirmed again this close (stabilised px)...
    site_memory_s: float = 20.0  # ...this soon after its place was last seen is the same place
    pass_gap_s: float = 1.0  # a track begun this long after the place was last seen: a new pass
    site_passes: int = 3  # from this many passes a place's confidence combines them all...
    site_held: int = 2  # ...once this many of them were held across the view (see `Site`)
    held_edge_px: float = 110.0  # a pass is held when its glint was first and last seen this
    # close to the frame's edge: it lit as the place came into view and stayed lit until it left


@dataclass
class Site:
    """A place (stabilised coordinates) where lens tracks were confirmed.

    A lens glints again whenever the device faces it from inside its cone, so a sweep that
    passes it several times confirms it on each pass; a glossy facet glints only from the few
    spots where its normal points at the device. Each pass is evidence of its own, but only
    from `site_passes` passes on are they combined (two passes over a facet happen).

    The cone also shows within one pass. Held at arm's length, the device moves sideways as
    it turns: ~0.35 m over one pan across the view, 7-20 degrees as seen from a place 1-3 m
    away. A lens (a cone of ~20 degrees) glints from the moment its place comes into view
    until it leaves; a facet (a lobe of a few degrees) lights up and goes out while its place
    is still well inside the view. A pass whose glint was first and last seen near the
    frame's edge is *held*; passes are combined only once `site_held` of them were.
    """

    sx: float
    sy: float
    seen_t_s: float  # last hit of any of its tracks
    passes: list[float] = field(default_factory=list)  # best track confidence of each pass
    entered: list[bool] = field(default_factory=list)  # each pass: first seen near the edge
    held: list[bool] = field(default_factory=list)  # ...and last seen near it too

    @property
    def held_passes(self) -> int:
        return sum(self.held)

    def confidence(self, min_passes: int, held: int = 0) -> float:
        """The best pass alone; from `min_passes` passes on, `held` of them held across the
        view, the chance that every pass was wrong is taken as the product of theirs."""
        if len(self.passes) < min_passes or self.held_passes < held:
            return max(self.passes, default=0.0)
        wrong = 1.0
        for c in self.passes:
            wrong *= 1.0 - c
        return round(1.0 - wrong, 4)


@dataclass
class Track:
    id: int
    sx: float  # stabilised position
    sy: float
    x: float  # last image position
    y: float
    first_t_s: float
    hits: int = 0
    run_misses: int = 0
    score_sum: float = 0.0
    peak_sum: float = 0.0  # ON - OFF at the glint, summed over hits
    best_score: float = 0.0
    last_hit_on: int = -1
    first_edge_px: float = 0.0  # how far inside the frame's nearest edge it was first seen
    last_t_s: float = 0.0  # time of its latest hit
    # ON frames with the track in view, per ring level: [hits, misses]. A lens lost in the
    # glare of a near surface shows only in the dimmed frames, a faint one only at full power:
    # a track is judged at the level it is seen at, not by the frames of the other.
    by_level: dict[float, list[int]] = field(default_factory=dict)
    vx: float = 0.0  # drift in stabilised px per frame index (parallax of a near object)
    vy: float = 0.0
    off_sightings: int = 0  # OFF frames that showed a spot here: a self-lit source, not a lens
    neighbour_sum: int = 0  # other spots near it, summed over its hits (glints come in crowds
    # on crinkled plastic, glossy housings and mirrors; a lens glint stands alone)
    odd_wide_hits: int = 0  # hits with a wide glint no near lens gives (see _odd_wide)
    reported_at_hits: int = 0
    crop: Gray | None = field(default=None, repr=False)
    site: Site | None = None  # where it was confirmed, and on which pass
    pass_index: int = 0

    @property
    def misses(self) -> int:
        """In-view ON frames that missed it, at the ring level it has been seen at most."""
        return self._main_level()[1]

    @property
    def hit_ratio(self) -> float:
        """Share of the ON frames with the track in view (at its ring level) that saw it."""
        hits, misses = self._main_level()
        return hits / max(1, hits + misses)

    def _main_level(self) -> tuple[int, int]:
        """(hits, misses) at the ring level with the most hits (the better ratio on a tie)."""
        if not self.by_level:
            return self.hits, 0
        h, m = max(self.by_level.values(), key=lambda hm: (hm[0], hm[0] / max(1, sum(hm))))
        return h, m

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.hits if self.hits else 0.0


def bearing_deg(x: float, y: float, width: int, height: int, hfov_deg: float,
                vfov_deg: float) -> tuple[float, float]:
    """(azimuth, elevation) of pixel (x, y) from the optical axis; right and up positive."""
    fx = (width / 2) / math.tan(math.radians(hfov_deg) / 2)
    fy = (height / 2) / math.tan(math.radians(vfov_deg) / 2)
    az = math.degrees(math.atan((x - (width - 1) / 2) / fx))
    el = math.degrees(math.atan(((height - 1) / 2 - y) / fy))
    return round(az, 2), round(el, 2)


def edge_px(x: float, y: float, width: int, height: int) -> float:
    """How far (x, y) lies inside the frame's nearest edge."""
    return min(x, width - 1 - x, y, height - 1 - y)


def crop_around(img: Gray, x: float, y: float, size: int) -> Gray:
    """A size x size copy of `img` centred near (x, y), shifted inside the frame."""
    h, w = img.shape
    size = min(size, h, w)
    y0 = int(min(max(round(y) - size // 2, 0), h - size))
    x0 = int(min(max(round(x) - size // 2, 0), w - size))
    return np.array(img[y0:y0 + size, x0:x0 + size], copy=True)


class Tracker:
    """Associates per-pair detections into tracks and confirms lenses."""

    def __init__(self, params: TrackParams) -> None:
        self.p = params
        self.tracks: list[Track] = []
        self.sites: list[Site] = []
        self._next_id = 1
        self._on_index: int | None = None
        self._on_level = 1.0

    def _close_on_frame(self, width: int, height: int, ox: float,
                        oy: float) -> list[LensFinding]:
        """Count a miss for every track not seen in the ON frame just finished; a place
        whose pass has just ended held across the view is reported again."""
        keep = []
        findings = []
        for tr in self.tracks:
            if tr.last_hit_on != self._on_index:
                x, y = tr.sx - ox, tr.sy - oy
                in_view = 0 <= x < width and 0 <= y < height
                tr.run_misses += 1
                if in_view:
                    tr.by_level.setdefault(self._on_level, [0, 0])[1] += 1
            if tr.run_misses <= self.p.max_misses:
                keep.append(tr)
            elif tr.site is not None and self._held(tr, width, height):
                findings.append(self._finding(tr, tr.last_t_s, width, height))
        self.tracks = keep
        return findings

    def _held(self, tr: Track, width: int, height: int) -> bool:
        """Mark the pass of a track that has just ended as held when the pass's glint was
        first seen near the frame's edge and this track was last seen near it (see `Site`; a
        pass may take two tracks when the glint was lost for a moment). True when the pass
        has just become held: the place is then reported again."""
        site = tr.site
        assert site is not None
        k = tr.pass_index
        if (site.held[k] or not site.entered[k]
                or edge_px(tr.x, tr.y, width, height) > self.p.held_edge_px):
            return False
        site.held[k] = True
        return True

    def update(self, on_index: int, t_s: float, detections: list[Detection],
               offset: tuple[float, float], on_pixels: Gray,
               level: float = 1.0) -> list[LensFinding]:
        """Feed one pair's detections; `offset` = accumulated (dx, dy) camera shift of the ON
        frame, `level` = the ring level it was taken at.

        Returns the findings confirmed or refreshed by this pair.
        """
        p = self.p
        h, w = on_pixels.shape
        ox, oy = offset
        findings: list[LensFinding] = []
        if self._on_index is not None and on_index != self._on_index:
            findings += self._close_on_frame(w, h, ox, oy)
        self._on_index = on_index
        self._on_level = level
        usable = sorted((d for d in detections if d.score >= p.track_min_score),
                        key=lambda d: -d.score)
        r2 = p.track_radius_px ** 2
        for det in usable:
            sx, sy = det.x + ox, det.y + oy
            best: Track | None = None
            best_key = (math.inf, 0)
            for tr in self.tracks:
                px, py = self._predict(tr, on_index)
                d2 = (px - sx) ** 2 + (py - sy) ** 2
                # A young track does not know its drift yet: it accepts twice as far. The
                # nearest prediction wins (a wider gate is no reason to win), the longer
                # track on a tie.
                if d2 > r2 * (4.0 if tr.hits < 2 else 1.0):
                    continue
                key = (d2, -tr.hits)
                if key < best_key:
                    best, best_key = tr, key
            if best is None:
                if len(self.tracks) >= p.max_tracks:
                    continue
                best = Track(self._next_id, sx, sy, det.x, det.y, t_s)
                self._next_id += 1
                self.tracks.append(best)
            if best.last_hit_on == on_index:
                continue  # one hit per ON frame, whichever pair saw it
            if not best.hits:
                best.first_edge_px = edge_px(det.x, det.y, w, h)
            self._hit(best, det, sx, sy, on_index, on_pixels)
            best.last_t_s = t_s
            if best.site is not None:
                best.site.seen_t_s = t_s
                best.site.sx, best.site.sy = best.sx, best.sy
            finding = self._maybe_report(best, t_s, w, h)
            if finding is not None:
                findings.append(finding)
        return findings

    @staticmethod
    def _predict(tr: Track, on_index: int) -> tuple[float, float]:
        """Where the track should be now: a room-fixed glint stays put once the camera's
        rotation is taken out, but a near one drifts steadily (parallax of the moving hand)."""
        if tr.last_hit_on < 0:
            return tr.sx, tr.sy
        dt = on_index - tr.last_hit_on
        return tr.sx + tr.vx * dt, tr.sy + tr.vy * dt

    def _hit(self, tr: Track, det: Detection, sx: float, sy: float, on_index: int,
             on_pixels: Gray) -> None:
        if tr.hits == 1:  # two sightings: the drift is their difference
            dt = max(1, on_index - tr.last_hit_on)
            tr.vx, tr.vy = (sx - tr.sx) / dt, (sy - tr.sy) / dt
            tr.sx, tr.sy = sx, sy
        elif tr.hits:
            px, py = self._predict(tr, on_index)
            dt = max(1, on_index - tr.last_hit_on)
            ex, ey = sx - px, sy - py
            # alpha-beta filter: motion estimates carry a pixel or so of noise
            tr.sx, tr.sy = px + ALPHA * ex, py + ALPHA * ey
            tr.vx += BETA * ex / dt
            tr.vy += BETA * ey / dt
        else:
            tr.sx, tr.sy = sx, sy
        tr.x, tr.y = det.x, det.y
        tr.hits += 1
        tr.by_level.setdefault(self._on_level, [0, 0])[0] += 1
        tr.run_misses = 0
        tr.score_sum += det.score
        tr.peak_sum += det.peak
        tr.neighbour_sum += det.neighbours
        tr.odd_wide_hits += self._odd_wide(det)
        tr.off_sightings += det.twin <= -max(self.p.twin_share * det.peak, self.p.twin_min)
        tr.last_hit_on = on_index
        if det.score >= tr.best_score or tr.crop is None:
            tr.best_score = det.score
            tr.crop = crop_around(on_pixels, det.x, det.y, self.p.evidence_crop_px)

    def _odd_wide(self, det: Detection) -> bool:
        """A wide glint that no lens gives. Only a lens within ~0.7 m makes a glint this wide,
        and that close its return is hundreds of times a white wall's: it clips the ON frame,
        and the ring lights the camera's body around it. The ring's image in a mirror or a
        framed print is as wide with nothing lit around it; a patch of glossy plastic lit by
        the ring is as wide and nowhere near clipping."""
        if det.radius_px < self.p.big_glint_px:
            return False
        return det.surround < self.p.dark_surround or det.saturation == 0.0

    def check_off(self, on_index: int, off_pixels: Gray, shift: tuple[int, int],
                  offset: tuple[float, float], threshold: float,
                  detections: Sequence[Detection] = ()) -> None:
        """Look for each track's spot in an OFF frame (aligned to the ON frame by `shift`).

        A lens is dark whenever the ring is off; a blinking standby LED or a flickering
        screen that happened to be dark in the neighbouring OFF frames shows up in others,
        about as bright as its glint. `detections` are this pair's: a track glinting in it
        was just found dark in this OFF frame at its exact position, so it is not looked
        for again at its predicted one (a lens in a small white housing would be judged by
        the housing lit around it).
        """
        h, w = off_pixels.shape
        ox, oy = offset
        r2 = OWN_GLINT_PX ** 2
        for tr in self.tracks:
            px, py = self._predict(tr, on_index)
            if any((d.x + ox - px) ** 2 + (d.y + oy - py) ** 2 <= r2 for d in detections):
                continue
            x, y = round(px - ox) + shift[1], round(py - oy) + shift[0]
            if not (RING_R <= x < w - RING_R and RING_R <= y < h - RING_R):
                continue
            centre = int(off_pixels[y - 1:y + 2, x - 1:x + 2].max())
            ring = off_pixels[y + _RING_DY, x + _RING_DX]
            level = max(threshold, OFF_PEAK_SHARE * tr.peak_sum / max(1, tr.hits))
            if centre - float(np.median(ring)) > level:
                tr.off_sightings += 1

    def confidence(self, tr: Track) -> float:
        """0..1: mean lens score, discounted until the track has twice the confirm cycles."""
        maturity = min(1.0, tr.hits / (2.0 * self.p.confirm_cycles))
        ratio = tr.hit_ratio
        steady = min(1.0, ratio / self.p.min_hit_ratio)
        return round(tr.mean_score * math.sqrt(maturity) * steady, 4)

    def needed_score(self, hits: int) -> float:
        """Mean lens score a track of `hits` hits needs: persistence is evidence in its own
        right, so a glint the model doubts (a 1 mm pinhole at 2-3 m scores about 0.4) is
        confirmed once it has held still long enough, and a sure one at once."""
        p = self.p
        extra = max(0, hits - p.confirm_cycles)
        return max(min(p.floor_score, p.min_score), p.min_score - p.score_step * extra)

    def _maybe_report(self, tr: Track, t_s: float, w: int, h: int) -> LensFinding | None:
        p = self.p
        if tr.hits < p.confirm_cycles or tr.mean_score < self.needed_score(tr.hits):
            return None
        if tr.mean_score < p.label_score and tr.hit_ratio < p.steady_hit_ratio:
            return None
        if tr.off_sightings > p.max_off_sightings + int(p.off_share * tr.hits):
            return None
        if tr.neighbour_sum / tr.hits > p.max_neighbours:
            return None
        if tr.odd_wide_hits >= p.wide_share * tr.hits:
            return None
        if tr.hit_ratio < p.min_hit_ratio:
            return None
        if tr.reported_at_hits and tr.hits - tr.reported_at_hits < p.refresh_cycles:
            return None
        tr.reported_at_hits = tr.hits
        site = tr.site or self._bind_site(tr, t_s)
        site.passes[tr.pass_index] = max(site.passes[tr.pass_index], self.confidence(tr))
        return self._finding(tr, t_s, w, h)

    def _finding(self, tr: Track, t_s: float, w: int, h: int) -> LensFinding:
        p, site = self.p, tr.site
        assert site is not None
        return LensFinding(
            t_s=t_s, track_id=tr.id, x=tr.x, y=tr.y,
            bearing_deg=bearing_deg(tr.x, tr.y, w, h, p.hfov_deg, p.vfov_deg),
            confidence=site.confidence(p.site_passes, p.site_held), cycles=tr.hits,
            crop=tr.crop, passes=len(site.passes), held_passes=site.held_passes,
        )

    def _bind_site(self, tr: Track, t_s: float) -> Site:
        """The place of a newly confirmed track: a recent one near it, or a new place. It is
        a new pass over the place when the place had not been seen for `pass_gap_s` when the
        track began (not the tracker losing the glint for a moment and starting again)."""
        p = self.p
        self.sites = [s for s in self.sites if t_s - s.seen_t_s <= p.site_memory_s]
        r2 = p.site_radius_px ** 2
        near = [s for s in self.sites if (s.sx - tr.sx) ** 2 + (s.sy - tr.sy) ** 2 <= r2]
        site = min(near, key=lambda s: (s.sx - tr.sx) ** 2 + (s.sy - tr.sy) ** 2, default=None)
        if site is None:
            site = Site(tr.sx, tr.sy, t_s)
            self.sites.append(site)
        if not site.passes or tr.first_t_s - site.seen_t_s >= p.pass_gap_s:
            site.passes.append(0.0)
            site.entered.append(False)
            site.held.append(False)
        tr.site, tr.pass_index = site, len(site.passes) - 1
        site.entered[-1] |= tr.first_edge_px <= p.held_edge_px
        site.seen_t_s = t_s
        site.sx, site.sy = tr.sx, tr.sy
        return site
