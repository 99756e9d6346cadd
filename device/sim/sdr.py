"""The simulated RTL-SDR: uint8 IQ from the virtual room on its own virtual clock.

`tune()` costs the retune time (config `sdr.retune_settle_s`, 12 ms by default, as an R820T
measured by soapy_power) and leaves the first `receiver.stale_samples` samples of the next
read from the previous frequency, as an unflushed USB buffer does. `read(n)` synthesizes n
samples at the clock's time and the device's pose then, and advances the clock by n / rate.
Only 24-1766 MHz is tunable; 2.4/5.8 GHz emitters in a scenario never reach the samples.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np

from device.clock import VirtualClock
from device.events import IqBlock
from device.hal.base import EndOfData, PartError
from device.sim.rfmodel import RfScene
from device.sim.rfsynth import Synth, to_cu8
from device.sim.scenario_rf import RECEIVABLE_HZ

if TYPE_CHECKING:
    from device.hal.registry import BuildContext
    from device.sim.world import World

log = logging.getLogger(__name__)

# Manual gains of the R820T tuner as librtlsdr lists them (dB).
R820T_GAINS_DB = [
    0.0,
    0.9,
    1.4,
    2.7,
    3.7,
    7.7,
    8.7,
    12.5,
    14.4,
    15.7,
    16.6,
    19.7,
    20.7,
    22.9,
    25.4,
    28.0,
    29.7,
    32.8,
    33.8,
    36.4,
    37.2,
    38.6,
    40.2,
    42.1,
    43.4,
    43.9,
    44.5,
    48.0,
    49.6,
]
AGC = -1.0
AGC_TARGET_DBFS = -15.0  # the tuner's AGC keeps the input this far below clipping
INITIAL_CENTER_HZ = 100e6
MAX_CHUNK = 1 << 16  # synthesize long reads in pieces: bursts and motion stay resolved


class SimSdr:
    """An RTL-SDR with an R820T tuner in the virtual room (implements hal.base.Sdr)."""

    def __init__(
        self,
        world: World,
        clock: VirtualClock,
        rate_sps: float,
        gain_db: float,
        retune_s: float,
        duration_s: float,
        ppm: float = 0.0,
        flush: bool = False,
    ) -> None:
        self._world = world
        # flush=True: like the pyrtlsdr backend, the stale samples left by a retune are read
        # and discarded within the settle time and reported in IqBlock.dropped; False hands
        # them to the caller as the raw hardware does.
        self._flush = flush
        self._clock = clock
        self._rate = float(rate_sps)
        self._retune_s = retune_s
        self._duration_s = duration_s
        self._ppm = ppm
        self._scene = RfScene(world.scenario, world.seed)
        self._rx = world.scenario.receiver
        self._center = INITIAL_CENTER_HZ
        self._stale_center = INITIAL_CENTER_HZ
        self._stale_left = 0
        self._gain = AGC
        self.set_gain(gain_db)
        self._closed = False

    @classmethod
    def from_config(cls, ctx: BuildContext) -> SimSdr:
        if ctx.world is None:
            raise PartError(
                "sdr",
                "the sim SDR needs a virtual room",
                "build it with a World (camsweep demo does)",
            )
        if not isinstance(ctx.clock, VirtualClock):
            raise PartError(
                "sdr", "the sim SDR needs a VirtualClock", "give it its own VirtualClock"
            )
        cfg = ctx.config
        return cls(
            ctx.world,
            ctx.clock,
            cfg.sdr.rate_sps,
            cfg.sdr.gain_db,
            cfg.sdr.retune_settle_s,
            cfg.sim.duration_s,
            cfg.sdr.ppm,
            flush=True,
        )

    def __enter__(self) -> SimSdr:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def rate_sps(self) -> float:
        return self._rate

    @property
    def center_hz(self) -> float:
        return self._center

    @property
    def gain_db(self) -> float:
        return self._gain

    def gains_db(self) -> list[float]:
        return list(R820T_GAINS_DB)

    def set_gain(self, gain_db: float) -> None:
        """Nearest R820T gain; -1 selects the tuner's AGC."""
        if gain_db < 0:
            self._gain = AGC
            return
        self._gain = min(R820T_GAINS_DB, key=lambda g: abs(g - gain_db))

    def tune(self, center_hz: float) -> None:
        lo, hi = RECEIVABLE_HZ
        if not lo <= center_hz <= hi:
            raise PartError(
                "sdr",
                f"cannot tune to {center_hz / 1e6:.3f} MHz",
                "an R820T/R828D RTL-SDR tunes 24-1766 MHz; 2.4/5.8 GHz is out of its reach",
            )
        self._stale_center = self._center
        self._center = float(center_hz)
        self._stale_left = self._rx.stale_samples
        self._clock.advance(self._retune_s)

    def read(self, n_samples: int) -> IqBlock:
        """Synthesize `n_samples` at the current time and pose; the clock moves on by n / rate."""
        if self._closed:
            raise PartError("sdr", "the SDR was closed", "build a new one")
        if n_samples <= 0:
            raise ValueError("n_samples must be positive")
        t0 = self._clock.now()
        if t0 + n_samples / self._rate > self._duration_s:
            raise EndOfData(f"the simulated sweep ends at {self._duration_s:g} s")
        dropped = 0
        if self._flush and self._stale_left:
            dropped, self._stale_left = 2 * self._stale_left, 0
        stale = min(self._stale_left, n_samples)
        self._stale_left -= stale
        gain = self._effective_gain(t0)
        pieces = []
        if stale:  # what was still in the USB buffer from before the retune
            pieces.append(self._synth(self._stale_center, t0 - self._retune_s, stale, gain))
        done = stale
        while done < n_samples:
            n = min(MAX_CHUNK, n_samples - done)
            pieces.append(self._synth(self._center, t0 + done / self._rate, n, gain))
            done += n
        data = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        self._clock.advance(n_samples / self._rate)
        return IqBlock(self._center, self._rate, t0, data, gain, dropped)

    def _synth(self, center_hz: float, t_s: float, n: int, gain_db: float) -> np.ndarray:
        t_mid = max(t_s + n / self._rate / 2, 0.0)
        pos = self._world.pose(t_mid).position_m
        lo = center_hz * (1.0 + (self._rx.ppm_error - self._ppm) * 1e-6)
        heard = self._scene.heard(pos, center_hz - self._rate / 2, center_hz + self._rate / 2)
        rng = np.random.default_rng(
            [self._world.seed, 0x5D5, round(t_s * self._rate), int(center_hz)]
        )
        x = Synth(self._rx, self._world.seed, lo, self._rate, gain_db).block(heard, t_s, n, rng)
        return to_cu8(x, self._rx)

    def _effective_gain(self, t_s: float) -> float:
        """Manual gain, or what the tuner's AGC settles on for the current input."""
        if self._gain != AGC:
            return self._gain
        pos = self._world.pose(max(t_s, 0.0)).position_m
        heard = self._scene.heard(pos, self._center - self._rate / 2, self._center + self._rate / 2)
        total_mw = sum(10 ** (h.power_dbm / 10) for h in heard) + 1e-15
        room_dbfs = 10 * math.log10(total_mw) - self._rx.fullscale_dbm
        fits = [g for g in R820T_GAINS_DB if room_dbfs + g <= AGC_TARGET_DBFS]
        return fits[-1] if fits else R820T_GAINS_DB[0]

    def describe(self) -> str:
        gain = "AGC" if self._gain == AGC else f"{self._gain:g} dB"
        return (
            f"simulated RTL-SDR (R820T) in {self._world.scenario.name!r}, "
            f"{self._rate / 1e6:g} MS/s, gain {gain}"
        )

    def close(self) -> None:
        self._closed = True
