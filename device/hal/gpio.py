"""GPIO parts on gpiozero: IR ring, buzzer, vibration motor, buttons, and their pin factories.

The devices are ordinary gpiozero devices; only the pin factory changes between a Pi
(RPi.GPIO on Pi <= 4, lgpio on Pi 5) and a normal computer (`MockFactory` with PWM-capable
mock pins, whose `states` history tests read). Factories are always passed explicitly, never
through gpiozero's global `Device.pin_factory`. Pin numbers are BCM (see defaults.toml
[pins] and hardware/wiring.md).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from device.clock import VirtualClock
from device.hal.base import BackendUnavailable, ButtonHandler, ButtonName, PartError, PressKind

if TYPE_CHECKING:
    from device.clock import Clock
    from device.hal.registry import BuildContext

log = logging.getLogger(__name__)

# 2 kHz ring PWM: 16 periods inside an 8 ms exposure keep ON frames alike to a few percent,
# and the software PWM of RPi.GPIO / lgpio is still steady at this rate.
RING_PWM_HZ = 2000.0
# Ring transitions kept for the frame/ring sync: ~5 min of toggling at 15 Hz, bounded memory.
RING_HISTORY = 4096
# A switch scheduled closer than this to now is refused: the scheduler thread would not wake
# in time (Linux timer slack plus a Python thread switch stay well under a millisecond).
RING_LEAD_S = 0.002
# Contact bounce of small tactile switches settles within ~5-10 ms; 20 ms leaves margin
# and is far below the quickest deliberate press.
BUTTON_BOUNCE_S = 0.02
# Audible range a passive buzzer is driven in; outside it a "tone" is a wiring/logic error.
TONE_MIN_HZ = 20.0
TONE_MAX_HZ = 20_000.0
# Any frequency will do while the buzzer is silent (duty 0) before the first tone.
BUZZER_IDLE_HZ = 1000.0

_GPIO_FIX = (
    "check that /dev/gpiochip0 exists and that the user is in the gpio group "
    '(./install.sh --pi), or set hal.gpio = "mock" on a computer that is not a Pi'
)


def mock_factory() -> Any:
    """gpiozero's mock pins with PWM support: what runs on any computer and in tests."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    return MockFactory(pin_class=MockPWMPin)


def rpigpio_factory() -> Any:
    """RPi.GPIO pins (Raspberry Pi 4 and earlier; it fails on a Pi 5)."""
    return _real_factory("rpigpio", "gpiozero.pins.rpigpio", "RPiGPIOFactory")


def lgpio_factory() -> Any:
    """lgpio pins (Raspberry Pi 5, also works on a Pi 4)."""
    return _real_factory("lgpio", "gpiozero.pins.lgpio", "LGPIOFactory")


def _real_factory(name: str, module_name: str, attr: str) -> Any:
    import importlib

    from device.hal.registry import missing_library

    try:
        factory_cls = getattr(importlib.import_module(module_name), attr)
        return factory_cls()
    except ImportError as exc:
        raise missing_library("gpio", name, exc) from exc
    except Exception as exc:  # RuntimeError, PinUnknownPi, lgpio.error, OSError: no usable GPIO
        if type(exc).__name__ == "PinUnknownPi" or "on a Raspberry Pi" in str(exc):
            raise BackendUnavailable(
                "gpio",
                f"the {name!r} GPIO backend runs only on a Raspberry Pi ({exc})",
                'set hal.gpio = "mock" on any other computer',
            ) from exc
        raise PartError("gpio", f"cannot open the GPIO pins: {exc}", _GPIO_FIX) from exc


def pin_factory_for(ctx: BuildContext) -> Any:
    """The context's pin factory, built from config.hal.gpio (and kept) on first use."""
    if ctx.pin_factory is None:
        from device.hal.registry import resolve

        ctx.pin_factory = resolve("gpio", ctx.config.hal.gpio)()
    return ctx.pin_factory


class _Part:
    """A gpiozero device behind a lock; closing switches it off and frees the pin, once."""

    def __init__(self, device: Any) -> None:
        self._device = device
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._device.value = 0
            self._device.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GpioRing(_Part):
    """The IR LED ring, switched by a logic-level N-MOSFET on one GPIO.

    Wiring: GPIO -> 100 ohm -> MOSFET gate, 100 kohm gate-to-GND pull-down (ring stays dark
    while the Pi boots), source to GND, drain to the ring's low side, ring + its resistors
    from 5 V. Every change is logged as (t_s, on) on the injected clock, taken right after
    the pin write; the log starts with the initial OFF state so any time can be looked up.
    """

    def __init__(
        self,
        pin: int,
        factory: Any,
        clock: Clock,
        pwm: bool = False,
        brightness: float = 1.0,
        pwm_hz: float = RING_PWM_HZ,
        history: int = RING_HISTORY,
    ) -> None:
        from gpiozero import DigitalOutputDevice, PWMOutputDevice

        if not 0.0 <= brightness <= 1.0:
            raise ValueError("brightness must be within 0..1 (ring.brightness)")
        super().__init__(
            PWMOutputDevice(pin, initial_value=0, frequency=pwm_hz, pin_factory=factory)
            if pwm
            else DigitalOutputDevice(pin, initial_value=False, pin_factory=factory)
        )
        self._clock = clock
        self._level = brightness if pwm else 1.0
        self._pwm = pwm
        self._on = False
        self._log: deque[tuple[float, bool]] = deque([(clock.now(), False)], maxlen=history)
        # (t_s, duty) of every switch ON: what the ring shone at from then on
        self._duties: deque[tuple[float, float]] = deque([(clock.now(), self._level)],
                                                         maxlen=history)
        self._pending: deque[tuple[float, bool, float]] = deque()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._virtual = isinstance(clock, VirtualClock)

    @classmethod
    def from_config(cls, ctx: BuildContext) -> GpioRing:
        cfg = ctx.config
        return cls(
            cfg.pins.ir_ring, pin_factory_for(ctx), ctx.clock, cfg.ring.pwm, cfg.ring.brightness
        )

    @property
    def is_on(self) -> bool:
        with self._lock:
            return self._on

    def set(self, on: bool) -> None:
        with self._lock:
            if self._closed:
                raise PartError("ir_ring", "the ring was closed", "build a new ring")
            self._cancel_pending()
            if on == self._on:
                return
            self._write(on, self._clock.now(), self._level)

    @property
    def can_dim(self) -> bool:
        """True when the ring is on PWM and `set_at` can switch it on at a lower level."""
        return self._pwm

    def duty_at(self, t_s: float) -> float:
        """The duty cycle the ring shone at, at time `t_s` (while it was on)."""
        with self._lock:
            for t, duty in reversed(self._duties):
                if t <= t_s:
                    return duty
            return self._level

    def set_at(self, on: bool, at_s: float, scale: float = 1.0) -> bool:
        """Switch at device time `at_s` (between two exposures); False when that is too soon.

        `scale` (0..1] dims an ON switch below `ring.brightness` when the ring is on PWM.

        On a virtual clock there is no real instant to wait for: the switch is logged at
        `at_s` itself, which is what the simulated camera reads. On the device a scheduler
        thread sleeps until then and logs the time the pin was actually written.
        """
        with self._lock:
            if self._closed:
                raise PartError("ir_ring", "the ring was closed", "build a new ring")
            last = self._pending[-1][0] if self._pending else self._log[-1][0]
            if at_s < self._clock.now() + RING_LEAD_S or at_s <= last:
                return False
            duty = self._level * min(1.0, max(0.0, scale)) if self._pwm else self._level
            if self._virtual:
                if on != self._on:
                    self._write(on, at_s, duty)
                return True
            self._pending.append((at_s, on, duty))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run_schedule, name="ir-ring",
                                                daemon=True)
                self._thread.start()
            self._wake.notify()
            return True

    def _write(self, on: bool, t_s: float, duty: float) -> None:
        self._device.value = duty if on else 0
        self._on = on
        self._log.append((t_s, on))
        if on:
            self._duties.append((t_s, duty))

    def _cancel_pending(self) -> None:
        """Drop scheduled switches (a direct `set` overrides them); caller holds the lock."""
        self._pending.clear()
        now = self._clock.now()
        while len(self._duties) > 1 and self._duties[-1][0] > now:  # virtual: not yet happened
            self._duties.pop()
        while len(self._log) > 1 and self._log[-1][0] > now:
            self._log.pop()
            self._on = self._log[-1][1]
            self._device.value = self._duties[-1][1] if self._on else 0

    def _run_schedule(self) -> None:
        with self._lock:
            while not self._closed:
                if not self._pending:
                    self._wake.wait()
                    continue
                at_s, on, duty = self._pending[0]
                wait_s = at_s - self._clock.now()
                if wait_s > 0:
                    self._wake.wait(wait_s)
                    continue  # re-check: closed, cancelled or a new first entry
                self._pending.popleft()
                if on != self._on:
                    self._write(on, self._clock.now(), duty)

    def close(self) -> None:
        with self._lock:
            self._pending.clear()
        super().close()
        with self._lock:
            self._wake.notify_all()  # the scheduler thread sees the ring closed and ends

    def transitions(self, since_s: float = 0.0) -> list[tuple[float, bool]]:
        # Called for every frame: walk back from the newest entry, the log is in time order.
        out: list[tuple[float, bool]] = []
        with self._lock:
            for entry in reversed(self._log):
                if entry[0] < since_s:
                    break
                out.append(entry)
        out.reverse()
        return out


class GpioBuzzer(_Part):
    """A passive buzzer on PWM: frequency = tone, duty cycle = volume (0..1).

    Wiring: GPIO -> 1 kohm -> NPN base (e.g. S8050), emitter to GND, buzzer between 3V3 and
    the collector with a 1N4148 across it. Use a hardware-PWM pin (GPIO12/13/18/19).
    """

    def __init__(self, pin: int, factory: Any, volume: float) -> None:
        from gpiozero import PWMOutputDevice

        if not 0.0 <= volume <= 1.0:
            raise ValueError("volume must be within 0..1 (ui.buzzer_volume)")
        super().__init__(
            PWMOutputDevice(pin, initial_value=0, frequency=BUZZER_IDLE_HZ, pin_factory=factory)
        )
        self._volume = volume

    @classmethod
    def from_config(cls, ctx: BuildContext) -> GpioBuzzer:
        cfg = ctx.config
        return cls(cfg.pins.buzzer, pin_factory_for(ctx), cfg.ui.buzzer_volume)

    def tone(self, freq_hz: float) -> None:
        if not TONE_MIN_HZ <= freq_hz <= TONE_MAX_HZ:
            raise ValueError(f"tone {freq_hz} Hz is outside {TONE_MIN_HZ:g}..{TONE_MAX_HZ:g} Hz")
        with self._lock:
            if self._closed:
                return
            self._device.frequency = freq_hz
            self._device.value = self._volume

    def off(self) -> None:
        with self._lock:
            if not self._closed:
                self._device.value = 0


class GpioVibration(_Part):
    """A vibration motor for silent mode.

    Wiring: GPIO -> 1 kohm -> NPN base, motor from 5 V to the collector, a 1N4148 across the
    motor (it is inductive), emitter to GND.
    """

    def __init__(self, pin: int, factory: Any) -> None:
        from gpiozero import DigitalOutputDevice

        super().__init__(DigitalOutputDevice(pin, initial_value=False, pin_factory=factory))

    @classmethod
    def from_config(cls, ctx: BuildContext) -> GpioVibration:
        return cls(ctx.config.pins.vibration, pin_factory_for(ctx))

    def set(self, on: bool) -> None:
        with self._lock:
            if not self._closed:
                self._device.value = bool(on)


@dataclass
class _PressState:
    down: bool = False
    t_down_s: float = 0.0
    reported: bool = True


class GpioButtons(_Part):
    """The "mode" and "ack" push buttons; each press is reported once, as short or long.

    Wiring: each button from its GPIO to GND, internal pull-up (no resistor needed).
    A press is "long" when gpiozero's hold timer fires (`hold_time` = long_press_s), or, if
    it has not, when the release comes long_press_s or more after the press on the injected
    clock. Duplicate or missing edges (switch bounce, gpiozero's debounce quirks) are
    absorbed: a press is reported at most once. Handlers run on gpiozero's callback threads:
    keep them short (queue the event).
    """

    def __init__(
        self,
        pins: Mapping[ButtonName, int],
        factory: Any,
        clock: Clock,
        long_press_s: float,
        bounce_s: float | None = BUTTON_BOUNCE_S,
    ) -> None:
        from gpiozero import Button

        super().__init__(None)
        self._clock = clock
        self._long_press_s = long_press_s
        self._handlers: list[ButtonHandler] = []
        self._state: dict[ButtonName, _PressState] = {}
        self._buttons: dict[ButtonName, Any] = {}
        try:
            for name, pin in pins.items():
                self._state[name] = _PressState()
                button = self._buttons[name] = Button(
                    pin, pull_up=True, bounce_time=bounce_s, hold_time=long_press_s,
                    pin_factory=factory,
                )  # fmt: skip
                button.when_pressed = partial(self._pressed, name)
                button.when_held = partial(self._held, name)
                button.when_released = partial(self._released, name)
        except Exception:
            self.close()
            raise

    @classmethod
    def from_config(cls, ctx: BuildContext) -> GpioButtons:
        cfg = ctx.config
        pins: dict[ButtonName, int] = {"mode": cfg.pins.button_mode, "ack": cfg.pins.button_ack}
        return cls(pins, pin_factory_for(ctx), ctx.clock, cfg.ui.long_press_s)

    def on_press(self, handler: ButtonHandler) -> None:
        with self._lock:
            self._handlers.append(handler)

    def _pressed(self, name: ButtonName) -> None:
        now = self._clock.now()
        with self._lock:
            state = self._state[name]
            if state.down and not state.reported:
                return  # a repeated edge of the same press: keep its start time
            state.down, state.t_down_s, state.reported = True, now, False

    def _held(self, name: ButtonName) -> None:
        with self._lock:
            state = self._state[name]
            # gpiozero can fire "held" just after a release: trust the pin, not the timer.
            if not state.down or state.reported or not self._buttons[name].is_pressed:
                return
            state.reported = True
        self._emit(name, "long")

    def _released(self, name: ButtonName) -> None:
        now = self._clock.now()
        with self._lock:
            state = self._state[name]
            if not state.down:
                return
            state.down = False
            if state.reported:
                return
            state.reported = True
            kind: PressKind = "long" if now - state.t_down_s >= self._long_press_s else "short"
        self._emit(name, kind)

    def _emit(self, name: ButtonName, kind: PressKind) -> None:
        with self._lock:
            handlers = list(self._handlers)
        log.debug("button %s: %s press", name, kind)
        for handler in handlers:
            try:
                handler(name, kind)
            except Exception:
                log.exception("button handler %r failed on %s/%s", handler, name, kind)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._handlers.clear()
            buttons = list(self._buttons.values())
        for button in buttons:
            button.close()
