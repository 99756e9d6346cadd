"""The KiCad schematic parses, is wired as the firmware expects, and matches its SVG and BOM.

KiCad's own ERC (`kicad-cli sch erc`) needs KiCad 7+, which Debian bookworm does not ship
(see hardware/schematic/README.md), so these tests read the file back with their own
parser and check the connections that matter: every GPIO in defaults.toml reaches the right
part through the right components.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hw_facts import BCM_TO_PIN, HARDWARE, SUPPLY_PINS
from kicad_nets import Netlist, child, children, parse_sexpr, read_netlist

SCH_DIR = HARDWARE / "schematic"
SCH = SCH_DIR / "camsweep.kicad_sch"


@pytest.fixture(scope="module")
def nets() -> Netlist:
    return read_netlist(SCH)


def parts_of(nets: Netlist, lib_name: str) -> list[str]:
    return sorted(r for r, s in nets.symbols.items() if s.lib_id == f"camsweep:{lib_name}")


def other_pin(nets: Netlist, ref: str, pin: str) -> str:
    (other,) = [p for p in nets.symbols[ref].pins if p != pin]
    return other


def on_net(nets: Netlist, ref: str, pin_name: str, net_name: str) -> bool:
    return net_name in nets.named(ref, nets.pin_by_name(ref, pin_name))


def driven_by(nets: Netlist, bcm: int) -> list[tuple[str, str]]:
    """Part pins on the net of header GPIO `bcm`, other than the header itself."""
    return sorted(m for m in nets.members("U1", str(BCM_TO_PIN[bcm])) if m[0] != "U1")


def test_file_is_a_kicad6_schematic_with_embedded_symbols() -> None:
    root = parse_sexpr(SCH.read_text(encoding="utf-8"))
    assert isinstance(root, list) and root[0] == "kicad_sch"
    version = child(root, "version")[1]
    assert isinstance(version, str) and int(version) >= 20211123
    assert child(root, "generator")[1] != "eeschema", "third-party files must not claim eeschema"
    embedded = {str(s[1]) for s in children(child(root, "lib_symbols"), "symbol")}
    used = {str(child(s, "lib_id")[1]) for s in children(root, "symbol")}
    assert used <= embedded, f"not embedded: {sorted(used - embedded)}"


def test_no_dangling_wires_unconnected_pins_or_hidden_junctions(nets: Netlist) -> None:
    assert nets.problems == []


def test_references_are_unique_and_annotated(nets: Netlist) -> None:
    refs = [r for r, s in nets.symbols.items() if not s.power]
    assert all(not r.endswith("?") for r in refs)
    root = parse_sexpr(SCH.read_text(encoding="utf-8"))
    placed = [
        p[2]
        for s in children(root, "symbol")
        for p in children(s, "property")
        if p[1] == "Reference"
    ]
    assert len(placed) == len(set(placed)), "a reference is used twice"


def test_header_symbol_matches_the_bcm_map(nets: Netlist) -> None:
    names = nets.symbols["U1"].pin_names
    for bcm, pin in BCM_TO_PIN.items():
        assert names[str(pin)].split("/")[0] == f"GPIO{bcm}", f"header pin {pin}"
    for supply, pins in SUPPLY_PINS.items():
        for pin in pins:
            assert names[str(pin)] == supply


def test_every_configured_gpio_has_its_label_on_its_header_pin(
    nets: Netlist, config_pins: dict[str, int]
) -> None:
    for key, bcm in config_pins.items():
        label = f"GPIO{bcm}_{key.upper()}"
        assert label in nets.named("U1", str(BCM_TO_PIN[bcm])), f"{key}: no {label} on pin"
        assert driven_by(nets, bcm), f"{key}: GPIO{bcm} drives nothing"
    used_gpio = {
        int(name.split("_")[0][4:]) for names in nets.names for name in names
        if name.startswith("GPIO")
    }  # fmt: skip
    assert used_gpio == set(config_pins.values()) | {2, 3}, "a label names an unconfigured GPIO"


def _resistor_to(nets: Netlist, bcm: int) -> tuple[str, str]:
    """The series resistor on a GPIO net, and the net pin at its far end."""
    parts = driven_by(nets, bcm)
    resistors = [(r, p) for r, p in parts if nets.symbols[r].lib_id == "camsweep:R"]
    assert len(resistors) == 1, f"GPIO{bcm} must feed exactly one series resistor, got {parts}"
    ref, pin = resistors[0]
    return ref, other_pin(nets, ref, pin)


def _has_pull_down(nets: Netlist, ref: str, pin: str) -> bool:
    for r, p in nets.members(ref, pin):
        is_resistor = nets.symbols[r].lib_id == "camsweep:R" and r != ref
        if is_resistor and "GND" in nets.named(r, other_pin(nets, r, p)):
            return True
    return False


def test_ir_ring_gpio_drives_the_mosfet_gate_which_switches_the_led_strings(
    nets: Netlist, config_pins: dict[str, int]
) -> None:
    gate_r, far = _resistor_to(nets, config_pins["ir_ring"])
    gate_net = nets.members(gate_r, far)
    gates = [(r, p) for r, p in gate_net if nets.symbols[r].pin_names.get(p) == "G"]
    assert len(gates) == 1, "the ring's series resistor must end on one MOSFET gate"
    ((q, _),) = gates
    assert nets.symbols[q].lib_id == "camsweep:Q_NMOS_GSD"
    assert _has_pull_down(nets, gate_r, far), "the gate needs a pull-down to GND"
    assert on_net(nets, q, "S", "GND")
    cathodes = [
        r for r, p in nets.members(q, nets.pin_by_name(q, "D"))
        if nets.symbols[r].lib_id == "camsweep:LED_IR" and nets.symbols[r].pin_names[p] == "K"
    ]  # fmt: skip
    leds = parts_of(nets, "LED_IR")
    assert len(cathodes) == 4 and len(leds) == 8, "4 strings of 2 LEDs end on the drain"
    for led in cathodes:  # walk each string up to 5 V: LED, LED, resistor
        anode = nets.members(led, nets.pin_by_name(led, "A"))
        (upper,) = [r for r, _ in anode if r != led and nets.symbols[r].lib_id == "camsweep:LED_IR"]
        top = nets.members(upper, nets.pin_by_name(upper, "A"))
        (res, res_pin) = next((r, p) for r, p in top if nets.symbols[r].lib_id == "camsweep:R")
        assert nets.symbols[res].value in ("22", "27")
        assert "+5V" in nets.named(res, other_pin(nets, res, res_pin))


@pytest.mark.parametrize(
    ("key", "load", "supply"), [("buzzer", "Buzzer", "+5V"), ("vibration", "Motor", "+3V3")]
)
def test_transistor_drivers_have_base_resistor_pull_down_and_flyback_diode(
    nets: Netlist, config_pins: dict[str, int], key: str, load: str, supply: str
) -> None:
    base_r, far = _resistor_to(nets, config_pins[key])
    bases = [
        (r, p) for r, p in nets.members(base_r, far) if nets.symbols[r].pin_names.get(p) == "B"
    ]
    assert len(bases) == 1, f"{key}: the base resistor must end on one transistor base"
    ((q, _),) = bases
    assert nets.symbols[q].lib_id == "camsweep:Q_NPN_CBE"
    assert _has_pull_down(nets, base_r, far), f"{key}: the base needs a pull-down"
    assert on_net(nets, q, "E", "GND")
    collector = nets.members(q, nets.pin_by_name(q, "C"))
    loads = [r for r, _ in collector if nets.symbols[r].lib_id == f"camsweep:{load}"]
    diodes = [
        r for r, p in collector
        if nets.symbols[r].lib_id == "camsweep:D" and nets.symbols[r].pin_names[p] == "A"
    ]  # fmt: skip
    assert len(loads) == 1, f"{key}: one {load} on the collector"
    assert len(diodes) == 1, f"{key}: a flyback diode's anode on the collector"
    assert on_net(nets, loads[0], "+", supply)
    assert on_net(nets, diodes[0], "K", supply), f"{key}: the diode's cathode goes to {supply}"


@pytest.mark.parametrize("key", ["button_mode", "button_ack"])
def test_buttons_short_their_gpio_to_ground(
    nets: Netlist, config_pins: dict[str, int], key: str
) -> None:
    ((sw, pin),) = driven_by(nets, config_pins[key])
    assert nets.symbols[sw].lib_id == "camsweep:SW_Push"
    assert "GND" in nets.named(sw, other_pin(nets, sw, pin))


def test_oled_on_i2c_bus_1_at_the_configured_address(
    nets: Netlist, defaults: dict[str, Any]
) -> None:
    (oled,) = parts_of(nets, "OLED_I2C")
    assert (
        nets.symbols[oled].properties["I2C address"]
        == f"0x{defaults['display']['i2c_address']:02X}"
    )
    assert nets.symbols[oled].properties["I2C bus"] == str(defaults["display"]["i2c_port"])
    assert (oled, nets.pin_by_name(oled, "SDA")) in nets.members("U1", str(BCM_TO_PIN[2]))
    assert (oled, nets.pin_by_name(oled, "SCL")) in nets.members("U1", str(BCM_TO_PIN[3]))
    assert on_net(nets, oled, "VCC", "+3V3"), "the OLED must run from 3.3 V (its pull-ups)"
    assert on_net(nets, oled, "GND", "GND")


def test_usb_camera_and_power_connections(nets: Netlist) -> None:
    assert nets.members("U1", "USB") & {(r, "1") for r in parts_of(nets, "RTL_SDR")}
    assert nets.members("U1", "CSI") & {(r, "1") for r in parts_of(nets, "PiCam_NoIR")}
    assert nets.members("U1", "PWR") & {(r, "1") for r in parts_of(nets, "PowerBank_5V")}
    (sdr,) = parts_of(nets, "RTL_SDR")
    (ant,) = parts_of(nets, "Antenna")
    assert (ant, "1") in nets.members(sdr, nets.pin_by_name(sdr, "ANT"))


def test_part_numbers_and_counts_match_the_bom_defaults(nets: Netlist) -> None:
    with (HARDWARE / "BOM.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["part"] != "TOTAL"]
    bom: dict[str, int] = {}
    for row in rows:
        alternative = (
            row["part"].startswith("[") and " default]" not in row["part"].split("]")[0] + "]"
        )
        if not alternative:
            mpn = row["example manufacturer part number"]
            bom[mpn] = bom.get(mpn, 0) + int(row["quantity"])
    on_schematic = Counter(
        s.properties["MPN"] for s in nets.symbols.values() if "MPN" in s.properties
    )
    assert on_schematic, "the schematic carries no MPN fields"
    for mpn, count in on_schematic.items():
        assert mpn in bom, f"{mpn} is on the schematic but not a default line of BOM.csv"
        assert bom[mpn] == count, f"{mpn}: {count} on the schematic, {bom[mpn]} in BOM.csv"


def test_project_files_parse() -> None:
    project = json.loads((SCH_DIR / "camsweep.kicad_pro").read_text(encoding="utf-8"))
    assert project["meta"]["filename"] == "camsweep.kicad_pro"
    lib = parse_sexpr((SCH_DIR / "camsweep.kicad_sym").read_text(encoding="utf-8"))
    assert isinstance(lib, list) and lib[0] == "kicad_symbol_lib"
    table = parse_sexpr((SCH_DIR / "sym-lib-table").read_text(encoding="utf-8"))
    assert isinstance(table, list) and table[0] == "sym_lib_table"
    sch = parse_sexpr(SCH.read_text(encoding="utf-8"))
    embedded = {str(s[1]).split(":", 1)[1] for s in children(child(sch, "lib_symbols"), "symbol")}
    assert embedded <= {str(s[1]) for s in children(lib, "symbol")}


def test_svg_is_well_formed_and_shows_every_net_label_and_part(
    nets: Netlist, config_pins: dict[str, int]
) -> None:
    tree = ET.parse(SCH_DIR / "camsweep.svg")
    texts = {(t.text or "").strip() for t in tree.iter("{http://www.w3.org/2000/svg}text")}
    for key, bcm in config_pins.items():
        assert f"GPIO{bcm}_{key.upper()}" in texts
    for ref, sym in nets.symbols.items():
        if not sym.power:
            assert ref in texts, f"{ref} is not drawn in the SVG"


def test_committed_files_match_the_generator(tool: Callable[[str], ModuleType]) -> None:
    gen = tool("gen_schematic")
    files = gen.generate(tool("kit_config").load_kit_config())
    stale = [n for n, text in files.items() if (SCH_DIR / n).read_text(encoding="utf-8") != text]
    assert not stale, f"stale: {stale}; run python3 hardware/tools/gen_schematic.py"


def test_parser_rejects_a_broken_file(tmp_path: Any) -> None:
    from kicad_nets import SExprError

    bad = tmp_path / "bad.kicad_sch"
    bad.write_text('(kicad_sch (version 20211123) (paper "A4")', encoding="utf-8")
    with pytest.raises(SExprError):
        read_netlist(bad)
