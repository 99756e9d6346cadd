"""The RF side of a scenario file: emitters in the room, ambient RF, propagation, dongle.

Powers are dBm: an emitter's `power_dbm` is its EIRP while transmitting (path loss from the
device's position is applied by the sim); ambient sources give the power received in the
room (distant towers). See docs/scenarios.md for every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from device.sim.scenario_model import POS, UNIT, check_vec
from device.tomlmodel import bounded

# What an R820T/R828D dongle can tune; anything else never reaches the IQ samples.
RECEIVABLE_HZ = (24e6, 1766e6)


@dataclass(frozen=True)
class Emitter:
    """Common keys of every emitter."""

    kind: str
    id: str
    position_m: tuple[float, ...] = field(metadata=POS)
    freq_hz: float = field(metadata=bounded(1e6, 10e9))
    power_dbm: float = field(metadata=bounded(-80.0, 40.0))
    label: str = ""
    camera: bool = False
    enclosure_loss_db: float = field(default=0.0, metadata=bounded(0.0, 60.0))

    def validate(self) -> tuple[str, str] | None:
        return check_vec(self.position_m, 3, "position_m")

    @property
    def receivable(self) -> bool:
        """True when the carrier lies inside what an RTL-SDR tunes (24-1766 MHz)."""
        return RECEIVABLE_HZ[0] <= self.freq_hz <= RECEIVABLE_HZ[1]


@dataclass(frozen=True)
class FmVideo(Emitter):
    """Analog FM video: a 15-20 MHz wide noise-like plateau with a carrier line."""

    bandwidth_hz: float = field(default=18e6, metadata=bounded(2e6, 40e6))
    carrier_db: float = field(default=-6.0, metadata=bounded(-40.0, 0.0))


@dataclass(frozen=True)
class GsmUplink(Emitter):
    """GSM handset/module uplink: 200 kHz bursts of 577 us, `slots` of every 8."""

    slots: int = field(default=1, metadata=bounded(1, 8))
    offset_s: float = field(default=0.0, metadata=bounded(0.0, 0.0046154))


@dataclass(frozen=True)
class LteUplink(Emitter):
    """LTE uplink (SC-FDMA): noise-like, allocated per 1 ms subframe."""

    channel_bw_hz: float = field(
        default=10e6, metadata=bounded(choices=(1.4e6, 3e6, 5e6, 10e6, 15e6, 20e6))
    )
    duty: float = field(default=0.4, metadata=UNIT)
    min_rb: int = field(default=6, metadata=bounded(1, 100))
    max_rb: int = field(default=25, metadata=bounded(1, 100))

    def validate(self) -> tuple[str, str] | None:
        if self.min_rb > self.max_rb:
            return "max_rb", "max_rb must be at least min_rb"
        if self.max_rb * 180e3 > self.channel_bw_hz:
            return (
                "max_rb",
                f"{self.max_rb} resource blocks do not fit in {self.channel_bw_hz:g} Hz",
            )
        return super().validate()


@dataclass(frozen=True)
class IsmOok(Emitter):
    """An ISM sensor (315/433/868/915 MHz): an OOK packet every `period_s`."""

    period_s: float = field(default=5.0, metadata=bounded(0.05, 3600.0))
    packet_s: float = field(default=0.06, metadata=bounded(0.001, 5.0))
    pulse_s: float = field(default=0.0005, metadata=bounded(20e-6, 0.05))
    offset_s: float = field(default=0.0, metadata=bounded(0.0, 3600.0))


@dataclass(frozen=True)
class Wifi(Emitter):
    """WiFi at 2.4/5 GHz: bursty OFDM. An RTL-SDR never sees it; scenarios keep it as truth."""

    bandwidth_hz: float = field(default=20e6, metadata=bounded(choices=(20e6, 40e6, 80e6)))
    duty: float = field(default=0.2, metadata=UNIT)
    packet_s: float = field(default=0.0005, metadata=bounded(20e-6, 0.01))


@dataclass(frozen=True)
class Burst(Emitter):
    """A generic periodic burst (DECT, remote controls, ...): `on_s` of every `period_s`."""

    bandwidth_hz: float = field(default=1.728e6, metadata=bounded(1e3, 40e6))
    period_s: float = field(default=0.01, metadata=bounded(1e-4, 3600.0))
    on_s: float = field(default=0.000417, metadata=bounded(1e-6, 3600.0))
    offset_s: float = field(default=0.0, metadata=bounded(0.0, 3600.0))

    def validate(self) -> tuple[str, str] | None:
        if self.on_s > self.period_s:
            return "on_s", "on_s must not exceed period_s"
        return super().validate()


@dataclass(frozen=True)
class Continuous(Emitter):
    """A continuous noise-like emitter of a given bandwidth (baby monitor, data link...)."""

    bandwidth_hz: float = field(default=200e3, metadata=bounded(1e3, 40e6))


@dataclass(frozen=True)
class Cw(Emitter):
    """An unmodulated carrier (spurs, test signals)."""


EMITTER_KINDS: dict[str, type[Emitter]] = {
    "fm_video": FmVideo,
    "gsm_uplink": GsmUplink,
    "lte_uplink": LteUplink,
    "ism_ook": IsmOok,
    "wifi": Wifi,
    "burst": Burst,
    "continuous": Continuous,
    "cw": Cw,
}


@dataclass(frozen=True)
class FmStation:
    """A broadcast FM station as received in the room (continuous, 200 kHz)."""

    freq_hz: float = field(metadata=bounded(87.5e6, 108e6))
    power_dbm: float = field(metadata=bounded(-130.0, 0.0))
    deviation_hz: float = field(default=75e3, metadata=bounded(1e3, 200e3))


@dataclass(frozen=True)
class Downlink:
    """A cell tower's downlink as received in the room (continuous, noise-like)."""

    freq_hz: float = field(metadata=bounded(24e6, 6e9))
    bandwidth_hz: float = field(metadata=bounded(25e3, 20e6))
    power_dbm: float = field(metadata=bounded(-140.0, 0.0))
    label: str = ""


@dataclass(frozen=True)
class Ambient:
    fm: tuple[FmStation, ...] = ()
    downlinks: tuple[Downlink, ...] = ()


@dataclass(frozen=True)
class Propagation:
    """Log-distance path loss from each emitter to the device, plus indoor multipath."""

    path_loss_exponent: float = field(default=2.0, metadata=bounded(1.5, 5.0))
    ref_distance_m: float = field(default=1.0, metadata=bounded(0.1, 10.0))
    multipath_k_db: float = field(default=10.0, metadata=bounded(-10.0, 100.0))


@dataclass(frozen=True)
class Receiver:
    """The dongle's own impairments (R820T + RTL2832U), defaults typical of a blue dongle."""

    noise_figure_db: float = field(default=6.0, metadata=bounded(0.0, 30.0))
    floor_dbfs: float = field(default=-42.0, metadata=bounded(-90.0, -10.0))
    fullscale_dbm: float = field(default=-25.0, metadata=bounded(-100.0, 20.0))
    dc_offset_dbfs: float = field(default=-40.0, metadata=bounded(-120.0, 0.0))
    iq_gain_db: float = field(default=0.3, metadata=bounded(-3.0, 3.0))
    iq_phase_deg: float = field(default=1.5, metadata=bounded(-10.0, 10.0))
    ppm_error: float = field(default=0.0, metadata=bounded(-200.0, 200.0))
    stale_samples: int = field(default=4096, metadata=bounded(0, 1 << 20))
    passband_frac: float = field(default=0.85, metadata=bounded(0.3, 1.0))
