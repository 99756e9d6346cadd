"""The one table of hardware backends, as lazily imported "module:attr" strings.

A backend whose library is missing fails only when chosen, with an error naming the
package and how to install it; `import device` never loads a hardware library.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from device.hal.base import BackendUnavailable

if TYPE_CHECKING:
    from device.clock import Clock
    from device.config import Config
    from device.hal.base import IrRing
    from device.sim.world import World

# kind -> backend name -> "module:attr". `attr` is a class with `from_config(ctx)` (or, for
# gpio, a callable returning a gpiozero pin factory).
BACKENDS: dict[str, dict[str, str]] = {
    "camera": {
        "picamera2": "device.hal.camera_picamera2:Picamera2Camera",
        "frames": "device.hal.camera_frames:FramesCamera",
        "sim": "device.sim.camera:SimCamera",
    },
    "sdr": {
        "rtlsdr": "device.hal.sdr_rtlsdr:RtlSdrReceiver",
        "file": "device.hal.sdr_file:FileSdr",
        "sim": "device.sim.sdr:SimSdr",
    },
    "display": {
        "ssd1306": "device.hal.display_luma:LumaDisplay",
        "sh1106": "device.hal.display_luma:LumaDisplay",
        "dummy": "device.hal.display_luma:DummyDisplay",
    },
    "gpio": {
        "rpigpio": "device.hal.gpio:rpigpio_factory",
        "lgpio": "device.hal.gpio:lgpio_factory",
        "mock": "device.hal.gpio:mock_factory",
    },
}

# Top-level Python module a backend needs -> (package, how to install it).
INSTALL_HINTS: dict[str, tuple[str, str]] = {
    "picamera2": (
        "picamera2",
        "sudo apt install python3-picamera2, and create the venv with --system-site-packages "
        "(./install.sh --pi does both)",
    ),
    "libcamera": (
        "libcamera (python3-libcamera)",
        "sudo apt install python3-picamera2 python3-libcamera (./install.sh --pi)",
    ),
    "rtlsdr": (
        "pyrtlsdr + librtlsdr",
        "sudo apt install librtlsdr0 && .venv/bin/pip install 'pyrtlsdr<0.4' (./install.sh --pi)",
    ),
    "luma": ("luma.oled", ".venv/bin/pip install luma.oled (./install.sh)"),
    "gpiozero": ("gpiozero", ".venv/bin/pip install gpiozero (./install.sh)"),
    "RPi": (
        "RPi.GPIO (rpi-lgpio on a Pi 5)",
        'sudo apt install python3-rpi-lgpio, or set hal.gpio = "lgpio" (./install.sh --pi)',
    ),
    "lgpio": ("lgpio", "sudo apt install python3-lgpio (./install.sh --pi)"),
    "smbus2": ("smbus2", ".venv/bin/pip install smbus2 (comes with luma.oled)"),
}


@dataclass
class BuildContext:
    """What a backend may need to build itself: config, clock, and the sim world if any."""

    config: Config
    clock: Clock
    world: World | None = None
    ring: IrRing | None = None
    pin_factory: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def resolve(kind: str, name: str) -> Any:
    """Import and return the backend object registered as `kind`/`name`."""
    try:
        target = BACKENDS[kind][name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS.get(kind, {}))) or "none"
        raise BackendUnavailable(
            kind, f"no {kind} backend named {name!r}", f"choose one of: {known}"
        ) from None
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise missing_library(kind, name, exc) from exc
    return getattr(module, attr)


def missing_library(kind: str, name: str, exc: ImportError) -> BackendUnavailable:
    """Turn an ImportError inside a backend into an error naming the package and the fix.

    A module of camsweep itself that fails to import is a broken install, not a missing
    hardware library: that ImportError is raised as it is.
    """
    missing = (exc.name or "").split(".")[0]
    if missing == "device":
        raise exc
    package, fix = INSTALL_HINTS.get(missing, (missing or str(exc), f"install {missing or 'it'}"))
    return BackendUnavailable(
        kind, f"the {name!r} backend needs the Python package {package}, which is missing", fix
    )


def build(kind: str, name: str, ctx: BuildContext) -> Any:
    """Resolve and construct a backend with `from_config(ctx)`."""
    cls = resolve(kind, name)
    try:
        return cls.from_config(ctx)
    except ImportError as exc:  # backends import their libraries lazily, at construction
        raise missing_library(kind, name, exc) from exc
