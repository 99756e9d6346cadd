"""OLED screens as pure drawing functions over a `UiState` (128x64, 1-bit).

The font is Pillow's built-in bitmap font (6x11 px cells), the same on every machine, so the
golden-image tests compare pixel for pixel.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from device.events import PartStatus

FONT = ImageFont.load_default_imagefont()
LINE_PX = 10
CHARS = 21  # 128 px / 6 px per character
WHITE = 1
BLACK = 0


@dataclass
class UiState:
    """Everything the screens show; the daemon updates it, the renderer only reads it."""

    version: str = ""
    mode: str = "sweep"  # sweep | lens | rf | proximity
    alert_state: str = "boot"
    verdict: str = "clear"
    sensitivity: int = 3
    muted: bool = False
    silent: bool = False
    parts: list[PartStatus] = field(default_factory=list)
    baseline_progress: float = 0.0  # 0..1
    lens_candidates: int = 0
    lens_findings: int = 0
    lens_xy: tuple[float, float] | None = None  # normalised 0..1 position of the best glint
    lens_confidence: float = 0.0
    lens_passes: int = 0  # separate passes that confirmed the best glint's place
    rf_label: str = ""
    rf_freq_hz: float = 0.0
    rf_new: int = 0
    lens_time_s: float = 0.0
    rf_sweeps: int = 0
    spectrum: tuple[tuple[float, float], ...] = ()  # (freq_hz, power_dbfs), decimated
    spectrum_marks: tuple[float, ...] = ()  # freq_hz of new emitters
    prox_freq_hz: float = 0.0
    prox_strength: float = 0.0  # 0..1
    prox_peak: float = 0.0  # 0..1
    prox_gain_db: float = 0.0
    prox_clipped: bool = False
    failure: PartStatus | None = None
    rooms: tuple[str, ...] = ()
    room: str = ""
    checklist: tuple[str, ...] = ()
    ticked: frozenset[str] = frozenset()
    checklist_index: int = 0


def _y(row: int) -> int:
    """Top of text row 0..5; rows below the header start 2 px lower to clear its rule."""
    return 0 if row == 0 else 2 + row * LINE_PX


def _text(d: ImageDraw.ImageDraw, row: int, text: str, x: int = 0, fill: int = WHITE) -> None:
    d.text((x, _y(row)), text[:CHARS], font=FONT, fill=fill)


def _bar(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], frac: float) -> None:
    x0, y0, x1, y1 = box
    d.rectangle(box, outline=WHITE, fill=BLACK)
    w = round((x1 - x0 - 2) * min(1.0, max(0.0, frac)))
    if w > 0:
        d.rectangle((x0 + 1, y0 + 1, x0 + w, y1 - 1), fill=WHITE)


def _header(d: ImageDraw.ImageDraw, s: UiState, title: str) -> None:
    flags = ("M" if s.muted else "") + ("V" if s.silent else "")
    _text(d, 0, f"{title:<12}S{s.sensitivity} {flags}")
    d.line((0, LINE_PX + 1, 127, LINE_PX + 1), fill=WHITE)


def boot(d: ImageDraw.ImageDraw, s: UiState) -> None:
    _text(d, 0, f"camsweep {s.version}")
    _text(d, 1, "self-test")
    for i, p in enumerate(s.parts[:4]):
        _text(d, 2 + i, f"{p.part:<10}{'ok' if p.ok else 'FAIL'}")


def baseline(d: ImageDraw.ImageDraw, s: UiState) -> None:
    _header(d, s, "BASELINE")
    _text(d, 2, "learning room RF")
    _text(d, 3, "stand at the door")
    _bar(d, (0, 46, 127, 56), s.baseline_progress)


def sweep(d: ImageDraw.ImageDraw, s: UiState) -> None:
    _header(d, s, "SWEEP")
    if s.lens_findings and s.verdict == "clear":  # not held on two passes: no alert yet
        _text(d, 1, f"lens seen {s.lens_passes}x: recheck")
    else:
        _text(d, 1, f"lens {s.lens_findings} found {s.lens_candidates} glint")
    if s.rf_new:
        _text(d, 2, f"RF {s.rf_freq_hz / 1e6:.1f}MHz new:{s.rf_new}")
        _text(d, 3, f" {s.rf_label}")
    else:
        _text(d, 2, "RF no new emitters")
    _text(d, 4, f"scan {s.lens_time_s:4.0f}s rf {s.rf_sweeps} swp")
    _text(d, 5, "RF blind 2.4/5.8GHz")


def lens(d: ImageDraw.ImageDraw, s: UiState) -> None:
    box = (0, 0, 84, 63)  # 4:3 view of the camera frame
    d.rectangle(box, outline=WHITE)
    if s.lens_xy is not None:
        x = round(1 + s.lens_xy[0] * 82)
        y = round(1 + s.lens_xy[1] * 61)
        d.line((x - 6, y, x - 2, y), fill=WHITE)
        d.line((x + 2, y, x + 6, y), fill=WHITE)
        d.line((x, y - 6, x, y - 2), fill=WHITE)
        d.line((x, y + 2, x, y + 6), fill=WHITE)
        d.rectangle((x - 1, y - 1, x + 1, y + 1), outline=WHITE)
    d.text((88, 0), "LENS", font=FONT, fill=WHITE)
    d.text((88, 12), f"{s.lens_findings} fnd", font=FONT, fill=WHITE)
    d.text((88, 24), f"{s.lens_passes} pass", font=FONT, fill=WHITE)
    d.text((88, 36), f"{int(s.lens_confidence * 100):3d}%", font=FONT, fill=WHITE)
    d.text((88, 48), f"S{s.sensitivity}", font=FONT, fill=WHITE)


def spectrum(d: ImageDraw.ImageDraw, s: UiState) -> None:
    _header(d, s, "RF")
    top, bottom = 14, 50
    if s.spectrum:
        freqs = np.array([f for f, _ in s.spectrum])
        power = np.array([p for _, p in s.spectrum])
        lo_f, hi_f = float(freqs.min()), float(freqs.max())
        lo_p, hi_p = float(power.min()), float(max(power.max(), power.min() + 1.0))
        xs = np.clip(((freqs - lo_f) / max(hi_f - lo_f, 1.0) * 127).astype(int), 0, 127)
        ys = bottom - ((power - lo_p) / (hi_p - lo_p) * (bottom - top)).astype(int)
        for x in range(128):
            sel = ys[xs == x]
            if sel.size:
                d.line((x, bottom, x, int(sel.min())), fill=WHITE)
        for f in s.spectrum_marks:
            x = round((f - lo_f) / max(hi_f - lo_f, 1.0) * 127)
            d.polygon([(x - 2, top - 1), (x + 2, top - 1), (x, top + 2)], fill=WHITE)
        _text(d, 5, f"{lo_f / 1e6:.0f}-{hi_f / 1e6:.0f}MHz no 2.4G")
    else:
        _text(d, 2, "first sweep running")
        _text(d, 5, "RF blind 2.4/5.8GHz")


def proximity(d: ImageDraw.ImageDraw, s: UiState) -> None:
    _header(d, s, "PROXIMITY")
    _text(d, 1, f"{s.prox_freq_hz / 1e6:.2f} MHz")
    _bar(d, (0, 24, 127, 44), s.prox_strength)
    peak_x = round(1 + min(1.0, max(0.0, s.prox_peak)) * 125)
    d.line((peak_x, 22, peak_x, 46), fill=WHITE)
    clip = " CLIP" if s.prox_clipped else ""
    _text(d, 5, f"gain {s.prox_gain_db:.0f}dB{clip}")


def alert(d: ImageDraw.ImageDraw, s: UiState) -> None:
    d.rectangle((0, 0, 127, 63), fill=WHITE)
    title = "CAMERA LENS" if s.verdict == "camera" else "SUSPICIOUS"
    _text(d, 0, f"!! {title}", fill=BLACK)
    if s.lens_findings:
        _text(d, 1, f"lens {int(s.lens_confidence * 100)}% - look", fill=BLACK)
        _text(d, 2, "at the crosshair", fill=BLACK)
    if s.rf_new:
        _text(d, 3, f"RF {s.rf_freq_hz / 1e6:.1f}MHz", fill=BLACK)
        _text(d, 4, f"{s.rf_label}", fill=BLACK)
    _text(d, 5, "ACK: press button 2", fill=BLACK)


def failure(d: ImageDraw.ImageDraw, s: UiState) -> None:
    p = s.failure
    if p is None:
        return
    _text(d, 0, f"PROBLEM: {p.part}")
    d.line((0, LINE_PX + 1, 127, LINE_PX + 1), fill=WHITE)
    lines = textwrap.wrap(p.message, CHARS)[:2] + textwrap.wrap(p.fix, CHARS)[:3]
    for i, line in enumerate(lines[:5]):
        _text(d, 1 + i, line)


def room(d: ImageDraw.ImageDraw, s: UiState) -> None:
    _header(d, s, "ROOM")
    if not s.rooms:
        _text(d, 2, "no room list:")
        _text(d, 3, "set records.rooms")
        return
    i = s.rooms.index(s.room) if s.room in s.rooms else 0
    for row, offset in enumerate((-1, 0, 1, 2), start=1):
        name = s.rooms[(i + offset) % len(s.rooms)] if len(s.rooms) > abs(offset) else ""
        if offset == 0:
            d.rectangle((0, _y(row) - 1, 127, _y(row) + LINE_PX - 1), fill=WHITE)
            _text(d, row, f"> {name}", fill=BLACK)
        elif name:
            _text(d, row, f"  {name}")
    _text(d, 5, "ACK: next room")


def checklist(d: ImageDraw.ImageDraw, s: UiState) -> None:
    done = sum(1 for item in s.checklist if item in s.ticked)
    _header(d, s, f"CHECK {done}/{len(s.checklist)}")
    if not s.checklist:
        return
    first = max(0, min(s.checklist_index - 1, len(s.checklist) - 4))
    for row, item in enumerate(s.checklist[first : first + 4], start=1):
        mark = "[x]" if item in s.ticked else "[ ]"
        index = first + row - 1
        if index == s.checklist_index:
            d.rectangle((0, _y(row) - 1, 127, _y(row) + LINE_PX - 1), fill=WHITE)
            _text(d, row, f"{mark} {item}", fill=BLACK)
        else:
            _text(d, row, f"{mark} {item}")
    _text(d, 5, "ACK: tick, next")


SCREENS: dict[str, Callable[[ImageDraw.ImageDraw, UiState], None]] = {
    "boot": boot,
    "baseline": baseline,
    "sweep": sweep,
    "lens": lens,
    "rf": spectrum,
    "proximity": proximity,
    "alert": alert,
    "failure": failure,
    "room": room,
    "checklist": checklist,
}


def choose(s: UiState) -> str:
    """Which screen the state calls for: alerts and failures come before the mode's screen."""
    if s.alert_state == "boot":
        return "boot"
    if s.alert_state == "alert":
        return "alert"
    if s.failure is not None:
        return "failure"
    if s.alert_state == "baseline" and s.mode in ("sweep", "rf"):
        return "baseline"
    return s.mode


def render(s: UiState, size: tuple[int, int] = (128, 64), screen: str | None = None) -> Image.Image:
    """Draw the screen for `s` (or the named one) into a new 1-bit image."""
    image = Image.new("1", size, BLACK)
    SCREENS[screen or choose(s)](ImageDraw.Draw(image), s)
    return image
