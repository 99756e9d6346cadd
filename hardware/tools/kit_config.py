"""The kit's pin facts: the 40-pin header map and the firmware's pin table from defaults.toml.

device/defaults.toml is the source of truth for which GPIO drives which part; everything
under hardware/ that names a pin is generated from, or checked against, what this module
reads. It needs only the standard library so the generators run without the venv.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULTS_TOML = REPO_ROOT / "device" / "defaults.toml"

# BCM GPIO number -> physical pin on the 40-pin header (identical on the Pi 4, Pi 5 and
# Zero 2 W; GPIO0/1 are the HAT ID EEPROM bus and are never used by the kit).
BCM_TO_PHYSICAL: dict[int, int] = {
    2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 0: 27,
    5: 29, 6: 31, 13: 33, 19: 35, 26: 37,
    14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26, 1: 28,
    12: 32, 16: 36, 20: 38, 21: 40,
}  # fmt: skip
POWER_PINS: dict[int, str] = {
    1: "3V3", 17: "3V3", 2: "5V", 4: "5V",
    6: "GND", 9: "GND", 14: "GND", 20: "GND", 25: "GND", 30: "GND", 34: "GND", 39: "GND",
}  # fmt: skip
# Second functions worth printing beside the GPIO name on the schematic's header symbol.
ALT_NAMES: dict[int, str] = {
    0: "ID_SD", 1: "ID_SC", 2: "SDA1", 3: "SCL1", 4: "GPCLK0", 7: "CE1", 8: "CE0",
    9: "MISO", 10: "MOSI", 11: "SCLK", 12: "PWM0", 13: "PWM1", 14: "TXD", 15: "RXD",
    18: "PWM0", 19: "PWM1",
}  # fmt: skip
I2C_SDA_BCM = 2
I2C_SCL_BCM = 3
HEADER_I2C_PORT = 1  # the only I2C bus on header pins 3/5 (/dev/i2c-1)

# Config key in [pins] -> what the kit connects to it, in the order the docs list them.
PIN_ROLES: dict[str, str] = {
    "ir_ring": "IR ring MOSFET gate (via 100 Ω; 10 kΩ pull-down)",
    "buzzer": "buzzer NPN base (via 1 kΩ; 10 kΩ pull-down)",
    "vibration": "motor NPN base (via 470 Ω; 10 kΩ pull-down)",
    "button_mode": "MODE button, other side to GND (internal pull-up)",
    "button_ack": "ACK button, other side to GND (internal pull-up)",
}


class KitConfigError(ValueError):
    """defaults.toml holds a pin assignment the kit cannot be wired to."""


@dataclass(frozen=True)
class PinAssignment:
    """One GPIO the firmware drives or reads, with where it is on the header."""

    key: str
    bcm: int
    physical: int
    role: str

    @property
    def net(self) -> str:
        """Net label on the schematic, e.g. GPIO18_IR_RING."""
        return f"GPIO{self.bcm}_{self.key.upper()}"


@dataclass(frozen=True)
class KitConfig:
    """What the hardware docs need from defaults.toml: pins, I2C bus and OLED address."""

    pins: tuple[PinAssignment, ...]
    i2c_port: int
    i2c_address: int
    display_width: int
    display_height: int

    def pin(self, key: str) -> PinAssignment:
        """The assignment for a [pins] key."""
        for assignment in self.pins:
            if assignment.key == key:
                return assignment
        raise KeyError(key)


def load_kit_config(path: Path = DEFAULTS_TOML) -> KitConfig:
    """Read [pins] and [display] from defaults.toml and check the kit can be wired that way."""
    with path.open("rb") as fh:
        table = tomllib.load(fh)
    pins_table = table.get("pins")
    display = table.get("display")
    if not isinstance(pins_table, dict) or not isinstance(display, dict):
        raise KitConfigError(f"{path}: needs [pins] and [display] tables")
    unknown = sorted(set(pins_table) - set(PIN_ROLES))
    missing = sorted(set(PIN_ROLES) - set(pins_table))
    if unknown or missing:
        raise KitConfigError(
            f"{path}: [pins] keys differ from the kit's parts (unknown {unknown}, missing "
            f"{missing}); add the new part to hardware/tools/kit_config.py PIN_ROLES"
        )
    pins = []
    for key, role in PIN_ROLES.items():
        bcm = pins_table[key]
        if bcm not in BCM_TO_PHYSICAL or bcm in (0, 1, I2C_SDA_BCM, I2C_SCL_BCM):
            raise KitConfigError(
                f"{path}: pins.{key} = {bcm} is not a free header GPIO (use 4-27, not 2/3)"
            )
        pins.append(PinAssignment(key, bcm, BCM_TO_PHYSICAL[bcm], role))
    port = display["i2c_port"]
    if port != HEADER_I2C_PORT:
        raise KitConfigError(
            f"{path}: display.i2c_port = {port}, but the kit's OLED is on header pins 3/5, "
            f"which is bus {HEADER_I2C_PORT}"
        )
    return KitConfig(
        pins=tuple(pins),
        i2c_port=port,
        i2c_address=display["i2c_address"],
        display_width=display["width"],
        display_height=display["height"],
    )


def header_pin_name(physical: int) -> str:
    """Name printed on the header symbol for a physical pin: 5V, GND, GPIO18/PWM0..."""
    if physical in POWER_PINS:
        return POWER_PINS[physical]
    bcm = next(b for b, p in BCM_TO_PHYSICAL.items() if p == physical)
    alt = ALT_NAMES.get(bcm)
    return f"GPIO{bcm}/{alt}" if alt else f"GPIO{bcm}"
