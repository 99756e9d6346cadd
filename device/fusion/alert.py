"""The alert state machine: evidence from both channels in, one alert level out.

States and moves are an explicit table so that every transition is visible and tested.
Time comes from the events (device clock), never from the wall, so a simulated sweep and a
real one behave the same.
"""

from __future__ import annotations

import logging
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


@dataclass
class Evidence:
    """Best evidence so far per channel, keyed by track id / emitter centre."""

    lens: dict[int, LensFinding] = field(default_factory=dict)
    rf: dict[int, RfFinding] = field(default_factory=dict)


def fused_confidence(evidence: Evidence) -> float:
    """Combine both channels into one confidence in 0..1 (see the module constants)."""
    lens = max((f.confidence for f in evidence.lens.values()), default=0.0)
    rf = max((f.confidence for f in evidence.rf.values()), default=0.0)
    growing = any(f.novelty == "growing" for f in evidence.rf.values())
    if lens > 0 and growing:
        return min(1.0, lens + RF_CORROBORATION_BONUS)
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

    def on_finding(self, finding: LensFinding | RfFinding) -> None:
        """Record a finding and move the machine as the fused confidence says."""
        if isinstance(finding, LensFinding):
            old = self.evidence.lens.get(finding.track_id)
            if old is None or finding.confidence >= old.confidence:
                self.evidence.lens[finding.track_id] = finding
        else:
            key = emitter_key(finding.center_hz)
            old_rf = self.evidence.rf.get(key)
            if old_rf is None or finding.confidence >= old_rf.confidence:
                self.evidence.rf[key] = finding
        self.tick(finding.t_s)

    def tick(self, t_s: float) -> None:
        """Re-evaluate at time `t_s` (debounce runs on event time)."""
        self._t_s = max(self._t_s, t_s)
        suspect, camera = self.thresholds()
        conf = fused_confidence(self.evidence)
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
        conf = fused_confidence(self.evidence)
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
