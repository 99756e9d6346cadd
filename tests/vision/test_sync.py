"""Ring/frame sync: tagging from the transition log, straddled frames, pairing."""

from __future__ import annotations

import numpy as np
import pytest

from device.events import Frame
from device.vision.sync import PairBuilder, RingSync, ring_state_during

LOG = [(0.0, False), (1.0, True), (2.0, False)]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0.10, 0.20, False),  # before the ON transition
        (1.10, 1.20, True),
        (0.95, 1.05, None),  # straddles the ON transition
        (1.95, 2.05, None),
        (1.00, 1.10, True),  # a transition exactly at the start already applies
        (0.90, 1.00, False),  # ... exactly at the end does not spoil it
        (2.50, 2.60, False),
    ],
)
def test_ring_state_during(start: float, end: float, expected: bool | None) -> None:
    assert ring_state_during(LOG, start, end, initial=False) == expected


def test_guard_band_drops_near_misses() -> None:
    assert ring_state_during(LOG, 1.0005, 1.1, False) is True
    assert ring_state_during(LOG, 1.0005, 1.1, False, guard_s=0.001) is None
    assert ring_state_during(LOG, 0.9, 0.9995, False, guard_s=0.001) is None


def test_no_transitions_uses_initial_state() -> None:
    assert ring_state_during([], 5.0, 6.0, initial=True) is True


def test_repeated_same_state_is_not_a_change() -> None:
    assert ring_state_during([(0.0, True), (1.5, True)], 1.0, 2.0, False) is True


class FakeRing:
    """An IrRing that logs (t_s, on) at times the test sets."""

    def __init__(self) -> None:
        self.now = 0.0
        self._on = False
        self.log: list[tuple[float, bool]] = [(0.0, False)]

    @property
    def is_on(self) -> bool:
        return self._on

    def set(self, on: bool) -> None:
        if on != self._on:
            self._on = on
            self.log.append((self.now, on))

    def transitions(self, since_s: float = 0.0) -> list[tuple[float, bool]]:
        return [e for e in self.log if e[0] >= since_s]

    def close(self) -> None:
        pass


def _frame(i: int, t: float, exp: float = 0.01, ring_on: bool | None = None) -> Frame:
    return Frame(i, t, exp, np.zeros((4, 4), np.uint8), ring_on)


def test_ring_sync_tags_and_drops() -> None:
    ring = FakeRing()
    sync = RingSync(ring, guard_s=0.0)
    assert sync.tag(_frame(0, 0.00)) is False
    ring.now = 0.035
    ring.set(True)
    assert sync.tag(_frame(1, 0.03)) is None  # exposure 0.030..0.040 straddles 0.035
    assert sync.tag(_frame(2, 0.06)) is True
    assert sync.dropped == 1


def test_camera_disagreeing_with_the_log_drops_the_frame() -> None:
    ring = FakeRing()
    sync = RingSync(ring, guard_s=0.0)
    assert sync.tag(_frame(0, 0.0, ring_on=True)) is None
    assert sync.disagreements == 1
    assert sync.tag(_frame(1, 0.1, ring_on=False)) is False


def test_ring_sync_prunes_but_remembers_state() -> None:
    ring = FakeRing()
    sync = RingSync(ring, guard_s=0.0, keep_s=0.5)
    for k in range(1, 40):
        ring.now = k * 0.1
        ring.set(k % 2 == 1)
        expected = k % 2 == 1
        assert sync.tag(_frame(k, k * 0.1 + 0.01)) is expected
    assert len(sync._log) < 12


def test_pair_builder_pairs_neighbours_of_opposite_state() -> None:
    pb = PairBuilder(max_gap_s=0.2)
    f0, f1, f2, f3 = (_frame(i, i * 0.05) for i in range(4))
    assert pb.push(f0, False) is None
    pair = pb.push(f1, True)
    assert pair is not None and pair.on is f1 and pair.off is f0 and pair.on_is_later
    assert pb.push(f2, True) is None  # same state: no pair
    pair = pb.push(f3, False)
    assert pair is not None and pair.on is f2 and pair.off is f3 and not pair.on_is_later


def test_pair_builder_refuses_frames_too_far_apart() -> None:
    pb = PairBuilder(max_gap_s=0.05)
    pb.push(_frame(0, 0.0), False)
    assert pb.push(_frame(1, 0.5), True) is None


def test_ring_sync_follows_a_planned_switch_that_was_cancelled() -> None:
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from device.clock import VirtualClock
    from device.hal.gpio import GpioRing

    clock = VirtualClock(100.0)
    factory = MockFactory(pin_class=MockPWMPin)
    try:
        with GpioRing(18, factory, clock) as ring:
            sync = RingSync(ring, guard_s=0.0)
            assert ring.set_at(True, 100.05)
            assert sync.tag(_frame(0, 100.00)) is False  # the sync has read the plan
            clock.advance(0.02)
            ring.set(True)  # switched at once instead: the planned switch is cancelled
            assert sync.tag(_frame(1, 100.03)) is True
            ring.set(False)
            assert sync.tag(_frame(2, 100.06)) is False  # no switch at 100.05 any more
    finally:
        factory.reset()
