"""rtl_power's CSV format, so existing plotting tools (heatmap.py and friends) read our sweeps.

One row per hop: `date, time, Hz low, Hz high, Hz step, samples, dB, dB, ...` where bin i
of the row is at Hz low + i * Hz step and Hz high = Hz low + bins * Hz step.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

import numpy as np

from device.events import Spectrum
from device.rf.sweep import SweepPlan


def rows(spectrum: Spectrum, plan: SweepPlan, samples: int, when: datetime) -> Iterator[str]:
    """CSV lines (without newline) for one stitched sweep, hop by hop."""
    if spectrum.freqs_hz.shape != plan.grid_k.shape:
        raise ValueError("the spectrum was not made with this plan")
    date, clock = when.strftime("%Y-%m-%d"), when.strftime("%H:%M:%S")
    step = plan.bin_hz
    for hop in sorted(plan.hops, key=lambda h: h.center_hz):
        first, last = int(hop.dst.min()), int(hop.dst.max())
        values = np.asarray(spectrum.power_dbfs[first : last + 1], dtype=np.float64)
        low = float(spectrum.freqs_hz[first])
        high = low + values.size * step
        db = ", ".join(f"{v:.2f}" for v in values)
        yield f"{date}, {clock}, {low:.0f}, {high:.0f}, {step:.2f}, {samples}, {db}"


def write(fh: TextIO, spectrum: Spectrum, plan: SweepPlan, samples: int, when: datetime) -> int:
    """Append one sweep to an open CSV file; returns the number of rows written."""
    n = 0
    for line in rows(spectrum, plan, samples, when):
        fh.write(line + "\n")
        n += 1
    return n


def parse_row(line: str) -> tuple[float, float, float, int, list[float]]:
    """(Hz low, Hz high, Hz step, samples, dB values) of one CSV row, for tests and tools."""
    parts = [p.strip() for p in line.split(",")]
    if len(parts) < 7:
        raise ValueError("an rtl_power row has at least 7 fields")
    return float(parts[2]), float(parts[3]), float(parts[4]), int(parts[5]), [
        float(p) for p in parts[6:]
    ]
