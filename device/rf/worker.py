"""The RF worker: one hop per step; a Spectrum per sweep; RfFindings for emitters new here.

Runs under the daemon's worker contract (docs/rf.md): `step()` tunes one hop, reads the
settle samples plus the Welch frames, and folds them into the sweep; the last hop of a sweep
learns the noise floor, detects, groups emitters, compares them with the room baseline,
emits the stitched `Spectrum` and the findings (after a short SigMF evidence capture each,
when an evidence directory is given). In proximity mode each step is one reading on the
tracked emitter instead. Timestamps come from the IQ blocks; the worker never sleeps.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np

from device.config import Config
from device.events import IqBlock, RfFinding, Spectrum
from device.hal.base import Sdr
from device.rf import evidence
from device.rf.bands import COVERAGE_NOTE
from device.rf.baseline import Assessment, RoomBaseline, is_ambient
from device.rf.detect import SweepDetection, detect
from device.rf.emitters import Emitter, drop_images, group_sweep
from device.rf.floor import NoiseFloor
from device.rf.hopstats import SweepBuffer
from device.rf.proximity import (
    GainStepper,
    ProximitySettings,
    ProximityTracker,
    clip_share,
    rms_dbfs,
)
from device.rf.psd import to_db
from device.rf.settings import RfSetup, rf_setup

log = logging.getLogger(__name__)

MODES = ("sweep", "lens", "rf", "proximity")


class RfWorker:
    """Sweeps the band plan and reports emitters that were not in the room at baseline."""

    name = "rf"
    coverage_note = COVERAGE_NOTE

    def __init__(
        self,
        sdr: Sdr,
        config: Config,
        emit: Callable[[object], None],
        evidence_dir: Path | None = None,
    ) -> None:
        self.sdr = sdr
        self.config = config
        self.emit = emit
        self.evidence_dir = evidence_dir
        rf = config.rf
        self.setup: RfSetup = rf_setup(config, rate_sps=sdr.rate_sps)
        plan = self.setup.plan(0)
        self.floor = NoiseFloor(
            rf.fft_size, plan.crop_bins, rf.dc_bins, self.setup.welch.looks(),
            rf.floor_estimator, rf.floor_quantile, rf.floor_raise_db,
            rf.floor_neighbour_mhz * 1e6, rf.floor_alpha,
        )
        self.baseline = RoomBaseline(
            rf.baseline_sweeps, rf.new_emitter_margin_db, rf.growth_db, rf.growth_sweeps,
            rf.confirm_sweeps, rf.confirm_window, match_hz=rf.merge_gap_hz,
        )
        self.sweeps_done = 0
        self._hop = 0
        self._buffer = SweepBuffer(plan, self.setup.scales, self.setup.welch.samples)
        self._settle = rf.settle_samples
        self._force_settle = False  # after a gain change the backend's retune flush is absent
        self._sweep_gain_db = sdr.gain_db
        self._floor_gain_db = sdr.gain_db
        self._pending: deque[Assessment] = deque()
        self._requested_mode = "sweep"
        self.mode = "sweep"
        self.last_detection: SweepDetection | None = None
        self.last_emitters: list[Emitter] = []
        self.findings: list[RfFinding] = []
        self.hops_read = 0
        self._prox: ProximityTracker | None = None
        self._prox_settle = True
        self._stepper: GainStepper | None = None

    @classmethod
    def create(
        cls,
        sdr: Sdr,
        config: Config,
        emit: Callable[[object], None],
        evidence_dir: Path | None = None,
    ) -> RfWorker:
        return cls(sdr, config, emit, evidence_dir)

    # --- the worker contract ----------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        """Switch mode (thread-safe: takes effect at the next step)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        self._requested_mode = mode

    def step(self) -> None:
        """One bounded unit: a hop, an evidence capture, or a proximity reading."""
        self._apply_mode()
        if self.mode == "proximity" and self._prox is not None:
            self._proximity_step(self._prox)
        elif self._pending:
            self._evidence_step(self._pending.popleft())
        else:
            self._hop_step()

    def close(self) -> None:
        self.sdr.close()

    # --- sweeping ---------------------------------------------------------------------

    @property
    def plan_name(self) -> str:
        return self._buffer.plan.name

    def _hop_step(self) -> None:
        plan = self._buffer.plan
        hop = plan.hops[self._hop]
        if self.sdr.gain_db != self._sweep_gain_db:
            self.sdr.set_gain(self._sweep_gain_db)  # back from a reduced-gain hop
        self.sdr.tune(hop.center_hz)
        block = self._read(self.setup.welch.samples)
        block = self._range_gain(block)
        self._buffer.add(hop.index, block.data, self._sweep_gain_db - block.gain_db)
        self._buffer.t_end_s = block.t_start_s + block.n_samples / block.rate_sps
        self.hops_read += 1
        self._hop += 1
        if self._hop == len(plan.hops):
            self._finish_sweep()

    def _range_gain(self, block: IqBlock) -> IqBlock:
        """Read a clipping hop again at lower gain: a saturated ADC shows only garbage."""
        rf = self.config.rf
        gains = sorted(self.sdr.gains_db())
        if not gains:
            return block  # a receiver without manual gains (a replay) cannot range
        for _ in range(rf.overload_retries):
            if clip_share(block.data) <= rf.clip_fraction or block.gain_db <= gains[0]:
                break
            lower = [g for g in gains if g <= block.gain_db - rf.overload_step_db]
            self.sdr.set_gain(lower[-1] if lower else gains[0])
            self._force_settle = True
            block = self._read(self.setup.welch.samples)
        return block

    def _read(self, n_samples: int) -> IqBlock:
        """Read after a retune, dropping the settle samples the backend did not drop itself."""
        settle = self.config.rf.settle_samples if self._force_settle else self._settle
        self._force_settle = False
        block = self.sdr.read(settle + n_samples)
        if self._settle and block.dropped >= 2 * self.config.rf.settle_samples:
            log.debug("the SDR backend flushes after a retune itself; no extra settle read")
            self._settle = 0
        drop = block.n_samples - n_samples
        if drop <= 0:
            return block
        return IqBlock(
            block.center_hz, block.rate_sps, block.t_start_s + drop / block.rate_sps,
            block.data[2 * drop :], block.gain_db, block.dropped + 2 * drop,
        )

    def _finish_sweep(self) -> None:
        buf = self._buffer
        plan = buf.plan
        # The previous sweep's detection is replaced below: let it go before this one is
        # built rather than holding two sweeps of per-bin arrays at once.
        self.last_detection = None
        if self.sdr.gain_db != self._floor_gain_db:
            self.floor.reset()
            self._floor_gain_db = self.sdr.gain_db
        mean, burst = buf.reduce(self.setup.welch, self.floor.shape)
        self.floor.update(plan, mean.astype(np.float64), skip=buf.ranged)
        det = detect(buf, mean, burst, self.floor, self.setup.welch, self.config.rf.pfa)
        freqs = plan.freqs_hz
        self.emit(Spectrum(buf.t_end_s, freqs, to_db(det.power), plan.name))
        emitters = group_sweep(
            freqs, det, plan.bin_hz, self.setup.merge_gap_bins, self.config.rf.occupied_db,
            self.config.rf.burst_duty,
        )
        emitters = drop_images(
            emitters, freqs, det.power, self.setup.hop_centers(plan), self.config.rf.image_db
        )
        self.last_detection, self.last_emitters = det, emitters
        found = self.baseline.observe(self.sweeps_done, emitters, freqs, det.power)
        log.info(
            "RF sweep %d (%s, %d hops): %d emitters, %d findings%s",
            self.sweeps_done, plan.name, len(plan.hops), len(emitters), len(found),
            " (learning the room)" if self.baseline.learning else "",
        )
        for item in found:
            if self.evidence_dir is not None:
                self._pending.append(item)
            else:
                self._report(item, buf.t_end_s, "")
        self.sweeps_done += 1
        self._new_sweep()

    def _new_sweep(self) -> None:
        self._hop = 0
        self._buffer = SweepBuffer(
            self.setup.plan(self.sweeps_done), self.setup.scales, self.setup.welch.samples
        )

    def _evidence_step(self, item: Assessment) -> None:
        assert self.evidence_dir is not None
        rf = self.config.rf
        block = evidence.capture(
            self.sdr, item.emitter, rf.evidence_s, self._settle, rf.evidence_offset_hz
        )
        path = evidence.write(self.evidence_dir, item.emitter, block, item.novelty)
        self._report(item, block.t_start_s, path)

    def _report(self, item: Assessment, t_s: float, path: str) -> None:
        em = item.emitter
        finding = RfFinding(
            t_s=t_s, center_hz=em.center_hz, bandwidth_hz=em.bandwidth_hz,
            peak_dbfs=em.peak_dbfs, snr_db=em.snr_db, label=em.label, kind=em.kind,
            confidence=item.confidence, novelty=item.novelty, evidence_path=path,
        )
        self.findings.append(finding)
        self.emit(finding)

    # --- proximity --------------------------------------------------------------------

    def _apply_mode(self) -> None:
        wanted = self._requested_mode
        if wanted == self.mode:
            return
        if wanted == "proximity":
            target = self._proximity_target()
            if target is None:
                return  # nothing to track yet: keep sweeping until something is found
            rf = self.config.rf
            settings = ProximitySettings(
                rf.proximity_block_s, rf.clip_fraction, rf.gain_up_below_dbfs,
                rf.strength_span_db, rf.fft_size, rf.overlap, rf.dc_bins,
            )
            self._prox = ProximityTracker(
                target.center_hz, target.bandwidth_hz, self.sdr.rate_sps,
                rf.evidence_offset_hz, settings,
            )
            self._prox_settle = True
            gains = self.sdr.gains_db() or [self.sdr.gain_db]
            self._stepper = GainStepper(gains, rf.clip_fraction, rf.gain_up_below_dbfs)
            self.sdr.tune(self._prox.tune_hz)
            log.info("proximity: tracking %s at %.3f MHz", target.label, target.center_hz / 1e6)
        elif self.mode == "proximity":
            self._prox = None
            self.sdr.set_gain(self._sweep_gain_db)
            self._new_sweep()  # the partial sweep was interrupted
        self.mode = wanted

    def _proximity_target(self) -> Emitter | None:
        """The strongest reported finding, else the strongest non-ambient emitter."""
        if self.findings:
            best = max(self.findings, key=lambda f: f.snr_db)
            for em in self.last_emitters:
                if em.lo_hz <= best.center_hz <= em.hi_hz:
                    return em
            return Emitter(
                best.center_hz, best.bandwidth_hz, best.center_hz - best.bandwidth_hz / 2,
                best.center_hz + best.bandwidth_hz / 2, best.peak_dbfs, best.peak_dbfs,
                best.peak_dbfs - best.snr_db, best.snr_db, best.kind, 1.0, best.label,
            )
        local = [e for e in self.last_emitters if not is_ambient(e.label)]
        pool = local or self.last_emitters
        return max(pool, key=lambda e: e.snr_db) if pool else None

    def _proximity_step(self, prox: ProximityTracker) -> None:
        settle = self.config.rf.settle_samples if self._prox_settle else 0
        block = self.sdr.read(settle + prox.block_samples)
        if settle:
            block = IqBlock(
                block.center_hz, block.rate_sps, block.t_start_s + settle / block.rate_sps,
                block.data[2 * settle :], block.gain_db, block.dropped + 2 * settle,
            )
        reading = prox.reading(block)
        self.emit(reading)
        if self._stepper is None:
            return
        gain = self._stepper.next_gain(block.gain_db, reading.clipped, rms_dbfs(block.data))
        self._prox_settle = gain != block.gain_db
        if self._prox_settle:
            self.sdr.set_gain(gain)
            log.debug("proximity: gain %.1f -> %.1f dB", block.gain_db, gain)
