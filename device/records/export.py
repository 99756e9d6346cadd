"""Sweep reports a manager can read: one self-contained HTML file, JSON, or CSV."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from pathlib import Path
from typing import Any

from device.records.report import RF_BLIND_SPOT, passes_text
from device.records.store import Store, SweepRow

CSV_COLUMNS = (
    "sweep_id", "room", "operator", "device_id", "started_at", "ended_at", "status", "verdict",
    "confidence", "finding_channel", "finding_label", "finding_confidence", "freq_mhz",
    "finding_t_s",
)  # fmt: skip

VERDICT_COLOURS = {"camera": "#b00020", "suspicious": "#b26a00", "clear": "#1b5e20"}


def sweep_dict(store: Store, row: SweepRow) -> dict[str, Any]:
    """One sweep with its findings and spectra, as plain data."""
    out = dict(row.__dict__)
    out["findings"] = store.findings(row.id)
    for kind in ("baseline", "last"):
        spec = store.spectrum(row.id, kind)
        out[f"spectrum_{kind}"] = (
            {"freqs_hz": spec[0], "power_dbfs": spec[1]} if spec is not None else None
        )
    return out


def to_json(store: Store, rows: list[SweepRow]) -> str:
    return json.dumps([sweep_dict(store, r) for r in rows], indent=2, sort_keys=True)


def to_csv(store: Store, rows: list[SweepRow]) -> str:
    """One line per finding (or one per sweep without findings), spreadsheet-friendly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        head = [r.id, r.room, r.operator, r.device_id, r.started_at, r.ended_at or "", r.status,
                r.verdict or "", "" if r.confidence is None else f"{r.confidence:.2f}"]  # fmt: skip
        findings = store.findings(r.id)
        if not findings:
            writer.writerow([*head, "", "", "", "", ""])
        for f in findings:
            freq = f"{f['freq_hz'] / 1e6:.3f}" if f.get("freq_hz") else ""
            writer.writerow(
                [*head, f["channel"], f["label"], f"{f['confidence']:.2f}", freq, f"{f['t_s']:.1f}"]
            )
    return buf.getvalue()


def to_html(store: Store, rows: list[SweepRow]) -> str:
    """A single HTML file with images embedded, readable offline and printable."""
    body = "\n".join(_sweep_html(store, r) for r in rows) or "<p>No sweeps match.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>camsweep sweep report</title>
<style>
body {{ font-family: sans-serif; max-width: 52em; margin: 2em auto; color: #222; }}
.sweep {{ border: 1px solid #ccc; padding: 1em; margin-bottom: 2em; page-break-inside: avoid; }}
.verdict {{ font-size: 1.6em; font-weight: bold; color: white; padding: .2em .5em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ddd; padding: .2em .5em; }}
.note {{ color: #555; font-size: .9em; }} img.crop {{ width: 96px; image-rendering: pixelated; }}
</style></head><body>
<h1>camsweep sweep report</h1>
{body}
</body></html>
"""


def _sweep_html(store: Store, r: SweepRow) -> str:
    verdict = r.verdict or r.status
    colour = VERDICT_COLOURS.get(verdict, "#555")
    findings = store.findings(r.id)
    rows = "".join(_finding_html(f) for f in findings) or (
        "<tr><td colspan='5'>No findings.</td></tr>"
    )
    coverage = "".join(
        f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>" for k, v in r.coverage.items()
    )
    spectrum = _spectrum_svg(store, r.id, [f for f in findings if f["channel"] == "rf"])
    e = html.escape
    return f"""<section class="sweep" id="sweep-{r.id}">
<h2>Sweep {r.id} — {e(r.room or r.scenario or "room not set")}</h2>
<p><span class="verdict" style="background:{colour}">{e(verdict.upper())}</span>
 confidence {r.confidence or 0:.2f} · status {e(r.status)}</p>
<table>{_pair_row("started", r.started_at, "ended", r.ended_at)}
{_pair_row("operator", r.operator, "device", r.device_id)}
{_pair_row("software", r.software_version, "model", r.model_version)}
</table>
<h3>Findings</h3>
<table><tr><th>channel</th><th>what</th><th>confidence</th><th>detail</th><th>evidence</th></tr>
{rows}</table>
<h3>Radio spectrum</h3>{spectrum}
<h3>Coverage</h3><ul>{coverage or "<li>not recorded</li>"}</ul>
<p class="note">Blind spots: {e(RF_BLIND_SPOT)} The lens channel only sees lenses that face
the device within about 20°; hiding places must be swept from several directions.</p>
</section>"""


def _pair_row(k1: str, v1: str | None, k2: str, v2: str | None) -> str:
    e = html.escape
    return f"<tr><th>{k1}</th><td>{e(v1 or '-')}</td><th>{k2}</th><td>{e(v2 or '-')}</td></tr>"


def _finding_html(f: dict[str, Any]) -> str:
    e = html.escape
    if f["channel"] == "rf":
        detail = f"{f.get('freq_hz', 0) / 1e6:.2f} MHz, {f.get('novelty', '')}, {f.get('kind', '')}"
    else:
        bearing = f.get("bearing_deg") or [0, 0]
        detail = f"bearing {bearing[0]:+.0f}° az {bearing[1]:+.0f}° el, {f.get('cycles', 0)} cycles"
        detail += f", {passes_text(f)}"
    return (
        f"<tr><td>{e(f['channel'])}</td><td>{e(f['label'])}</td>"
        f"<td>{f['confidence']:.2f}</td><td>{e(detail)}</td><td>{_evidence_html(f)}</td></tr>"
    )


def _evidence_html(f: dict[str, Any]) -> str:
    path = Path(f.get("evidence") or "")
    if not f.get("evidence") or not path.is_file():
        return "-"
    if path.suffix == ".png":
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"<img class='crop' alt='evidence crop' src='data:image/png;base64,{data}'>"
    return html.escape(path.name)


def _spectrum_svg(store: Store, sweep_id: int, rf: list[dict[str, Any]]) -> str:
    last = store.spectrum(sweep_id, "last") or store.spectrum(sweep_id, "baseline")
    if last is None:
        return "<p>No RF sweep recorded.</p>"
    baseline = store.spectrum(sweep_id, "baseline")
    width, height = 640, 200
    freqs, power = last
    lo_f, hi_f = min(freqs), max(freqs)
    all_p = power + (baseline[1] if baseline else [])
    lo_p, hi_p = min(all_p), max(max(all_p), min(all_p) + 1.0)

    def xy(f: float, p: float) -> str:
        x = (f - lo_f) / max(hi_f - lo_f, 1.0) * width
        y = height - (p - lo_p) / (hi_p - lo_p) * height
        return f"{x:.1f},{y:.1f}"

    step = max(1, len(freqs) // 1000)
    line = " ".join(xy(f, p) for f, p in zip(freqs[::step], power[::step], strict=False))
    parts = [f"<polyline fill='none' stroke='#1565c0' points='{line}'/>"]
    if baseline is not None:
        base = " ".join(
            xy(f, p) for f, p in zip(baseline[0][::step], baseline[1][::step], strict=False)
        )
        parts.insert(0, f"<polyline fill='none' stroke='#999' points='{base}'/>")
    for f in rf:
        x = (f.get("freq_hz", lo_f) - lo_f) / max(hi_f - lo_f, 1.0) * width
        parts.append(f"<line x1='{x:.1f}' x2='{x:.1f}' y1='0' y2='{height}' stroke='#b00020'/>")
        label = html.escape(f"{f.get('freq_hz', 0) / 1e6:.0f} MHz")
        parts.append(f"<text x='{x + 3:.1f}' y='12' font-size='11' fill='#b00020'>{label}</text>")
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='spectrum'>"
        + "".join(parts)
        + f"</svg><p class='note'>{lo_f / 1e6:.0f}–{hi_f / 1e6:.0f} MHz; grey: baseline at the "
        "door, blue: last sweep, red: new emitters.</p>"
    )
