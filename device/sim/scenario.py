"""Scenarios: the virtual rooms, one TOML file each, validated like the config.

`list_scenarios()` names the built-in rooms in `device/sim/scenarios/`; `load_scenario()`
takes one of those names or a path to a TOML file anywhere (`--scenario-file PATH`). A
mistake in a file is a `ModelError` naming the file and the key path (`lenses[0].cone_deg`).
The format is documented in docs/scenarios.md.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from device.sim.scenario_model import (
    DISTRACTOR_KINDS,
    Lens,
    Placed,
    Room,
    Sweep,
)
from device.sim.scenario_rf import (
    EMITTER_KINDS,
    Ambient,
    Emitter,
    Propagation,
    Receiver,
)
from device.tomlmodel import ModelError, build, read_toml

LIGHTING_LEVELS = ("dark", "office", "daylight")


@dataclass(frozen=True)
class Truth:
    """What is really in the room, for tests and benchmarks."""

    has_camera: bool
    notes: str = ""


@dataclass(frozen=True)
class _ScenarioFile:
    """The file as written; `distractors` and `emitters` are typed per `kind` afterwards."""

    description: str
    room: Room
    truth: Truth
    sweep: Sweep
    name: str = ""
    lenses: tuple[Lens, ...] = ()
    distractors: tuple[Any, ...] = ()
    emitters: tuple[Any, ...] = ()
    ambient: Ambient = field(default_factory=Ambient)
    rf: Propagation = field(default_factory=Propagation)
    receiver: Receiver = field(default_factory=Receiver)


@dataclass(frozen=True)
class Scenario:
    """One virtual room: geometry, what hides in it, what radiates, how it is swept."""

    name: str
    description: str
    room: Room
    truth: Truth
    sweep: Sweep
    lenses: tuple[Lens, ...]
    distractors: tuple[Placed, ...]
    emitters: tuple[Emitter, ...]
    ambient: Ambient
    rf: Propagation
    receiver: Receiver
    source: str = ""

    @property
    def has_camera(self) -> bool:
        return self.truth.has_camera

    @property
    def lighting(self) -> str:
        return self.room.lighting

    @property
    def size_m(self) -> tuple[float, float, float]:
        x, y, z = self.room.size_m
        return (x, y, z)

    @property
    def lens_visible(self) -> bool:
        """A lens exists for the optical channel to find (from some pose of the sweep)."""
        return bool(self.lenses)

    @property
    def camera_emitters(self) -> tuple[Emitter, ...]:
        return tuple(e for e in self.emitters if e.camera)

    @property
    def rf_visible(self) -> bool:
        """A camera transmitter sits inside 24-1766 MHz, where an RTL-SDR can hear it."""
        return any(e.receivable for e in self.camera_emitters)

    @property
    def rf_blind(self) -> tuple[Emitter, ...]:
        """Camera transmitters an RTL-SDR cannot hear (2.4/5.8 GHz WiFi or video)."""
        return tuple(e for e in self.camera_emitters if not e.receivable)

    def with_lighting(self, level: str) -> Scenario:
        """The same room under another ambient light level (dark, office, daylight)."""
        if level not in LIGHTING_LEVELS:
            raise ValueError(f"lighting must be one of {', '.join(LIGHTING_LEVELS)}, not {level!r}")
        return dataclasses.replace(self, room=dataclasses.replace(self.room, lighting=level))


def scenarios_dir() -> Path:
    """Folder of the built-in scenario files."""
    return Path(str(resources.files("device.sim").joinpath("scenarios")))


def list_scenarios() -> list[tuple[str, str]]:
    """(name, one-line description) of every built-in scenario, sorted by name."""
    out: list[tuple[str, str]] = []
    for path in sorted(scenarios_dir().glob("*.toml")):
        try:
            with path.open("rb") as fh:
                desc = str(tomllib.load(fh).get("description", ""))
        except (OSError, tomllib.TOMLDecodeError):
            desc = "(unreadable: run `camsweep demo --scenario-file` on it to see why)"
        out.append((path.stem, desc.strip().splitlines()[0] if desc.strip() else ""))
    return out


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or any scenario file by path; strict validation."""
    path = _resolve(name_or_path)
    return parse_scenario(read_toml(path), str(path), default_name=path.stem)


def parse_scenario(table: dict[str, Any], source: str = "", default_name: str = "") -> Scenario:
    """Build a Scenario from an already-read TOML table (errors name `source`)."""
    raw = build(_ScenarioFile, table, source)
    distractors = tuple(
        _typed(DISTRACTOR_KINDS, item, source, f"distractors[{i}]")
        for i, item in enumerate(raw.distractors)
    )
    emitters = tuple(
        _typed(EMITTER_KINDS, item, source, f"emitters[{i}]") for i, item in enumerate(raw.emitters)
    )
    scenario = Scenario(
        name=raw.name or default_name,
        description=raw.description,
        room=raw.room,
        truth=raw.truth,
        sweep=raw.sweep,
        lenses=raw.lenses,
        distractors=distractors,
        emitters=emitters,
        ambient=raw.ambient,
        rf=raw.rf,
        receiver=raw.receiver,
        source=source,
    )
    _cross_check(scenario, source)
    return scenario


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text or text.endswith(".toml"):
        return Path(name_or_path)
    path = scenarios_dir() / f"{text}.toml"
    if not path.is_file():
        known = ", ".join(name for name, _ in list_scenarios())
        raise ModelError(
            text,
            "",
            f"no built-in scenario of that name (built-in: {known}); "
            "to load your own file give its path, e.g. --scenario-file ./room.toml",
        )
    return path


def _typed(kinds: dict[str, type[Any]], item: Any, source: str, path: str) -> Any:
    if not isinstance(item, dict):
        raise ModelError(source, path, f"expected a table, got {type(item).__name__}")
    kind = item.get("kind")
    if kind not in kinds:
        allowed = ", ".join(sorted(kinds))
        raise ModelError(source, f"{path}.kind", f"expected one of {allowed}, got {kind!r}")
    return build(kinds[kind], item, source, path)


def _cross_check(s: Scenario, source: str) -> None:
    """Checks that span several tables: ids unique, everything inside the room, truth."""
    size = s.size_m
    margin = 0.05  # objects may sit on a wall's surface

    def inside(path: str, xyz: tuple[float, ...]) -> None:
        for axis, (v, hi) in enumerate(zip(xyz, size, strict=False)):
            if not -margin <= v <= hi + margin:
                raise ModelError(
                    source,
                    path,
                    f"coordinate {'xyz'[axis]}={v:g} m is outside the room "
                    f"(room.size_m = {list(size)})",
                )

    seen: dict[str, str] = {}
    groups: list[tuple[str, tuple[Any, ...]]] = [
        ("lenses", s.lenses),
        ("distractors", s.distractors),
        ("emitters", s.emitters),
    ]
    for group, items in groups:
        for i, item in enumerate(items):
            path = f"{group}[{i}]"
            if item.id in seen:
                raise ModelError(
                    source, f"{path}.id", f"id {item.id!r} is already used by {seen[item.id]}"
                )
            seen[item.id] = path
            inside(f"{path}.position_m", item.position_m)
    for i, station in enumerate(s.sweep.stations):
        inside(f"sweep.stations[{i}].position_m", station.position_m)
    inside("sweep.door_m", s.sweep.door_m)
    for i, box in enumerate(s.room.furniture):
        inside(f"room.furniture[{i}].max_m", box.max_m)
    has_any = bool(s.lenses) or bool(s.camera_emitters)
    if s.truth.has_camera and not has_any:
        raise ModelError(
            source,
            "truth.has_camera",
            "true, but there is no lens and no emitter with camera = true",
        )
    if not s.truth.has_camera and has_any:
        raise ModelError(
            source,
            "truth.has_camera",
            "false, but the room holds a lens or an emitter with camera = true",
        )
