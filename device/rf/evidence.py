"""Evidence for an RF finding: a short SigMF recording with the LO just off the emitter."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from device.events import IqBlock
from device.hal.base import Sdr
from device.rf.emitters import Emitter

log = logging.getLogger(__name__)


def evidence_lo_hz(emitter: Emitter, rate_sps: float, offset_hz: float) -> float:
    """Where to tune: `offset_hz` above the emitter, less when it is too wide to fit."""
    room = max(0.0, rate_sps / 2.0 - emitter.bandwidth_hz / 2.0) * 0.8
    return emitter.center_hz + min(offset_hz, room)


def capture(
    sdr: Sdr, emitter: Emitter, seconds: float, settle_samples: int, offset_hz: float
) -> IqBlock:
    """Tune next to the emitter and read `seconds` of samples (settle samples dropped)."""
    lo = evidence_lo_hz(emitter, sdr.rate_sps, offset_hz)
    sdr.tune(lo)
    n = max(1, int(seconds * sdr.rate_sps))
    block = sdr.read(settle_samples + n)
    keep = block.data[2 * settle_samples :]
    return IqBlock(
        block.center_hz, block.rate_sps, block.t_start_s + settle_samples / block.rate_sps,
        keep, block.gain_db, block.dropped + 2 * settle_samples,
    )


def write(directory: Path, emitter: Emitter, block: IqBlock, novelty: str) -> str:
    """Write `block` as SigMF under `directory`; returns the .sigmf-meta path ("" on failure)."""
    from device.hal.iqfile import write_sigmf

    name = _slug(f"rf_{block.t_start_s:010.3f}s_{emitter.center_hz / 1e6:.4f}MHz")
    description = (
        f"camsweep RF finding ({novelty}): {emitter.label}, centre {emitter.center_hz:.0f} Hz, "
        f"bandwidth {emitter.bandwidth_hz:.0f} Hz, peak SNR {emitter.snr_db:.1f} dB, "
        f"{emitter.kind}; recorded with the LO {block.center_hz - emitter.center_hz:+.0f} Hz "
        f"from the emitter at {block.gain_db:g} dB gain"
    )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        meta, _data = write_sigmf(
            directory / name, block.data, block.rate_sps, block.center_hz, description
        )
    except OSError as exc:
        log.warning("could not write RF evidence to %s: %s", directory, exc)
        return ""
    return str(meta)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)
