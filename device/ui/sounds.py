"""Buzzer and vibration patterns as data, and the thread that plays them.

Lens and RF alerts sound different so a user knows which channel fired without looking;
proximity is Geiger-style: the tick rate rises with signal strength. In silent mode the
same rhythm drives the vibration motor instead of the buzzer.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from device.hal.base import Buzzer, PartError, Vibration

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pattern:
    """(tone_hz, duration_s) steps; tone 0 is silence. `repeat` loops until replaced."""

    steps: tuple[tuple[float, float], ...]
    repeat: bool = False


PATTERNS: dict[str, Pattern] = {
    # Two rising chirps: the device is up and sweeping.
    "ready": Pattern(((1800.0, 0.06), (0.0, 0.04), (2400.0, 0.06))),
    # Fast high triple, repeated: a lens was confirmed. The most urgent sound.
    "lens_alert": Pattern(((3000.0, 0.08), (0.0, 0.05)) * 3 + ((0.0, 0.5),), repeat=True),
    # Slow low double, repeated: a new RF emitter (suspicious, not a camera by itself).
    "rf_alert": Pattern(((1200.0, 0.2), (0.0, 0.15), (1200.0, 0.2), (0.0, 1.2)), repeat=True),
    # One long low tone: a part failed.
    "failure": Pattern(((600.0, 0.6),)),
    # One short click: acknowledged / button feedback.
    "click": Pattern(((2000.0, 0.015),)),
}

TICK = (2500.0, 0.012)  # one Geiger tick
GEIGER_MIN_HZ = 1.0  # ticks per second at strength 0+
GEIGER_MAX_HZ = 25.0  # ticks per second at full strength: still countable by ear


def geiger_rate_hz(strength: float) -> float:
    """Tick rate for a proximity strength in 0..1; exponential so small changes are heard."""
    s = min(1.0, max(0.0, strength))
    return float(GEIGER_MIN_HZ * (GEIGER_MAX_HZ / GEIGER_MIN_HZ) ** s)


def geiger_pattern(strength: float) -> Pattern:
    """One tick then the silence that makes the rate of `geiger_rate_hz(strength)`."""
    period = 1.0 / geiger_rate_hz(strength)
    return Pattern((TICK, (0.0, max(0.0, period - TICK[1]))), repeat=True)


class SoundPlayer:
    """Plays one pattern at a time on its own thread; a new pattern replaces the current one."""

    def __init__(
        self, buzzer: Buzzer | None, vibration: Vibration | None, mute: bool, silent: bool
    ) -> None:
        self.buzzer = buzzer
        self.vibration = vibration
        self.mute = mute
        self.silent = silent
        self._pattern: Pattern | None = None
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sounds", daemon=True)
        self._thread.start()

    def play(self, name: str) -> None:
        self._set(PATTERNS[name])

    def geiger(self, strength: float) -> None:
        self._set(geiger_pattern(strength))

    def silence(self) -> None:
        self._set(None)

    def close(self) -> None:
        self._stop.set()
        self._changed.set()
        self._thread.join(1.0)
        self._output(0.0)

    def _set(self, pattern: Pattern | None) -> None:
        with self._lock:
            self._pattern = pattern
        self._changed.set()

    def _output(self, tone_hz: float) -> None:
        try:
            if self.silent:
                if self.vibration is not None:
                    self.vibration.set(tone_hz > 0 and not self.mute)
            elif self.buzzer is not None:
                if tone_hz > 0 and not self.mute:
                    self.buzzer.tone(tone_hz)
                else:
                    self.buzzer.off()
        except (PartError, OSError) as exc:
            log.warning("sound output failed: %s", exc)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._changed.wait()
            self._changed.clear()
            with self._lock:
                pattern = self._pattern
            if pattern is None:
                self._output(0.0)
            while pattern is not None and not self._stop.is_set():
                for tone_hz, dur_s in pattern.steps:
                    self._output(tone_hz)
                    if self._changed.wait(dur_s):
                        break
                else:
                    if pattern.repeat:
                        continue
                    self._output(0.0)
                    with self._lock:
                        if self._pattern is pattern:
                            self._pattern = None
                    break
                break
