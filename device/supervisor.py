"""Worker threads with heartbeats, retry with backoff, and hang detection.

Each detector is built by a factory and driven one bounded `step()` at a time. A PartError
closes the worker, reports the part as failed and rebuilds it after a growing delay; a
worker whose heartbeat stops is declared hung and replaced by a fresh one (a Python thread
cannot be killed: the stale thread is abandoned and exits when its step returns).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from device.events import PartStatus
from device.hal.base import EndOfData, PartError

log = logging.getLogger(__name__)

# Building a part (opening a camera, loading the model, planning a sweep) may legitimately
# take seconds on a Pi Zero: a worker that is still being built is hung only after this long.
BUILD_TIMEOUT_S = 30.0


class Worker(Protocol):
    name: str

    def step(self) -> None: ...

    def close(self) -> None: ...


WorkerFactory = Callable[[], Worker]
StatusSink = Callable[[PartStatus], None]


@dataclass(frozen=True)
class RetryPolicy:
    initial_s: float
    max_s: float

    def delay(self, failures: int) -> float:
        return float(min(self.max_s, self.initial_s * 2 ** max(0, failures - 1)))


class WorkerThread:
    """Runs one worker; rebuilds it after failures; exposes its heartbeat for the watchdog."""

    def __init__(
        self,
        name: str,
        part: str,
        factory: WorkerFactory,
        stop: threading.Event,
        retry: RetryPolicy,
        on_status: StatusSink,
        max_failures: int | None = None,
    ) -> None:
        self.name = name
        self._max_failures = max_failures  # None: retry for ever (a part may be re-plugged)
        self.part = part
        self._factory = factory
        self._stop = stop
        self._retry = retry
        self._on_status = on_status
        self._generation = 0
        self._lock = threading.Lock()
        self.last_beat = time.monotonic()
        self.finished = threading.Event()  # the source ended (EndOfData) or we stopped
        self.up = threading.Event()  # the worker was built at least once
        self.failures = 0
        self.restarts = 0
        self._thread: threading.Thread | None = None
        self.worker: Worker | None = None  # the live worker, for mode changes
        self._building = False
        self._report_recovery = False

    def start(self) -> None:
        with self._lock:
            self._generation += 1
            gen = self._generation
        self.last_beat = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, args=(gen,), name=f"worker-{self.name}-{gen}", daemon=True
        )
        self._thread.start()

    def restart_hung(self) -> None:
        """Abandon the current (hung) thread and start a fresh worker."""
        self.restarts += 1
        self._report_recovery = True
        log.error("%s worker stopped heart-beating; starting a new one", self.name)
        self._on_status(
            PartStatus(self.part, False, f"{self.name} worker hung; restarted", "check the log")
        )
        self.start()

    def healthy(self, timeout_s: float) -> bool:
        limit = max(timeout_s, BUILD_TIMEOUT_S) if self._building else timeout_s
        return self.finished.is_set() or time.monotonic() - self.last_beat <= limit

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _current(self, gen: int) -> bool:
        return gen == self._generation and not self._stop.is_set()

    def _run(self, gen: int) -> None:
        while self._current(gen):
            self._building = True
            self.last_beat = time.monotonic()
            try:
                worker = self._factory()
            except PartError as exc:
                if self._fail(exc, gen):
                    return
                continue
            finally:
                self._building = False
            self.last_beat = time.monotonic()
            self.worker = worker
            self.up.set()
            if self.failures or self._report_recovery:
                self._on_status(PartStatus(self.part, True, "working again"))
            self.failures = 0
            self._report_recovery = False
            try:
                while self._current(gen):
                    worker.step()
                    self.last_beat = time.monotonic()
            except EndOfData:
                log.info("%s source finished", self.name)
                self.finished.set()
                return
            except PartError as exc:
                if self._fail(exc, gen):
                    return
            finally:
                _close_quietly(worker)
        if gen == self._generation:
            self.finished.set()

    def _fail(self, exc: PartError, gen: int) -> bool:
        """Report a failure and wait before retrying; True when the thread should end."""
        self.failures += 1
        if self._max_failures is not None and self.failures >= self._max_failures:
            log.error("%s: %s; giving up", self.name, exc)
            self._on_status(PartStatus(exc.part or self.part, False, exc.problem, exc.fix))
            self.finished.set()
            return True
        delay = self._retry.delay(self.failures)
        log.warning("%s: %s; retrying in %.1f s", self.name, exc, delay)
        self._on_status(PartStatus(exc.part or self.part, False, exc.problem, exc.fix))
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and self._current(gen):
            # Keep the heartbeat alive while deliberately waiting: waiting is not hanging.
            self.last_beat = time.monotonic()
            self._stop.wait(min(0.5, delay))
        return not self._current(gen)


def _close_quietly(worker: Worker) -> None:
    try:
        worker.close()
    except Exception:  # closing a failed part must not hide the original error
        log.exception("closing %s failed", getattr(worker, "name", "worker"))


@dataclass
class _Pending:
    build: Callable[[], object]
    attach: Callable[[object], None]
    failures: int
    due_s: float


class PartReviver:
    """Rebuilds the parts that are not workers (display, buzzer, vibration motor).

    A part that failed to build or stopped answering is tried again after the same growing
    delay as a worker's part; `poll()` (called from the daemon's event loop) builds the ones
    that are due and hands each success to its `attach` callback.
    """

    def __init__(self, policy: RetryPolicy, report: StatusSink,
                 now: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._report = report
        self._now = now
        self._pending: dict[str, _Pending] = {}

    def failed(self, part: str, build: Callable[[], object],
               attach: Callable[[object], None]) -> None:
        """Schedule `part` for a rebuild (once: a part already waiting keeps its delay)."""
        if part not in self._pending:
            self._pending[part] = _Pending(build, attach, 1, self._now() + self._policy.delay(1))

    def waiting(self, part: str) -> bool:
        return part in self._pending

    def poll(self) -> None:
        now = self._now()
        for part, p in list(self._pending.items()):
            if now < p.due_s:
                continue
            try:
                obj = p.build()
            except PartError as exc:
                p.failures += 1
                p.due_s = now + self._policy.delay(p.failures)
                log.warning("%s still failing (try %d): %s", part, p.failures, exc.problem)
                continue
            del self._pending[part]
            p.attach(obj)
            log.info("%s is back after %d failure(s)", part, p.failures)
            self._report(PartStatus(part, True, "back"))
