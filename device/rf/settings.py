"""Everything the RF channel derives from the [rf] and [sdr] config: plans, Welch layout, limits.

The only module that knows the config keys; the DSP modules take plain arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from device.config import Config, RfConfig
from device.rf.bands import plan_ranges
from device.rf.offline import OfflineSettings
from device.rf.psd import Welch, make_welch
from device.rf.sweep import SweepPlan, plan_sweep


@dataclass(frozen=True)
class RfSetup:
    """The sweep's fixed parameters: two plans (DC dither phases) and the Welch layout."""

    rf: RfConfig
    rate_sps: float
    plans: tuple[SweepPlan, SweepPlan]
    welch: Welch
    scales: tuple[int, ...]
    _centers: dict[int, npt.NDArray[np.float64]] = field(default_factory=dict, repr=False)

    @property
    def bin_hz(self) -> float:
        return self.rate_sps / self.rf.fft_size

    @property
    def merge_gap_bins(self) -> int:
        return int(self.rf.merge_gap_hz / self.bin_hz)

    @property
    def hop_samples(self) -> int:
        """Samples read per hop: settle plus the Welch frames."""
        return self.rf.settle_samples + self.welch.samples

    def plan(self, sweep_index: int) -> SweepPlan:
        """The plan for sweep number `sweep_index` (odd sweeps use the shifted hops)."""
        return self.plans[sweep_index % 2 if self.rf.dc_dither else 0]

    def hop_centers(self, plan: SweepPlan) -> npt.NDArray[np.float64]:
        """The LO frequency of the hop behind each grid position (nearest hop for DC notches)."""
        cached = self._centers.get(id(plan))
        if cached is None:
            owner = plan.hop_of_position()
            measured = np.flatnonzero(owner >= 0)
            nearest = measured[np.clip(np.searchsorted(measured, np.arange(owner.size)), 0,
                                       measured.size - 1)]
            centers = np.array([h.center_hz for h in plan.hops])
            cached = centers[owner[nearest]]
            self._centers[id(plan)] = cached
        return cached

    def sweep_time_s(self, retune_s: float) -> float:
        """Sweep duration on a receiver needing `retune_s` per retune (the planner's estimate)."""
        return self.plans[0].sweep_time_s(retune_s, self.hop_samples)


def rf_setup(
    config: Config, rate_sps: float | None = None, plan_name: str | None = None
) -> RfSetup:
    """Build the sweep setup; `rate_sps` is the receiver's actual rate when it differs."""
    rf = config.rf
    rate = float(rate_sps if rate_sps is not None else config.sdr.rate_sps)
    name = plan_name or rf.band_plan
    ranges = plan_ranges(name, rf.custom_ranges_mhz, rf.video_span_mhz * 1e6)
    full = name == "full"
    crop = rf.full_crop_fraction if full else rf.crop_fraction
    frames = rf.full_averages if full else rf.averages
    plans = (
        plan_sweep(name, ranges, rate, rf.fft_size, crop, rf.dc_bins, phase=0),
        plan_sweep(name, ranges, rate, rf.fft_size, crop, rf.dc_bins, phase=1),
    )
    welch = make_welch(rf.fft_size, rf.overlap, frames)
    scales = tuple(s for s in rf.scales_bins if s <= plans[0].kept_bins // 2) or (1,)
    return RfSetup(rf, rate, plans, welch, scales)


def offline_settings(rf: RfConfig) -> OfflineSettings:
    """analyze-iq's parameters from the [rf] section."""
    return OfflineSettings(
        frame_s=rf.analyze_frame_s,
        overlap=rf.overlap,
        block_frames=rf.analyze_block_frames,
        pfa=rf.analyze_pfa,
        floor_quantile=rf.analyze_floor_quantile,
        scales=rf.scales_bins,
        dc_bins=rf.dc_bins,
        merge_gap_s=rf.analyze_merge_gap_s,
        merge_gap_hz=rf.merge_gap_hz,
        occupied_db=rf.occupied_db,
        continuous_fraction=rf.analyze_continuous_fraction,
        continuous_db=rf.analyze_continuous_db,
    )
