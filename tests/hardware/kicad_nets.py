"""Read a KiCad 6+ .kicad_sch back into nets, independently of the generator that wrote it.

A small s-expression parser plus KiCad's connection rules as the kit's schematic uses them:
items connect where their points coincide (wire ends, pin connection points, label anchors,
power ports); power ports and labels name nets. Wires that would join in KiCad without a
shared end (a wire end or pin on the middle of another wire) are reported, not guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SExpr = list["SExpr"] | str

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"]+))')


class SExprError(ValueError):
    """The file is not a well-formed s-expression."""


def parse_sexpr(text: str) -> SExpr:
    """Parse one s-expression; strings lose their quotes, everything else stays a string."""
    stack: list[list[SExpr]] = [[]]
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SExprError(f"cannot read a token at offset {pos}")
        pos = m.end()
        if m.group(1):
            stack.append([])
        elif m.group(2):
            if len(stack) == 1:
                raise SExprError(f"unbalanced ')' at offset {pos}")
            done = stack.pop()
            stack[-1].append(done)
        elif m.group(3) is not None:
            stack[-1].append(re.sub(r"\\(.)", r"\1", m.group(3)))
        else:
            stack[-1].append(m.group(4))
    if len(stack) != 1 or len(stack[0]) != 1:
        raise SExprError("unbalanced '(' or more than one top-level expression")
    return stack[0][0]


def children(node: SExpr, tag: str) -> list[list[SExpr]]:
    """Direct child lists whose first item is `tag`."""
    assert isinstance(node, list)
    return [c for c in node if isinstance(c, list) and c and c[0] == tag]


def child(node: SExpr, tag: str) -> list[SExpr]:
    found = children(node, tag)
    if len(found) != 1:
        raise KeyError(f"expected one ({tag} ...), found {len(found)}")
    return found[0]


def _mm(v: SExpr) -> int:
    """Millimetres to integer hundredths, so coinciding points compare exactly."""
    assert isinstance(v, str)
    return round(float(v) * 100)


Point = tuple[int, int]


@dataclass(frozen=True)
class LibPin:
    number: str
    name: str
    x: float
    y: float
    etype: str


@dataclass
class PlacedSymbol:
    ref: str
    lib_id: str
    value: str
    properties: dict[str, str]
    pins: dict[str, Point]  # pin number -> connection point
    pin_names: dict[str, str]  # pin number -> pin name
    power: bool


@dataclass
class Netlist:
    """Nets of a schematic: each net is a set of (ref, pin number) plus its names."""

    nets: list[set[tuple[str, str]]] = field(default_factory=list)
    names: list[set[str]] = field(default_factory=list)
    symbols: dict[str, PlacedSymbol] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def net_of(self, ref: str, pin: str) -> int:
        for i, members in enumerate(self.nets):
            if (ref, pin) in members:
                return i
        raise KeyError(f"{ref}.{pin} is on no net")

    def pin_by_name(self, ref: str, name: str) -> str:
        sym = self.symbols[ref]
        matches = [n for n, pin_name in sym.pin_names.items() if pin_name == name]
        if len(matches) != 1:
            raise KeyError(f"{ref} has {len(matches)} pins named {name}")
        return matches[0]

    def members(self, ref: str, pin: str) -> set[tuple[str, str]]:
        return self.nets[self.net_of(ref, pin)]

    def named(self, ref: str, pin: str) -> set[str]:
        return self.names[self.net_of(ref, pin)]


def _lib_pins(lib_symbol: list[SExpr]) -> tuple[list[LibPin], bool]:
    pins: list[LibPin] = []
    nodes: list[list[SExpr]] = [lib_symbol, *children(lib_symbol, "symbol")]
    for node in nodes:
        for pin in children(node, "pin"):
            at = child(pin, "at")
            name = child(pin, "name")[1]
            number = child(pin, "number")[1]
            assert isinstance(at[1], str) and isinstance(at[2], str)
            assert isinstance(name, str) and isinstance(number, str)
            assert isinstance(pin[1], str)
            pins.append(LibPin(number, name, float(at[1]), float(at[2]), pin[1]))
    return pins, bool(children(lib_symbol, "power"))


def _rotate(x: float, y: float, angle: int) -> tuple[float, float]:
    for _ in range((angle // 90) % 4):
        x, y = -y, x
    return x, y


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    """p strictly between a and b on an axis-aligned segment."""
    if a[0] == b[0] == p[0]:
        return min(a[1], b[1]) < p[1] < max(a[1], b[1])
    if a[1] == b[1] == p[1]:
        return min(a[0], b[0]) < p[0] < max(a[0], b[0])
    return False


class _Points:
    """Union-find over connection points."""

    def __init__(self) -> None:
        self.parent: dict[Point, Point] = {}

    def find(self, p: Point) -> Point:
        self.parent.setdefault(p, p)
        while self.parent[p] != p:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        return p

    def union(self, a: Point, b: Point) -> None:
        self.parent[self.find(a)] = self.find(b)


def _text(node: SExpr) -> str:
    assert isinstance(node, str), f"expected an atom, got {node!r}"
    return node


def _xy(node: list[SExpr]) -> Point:
    """(at X Y ...) or (xy X Y) as integer hundredths of a millimetre."""
    return _mm(node[1]), _mm(node[2])


def _placed(root: list[SExpr], library: dict[str, tuple[list[LibPin], bool]]) -> Netlist:
    result = Netlist()
    for node in children(root, "symbol"):
        lib_id = _text(child(node, "lib_id")[1])
        if lib_id not in library:
            result.problems.append(f"{lib_id} is not embedded in lib_symbols")
            continue
        at = child(node, "at")
        x0, y0, angle = float(_text(at[1])), float(_text(at[2])), int(_text(at[3]))
        props = {_text(p[1]): _text(p[2]) for p in children(node, "property")}
        pins_def, power = library[lib_id]
        placed = PlacedSymbol(props["Reference"], lib_id, props["Value"], props, {}, {}, power)
        for pin in pins_def:
            rx, ry = _rotate(pin.x, pin.y, angle)
            placed.pins[pin.number] = (round((x0 + rx) * 100), round((y0 - ry) * 100))
            placed.pin_names[pin.number] = pin.name
        if placed.ref in result.symbols:
            result.problems.append(f"reference {placed.ref} is used twice")
        result.symbols[placed.ref] = placed
    return result


def _geometry_problems(
    wires: list[tuple[Point, Point]],
    pins: list[tuple[Point, str, str]],
    named: dict[Point, set[str]],
    no_connects: set[Point],
    symbols: dict[str, PlacedSymbol],
) -> list[str]:
    problems = []
    wire_ends = Counter(p for w in wires for p in w)
    pin_count = Counter(p for p, _, _ in pins)
    for p in set(wire_ends) | set(pin_count) | set(named):
        for a, b in wires:
            if _on_segment(p, a, b):
                problems.append(f"point {p} lies inside wire {a}-{b} (T without a split)")
    for point, names in named.items():
        if point not in wire_ends and point not in pin_count:
            problems.append(f"label {sorted(names)} at {point} touches nothing")
    for point, ref, number in pins:
        touched = point in wire_ends or pin_count[point] > 1 or point in no_connects
        if not symbols[ref].power and not touched:
            problems.append(f"{ref} pin {number} is not connected")
    for end, count in wire_ends.items():
        if count == 1 and end not in pin_count and end not in named:
            problems.append(f"wire end {end} is dangling")
    return problems


def read_netlist(path: Path) -> Netlist:
    """Parse a .kicad_sch and compute its nets."""
    root = parse_sexpr(path.read_text(encoding="utf-8"))
    if not isinstance(root, list) or not root or root[0] != "kicad_sch":
        raise SExprError(f"{path} is not a KiCad schematic (no kicad_sch root)")
    library = {
        _text(sym[1]): _lib_pins(sym) for sym in children(child(root, "lib_symbols"), "symbol")
    }
    result = _placed(root, library)
    points = _Points()
    pins = [(pt, ref, n) for ref, s in result.symbols.items() for n, pt in s.pins.items()]
    named: dict[Point, set[str]] = {}
    for pt, ref, number in pins:
        points.find(pt)
        sym = result.symbols[ref]
        if sym.power:  # a power port names its net after its (hidden) pin
            named.setdefault(pt, set()).add(sym.pin_names[number])
    wires: list[tuple[Point, Point]] = []
    for w in children(root, "wire"):
        a, b = (_xy(p) for p in children(child(w, "pts"), "xy"))
        wires.append((a, b))
    for a, b in wires:
        points.union(a, b)
    for lab in children(root, "label"):
        pt = _xy(child(lab, "at"))
        named.setdefault(pt, set()).add(_text(lab[1]))
        points.find(pt)
    no_connects = {_xy(child(n, "at")) for n in children(root, "no_connect")}
    result.problems += _geometry_problems(wires, pins, named, no_connects, result.symbols)
    # Labels and power ports with the same name are one net, wherever they are drawn.
    first_point: dict[str, Point] = {}
    for pt, names in named.items():
        for name in names:
            points.union(pt, first_point.setdefault(name, pt))
    members: dict[Point, set[tuple[str, str]]] = {}
    net_names: dict[Point, set[str]] = {}
    for pt, ref, number in pins:
        if not result.symbols[ref].power:
            members.setdefault(points.find(pt), set()).add((ref, number))
    for pt, names in named.items():
        net_names.setdefault(points.find(pt), set()).update(names)
    for root_point in set(members) | set(net_names):
        result.nets.append(members.get(root_point, set()))
        result.names.append(net_names.get(root_point, set()))
    return result
