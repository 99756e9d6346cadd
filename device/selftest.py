"""`camsweep selftest`: build and exercise each part, say what is wrong and how to fix it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from device.clock import MonotonicClock, VirtualClock
from device.config import Config
from device.hal import registry
from device.hal.base import EndOfData, PartError

log = logging.getLogger(__name__)

SDR_TEST_HZ = 433.92e6  # an ISM frequency every R820T/R828D tunes to
SDR_TEST_SAMPLES = 65_536
STUCK_STD = 0.5  # byte standard deviation below which IQ is a constant (dead tuner / no USB data)


@dataclass(frozen=True)
class CheckResult:
    part: str
    ok: bool
    detail: str
    fix: str = ""


def run_selftest(cfg: Config) -> list[CheckResult]:
    """Run every check; a failing part never stops the others from being checked."""
    simulated = "sim" in (cfg.hal.camera, cfg.hal.sdr)
    clock = VirtualClock() if simulated else MonotonicClock()
    ctx = registry.BuildContext(config=cfg, clock=clock)
    if simulated:
        from device.sim.scenario import load_scenario
        from device.sim.world import World

        ctx.world = World(load_scenario(cfg.sim.scenario), cfg.sim.seed)
    results: list[CheckResult] = []
    checks: list[tuple[str, Callable[[registry.BuildContext], str]]] = [
        ("gpio", _check_gpio),
        ("ring", _check_ring),
        ("buzzer", _check_buzzer),
        ("buttons", _check_buttons),
        ("display", _check_display),
        ("camera", _check_camera),
        ("sdr", _check_sdr),
        ("model", _check_model),
    ]
    for part, check in checks:
        try:
            results.append(CheckResult(part, True, check(ctx)))
        except PartError as exc:
            results.append(CheckResult(part, False, exc.problem, exc.fix))
        except Exception as exc:  # report, never crash: the user needs the whole list
            log.debug("self-test of %s crashed", part, exc_info=True)
            results.append(
                CheckResult(part, False, f"unexpected error: {exc}", "see the log (-vv)")
            )
    for closer in ctx.extra.values():
        _close(closer)
    return results


def _close(part: Any) -> None:
    try:
        part.close()
    except Exception:
        log.debug("closing after self-test failed", exc_info=True)


def _check_gpio(ctx: registry.BuildContext) -> str:
    ctx.pin_factory = registry.resolve("gpio", ctx.config.hal.gpio)()
    return f"{ctx.config.hal.gpio} pin factory"


def _need_factory(ctx: registry.BuildContext) -> None:
    if ctx.pin_factory is None:
        raise PartError("gpio", "no GPIO access, so this part was not tested", "fix gpio first")


def _check_ring(ctx: registry.BuildContext) -> str:
    from device.hal.gpio import GpioRing

    _need_factory(ctx)
    ring = GpioRing.from_config(ctx)
    ctx.ring = ring
    ctx.extra["ring"] = ring
    ring.set(True)
    ring.set(False)
    if len(ring.transitions()) < 2:
        raise PartError("ring", "the ring pin did not change state", "check pins.ir_ring")
    return f"switches on GPIO{ctx.config.pins.ir_ring} (brightness checked with the camera)"


def _check_buzzer(ctx: registry.BuildContext) -> str:
    from device.hal.gpio import GpioBuzzer

    _need_factory(ctx)
    buzzer = GpioBuzzer.from_config(ctx)
    buzzer.tone(2000.0)
    buzzer.off()
    buzzer.close()
    return f"beeped on GPIO{ctx.config.pins.buzzer}"


def _check_buttons(ctx: registry.BuildContext) -> str:
    from device.hal.gpio import GpioButtons

    _need_factory(ctx)
    buttons = GpioButtons.from_config(ctx)
    buttons.close()
    pins = ctx.config.pins
    return f"mode GPIO{pins.button_mode}, ack GPIO{pins.button_ack}"


def _check_display(ctx: registry.BuildContext) -> str:
    from PIL import Image, ImageDraw

    name = ctx.config.hal.display
    if name == "none":
        return "disabled in config"
    display = registry.build("display", name, ctx)
    image = Image.new("1", display.size, 0)
    ImageDraw.Draw(image).text((0, 0), "camsweep selftest", fill=1)
    display.show(image)
    display.close()
    d = ctx.config.display
    return f"{name} at I2C bus {d.i2c_port} address 0x{d.i2c_address:02X}"


def _check_camera(ctx: registry.BuildContext) -> str:
    name = ctx.config.hal.camera
    if name == "none":
        return "disabled in config"
    camera = registry.build("camera", name, ctx)
    try:
        camera.start()
        frames = []
        for on in (False, True):
            if ctx.ring is not None:
                ctx.ring.set(on)
            # The frame exposing while the ring switched is mixed; the one after is clean.
            camera.capture()
            frames.append(camera.capture().pixels.astype(np.float32))
    except EndOfData:
        raise PartError("camera", "the frame source ended before two frames were read") from None
    finally:
        if ctx.ring is not None:
            ctx.ring.set(False)
        camera.close()
    off, on = frames
    if on.max() <= 2 and off.max() <= 2:
        raise PartError("camera", "frames are black", "remove the lens cap; check the ribbon cable")
    gain = float(np.mean(on) - np.mean(off))
    return f"{camera.describe()}; ring ON-OFF mean {gain:+.2f} grey levels"


def _check_sdr(ctx: registry.BuildContext) -> str:
    name = ctx.config.hal.sdr
    if name == "none":
        return "disabled in config"
    sdr = registry.build("sdr", name, ctx)
    try:
        if name != "file":
            sdr.tune(SDR_TEST_HZ)
        block = sdr.read(SDR_TEST_SAMPLES)
    finally:
        sdr.close()
    std = float(np.std(block.data.astype(np.float32)))
    if std < STUCK_STD:
        raise PartError(
            "sdr",
            "the receiver returns a constant signal",
            "re-plug the dongle; check the antenna and that nothing else uses it",
        )
    return f"{sdr.describe()}; IQ byte spread {std:.1f}"


def _check_model(ctx: registry.BuildContext) -> str:
    if not ctx.config.vision.enabled:
        return "lens channel disabled in config"
    try:
        from device.vision.classifier import load_default_classifier
    except ImportError as exc:
        raise PartError("model", f"lens classifier unavailable: {exc}", "run ./install.sh") from exc
    classifier = load_default_classifier(ctx.config.vision)
    return str(classifier.describe())


def print_results(results: list[CheckResult], out: TextIO) -> None:
    width = max(len(r.part) for r in results)
    for r in results:
        mark = "OK  " if r.ok else "FAIL"
        out.write(f"{mark} {r.part:<{width}}  {r.detail}\n")
        if not r.ok and r.fix:
            out.write(f"     {'':<{width}}  fix: {r.fix}\n")
    failed = [r.part for r in results if not r.ok]
    out.write(
        "all parts OK\n"
        if not failed
        else f"{len(failed)} part(s) need attention: {', '.join(failed)}\n"
    )
