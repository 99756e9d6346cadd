"""The service unit, udev rule and modprobe blacklist in systemd/.

`systemd-analyze verify` insists that ExecStart's binary exists, and /opt/camsweep/venv only
exists on an installed Pi. So the verify test checks a copy of the unit whose ExecStart
points at a stub executable in a temp dir; every other line is the shipped unit's, and
test_install checks that install.sh puts the console script where the real ExecStart says.
`systemd-analyze security --offline=yes` needs no binary and runs on the shipped file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SYSTEMD_DIR = Path(__file__).resolve().parents[1] / "systemd"
UNIT = SYSTEMD_DIR / "camsweep.service"
UDEV_RULE = SYSTEMD_DIR / "99-camsweep-rtlsdr.rules"
BLACKLIST = SYSTEMD_DIR / "camsweep-blacklist-rtl.conf"
EXEC_START = "/opt/camsweep/venv/bin/camsweep run"
MAX_EXPOSURE = 2.5  # the service's hardening target


def unit_entries(path: Path = UNIT) -> list[tuple[str, str, str]]:
    """(section, key, value) for every assignment, in order; repeated keys kept."""
    entries: list[tuple[str, str, str]] = []
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a key=value line: {raw!r}"
        entries.append((section, key.strip(), value.strip()))
    return entries


def service_values(key: str) -> list[str]:
    return [value for section, k, value in unit_entries() if section == "Service" and k == key]


def systemd_analyze() -> str:
    """Path of systemd-analyze; skipped if absent, but CI must have it (install.sh --dev)."""
    path = shutil.which("systemd-analyze")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing in CI: ./install.sh --dev installs systemd")
        pytest.skip("systemd-analyze is not installed (./install.sh --dev installs it)")
    return path


def test_unit_is_a_watchdogged_notify_service() -> None:
    assert service_values("Type") == ["notify"]
    assert service_values("NotifyAccess") == ["main"]
    assert service_values("ExecStart") == [EXEC_START]
    assert service_values("Restart") == ["on-failure"]
    assert service_values("User") == ["camsweep"]
    assert service_values("StateDirectory") == ["camsweep"]
    assert service_values("StateDirectoryMode") == ["0700"]
    (watchdog_s,) = service_values("WatchdogSec")
    (stop_s,) = service_values("TimeoutStopSec")
    # The daemon stops within 3 s of SIGTERM; systemd must not kill it before that.
    assert float(stop_s) > 3.0
    assert float(watchdog_s) > 0


def test_unit_keeps_hardware_visible() -> None:
    """PrivateDevices would hide GPIO, I2C, camera and USB; the device ACL lists them instead."""
    assert all(v.lower() in ("no", "false", "0") for v in service_values("PrivateDevices"))
    assert service_values("DevicePolicy") == ["closed"]
    allowed = {value.split()[0] for value in service_values("DeviceAllow")}
    needed = {
        "char-gpiochip",
        "char-i2c",
        "char-video4linux",
        "char-media",
        "char-dma_heap",
        "char-usb_device",
    }
    assert needed <= allowed
    groups = service_values("SupplementaryGroups")[0].split()
    assert set(groups) == {"gpio", "i2c", "video", "plugdev"}


def test_unit_verifies(tmp_path: Path) -> None:
    analyze = systemd_analyze()
    stub = tmp_path / "camsweep"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    text = UNIT.read_text()
    assert f"ExecStart={EXEC_START}\n" in text
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace(f"ExecStart={EXEC_START.split()[0]}", f"ExecStart={stub}"))
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # verify exits 0 on unknown keys and bad values, but names the file in a warning.
    complaints = [line for line in output.splitlines() if UNIT.name in line]
    assert complaints == []


def test_unit_security_exposure() -> None:
    analyze = systemd_analyze()
    result = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", output)
    assert match, f"no exposure line in:\n{output}"
    assert float(match.group(1)) <= MAX_EXPOSURE, output


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_runtime_libraries_map_no_writable_executable_memory() -> None:
    """MemoryDenyWriteExecute=yes is safe only while the runtime never maps W+X pages."""
    probe = """
import importlib, sys
for name in ("numpy", "PIL.Image", "gpiozero", "luma.core.device", "sdnotify",
             "tflite_runtime.interpreter", "ai_edge_litert.interpreter"):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
with open("/proc/self/maps") as maps:
    wx = [line for line in maps if {"w", "x"} <= set(line.split()[1])]
print(len(wx))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "0", result.stdout + result.stderr


def test_udev_rule_gives_both_rtl2832u_ids_to_plugdev() -> None:
    rules = [
        line for line in UDEV_RULE.read_text().splitlines() if line and not line.startswith("#")
    ]
    products = set()
    for rule in rules:
        assert 'ATTR{idVendor}=="0bda"' in rule
        assert 'GROUP="plugdev"' in rule
        assert 'MODE="0660"' in rule
        match = re.search(r'ATTR\{idProduct\}=="([0-9a-f]{4})"', rule)
        assert match, rule
        products.add(match.group(1))
    assert products == {"2838", "2832"}


def test_modprobe_blacklists_the_dvb_driver() -> None:
    lines = [
        line.split()
        for line in BLACKLIST.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert ["blacklist", "dvb_usb_rtl28xxu"] in lines
