"""Ring/frame synchronisation: tag each frame ON or OFF from the ring's transition log.

A frame is usable only when the ring held one state for its whole exposure (plus a guard for
the LEDs' switching time and clock jitter); a frame whose exposure straddles a transition is
dropped. Clean frames of opposite states that follow each other form the ON/OFF pairs the
glint detector differences.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from device.events import Frame
from device.hal.base import IrRing

log = logging.getLogger(__name__)


def ring_state_during(transitions: Sequence[tuple[float, bool]], t_start_s: float,
                      t_end_s: float, initial: bool, guard_s: float = 0.0) -> bool | None:
    """The ring state held over [t_start_s, t_end_s], or None if it changed in that window.

    `transitions` are (t_s, on) oldest first; `initial` is the state before the first one.
    A transition within `guard_s` of either end also counts as a change.
    """
    times = [t for t, _ in transitions]
    lo = t_start_s - guard_s
    hi = t_end_s + guard_s
    i = bisect.bisect_right(times, lo)
    j = bisect.bisect_left(times, hi)
    state = transitions[i - 1][1] if i > 0 else initial
    # Only a transition that changes the state matters (a repeated set() logs nothing new).
    for _, on in transitions[i:j]:
        if on != state:
            return None
    return state


class RingSync:
    """Keeps the ring's recent transition log and tags frames against it."""

    def __init__(self, ring: IrRing, guard_s: float, keep_s: float = 2.0) -> None:
        self.ring = ring
        self.guard_s = guard_s
        self.keep_s = keep_s
        self._log: list[tuple[float, bool]] = []
        self._initial = ring.is_on
        self.dropped = 0
        self.disagreements = 0

    def _refresh(self) -> None:
        since = self._log[-1][0] if self._log else 0.0
        fresh = self.ring.transitions(since)
        if self._log and (not fresh or fresh[0] != self._log[-1]):
            # Our newest entry is gone from the ring's log: it was a planned switch that a
            # direct set() cancelled before it happened. Read the whole window again.
            self._log = list(self.ring.transitions(self._log[0][0]))
            return
        for t, on in fresh:
            if self._log and (t < self._log[-1][0] or (t, on) == self._log[-1]):
                continue  # `transitions` includes entries at `since`, already logged
            self._log.append((t, on))

    def _prune(self, before_s: float) -> None:
        # Keep the last transition before the window: it tells the state at its start.
        times = [t for t, _ in self._log]
        k = bisect.bisect_left(times, before_s) - 1
        if k > 0:
            self._initial = self._log[k - 1][1]
            del self._log[:k]

    def tag(self, frame: Frame) -> bool | None:
        """True/False when the whole exposure saw one ring state, None when it must be dropped."""
        self._refresh()
        state = ring_state_during(self._log, frame.t_start_s, frame.t_end_s, self._initial,
                                  self.guard_s)
        if state is not None and frame.ring_on is not None and frame.ring_on != state:
            # The camera saw something else than the log says: trust neither.
            self.disagreements += 1
            log.debug("frame %d: camera says ring_on=%s, log says %s", frame.index,
                      frame.ring_on, state)
            state = None
        if state is None:
            self.dropped += 1
        self._prune(frame.t_start_s - self.keep_s)
        return state


@dataclass(frozen=True)
class Pair:
    """Two clean frames of opposite ring states taken one after the other."""

    on: Frame
    off: Frame

    @property
    def t_s(self) -> float:
        """Time of the ON exposure's middle: when the glint was seen."""
        return self.on.t_start_s + self.on.exposure_s / 2

    @property
    def on_is_later(self) -> bool:
        return self.on.t_start_s > self.off.t_start_s


class PairBuilder:
    """Turns a stream of tagged clean frames into ON/OFF pairs of neighbours."""

    def __init__(self, max_gap_s: float) -> None:
        self.max_gap_s = max_gap_s
        self._last: tuple[Frame, bool] | None = None

    def push(self, frame: Frame, ring_on: bool) -> Pair | None:
        """Add a clean frame; return a pair when it and the previous clean frame differ in state."""
        last = self._last
        self._last = (frame, ring_on)
        if last is None or last[1] == ring_on:
            return None
        if frame.t_start_s - last[0].t_end_s > self.max_gap_s:
            return None  # too far apart: the hand has moved too much to difference them
        return Pair(on=frame, off=last[0]) if ring_on else Pair(on=last[0], off=frame)

    def reset(self) -> None:
        self._last = None
