"""The calibration steps on the configured parts: each builds, uses and closes its own.

`ring` and `rf` build the IR ring on the configured pin factory; a simulated camera or SDR
gets the virtual room and a virtual clock (as `camsweep selftest` does). The measuring is in
device.calibrate_ring, device.calibrate_ppm and device.calibrate_rf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from device.clock import MonotonicClock, VirtualClock
from device.config import Config
from device.hal import registry
from device.hal.base import EndOfData, IrRing, PartError

GLINT_SETUP = (
    "stand the bicycle reflector 2 m away at eye height and aim the device at it "
    "(the OLED shows a cross at the image centre)"
)
WEAK_FIX = (
    "fix: with a centred beam, a weak glint usually means 940 nm LEDs at a long distance (move "
    "closer) or a lens opening partly covered by a misplaced camera"
)
UNATTENDED_READINGS = 5  # glint readings when nobody is at the terminal to press Ctrl-C


class InputError(ValueError):
    """Bad input: the message says what is wrong and how to fix it."""


class Steps:
    """The three steps on the configured parts; each builds and closes its own."""

    def __init__(
        self, cfg: Config, config_path: str, state_dir: Path, interactive: bool, out: TextIO
    ) -> None:
        self.cfg = cfg
        self.config_path = config_path
        self.state_dir = state_dir
        self.interactive = interactive
        self.out = out

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def step(self, body: Callable[[], bool | None]) -> str:
        """Run one step: "ok", "fail" (a check or a part failed) or "skipped"."""
        try:
            ok = body()
        except PartError as exc:
            self.say(f"{exc.part}: {exc.problem}")
            if exc.fix:
                self.say(f"fix: {exc.fix}")
            return "fail"
        except EndOfData as exc:
            self.say(f"the source ran out before the step was done ({exc})")
            return "fail"
        if ok is None:
            return "skipped"
        return "ok" if ok else "fail"

    def context(self) -> registry.BuildContext:
        """A build context; the virtual room and a virtual clock when a part is simulated."""
        cfg = self.cfg
        simulated = "sim" in (cfg.hal.camera, cfg.hal.sdr)
        ctx = registry.BuildContext(cfg, VirtualClock() if simulated else MonotonicClock())
        if simulated:
            from device.sim.scenario import load_scenario
            from device.sim.world import World

            ctx.world = World(load_scenario(cfg.sim.scenario), cfg.sim.seed)
        return ctx

    @contextmanager
    def ring_part(self, ctx: registry.BuildContext) -> Iterator[IrRing]:
        from device.hal.gpio import GpioRing

        ctx.pin_factory = registry.resolve("gpio", self.cfg.hal.gpio)()
        ring = GpioRing.from_config(ctx)
        ctx.ring = ring
        try:
            yield ring
        finally:
            ring.close()
            ctx.pin_factory.close()

    def ring(self, wall: bool, readings: int | None, glint_too: bool = False) -> bool:
        """Beam centre on a wall (`wall`), glint readings, or both in turn (`glint_too`)."""
        from device.calibrate_ring import glint_readings, measure_wall

        if self.cfg.hal.camera == "none":
            raise InputError(
                'hal.camera is "none": the ring is measured with the camera; '
                "set hal.camera in " + self.config_path
            )
        ctx = self.context()
        with self.ring_part(ctx) as ring:
            camera = registry.build("camera", self.cfg.hal.camera, ctx)
            try:
                camera.start()
                ok = True
                if wall:
                    beam = measure_wall(camera, ring, self.cfg)
                    self.say(beam.line())
                    if not beam.ok:
                        self.say(f"fix: {beam.advice()}")
                    ok = beam.ok
                    if not glint_too:
                        return ok
                    if self.interactive:
                        input(f"{GLINT_SETUP}, then press Enter (Ctrl-C ends the readings) ")
                    else:
                        self.say(GLINT_SETUP)
                if readings is None:
                    readings = 0 if self.interactive else UNATTENDED_READINGS
                results = glint_readings(camera, ring, ctx.clock, self.cfg, readings, self.out)
            finally:
                camera.close()
        glint_ok = any(r.ok for r in results)
        if not glint_ok:
            self.say(WEAK_FIX if results else "no glint reading was taken")
        return ok and glint_ok

    def ppm(self, ref_hz: float) -> bool:
        from device.calibrate_ppm import BadReference, check_reference, measure_ppm

        try:
            check_reference(ref_hz)
        except BadReference as exc:
            raise InputError(str(exc)) from None
        cfg = self.cfg
        if cfg.hal.sdr == "none":
            raise InputError(f'hal.sdr is "none": set the SDR backend in {self.config_path}')
        sdr = registry.build("sdr", cfg.hal.sdr, self.context())
        try:
            result = measure_ppm(
                sdr, ref_hz, cfg.sdr.ppm, cfg.rf.evidence_offset_hz, cfg.rf.settle_samples
            )
        finally:
            sdr.close()
        for line in result.lines(self.config_path):
            self.say(line)
        return result.ok

    def rf(self) -> bool:
        from device.calibrate_rf import measure_self, save_report

        if self.cfg.hal.sdr == "none":
            raise InputError(f'hal.sdr is "none": set the SDR backend in {self.config_path}')
        ctx = self.context()
        with self.ring_part(ctx) as ring:
            sdr = registry.build("sdr", self.cfg.hal.sdr, ctx)
            try:
                report = measure_self(sdr, ring, self.cfg)
            finally:
                sdr.close()
        for line in report.lines():
            self.say(line)
        try:
            path = save_report(report, self.state_dir)
        except OSError as exc:
            raise InputError(
                f"cannot save the RF baseline under {self.state_dir} ({exc.strerror or exc}): "
                "give a writable --state-dir"
            ) from None
        self.say(f"saved to {path}")
        return report.ok
