"""Shared fixtures for the hardware-layer tests: config, clocks, mock pin factory, data paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from device.clock import VirtualClock
from device.config import Config, load
from device.hal.gpio import mock_factory
from device.hal.registry import BuildContext

REPO = Path(__file__).resolve().parents[2]
SHARED_IQ = REPO / ".." / "shared" / "data" / "iq" / "rtl_433"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(100.0)


@pytest.fixture
def factory() -> Iterator[Any]:
    """A fresh MockFactory(pin_class=MockPWMPin) per test, passed explicitly, then reset."""
    pins = mock_factory()
    yield pins
    pins.reset()


def make_config(**overrides: Any) -> Config:
    """The packaged defaults with nested override tables, e.g. make_config(ui={"mute": True})."""
    return load(overrides=overrides or None)


def make_ctx(clock: VirtualClock, pin_factory: Any = None, **overrides: Any) -> BuildContext:
    return BuildContext(config=make_config(**overrides), clock=clock, pin_factory=pin_factory)


def shared_recording(name: str = "g001_433.92M_250k.cu8") -> Path:
    """A real rtl_433 recording from ../shared/data, or skip when it is not there."""
    path = SHARED_IQ / name
    if not path.is_file():
        pytest.skip(f"real IQ recording {path} is absent (../shared/data is not next to the repo)")
    return path
