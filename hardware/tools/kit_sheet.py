"""The schematic as data: placed symbols, wires, labels and notes on a 1.27 mm grid.

Positions are integer grid steps (1 step = 1.27 mm, KiCad's default schematic grid);
schematic y grows downward as in KiCad. Symbols rotate counter-clockwise as in KiCad's
`(at x y angle)`. The writers (KiCad and SVG) only convert units. `split_and_join` splits
every wire where another wire ends or a pin sits on it, so connections are always at wire
ends, which is how the checks in tests/hardware read the file back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from kit_symbols import Rect, Symbol

GRID_MM = 1.27
Point = tuple[int, int]


def to_grid(mm: float) -> int:
    """A symbol-space length in mm as whole grid steps; off-grid pins are a bug."""
    steps = round(mm / GRID_MM)
    if abs(steps * GRID_MM - mm) > 1e-6:
        raise ValueError(f"{mm} mm is not on the {GRID_MM} mm grid")
    return steps


def rotate(x: float, y: float, angle: int) -> tuple[float, float]:
    """Rotate a symbol-space vector counter-clockwise by a multiple of 90 degrees."""
    turns = (angle // 90) % 4
    for _ in range(turns):
        x, y = -y, x
    return x, y


@dataclass(frozen=True)
class Placed:
    ref: str
    symbol: Symbol
    value: str
    at: Point
    angle: int = 0
    fields: tuple[tuple[str, str], ...] = ()

    def pin_point(self, key: str) -> Point:
        """Schematic grid position of a pin's connection point."""
        pin = self.symbol.pin(key)
        rx, ry = rotate(pin.x, pin.y, self.angle)
        return self.at[0] + to_grid(rx), self.at[1] - to_grid(ry)


@dataclass(frozen=True)
class Wire:
    a: Point
    b: Point


@dataclass(frozen=True)
class Label:
    name: str
    at: Point
    angle: int = 0  # 0: text runs right of the point; 180: left of it


@dataclass(frozen=True)
class Note:
    at: Point
    text: str
    size_mm: float = 1.27


@dataclass
class Schematic:
    parts: list[Placed] = field(default_factory=list)
    wires: list[Wire] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    no_connects: list[Point] = field(default_factory=list)
    junctions: list[Point] = field(default_factory=list)

    def part(self, ref: str) -> Placed:
        return next(p for p in self.parts if p.ref == ref)


def split_and_join(sch: Schematic) -> None:
    """Split wires wherever a wire end or pin lies inside them; add junction dots."""
    points: set[Point] = {w.a for w in sch.wires} | {w.b for w in sch.wires}
    for part in sch.parts:
        points |= {part.pin_point(p.number) for p in part.symbol.pins}
    split: list[Wire] = []
    for w in sch.wires:
        inside = sorted(p for p in points if _strictly_inside(p, w))
        chain = [min(w.a, w.b), *inside, max(w.a, w.b)]
        split += [Wire(a, c) for a, c in pairwise(chain)]
    sch.wires = split
    ends: Counter[Point] = Counter()
    for w in split:
        ends[w.a] += 1
        ends[w.b] += 1
    for part in sch.parts:
        for p in part.symbol.pins:
            pt = part.pin_point(p.number)
            if pt in ends:
                ends[pt] += 1
    sch.junctions = sorted(p for p, n in ends.items() if n >= 3)


def _strictly_inside(p: Point, w: Wire) -> bool:
    (ax, ay), (bx, by) = w.a, w.b
    if ax == bx == p[0]:
        return min(ay, by) < p[1] < max(ay, by)
    if ay == by == p[1]:
        return min(ax, bx) < p[0] < max(ax, bx)
    return False


@dataclass(frozen=True)
class FieldText:
    """A placed symbol's property as drawn: name, text, position in mm, alignment, shown."""

    name: str
    text: str
    x_mm: float
    y_mm: float
    justify: str  # "left", "center" or "right"
    visible: bool


def field_texts(part: Placed) -> list[FieldText]:
    """Where the Reference, Value and extra fields of a placed symbol are drawn."""
    x, y = part.at[0] * GRID_MM, part.at[1] * GRID_MM
    sym = part.symbol
    fields: list[FieldText] = []
    if sym.power:
        fields.append(FieldText("Reference", part.ref, x, y, "center", False))
        reach = 3.81 if sym.name == "GND" else 3.048
        # Where the port's graphic points: GND hangs down, supplies point up, then rotated.
        dx, dy = rotate(0.0, -reach if sym.name == "GND" else reach, part.angle)
        justify = "center" if dx == 0 else ("left" if dx > 0 else "right")
        fields.append(FieldText("Value", part.value, x + dx, y - dy, justify, True))
        return fields
    if part.angle:
        fields.append(FieldText("Reference", part.ref, x, y - 1.905, "center", True))
        fields.append(FieldText("Value", part.value, x, y + 3.175, "center", True))
        shown_below = y + 5.08
    elif sym.filled:
        body = next(g for g in sym.graphics if isinstance(g, Rect))
        top, bottom = max(body.y1, body.y2), min(body.y1, body.y2)
        if any(p.angle == 90 for p in sym.pins):  # pins leave the bottom: text goes on top
            fields.append(FieldText("Reference", part.ref, x, y - top - 3.81, "center", True))
            fields.append(FieldText("Value", part.value, x, y - top - 1.27, "center", True))
        elif any(p.angle == 270 for p in sym.pins):  # pins enter the top: reference at the side
            middle = y - (top + bottom) / 2
            fields.append(
                FieldText("Reference", part.ref, x + body.x1 - 1.27, middle, "right", True)
            )
            fields.append(FieldText("Value", part.value, x, y - bottom + 2.54, "center", True))
        else:
            fields.append(FieldText("Reference", part.ref, x, y - top - 1.27, "center", True))
            fields.append(FieldText("Value", part.value, x, y - bottom + 2.54, "center", True))
        shown_below = y - bottom + 5.08
    else:
        tx = x + sym.body_half_width + 0.762
        fields.append(FieldText("Reference", part.ref, tx, y - 0.635, "left", True))
        fields.append(FieldText("Value", part.value, tx, y + 1.905, "left", True))
        shown_below = y + 4.445
    for name, text in part.fields:
        visible = name not in ("MPN", "I2C bus")
        fields.append(FieldText(name, text, x, shown_below, "center", visible))
        if visible:
            shown_below += 2.54
    return fields
