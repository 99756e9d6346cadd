"""gpiozero parts on MockFactory(pin_class=MockPWMPin): ring timeline, buzzer PWM, buttons."""

from __future__ import annotations

import importlib
import itertools
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from device.clock import MonotonicClock, VirtualClock
from device.hal.base import (
    BackendUnavailable,
    Buttons,
    Buzzer,
    IrRing,
    PartError,
    TimedRing,
    Vibration,
)
from device.hal.gpio import (
    RING_PWM_HZ,
    GpioButtons,
    GpioBuzzer,
    GpioRing,
    GpioVibration,
    lgpio_factory,
    pin_factory_for,
    rpigpio_factory,
)

from .conftest import make_ctx


def states(factory: Any, pin: int) -> list[float]:
    return [float(s.state) for s in factory.pin(pin).states]


# --- IR ring -----------------------------------------------------------------------------


def test_ring_switches_the_pin_and_logs_transitions_on_the_injected_clock(
    factory: Any, clock: VirtualClock
) -> None:
    with GpioRing(18, factory, clock) as ring:
        assert isinstance(ring, IrRing)
        clock.advance(0.5)
        ring.set(True)
        assert ring.is_on
        clock.advance(0.25)
        ring.set(True)  # no change: not logged, no pin write
        ring.set(False)
        clock.advance(0.25)
        ring.set(True)
        pin = factory.pin(18)
        pin.assert_states([False, True, False, True])
        assert states(factory, 18) == [0.0, 1.0, 0.0, 1.0]
        assert ring.transitions() == [
            (100.0, False),
            (100.5, True),
            (100.75, False),
            (101.0, True),
        ]
        assert ring.transitions(since_s=100.6) == [(100.75, False), (101.0, True)]
    assert factory.pin(18).state == 0  # closing switches the ring off


def test_ring_switch_at_a_set_instant_on_a_virtual_clock(factory: Any, clock: VirtualClock) -> None:
    with GpioRing(18, factory, clock) as ring:
        assert isinstance(ring, TimedRing)
        assert ring.set_at(True, 100.030)
        assert ring.set_at(False, 100.063)
        assert not ring.set_at(True, 100.063)  # not after the last planned switch
        assert not ring.set_at(True, 100.0005)  # too soon to be placed
        assert ring.transitions(100.01) == [(100.030, True), (100.063, False)]
        clock.advance(0.040)
        ring.set(True)  # a direct switch cancels what had not happened yet
        assert ring.transitions(100.01) == [(100.030, True)]
        assert ring.is_on


def test_a_pwm_ring_switches_on_dimmed_and_remembers_the_level(
    factory: Any, clock: VirtualClock
) -> None:
    with GpioRing(18, factory, clock, pwm=True, brightness=0.8) as ring:
        assert ring.can_dim
        assert ring.set_at(True, 100.03, scale=0.25)
        assert factory.pin(18).state == pytest.approx(0.2)
        assert ring.set_at(False, 100.06)
        assert ring.set_at(True, 100.09)
        assert ring.duty_at(100.05) == pytest.approx(0.2)
        assert ring.duty_at(100.10) == pytest.approx(0.8)
    with GpioRing(18, factory, clock) as plain:  # switched, not PWM: no dimming
        assert not plain.can_dim
        assert plain.set_at(True, 100.2, scale=0.25)
        assert plain.duty_at(100.3) == 1.0


def test_ring_switch_at_on_the_real_clock_happens_then(factory: Any) -> None:
    clock = MonotonicClock()
    with GpioRing(18, factory, clock) as ring:
        t0 = clock.now()
        assert ring.set_at(True, t0 + 0.02)
        assert ring.set_at(False, t0 + 0.04)
        assert not ring.is_on  # nothing switched yet
        deadline = t0 + 2.0
        while len(ring.transitions(t0)) < 2 and clock.now() < deadline:
            threading.Event().wait(0.005)
        log = ring.transitions(t0)
        assert [on for _, on in log] == [True, False]
        assert log[0][0] >= t0 + 0.02 and log[1][0] >= t0 + 0.04
        factory.pin(18).assert_states([False, True, False])
        assert ring.set_at(True, clock.now() + 5.0)
    # closing drops the pending switch and ends the scheduler: the pin stays off
    assert factory.pin(18).state == 0


def test_ring_pwm_drives_brightness_as_duty(factory: Any, clock: VirtualClock) -> None:
    with GpioRing(18, factory, clock, pwm=True, brightness=0.4) as ring:
        pin = factory.pin(18)
        assert pin.frequency == RING_PWM_HZ
        ring.set(True)
        assert pin.state == pytest.approx(0.4)
        ring.set(False)
        assert pin.state == 0


def test_ring_close_is_idempotent_and_refuses_later_use(factory: Any, clock: VirtualClock) -> None:
    ring = GpioRing(18, factory, clock)
    ring.close()
    ring.close()
    with pytest.raises(PartError, match="closed"):
        ring.set(True)
    # the pin is free again for a new device
    GpioRing(18, factory, clock).close()


def test_ring_log_stays_consistent_under_concurrent_toggling(
    factory: Any, clock: VirtualClock
) -> None:
    with GpioRing(18, factory, clock) as ring:

        def toggle(on: bool) -> None:
            for _ in range(500):
                ring.set(on)
                clock.advance(0.001)
                ring.set(not on)

        threads = [threading.Thread(target=toggle, args=(i % 2 == 0,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log = ring.transitions()
        assert all(a[1] != b[1] for a, b in itertools.pairwise(log))
        assert all(a[0] <= b[0] for a, b in itertools.pairwise(log))
        assert bool(factory.pin(18).state) == ring.is_on == log[-1][1]


def test_ring_from_config_uses_the_context_factory_and_pin_map(
    factory: Any, clock: VirtualClock
) -> None:
    ctx = make_ctx(clock, factory, pins={"ir_ring": 23}, ring={"pwm": True, "brightness": 0.5})
    with GpioRing.from_config(ctx) as ring:
        ring.set(True)
        assert factory.pin(23).state == pytest.approx(0.5)


def test_pin_factory_is_built_from_config_once_when_missing(clock: VirtualClock) -> None:
    ctx = make_ctx(clock)  # hal.gpio = "mock" by default
    first = pin_factory_for(ctx)
    assert pin_factory_for(ctx) is first
    assert type(first).__name__ == "MockFactory"
    first.reset()


# --- buzzer and vibration ----------------------------------------------------------------


def test_buzzer_tone_sets_pwm_frequency_and_volume_as_duty(
    factory: Any, clock: VirtualClock
) -> None:
    ctx = make_ctx(clock, factory, ui={"buzzer_volume": 0.25})
    with GpioBuzzer.from_config(ctx) as buzzer:
        assert isinstance(buzzer, Buzzer)
        pin = factory.pin(ctx.config.pins.buzzer)
        assert pin.state == 0
        buzzer.tone(2700.0)
        assert pin.frequency == 2700.0
        assert pin.state == pytest.approx(0.25)
        buzzer.tone(880.0)
        assert pin.frequency == 880.0
        buzzer.off()
        assert pin.state == 0
        with pytest.raises(ValueError, match="outside"):
            buzzer.tone(50_000.0)


def test_vibration_follows_set(factory: Any, clock: VirtualClock) -> None:
    with GpioVibration.from_config(make_ctx(clock, factory)) as motor:
        assert isinstance(motor, Vibration)
        motor.set(True)
        motor.set(False)
        motor.close()
        assert states(factory, 16) == [0.0, 1.0, 0.0]


# --- buttons -----------------------------------------------------------------------------


@pytest.fixture
def buttons(factory: Any, clock: VirtualClock) -> Any:
    # A long hold time keeps gpiozero's real-time hold timer out of the clock-driven tests.
    ctx = make_ctx(clock, factory, ui={"long_press_s": 5.0})
    parts = GpioButtons.from_config(ctx)
    got: list[tuple[str, str]] = []
    parts.on_press(lambda name, kind: got.append((name, kind)))
    yield (
        parts,
        got,
        factory.pin(ctx.config.pins.button_mode),
        factory.pin(ctx.config.pins.button_ack),
    )
    parts.close()


def test_short_and_long_presses_are_reported_once_each(buttons: Any, clock: VirtualClock) -> None:
    parts, got, mode, ack = buttons
    assert isinstance(parts, Buttons)
    mode.drive_low()
    clock.advance(0.3)
    mode.drive_high()
    assert got == [("mode", "short")]
    ack.drive_low()
    clock.advance(6.0)
    ack.drive_high()
    assert got == [("mode", "short"), ("ack", "long")]


def test_repeated_edges_of_one_press_count_once(buttons: Any, clock: VirtualClock) -> None:
    parts, got, mode, _ = buttons
    mode.drive_low()
    parts._pressed("mode")  # a duplicate "pressed" edge, as bouncy contacts can give
    clock.advance(6.0)
    mode.drive_high()
    parts._released("mode")  # and a duplicate release
    assert got == [("mode", "long")]


def test_a_failing_handler_does_not_stop_the_others(buttons: Any, clock: VirtualClock) -> None:
    parts, got, mode, _ = buttons

    def broken(name: str, kind: str) -> None:
        raise RuntimeError("boom")

    parts.on_press(broken)
    later: list[str] = []
    parts.on_press(lambda name, kind: later.append(kind))
    mode.drive_low()
    mode.drive_high()
    assert got == [("mode", "short")]
    assert later == ["short"]


def test_hold_timer_reports_long_while_held_and_release_adds_nothing(
    factory: Any, clock: VirtualClock
) -> None:
    held = threading.Event()
    got: list[tuple[str, str]] = []

    def handler(name: str, kind: str) -> None:
        got.append((name, kind))
        held.set()

    with GpioButtons({"mode": 5}, factory, clock, long_press_s=0.05) as parts:
        parts.on_press(handler)
        factory.pin(5).drive_low()
        assert held.wait(5.0), "gpiozero's hold timer never fired"
        factory.pin(5).drive_high()  # the virtual clock says 0 s: would be "short"
        assert got == [("mode", "long")]


def test_buttons_close_is_idempotent_and_frees_the_pins(factory: Any, clock: VirtualClock) -> None:
    parts = GpioButtons({"mode": 5, "ack": 6}, factory, clock, long_press_s=1.0)
    parts.close()
    parts.close()
    GpioButtons({"mode": 5, "ack": 6}, factory, clock, long_press_s=1.0).close()


# --- real pin factories on this computer -------------------------------------------------


def _on_a_pi() -> bool:
    model = Path("/proc/device-tree/model")
    return model.exists() and "Raspberry Pi" in model.read_text(errors="replace")


@pytest.mark.skipif(_on_a_pi(), reason="on a Raspberry Pi the real factories may work")
@pytest.mark.parametrize(
    ("make", "needle"), [(rpigpio_factory, "RPi.GPIO"), (lgpio_factory, "lgpio")]
)
def test_real_factories_explain_what_is_missing_off_a_pi(make: Any, needle: str) -> None:
    with pytest.raises(PartError) as info:
        make()
    err = info.value
    assert err.fix, "the error must say how to fix it"
    if isinstance(err, BackendUnavailable) and "missing" in err.problem:
        assert needle in str(err)
        assert "apt install" in err.fix


@pytest.fixture
def fake_gpio_libs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A sys.path folder for stand-in GPIO libraries; what gets imported is forgotten after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    watched = ("RPi", "lgpio", "gpiozero.pins.rpigpio", "gpiozero.pins.lgpio")
    for name in watched:
        monkeypatch.delitem(sys.modules, name, raising=False)
    importlib.invalidate_caches()
    yield tmp_path
    for name in list(sys.modules):
        if name.split(".")[0] in ("RPi", "lgpio") or name in watched:
            del sys.modules[name]
    pins = sys.modules["gpiozero.pins"]
    for attr in ("rpigpio", "lgpio"):
        if hasattr(pins, attr):
            delattr(pins, attr)


def test_rpigpio_off_a_pi_says_to_use_mock(fake_gpio_libs: Path) -> None:
    # RPi.GPIO installs on any Linux but refuses to import off a Pi.
    (fake_gpio_libs / "RPi").mkdir()
    (fake_gpio_libs / "RPi" / "__init__.py").write_text("")
    (fake_gpio_libs / "RPi" / "GPIO.py").write_text(
        "raise RuntimeError('This module can only be run on a Raspberry Pi!')\n"
    )
    with pytest.raises(BackendUnavailable, match="runs only on a Raspberry Pi") as info:
        rpigpio_factory()
    assert 'hal.gpio = "mock"' in info.value.fix


def test_lgpio_without_a_gpio_chip_is_a_part_error(fake_gpio_libs: Path) -> None:
    (fake_gpio_libs / "lgpio.py").write_text(
        "class error(Exception):\n    pass\n"
        "def __getattr__(name):\n"
        "    if name.isupper():\n        return 0\n"
        "    def fail(*args, **kwargs):\n"
        "        raise error('can not open gpiochip')\n"
        "    return fail\n"
    )
    with pytest.raises(PartError) as info:
        lgpio_factory()
    # off a Pi gpiozero cannot tell the board; on a Pi the chip would fail to open
    assert "Raspberry Pi" in str(info.value) or "gpiochip" in str(info.value)
    assert info.value.fix
