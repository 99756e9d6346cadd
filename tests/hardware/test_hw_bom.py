"""hardware/BOM.csv: parses, every line total is quantity x unit cost, the TOTAL is right.

How options count (also written in the TOTAL row's notes): a part name may start with a tag.
`[A1 default]` marks the default choice of option group A, `[A2]`, `[A3]` its alternatives;
`[extra]` marks an optional line. TOTAL = untagged lines + default-choice lines.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hw_facts import HARDWARE

BOM = HARDWARE / "BOM.csv"
COLUMNS = [
    "part",
    "quantity",
    "example manufacturer part number",
    "unit cost (USD approx)",
    "line total",
    "notes",
]
TAG = re.compile(
    r"^\[(?:(?P<group>[A-Z])(?P<choice>[1-9])(?P<default> default)?|(?P<extra>extra))\] "
)


@dataclass(frozen=True)
class Line:
    part: str
    quantity: int
    mpn: str
    unit: Decimal
    total: Decimal
    group: str | None
    choice: int | None
    default: bool
    extra: bool

    @property
    def counted(self) -> bool:
        return not self.extra and (self.group is None or self.default)


def read_bom() -> tuple[list[Line], dict[str, str]]:
    with BOM.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "BOM.csv is empty"
    *body, total_row = rows
    lines = []
    for n, row in enumerate(body, start=2):
        m = TAG.match(row["part"])
        if row["part"].startswith("[") and not m:
            pytest.fail(f"BOM.csv line {n}: unknown tag in {row['part']!r}")
        lines.append(
            Line(
                part=row["part"],
                quantity=int(row["quantity"]),
                mpn=row["example manufacturer part number"],
                unit=Decimal(row["unit cost (USD approx)"]),
                total=Decimal(row["line total"]),
                group=m.group("group") if m else None,
                choice=int(m.group("choice")) if m and m.group("choice") else None,
                default=bool(m and m.group("default")),
                extra=bool(m and m.group("extra")),
            )
        )
    return lines, total_row


def test_header_is_the_documented_columns() -> None:
    with BOM.open(newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == COLUMNS


def test_every_line_is_complete_and_its_total_is_quantity_times_unit_cost() -> None:
    lines, _ = read_bom()
    for line in lines:
        assert line.quantity > 0, f"{line.part}: quantity must be positive"
        assert line.unit > 0, f"{line.part}: unit cost must be positive"
        assert line.mpn, f"{line.part}: give an example part number (or 'generic ...')"
        assert line.total == line.quantity * line.unit, (
            f"{line.part}: {line.quantity} x {line.unit} is not {line.total}"
        )


def test_each_option_group_has_one_default_choice() -> None:
    lines, _ = read_bom()
    groups: dict[str, dict[int, set[bool]]] = {}
    for line in lines:
        if line.group:
            assert line.choice is not None
            groups.setdefault(line.group, {}).setdefault(line.choice, set()).add(line.default)
    assert groups, "BOM.csv has no option groups (the Pi 4 / Pi 5 / Zero 2 W choice is one)"
    for group, choices in groups.items():
        assert len(choices) >= 2, f"option group {group} offers no alternative"
        defaults = [c for c, flags in choices.items() if flags == {True}]
        mixed = [c for c, flags in choices.items() if len(flags) > 1]
        assert not mixed, f"group {group}: choice {mixed} has lines with and without 'default'"
        assert len(defaults) == 1, f"group {group} needs exactly one default choice"


def test_total_row_is_the_sum_of_counted_lines() -> None:
    lines, total_row = read_bom()
    assert total_row["part"] == "TOTAL"
    assert total_row["notes"], "the TOTAL row's notes must say how options are counted"
    expected = sum((line.total for line in lines if line.counted), Decimal(0))
    assert Decimal(total_row["line total"]) == expected
    everything = sum((line.total for line in lines), Decimal(0))
    assert expected < everything, "alternatives and extras must not be counted"


@pytest.mark.parametrize(
    "needle",
    [
        "Raspberry Pi 4", "Raspberry Pi 5", "Zero 2 W", "NoIR", "850 nm", "940 nm",
        "MOSFET", "RTL-SDR Blog V4", "RTL-SDR Blog V3", "antenna", "SSD1306", "SH1106",
        "buzzer", "NPN", "Push button", "Vibration motor", "1N4148", "1N5819",
        "power bank", "wire", "Screw",
    ],
)  # fmt: skip
def test_the_kit_has(needle: str) -> None:
    lines, _ = read_bom()
    assert any(needle.lower() in (line.part + " " + line.mpn).lower() for line in lines), needle
