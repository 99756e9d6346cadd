"""Buttons through the View: modes, sensitivity, acknowledge, mute, room and checklist."""

from __future__ import annotations

import numpy as np

from device import events as ev
from device.ui.screens import UiState
from device.ui.sounds import SoundPlayer
from device.ui.view import MODES, View, decimate


def make_view(**state: object) -> tuple[View, list[object]]:
    calls: list[object] = []
    view = View(
        None,
        SoundPlayer(None, None, mute=False, silent=False),
        UiState(checklist=("smoke detector", "clock"), rooms=("101", "102"), room="101",
                **state),  # type: ignore[arg-type]
        (640, 480),
        on_mode=lambda m: calls.append(("mode", m)),
        on_sensitivity=lambda s: calls.append(("sens", s)),
        on_ack=lambda: calls.append("ack"),
        on_room=lambda r: calls.append(("room", r)),
        on_checklist=lambda c: calls.append(("check", c)),
    )  # fmt: skip
    return view, calls


def test_mode_cycles_through_every_screen() -> None:
    view, calls = make_view()
    seen = []
    for _ in MODES:
        view.on_button("mode", "short")
        seen.append(view.state.mode)
    assert seen == [*MODES[1:], MODES[0]]
    assert calls[0] == ("mode", MODES[1])


def test_long_press_steps_sensitivity_and_wraps() -> None:
    view, calls = make_view(sensitivity=4)
    view.on_button("mode", "long")
    view.on_button("mode", "long")
    assert view.state.sensitivity == 1
    assert calls == [("sens", 5), ("sens", 1)]


def test_ack_acknowledges_and_dismisses_a_failure() -> None:
    view, calls = make_view()
    view.apply(ev.PartStatus("sdr", False, "unplugged", "plug it in"))
    assert view.state.failure is not None
    view.on_button("ack", "short")
    assert view.state.failure is None and calls == ["ack"]


def test_long_ack_toggles_mute() -> None:
    view, _ = make_view()
    view.on_button("ack", "long")
    assert view.state.muted and view.sounds.mute
    view.on_button("ack", "long")
    assert not view.state.muted


def test_room_and_checklist_screens_use_the_ack_button() -> None:
    view, calls = make_view(mode="room")
    view.on_button("ack", "short")
    assert view.state.room == "102" and calls[-1] == ("room", "102")
    view.state.mode = "checklist"
    view.on_button("ack", "short")
    assert calls[-1] == ("check", {"smoke detector": True, "clock": False})
    view.on_button("ack", "short")
    view.on_button("ack", "short")  # wraps to the first item and unticks it
    assert calls[-1] == ("check", {"smoke detector": False, "clock": True})
    assert "ack" not in calls


def test_events_update_the_state() -> None:
    view, _ = make_view()
    view.apply(ev.LensFinding(1.0, 0, 320.0, 120.0, (0.0, 10.0), 0.9, 4))
    assert view.state.lens_xy == (0.5, 0.25) and view.state.lens_findings == 1
    view.apply(ev.RfFinding(2.0, 1.2e9, 18e6, -40, 20, "analog video", "continuous", 0.5))
    assert view.state.rf_new == 1 and view.state.spectrum_marks == (1.2e9,)
    view.apply(ev.PartStatus("sdr", False, "x"))
    view.apply(ev.PartStatus("sdr", True, "working again"))
    assert view.state.failure is None


def test_decimate_keeps_peaks() -> None:
    f = np.arange(1000, dtype=float)
    p = np.zeros(1000)
    p[501] = 30.0
    out = decimate(f, p, 100)
    assert len(out) == 100 and max(v for _f, v in out) == 30.0
