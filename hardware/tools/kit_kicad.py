"""Write the kit's schematic as a KiCad 6 project: .kicad_sch, .kicad_sym, .kicad_pro, lib table.

The file versions are KiCad 6.0's (schematic 20211123, symbol library 20211014), which
KiCad 6, 7 and 8 all open. Symbols are embedded in lib_symbols, so the schematic opens
standalone; the project-local library only makes them editable. UUIDs are derived from
names, so regenerating an unchanged kit gives a byte-identical file.
"""

from __future__ import annotations

import json
import uuid

from kit_sheet import GRID_MM, Placed, Schematic, field_texts
from kit_symbols import LIB, Circle, Pin, Poly, Rect, Symbol, Text

SCH_VERSION = 20211123
SYM_VERSION = 20211014
GENERATOR = "camsweep_kit"
_NS = uuid.UUID("6f1c2b0e-8d3a-4c55-9a61-3c2a7f0b9e14")
FONT = "(effects (font (size 1.27 1.27)))"
STROKE = "(stroke (width 0.254) (type default) (color 0 0 0 0))"
WIRE_STROKE = "(stroke (width 0) (type default) (color 0 0 0 0))"


def uid(*parts: object) -> str:
    """A stable UUID for one item of the schematic."""
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def num(v: float) -> str:
    """A millimetre value as KiCad writes it: up to 4 decimals, no trailing zeros."""
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def q(text: str) -> str:
    """A quoted s-expression string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _graphic(g: Rect | Poly | Circle | Text, filled_body: bool = False) -> str:
    fill = "(fill (type outline))" if getattr(g, "fill", False) else "(fill (type none))"
    if filled_body and isinstance(g, Rect):
        fill = "(fill (type background))"
    if isinstance(g, Rect):
        return (
            f"(rectangle (start {num(g.x1)} {num(g.y1)}) (end {num(g.x2)} {num(g.y2)}) "
            f"{STROKE} {fill})"
        )
    if isinstance(g, Poly):
        pts = " ".join(f"(xy {num(x)} {num(y)})" for x, y in g.points)
        return f"(polyline (pts {pts}) {STROKE} {fill})"
    if isinstance(g, Circle):
        return f"(circle (center {num(g.cx)} {num(g.cy)}) (radius {num(g.r)}) {STROKE} {fill})"
    size = num(g.size)
    return f"(text {q(g.text)} (at {num(g.x)} {num(g.y)} 0) (effects (font (size {size} {size}))))"


def _pin(p: Pin) -> str:
    hide = " hide" if p.hidden else ""
    return (
        f"(pin {p.etype} line (at {num(p.x)} {num(p.y)} {p.angle}) (length {num(p.length)}){hide}\n"
        f"          (name {q(p.name)} {FONT})\n"
        f"          (number {q(p.number)} {FONT})\n"
        "        )"
    )


def lib_symbol(sym: Symbol, qualified: bool) -> str:
    """One symbol definition; `qualified` names it camsweep:X as lib_symbols needs."""
    name = sym.lib_id if qualified else sym.name
    flags = []
    if sym.power:
        flags.append("(power)")
    if not sym.show_pin_numbers:
        flags.append("(pin_numbers hide)")
    flags.append("(pin_names (offset 1.016))" if sym.show_pin_names else "(pin_names hide)")
    flags.append("(in_bom yes) (on_board yes)")
    hidden_ref = " hide" if sym.power else ""
    props = [
        f'(property "Reference" {q(sym.ref_prefix)} (id 0) (at 0 3.81 0) '
        f"(effects (font (size 1.27 1.27)){hidden_ref}))",
        f'(property "Value" {q(sym.name)} (id 1) (at 0 -3.81 0) {FONT})',
        '(property "Footprint" "" (id 2) (at 0 0 0) (effects (font (size 1.27 1.27)) hide))',
        '(property "Datasheet" "~" (id 3) (at 0 0 0) (effects (font (size 1.27 1.27)) hide))',
        f'(property "ki_description" {q(sym.description)} (id 4) (at 0 0 0) '
        "(effects (font (size 1.27 1.27)) hide))",
    ]
    body = "\n        ".join(_graphic(g, sym.filled) for g in sym.graphics)
    pins = "\n        ".join(_pin(p) for p in sym.pins)
    lines = [f"    (symbol {q(name)} {' '.join(flags)}"]
    lines += [f"      {p}" for p in props]
    lines.append(f"      (symbol {q(sym.name + '_0_1')}\n        {body}\n      )")
    lines.append(f"      (symbol {q(sym.name + '_1_1')}\n        {pins}\n      )")
    lines.append("    )")
    return "\n".join(lines)


def _placed(part: Placed) -> str:
    x, y = part.at[0] * GRID_MM, part.at[1] * GRID_MM
    lines = [
        f"  (symbol (lib_id {q(part.symbol.lib_id)}) (at {num(x)} {num(y)} {part.angle}) (unit 1)",
        "    (in_bom yes) (on_board yes)",
        f"    (uuid {uid('symbol', part.ref)})",
    ]
    standard = {"Reference": 0, "Value": 1}
    fields = field_texts(part)
    extra_id = 4
    for f in fields:
        just = "" if f.justify == "center" else f" (justify {f.justify})"
        hide = "" if f.visible else " hide"
        if f.name in standard:
            fid = standard[f.name]
        else:
            fid = extra_id
            extra_id += 1
        lines.append(
            f"    (property {q(f.name)} {q(f.text)} (id {fid}) (at {num(f.x_mm)} {num(f.y_mm)} 0)"
            f" (effects (font (size 1.27 1.27)){just}{hide}))"
        )
        if f.name == "Value":
            for name, fid2, text in (("Footprint", 2, ""), ("Datasheet", 3, "~")):
                lines.append(
                    f"    (property {q(name)} {q(text)} (id {fid2}) (at {num(x)} {num(y)} 0)"
                    " (effects (font (size 1.27 1.27)) hide))"
                )
    for p in part.symbol.pins:
        lines.append(f"    (pin {q(p.number)} (uuid {uid('pin', part.ref, p.number)}))")
    lines.append("  )")
    return "\n".join(lines)


def _xy(p: tuple[int, int]) -> str:
    return f"(xy {num(p[0] * GRID_MM)} {num(p[1] * GRID_MM)})"


def _at(p: tuple[int, int]) -> str:
    return f"{num(p[0] * GRID_MM)} {num(p[1] * GRID_MM)}"


def schematic_text(sch: Schematic, title: str, comment: str) -> str:
    """The .kicad_sch file."""
    root = uid("root")
    used = sorted({p.symbol.name: p.symbol for p in sch.parts}.items())
    out = [
        f"(kicad_sch (version {SCH_VERSION}) (generator {GENERATOR})",
        "",
        f"  (uuid {root})",
        "",
        '  (paper "A3")',
        "",
        f'  (title_block\n    (title {q(title)})\n    (rev "1")\n    (comment 1 {q(comment)})\n  )',
        "",
        "  (lib_symbols",
        *(lib_symbol(sym, qualified=True) for _, sym in used),
        "  )",
        "",
    ]
    out += [f"  (junction (at {_at(j)}) (diameter 0) (color 0 0 0 0))" for j in sch.junctions]
    out += [f"  (no_connect (at {_at(p)}) (uuid {uid('nc', *p)}))" for p in sch.no_connects]
    for w in sch.wires:
        out.append(
            f"  (wire (pts {_xy(w.a)} {_xy(w.b)})\n    {WIRE_STROKE}\n"
            f"    (uuid {uid('wire', *w.a, *w.b)})\n  )"
        )
    for lab in sch.labels:
        just = "right" if lab.angle == 180 else "left"
        out.append(
            f"  (label {q(lab.name)} (at {_at(lab.at)} {lab.angle})\n"
            f"    (effects (font (size 1.27 1.27)) (justify {just} bottom))\n"
            f"    (uuid {uid('label', lab.name, *lab.at)})\n  )"
        )
    for note in sch.notes:
        size = num(note.size_mm)
        out.append(
            f"  (text {q(note.text)} (at {_at(note.at)} 0)\n"
            f"    (effects (font (size {size} {size})) (justify left bottom))\n"
            f"    (uuid {uid('text', *note.at, note.text)})\n  )"
        )
    out += [_placed(p) for p in sch.parts]
    out += ["", '  (sheet_instances\n    (path "/" (page "1"))\n  )', "", "  (symbol_instances"]
    for p in sorted(sch.parts, key=lambda part: part.ref):
        out.append(
            f'    (path "/{uid("symbol", p.ref)}"\n'
            f'      (reference {q(p.ref)}) (unit 1) (value {q(p.value)}) (footprint "")\n    )'
        )
    out += ["  )", ")", ""]
    return "\n".join(out)


def symbol_library_text(symbols: list[Symbol]) -> str:
    """The project-local camsweep.kicad_sym library."""
    body = "\n".join(lib_symbol(s, qualified=False) for s in symbols)
    return f"(kicad_symbol_lib (version {SYM_VERSION}) (generator {GENERATOR})\n{body}\n)\n"


def sym_lib_table_text() -> str:
    """sym-lib-table pointing KiCad at the project-local library."""
    return (
        "(sym_lib_table\n"
        f'  (lib (name "{LIB}")(type "KiCad")(uri "${{KIPRJMOD}}/{LIB}.kicad_sym")'
        '(options "")(descr "camsweep kit symbols"))\n'
        ")\n"
    )


def project_text(name: str) -> str:
    """A minimal .kicad_pro; KiCad fills every setting left out with its default."""
    project = {
        "boards": [],
        "libraries": {"pinned_footprint_libs": [], "pinned_symbol_libs": []},
        "meta": {"filename": f"{name}.kicad_pro", "version": 1},
        "schematic": {"legacy_lib_dir": "", "legacy_lib_list": []},
        "sheets": [[uid("root"), ""]],
        "text_variables": {},
    }
    return json.dumps(project, indent=2) + "\n"
