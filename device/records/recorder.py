"""Feeds daemon events into the sweep log as they happen (so a crash loses nothing)."""

from __future__ import annotations

import io
import logging
from typing import Any

from device import events as ev
from device.records.report import SweepReport, lens_finding_dict, rf_finding_dict
from device.records.store import Store

log = logging.getLogger(__name__)


class Recorder:
    """One sweep's record: begun at start, a row per track/emitter, closed with the verdict."""

    def __init__(self, store: Store, keep_full_frames: bool = False, outbox: Any = None) -> None:
        self.store = store
        self.outbox = outbox  # device.records.mqtt.Outbox when fleet reporting is on
        self.keep_full_frames = keep_full_frames
        self.sweep_id = 0
        self._rows: dict[tuple[str, int], tuple[int, float]] = {}
        self._last_spectrum: ev.Spectrum | None = None

    def begin(self, **fields: Any) -> int:
        self.store.recover_interrupted()
        self.sweep_id = self.store.begin_sweep(**fields)
        return self.sweep_id

    def on_event(self, event: object) -> None:
        if not self.sweep_id:
            return
        if isinstance(event, ev.LensFinding):
            self._lens(event)
        elif isinstance(event, ev.RfFinding):
            self._rf(event)
        elif isinstance(event, ev.Spectrum):
            # The first sweep is written at once (the room at the door); later ones only
            # replace each other in memory: a spectrum is megabytes of JSON per sweep.
            if self._last_spectrum is None:
                self._save_spectrum("baseline", event)
            self._last_spectrum = event

    def _upsert(
        self, key: tuple[str, int], confidence: float, insert: Any, data: dict[str, Any]
    ) -> None:
        known = self._rows.get(key)
        if known is None:
            self._rows[key] = (insert(), confidence)
        elif confidence > known[1]:
            self.store.update_finding(known[0], confidence, data)
            self._rows[key] = (known[0], confidence)

    def _lens(self, f: ev.LensFinding) -> None:
        data = lens_finding_dict(f)
        key = ("lens", f.track_id)

        def insert() -> int:
            evidence = ""
            if f.crop is not None:
                evidence = str(
                    self.store.write_evidence(self.sweep_id, f"lens-{f.track_id}.png", png(f.crop))
                )
            return self.store.add_finding(
                self.sweep_id, f.t_s, "lens", "camera lens", f.confidence, data,
                evidence_path=evidence,
            )  # fmt: skip

        self._upsert(key, f.confidence, insert, data)

    def _rf(self, f: ev.RfFinding) -> None:
        data = rf_finding_dict(f)
        key = ("rf", ev.emitter_key(f.center_hz))

        def insert() -> int:
            return self.store.add_finding(
                self.sweep_id, f.t_s, "rf", f.label, f.confidence, data,
                freq_hz=f.center_hz, evidence_path=f.evidence_path,
            )  # fmt: skip

        self._upsert(key, f.confidence, insert, data)

    def update(self, **fields: Any) -> None:
        """Change the open sweep's room, checklist ticks, mode...; written at once."""
        if self.sweep_id:
            self.store.update_sweep(self.sweep_id, **fields)

    def alert(self, t_s: float, verdict: str, state: str, room: str) -> None:
        if self.outbox is not None:
            self.outbox.alert(t_s, verdict, state, room)

    def _save_spectrum(self, kind: str, spectrum: ev.Spectrum) -> None:
        self.store.save_spectrum(
            self.sweep_id, kind, spectrum.freqs_hz.tolist(), spectrum.power_dbfs.tolist()
        )

    def finish(self, report: SweepReport) -> None:
        if not self.sweep_id:
            return
        report.sweep_id = self.sweep_id
        if self._last_spectrum is not None:
            self._save_spectrum("last", self._last_spectrum)
        self.store.finish_sweep(
            self.sweep_id,
            report.verdict.value,
            report.confidence,
            room=report.room,
            coverage=report.coverage,
            notes=report.notes,
        )
        if self.outbox is not None:
            self.outbox.sweep_finished(report)


def png(pixels: Any) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()
