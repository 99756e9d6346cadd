"""hardware/wiring.md's pin tables must say what device/defaults.toml says."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hw_facts import BCM_TO_PIN, HARDWARE, SUPPLY_PINS

WIRING = HARDWARE / "wiring.md"


def markdown_tables(text: str) -> list[list[dict[str, str]]]:
    """Every pipe table in a Markdown text, as rows keyed by the header cells."""
    tables: list[list[dict[str, str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines) - 1:
        header, rule = lines[i].strip(), lines[i + 1].strip()
        if header.startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", rule):
            keys = [c.strip() for c in header.strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                assert len(cells) == len(keys), f"wiring.md line {i + 1}: {len(cells)} cells"
                rows.append(dict(zip(keys, cells, strict=True)))
                i += 1
            tables.append(rows)
        else:
            i += 1
    return tables


def table_with(columns: set[str]) -> list[dict[str, str]]:
    tables = [t for t in markdown_tables(WIRING.read_text(encoding="utf-8")) if t]
    found = [t for t in tables if columns <= set(t[0])]
    assert len(found) == 1, f"wiring.md needs exactly one table with columns {sorted(columns)}"
    return found[0]


def signal_rows() -> list[dict[str, str]]:
    return table_with({"Config key", "BCM GPIO", "Header pin"})


def test_every_configured_pin_is_in_the_table_with_its_bcm_and_header_pin(
    config_pins: dict[str, int],
) -> None:
    rows = {r["Config key"].strip("`"): r for r in signal_rows()}
    for key, bcm in config_pins.items():
        row = rows.get(f"pins.{key}")
        assert row is not None, f"pins.{key} is missing from the wiring.md pin table"
        assert int(row["BCM GPIO"]) == bcm, f"pins.{key}: wiring.md says {row['BCM GPIO']}"
        assert int(row["Header pin"]) == BCM_TO_PIN[bcm], (
            f"pins.{key}: GPIO{bcm} is header pin {BCM_TO_PIN[bcm]}, wiring.md says "
            f"{row['Header pin']}"
        )


def test_the_table_lists_no_pin_the_firmware_does_not_use(config_pins: dict[str, int]) -> None:
    for row in signal_rows():
        key = row["Config key"].strip("`")
        if key.startswith("pins."):
            assert key.removeprefix("pins.") in config_pins, f"{key} is not in defaults.toml"
        else:
            assert key == "display.i2c_port", f"unexpected config key {key}"


def test_i2c_rows_are_the_header_bus_and_the_address_matches(defaults: dict[str, Any]) -> None:
    display = defaults["display"]
    i2c = {r["Signal"]: r for r in signal_rows() if r["Config key"] == "`display.i2c_port`"}
    assert display["i2c_port"] == 1, "the OLED wiring assumes I2C bus 1 (header pins 3/5)"
    assert (int(i2c["I2C SDA"]["BCM GPIO"]), int(i2c["I2C SDA"]["Header pin"])) == (2, 3)
    assert (int(i2c["I2C SCL"]["BCM GPIO"]), int(i2c["I2C SCL"]["Header pin"])) == (3, 5)
    settings = {r["Config key"].strip("`"): r["Value"] for r in table_with({"OLED setting"})}
    assert settings["display.i2c_address"] == f"0x{display['i2c_address']:02X}"
    assert settings["display.i2c_port"].split()[0] == str(display["i2c_port"])


def test_supply_rows_name_real_supply_pins() -> None:
    rows = table_with({"Supply", "Header pin"})
    assert {r["Supply"] for r in rows} == set(SUPPLY_PINS)
    for row in rows:
        pin = int(row["Header pin"])
        assert pin in SUPPLY_PINS[row["Supply"]], f"header pin {pin} is not a {row['Supply']} pin"
    signal_pins = {BCM_TO_PIN[int(r["BCM GPIO"])] for r in signal_rows()}
    assert not signal_pins & {int(r["Header pin"]) for r in rows}


def test_generated_section_is_up_to_date(tool: Callable[[str], ModuleType]) -> None:
    gen = tool("gen_pintable")
    kit = tool("kit_config").load_kit_config()
    current = WIRING.read_text(encoding="utf-8")
    assert gen.render(current, kit) == current, (
        "wiring.md's pin tables are stale: run python3 hardware/tools/gen_pintable.py"
    )


def test_generator_refuses_a_pin_on_the_i2c_bus(
    tool: Callable[[str], ModuleType], tmp_path: Any
) -> None:
    kit_config = tool("kit_config")
    bad = tmp_path / "defaults.toml"
    bad.write_text(
        "[pins]\nir_ring = 2\nbuzzer = 13\nvibration = 16\nbutton_mode = 5\nbutton_ack = 6\n"
        "[display]\ni2c_port = 1\ni2c_address = 0x3C\nwidth = 128\nheight = 64\n",
        encoding="utf-8",
    )
    with pytest.raises(kit_config.KitConfigError, match=r"pins\.ir_ring = 2"):
        kit_config.load_kit_config(bad)
