"""Fixtures for the hardware-kit tests: defaults.toml and the generators in hardware/tools."""

from __future__ import annotations

import importlib
import sys
import tomllib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hw_facts import REPO, TOOLS


@pytest.fixture(scope="session")
def defaults() -> dict[str, Any]:
    """device/defaults.toml, the source of truth for pins and the OLED address."""
    with (REPO / "device" / "defaults.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="session")
def config_pins(defaults: dict[str, Any]) -> dict[str, int]:
    pins = defaults["pins"]
    assert pins, "defaults.toml has an empty [pins] table"
    return dict(pins)


@pytest.fixture(scope="session")
def tool() -> Callable[[str], ModuleType]:
    """Import a module from hardware/tools (the generators) by name."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module
