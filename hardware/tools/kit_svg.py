"""Render the kit's schematic to a standalone SVG (A3, millimetre units).

Drawn from the same `Schematic` as the KiCad file, with KiCad-like colours, so the picture
and the project can never show different wiring.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from kit_sheet import GRID_MM, Placed, Schematic, field_texts, rotate
from kit_symbols import Circle, Pin, Poly, Rect, Text

WIDTH_MM, HEIGHT_MM = 420.0, 297.0
BODY = "#840000"
WIRE = "#008400"
LABEL = "#000000"
NOTE = "#00007c"
NC = "#0000c8"
MODULE_FILL = "#ffffc2"
FONT_SCALE = 1.4  # SVG font-size per KiCad text height


def _f(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(
    x: float, y: float, text: str, size: float, anchor: str = "start", color: str = LABEL,
    rotate_deg: int = 0, baseline: str = "auto",
) -> str:  # fmt: skip
    rot = f' transform="rotate({rotate_deg} {_f(x)} {_f(y)})"' if rotate_deg else ""
    base = f' dominant-baseline="{baseline}"' if baseline != "auto" else ""
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(size * FONT_SCALE)}" xml:space="preserve" '
        f'text-anchor="{anchor}" fill="{color}"{base}{rot}>{escape(text)}</text>'
    )


def _sheet(part: Placed, x: float, y: float) -> tuple[float, float]:
    rx, ry = rotate(x, y, part.angle)
    return part.at[0] * GRID_MM + rx, part.at[1] * GRID_MM - ry


def _graphics(part: Placed) -> list[str]:
    out = []
    module = part.symbol.filled
    for g in part.symbol.graphics:
        if isinstance(g, Rect):
            (x1, y1), (x2, y2) = _sheet(part, g.x1, g.y1), _sheet(part, g.x2, g.y2)
            fill = MODULE_FILL if module else ("none" if not g.fill else BODY)
            out.append(
                f'<rect x="{_f(min(x1, x2))}" y="{_f(min(y1, y2))}" width="{_f(abs(x2 - x1))}" '
                f'height="{_f(abs(y2 - y1))}" fill="{fill}" stroke="{BODY}" stroke-width="0.254"/>'
            )
        elif isinstance(g, Poly):
            pts = " ".join(f"{_f(px)},{_f(py)}" for px, py in (_sheet(part, *p) for p in g.points))
            fill = BODY if g.fill else "none"
            out.append(
                f'<polyline points="{pts}" fill="{fill}" stroke="{BODY}" stroke-width="0.254"/>'
            )
        elif isinstance(g, Circle):
            cx, cy = _sheet(part, g.cx, g.cy)
            fill = BODY if g.fill else "none"
            out.append(
                f'<circle cx="{_f(cx)}" cy="{_f(cy)}" r="{_f(g.r)}" fill="{fill}" '
                f'stroke="{BODY}" stroke-width="0.254"/>'
            )
        elif isinstance(g, Text) and g.text:
            tx, ty = _sheet(part, g.x, g.y)
            out.append(_text(tx, ty, g.text, g.size, "middle", BODY, baseline="central"))
    return out


def _pin(part: Placed, pin: Pin) -> list[str]:
    if pin.hidden:
        return []
    dx, dy = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}[pin.angle]
    ex, ey = _sheet(part, pin.x, pin.y)
    ix, iy = _sheet(part, pin.x + dx * pin.length, pin.y + dy * pin.length)
    out = [
        f'<line x1="{_f(ex)}" y1="{_f(ey)}" x2="{_f(ix)}" y2="{_f(iy)}" '
        f'stroke="{BODY}" stroke-width="0.254"/>'
    ]
    if not part.symbol.show_pin_names:
        return out
    vx, vy = ix - ex, iy - ey  # points into the body
    size = 1.0
    if abs(vx) > abs(vy):
        inward = 1 if vx > 0 else -1
        anchor = "start" if inward > 0 else "end"
        out.append(_text(ix + inward * 1.016, iy, pin.name, size, anchor, BODY, baseline="central"))
        out.append(_text((ex + ix) / 2, iy - 0.4, pin.number, 0.9, "middle", BODY))
    else:
        # Rotated text runs upward: a bottom pin's name starts at the body edge, a top
        # pin's name ends there, so both stay inside the body.
        from_bottom = vy < 0
        anchor = "start" if from_bottom else "end"
        ny = iy - 1.016 if from_bottom else iy + 1.016
        out.append(_text(ix, ny, pin.name, size, anchor, BODY, rotate_deg=-90, baseline="central"))
        out.append(_text(ix - 0.4, (ey + iy) / 2, pin.number, 0.9, "middle", BODY, -90))
    return out


def _fields(part: Placed) -> list[str]:
    out = []
    for f in field_texts(part):
        if not f.visible:
            continue
        text = f.text if f.name in ("Reference", "Value") else f"{f.name}: {f.text}"
        anchor = {"left": "start", "center": "middle", "right": "end"}[f.justify]
        color = BODY if part.symbol.power else "#006464"
        out.append(_text(f.x_mm, f.y_mm, text, 1.27, anchor, color, baseline="central"))
    return out


def render_svg(sch: Schematic, title: str) -> str:
    """The whole sheet as SVG text."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(WIDTH_MM)}mm" '
        f'height="{_f(HEIGHT_MM)}mm" viewBox="0 0 {_f(WIDTH_MM)} {_f(HEIGHT_MM)}" '
        'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{_f(WIDTH_MM)}" height="{_f(HEIGHT_MM)}" fill="#ffffff"/>',
        f'<rect x="5" y="5" width="{_f(WIDTH_MM - 10)}" height="{_f(HEIGHT_MM - 10)}" '
        'fill="none" stroke="#840000" stroke-width="0.3"/>',
        '<g id="wires">',
    ]
    for w in sch.wires:
        (x1, y1), (x2, y2) = w.a, w.b
        out.append(
            f'<line x1="{_f(x1 * GRID_MM)}" y1="{_f(y1 * GRID_MM)}" x2="{_f(x2 * GRID_MM)}" '
            f'y2="{_f(y2 * GRID_MM)}" stroke="{WIRE}" stroke-width="0.3"/>'
        )
    for jx, jy in sch.junctions:
        out.append(
            f'<circle cx="{_f(jx * GRID_MM)}" cy="{_f(jy * GRID_MM)}" r="0.5" fill="{WIRE}"/>'
        )
    for nx, ny in sch.no_connects:
        x, y, d = nx * GRID_MM, ny * GRID_MM, 0.6
        out.append(
            f'<path d="M{_f(x - d)},{_f(y - d)}L{_f(x + d)},{_f(y + d)}M{_f(x - d)},{_f(y + d)}'
            f'L{_f(x + d)},{_f(y - d)}" stroke="{NC}" stroke-width="0.254"/>'
        )
    out.append("</g>")
    for part in sch.parts:
        out.append(f'<g id="{escape(part.ref)}">')
        out += _graphics(part)
        for pin in part.symbol.pins:
            out += _pin(part, pin)
        out += _fields(part)
        out.append("</g>")
    out.append('<g id="labels">')
    for lab in sch.labels:
        x, y = lab.at[0] * GRID_MM, lab.at[1] * GRID_MM
        anchor = "end" if lab.angle == 180 else "start"
        shift = -0.5 if lab.angle == 180 else 0.5
        out.append(_text(x + shift, y - 0.5, lab.name, 1.27, anchor, LABEL))
    out.append("</g>")
    out.append('<g id="notes">')
    for note in sch.notes:
        out.append(
            _text(note.at[0] * GRID_MM, note.at[1] * GRID_MM, note.text, note.size_mm, color=NOTE)
        )
    out += ["</g>", "</svg>", ""]
    return "\n".join(out)
