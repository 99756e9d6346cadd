"""The daemon: wires hardware -> detector workers -> fusion -> UI -> records. Nothing else.

`start()` reads as the list of steps; each step lives in its own module. Any single part
may be missing or fail: the daemon reports it and goes on with the rest.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from device import __version__
from device import events as ev
from device.clock import Clock, MonotonicClock, VirtualClock
from device.config import Config
from device.fusion.alert import AlertMachine, State, Trigger
from device.hal import registry
from device.hal.base import Buttons, Display, IrRing, PartError
from device.records.recorder import Recorder
from device.records.report import (
    RF_BLIND_SPOT,
    SweepReport,
    lens_finding_dict,
    rf_finding_dict,
)
from device.records.rooms import RoomListError, load_rooms
from device.records.store import StoreError
from device.supervisor import PartReviver, RetryPolicy, Worker, WorkerThread
from device.ui.screens import UiState
from device.ui.sounds import SoundPlayer
from device.ui.view import View
from device.vision.classifier import model_version

log = logging.getLogger(__name__)


Notify = Callable[[str], None]
DETECTOR_MODES = ("sweep", "lens", "rf", "proximity")


@dataclass
class Parts:
    """The parts the daemon holds for its whole life (workers own camera and SDR)."""

    pin_factory: Any = None
    ring: IrRing | None = None
    display: Display | None = None
    buttons: Buttons | None = None
    status: dict[str, ev.PartStatus] = field(default_factory=dict)


class Daemon:
    """One sweep session: start, pump events until stopped or the sources end, report."""

    def __init__(
        self,
        config: Config,
        *,
        world: Any = None,
        scenario_name: str = "",
        notify: Notify | None = None,
        virtual_time: bool = False,
        recorder: Recorder | None = None,
        give_up_after: int | None = None,
    ) -> None:
        self.config = config
        self.world = world
        self.scenario_name = scenario_name
        self._notify = notify or (lambda _msg: None)
        self.virtual_time = virtual_time
        self.recorder = recorder
        self.give_up_after = give_up_after  # failures before a part is abandoned; None: never
        self.room = config.records.room
        self.checklist: dict[str, bool] = {}
        self.stop_event = threading.Event()
        self.events: queue.Queue[object] = queue.Queue()
        self.parts = Parts()
        self.alerts = AlertMachine(config.alert)
        self.workers: list[WorkerThread] = []
        self.t_s = 0.0  # latest device time seen in an event
        self.spectra = 0  # RF sweeps completed; the first few are the room's baseline
        self.rf_span_hz = (float("inf"), 0.0)
        self.rf_plan = ""
        self._cam_t0_s = 0.0
        self._cam_clock: Clock = VirtualClock() if virtual_time else MonotonicClock()
        self._sdr_clock: Clock = VirtualClock() if virtual_time else MonotonicClock()
        self.sounds: SoundPlayer | None = None
        self.view: View | None = None
        svc = config.service
        self.reviver = PartReviver(RetryPolicy(svc.retry_initial_s, svc.retry_max_s),
                                   self.events.put)
        self._ready_sent = False
        self._started_wall = time.monotonic()
        self.ready_after_s: float | None = None

    # --- start-up -------------------------------------------------------------------------

    def start(self) -> None:
        self._cam_t0_s = self._cam_clock.now()
        self._init_records()
        self._init_gpio()
        self._init_display()
        self._init_ui()
        self._start_vision()
        self._start_rf()
        self.alerts.fire(Trigger.SELFTEST_DONE, 0.0)
        if not any(t.name == "rf" for t in self.workers):
            self._baseline_over()
        self._sync_ui_state()

    def _init_records(self) -> None:
        if self.recorder is None:
            return
        cfg = self.config
        self._record(
            self.recorder.begin,
            room=cfg.records.room,
            operator=cfg.records.operator,
            device_id=cfg.device.id,
            scenario=self.scenario_name,
            sensitivity=cfg.alert.sensitivity,
            software_version=__version__,
            model_version=model_version(cfg.vision.model_path),
        )

    def _record(self, action: Callable[..., object], *args: object, **kwargs: object) -> None:
        """Run a records action; a failing log is reported, never fatal to the sweep."""
        if self.recorder is None:
            return
        try:
            action(*args, **kwargs)
        except (StoreError, sqlite3.Error, OSError) as exc:
            log.error("sweep log: %s", exc)
            self.events.put(ev.PartStatus("records", False, str(exc), "check the state directory"))

    def _part_ok(self, part: str, message: str = "ok") -> None:
        self.events.put(ev.PartStatus(part, True, message))

    def _part_failed(self, exc: PartError, part: str) -> None:
        self.events.put(ev.PartStatus(part, False, exc.problem, exc.fix))

    def _ctx(self, clock: Clock) -> registry.BuildContext:
        return registry.BuildContext(
            config=self.config,
            clock=clock,
            world=self.world,
            ring=self.parts.ring,
            pin_factory=self.parts.pin_factory,
        )

    def _init_gpio(self) -> None:
        from device.hal import gpio  # gpiozero is a hard dependency; pin libraries are not

        try:
            self.parts.pin_factory = registry.resolve("gpio", self.config.hal.gpio)()
        except PartError as exc:
            self._part_failed(exc, "gpio")
            return
        ctx = self._ctx(self._cam_clock)
        for part, build in (
            ("ring", gpio.GpioRing.from_config),
            ("buttons", gpio.GpioButtons.from_config),
        ):
            try:
                setattr(self.parts, part, build(ctx))
                self._part_ok(part)
            except PartError as exc:
                self._part_failed(exc, part)

    def _init_display(self) -> None:
        name = self.config.hal.display
        if name == "none":
            return
        try:
            self.parts.display = self._build_display()
            self._part_ok("display")
        except PartError as exc:
            self._part_failed(exc, "display")
            self.reviver.failed("display", self._build_display, self._attach_display)

    def _build_display(self) -> Display:
        built: Display = registry.build("display", self.config.hal.display,
                                        self._ctx(self._cam_clock))
        return built

    def _attach_display(self, display: object) -> None:
        old, self.parts.display = self.parts.display, cast(Display, display)
        if old is not None:
            try:
                old.close()
            except Exception:  # the failed one may not even close
                log.debug("closing the failed display", exc_info=True)
        if self.view is not None:
            self.view.display = self.parts.display

    def _revive_parts(self) -> None:
        """A display that stopped answering mid-run is rebuilt like one missing at start."""
        if (self.view is not None and self.view.display is None
                and self.config.hal.display != "none" and not self.reviver.waiting("display")):
            self.reviver.failed("display", self._build_display, self._attach_display)
        self.reviver.poll()

    def _init_ui(self) -> None:
        from device.hal import gpio

        ctx = self._ctx(self._cam_clock)
        buzzer = vibration = None
        if self.parts.pin_factory is not None:
            try:
                buzzer = gpio.GpioBuzzer.from_config(ctx)
                self._part_ok("buzzer")
            except PartError as exc:
                self._part_failed(exc, "buzzer")
                self.reviver.failed("buzzer", lambda: gpio.GpioBuzzer.from_config(ctx),
                                    lambda b: setattr(self.sounds, "buzzer", b))
            try:
                vibration = gpio.GpioVibration.from_config(ctx)
            except PartError as exc:
                self._part_failed(exc, "vibration")
                self.reviver.failed("vibration", lambda: gpio.GpioVibration.from_config(ctx),
                                    lambda v: setattr(self.sounds, "vibration", v))
        ui = self.config.ui
        self.sounds = SoundPlayer(buzzer, vibration, mute=ui.mute, silent=ui.silent)
        rec = self.config.records
        try:
            rooms = tuple(load_rooms(rec))
        except RoomListError as exc:
            rooms = (rec.room,) if rec.room else ()
            self.events.put(ev.PartStatus("records", False, str(exc), "fix records.rooms_csv"))
        state = UiState(
            version=__version__,
            sensitivity=self.config.alert.sensitivity,
            rooms=rooms,
            room=rec.room,
            checklist=rec.checklist,
        )
        self.view = View(
            self.parts.display,
            self.sounds,
            state,
            (self.config.camera.width, self.config.camera.height),
            on_mode=self._set_mode,
            on_sensitivity=self.alerts.set_sensitivity,
            on_ack=self._acknowledge,
            on_room=self._set_room,
            on_checklist=self._set_checklist,
        )
        if self.parts.buttons is not None:
            self.parts.buttons.on_press(self.view.on_button)

    def _start_worker(self, name: str, part: str, factory: Callable[[], Worker]) -> None:
        svc = self.config.service
        thread = WorkerThread(
            name,
            part,
            factory,
            self.stop_event,
            RetryPolicy(svc.retry_initial_s, svc.retry_max_s),
            self.events.put,
            max_failures=self.give_up_after,
        )
        self.workers.append(thread)
        thread.start()

    def _start_vision(self) -> None:
        cfg = self.config
        if not cfg.vision.enabled or cfg.hal.camera == "none":
            return
        ring = self.parts.ring
        if ring is None:
            self.events.put(
                ev.PartStatus("ring", False, "no IR ring: the lens channel is off", "see selftest")
            )
            return

        def factory() -> Worker:
            from device.vision.worker import VisionWorker

            camera = registry.build("camera", cfg.hal.camera, self._ctx(self._cam_clock))
            return VisionWorker.create(camera, ring, cfg, self.events.put)

        self._start_worker("vision", "camera", factory)

    def _start_rf(self) -> None:
        cfg = self.config
        if not cfg.rf.enabled or cfg.hal.sdr == "none":
            return

        def factory() -> Worker:
            from device.rf.worker import RfWorker

            sdr = registry.build("sdr", cfg.hal.sdr, self._ctx(self._sdr_clock))
            return RfWorker.create(sdr, cfg, self.events.put, self._evidence_dir())

        self._start_worker("rf", "sdr", factory)

    def _set_room(self, room: str) -> None:
        self.room = room
        if self.recorder is not None:
            self._record(self.recorder.update, room=room)

    def _set_checklist(self, ticks: dict[str, bool]) -> None:
        self.checklist = ticks
        if self.recorder is not None:
            self._record(self.recorder.update, checklist=ticks)

    def _acknowledge(self) -> None:
        self.alerts.fire(Trigger.ACK, self.t_s)
        self._sync_ui_state()

    def _evidence_dir(self) -> Path | None:
        if self.recorder is None or not self.recorder.sweep_id:
            return None
        return self.recorder.store.evidence_dir(self.recorder.sweep_id)

    def _set_mode(self, mode: str) -> None:
        # The room and checklist screens are for the user; the detectors keep sweeping.
        worker_mode = mode if mode in DETECTOR_MODES else "sweep"
        for thread in self.workers:
            worker = getattr(thread, "worker", None)
            if worker is not None and hasattr(worker, "set_mode"):
                worker.set_mode(worker_mode)

    # --- running --------------------------------------------------------------------------

    def pump(self, timeout_s: float = 0.1) -> None:
        """Handle every queued event, then check worker health."""
        try:
            event = self.events.get(timeout=timeout_s)
        except queue.Empty:
            event = None
        while event is not None:
            self._dispatch(event)
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                event = None
        self._watchdog()
        self._revive_parts()

    def _dispatch(self, event: object) -> None:
        t_s = getattr(event, "t_s", None)
        if isinstance(t_s, float):
            self.t_s = max(self.t_s, t_s)
        before = self.alerts.state
        if isinstance(event, ev.LensFinding | ev.RfFinding):
            self.alerts.on_finding(event)
        elif isinstance(event, ev.PartStatus):
            self.parts.status[event.part] = event
            if event.part == "sdr" and not event.ok:
                self._baseline_over()  # no RF: the sweep goes on with the lens alone
        elif isinstance(event, ev.Spectrum):
            self.spectra += 1
            if len(event.freqs_hz):
                lo, hi = float(event.freqs_hz[0]), float(event.freqs_hz[-1])
                self.rf_span_hz = (min(self.rf_span_hz[0], lo), max(self.rf_span_hz[1], hi))
                self.rf_plan = event.plan
            if self.view is not None:
                self.view.state.baseline_progress = self.spectra / self.config.rf.baseline_sweeps
            if self.spectra >= self.config.rf.baseline_sweeps:
                self._baseline_over()
        if self.recorder is not None and not isinstance(event, ev.PartStatus):
            self._record(self.recorder.on_event, event)
        if self.view is not None:
            self.view.apply(event)
        if self.alerts.state is not before:
            self._on_alert_change(before)
        self._sync_ui_state()

    def _baseline_over(self) -> None:
        if self.alerts.state is State.BASELINE:
            self.alerts.fire(Trigger.BASELINE_DONE, self.t_s)

    def _on_alert_change(self, before: State) -> None:
        if self.recorder is not None and self.alerts.state in (State.ALERT, State.SUSPECT):
            verdict = self.alerts.verdict().value
            state = self.alerts.state.value
            self._record(self.recorder.alert, self.t_s, verdict, state, self.room)
        if self.sounds is None:
            return
        if self.alerts.state is State.ALERT:
            self.sounds.play("lens_alert" if self.alerts.evidence.lens else "rf_alert")
        elif self.alerts.state is State.SUSPECT and before is State.SWEEPING:
            if not self.alerts.evidence.lens:
                self.sounds.play("rf_alert")
        elif self.alerts.state is State.SWEEPING and before is State.BASELINE:
            self.sounds.play("ready")

    def _sync_ui_state(self) -> None:
        if self.view is None:
            return
        s = self.view.state
        s.alert_state = self.alerts.state.value
        s.verdict = self.alerts.verdict().value
        s.lens_time_s = self.t_s

    def _watchdog(self) -> None:
        timeout = self.config.service.heartbeat_timeout_s
        for thread in self.workers:
            if not thread.healthy(timeout):
                thread.restart_hung()
        all_started = all(t.up.is_set() or t.failures for t in self.workers)
        if all_started and not self._ready_sent:
            self._ready_sent = True
            self.ready_after_s = time.monotonic() - self._started_wall
            self._notify("READY=1")
            if self.sounds is not None:
                self.sounds.play("ready")
        if self._ready_sent and all(t.healthy(timeout) for t in self.workers):
            self._notify("WATCHDOG=1")

    def sources_finished(self) -> bool:
        return bool(self.workers) and all(t.finished.is_set() for t in self.workers)

    # --- shutdown and report --------------------------------------------------------------

    def stop(self) -> None:
        """Stop workers and release every part; safe to call twice."""
        self._notify("STOPPING=1")
        self.stop_event.set()
        deadline = time.monotonic() + self.config.service.stop_timeout_s
        for thread in self.workers:
            thread.join(max(0.0, deadline - time.monotonic()))
        while not self.events.empty():
            self._dispatch(self.events.get_nowait())
        if self.sounds is not None:
            self.sounds.close()
        for part in (self.parts.buttons, self.parts.ring, self.parts.display):
            if part is not None:
                try:
                    part.close()
                except Exception:  # a broken part must not block shutdown
                    log.exception("closing a part failed")

    def _coverage(self) -> dict[str, Any]:
        """What the sweep covered, in words a manager can read."""
        vision_ran = any(t.name == "vision" and t.up.is_set() for t in self.workers)
        lens_s = self._cam_clock.now() - self._cam_t0_s if vision_ran else 0.0
        rf = "not swept"
        if self.spectra:
            lo, hi = self.rf_span_hz
            rf = f"{self.spectra} sweeps of '{self.rf_plan}' {lo / 1e6:.0f}-{hi / 1e6:.0f} MHz"
        ticked = [k for k, v in self.checklist.items() if v]
        return {
            "lens scan": f"{lens_s:.0f} s",
            "lens glints": self.view.state.lens_candidates if self.view else 0,
            "rf": rf,
            "checklist": f"{len(ticked)}/{len(self.config.records.checklist)} places ticked"
            + (f" ({', '.join(ticked)})" if ticked else ""),
        }

    def finish(self) -> SweepReport:
        """Stop, then build the report and close the sweep's record with it."""
        self.stop()
        report = self.report()
        if self.recorder is not None:
            self._record(self.recorder.finish, report)
        return report

    def report(self) -> SweepReport:
        # The best evidence per lens track and per emitter, as the alert machine kept it.
        evidence = self.alerts.evidence
        findings = [lens_finding_dict(f) for f in evidence.lens.values()]
        findings += [rf_finding_dict(f) for f in evidence.rf.values()]
        rec = self.config.records
        return SweepReport(
            scenario=self.scenario_name,
            room=self.room,
            operator=rec.operator,
            device_id=self.config.device.id,
            started_s=0.0,
            duration_s=self.t_s,
            verdict=self.alerts.verdict(),
            confidence=round(self.alerts.confidence(), 3),
            findings=findings,
            parts=sorted(self.parts.status.values(), key=lambda p: p.part),
            coverage=self._coverage(),
            notes=[RF_BLIND_SPOT],
        )
