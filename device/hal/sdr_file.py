"""Replay an IQ recording (cu8, cs8, cf32 or SigMF) as an SDR.

A recording holds one centre frequency at one rate: tuning elsewhere is refused, gain is
whatever it was recorded with. Blocks come out as cu8 bytes (cu8 files byte for byte) with
times on a virtual timeline: the clock reading at open plus samples read / rate. The last
block may be shorter than asked; the read after it raises EndOfData.
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from device.events import IqBlock
from device.hal.base import EndOfData, PartError
from device.hal.iqfile import IqFileError, IqRecording, open_recording, raw_to_cu8

if TYPE_CHECKING:
    from device.clock import Clock
    from device.hal.registry import BuildContext

log = logging.getLogger(__name__)

_DTYPES: dict[str, np.dtype[Any]] = {
    "cu8": np.dtype(np.uint8),
    "cs8": np.dtype(np.int8),
    "cf32": np.dtype("<f4"),
}
# A tune within this distance of the recording's centre is "the same frequency" (float noise).
TUNE_TOLERANCE_HZ = 1.0


class FileSdr:
    """An SDR that reads a recording from disk."""

    def __init__(
        self,
        recording: IqRecording,
        clock: Clock,
        rate_sps: float,
        center_hz: float,
        gain_db: float,
    ) -> None:
        self._rec = recording
        self._clock = clock
        self._rate_sps = float(rate_sps)
        self._center_hz = float(center_hz)
        self._gain_db = float(gain_db)
        self._lock = threading.Lock()
        self._t0_s = clock.now()
        self._pos = 0
        self._fh: io.BufferedReader | None = recording.data_path.open("rb")

    @classmethod
    def open(
        cls,
        path: Path | str,
        clock: Clock,
        fmt: str = "",
        center_hz: float | None = None,
        rate_sps: float | None = None,
        gain_db: float = 0.0,
    ) -> FileSdr:
        """Open a recording; centre and rate default to what the file says about itself."""
        try:
            rec = open_recording(path, fmt)
        except IqFileError as exc:
            raise PartError("sdr", f"cannot replay {exc.path}: {exc.problem}", exc.fix) from exc
        center = center_hz or rec.center_hz
        rate = rec.rate_sps or rate_sps
        if not center:
            raise PartError(
                "sdr",
                f"the centre frequency of {path} is unknown",
                "name the file rtl_433-style (e.g. g001_433.92M_250k.cu8), use SigMF, "
                "or set sdr.file_center_hz",
            )
        if not rate:
            raise PartError(
                "sdr",
                f"the sample rate of {path} is unknown",
                "name the file rtl_433-style (e.g. g001_433.92M_250k.cu8), use SigMF, "
                "or give the rate",
            )
        return cls(rec, clock, rate, center, gain_db)

    @classmethod
    def from_config(cls, ctx: BuildContext) -> FileSdr:
        cfg = ctx.config.sdr
        if not cfg.file_path:
            raise PartError(
                "sdr",
                'hal.sdr = "file" needs a recording to replay',
                "set sdr.file_path to a .cu8/.cs8/.cf32 file or a .sigmf-meta",
            )
        path = Path(cfg.file_path).expanduser()
        sdr = cls.open(
            path, ctx.clock, cfg.file_format, cfg.file_center_hz or None, cfg.rate_sps, cfg.gain_db
        )
        if sdr.recording.rate_sps is None:
            log.warning(
                "%s does not say its sample rate; assuming sdr.rate_sps = %d S/s "
                "(name it rtl_433-style, e.g. x_433.92M_250k.cu8, to be sure)",
                path,
                cfg.rate_sps,
            )
        return sdr

    @property
    def recording(self) -> IqRecording:
        return self._rec

    @property
    def rate_sps(self) -> float:
        return self._rate_sps

    @property
    def center_hz(self) -> float:
        return self._center_hz

    @property
    def gain_db(self) -> float:
        return self._gain_db

    def tune(self, center_hz: float) -> None:
        if abs(center_hz - self._center_hz) > TUNE_TOLERANCE_HZ:
            raise PartError(
                "sdr",
                f"cannot tune a recording to {center_hz / 1e6:.6f} MHz: "
                f"{self._rec.data_path.name} holds only {self._center_hz / 1e6:.6f} MHz",
                "a recording replays the one centre frequency it was made at; use the "
                "rtlsdr or sim backend to sweep, or analyse this band only",
            )

    def set_gain(self, gain_db: float) -> None:
        log.debug("gain %.1f dB ignored: a recording keeps the gain it was made with", gain_db)

    def gains_db(self) -> list[float]:
        return [self._gain_db]

    def read(self, n_samples: int) -> IqBlock:
        if n_samples <= 0:
            raise ValueError("n_samples must be > 0")
        with self._lock:
            if self._fh is None:
                raise PartError("sdr", "the recording was closed", "open it again")
            start = self._pos
            count = min(n_samples, self._rec.n_samples - start)
            if count <= 0:
                raise EndOfData(f"end of {self._rec.data_path.name} after {start} samples")
            raw = np.empty(2 * count, dtype=_DTYPES[self._rec.encoding])
            got = self._fh.readinto(raw.view(np.uint8).data)
            if got != raw.nbytes:  # the file shrank under us
                raise PartError(
                    "sdr",
                    f"{self._rec.data_path} ended early, before sample {start + count}",
                    "the recording changed while being replayed: copy it and replay the copy",
                )
            self._pos = start + count
        return IqBlock(
            center_hz=self._center_hz,
            rate_sps=self._rate_sps,
            t_start_s=self._t0_s + start / self._rate_sps,
            data=raw_to_cu8(raw, self._rec.encoding),
            gain_db=self._gain_db,
        )

    def describe(self) -> str:
        rec = self._rec
        return (
            f"recording {rec.data_path.name} ({rec.fmt}, {self._center_hz / 1e6:.3f} MHz, "
            f"{self._rate_sps / 1e3:g} kS/s, {rec.n_samples} samples)"
        )

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> FileSdr:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
