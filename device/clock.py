"""Injected clocks: the real monotonic clock on the device, virtual clocks in the sim."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Seconds since an arbitrary origin, and a stop-aware wait."""

    def now(self) -> float: ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait `seconds` or until `stop` is set; True when stopped."""
        ...


class MonotonicClock:
    """The machine's monotonic clock; waits are real and wake early on stop."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(max(0.0, seconds))


class VirtualClock:
    """A clock that moves only when told to: a 2-minute sweep runs as fast as the CPU allows.

    `wait` advances the clock instead of sleeping. Thread-safe; each sim device owns one so
    its timeline does not depend on how threads are scheduled.
    """

    def __init__(self, start_s: float = 0.0) -> None:
        self._t = start_s
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a virtual clock cannot go backwards")
        with self._lock:
            self._t += seconds
            return self._t

    def set(self, t_s: float) -> None:
        with self._lock:
            if t_s < self._t:
                raise ValueError("a virtual clock cannot go backwards")
            self._t = t_s

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        if stop.is_set():
            return True
        self.advance(max(0.0, seconds))
        return stop.is_set()
