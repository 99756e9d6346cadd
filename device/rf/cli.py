"""`camsweep analyze-iq FILE` and `camsweep rf-sweep`: the RF channel from the command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from device.rf.bands import COVERAGE_NOTE

log = logging.getLogger(__name__)

# File signatures of things people mistake for IQ recordings.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive (decompress it first)"),
    (b"RIFF", "a RIFF/WAV file"),
    (b"fLaC", "a FLAC audio file"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3", "an SQLite database"),
)


class InputError(ValueError):
    """Bad input for analyze-iq; the message says what is wrong and what to do."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the RF subcommands to the `camsweep` parser."""
    p = sub.add_parser(
        "analyze-iq",
        help="find bursts and steady emitters in an IQ recording (JSON lines with --json)",
        description="Analyse one IQ recording: one line per detection. rtl_433-style names "
        "(g001_433.92M_250k.cu8) give the centre frequency and sample rate.",
    )
    p.add_argument("file", help="the recording (.cu8, .cs8, .cf32, or a .sigmf-meta/-data)")
    p.add_argument("--format", choices=("cu8", "cs8", "cf32", "sigmf"), default="",
                   help="sample format (default: from the file extension)")
    p.add_argument("--rate", type=float, help="sample rate in S/s (default: from the file name)")
    p.add_argument("--center", type=float, help="centre frequency in Hz (default: from the name)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=run_analyze)

    s = sub.add_parser("rf-sweep", help="sweep the configured SDR and list the emitters")
    s.add_argument(
        "--plan", choices=("camera", "full", "custom"), help="band plan (default: rf.band_plan)"
    )
    s.add_argument("--sweeps", type=int, default=3, help="number of sweeps (default 3)")
    s.add_argument("--csv", help="also write every sweep as rtl_power CSV to this file")
    s.add_argument("--json", action="store_true", help="one JSON object per emitter")
    s.set_defaults(func=run_sweep)


# --- analyze-iq ---------------------------------------------------------------------------


def load_iq(
    path: Path, fmt: str, rate: float | None, center: float | None
) -> tuple[npt.NDArray[np.complex64], float, float, bool]:
    """(samples, rate_sps, center_hz, center_known) or InputError saying what is wrong."""
    from device.hal.iqfile import IqFileError, decode_complex, open_recording, read_raw

    try:
        rec = open_recording(path, fmt)
    except IqFileError as exc:
        raise InputError(str(exc)) from None
    if rec.fmt != "sigmf":
        _sniff(rec.data_path, rec.encoding)
    rate_sps = rate if rate is not None else rec.rate_sps
    if rate_sps is None:
        raise InputError(
            f"{path}: the sample rate is unknown — give --rate SPS, or name the file the "
            "rtl_433 way (NAME_433.92M_250k.cu8)"
        )
    if not 1e3 <= rate_sps <= 100e6:
        raise InputError(f"{path}: {rate_sps:g} S/s is not a plausible sample rate — check --rate")
    center_hz = center if center is not None else rec.center_hz
    try:
        iq = decode_complex(read_raw(rec), rec.encoding)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    if rec.encoding == "cf32":
        finite = np.isfinite(iq.real) & np.isfinite(iq.imag)
        if not finite.all() or float(np.abs(iq[finite]).max(initial=0.0)) > 1e6:
            raise InputError(
                f"{path}: the values are not plausible float32 IQ (NaN, Inf or huge numbers) — "
                "is it really cf32? Try --format cu8 or cs8"
            )
    return iq, float(rate_sps), float(center_hz or 0.0), center_hz is not None


def _sniff(path: Path, encoding: str) -> None:
    """Refuse files whose first bytes say they are something else entirely."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"{path}: this is {what}, not {encoding} IQ samples")
    if head and encoding in ("cu8", "cs8") and all(b in b"\t\n\r" or 32 <= b < 127 for b in head):
        raise InputError(
            f"{path}: the file is plain text, not {encoding} IQ samples — record again "
            "(rtl_sdr -f FREQ -s RATE FILE.cu8) or give the right --format"
        )


def run_analyze(args: argparse.Namespace) -> int:
    from device.rf.offline import analyze, min_samples
    from device.rf.settings import offline_settings

    settings = offline_settings(_config(args).rf)
    path = Path(args.file)
    try:
        iq, rate, center, known = load_iq(path, args.format, args.rate, args.center)
        needed = min_samples(rate, settings)
        if iq.size < needed:
            raise InputError(
                f"{path}: {iq.size} samples ({iq.size / rate * 1e3:.1f} ms) is too short — "
                f"the analysis needs at least {needed} ({needed / rate * 1e3:.1f} ms)"
            )
    except InputError as exc:
        print(f"camsweep analyze-iq: {exc}", file=sys.stderr)
        return 2
    if not known:
        print(
            "camsweep analyze-iq: centre frequency unknown (give --center HZ); "
            "frequencies below are offsets from the tuned centre",
            file=sys.stderr,
        )
    detections = analyze(iq, rate, center, settings)
    for d in detections:
        if args.json:
            print(json.dumps(d.as_json()))
        else:
            print(
                f"{d.start_s:8.3f}-{d.end_s:<8.3f} s  {d.center_hz / 1e6:12.6f} MHz  "
                f"{d.bandwidth_hz / 1e3:8.1f} kHz  SNR {d.peak_snr_db:5.1f} dB  {d.kind}"
            )
    if not args.json and not detections:
        print("no emitters found")
    return 0


# --- rf-sweep -----------------------------------------------------------------------------


def run_sweep(args: argparse.Namespace) -> int:
    from device.clock import MonotonicClock, VirtualClock
    from device.hal import registry
    from device.hal.base import EndOfData, PartError
    from device.rf import rtlpower
    from device.rf.worker import RfWorker

    cfg = _config(args)
    if args.plan:
        from dataclasses import replace

        cfg = replace(cfg, rf=replace(cfg.rf, band_plan=args.plan))
    if args.sweeps < 1:
        print("camsweep rf-sweep: --sweeps must be at least 1", file=sys.stderr)
        return 2
    world: Any = None
    if cfg.hal.sdr == "sim":
        from device.sim.scenario import load_scenario
        from device.sim.world import World

        world = World(load_scenario(cfg.sim.scenario), cfg.sim.seed)
    clock = VirtualClock() if cfg.hal.sdr == "sim" else MonotonicClock()
    events: list[object] = []
    csv_fh = open(args.csv, "w", encoding="utf-8") if args.csv else None  # noqa: SIM115
    try:
        sdr = registry.build("sdr", cfg.hal.sdr, registry.BuildContext(cfg, clock, world))
        worker = RfWorker.create(sdr, cfg, events.append)
        while worker.sweeps_done < args.sweeps:
            worker.step()
            if csv_fh is not None:
                _flush_csv(csv_fh, worker, events, rtlpower)
    except (PartError, EndOfData, ValueError) as exc:
        print(f"camsweep rf-sweep: {exc}", file=sys.stderr)
        return 2
    finally:
        if csv_fh is not None:
            csv_fh.close()
    _print_emitters(worker, args.json)
    return 0


def _flush_csv(fh: Any, worker: Any, events: list[object], rtlpower: Any) -> None:
    from device.events import Spectrum

    for event in [e for e in events if isinstance(e, Spectrum)]:
        plan = worker.setup.plan(worker.sweeps_done - 1)
        rtlpower.write(fh, event, plan, worker.setup.welch.samples, datetime.now())
        events.remove(event)


def _print_emitters(worker: Any, as_json: bool) -> None:
    reported = {round(f.center_hz) for f in worker.findings}
    for em in worker.last_emitters:
        row = {
            "center_hz": round(em.center_hz, 1), "bandwidth_hz": round(em.bandwidth_hz, 1),
            "peak_dbfs": round(em.peak_dbfs, 2), "snr_db": round(em.snr_db, 2),
            "kind": em.kind, "label": em.label, "finding": round(em.center_hz) in reported,
        }
        if as_json:
            print(json.dumps(row))
        else:
            print(
                f"{em.center_hz / 1e6:11.4f} MHz {em.bandwidth_hz / 1e3:9.1f} kHz "
                f"{em.peak_dbfs:7.1f} dBFS  SNR {em.snr_db:5.1f} dB  {em.kind:<10} {em.label}"
            )
    for f in worker.findings:
        if not as_json:
            print(f"finding: {f.label} at {f.center_hz / 1e6:.4f} MHz ({f.novelty}, "
                  f"confidence {f.confidence:.2f})")
    if not as_json:
        print(f"note: {COVERAGE_NOTE}")


def _config(args: argparse.Namespace) -> Any:
    from device.config import config_path_from_env, load

    return load(config_path_from_env(getattr(args, "config", None)))
