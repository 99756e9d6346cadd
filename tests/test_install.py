"""install.sh: dry runs print the right steps and change nothing; shellcheck is clean.

Each dry run works on a copy of the files install.sh reads, with the commands that change a
system (apt-get, useradd, systemctl, ...) shadowed on PATH by stubs that log their calls:
a dry run must leave the log empty, the copy untouched and the system paths as they were.
A step counts as present when the dry run would run it ("+ ...") or reports it already done
("- skip: ..."), so the tests hold on a machine that is already installed too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from device.config import load

REPO = Path(__file__).resolve().parents[1]
INSTALL = REPO / "install.sh"
EXEC_START = "/opt/camsweep/venv/bin/camsweep"
MUTATING_COMMANDS = [
    "apt-get",
    "apt",
    "sudo",
    "useradd",
    "usermod",
    "groupadd",
    "systemctl",
    "udevadm",
    "modprobe",
    "raspi-config",
    "install",
    "cp",
    "mkdir",
    "rm",
    "ln",
    "tee",
    "chmod",
    "chown",
    "tar",
    "pip",
    "pip3",
]
# Read-only queries install.sh may make of stubbed commands: answered "no", not logged.
READ_ONLY_CALLS = ("systemctl is-", "raspi-config nonint get_")
SYSTEM_PATHS = (
    "/opt/camsweep",
    "/etc/camsweep",
    "/var/lib/camsweep",
    "/etc/systemd/system/camsweep.service",
    "/etc/udev/rules.d/99-camsweep-rtlsdr.rules",
    "/etc/modprobe.d/camsweep-blacklist-rtl.conf",
    "/usr/local/bin/camsweep",
)

DEV_TOOLS = ("shellcheck", "systemd")  # what the test suite itself calls

Runner = Callable[..., subprocess.CompletedProcess[str]]


def snapshot(root: Path) -> dict[str, tuple[int, float]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime)
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A copy of install.sh and the files it installs, without a .venv."""
    tree = tmp_path / "repo"
    tree.mkdir()
    shutil.copy2(INSTALL, tree / "install.sh")
    shutil.copy2(REPO / "pyproject.toml", tree / "pyproject.toml")
    shutil.copytree(REPO / "systemd", tree / "systemd")
    return tree


@pytest.fixture
def dry_run(sandbox: Path, tmp_path: Path) -> Runner:
    """Run the sandbox's install.sh with mutating commands stubbed out; assert no change."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    log = tmp_path / "calls.log"
    read_only = "|".join(f'"{call}"*' for call in READ_ONLY_CALLS)
    for name in MUTATING_COMMANDS:
        stub = stubs / name
        stub.write_text(
            f'#!/bin/sh\ncase "{name} $*" in {read_only}) exit 1 ;; esac\n'
            f'echo "{name} $*" >> "{log}"\nexit 1\n'
        )
        stub.chmod(0o755)

    def run(*args: str, model: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}"}
        env.pop("CAMSWEEP_DT_MODEL", None)
        if model is not None:
            model_file = tmp_path / "model"
            model_file.write_bytes(model.encode() + b"\0")
            env["CAMSWEEP_DT_MODEL"] = str(model_file)
        before = snapshot(sandbox)
        system_before = {p: os.path.lexists(p) for p in SYSTEM_PATHS}
        result = subprocess.run(
            ["bash", str(sandbox / "install.sh"), *args],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        calls = log.read_text() if log.exists() else ""
        assert calls == "", f"--dry-run ran commands:\n{calls}"
        assert snapshot(sandbox) == before, "--dry-run changed the checkout"
        assert {p: os.path.lexists(p) for p in SYSTEM_PATHS} == system_before
        return result

    return run


def step_lines(output: str) -> list[str]:
    """What a dry run would execute ("+ ...") or reports as already done ("- skip: ...")."""
    return [
        line.split(" ", 1)[1] if line.startswith("+ ") else line.split(":", 1)[1]
        for line in output.splitlines()
        if line.startswith(("+ ", "- skip:"))
    ]


def has_step(steps: list[str], *words: str) -> bool:
    return any(all(word in step for word in words) for step in steps)


def has_packages(steps: list[str], *packages: str) -> bool:
    """Each package is either in an apt-get install step or reported as installed."""
    apt = [f" {step} " for step in steps if "apt-get install" in step or "apt packages" in step]
    return all(any(f" {pkg} " in line for line in apt) for pkg in packages)


def test_help_lists_the_options() -> None:
    result = subprocess.run(
        ["bash", str(INSTALL), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0
    for option in ("--pi", "--host", "--dev", "--dry-run"):
        assert option in result.stdout


def test_unknown_option_is_an_error_naming_it() -> None:
    result = subprocess.run(
        ["bash", str(INSTALL), "--frobnicate"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "--frobnicate" in result.stderr
    assert "--help" in result.stderr


def test_pi_and_host_exclude_each_other() -> None:
    result = subprocess.run(
        ["bash", str(INSTALL), "--pi", "--host", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "exclude" in result.stderr


def test_pi_dry_run_prints_every_device_step(dry_run: Runner) -> None:
    result = dry_run("--pi", "--dry-run")
    steps = step_lines(result.stdout)
    assert has_packages(steps, "python3-picamera2", "python3-libcamera", "librtlsdr0", "i2c-tools")
    assert has_packages(steps, "python3-lgpio", "python3-venv", "python3-numpy")
    assert has_step(steps, "raspi-config nonint do_i2c 0") or has_step(steps, "I2C is already")
    assert has_step(steps, "/etc/modprobe.d/camsweep-blacklist-rtl.conf")
    assert has_step(steps, "/etc/udev/rules.d/99-camsweep-rtlsdr.rules")
    assert has_step(steps, "/opt/camsweep/venv")
    assert has_step(steps, "-m venv", "--system-site-packages", "/opt/camsweep/venv") or has_step(
        steps, "/opt/camsweep/venv exists"
    )
    assert has_step(steps, "/opt/camsweep/venv/bin/python -m pip install", "pyrtlsdr<0.4")
    assert has_step(steps, "useradd", "--system", "camsweep") or has_step(steps, "user camsweep")
    assert has_step(steps, "usermod", "plugdev", "camsweep") or has_step(steps, "is in gpio")
    assert has_step(steps, "/etc/systemd/system/camsweep.service")
    assert has_step(steps, "systemctl enable camsweep") or has_step(steps, "is enabled")
    assert has_step(steps, "/etc/camsweep/config.toml")
    assert "sudo systemctl start camsweep" in result.stdout


def test_pi_model_picks_the_gpio_library(dry_run: Runner) -> None:
    pi5 = step_lines(dry_run("--dry-run", model="Raspberry Pi 5 Model B Rev 1.0").stdout)
    assert has_packages(pi5, "python3-rpi-lgpio")
    assert not has_step(pi5, "python3-rpi.gpio")
    pi4 = step_lines(dry_run("--dry-run", model="Raspberry Pi 4 Model B Rev 1.5").stdout)
    assert has_packages(pi4, "python3-rpi.gpio")
    assert not has_step(pi4, "python3-rpi-lgpio")


def test_non_pi_model_gets_the_host_install(dry_run: Runner, sandbox: Path) -> None:
    steps = step_lines(dry_run("--dry-run", model="Generic x86 board").stdout)
    assert has_step(steps, "-m venv", str(sandbox / ".venv"))
    assert not has_step(steps, "useradd")


def test_host_dry_run_makes_the_venv(dry_run: Runner, sandbox: Path) -> None:
    result = dry_run("--host", "--dry-run")
    steps = step_lines(result.stdout)
    assert has_step(steps, "-m venv", str(sandbox / ".venv"))
    assert has_step(steps, ".venv/bin/python -m pip install", "-e", "[tflite,fleet]")
    assert not has_step(steps, "systemctl")
    assert ".venv/bin/camsweep demo" in result.stdout


def test_host_dev_dry_run_adds_the_test_tools(dry_run: Runner) -> None:
    result = dry_run("--host", "--dev", "--dry-run")
    steps = step_lines(result.stdout)
    assert has_step(steps, "pip install", "[tflite,fleet,dev]")
    assert has_packages(steps, *DEV_TOOLS) or "no apt on this computer" in result.stdout


def test_config_template_is_a_valid_pi_config(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(INSTALL), "--print-config"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    path = tmp_path / "config.toml"
    path.write_text(result.stdout)
    config = load(path)
    assert (config.hal.camera, config.hal.sdr, config.hal.display, config.hal.gpio) == (
        "picamera2",
        "rtlsdr",
        "ssd1306",
        "lgpio",
    )


def test_unit_runs_the_console_script_install_sh_creates() -> None:
    script = INSTALL.read_text()
    assert 'PI_VENV="$PI_PREFIX/venv"' in script
    assert "PI_PREFIX=/opt/camsweep\n" in script
    unit = (REPO / "systemd" / "camsweep.service").read_text()
    assert f"ExecStart={EXEC_START} run\n" in unit


def test_shellcheck_is_clean() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is missing in CI: ./install.sh --dev installs it")
        pytest.skip("shellcheck is not installed (./install.sh --dev installs it)")
    targets = [str(INSTALL)]
    ci_run = REPO / ".ci" / "run"
    if ci_run.exists():
        targets.append(str(ci_run))
    result = subprocess.run(
        [shellcheck, *targets], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
