"""The sim RTL-SDR: timing, impairments, path loss measured in IQ, what it cannot hear."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from device.clock import VirtualClock
from device.config import load
from device.hal.base import EndOfData, PartError, Sdr
from device.hal.registry import BuildContext, build
from device.sim.rfmodel import RfScene, fspl_db, path_loss_db
from device.sim.rfsynth import Synth, to_cu8
from device.sim.scenario import load_scenario
from device.sim.sdr import R820T_GAINS_DB, SimSdr
from device.sim.world import World

from .conftest import scenario

RATE = 2.4e6


def _iq(data: np.ndarray) -> np.ndarray:
    return (data[0::2].astype(np.float64) / 127.5 - 1) + 1j * (
        data[1::2].astype(np.float64) / 127.5 - 1
    )


def _sdr(
    name: str = "clean_hotel_room", seed: int = 1, t0: float = 0.0, gain: float = 30.0
) -> SimSdr:
    return SimSdr(World(load_scenario(name), seed), VirtualClock(t0), RATE, gain, 0.012, 120.0)


def test_built_from_config() -> None:
    cfg = load(overrides={"sim": {"duration_s": 5.0}})
    clock = VirtualClock()
    world = World(load_scenario("busy_rf_room"), 1)
    sdr = build("sdr", "sim", BuildContext(config=cfg, clock=clock, world=world))
    assert isinstance(sdr, SimSdr) and isinstance(sdr, Sdr)
    assert sdr.rate_sps == cfg.sdr.rate_sps and sdr.gain_db == 29.7  # nearest R820T gain to 30
    assert sdr.gains_db() == R820T_GAINS_DB


def test_tune_and_read_move_the_clock() -> None:
    sdr = _sdr()
    clock = sdr._clock
    sdr.tune(433.92e6)
    assert clock.now() == pytest.approx(0.012)
    block = sdr.read(24000)
    assert block.t_start_s == pytest.approx(0.012) and block.center_hz == 433.92e6
    assert block.data.dtype == np.uint8 and block.data.size == 48000
    assert clock.now() == pytest.approx(0.012 + 0.01)
    with pytest.raises(PartError, match="24-1766 MHz"):
        sdr.tune(2437e6)
    clock.set(119.999)
    with pytest.raises(EndOfData):
        sdr.read(16384)


def test_iq_is_deterministic_per_seed() -> None:
    def grab(seed: int) -> bytes:
        sdr = _sdr("busy_rf_room", seed)
        out = b""
        for f in (94.7e6, 433.92e6, 902.4e6):
            sdr.tune(f)
            out += sdr.read(8192).data.tobytes()
        return out

    assert grab(5) == grab(5)
    assert grab(5) != grab(6)


def test_stale_samples_after_retune() -> None:
    sdr = _sdr("clean_hotel_room", gain=40.2)
    sdr.tune(801e6)  # a strong LTE downlink
    sdr.read(16384)
    sdr.tune(1300e6)  # nothing there
    x = _iq(sdr.read(16384).data)
    stale = sdr._rx.stale_samples
    p_stale = np.mean(np.abs(x[: stale - 64]) ** 2)
    p_fresh = np.mean(np.abs(x[stale + 64 :]) ** 2)
    assert 10 * math.log10(p_stale / p_fresh) > 10


def test_clipping_and_dc_spike() -> None:
    sdr = _sdr("busy_rf_room", gain=49.6)
    sdr.tune(92.4e6)  # a strong FM station at maximum gain
    data = sdr.read(16384).data
    assert np.mean((data == 0) | (data == 255)) > 0.05
    sdr.set_gain(0.0)
    sdr.tune(1300e6)
    x = _iq(sdr.read(65536).data)
    spec = np.abs(np.fft.fft(x[:65536].reshape(-1, 1024), axis=1)) ** 2
    avg = spec.mean(axis=0)
    assert avg[0] > 20 * np.median(avg)  # the DC spike


def test_path_loss_function() -> None:
    assert float(fspl_db(1.0, 1e9)) == pytest.approx(32.44, abs=0.01)
    assert float(path_loss_db(10.0, 1e9, 2.0) - path_loss_db(1.0, 1e9, 2.0)) == pytest.approx(20.0)
    assert float(path_loss_db(10.0, 1e9, 3.0) - path_loss_db(1.0, 1e9, 3.0)) == pytest.approx(30.0)


@pytest.mark.parametrize("exponent", [2.0, 3.0])
def test_received_power_falls_with_distance_as_the_model_says(exponent: float) -> None:
    s = scenario(
        rf={"path_loss_exponent": exponent, "multipath_k_db": 100.0},
        emitters=[
            {
                "kind": "cw",
                "id": "beacon",
                "position_m": [2.0, 3.9, 1.2],
                "freq_hz": 1200.2e6,
                "power_dbm": -20.0,
            }
        ],
    )
    rf = RfScene(s, 1)
    powers = {}
    for d in (0.5, 1.0, 2.0, 3.5):
        pos = np.array([2.0, 3.9 - d, 1.2])
        heard = rf.heard(pos, 1200e6 - RATE / 2, 1200e6 + RATE / 2)
        x = Synth(s.receiver, 1, 1200e6, RATE, 20.0).block(
            heard, 0.0, 65536, np.random.default_rng(1)
        )
        iq = _iq(to_cu8(x, s.receiver))
        spec = np.abs(np.fft.fft(iq * np.hanning(iq.size))) ** 2
        k = round(0.2e6 / RATE * iq.size)
        powers[d] = 10 * math.log10(spec[k - 3 : k + 4].sum())
    for d in (1.0, 2.0, 3.5):
        expected = float(
            path_loss_db(d, 1200.2e6, exponent) - path_loss_db(0.5, 1200.2e6, exponent)
        )
        assert powers[0.5] - powers[d] == pytest.approx(expected, abs=1.0)


def test_sweep_hears_the_video_transmitter_grow_as_the_device_approaches() -> None:
    base = load_scenario("clock_camera_video_tx")
    s = dataclasses.replace(
        base, rf=dataclasses.replace(base.rf, multipath_k_db=100.0)
    )  # no fading
    world = World(s, 1)
    door, near = 2.0, 45.0  # at the door, then at the station facing the clock
    e = s.emitters[0]
    d_door = float(np.linalg.norm(world.pose(door).position_m - np.array(e.position_m)))
    d_near = float(np.linalg.norm(world.pose(near).position_m - np.array(e.position_m)))
    measured = []
    for t in (door, near):
        sdr = SimSdr(world, VirtualClock(t), RATE, 0.0, 0.012, 120.0)
        sdr.tune(1200e6)
        x = _iq(sdr.read(4096 + 65536).data[2 * 4096 :])
        measured.append(10 * math.log10(np.mean(np.abs(x) ** 2)))
    expected = 20 * math.log10(d_door / d_near)
    assert expected > 2
    assert measured[1] - measured[0] == pytest.approx(expected, abs=1.0)


def test_wifi_never_reaches_the_samples() -> None:
    s = load_scenario("wifi_only_camera")
    quiet = dataclasses.replace(s, emitters=())
    loud, none = World(s, 2), World(quiet, 2)
    for f in (24e6, 433.92e6, 900e6, 1200e6, 1766e6):
        a = SimSdr(loud, VirtualClock(50.0), RATE, 49.6, 0.012, 120.0)
        b = SimSdr(none, VirtualClock(50.0), RATE, 49.6, 0.012, 120.0)
        a.tune(f)
        b.tune(f)
        assert a.read(8192).data.tobytes() == b.read(8192).data.tobytes()
    heard = RfScene(s, 2).heard(np.array([3.0, 3.4, 1.0]), 24e6, 1766e6 + RATE / 2)
    assert all(h.emitter is None or h.emitter.receivable for h in heard)


def test_bursty_uplinks() -> None:
    lte = _sdr("downlight_lte_camera", gain=0.0, t0=40.0)
    lte.tune(847e6)
    x = _iq(lte.read(2400 * 40 + 4096).data[2 * 4096 :])
    per_ms = 10 * np.log10(np.mean(np.abs(x.reshape(40, 2400)) ** 2, axis=1))
    assert per_ms.max() - per_ms.min() > 15  # 1 ms subframes on and off
    gsm = _sdr("daylight_office_gsm_camera", gain=0.0, t0=40.0)
    gsm.tune(897.4e6)
    y = np.abs(_iq(gsm.read(4096 + 2400 * 46).data[2 * 4096 :])) ** 2
    slots = y[: 2400 * 46].reshape(-1, 240).mean(axis=1)  # 0.1 ms bins over ~24 TDMA frames
    on = slots > 10 * np.median(slots)
    assert 0.08 < on.mean() < 0.18  # one slot in eight
