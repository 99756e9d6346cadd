"""Schematic symbols of the kit, as data both the KiCad writer and the SVG renderer draw.

Coordinates are millimetres in KiCad's symbol space (y up). Every pin's connection point
sits on the 1.27 mm grid so wires meet pins exactly. A pin's `angle` points from its
connection point toward the body (0 = body to the right, 90 = body above).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LIB = "camsweep"  # library nickname: lib_id "camsweep:R"


@dataclass(frozen=True)
class Pin:
    number: str
    name: str
    x: float
    y: float
    angle: int
    length: float
    etype: str = "passive"
    hidden: bool = False


@dataclass(frozen=True)
class Rect:
    x1: float
    y1: float
    x2: float
    y2: float
    fill: bool = False


@dataclass(frozen=True)
class Poly:
    points: tuple[tuple[float, float], ...]
    fill: bool = False


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float = 1.27


Graphic = Rect | Poly | Circle | Text


@dataclass(frozen=True)
class Symbol:
    """A library symbol: pins, body graphics and how KiCad should show pin names/numbers."""

    name: str
    ref_prefix: str
    description: str
    pins: tuple[Pin, ...]
    graphics: tuple[Graphic, ...]
    show_pin_names: bool = False
    show_pin_numbers: bool = False
    power: bool = False
    symmetric: bool = False  # two interchangeable pins: safe to place rotated
    filled: bool = False  # a module drawn as a filled box
    body_half_width: float = 2.54  # where placed-symbol text goes, right of the body
    extra_fields: tuple[str, ...] = field(default_factory=tuple)

    @property
    def lib_id(self) -> str:
        return f"{LIB}:{self.name}"

    def pin(self, key: str) -> Pin:
        """A pin by number or by name."""
        for p in self.pins:
            if key in (p.number, p.name):
                return p
        raise KeyError(f"{self.name} has no pin {key!r}")


def _two_pin_vertical(
    top: tuple[str, str], bottom: tuple[str, str], reach: float, length: float
) -> tuple[Pin, Pin]:
    return (
        Pin(top[0], top[1], 0.0, reach, 270, length),
        Pin(bottom[0], bottom[1], 0.0, -reach, 90, length),
    )


def resistor() -> Symbol:
    return Symbol(
        "R", "R", "Resistor",
        _two_pin_vertical(("1", "~"), ("2", "~"), 3.81, 1.27),
        (Rect(-1.016, -2.54, 1.016, 2.54),),
        symmetric=True, body_half_width=1.27,
    )  # fmt: skip


def capacitor_polarized() -> Symbol:
    return Symbol(
        "C_Pol", "C", "Polarized capacitor (+ on top)",
        _two_pin_vertical(("1", "+"), ("2", "-"), 3.81, 3.048),
        (
            Poly(((-2.032, 0.762), (2.032, 0.762))),
            Rect(-2.032, -0.762, 2.032, -0.254, fill=True),
            Text(-1.524, 1.778, "+", 1.0),
        ),
        body_half_width=2.286,
    )  # fmt: skip


def led() -> Symbol:
    arrows = (
        Poly(((1.524, 0.254), (2.794, -0.508))),
        Poly(((2.286, -0.508), (2.794, -0.508), (2.54, -0.127))),
        Poly(((1.524, -0.762), (2.794, -1.524))),
        Poly(((2.286, -1.524), (2.794, -1.524), (2.54, -1.143))),
    )
    return Symbol(
        "LED_IR", "D", "Infrared LED (anode on top)",
        _two_pin_vertical(("2", "A"), ("1", "K"), 3.81, 2.54),
        (
            Poly(((-1.27, 1.27), (1.27, 1.27), (0.0, -1.27), (-1.27, 1.27))),
            Poly(((-1.27, -1.27), (1.27, -1.27))),
            *arrows,
        ),
        body_half_width=3.048,
    )  # fmt: skip


def diode() -> Symbol:
    return Symbol(
        "D", "D", "Diode (cathode on top)",
        _two_pin_vertical(("1", "K"), ("2", "A"), 3.81, 2.54),
        (
            Poly(((-1.27, -1.27), (1.27, -1.27), (0.0, 1.27), (-1.27, -1.27))),
            Poly(((-1.27, 1.27), (1.27, 1.27))),
        ),
        body_half_width=1.524,
    )  # fmt: skip


def nmos() -> Symbol:
    return Symbol(
        "Q_NMOS_GSD", "Q", "N-channel logic-level MOSFET (SOT-23: 1 G, 2 S, 3 D)",
        (
            Pin("1", "G", -5.08, 0.0, 0, 2.54),
            Pin("3", "D", 2.54, 5.08, 270, 2.54),
            Pin("2", "S", 2.54, -5.08, 90, 2.54),
        ),
        (
            Poly(((-1.778, -1.905), (-1.778, 1.905))),
            Poly(((-1.016, 1.27), (-1.016, 2.286))),
            Poly(((-1.016, -0.508), (-1.016, 0.508))),
            Poly(((-1.016, -2.286), (-1.016, -1.27))),
            Poly(((-1.016, 1.778), (2.54, 1.778), (2.54, 2.54))),
            Poly(((-1.016, -1.778), (2.54, -1.778), (2.54, -2.54))),
            Poly(((-1.016, 0.0), (2.54, 0.0), (2.54, -1.778))),
            Poly(((-1.016, 0.0), (0.0, 0.381), (0.0, -0.381), (-1.016, 0.0)), fill=True),
            Circle(0.508, 0.0, 3.175),
        ),
        show_pin_names=False, body_half_width=3.81,
    )  # fmt: skip


def npn() -> Symbol:
    return Symbol(
        "Q_NPN_CBE", "Q", "NPN transistor (TO-92 BC337: 1 C, 2 B, 3 E)",
        (
            Pin("2", "B", -5.08, 0.0, 0, 2.54),
            Pin("1", "C", 2.54, 5.08, 270, 2.54),
            Pin("3", "E", 2.54, -5.08, 90, 2.54),
        ),
        (
            Poly(((-2.54, 0.0), (-0.762, 0.0))),
            Poly(((-0.762, -1.905), (-0.762, 1.905))),
            Poly(((-0.762, 0.635), (2.54, 2.54))),
            Poly(((-0.762, -0.635), (2.54, -2.54))),
            Poly(((1.88, -2.159), (1.362, -1.456), (1.012, -2.062), (1.88, -2.159)), fill=True),
            Circle(0.635, 0.0, 3.175),
        ),
        body_half_width=3.81,
    )  # fmt: skip


def round_two_pin(name: str, prefix: str, description: str, mark: str) -> Symbol:
    return Symbol(
        name, prefix, description,
        _two_pin_vertical(("1", "+"), ("2", "-"), 5.08, 2.54),
        (Circle(0.0, 0.0, 2.54), Text(0.0, 0.0, mark, 1.27), Text(-1.778, 3.302, "+", 1.0)),
        body_half_width=2.794,
    )  # fmt: skip


def push_button() -> Symbol:
    return Symbol(
        "SW_Push", "SW", "Momentary push button, normally open",
        _two_pin_vertical(("1", "1"), ("2", "2"), 5.08, 2.54),
        (
            Circle(0.0, 2.032, 0.508),
            Circle(0.0, -2.032, 0.508),
            Poly(((-1.016, -2.794), (-1.016, 2.794))),
            Poly(((-1.016, 0.0), (-2.54, 0.0))),
            Poly(((-2.54, 0.762), (-2.54, -0.762))),
        ),
        body_half_width=1.27,
    )  # fmt: skip


def power(name: str, ground: bool) -> Symbol:
    if ground:
        body: tuple[Graphic, ...] = (
            Poly(((0.0, 0.0), (0.0, -1.27))),
            Poly(((-1.27, -1.27), (1.27, -1.27), (0.0, -2.54), (-1.27, -1.27))),
        )
    else:
        body = (
            Poly(((0.0, 0.0), (0.0, 1.27))),
            Poly(((-0.762, 1.27), (0.0, 2.54), (0.762, 1.27))),
        )
    return Symbol(
        name, "#PWR", f"Power net {name}",
        (Pin("1", name, 0.0, 0.0, 90 if ground else 270, 0.0, "power_in", hidden=True),),
        body, power=True,
    )  # fmt: skip


def antenna() -> Symbol:
    return Symbol(
        "Antenna", "AE", "Antenna on SMA",
        (Pin("1", "A", 0.0, -2.54, 90, 2.54),),
        (
            Poly(((0.0, 0.0), (0.0, 3.81))),
            Poly(((-1.905, 3.81), (1.905, 3.81), (0.0, 1.27), (-1.905, 3.81))),
        ),
        body_half_width=2.54,
    )  # fmt: skip
