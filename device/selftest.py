"""`camsweep selftest`: build and exercise each part, say what is wrong and how to fix it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from device.clock import MonotonicClock, VirtualClock
from device.config import Config
from device.hal import registry
from device.hal.base import BackendUnavailable, EndOfData, PartError

log = logging.getLogger(__name__)

RING_MIN_GAIN = 0.5  # ON-OFF mean grey levels facing a surface within 1 m; below: ring dark
DVB_MODULE_PATH = Path("/sys/module/dvb_usb_rtl28xxu")  # present while the DVB driver is loaded
OLED_ADDRESSES = (0x3C, 0x3D)  # the two addresses SSD1306/SH1106 modules can be strapped to
SDR_TEST_HZ = 433.92e6  # an ISM frequency every R820T/R828D tunes to
SDR_TEST_SAMPLES = 65_536
STUCK_STD = 0.5
# BCM GPIO -> physical header pin (40-pin header, every Pi since the B+), for fix texts.
HEADER_PIN = {
    2: 3, 3: 5, 4: 7, 5: 29, 6: 31, 7: 26, 8: 24, 9: 21, 10: 19, 11: 23, 12: 32, 13: 33,
    14: 8, 15: 10, 16: 36, 17: 11, 18: 12, 19: 35, 20: 38, 21: 40, 22: 15, 23: 16, 24: 18,
    25: 22, 26: 37, 27: 13,
}  # fmt: skip  # byte standard deviation below which IQ is a constant (dead tuner / no USB data)


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
        ("vibration", _check_vibration),
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


def _check_vibration(ctx: registry.BuildContext) -> str:
    from device.hal.gpio import GpioVibration

    _need_factory(ctx)
    motor = GpioVibration.from_config(ctx)
    motor.set(True)
    motor.set(False)
    motor.close()
    return f"pulsed on GPIO{ctx.config.pins.vibration}"


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
    try:
        display = registry.build("display", name, ctx)
    except PartError as exc:
        if name in ("ssd1306", "sh1106"):
            raise _oled_diagnosis(ctx, exc) from exc
        raise
    image = Image.new("1", display.size, 0)
    ImageDraw.Draw(image).text((0, 0), "camsweep selftest", fill=1)
    display.show(image)
    display.close()
    d = ctx.config.display
    return f"{name} at I2C bus {d.i2c_port} address 0x{d.i2c_address:02X}"


def i2c_bus_exists(port: int) -> bool:
    return Path(f"/dev/i2c-{port}").exists()


def probe_i2c(port: int, address: int) -> bool:
    """True when some device acknowledges `address` on /dev/i2c-`port`."""
    try:
        from smbus2 import SMBus
    except ImportError:
        return False
    try:
        with SMBus(port) as bus:
            bus.read_byte(address)
    except OSError:
        return False
    return True


def _oled_diagnosis(ctx: registry.BuildContext, exc: PartError) -> PartError:
    """Turn a silent OLED into the likely wiring mistake: wrong address, or no device."""
    d = ctx.config.display
    if not i2c_bus_exists(d.i2c_port):
        return exc
    others = [a for a in OLED_ADDRESSES if a != d.i2c_address and probe_i2c(d.i2c_port, a)]
    if others:
        other = others[0]
        return PartError(
            "display",
            f"no OLED answers at 0x{d.i2c_address:02X} on I2C bus {d.i2c_port}, "
            f"but a device answers at 0x{other:02X}",
            f"set display.i2c_address = 0x{other:02X} in /etc/camsweep/config.toml, or move "
            f"the module's address resistor to 0x{d.i2c_address:02X}",
        )
    looked = " and ".join(f"0x{a:02X}" for a in OLED_ADDRESSES)
    return PartError(
        "display",
        f"no device answers on I2C bus {d.i2c_port} (looked for the OLED at {looked})",
        "check the OLED wiring (SDA to pin 3, SCL to pin 5, VCC to 3.3 V on pin 1, GND to pin 9)"
        " and that I2C is on (sudo raspi-config nonint do_i2c 0); `i2cdetect -y 1` must show "
        "the display",
    )


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
    if ctx.ring is not None and gain < RING_MIN_GAIN:
        pin = ctx.config.pins.ir_ring
        raise PartError(
            "camera",
            f"the IR ring does not light: ring ON-OFF mean {gain:+.2f} grey levels, expected at "
            f"least +{RING_MIN_GAIN} facing a surface within 1 m",
            f"check GPIO{pin} (pin {HEADER_PIN.get(pin, '?')}) -> 100 ohm -> MOSFET gate, "
            "MOSFET source to GND, 5 V at the top of every LED string, and each LED's flat side "
            "(cathode) toward the MOSFET",
        )
    return f"{camera.describe()}; ring ON-OFF mean {gain:+.2f} grey levels"


def _check_sdr(ctx: registry.BuildContext) -> str:
    name = ctx.config.hal.sdr
    if name == "none":
        return "disabled in config"
    try:
        sdr = registry.build("sdr", name, ctx)
    except PartError as exc:
        if (
            name == "rtlsdr"
            and not isinstance(exc, BackendUnavailable)
            and DVB_MODULE_PATH.exists()
        ):
            raise PartError(
                "sdr",
                "the kernel's DVB-T driver (dvb_usb_rtl28xxu) has claimed the RTL-SDR",
                "sudo modprobe -r dvb_usb_rtl28xxu and run the self-test again; "
                "./install.sh --pi blacklists the driver for good",
            ) from exc
        raise
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
