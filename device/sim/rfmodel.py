"""What the antenna receives: path loss, multipath and the list of signals at a position.

Pure functions of the scenario, the device position and time. Powers are dBm at the antenna;
`rfsynth` turns the list into IQ samples. Path loss is log-distance:

    PL(d) = 20 log10(4 pi d0 f / c) + 10 n log10(d / d0)      (free space up to d0)

with exponent n and d0 from the scenario's [rf] table (n = 2 is free space).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.sim.scenario import Scenario
from device.sim.scenario_rf import (
    Burst,
    Continuous,
    Cw,
    Emitter,
    FmVideo,
    GsmUplink,
    IsmOok,
    LteUplink,
    Propagation,
    Wifi,
)

F64 = npt.NDArray[np.float64]

SPEED_OF_LIGHT_MPS = 299_792_458.0
MIN_DISTANCE_M = 0.1  # the near field of a small antenna: no closer than this
MULTIPATH_WAVES = 8
GSM_FRAME_S = 120e-3 / 26  # TDMA frame of 8 slots
GSM_SLOT_S = GSM_FRAME_S / 8
GSM_BW_HZ = 200e3
LTE_SUBFRAME_S = 1e-3
LTE_RB_HZ = 180e3
OOK_JITTER = 0.1  # sensors drift: a packet lands within +/-10 % of its period


def fspl_db(distance_m: float | F64, freq_hz: float) -> F64:
    """Free-space path loss (Friis), dB."""
    d = np.maximum(distance_m, MIN_DISTANCE_M)
    return np.asarray(20.0 * np.log10(4.0 * math.pi * d * freq_hz / SPEED_OF_LIGHT_MPS))


def path_loss_db(
    distance_m: float | F64, freq_hz: float, exponent: float = 2.0, ref_m: float = 1.0
) -> F64:
    """Log-distance path loss: free space to `ref_m`, then 10 * exponent dB per decade."""
    d = np.maximum(distance_m, MIN_DISTANCE_M)
    return np.asarray(fspl_db(ref_m, freq_hz) + 10.0 * exponent * np.log10(d / ref_m))


class Multipath:
    """Indoor fading as a Rician field: a direct path plus plane waves from random directions.

    `gain_db(position)` is smooth in space (it changes over a fraction of a wavelength) and
    fixed in time, like a static room. K (dB) is the direct-to-scattered power ratio.
    """

    def __init__(self, seed: int, stream: int, freq_hz: float, k_db: float) -> None:
        rng = np.random.default_rng([seed, 0x3A7, stream])
        dirs = rng.normal(size=(MULTIPATH_WAVES, 3))
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        self.k_vec = dirs * (2 * math.pi * freq_hz / SPEED_OF_LIGHT_MPS)
        self.phase = rng.uniform(0, 2 * math.pi, MULTIPATH_WAVES)
        k = 10 ** (k_db / 10)
        self.direct = math.sqrt(k / (k + 1))
        self.scatter = math.sqrt(1 / (k + 1) / MULTIPATH_WAVES)

    def gain_db(self, position_m: F64) -> float:
        field = self.direct + self.scatter * np.sum(
            np.exp(1j * (self.k_vec @ position_m + self.phase))
        )
        return 10.0 * math.log10(max(abs(field) ** 2, 1e-6))


@dataclass(frozen=True)
class Heard:
    """One emitter as received now: its model and its power at the antenna (dBm, while on)."""

    emitter: Emitter | None  # None for ambient sources
    kind: str
    freq_hz: float
    bandwidth_hz: float
    power_dbm: float
    stream: int  # index for counter-based randomness (burst schedules, fading)
    deviation_hz: float = 0.0


def occupied_bw_hz(e: Emitter) -> float:
    """Bandwidth an emitter can occupy (for deciding whether a tuned window hears it)."""
    if isinstance(e, FmVideo | Wifi | Burst | Continuous):
        return e.bandwidth_hz
    if isinstance(e, LteUplink):
        return e.channel_bw_hz
    if isinstance(e, GsmUplink):
        return GSM_BW_HZ
    if isinstance(e, IsmOok):
        return 2.0 / e.pulse_s
    if isinstance(e, Cw):
        return 1.0
    raise TypeError(f"unknown emitter kind {e.kind!r}")


class RfScene:
    """The scenario's RF sources and how strongly each reaches a position."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.prop: Propagation = scenario.rf
        self._fading = [
            Multipath(seed, i, e.freq_hz, self.prop.multipath_k_db)
            for i, e in enumerate(scenario.emitters)
        ]

    def received_dbm(self, index: int, position_m: F64) -> float:
        """Power (dBm, while transmitting) of emitter `index` at the antenna at `position_m`."""
        e = self.scenario.emitters[index]
        d = float(np.linalg.norm(np.asarray(e.position_m) - position_m))
        loss = float(
            path_loss_db(d, e.freq_hz, self.prop.path_loss_exponent, self.prop.ref_distance_m)
        )
        return e.power_dbm - loss - e.enclosure_loss_db + self._fading[index].gain_db(position_m)

    def heard(self, position_m: F64, lo_hz: float, hi_hz: float) -> list[Heard]:
        """Sources with energy inside [lo_hz, hi_hz] at this position."""
        out: list[Heard] = []
        for i, e in enumerate(self.scenario.emitters):
            bw = occupied_bw_hz(e)
            if e.freq_hz + bw / 2 < lo_hz or e.freq_hz - bw / 2 > hi_hz:
                continue
            out.append(Heard(e, e.kind, e.freq_hz, bw, self.received_dbm(i, position_m), i))
        base = len(self.scenario.emitters)
        for j, fm in enumerate(self.scenario.ambient.fm):
            if abs(fm.freq_hz - 0.5 * (lo_hz + hi_hz)) < 0.5 * (hi_hz - lo_hz) + 150e3:
                out.append(
                    Heard(
                        None,
                        "fm_broadcast",
                        fm.freq_hz,
                        200e3,
                        fm.power_dbm,
                        base + j,
                        fm.deviation_hz,
                    )
                )
        base += len(self.scenario.ambient.fm)
        for j, dl in enumerate(self.scenario.ambient.downlinks):
            if (
                dl.freq_hz + dl.bandwidth_hz / 2 >= lo_hz
                and dl.freq_hz - dl.bandwidth_hz / 2 <= hi_hz
            ):
                out.append(
                    Heard(None, "downlink", dl.freq_hz, dl.bandwidth_hz, dl.power_dbm, base + j)
                )
        return out
