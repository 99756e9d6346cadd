"""`camsweep calibrate`: ring alignment, SDR frequency correction, the device's own RF.

`camsweep calibrate` runs the three steps in turn, asking before each one when a person is
at the terminal (stdin is a TTY) and running them all otherwise; `camsweep calibrate ring
[--wall]`, `... ppm --ref-hz F` and `... rf` run one. hardware/CALIBRATION.md is the guide.
Exit status: 0 when every step run passed, 1 when a check failed, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from device.calibrate_steps import UNATTENDED_READINGS, InputError, Steps
from device.config import SYSTEM_CONFIG, Config, config_path_from_env, load
from device.tomlmodel import ModelError

STEPS = ("ring", "ppm", "rf")
TITLES = {
    "ring": "ring alignment",
    "ppm": "SDR frequency correction (ppm)",
    "rf": "RF baseline of the device itself",
}
INSTRUCTIONS = {
    "ring": "in a dim room, hold the device 0.5 m from a plain wall, square to it",
    "ppm": "after 5 minutes of warm-up, with a reference transmitter of exact frequency on air",
    "rf": "replace the antenna with a 50 ohm SMA terminator (or unscrew it)",
}


def _hz(text: str) -> float:
    """A frequency in Hz; a k/M/G suffix is accepted (162.55M)."""
    scale = {"k": 1e3, "m": 1e6, "g": 1e9}.get(text.strip()[-1:].lower(), 1.0)
    try:
        return float(text.strip()[:-1] if scale != 1.0 else text) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a frequency: give Hz, e.g. 162550000 or 162.55M"
        ) from None


def register(sub: argparse._SubParsersAction) -> None:
    """Add `calibrate` and its steps to the camsweep parser."""
    p = sub.add_parser(
        "calibrate",
        help="align the IR ring, measure the SDR's ppm and the device's own RF",
        description="Run ring, ppm and rf in turn (asking before each one at a terminal), or "
        "one of them. Stop the service first: calibration needs the camera and the dongle.",
    )
    p.add_argument(
        "--ref-hz",
        dest="sequence_ref_hz",
        type=_hz,
        metavar="F",
        help="reference frequency for the ppm step when running all steps",
    )
    steps = p.add_subparsers(dest="step", metavar="STEP", title="steps (none: all three in turn)")
    r = steps.add_parser(
        "ring",
        help="beam centre (--wall) or glint strength, from ON/OFF frames",
        description="Offsets are px from the image centre, x right, y down.",
    )
    r.add_argument(
        "--wall", action="store_true", help="measure where the beam lights a plain wall 0.5 m away"
    )
    r.add_argument(
        "--readings",
        type=int,
        metavar="N",
        help="stop after N glint readings (default: until Ctrl-C at a terminal, "
        f"else {UNATTENDED_READINGS})",
    )
    q = steps.add_parser("ppm", help="the SDR crystal's error, from a reference transmitter")
    q.add_argument(
        "--ref-hz",
        required=True,
        type=_hz,
        metavar="F",
        help="the reference's exact frequency in Hz (162550000 or 162.55M)",
    )
    steps.add_parser("rf", help="what the device radiates itself, ring switching and off")
    p.set_defaults(func=run)


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def run(args: argparse.Namespace) -> int:
    """Run the step(s) asked for; 0 ok, 1 a check failed, 2 bad input."""
    out = sys.stdout
    try:
        path = config_path_from_env(getattr(args, "config", None))
        cfg = load(path)
        state_dir = _state_dir(args, cfg)
        cal = Calibration(cfg, str(path or SYSTEM_CONFIG), state_dir, _interactive(), out)
        if args.step is None:
            return cal.sequence(args.sequence_ref_hz)
        if args.step == "ring":
            if args.readings is not None and args.readings < 1:
                raise InputError("--readings must be 1 or more (leave it out to read until Ctrl-C)")
            status = cal.step(lambda: cal.ring(args.wall, args.readings))
        elif args.step == "ppm":
            status = cal.step(lambda: cal.ppm(args.ref_hz))
        else:
            status = cal.step(cal.rf)
    except ModelError as exc:
        print(f"camsweep calibrate: configuration error: {exc}", file=sys.stderr)
        return 2
    except (InputError, ValueError) as exc:
        print(f"camsweep calibrate: {exc}", file=sys.stderr)
        return 2
    return 0 if status == "ok" else 1


def _state_dir(args: argparse.Namespace, cfg: Config) -> Path:
    from device.records.store import default_state_dir

    explicit = getattr(args, "state_dir", None)
    return Path(explicit) if explicit else default_state_dir(cfg.device.state_dir)


class Calibration(Steps):
    """The steps run in turn, asking before each one at a terminal."""

    def sequence(self, ref_hz: float | None) -> int:
        """All three steps in turn; returns the exit status."""
        from device.calibrate_ppm import BadReference, check_reference

        if ref_hz is not None:
            try:
                check_reference(ref_hz)
            except BadReference as exc:
                raise InputError(str(exc)) from None
        status: dict[str, str] = {}
        for i, name in enumerate(STEPS, 1):
            if i > 1:
                self.say("")
            self.say(f"step {i} of {len(STEPS)}: {TITLES[name]}")
            self.say(f"  {INSTRUCTIONS[name]}")
            if self.interactive:
                answer = _ask("run it? [Y/n/q] ")
                if answer is None or answer.startswith("q"):
                    break
                if answer.startswith("n"):
                    status[name] = "skipped"
                    continue
            body: Callable[[], bool | None] = {
                "ring": lambda: self.ring(True, None, glint_too=True),
                "ppm": lambda: self._ppm_in_sequence(ref_hz),
                "rf": self.rf,
            }[name]
            try:
                status[name] = self.step(body)
            except InputError as exc:  # this step cannot run here; the others still can
                self.say(f"cannot run: {exc}")
                status[name] = "fail"
        failed = [n for n, s in status.items() if s == "fail"]
        skipped = [n for n in STEPS if status.get(n, "skipped") == "skipped"]
        note = f" (skipped: {', '.join(skipped)})" if skipped else ""
        self.say("")
        self.say(
            f"{len(failed)} step(s) need attention: {', '.join(failed)}{note}"
            if failed
            else f"all steps OK{note}"
        )
        return 1 if failed else 0

    def _ppm_in_sequence(self, ref_hz: float | None) -> bool | None:
        from device.calibrate_ppm import BadReference, check_reference

        while ref_hz is None and self.interactive:
            answer = _ask("reference frequency in Hz (e.g. 162550000 or 162.55M; empty = skip): ")
            if not answer:
                return None
            try:
                ref_hz = _hz(answer)
                check_reference(ref_hz)
            except (argparse.ArgumentTypeError, BadReference) as exc:
                self.say(str(exc))
                ref_hz = None
        if ref_hz is None:
            self.say(
                "skipped: no reference frequency; give one with "
                "`camsweep calibrate --ref-hz F` or run `camsweep calibrate ppm --ref-hz F`"
            )
            return None
        return self.ppm(ref_hz)


def _ask(prompt: str) -> str | None:
    """The user's answer in lower case, or None at end of input."""
    try:
        return input(prompt).strip().lower()
    except EOFError:
        return None
