"""Choosing backends through the registry: unknown names, missing libraries, lazy imports."""

from __future__ import annotations

import ctypes.util
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from device.clock import VirtualClock
from device.hal.base import (
    BackendUnavailable,
    Buttons,
    Buzzer,
    Camera,
    Display,
    IrRing,
    PartError,
    Sdr,
    Vibration,
)
from device.hal.camera_frames import FramesCamera
from device.hal.camera_picamera2 import Picamera2Camera
from device.hal.display_luma import DummyDisplay, LumaDisplay
from device.hal.gpio import GpioButtons, GpioBuzzer, GpioRing, GpioVibration
from device.hal.registry import build, resolve
from device.hal.sdr_file import FileSdr
from device.hal.sdr_rtlsdr import RtlSdrReceiver

from .conftest import make_ctx


def test_unknown_backend_names_list_the_known_ones() -> None:
    with pytest.raises(BackendUnavailable, match="no camera backend named 'webcam'") as info:
        resolve("camera", "webcam")
    assert "frames" in info.value.fix and "picamera2" in info.value.fix
    with pytest.raises(BackendUnavailable, match="no lidar backend"):
        resolve("lidar", "any")


@pytest.mark.skipif(
    importlib.util.find_spec("picamera2") is not None, reason="picamera2 is installed here"
)
def test_picamera2_backend_without_picamera2(clock: VirtualClock) -> None:
    with pytest.raises(BackendUnavailable) as info:
        build("camera", "picamera2", make_ctx(clock))
    err = info.value
    assert "picamera2" in err.problem and "missing" in err.problem
    assert "sudo apt install python3-picamera2" in err.fix
    assert "--system-site-packages" in err.fix


def test_rtlsdr_backend_without_a_working_pyrtlsdr(clock: VirtualClock) -> None:
    has_module = importlib.util.find_spec("rtlsdr") is not None
    if has_module and ctypes.util.find_library("rtlsdr") is not None:
        pytest.skip("pyrtlsdr and librtlsdr are both installed here")
    with pytest.raises(BackendUnavailable) as info:
        build("sdr", "rtlsdr", make_ctx(clock))
    err = info.value
    if has_module:  # pyrtlsdr present, librtlsdr absent
        assert "librtlsdr" in err.problem
        assert "apt install librtlsdr0" in err.fix and "pyrtlsdr<0.4" in err.fix
    else:
        assert "pyrtlsdr" in err.problem and "missing" in err.problem
        assert "pip install 'pyrtlsdr<0.4'" in err.fix and "librtlsdr0" in err.fix


def _on_a_pi() -> bool:
    model = Path("/proc/device-tree/model")
    return model.exists() and "Raspberry Pi" in model.read_text(errors="replace")


@pytest.mark.skipif(_on_a_pi(), reason="the real GPIO factories may work on a Pi")
@pytest.mark.parametrize("name", ["rpigpio", "lgpio"])
def test_real_gpio_backends_off_a_pi(name: str) -> None:
    make = resolve("gpio", name)
    with pytest.raises(PartError) as info:
        make()
    assert info.value.part == "gpio" and info.value.fix


def test_host_backends_build_by_name(tmp_path: Path, clock: VirtualClock) -> None:
    factory = resolve("gpio", "mock")()
    assert type(factory).__name__ == "MockFactory"
    factory.reset()

    display = build("display", "dummy", make_ctx(clock))
    display.show(Image.new("1", display.size, color=1))
    assert isinstance(display, DummyDisplay)

    iq_path = tmp_path / "r_433.92M_250k.cu8"
    np.zeros(512, dtype=np.uint8).tofile(iq_path)
    with build("sdr", "file", make_ctx(clock, sdr={"file_path": str(iq_path)})) as sdr:
        assert isinstance(sdr, FileSdr) and sdr.read(256).n_samples == 256

    Image.new("L", (8, 8)).save(tmp_path / "0001_on.png")
    with build("camera", "frames", make_ctx(clock, camera={"frames_dir": str(tmp_path)})) as cam:
        assert isinstance(cam, FramesCamera) and cam.capture().ring_on is True


def test_hardware_libraries_load_only_when_a_backend_is_built() -> None:
    modules = [
        "device.hal.gpio",
        "device.hal.display_luma",
        "device.hal.camera_picamera2",
        "device.hal.camera_frames",
        "device.hal.sdr_rtlsdr",
        "device.hal.sdr_file",
        "device.hal.iqfile",
        "device.hal.imageio",
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    loaded = {name.split(".")[0] for name in json.loads(out)}
    assert not loaded & {"gpiozero", "luma", "picamera2", "libcamera", "rtlsdr", "RPi", "lgpio"}


def _conforms(
    ring: GpioRing,
    buzzer: GpioBuzzer,
    motor: GpioVibration,
    buttons: GpioButtons,
    oled: LumaDisplay,
    dummy: DummyDisplay,
    picam: Picamera2Camera,
    frames: FramesCamera,
    rtl: RtlSdrReceiver,
    replay: FileSdr,
) -> list[object]:
    """Never called: mypy checks here that every backend satisfies its Protocol."""
    parts: list[object] = []
    a: IrRing = ring
    b: Buzzer = buzzer
    c: Vibration = motor
    d: Buttons = buttons
    e: Display = oled
    f: Display = dummy
    g: Camera = picam
    h: Camera = frames
    i: Sdr = rtl
    j: Sdr = replay
    parts.extend([a, b, c, d, e, f, g, h, i, j])
    return parts
