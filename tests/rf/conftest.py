"""Shared helpers for the RF tests: config with overrides, the real recordings, small plans."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from device.config import Config, load

REPO = Path(__file__).resolve().parents[2]
SHARED_IQ = REPO / ".." / "shared" / "data" / "iq" / "rtl_433"

# Two short ranges: a 10 MHz ISM/uplink patch and one video channel. Sweeps in milliseconds.
SMALL_PLAN = {"band_plan": "custom", "custom_ranges_mhz": [[430.0, 440.0], [1195.0, 1205.0]]}


def rf_config(**rf: Any) -> Config:
    """Default config with [rf] keys overridden."""
    return load(overrides={"rf": rf})


def small_config(**rf: Any) -> Config:
    return rf_config(**{**SMALL_PLAN, **rf})


# The 11 real rtl_433 recordings (relative to SHARED_IQ) and their documented windows
# (../shared/data/README.md): (name, burst window s, noise-only lead-in end s or None).
RECORDINGS: list[tuple[str, tuple[float, float], float | None]] = [
    ("g001_433.92M_250k.cu8", (0.205, 1.010), 0.200),
    ("g002_433.92M_250k.cu8", (0.205, 1.010), 0.200),
    ("g003_433.92M_250k.cu8", (0.205, 1.010), None),
] + [
    (f"radiohead_ask/03/g00{i}_433.92M_250k.cu8", (0.284, 0.484), 0.270) for i in range(1, 9)
]


def recording(name: str) -> Path:
    """Path of one real recording, or a skip saying why it is absent."""
    path = SHARED_IQ / name
    if not path.is_file():
        pytest.skip(f"real recording {path} not present (see ../shared/data/README.md)")
    return path
