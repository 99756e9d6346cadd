"""The alert state machine: evidence from both channels in, one alert level out.

States and moves are an explicit table so that every transition is visible and tested.
Time comes from the events (device clock), never from the wall, so a simulated sweep and a
real one behave the same.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from device.config import AlertConfig
from device.events import LensFinding, RfFinding, Verdict, emitter_key

log = logging.getLogger(__name__)


class State(StrEnum):
    BOOT = "boot"
    BASELINE = "baseline"
    SWEEPING = "sweeping"
    SUSPECT = "suspect"
    ALERT = "alert"
    ACKNOWLEDGED = "acknowledged"


class Trigger(StrEnum):
    SELFTEST_DONE = "selftest_done"
    BASELINE_DONE = "baseline_done"
    SUSPECT = "suspect"  # fused confidence reached the suspicious level
    CONFIRMED = "confirmed"  # fused confidence held the camera level for the debounce time
    CLEARED = "cleared"  # the evidence faded below the suspicious level
    ACK = "ack"  # the user pressed acknowledge


TRANSITIONS: dict[tuple[State, Trigger], State] = {
    (State.BOOT, Trigger.SELFTEST_DONE): State.BASELINE,
    (State.BASELINE, Trigger.BASELINE_DONE): State.SWEEPING,
    # A lens seen before the RF baseline is done still counts: the optical channel leads.
    (State.BASELINE, Trigger.CONFIRMED): State.ALERT,
    (State.SWEEPING, Trigger.SUSPECT): State.SUSPECT,
    (State.SWEEPING, Trigger.CONFIRMED): State.ALERT,
    (State.SUSPECT, Trigger.CONFIRMED): State.ALERT,
    (State.SUSPECT, Trigger.CLEARED): State.SWEEPING,
    (State.SUSPECT, Trigger.ACK): State.ACKNOWLEDGED,
    (State.ALERT, Trigger.ACK): State.ACKNOWLEDGED,
    # After an acknowledge, only new, stronger evidence raises a fresh alert.
    (State.ACKNOWLEDGED, Trigger.CONFIRMED): State.ALERT,
    (State.ACKNOWLEDGED, Trigger.CLEARED): State.SWEEPING,
}

# Sensitivity 1..5 scales the confidence a verdict needs: 5 alerts on weaker evidence.
SENSITIVITY_SCALE = {1: 1.25, 2: 1.1, 3: 1.0, 4: 0.9, 5: 0.8}

# A lone RF emitter is at most "suspicious": it can never make a camera verdict alone.
RF_ALONE_CAP = 0.6
# An RF emitter that grows while a lens is tracked raises the lens confidence by this much.
RF_CORROBORATION_BONUS = 0.15
# Growth reports kept per emitter (a day-long session must not grow without bound; a few
# minutes of sweeps is what corroboration looks back on).
GROWTH_HISTORY = 256


@dataclass
class Evidence:
    """Best evidence so far per channel, keyed by track id / emitter centre, and when each
    lens track and each growing emitter was reported (first, last)."""

    lens: dict[int, LensFinding] = field(default_factory=dict)
    rf: dict[int, RfFinding] = field(default_factory=dict)
    lens_seen_s: dict[int, tuple[float, float]] = field(default_factory=dict)
    growing_s: dict[int, deque[float]] = field(default_factory=dict)

    def add(self, finding: LensFinding | RfFinding) -> None:
        if isinstance(finding, LensFinding):
            key = finding.track_id
            old = self.lens.get(key)
            if old is None or finding.confidence >= old.confidence:
                self.lens[key] = finding
            first, _ = self.lens_seen_s.get(key, (finding.t_s, finding.t_s))
            self.lens_seen_s[key] = (min(first, finding.t_s), finding.t_s)
            return
        key = emitter_key(finding.center_hz)
        old_rf = self.rf.get(key)
        if old_rf is None or finding.confidence >= old_rf.confidence:
            self.rf[key] = finding
        if finding.novelty == "growing":
            self.growing_s.setdefault(key, deque(maxlen=GROWTH_HISTORY)).append(finding.t_s)

    def corroborated(self, track_id: int, window_s: float) -> bool:
        """Did an emitter grow while this lens track was in view (within `window_s`)?"""
        first, last = self.lens_seen_s.get(track_id, (0.0, 0.0))
        return any(first - window_s <= t <= last + window_s
                   for times in self.growing_s.values() for t in times)


def lens_weight(finding: LensFinding, bonus: float, sure: float, min_passes: int) -> float:
    """The confidence a lens finding lends the alert (0 = none yet).

    A place whose glint was held across the view (see `device.vision.tracker.Site`) on
    `min_passes` separate passes counts at its confidence (plus any RF corroboration); with
    `min_passes` 1, every confirmed place counts at once. Any other place counts only once
    it is `sure` on its own, without the RF bonus: a transmitter growing nearby does not tell
    a lens from a facet (in the busy RF room a phone grows while the device faces a glossy
    glint). A lens glints again whenever the device faces it from inside its cone, and stays
    lit while its place crosses the view; the glints of glossy plastic, screws and bags that
    pass for one mostly come back on no second pass, and light up or go out in mid-view.
    Until then the finding is a spot to look at again (the sweep screen asks for it), not an
    alert.
    """
    if min_passes > 1 and finding.held_passes < min_passes and finding.confidence < sure:
        return 0.0
    return min(1.0, finding.confidence + bonus)


def fused_confidence(evidence: Evidence, window_s: float, sure: float = 0.0,
                     lens_passes: int = 1) -> float:
    """Combine both channels into one confidence in 0..1 (see the module constants).

    A growing emitter raises a lens only when it grew while that lens was being looked at:
    the device was pointing at the lens as it approached the transmitter. A phone or sensor
    growing across the room at another moment says nothing about that glint. Lens places
    held across the view on fewer than `lens_passes` passes count only from `sure` (see
    `lens_weight`).
    """
    lens = 0.0
    for key, f in evidence.lens.items():
        bonus = RF_CORROBORATION_BONUS if evidence.corroborated(key, window_s) else 0.0
        lens = max(lens, lens_weight(f, bonus, sure, lens_passes))
    rf = max((f.confidence for f in evidence.rf.values()), default=0.0)
    return max(lens, min(rf, RF_ALONE_CAP))


class AlertMachine:
    """Turns findings into state changes; `verdict()` is the sweep's answer so far."""

    def __init__(self, cfg: AlertConfig) -> None:
        self._cfg = cfg
        self.sensitivity = cfg.sensitivity
        self.state = State.BOOT
        self.evidence = Evidence()
        self.history: list[tuple[float, State, Trigger, State]] = []
        self._camera_since_s: float | None = None
        self._t_s = 0.0

    def fire(self, trigger: Trigger, t_s: float) -> bool:
        """Apply `trigger`; returns True when the state changed."""
        nxt = TRANSITIONS.get((self.state, trigger))
        if nxt is None:
            return False
        self.history.append((t_s, self.state, trigger, nxt))
        log.info("alert state %s -> %s on %s", self.state.value, nxt.value, trigger.value)
        self.state = nxt
        return True

    def thresholds(self) -> tuple[float, float]:
        """(suspicious, camera) confidence thresholds at the current sensitivity."""
        scale = SENSITIVITY_SCALE[self.sensitivity]
        return (
            min(1.0, self._cfg.suspect_confidence * scale),
            min(1.0, self._cfg.camera_confidence * scale),
        )

    def confidence(self) -> float:
        """The fused confidence at the current sensitivity: a lens place held across the view
        on fewer than `lens_passes` passes counts once it reaches the camera level on its
        own."""
        _suspect, camera = self.thresholds()
        return fused_confidence(self.evidence, self._cfg.corroboration_window_s, camera,
                                self._cfg.lens_passes)

    def on_finding(self, finding: LensFinding | RfFinding) -> None:
        """Record a finding and move the machine as the fused confidence says."""
        self.evidence.add(finding)
        self.tick(finding.t_s)

    def tick(self, t_s: float) -> None:
        """Re-evaluate at time `t_s` (debounce runs on event time)."""
        self._t_s = max(self._t_s, t_s)
        suspect, camera = self.thresholds()
        conf = self.confidence()
        if conf >= camera:
            if self._camera_since_s is None:
                self._camera_since_s = self._t_s
            if self._t_s - self._camera_since_s >= self._cfg.debounce_s:
                self.fire(Trigger.CONFIRMED, self._t_s)
            elif self.state is State.SWEEPING:
                self.fire(Trigger.SUSPECT, self._t_s)
        else:
            self._camera_since_s = None
            if conf >= suspect:
                self.fire(Trigger.SUSPECT, self._t_s)

    def verdict(self) -> Verdict:
        """The sweep's answer from everything seen so far."""
        suspect, camera = self.thresholds()
        conf = self.confidence()
        lens_confirmed = any(s is State.ALERT for _t, _a, _tr, s in self.history)
        if conf >= camera and (lens_confirmed or self.evidence.lens):
            return Verdict.CAMERA
        if conf >= suspect:
            return Verdict.SUSPICIOUS
        return Verdict.CLEAR

    def set_sensitivity(self, level: int) -> None:
        if level not in SENSITIVITY_SCALE:
            raise ValueError(f"sensitivity must be 1..5, got {level}")
        self.sensitivity = level
