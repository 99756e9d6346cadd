"""Every OLED screen against a golden PNG, drawn through a luma dummy device.

Regenerate after an intended change with CAMSWEEP_UPDATE_GOLDEN=1 and look at the PNGs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from luma.core.device import dummy
from luma.core.render import canvas
from PIL import Image

from device.events import PartStatus
from device.ui import screens
from device.ui.screens import UiState

GOLDEN = Path(__file__).parent / "golden"


def sample_state() -> UiState:
    freqs = np.linspace(900e6, 1400e6, 300)
    power = -70.0 + 25.0 * np.exp(-(((freqs - 1.2e9) / 8e6) ** 2))
    return UiState(
        version="0.1.0",
        mode="sweep",
        alert_state="sweeping",
        verdict="suspicious",
        sensitivity=3,
        parts=[
            PartStatus("camera", True),
            PartStatus("sdr", True),
            PartStatus("display", True),
            PartStatus("buzzer", False, "no PWM"),
        ],
        baseline_progress=0.4,
        lens_candidates=7,
        lens_findings=1,
        lens_xy=(0.25, 0.6),
        lens_confidence=0.93,
        lens_passes=2,
        rf_label="analog video ch 1200",
        rf_freq_hz=1.2e9,
        rf_new=1,
        lens_time_s=42.0,
        rf_sweeps=5,
        spectrum=tuple(zip(freqs.tolist(), power.tolist(), strict=True)),
        spectrum_marks=(1.2e9,),
        prox_freq_hz=1.2e9,
        prox_strength=0.55,
        prox_peak=0.8,
        prox_gain_db=19.7,
        prox_clipped=False,
        rooms=("101", "102", "103", "104"),
        room="102",
        checklist=("smoke detector", "clock", "TV / set-top box", "power strips", "mirror"),
        ticked=frozenset({"smoke detector", "clock"}),
        checklist_index=2,
        failure=PartStatus(
            "sdr", False, "USB error: dongle unplugged", "plug the RTL-SDR back in; retrying"
        ),
    )


@pytest.mark.parametrize("name", sorted(screens.SCREENS))
def test_screen_matches_golden(name: str) -> None:
    device = dummy(width=128, height=64, mode="1")
    with canvas(device) as draw:
        screens.SCREENS[name](draw, sample_state())
    image = device.image.convert("1")
    path = GOLDEN / f"{name}.png"
    if os.environ.get("CAMSWEEP_UPDATE_GOLDEN"):
        image.save(path)
    golden = Image.open(path).convert("1")
    diff = np.asarray(image, dtype=bool) ^ np.asarray(golden, dtype=bool)
    assert diff.sum() == 0, f"{name}: {int(diff.sum())} pixels differ from {path}"


def test_screens_differ_from_each_other() -> None:
    images = {n: np.asarray(screens.render(sample_state(), screen=n)) for n in screens.SCREENS}
    names = sorted(images)
    for i, a in enumerate(names):
        assert images[a].any(), f"{a} draws nothing"
        for b in names[i + 1 :]:
            assert (images[a] != images[b]).any(), f"{a} and {b} look the same"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"alert_state": "boot"}, "boot"),
        ({"alert_state": "alert"}, "alert"),
        ({"alert_state": "sweeping"}, "failure"),
        ({"alert_state": "baseline", "failure": None}, "baseline"),
        ({"alert_state": "sweeping", "failure": None, "mode": "proximity"}, "proximity"),
        ({"alert_state": "suspect", "failure": None, "mode": "lens"}, "lens"),
    ],
)
def test_choose_screen(changes: dict[str, object], expected: str) -> None:
    state = sample_state()
    for key, value in changes.items():
        setattr(state, key, value)
    assert screens.choose(state) == expected


def test_crosshair_follows_the_glint() -> None:
    state = sample_state()
    left = np.asarray(screens.render(state, screen="lens"))
    state.lens_xy = (0.75, 0.2)
    right = np.asarray(screens.render(state, screen="lens"))
    # Column sums of the 85-px camera box: the crosshair moves right.
    assert np.argmax(left[:, 2:83].sum(axis=0)) < np.argmax(right[:, 2:83].sum(axis=0))


def test_a_spot_seen_once_asks_to_look_again() -> None:
    """The sweep screen's lens line: a glint confirmed on one pass is not an alert yet."""
    state = sample_state()
    lines = []
    for verdict in ("clear", "suspicious"):
        state.verdict = verdict
        device = dummy(width=128, height=64, mode="1")
        with canvas(device) as draw:
            screens.sweep(draw, state)
        lines.append(np.asarray(device.image.convert("1"), dtype=bool)[10:20])
    assert (lines[0] ^ lines[1]).any()
