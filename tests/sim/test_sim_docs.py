"""docs/scenarios.md stays true: its example loads and it names every key of the format."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from device.sim import scenario as S
from device.sim import scenario_model as M
from device.sim import scenario_rf as RF
from device.sim.scenario import load_scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_example_loads(doc: str, tmp_path: Path) -> None:
    example = re.search(r"## Example\n\n```toml\n(.*?)```", doc, re.S)
    assert example, "docs/scenarios.md has an ## Example with a toml block"
    path = tmp_path / "example.toml"
    path.write_text(example.group(1))
    s = load_scenario(path)
    assert s.has_camera and s.lenses and s.emitters


def test_every_key_and_kind_is_documented(doc: str) -> None:
    models = [S._ScenarioFile, S.Truth, M.Room, M.Window, M.Furniture, M.Sweep, M.Station, M.Lens]
    models += list(M.DISTRACTOR_KINDS.values()) + list(RF.EMITTER_KINDS.values())
    models += [RF.Ambient, RF.FmStation, RF.Downlink, RF.Propagation, RF.Receiver]
    missing = {
        f"{m.__name__}.{f.name}"
        for m in models
        for f in dataclasses.fields(m)
        if not any(form.format(f.name) in doc for form in ("`{}`", "`[{}]`", "`[[{}]]`"))
    }
    assert not missing
    kinds = set(M.DISTRACTOR_KINDS) | set(RF.EMITTER_KINDS)
    assert not {k for k in kinds if f"`{k}`" not in doc}
