"""Paths and the 40-pin header map shared by the hardware-kit tests.

The header map is written out here independently of hardware/tools/kit_config.py, so the
generators and the tests check each other.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HARDWARE = REPO / "hardware"
TOOLS = HARDWARE / "tools"

# BCM GPIO -> physical header pin (the same on the Pi 4, Pi 5 and Zero 2 W).
BCM_TO_PIN = {
    0: 27, 1: 28, 2: 3, 3: 5, 4: 7, 5: 29, 6: 31, 7: 26, 8: 24, 9: 21, 10: 19, 11: 23,
    12: 32, 13: 33, 14: 8, 15: 10, 16: 36, 17: 11, 18: 12, 19: 35, 20: 38, 21: 40,
    22: 15, 23: 16, 24: 18, 25: 22, 26: 37, 27: 13,
}  # fmt: skip
SUPPLY_PINS = {
    "5V": {2, 4},
    "3V3": {1, 17},
    "GND": {6, 9, 14, 20, 25, 30, 34, 39},
}
