"""The alert state machine: the transition table, debounce, and how channels combine."""

from __future__ import annotations

import dataclasses

import pytest

from device.config import load
from device.events import LensFinding, RfFinding, Verdict
from device.fusion.alert import TRANSITIONS, AlertMachine, State, Trigger


def machine() -> AlertMachine:
    m = AlertMachine(load().alert)
    m.fire(Trigger.SELFTEST_DONE, 0.0)
    m.fire(Trigger.BASELINE_DONE, 0.0)
    return m


def lens(t_s: float, confidence: float, track: int = 0, passes: int = 2,
         held: int | None = None) -> LensFinding:
    """A lens place confirmed on `passes` separate passes, `held` of them (all unless said)
    held from entering the view to leaving it (two such: it may raise the alert)."""
    return LensFinding(t_s, track, 320.0, 240.0, (0.0, 0.0), confidence, cycles=4,
                       passes=passes, held_passes=passes if held is None else held)


def rf(t_s: float, confidence: float, novelty: str = "new") -> RfFinding:
    return RfFinding(
        t_s,
        1.2e9,
        18e6,
        -40.0,
        20.0,
        "analog video",
        "continuous",
        confidence,
        novelty,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("key", "target"), list(TRANSITIONS.items()))
def test_every_table_row_is_taken(key: tuple[State, Trigger], target: State) -> None:
    m = AlertMachine(load().alert)
    m.state = key[0]
    assert m.fire(key[1], 1.0)
    assert m.state is target


def test_moves_not_in_the_table_are_ignored() -> None:
    m = AlertMachine(load().alert)
    assert not m.fire(Trigger.CONFIRMED, 0.0)
    assert m.state is State.BOOT
    assert not m.fire(Trigger.ACK, 0.0)


def test_lens_needs_debounce_before_alert() -> None:
    m = machine()
    m.on_finding(lens(10.0, 0.95))
    assert m.state is State.SUSPECT  # strong, but not yet held for debounce_s
    m.on_finding(lens(10.5, 0.95))
    assert m.state is State.SUSPECT
    m.on_finding(lens(11.1, 0.95))
    assert m.state is State.ALERT
    assert m.verdict() is Verdict.CAMERA


def test_lone_rf_is_suspicious_never_camera() -> None:
    m = machine()
    for t in range(0, 30):
        m.on_finding(rf(float(t), 1.0, "growing"))
    assert m.state is State.SUSPECT
    assert m.verdict() is Verdict.SUSPICIOUS


def test_growing_rf_corroborates_a_weak_lens() -> None:
    m = machine()
    m.on_finding(lens(1.0, 0.7))
    assert m.verdict() is Verdict.SUSPICIOUS
    m.on_finding(rf(1.5, 0.5, "growing"))
    m.tick(3.0)
    assert m.verdict() is Verdict.CAMERA


def test_sensitivity_moves_thresholds() -> None:
    low, high = machine(), machine()
    low.set_sensitivity(1)
    high.set_sensitivity(5)
    assert low.thresholds()[1] > high.thresholds()[1]
    for m in (low, high):
        m.on_finding(lens(0.0, 0.75))
        m.tick(5.0)
    assert high.verdict() is Verdict.CAMERA
    assert low.verdict() is Verdict.SUSPICIOUS
    with pytest.raises(ValueError):
        low.set_sensitivity(6)


def test_ack_then_cleared_returns_to_sweeping() -> None:
    m = machine()
    m.on_finding(rf(0.0, 0.5))
    assert m.state is State.SUSPECT
    assert m.fire(Trigger.ACK, 1.0)
    assert m.state is State.ACKNOWLEDGED
    assert m.fire(Trigger.CLEARED, 2.0)
    assert m.state is State.SWEEPING


def test_rf_growing_at_another_moment_does_not_corroborate_a_lens() -> None:
    """A phone growing across the room a minute earlier says nothing about this glint."""
    m = machine()
    m.on_finding(rf(5.0, 0.5, "growing"))
    m.on_finding(lens(60.0, 0.7))
    m.tick(63.0)
    assert m.verdict() is Verdict.SUSPICIOUS
    m.on_finding(rf(61.0, 0.5, "growing"))  # now it grows while the lens is in view
    m.tick(64.0)
    assert m.verdict() is Verdict.CAMERA


def test_a_place_seen_on_one_pass_waits_for_a_second_look() -> None:
    """A glint confirmed once, as sure as the glossy plastic that passes for a lens, is a
    spot to look at again: no alert and a clear verdict until a second pass confirms it."""
    m = machine()
    m.on_finding(lens(10.0, 0.7, track=1, passes=1))
    m.tick(12.0)
    assert m.state is State.SWEEPING
    assert m.verdict() is Verdict.CLEAR
    assert m.confidence() == 0.0
    m.on_finding(lens(14.0, 0.7, track=2, passes=2))  # the same place, looked at again
    assert m.state is State.SUSPECT
    assert m.verdict() is Verdict.SUSPICIOUS
    assert m.confidence() == pytest.approx(0.7)


def test_passes_that_went_out_in_view_raise_no_alert() -> None:
    """A glossy facet a metre away glints on two rows of the sweep, but each time it lit up
    or went out while its place was well inside the view: no alert. Once the place's glint
    has held across the view on two passes, it does."""
    m = machine()
    m.on_finding(lens(10.0, 0.7, track=1, passes=2, held=0))
    m.on_finding(lens(14.0, 0.7, track=2, passes=3, held=1))
    m.tick(15.0)
    assert m.verdict() is Verdict.CLEAR
    assert m.confidence() == 0.0
    m.on_finding(lens(16.0, 0.7, track=3, passes=3, held=2))
    assert m.verdict() is Verdict.SUSPICIOUS


def test_a_single_pass_sure_of_a_lens_alerts_at_once() -> None:
    m = machine()
    m.on_finding(lens(10.0, 0.9, passes=1))
    assert m.state is State.SUSPECT
    m.on_finding(lens(11.1, 0.9, passes=1))
    assert m.state is State.ALERT
    assert m.verdict() is Verdict.CAMERA


def test_rf_corroboration_waits_for_the_second_pass() -> None:
    """A phone growing while the device faces a glint does not make that glint a lens: the
    bonus counts once the place is confirmed again."""
    m = machine()
    m.on_finding(lens(1.0, 0.7, passes=1))
    m.on_finding(rf(1.5, 0.5, "growing"))  # 0.7 + 0.15 would reach the camera level
    m.tick(3.0)
    assert m.verdict() is Verdict.SUSPICIOUS  # the RF finding alone, capped
    assert m.confidence() == pytest.approx(0.5)
    m.on_finding(lens(4.0, 0.7, track=1, passes=2))
    m.tick(6.0)
    assert m.verdict() is Verdict.CAMERA


def test_single_pass_bar_follows_sensitivity_and_config() -> None:
    high = machine()
    high.set_sensitivity(5)  # camera level 0.64
    high.on_finding(lens(0.0, 0.7, passes=1))
    assert high.verdict() is Verdict.CAMERA
    once = AlertMachine(dataclasses.replace(load().alert, lens_passes=1))
    once.fire(Trigger.SELFTEST_DONE, 0.0)
    once.fire(Trigger.BASELINE_DONE, 0.0)
    once.on_finding(lens(0.0, 0.5, passes=1, held=0))  # at once, not when the pass ends
    assert once.verdict() is Verdict.SUSPICIOUS
