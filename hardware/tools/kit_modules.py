"""Module symbols (Pi header, OLED, camera, SDR, antenna, power bank) and the whole library."""

from __future__ import annotations

from dataclasses import replace

from kit_config import POWER_PINS, header_pin_name
from kit_symbols import (
    Pin,
    Rect,
    Symbol,
    Text,
    antenna,
    capacitor_polarized,
    diode,
    led,
    nmos,
    npn,
    power,
    push_button,
    resistor,
    round_two_pin,
)


def _module(
    name: str,
    prefix: str,
    description: str,
    pins: tuple[Pin, ...],
    body: Rect,
    label: str,
    show_pins: bool = True,
) -> Symbol:
    cx = (body.x1 + body.x2) / 2
    cy = (body.y1 + body.y2) / 2
    return Symbol(
        name, prefix, description, pins,
        (body, Text(cx, cy, label, 1.27)),
        show_pin_names=show_pins, show_pin_numbers=show_pins, body_half_width=body.x2,
        filled=True,
    )  # fmt: skip


def _oled() -> Symbol:
    pins = (
        Pin("2", "VCC", -10.16, 7.62, 0, 2.54, "power_in"),
        Pin("1", "GND", -10.16, 2.54, 0, 2.54, "power_in"),
        Pin("3", "SCL", -10.16, -2.54, 0, 2.54, "input"),
        Pin("4", "SDA", -10.16, -7.62, 0, 2.54, "bidirectional"),
    )
    sym = _module(
        "OLED_I2C", "U", "0.96 in 128x64 I2C OLED module (SSD1306/SH1106); pins 1 GND 2 VCC",
        pins, Rect(-7.62, -10.16, 7.62, 10.16), "OLED",
    )  # fmt: skip
    return replace(sym, extra_fields=("I2C address", "I2C bus"))


def _raspberry_pi() -> Symbol:
    pins = []
    driving: set[str] = set()
    for n in range(1, 41):
        row = (n - 1) // 2
        odd = n % 2 == 1
        etype = "bidirectional"
        if n in POWER_PINS:
            # One pin per supply drives its net; the Pi ties the others to it internally,
            # so they are passive (KiCad's ERC rejects two power outputs on one net).
            etype = "passive" if POWER_PINS[n] in driving else "power_out"
            driving.add(POWER_PINS[n])
        pins.append(
            Pin(
                str(n), header_pin_name(n),
                -20.32 if odd else 20.32, 24.13 - 2.54 * row,
                0 if odd else 180, 2.54, etype,
            )
        )  # fmt: skip
    pins += [
        Pin("PWR", "PWR_IN", -12.7, -36.83, 90, 2.54),
        Pin("USB", "USB_A", 0.0, -36.83, 90, 2.54),
        Pin("CSI", "CSI", 12.7, -36.83, 90, 2.54),
    ]
    return _module(
        "RPi_40pin", "U", "Raspberry Pi 4 / 5 / Zero 2 W: 40-pin header, USB-A, CSI, power in",
        tuple(pins), Rect(-17.78, -34.29, 17.78, 26.67), "",
    )  # fmt: skip


def _camera() -> Symbol:
    return _module(
        "PiCam_NoIR", "U", "Raspberry Pi NoIR camera module (v2 or v3)",
        (Pin("1", "CSI", 0.0, 5.08, 270, 2.54),), Rect(-7.62, -5.08, 7.62, 2.54), "NoIR",
        show_pins=False,
    )  # fmt: skip


def _rtlsdr() -> Symbol:
    return _module(
        "RTL_SDR", "U", "RTL-SDR Blog V3/V4 USB dongle",
        (Pin("1", "USB", 0.0, 5.08, 270, 2.54), Pin("2", "ANT", 12.7, 0.0, 180, 2.54)),
        Rect(-10.16, -3.81, 10.16, 2.54), "RTL-SDR", show_pins=False,
    )  # fmt: skip


def _power_bank() -> Symbol:
    return _module(
        "PowerBank_5V", "BT", "5 V USB power bank (10,000 mAh, 3 A port)",
        (Pin("1", "5V_OUT", 0.0, 5.08, 270, 2.54),), Rect(-8.89, -5.08, 8.89, 2.54), "5 V bank",
        show_pins=False,
    )  # fmt: skip


def symbol_library() -> dict[str, Symbol]:
    """Every symbol the kit's schematic uses, by name."""
    symbols = [
        resistor(), capacitor_polarized(), led(), diode(), nmos(), npn(),
        round_two_pin("Buzzer", "BZ", "Passive magnetic buzzer", "BZ"),
        round_two_pin("Motor", "M", "Coin vibration motor", "M"),
        push_button(), power("GND", True), power("+5V", False), power("+3V3", False),
        _oled(), _raspberry_pi(), _camera(), _rtlsdr(), antenna(), _power_bank(),
    ]  # fmt: skip
    return {s.name: s for s in symbols}
