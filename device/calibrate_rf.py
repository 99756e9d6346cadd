"""`camsweep calibrate rf`: what the device itself radiates into its own antenna.

The configured band plan is swept twice with the RF channel's own sweep, floor and detector
(device.rf.worker): once while the IR ring switches at the camera's pace, once with it off.
What stands above the learned floor is listed; the difference between the two sweeps, per
hop of the floor and over every signal found, is what the ring's switching adds.
"""

from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from device.config import Config
from device.hal.base import IrRing, Sdr
from device.records.store import now_iso
from device.rf.emitters import Emitter
from device.rf.psd import to_db
from device.rf.worker import RfWorker

RING_ADDS_LIMIT_DB = 3.0  # more than this anywhere = ring wiring radiating into the antenna
# What the receiver hears besides the device itself, per SDR backend.
SETUP_NOTE = {"sim": "virtual room, no terminator", "file": "recording"}
TERMINATOR_NOTE = "terminator fitted"


class RingSwitcher:
    """Toggles the ring at the camera's frame pace in a thread while the SDR sweeps.

    A thread, not the sweep loop: the switching edges must fall during the SDR's reads.
    """

    def __init__(self, ring: IrRing, period_s: float) -> None:
        self._ring = ring
        self._period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ring-switch", daemon=True)

    def __enter__(self) -> RingSwitcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._ring.set(False)

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            self._ring.set(not self._ring.is_on)


def sweep_once(sdr: Sdr, cfg: Config) -> RfWorker:
    """One sweep of the band plan by a fresh RF worker (its floor learned from that sweep)."""
    worker = RfWorker(sdr, cfg, lambda _event: None)
    while worker.sweeps_done < 1:
        worker.step()
    return worker


def _signal(em: Emitter) -> dict[str, Any]:
    return {
        "freq_hz": round(em.center_hz, 1),
        "bandwidth_hz": round(em.bandwidth_hz, 1),
        "snr_db": round(em.snr_db, 2),
        "peak_dbfs": round(em.peak_dbfs, 2),
        "kind": em.kind,
        "label": em.label,
    }


@dataclass(frozen=True)
class RfSelfReport:
    """Both sweeps reduced to what the user needs: floor, signals, what the ring adds."""

    plan_name: str
    gain_db: float
    floor_dbfs: float  # median noise over the sampled band (per-bin floor x bins / ENBW)
    setup: str
    switching: tuple[Emitter, ...]
    ring_off: tuple[Emitter, ...]
    adds_db: float
    adds_at_hz: float
    hops_hz: tuple[float, ...]
    hop_floor_switching_dbfs: tuple[float, ...]
    hop_floor_off_dbfs: tuple[float, ...]

    @property
    def ok(self) -> bool:
        return self.adds_db <= RING_ADDS_LIMIT_DB

    def lines(self) -> list[str]:
        gain = "AGC" if self.gain_db < 0 else f"{self.gain_db:g} dB"
        out = [
            f'band plan "{self.plan_name}": noise floor {self.floor_dbfs:.1f} dBFS median '
            f"at gain {gain}",
            f"self-generated signals ({self.setup}): {len(self.switching)}",
        ]
        out += [f"{em.center_hz / 1e6:10.3f} MHz {em.snr_db:+6.1f} dB" for em in self.switching]
        if self.ok:
            out.append(f"ring switching adds at most {self.adds_db:+.1f} dB: ok")
        else:
            out.append(
                f"ring switching adds up to {self.adds_db:+.1f} dB (at "
                f"{self.adds_at_hz / 1e6:.3f} MHz): too much (limit +{RING_ADDS_LIMIT_DB:g} dB)"
            )
            out.append(
                "fix: long unshielded ring wires run past the dongle: shorten them, twist each "
                "5 V/GND pair, and keep them on the Pi side of the divider"
            )
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "created_utc": now_iso(),
            "band_plan": self.plan_name,
            "gain_db": self.gain_db,
            "setup": self.setup,
            "noise_floor_dbfs": round(self.floor_dbfs, 2),
            "signals": [_signal(em) for em in self.switching],
            "signals_ring_off": [_signal(em) for em in self.ring_off],
            "ring_adds_db": round(self.adds_db, 2),
            "ring_adds_at_hz": round(self.adds_at_hz, 1),
            "ring_limit_db": RING_ADDS_LIMIT_DB,
            "ok": self.ok,
            "hops": {
                "center_hz": list(self.hops_hz),
                "floor_ring_switching_dbfs": list(self.hop_floor_switching_dbfs),
                "floor_ring_off_dbfs": list(self.hop_floor_off_dbfs),
            },
        }


def ring_adds(switching: RfWorker, off: RfWorker) -> tuple[float, float]:
    """(dB, Hz): the largest rise from ring-off to ring-switching, over floor and signals.

    The floor is compared hop by hop (broadband switching noise lifts whole hops); each
    signal found with the ring switching is compared over its bins (a spur of the ring).
    """
    plan = switching.setup.plan(0)
    on_levels = switching.floor.levels(plan)
    off_levels = off.floor.levels(plan)
    rise = to_db(on_levels) - to_db(off_levels)
    k = int(np.argmax(rise))
    best = (float(rise[k]), plan.hops[k].center_hz)
    det_on, det_off = switching.last_detection, off.last_detection
    if det_on is None or det_off is None:
        return best
    freqs = plan.freqs_hz
    for em in switching.last_emitters:
        lo, hi = np.searchsorted(freqs, [em.lo_hz, em.hi_hz + 0.5 * plan.bin_hz])
        hi = max(hi, lo + 1)
        gain = float(to_db(det_on.power[lo:hi].mean()) - to_db(det_off.power[lo:hi].mean()))
        if gain > best[0]:
            best = (gain, em.center_hz)
    return best


def measure_self(sdr: Sdr, ring: IrRing, cfg: Config) -> RfSelfReport:
    """Sweep with the ring switching, then with it off, and compare."""
    period_s = cfg.ring.frames_per_state / cfg.camera.fps
    with RingSwitcher(ring, period_s):
        switching = sweep_once(sdr, cfg)
    ring.set(False)
    off = sweep_once(sdr, cfg)
    plan = off.setup.plan(0)
    det = off.last_detection
    assert det is not None
    welch = off.setup.welch
    band = welch.fft_size / welch.enbw_bins  # per-bin noise -> noise over the sampled band
    floor_dbfs = float(np.median(to_db(det.floor * band)))
    adds_db, adds_at_hz = ring_adds(switching, off)
    return RfSelfReport(
        plan_name=plan.name,
        gain_db=float(sdr.gain_db),
        floor_dbfs=floor_dbfs,
        setup=SETUP_NOTE.get(cfg.hal.sdr, TERMINATOR_NOTE),
        switching=tuple(sorted(switching.last_emitters, key=lambda e: e.center_hz)),
        ring_off=tuple(sorted(off.last_emitters, key=lambda e: e.center_hz)),
        adds_db=max(0.0, adds_db) if math.isfinite(adds_db) else 0.0,  # switching removes nothing
        adds_at_hz=adds_at_hz,
        hops_hz=tuple(round(h.center_hz, 1) for h in plan.hops),
        hop_floor_switching_dbfs=_hop_dbfs(switching, band),
        hop_floor_off_dbfs=_hop_dbfs(off, band),
    )


def _hop_dbfs(worker: RfWorker, band: float) -> tuple[float, ...]:
    levels = worker.floor.levels(worker.setup.plan(0)) * band
    return tuple(round(float(v), 2) for v in to_db(levels))


def save_report(report: RfSelfReport, state_dir: Path) -> Path:
    """Write rf_self.json under <state dir>/calibration (atomically: no half-written file)."""
    folder = state_dir / "calibration"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "rf_self.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
