"""Buzzer and vibration patterns on gpiozero's MockPWMPin timelines."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from device.hal.gpio import GpioBuzzer, GpioVibration
from device.ui.sounds import PATTERNS, SoundPlayer, geiger_pattern, geiger_rate_hz

BUZZER, MOTOR = 13, 16


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.reset()


def on_edges(pin: MockPWMPin) -> list[float]:
    """Times (s, pin clock) at which the output went from off to on."""
    out, prev = [], 0.0
    t = 0.0
    for s in pin.states:
        t += s.timestamp
        if prev == 0 and s.state > 0:
            out.append(t)
        prev = s.state
    return out


def play_for(player: SoundPlayer, seconds: float) -> None:
    time.sleep(seconds)
    player.silence()
    time.sleep(0.05)


def test_geiger_rate_rises_with_strength() -> None:
    rates = [geiger_rate_hz(s) for s in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert rates == sorted(rates) and rates[0] == 1.0 and rates[-1] == 25.0
    assert geiger_rate_hz(-1) == 1.0 and geiger_rate_hz(2) == 25.0
    period = sum(d for _f, d in geiger_pattern(0.5).steps)
    assert period == pytest.approx(1 / geiger_rate_hz(0.5))


def test_lens_and_rf_alerts_are_distinct() -> None:
    lens, rf = PATTERNS["lens_alert"], PATTERNS["rf_alert"]
    assert {f for f, _ in lens.steps if f} != {f for f, _ in rf.steps if f}
    assert lens.repeat and rf.repeat


def test_buzzer_plays_the_tone_at_the_configured_volume(factory: MockFactory) -> None:
    buzzer = GpioBuzzer(BUZZER, factory, volume=0.5)
    player = SoundPlayer(buzzer, None, mute=False, silent=False)
    pin = factory.pin(BUZZER)
    player.play("lens_alert")
    time.sleep(0.03)
    assert pin.frequency == PATTERNS["lens_alert"].steps[0][0]
    assert pin.state == 0.5
    play_for(player, 0.3)
    assert len(on_edges(pin)) >= 2  # the triple beep has started repeating
    assert pin.state == 0
    player.close()
    buzzer.close()


def test_geiger_ticks_faster_when_closer(factory: MockFactory) -> None:
    counts = []
    for strength in (0.2, 0.9):
        buzzer = GpioBuzzer(BUZZER, factory, volume=0.5)
        player = SoundPlayer(buzzer, None, mute=False, silent=False)
        player.geiger(strength)
        play_for(player, 0.8)
        counts.append(len(on_edges(factory.pin(BUZZER))))
        player.close()
        buzzer.close()
        factory.reset()
    assert counts[1] > 3 * max(1, counts[0])


def test_mute_keeps_the_buzzer_off(factory: MockFactory) -> None:
    buzzer = GpioBuzzer(BUZZER, factory, volume=0.5)
    player = SoundPlayer(buzzer, None, mute=True, silent=False)
    player.play("rf_alert")
    play_for(player, 0.3)
    assert on_edges(factory.pin(BUZZER)) == []
    player.close()
    buzzer.close()


def test_silent_mode_drives_the_motor_not_the_buzzer(factory: MockFactory) -> None:
    buzzer = GpioBuzzer(BUZZER, factory, volume=0.5)
    motor = GpioVibration(MOTOR, factory)
    player = SoundPlayer(buzzer, motor, mute=False, silent=True)
    player.play("rf_alert")
    play_for(player, 0.5)
    assert on_edges(factory.pin(BUZZER)) == []
    assert len(on_edges(factory.pin(MOTOR))) >= 1
    assert factory.pin(MOTOR).state == 0
    player.close()
    motor.close()
    buzzer.close()
