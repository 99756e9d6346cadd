"""The room baseline: what was on the air at the door, and which emitters are findings since.

The first `sweeps` sweeps (taken at the door) record every emitter and the mean power of
every bin. After that an emitter is a finding when it is

- **new**: nothing overlapped it at baseline, and it stands `margin_db` above the noise;
- **stronger**: it overlaps a baseline emitter but its mean power over its band is at least
  `margin_db` above the baseline's there;
- **growing**: its peak rose by `growth_db` or more over the last `growth_sweeps` sweeps
  (the device is approaching it).

Broadcast and downlink services (labels in bands.AMBIENT_MHZ) arrive from outside the room,
so their level changes as the user walks are fading, not approach: they can only be new.
An emitter must be seen in `confirm_sweeps` of the last `confirm_window` sweeps before it
is reported, which keeps single-sweep false alarms out; each emitter is reported again only
when its novelty changes or it grew by another `growth_db`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from device.rf.bands import AMBIENT_MHZ
from device.rf.emitters import Emitter
from device.rf.psd import to_db

FloatArray = npt.NDArray[np.float64]
Novelty = Literal["new", "stronger", "growing"]
_AMBIENT_LABELS = tuple(label for _, _, label in AMBIENT_MHZ)


def is_ambient(label: str) -> bool:
    """True for services transmitted from outside the room (broadcast, downlinks, GNSS)."""
    return all(part.strip() in _AMBIENT_LABELS for part in label.split(" / "))


@dataclass(frozen=True)
class Assessment:
    """An emitter the baseline considers a finding, and why."""

    emitter: Emitter
    novelty: Novelty
    confidence: float  # 0..1
    track_id: int
    sweeps_seen: int


@dataclass
class _Track:
    id: int
    lo_hz: float
    hi_hz: float
    seen: list[int] = field(default_factory=list)
    peaks: list[tuple[int, float]] = field(default_factory=list)
    reported: Novelty | None = None
    reported_peak_db: float = -np.inf


class RoomBaseline:
    """Learns the room at the door, then turns each sweep's emitters into findings."""

    def __init__(
        self,
        sweeps: int,
        margin_db: float,
        growth_db: float,
        growth_sweeps: int,
        confirm_sweeps: int,
        confirm_window: int,
        match_hz: float,
    ) -> None:
        self.sweeps = sweeps
        self.margin_db = margin_db
        self.growth_db = growth_db
        self.growth_sweeps = growth_sweeps
        self.confirm_sweeps = confirm_sweeps
        self.confirm_window = confirm_window
        self.match_hz = match_hz
        self.learned = 0
        self.emitters: list[Emitter] = []
        self._freqs: FloatArray | None = None
        self._mean_power: FloatArray | None = None
        self._tracks: list[_Track] = []

    @property
    def learning(self) -> bool:
        return self.learned < self.sweeps

    def observe(
        self, sweep: int, emitters: list[Emitter], freqs_hz: FloatArray, power: FloatArray
    ) -> list[Assessment]:
        """Feed one sweep; returns the findings to report now (none while learning)."""
        if self.learning:
            self._learn(emitters, freqs_hz, power)
            return []
        out: list[Assessment] = []
        for em in emitters:
            track = self._track_for(em)
            track.seen.append(sweep)
            track.peaks.append((sweep, em.peak_dbfs))
            novelty = self._novelty(em, track, freqs_hz, power)
            if novelty is None or not self._confirmed(track, sweep):
                continue
            if not self._worth_reporting(track, novelty, em.peak_dbfs):
                continue
            track.reported = novelty
            track.reported_peak_db = em.peak_dbfs
            out.append(
                Assessment(em, novelty, confidence(em, novelty), track.id, len(track.seen))
            )
        return out

    def _learn(self, emitters: list[Emitter], freqs_hz: FloatArray, power: FloatArray) -> None:
        self.emitters.extend(emitters)
        if self._mean_power is None or self._freqs is None or self._freqs.shape != freqs_hz.shape:
            self._freqs = freqs_hz.copy()
            self._mean_power = power.astype(np.float64).copy()
            self.learned = 1
            return
        n = self.learned
        self._mean_power = (self._mean_power * n + power) / (n + 1)
        self.learned += 1

    def baseline_overlap(self, em: Emitter) -> bool:
        """True when an emitter overlapping `em` was on the air during the baseline."""
        return any(b.overlaps(em.lo_hz, em.hi_hz, self.match_hz) for b in self.emitters)

    def baseline_mean_db(self, em: Emitter) -> float | None:
        """Baseline mean power (dBFS/bin) over `em`'s band, if the baseline covered it."""
        if self._freqs is None or self._mean_power is None:
            return None
        lo, hi = np.searchsorted(self._freqs, [em.lo_hz, em.hi_hz])
        if hi <= lo:
            return None
        return float(to_db(self._mean_power[lo:hi].mean()))

    def _novelty(
        self, em: Emitter, track: _Track, freqs_hz: FloatArray, power: FloatArray
    ) -> Novelty | None:
        if not self.baseline_overlap(em):
            # Compared with the baseline, which had only noise here: clearly above it.
            return "new" if em.snr_db >= self.margin_db else None
        if is_ambient(em.label):
            return None
        base = self.baseline_mean_db(em)
        lo, hi = np.searchsorted(freqs_hz, [em.lo_hz, em.hi_hz])
        if base is not None and hi > lo:
            now = float(to_db(power[lo:hi].mean()))
            if now - base >= self.margin_db:
                return "stronger"
        if self._growing(track):
            return "growing"
        return None

    def _growing(self, track: _Track) -> bool:
        recent = [p for _, p in track.peaks[-self.growth_sweeps :]]
        if len(recent) < self.growth_sweeps:
            return False
        steps = np.diff(recent)
        # Rising overall, and no step falling by more than a third of the required rise.
        return bool(recent[-1] - recent[0] >= self.growth_db and steps.min() > -self.growth_db / 3)

    def _confirmed(self, track: _Track, sweep: int) -> bool:
        recent = [s for s in track.seen if s > sweep - self.confirm_window]
        return len(recent) >= self.confirm_sweeps

    def _worth_reporting(self, track: _Track, novelty: Novelty, peak_db: float) -> bool:
        if track.reported is None:
            return True
        if novelty == "growing" and track.reported != "growing":
            return True
        return peak_db - track.reported_peak_db >= self.growth_db

    def _track_for(self, em: Emitter) -> _Track:
        for t in self._tracks:
            if em.lo_hz - self.match_hz <= t.hi_hz and t.lo_hz <= em.hi_hz + self.match_hz:
                t.lo_hz, t.hi_hz = min(t.lo_hz, em.lo_hz), max(t.hi_hz, em.hi_hz)
                return t
        track = _Track(len(self._tracks), em.lo_hz, em.hi_hz)
        self._tracks.append(track)
        return track


# How much an RF finding alone suggests a camera (the fusion caps RF-only evidence anyway,
# and treats 0.4 as "suspicious"). Analog video senders are rarely anything else. A
# cellular uplink is a camera module or a phone: new since the baseline is suspicious; one
# that was already there and grows as the user walks is most often a phone in the room
# (it still corroborates a lens finding: the fusion looks at "growing"). ISM sensors are
# everywhere.
_CONFIDENCE: dict[str, dict[str, float]] = {
    "video": {"new": 0.7, "growing": 0.75, "stronger": 0.6},
    "uplink": {"new": 0.45, "growing": 0.35, "stronger": 0.3},
    "other": {"new": 0.35, "growing": 0.3, "stronger": 0.25},
    "ism": {"new": 0.25, "growing": 0.2, "stronger": 0.15},
}


def category(label: str) -> str:
    """video | uplink | ism | other, the most camera-like reading of a band-table label."""
    if label.startswith("analog video"):
        return "video"
    if "uplink" in label:
        return "uplink"
    if label.startswith("ISM"):
        return "ism"
    return "other"


def confidence(em: Emitter, novelty: Novelty) -> float:
    """How much an RF finding suggests a camera, 0..1 (a heuristic; see _CONFIDENCE).

    A video sender gains with its SNR (a strong 15-20 MHz plateau is unmistakable).
    """
    kind = category(em.label)
    value = _CONFIDENCE[kind][novelty]
    if kind == "video":
        value += min(0.2, max(0.0, em.snr_db) / 100.0)
    return round(min(0.95, value), 3)
