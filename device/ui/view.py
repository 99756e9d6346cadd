"""The UI controller: folds daemon events into a `UiState`, draws it, handles the buttons."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np
from PIL import Image

from device import events as ev
from device.hal.base import ButtonName, Display, PartError, PressKind
from device.ui import screens
from device.ui.sounds import SoundPlayer

log = logging.getLogger(__name__)

MODES = ("sweep", "lens", "rf", "proximity", "checklist", "room")
SPECTRUM_POINTS = 256  # decimate spectra to this many points for the OLED


class View:
    """Owns the UiState; the daemon calls `apply(event)`, buttons call `on_button`."""

    def __init__(
        self,
        display: Display | None,
        sounds: SoundPlayer,
        state: screens.UiState,
        frame_size: tuple[int, int],
        on_mode: Callable[[str], None] | None = None,
        on_sensitivity: Callable[[int], None] | None = None,
        on_ack: Callable[[], None] | None = None,
        on_room: Callable[[str], None] | None = None,
        on_checklist: Callable[[dict[str, bool]], None] | None = None,
    ) -> None:
        self.display = display
        self.sounds = sounds
        self.state = state
        self._frame_w, self._frame_h = frame_size
        self._on_mode = on_mode
        self._on_sensitivity = on_sensitivity
        self._on_ack = on_ack
        self._on_room = on_room
        self._on_checklist = on_checklist
        self._lock = threading.Lock()
        self.frames: list[Image.Image] = []  # rendered images, kept when record_frames
        self.record_frames = False
        self._tracks: set[int] = set()  # lens tracks confirmed so far

    def apply(self, event: object) -> None:
        """Fold one daemon event into the state."""
        s = self.state
        with self._lock:
            if isinstance(event, ev.GlintCandidate):
                s.lens_candidates += 1
            elif isinstance(event, ev.LensFinding):
                self._tracks.add(event.track_id)
                s.lens_findings = len(self._tracks)
                if event.confidence >= s.lens_confidence:
                    s.lens_confidence = event.confidence
                    s.lens_passes = event.passes
                    s.lens_xy = (event.x / self._frame_w, event.y / self._frame_h)
            elif isinstance(event, ev.RfFinding):
                s.rf_new += 1
                s.rf_freq_hz = event.center_hz
                s.rf_label = event.label
                s.spectrum_marks = (*s.spectrum_marks, event.center_hz)
            elif isinstance(event, ev.Spectrum):
                s.rf_sweeps += 1
                s.spectrum = decimate(event.freqs_hz, event.power_dbfs, SPECTRUM_POINTS)
            elif isinstance(event, ev.PartStatus):
                self._part(event)
            else:
                self._proximity(event)

    def _part(self, status: ev.PartStatus) -> None:
        s = self.state
        s.parts = [p for p in s.parts if p.part != status.part] + [status]
        if not status.ok:
            s.failure = status
            self.sounds.play("failure")
        elif s.failure is not None and s.failure.part == status.part:
            s.failure = None

    def _proximity(self, event: object) -> None:
        strength = getattr(event, "strength", None)
        if strength is None:
            return
        s = self.state
        s.prox_freq_hz = float(getattr(event, "center_hz", 0.0))
        s.prox_strength = float(strength)
        s.prox_peak = max(s.prox_peak, s.prox_strength)
        s.prox_gain_db = float(getattr(event, "gain_db", 0.0))
        s.prox_clipped = bool(getattr(event, "clipped", False))
        if s.mode == "proximity":
            self.sounds.geiger(s.prox_strength)

    def on_button(self, button: ButtonName, press: PressKind) -> None:
        """Mode: short = next screen, long = sensitivity. Ack: short = acknowledge (or next
        room / tick the checklist item on those screens), long = mute."""
        with self._lock:
            s = self.state
            if button == "mode" and press == "short":
                s.mode = MODES[(MODES.index(s.mode) + 1) % len(MODES)]
                s.prox_peak = 0.0
                if s.mode != "proximity":
                    self.sounds.silence()
                if self._on_mode:
                    self._on_mode(s.mode)
            elif button == "mode":
                s.sensitivity = s.sensitivity % 5 + 1
                if self._on_sensitivity:
                    self._on_sensitivity(s.sensitivity)
            elif press == "short" and s.mode == "room" and s.rooms:
                i = s.rooms.index(s.room) if s.room in s.rooms else -1
                s.room = s.rooms[(i + 1) % len(s.rooms)]
                if self._on_room:
                    self._on_room(s.room)
            elif press == "short" and s.mode == "checklist" and s.checklist:
                item = s.checklist[s.checklist_index]
                s.ticked = s.ticked ^ {item}
                s.checklist_index = (s.checklist_index + 1) % len(s.checklist)
                if self._on_checklist:
                    self._on_checklist({i: i in s.ticked for i in s.checklist})
            elif press == "short":
                if s.failure is not None:
                    s.failure = None  # dismiss; the part keeps being retried
                self.sounds.silence()
                if self._on_ack:
                    self._on_ack()
            else:
                s.muted = not s.muted
                self.sounds.mute = s.muted
                if s.muted:
                    self.sounds.silence()
        self.sounds.play("click")

    def render(self) -> Image.Image:
        """Draw the current screen, send it to the display (if any) and return it."""
        with self._lock:
            image = screens.render(self.state)
        if self.record_frames:
            self.frames.append(image)
        if self.display is not None:
            try:
                self.display.show(image)
            except (PartError, OSError) as exc:
                log.warning("display update failed: %s", exc)
                self.display = None
                self.apply(ev.PartStatus("display", False, str(exc), "check the OLED wiring"))
        return image


def decimate(
    freqs_hz: np.ndarray, power_dbfs: np.ndarray, points: int
) -> tuple[tuple[float, float], ...]:
    """Max-hold decimation of a spectrum to about `points` (freq, power) pairs."""
    n = len(freqs_hz)
    if n == 0:
        return ()
    step = max(1, int(np.ceil(n / points)))
    usable = (n // step) * step
    if usable == 0:
        return tuple(zip(freqs_hz.tolist(), power_dbfs.tolist(), strict=True))
    f = freqs_hz[:usable].reshape(-1, step).mean(axis=1)
    p = power_dbfs[:usable].reshape(-1, step).max(axis=1)
    return tuple(zip(f.tolist(), p.tolist(), strict=True))
