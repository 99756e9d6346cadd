"""Proximity mode pieces: clip detection, gain stepping, antenna-referred readings."""

from __future__ import annotations

import numpy as np
import pytest

from device.events import IqBlock
from device.rf.proximity import (
    GainStepper,
    ProximitySettings,
    ProximityTracker,
    clip_share,
    rms_dbfs,
)
from device.rf.synthetic import R820T_GAINS_DB, SyntheticSdr, ToyEmitter

SETTINGS = ProximitySettings(0.05, 0.002, -30.0, 40.0, 1024, 0.5, 2)


def test_clip_share_and_rms() -> None:
    data = np.full(1000, 128, dtype=np.uint8)
    assert clip_share(data) == 0.0
    data[:10] = 255
    assert clip_share(data) == pytest.approx(0.01)
    sine = np.empty(2000, dtype=np.uint8)
    phase = np.arange(1000) * 0.1
    sine[0::2] = np.rint(127.5 + 63.75 * np.cos(phase)).astype(np.uint8)
    sine[1::2] = np.rint(127.5 + 63.75 * np.sin(phase)).astype(np.uint8)
    assert rms_dbfs(sine) == pytest.approx(20 * np.log10(0.5), abs=0.2)


def test_gain_stepper_steps_down_on_clipping_and_up_when_weak() -> None:
    stepper = GainStepper(list(R820T_GAINS_DB), 0.002, -30.0)
    assert stepper.next_gain(29.7, True, -3.0) == 25.4  # two steps down
    assert stepper.next_gain(29.7, False, -40.0) == 32.8  # one step up
    assert stepper.next_gain(29.7, False, -20.0) == 29.7  # in range: stay
    assert stepper.next_gain(0.0, True, 0.0) == 0.0  # already at the bottom
    assert stepper.next_gain(49.6, False, -50.0) == 49.6  # already at the top
    with pytest.raises(ValueError):
        GainStepper([], 0.01, -30.0)


def test_tracker_tunes_off_the_emitter_and_reads_it_at_any_gain() -> None:
    target = 433.92e6
    sdr = SyntheticSdr(emitters=(ToyEmitter(target, -40.0, 20e3),), noise_dbfs=-35.0, seed=2)
    tracker = ProximityTracker(target, 20e3, sdr.rate_sps, 400e3, SETTINGS)
    assert tracker.tune_hz == pytest.approx(target + 400e3)
    sdr.tune(tracker.tune_hz)
    readings = []
    for gain in (29.7, 19.7, 29.7):
        sdr.set_gain(gain)
        readings.append(tracker.reading(sdr.read(tracker.block_samples)))
    assert all(isinstance(r.power_dbfs, float) for r in readings)
    # 10 dB less gain reads 10 dB less power but the same strength (antenna-referred).
    assert readings[0].power_dbfs - readings[1].power_dbfs == pytest.approx(10.0, abs=0.5)
    assert readings[1].strength == pytest.approx(readings[0].strength, abs=0.05)
    assert readings[0].strength > 0.3
    assert readings[2].peak_hold_dbfs >= readings[2].power_dbfs - 0.3
    assert tracker.block_samples / sdr.rate_sps <= 0.1  # at least 10 readings per second


def test_strength_grows_as_the_emitter_gets_closer() -> None:
    target = 868.3e6
    strengths = []
    for power in (-60.0, -45.0, -30.0):
        sdr = SyntheticSdr(emitters=(ToyEmitter(target, power, 50e3),), noise_dbfs=-35.0, seed=3)
        tracker = ProximityTracker(target, 50e3, sdr.rate_sps, 400e3, SETTINGS)
        sdr.tune(tracker.tune_hz)
        strengths.append(tracker.reading(sdr.read(tracker.block_samples)).strength)
    assert strengths[0] < strengths[1] < strengths[2]


def test_wide_emitter_shrinks_the_offset_to_stay_in_band() -> None:
    tracker = ProximityTracker(1200e6, 2.0e6, 2.4e6, 400e3, SETTINGS)
    assert abs(tracker.tune_hz - 1200e6) < 400e3
    block = IqBlock(tracker.tune_hz, 2.4e6, 0.0, np.full(2 * 120000, 128, np.uint8), 20.0)
    assert tracker.reading(block).strength == pytest.approx(0.0, abs=0.05)
