"""The build docs quote the firmware exactly: self-test transcripts, GPIO and pin numbers."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from hw_facts import BCM_TO_PIN, HARDWARE

from device.selftest import CheckResult, print_results

CALIBRATION = HARDWARE / "CALIBRATION.md"
DOCS = sorted(HARDWARE.glob("*.md")) + sorted(HARDWARE.glob("*/README.md"))
RESULT = re.compile(r"^(OK  |FAIL) (\S+) +(.*)$")
FIX = re.compile(r"^ +fix: (.*)$")


def selftest_blocks() -> list[str]:
    """Every ```text block that follows a `<!-- selftest-output -->` marker."""
    text = CALIBRATION.read_text(encoding="utf-8")
    return re.findall(r"<!-- selftest-output -->\n```text\n(.*?)```", text, flags=re.S)


def parse_transcript(block: str) -> list[CheckResult]:
    results: list[CheckResult] = []
    lines = block.rstrip("\n").split("\n")
    for line in lines[:-1]:
        if m := RESULT.match(line):
            results.append(CheckResult(m.group(2), m.group(1) == "OK  ", m.group(3)))
        elif (m := FIX.match(line)) and results and not results[-1].ok:
            last = results.pop()
            results.append(CheckResult(last.part, False, last.detail, m.group(1)))
        else:
            pytest.fail(f"not a self-test line: {line!r}")
    return results


def test_calibration_shows_a_good_kit_and_each_common_mistake() -> None:
    blocks = selftest_blocks()
    assert len(blocks) >= 5
    assert blocks[0].rstrip().endswith("all parts OK")
    failing = {r.part for b in blocks[1:] for r in parse_transcript(b) if not r.ok}
    assert {"display", "camera", "sdr"} <= failing


@pytest.mark.parametrize("index", range(len(selftest_blocks())))
def test_transcript_is_exactly_what_print_results_prints(index: int) -> None:
    block = selftest_blocks()[index]
    out = io.StringIO()
    print_results(parse_transcript(block), out)
    assert out.getvalue() == block


@pytest.mark.parametrize("index", range(len(selftest_blocks())))
def test_transcript_uses_the_configured_pins_and_address(
    index: int, config_pins: dict[str, int], defaults: dict[str, Any]
) -> None:
    results = {r.part: r for r in parse_transcript(selftest_blocks()[index])}
    assert f"GPIO{config_pins['ir_ring']}" in results["ring"].detail
    assert f"GPIO{config_pins['buzzer']}" in results["buzzer"].detail
    assert f"GPIO{config_pins['vibration']}" in results["vibration"].detail
    assert results["buttons"].detail == (
        f"mode GPIO{config_pins['button_mode']}, ack GPIO{config_pins['button_ack']}"
    )
    address = f"0x{defaults['display']['i2c_address']:02X}"
    assert address in results["display"].detail


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(HARDWARE)))
def test_gpio_and_pin_numbers_in_prose_agree_with_the_config(
    doc: Any, config_pins: dict[str, int]
) -> None:
    text = doc.read_text(encoding="utf-8")
    allowed = set(config_pins.values()) | {2, 3}  # plus the OLED's I2C pair
    for m in re.finditer(r"\bGPIO(\d+)\b", text):
        assert int(m.group(1)) in allowed, f"{doc.name} mentions unused GPIO{m.group(1)}"
    for m in re.finditer(r"\bGPIO(\d+),? \((?:header )?pin (\d+)\)", text):
        bcm, pin = int(m.group(1)), int(m.group(2))
        assert BCM_TO_PIN[bcm] == pin, f"{doc.name}: GPIO{bcm} is pin {BCM_TO_PIN[bcm]}, not {pin}"


def test_calibration_quotes_the_detector_threshold(defaults: dict[str, Any]) -> None:
    text = CALIBRATION.read_text(encoding="utf-8")
    m = re.search(r"`vision\.diff_threshold` \((\d+(?:\.\d+)?), so \+(\d+)\)", text)
    assert m, "CALIBRATION.md must quote vision.diff_threshold and twice its value"
    threshold = defaults["vision"]["diff_threshold"]
    assert float(m.group(1)) == threshold
    assert int(m.group(2)) == round(2 * threshold)


def test_schematic_readme_says_why_erc_is_not_run() -> None:
    text = (HARDWARE / "schematic" / "README.md").read_text(encoding="utf-8")
    assert "kicad-cli" in text and "KiCad 7" in text and "6.0.11" in text
