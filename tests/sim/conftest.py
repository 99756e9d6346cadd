"""Helpers for the virtual-room tests: a tiny ring, small scenarios built in code."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from device.clock import VirtualClock
from device.sim.geometry import CameraParams, Pose, unit_dir
from device.sim.scenario import Scenario, parse_scenario
from device.tomlmodel import deep_merge

SMALL_CAM = CameraParams(width=320, height=240)

BASE: dict[str, Any] = {
    "description": "test room",
    "truth": {"has_camera": False},
    "room": {"size_m": [4.0, 4.0, 2.5], "lighting": "office"},
    "sweep": {
        "door_m": [2.0, 0.5],
        "door_facing_deg": 90.0,
        "door_dwell_s": 2.0,
        "stations": [{"position_m": [2.0, 2.0], "facing_deg": 90.0}],
    },
}


def scenario(**tables: Any) -> Scenario:
    """A small scenario: BASE with the given top-level tables merged or replaced."""
    table = copy.deepcopy(BASE)
    for key, value in tables.items():
        table[key] = (
            deep_merge(table[key], value) if isinstance(value, dict) and key in table else value
        )
    return parse_scenario(table, "test.toml", default_name="test")


def look_at(
    target: tuple[float, ...], from_dir_deg: tuple[float, float], distance_m: float
) -> Pose:
    """A pose `distance_m` from `target` along direction `from_dir_deg`, looking straight at it."""
    t = np.asarray(target, float)
    pos = t + distance_m * unit_dir(*from_dir_deg)
    d = t - pos
    yaw = float(np.degrees(np.arctan2(d[1], d[0])))
    pitch = float(np.degrees(np.arcsin(d[2] / np.linalg.norm(d))))
    return Pose(pos, yaw, pitch, 0.0)


class FakeRing:
    """The IrRing protocol in a few lines: a log of (t_s, on) changes on the given clock."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._on = False
        self._log: list[tuple[float, bool]] = [(clock.now(), False)]

    @property
    def is_on(self) -> bool:
        return self._on

    def set(self, on: bool) -> None:
        if on != self._on:
            self._on = on
            self._log.append((self._clock.now(), on))

    def transitions(self, since_s: float = 0.0) -> list[tuple[float, bool]]:
        return [e for e in self._log if e[0] >= since_s]

    def close(self) -> None:
        pass


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()
