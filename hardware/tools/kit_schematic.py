"""The kit's schematic layout: which parts go where and how they are wired.

Every block (Pi header, IR ring, transistor drivers, buttons, OLED, USB parts) is laid out
in grid steps on an A3 sheet; `kit_sheet` holds the data model and `kit_kicad` / `kit_svg`
write it out. The GPIOs come from device/defaults.toml through `kit_config`.
"""

from __future__ import annotations

from itertools import pairwise

from kit_config import BCM_TO_PHYSICAL, I2C_SCL_BCM, I2C_SDA_BCM, POWER_PINS, KitConfig
from kit_modules import symbol_library
from kit_sheet import GRID_MM, Label, Note, Placed, Point, Schematic, Wire, split_and_join

# Module "part numbers" as the BOM's default options name them (the test matches them).
OLED_MPN = "SSD1306 0.96in 4-pin I2C module"
SDR_MPN = "RTL-SDR Blog V4 dipole kit"
CAMERA_MPN = "Camera Module 3 NoIR"


class _Builder:
    """Places parts and draws wires, labels and notes; refuses wiring it cannot draw."""

    def __init__(self) -> None:
        self.lib = symbol_library()
        self.sch = Schematic()
        self._power_count = 0

    def part(
        self,
        ref: str,
        symbol: str,
        value: str,
        at: Point,
        angle: int = 0,
        mpn: str = "",
        fields: tuple[tuple[str, str], ...] = (),
    ) -> Placed:
        sym = self.lib[symbol]
        if angle and not (sym.symmetric or sym.power):
            # Rotation follows KiCad (counter-clockwise; KiCad's ERC confirms the pins
            # land where this model puts them), but keep polarized parts upright so
            # their orientation on the sheet reads the same as their current flow.
            raise ValueError(f"{ref}: only symmetric two-pin parts and power ports rotate")
        extra = ((("MPN", mpn),) if mpn else ()) + fields
        placed = Placed(ref, sym, value, at, angle, extra)
        self.sch.parts.append(placed)
        return placed

    def pin(self, ref: str, key: str) -> Point:
        return self.sch.part(ref).pin_point(key)

    def wire(self, *points: Point) -> None:
        for a, b in pairwise(points):
            if a[0] != b[0] and a[1] != b[1]:
                raise ValueError(f"wire {a}->{b} is not horizontal or vertical")
            self.sch.wires.append(Wire(a, b))

    def power(self, net: str, at: Point, angle: int = 0) -> None:
        self._power_count += 1
        self.part(f"#PWR{self._power_count:02d}", net, net, at, angle)

    def label(self, name: str, at: Point, angle: int = 0) -> None:
        self.sch.labels.append(Label(name, at, angle))

    def note(self, at: Point, *lines: str, size_mm: float = 1.27) -> None:
        step = max(2, round(size_mm * 1.6 / GRID_MM))
        for i, line in enumerate(lines):
            self.sch.notes.append(Note((at[0], at[1] + i * step), line, size_mm))


def build_schematic(kit: KitConfig) -> Schematic:
    """Lay out the whole kit: Pi header, ring driver, buzzer, motor, buttons, OLED, USB parts."""
    b = _Builder()
    _header(b, kit)
    _ring(b, kit)
    _npn_driver(
        b,
        "buzzer",
        kit.pin("buzzer").net,
        (150, 100),
        "+5V",
        load=("BZ1", "Buzzer", "passive", "FT12K03-42-2K"),
        diode=("D9", "1N4148", "1N4148"),
        base_r=("R7", "1k", "MFR-25FBF52-1K"),
        pull_ref="R8",
        q_ref="Q2",
    )
    _npn_driver(
        b,
        "vibration",
        kit.pin("vibration").net,
        (205, 100),
        "+3V3",
        load=("M1", "Motor", "3V coin", "310-101"),
        diode=("D10", "1N5819", "1N5819"),
        base_r=("R9", "470", "MFR-25FBF52-470R"),
        pull_ref="R10",
        q_ref="Q3",
    )
    _buttons(b, kit)
    _oled(b, kit)
    _usb_parts(b)
    _title(b, kit)
    split_and_join(b.sch)
    return b.sch


def _header(b: _Builder, kit: KitConfig) -> None:
    b.part("U1", "RPi_40pin", "Raspberry Pi 4 / 5 / Zero 2 W", (70, 90))
    used = {p.physical: p.net for p in kit.pins}
    used[BCM_TO_PHYSICAL[I2C_SDA_BCM]] = f"GPIO{I2C_SDA_BCM}_I2C_SDA"
    used[BCM_TO_PHYSICAL[I2C_SCL_BCM]] = f"GPIO{I2C_SCL_BCM}_I2C_SCL"
    for n in range(1, 41):
        pin = b.pin("U1", str(n))
        left = n % 2 == 1
        # Signal stubs reach past the ground ports' text on the rows beside them.
        reach = 4 if n in POWER_PINS else 10
        end = (pin[0] - reach, pin[1]) if left else (pin[0] + reach, pin[1])
        if n in POWER_PINS:
            net = {"3V3": "+3V3", "5V": "+5V", "GND": "GND"}[POWER_PINS[n]]
            # Turn the port to point away from the header so it clears the rows beside it.
            points_down = net == "GND"
            outward = 270 if left == points_down else 90
            b.wire(pin, end)
            b.power(net, end, outward)
        elif n in used:
            b.wire(pin, end)
            b.label(used[n], end, 180 if left else 0)
        else:
            b.sch.no_connects.append(pin)


def _ring(b: _Builder, kit: KitConfig) -> None:
    columns = (144, 154, 164, 174)
    for i, x in enumerate(columns):
        r = b.part(f"R{i + 1}", "R", "22", (x, 21), mpn="CMF5522R000FHEB")
        led_a = b.part(f"D{2 * i + 1}", "LED_IR", "850nm", (x, 29), mpn="TSHG6200")
        led_b = b.part(f"D{2 * i + 2}", "LED_IR", "850nm", (x, 37), mpn="TSHG6200")
        b.power("+5V", (x, 16))
        b.wire((x, 16), r.pin_point("1"))
        b.wire(r.pin_point("2"), led_a.pin_point("A"))
        b.wire(led_a.pin_point("K"), led_b.pin_point("A"))
        b.wire(led_b.pin_point("K"), (x, 46))
    b.wire((columns[0], 46), (columns[-1], 46))
    q = b.part("Q1", "Q_NMOS_GSD", "AO3400A", (172, 50), mpn="AO3400A")
    if q.pin_point("D") != (columns[-1], 46):
        raise ValueError("Q1 drain must land on the LED return bus")
    b.power("GND", (174, 56))
    b.wire(q.pin_point("S"), (174, 56))
    gate_r = b.part("R5", "R", "100", (158, 50), angle=90, mpn="MFR-25FBF52-100R")
    pull = b.part("R6", "R", "10k", (164, 55), mpn="MFR-25FBF52-10K")
    b.wire(gate_r.pin_point("2"), (164, 50), q.pin_point("G"))
    b.wire((164, 50), pull.pin_point("1"))
    b.power("GND", (164, 60))
    b.wire(pull.pin_point("2"), (164, 60))
    b.wire((150, 50), gate_r.pin_point("1"))
    b.label(kit.pin("ir_ring").net, (150, 50), 180)
    c = b.part("C1", "C_Pol", "100u", (132, 21), mpn="EEU-FR1A101")
    b.power("+5V", (132, 16))
    b.wire((132, 16), c.pin_point("+"))
    b.power("GND", (132, 26))
    b.wire(c.pin_point("-"), (132, 26))
    b.note(
        (128, 66),
        "IR ring: 4 strings x 2 LEDs from 5 V, switched low-side by Q1 (logic-level MOSFET).",
        "R = (5.0 V - 2 x 1.5 V - 0.02 V) / 90 mA = 22 ohm (27 ohm for 940 nm LEDs, Vf 1.35 V)",
        "Ring ON: 4 x 90 mA = 360 mA; toggled every frame (50 % duty): 180 mA average.",
        "R5 100 ohm tames the gate edge; R6 10 k keeps the ring OFF while GPIO"
        f"{kit.pin('ir_ring').bcm} floats at boot.",
        "C1 100 uF at the ring holds the 5 V rail during the 360 mA steps.",
    )


def _npn_driver(
    b: _Builder,
    role: str,
    net: str,
    at: Point,
    supply: str,
    load: tuple[str, str, str, str],
    diode: tuple[str, str, str],
    base_r: tuple[str, str, str],
    pull_ref: str,
    q_ref: str,
) -> None:
    x, y = at
    q = b.part(q_ref, "Q_NPN_CBE", "BC337-40", at, mpn="BC33740TA")
    load_ref, load_sym, load_value, load_mpn = load
    ld = b.part(load_ref, load_sym, load_value, (x + 2, y - 12), mpn=load_mpn)
    d = b.part(diode[0], "D", diode[1], (x + 12, y - 12), mpn=diode[2])
    b.power(supply, (x + 2, y - 20))
    b.wire((x + 2, y - 20), (x + 2, y - 18), ld.pin_point("+"))
    b.wire((x + 2, y - 18), (x + 12, y - 18), d.pin_point("K"))
    b.wire(ld.pin_point("-"), (x + 2, y - 6), q.pin_point("C"))
    b.wire(d.pin_point("A"), (x + 12, y - 6), (x + 2, y - 6))
    b.power("GND", (x + 2, y + 6))
    b.wire(q.pin_point("E"), (x + 2, y + 6))
    rb = b.part(base_r[0], "R", base_r[1], (x - 12, y), angle=90, mpn=base_r[2])
    rp = b.part(pull_ref, "R", "10k", (x - 8, y + 5), mpn="MFR-25FBF52-10K")
    b.wire(rb.pin_point("2"), (x - 8, y), q.pin_point("B"))
    b.wire((x - 8, y), rp.pin_point("1"))
    b.power("GND", (x - 8, y + 10))
    b.wire(rp.pin_point("2"), (x - 8, y + 10))
    b.wire((x - 19, y), rb.pin_point("1"))
    b.label(net, (x - 19, y), 180)
    what = "buzzer (magnetic: inductive)" if role == "buzzer" else "vibration motor"
    b.note((x - 20, y + 14), f"{q_ref}: low-side switch for the {what};",
           f"{diode[0]} clamps the coil's turn-off spike to {supply}.")  # fmt: skip


def _buttons(b: _Builder, kit: KitConfig) -> None:
    for i, (key, ref, value) in enumerate(
        (("button_mode", "SW1", "MODE"), ("button_ack", "SW2", "ACK"))
    ):
        x = 250 + 30 * i
        sw = b.part(ref, "SW_Push", value, (x, 30), mpn="B3F-4055")
        b.wire((x - 6, 22), (x, 22), sw.pin_point("1"))
        b.label(kit.pin(key).net, (x - 6, 22), 180)
        b.power("GND", (x, 36))
        b.wire(sw.pin_point("2"), (x, 36))
    b.note((236, 42), "Buttons short the GPIO to GND; the Pi's internal pull-ups",
           "hold them high, and the firmware debounces them.")  # fmt: skip


def _oled(b: _Builder, kit: KitConfig) -> None:
    address = f"0x{kit.i2c_address:02X}"
    oled = b.part(
        "U4", "OLED_I2C", "SSD1306 128x64", (300, 100), mpn=OLED_MPN,
        fields=(("I2C address", address), ("I2C bus", str(kit.i2c_port))),
    )  # fmt: skip
    vcc, gnd = oled.pin_point("VCC"), oled.pin_point("GND")
    b.wire(vcc, (vcc[0] - 8, vcc[1]))
    b.power("+3V3", (vcc[0] - 8, vcc[1]))
    b.wire(gnd, (gnd[0] - 8, gnd[1]))
    b.power("GND", (gnd[0] - 8, gnd[1]))
    for pin, bcm, name in (("SCL", I2C_SCL_BCM, "SCL"), ("SDA", I2C_SDA_BCM, "SDA")):
        p = oled.pin_point(pin)
        b.wire(p, (p[0] - 10, p[1]))
        b.label(f"GPIO{bcm}_I2C_{name}", (p[0] - 10, p[1]), 180)
    b.note((262, 114), f"OLED on I2C bus {kit.i2c_port} at {address} (some modules: 0x3D).",
           "Power it from 3.3 V so its pull-ups hold SDA/SCL at 3.3 V.",
           "Module pin order varies (GND-VCC or VCC-GND): read the silkscreen.")  # fmt: skip


def _usb_parts(b: _Builder) -> None:
    bank = b.part("BT1", "PowerBank_5V", "10000mAh", (60, 128))
    sdr = b.part("U3", "RTL_SDR", "RTL-SDR Blog V4", (70, 140), mpn=SDR_MPN)
    cam = b.part("U2", "PiCam_NoIR", "Camera Module 3 NoIR", (80, 128), mpn=CAMERA_MPN)
    ant = b.part("AE1", "Antenna", "dipole", (92, 133))
    b.wire(b.pin("U1", "PWR"), bank.pin_point("5V_OUT"))
    b.wire(b.pin("U1", "USB"), sdr.pin_point("USB"))
    b.wire(b.pin("U1", "CSI"), cam.pin_point("CSI"))
    ant_pin = ant.pin_point("A")
    b.wire(sdr.pin_point("ANT"), (ant_pin[0], sdr.pin_point("ANT")[1]), ant_pin)
    b.note((20, 150), "Cables, not header wires: power bank -> USB-C (micro-USB on a Zero 2 W);",
           "RTL-SDR -> USB-A (USB 2 port; OTG adapter on a Zero 2 W);",
           "camera -> CSI ribbon (22-to-15-pin cable on a Pi 5 / Zero 2 W).")  # fmt: skip


def _title(b: _Builder, kit: KitConfig) -> None:
    b.note((14, 14), "camsweep hardware kit: wiring of the hand-held hidden-camera finder",
           size_mm=2.5)  # fmt: skip
    b.note((14, 20), "Generated by hardware/tools/gen_schematic.py from device/defaults.toml",
           "[pins] and [display]; the pin table is in hardware/wiring.md.")  # fmt: skip
    lines = [f"{p.net:<20} BCM {p.bcm:>2}  header pin {p.physical:>2}  {p.role}" for p in kit.pins]
    lines.append(
        f"{'I2C SDA / SCL':<20} BCM 2/3   header pin 3/5   OLED at 0x{kit.i2c_address:02X}"
    )
    b.note((14, 170), "Header pins used (BCM numbers as in defaults.toml [pins]):", *lines)
    b.note((100, 154), "Parts (example part numbers; hardware/BOM.csv has options and costs):",
           *_parts_legend(b.sch))  # fmt: skip


def _parts_legend(sch: Schematic) -> list[str]:
    groups: dict[tuple[str, str, str], list[str]] = {}
    for part in sch.parts:
        if part.symbol.power:
            continue
        mpn = dict(part.fields).get("MPN", "")
        groups.setdefault((part.symbol.description, part.value, mpn), []).append(part.ref)
    lines = []
    for (description, value, mpn), refs in groups.items():
        kind = description.split(" (")[0].split(":")[0]
        lines.append(f"{_ref_ranges(refs):<12} {value:<30} {mpn or '-':<32} {kind}")
    return lines


def _ref_ranges(refs: list[str]) -> str:
    """R1, R2, R3, R4, R6 -> R1-R4, R6."""
    keyed = sorted((r.rstrip("0123456789"), int(r[len(r.rstrip("0123456789")) :])) for r in refs)
    out: list[str] = []
    start = prev = keyed[0]
    for item in [*keyed[1:], ("", -1)]:
        if item[0] == prev[0] and item[1] == prev[1] + 1:
            prev = item
            continue
        out.append(f"{start[0]}{start[1]}" + (f"-{prev[0]}{prev[1]}" if prev != start else ""))
        start = prev = item
    return ", ".join(out)
