"""Value objects passed between the hardware layer, the workers, fusion, UI and records.

Times are seconds on the device clock (`t_s`), the same clock the IR ring and camera use, so
that ring transitions and exposures compare directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Frame:
    """One grey-level camera frame (8-bit, H x W) and when it was exposed."""

    index: int
    t_start_s: float
    exposure_s: float
    pixels: Gray
    # What the camera knows of the ring during the exposure: True/False when it was
    # constant, None when the backend cannot tell (the vision sync decides from its log).
    ring_on: bool | None = None

    @property
    def t_end_s(self) -> float:
        return self.t_start_s + self.exposure_s


@dataclass(frozen=True)
class IqBlock:
    """Raw interleaved uint8 IQ read after tuning; `dropped` counts settle bytes discarded."""

    center_hz: float
    rate_sps: float
    t_start_s: float
    data: npt.NDArray[np.uint8]
    gain_db: float
    dropped: int = 0

    @property
    def n_samples(self) -> int:
        return int(self.data.size // 2)


@dataclass(frozen=True)
class GlintCandidate:
    """A spot bright with the ring ON and absent with it OFF, in one frame pair."""

    t_s: float
    x: float
    y: float
    radius_px: float
    peak: float
    area_px: int
    score: float = 0.0  # classifier's lens probability, 0..1
    label: Literal["lens", "other"] = "other"


@dataclass(frozen=True)
class LensFinding:
    """A glint confirmed over several ring cycles as a probable camera lens."""

    t_s: float
    track_id: int
    x: float
    y: float
    bearing_deg: tuple[float, float]  # (azimuth, elevation) relative to the device axis
    confidence: float  # 0..1, of a lens at this place (all its passes)
    cycles: int
    crop: Gray | None = field(default=None, compare=False, repr=False)
    passes: int = 1  # separate passes that confirmed a lens at this place
    held_passes: int = 0  # of them, passes whose glint held from entering the view to leaving it


@dataclass(frozen=True)
class Spectrum:
    """Power spectral density stitched over a band plan: one value per bin, dBFS/bin."""

    t_s: float
    freqs_hz: npt.NDArray[np.float64]
    power_dbfs: npt.NDArray[np.float64]
    plan: str = ""


def emitter_key(center_hz: float) -> int:
    """One key per emitter: findings within the same 100 kHz are the same transmitter."""
    return round(center_hz / 1e5)


@dataclass(frozen=True)
class RfFinding:
    """An emitter the RF channel considers new in this room (never a camera by itself)."""

    t_s: float
    center_hz: float
    bandwidth_hz: float
    peak_dbfs: float
    snr_db: float
    label: str
    kind: Literal["continuous", "burst"]
    confidence: float  # 0..1
    novelty: Literal["new", "stronger", "growing"] = "new"
    evidence_path: str = ""


class Verdict(StrEnum):
    CLEAR = "clear"
    SUSPICIOUS = "suspicious"
    CAMERA = "camera"


@dataclass(frozen=True)
class PartStatus:
    """Health of one hardware part as the UI and the log report it."""

    part: str
    ok: bool
    message: str = ""
    fix: str = ""


@dataclass(frozen=True)
class ProximityReading:
    """One power reading on the emitter proximity mode tracks (at least 10 per second)."""

    t_s: float
    center_hz: float
    power_dbfs: float  # in-band power at the current gain
    peak_hold_dbfs: float  # strongest reading since tracking began, at the current gain
    strength: float  # 0..1 for the OLED bar and the buzzer rate; gain steps do not move it
    clipped: bool  # the ADC clipped in this block (the gain is being stepped down)
    gain_db: float
