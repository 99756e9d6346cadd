"""`camsweep selftest`: every part checked, common wiring mistakes named with their fix."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from device import selftest
from device.config import load
from device.hal import registry
from device.hal.base import PartError


def run(cfg: Any) -> dict[str, selftest.CheckResult]:
    return {r.part: r for r in selftest.run_selftest(cfg)}


def test_the_simulated_kit_passes() -> None:
    results = run(load())
    assert all(r.ok for r in results.values()), results
    assert list(results) == [
        "gpio", "ring", "buzzer", "vibration", "buttons", "display", "camera", "sdr", "model",
    ]  # fmt: skip
    out = io.StringIO()
    selftest.print_results(list(results.values()), out)
    assert out.getvalue().endswith("all parts OK\n")


def test_missing_picamera2_is_named_without_a_traceback(tmp_path: Path) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text('[hal]\ncamera = "picamera2"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "device", "--config", str(conf), "selftest"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "FAIL camera" in proc.stdout and "picamera2" in proc.stdout
    assert "apt install python3-picamera2" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "OK   sdr" in proc.stdout  # the other parts were still checked


def test_oled_at_the_other_address(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load(overrides={"hal": {"display": "ssd1306"}})
    real_build = registry.build

    def build(kind: str, name: str, ctx: Any) -> Any:
        if kind == "display":
            raise PartError("display", "no reply from 0x3C")
        return real_build(kind, name, ctx)

    monkeypatch.setattr(registry, "build", build)
    monkeypatch.setattr(selftest, "i2c_bus_exists", lambda port: True)
    monkeypatch.setattr(selftest, "probe_i2c", lambda port, addr: addr == 0x3D)
    r = run(cfg)["display"]
    assert not r.ok
    assert r.detail == "no OLED answers at 0x3C on I2C bus 1, but a device answers at 0x3D"
    assert "display.i2c_address = 0x3D" in r.fix
    monkeypatch.setattr(selftest, "probe_i2c", lambda port, addr: False)
    r = run(cfg)["display"]
    assert "no device answers on I2C bus 1" in r.detail and "SDA to pin 3" in r.fix


def test_dark_ring_is_reported_with_the_wiring_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "RING_MIN_GAIN", 1000.0)
    r = run(load())["camera"]
    assert not r.ok and r.detail.startswith("the IR ring does not light")
    assert "GPIO18 (pin 12)" in r.fix


def test_dvb_driver_holding_the_dongle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = load(overrides={"hal": {"sdr": "rtlsdr"}})
    real_build = registry.build

    def build(kind: str, name: str, ctx: Any) -> Any:
        if kind == "sdr":
            raise PartError("sdr", "usb_claim_interface error -6")
        return real_build(kind, name, ctx)

    monkeypatch.setattr(registry, "build", build)
    monkeypatch.setattr(selftest, "DVB_MODULE_PATH", tmp_path)  # "the module is loaded"
    r = run(cfg)["sdr"]
    assert "dvb_usb_rtl28xxu" in r.detail and "modprobe -r" in r.fix
    monkeypatch.setattr(selftest, "DVB_MODULE_PATH", tmp_path / "absent")
    assert run(cfg)["sdr"].detail == "usb_claim_interface error -6"
