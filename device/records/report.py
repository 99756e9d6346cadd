"""The end-of-sweep report: one object, printable as text for a person or JSON for tools."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from device.events import LensFinding, PartStatus, RfFinding, Verdict

RF_BLIND_SPOT = (
    "RF covers 24-1766 MHz only: it cannot see WiFi (2.4/5.8 GHz) or 2.4/5.8 GHz video "
    "cameras. Those are found by the lens channel alone."
)


@dataclass
class SweepReport:
    """What one sweep found, with enough context to trust or question it."""

    scenario: str
    room: str
    operator: str
    device_id: str
    started_s: float
    duration_s: float
    verdict: Verdict
    confidence: float
    findings: list[dict[str, Any]] = field(default_factory=list)
    parts: list[PartStatus] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sweep_id: int = 0  # row in the sweep log; 0 when not recorded

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["verdict"] = self.verdict.value
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def to_text(self) -> str:
        lines = [
            f"camsweep sweep report — {self.room or self.scenario}",
            f"  verdict:    {self.verdict.value.upper()} (confidence {self.confidence:.2f})",
            f"  duration:   {self.duration_s:.1f} s",
        ]
        if self.sweep_id:
            lines.append(f"  record:     sweep {self.sweep_id} (camsweep report {self.sweep_id})")
        for key, value in sorted(self.coverage.items()):
            lines.append(f"  {key + ':':<11} {value}")
        if self.findings:
            lines.append("  findings:")
            for f in self.findings:
                lines.append("    - " + describe_finding(f))
        else:
            lines.append("  findings:   none")
        bad = [p for p in self.parts if not p.ok]
        for p in bad:
            lines.append(f"  PART PROBLEM {p.part}: {p.message}" + (f" ({p.fix})" if p.fix else ""))
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)


def lens_finding_dict(f: LensFinding) -> dict[str, Any]:
    return {
        "channel": "lens",
        "label": "camera lens",
        "confidence": round(f.confidence, 3),
        "t_s": round(f.t_s, 3),
        "x": round(f.x, 1),
        "y": round(f.y, 1),
        "bearing_deg": [round(b, 1) for b in f.bearing_deg],
        "cycles": f.cycles,
        "passes": f.passes,
        "held_passes": f.held_passes,
    }


def rf_finding_dict(f: RfFinding) -> dict[str, Any]:
    return {
        "channel": "rf",
        "label": f.label,
        "confidence": round(f.confidence, 3),
        "t_s": round(f.t_s, 3),
        "freq_hz": f.center_hz,
        "bandwidth_hz": f.bandwidth_hz,
        "snr_db": round(f.snr_db, 1),
        "kind": f.kind,
        "novelty": f.novelty,
        "evidence": f.evidence_path,
    }


def passes_text(f: dict[str, Any]) -> str:
    """How many separate passes confirmed the place, and on how many its glint held from
    entering the view to leaving it: only those raise the alert, unless one pass reached
    the camera level (`alert.lens_passes`)."""
    n = int(f.get("passes", 1))
    held = int(f.get("held_passes", 0))
    text = f"{n} separate passes" if n > 1 else "one pass only"
    return f"{text}, held across the view on {held}" if held else text


def describe_finding(f: dict[str, Any]) -> str:
    if f["channel"] == "lens":
        az, el = f["bearing_deg"]
        return (
            f"LENS  confidence {f['confidence']:.2f} at {az:+.0f}° az {el:+.0f}° el "
            f"(seen over {f['cycles']} ring cycles, {passes_text(f)}, t={f['t_s']:.1f}s)"
        )
    return (
        f"RF    {f['freq_hz'] / 1e6:.2f} MHz {f['label']} ({f['novelty']}, "
        f"{f['kind']}, SNR {f['snr_db']:.0f} dB) confidence {f['confidence']:.2f}"
    )
