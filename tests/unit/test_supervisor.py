"""Worker threads: retry with backoff after a part fails, hang detection, end of data."""

from __future__ import annotations

import threading
import time

from device.events import PartStatus
from device.hal.base import EndOfData, PartError
from device.supervisor import PartReviver, RetryPolicy, Worker, WorkerThread


class Flaky:
    """Fails at construction `fail_builds` times, then steps `steps` times and ends."""

    name = "flaky"

    def __init__(self, steps: int, hang: threading.Event | None = None) -> None:
        self.steps = steps
        self.hang = hang
        self.closed = False

    def step(self) -> None:
        if self.hang is not None and not self.hang.is_set():
            self.hang.wait(5.0)
        if self.steps == 0:
            raise EndOfData
        self.steps -= 1

    def close(self) -> None:
        self.closed = True


def wait_for(cond: object, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_retry_policy_doubles_and_caps() -> None:
    p = RetryPolicy(0.5, 3.0)
    assert [p.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_failed_part_is_reported_then_retried_until_it_works() -> None:
    statuses: list[PartStatus] = []
    builds = {"n": 0}
    made: list[Flaky] = []

    def factory() -> Worker:
        builds["n"] += 1
        if builds["n"] <= 2:
            raise PartError("sdr", "USB error", "re-plug the dongle")
        made.append(Flaky(steps=3))
        return made[-1]

    stop = threading.Event()
    t = WorkerThread("rf", "sdr", factory, stop, RetryPolicy(0.01, 0.02), statuses.append)
    t.start()
    assert t.finished.wait(5.0)
    assert builds["n"] == 3
    assert [s.ok for s in statuses] == [False, False, True]
    assert statuses[0].fix == "re-plug the dongle"
    assert made[0].closed


def test_failure_mid_run_rebuilds_the_worker() -> None:
    statuses: list[PartStatus] = []
    made: list[Flaky] = []

    class Unplugged(Flaky):
        def step(self) -> None:
            raise PartError("camera", "camera unplugged", "check the ribbon cable")

    def factory() -> Worker:
        made.append(Unplugged(1) if not made else Flaky(2))
        return made[-1]

    stop = threading.Event()
    t = WorkerThread("vision", "camera", factory, stop, RetryPolicy(0.01, 0.01), statuses.append)
    t.start()
    assert t.finished.wait(5.0)
    assert len(made) == 2 and made[0].closed and made[1].closed
    assert statuses[0].part == "camera" and not statuses[0].ok


def test_hung_worker_is_detected_and_replaced() -> None:
    statuses: list[PartStatus] = []
    release = threading.Event()
    made: list[Flaky] = []

    def factory() -> Worker:
        made.append(Flaky(steps=2, hang=release if not made else None))
        return made[-1]

    stop = threading.Event()
    t = WorkerThread("vision", "camera", factory, stop, RetryPolicy(0.01, 0.01), statuses.append)
    t.start()
    assert wait_for(lambda: not t.healthy(0.05))
    t.restart_hung()
    assert t.finished.wait(5.0)
    assert t.restarts == 1
    assert any("hung" in s.message for s in statuses)
    release.set()  # the abandoned thread wakes and exits without touching the new worker
    stop.set()
    t.join(1.0)
    assert len(made) == 2


def test_stop_ends_a_running_worker_promptly() -> None:
    stop = threading.Event()

    def factory() -> Worker:
        return Flaky(steps=10**9)

    t = WorkerThread("rf", "sdr", factory, stop, RetryPolicy(0.01, 0.01), lambda _s: None)
    t.start()
    assert t.up.wait(2.0)
    stop.set()
    t.join(2.0)
    assert t.finished.is_set()


def test_max_failures_gives_up_and_reports() -> None:
    statuses: list[PartStatus] = []

    def factory() -> Worker:
        raise PartError("camera", "no camera", "connect it")

    stop = threading.Event()
    t = WorkerThread(
        "vision", "camera", factory, stop, RetryPolicy(0.01, 0.01), statuses.append, max_failures=2
    )
    t.start()
    assert t.finished.wait(5.0)
    assert t.failures == 2 and not t.up.is_set()
    assert [s.message for s in statuses] == ["no camera", "no camera"]


def test_part_reviver_backs_off_then_attaches() -> None:
    now = [0.0]
    reports: list[PartStatus] = []
    attached: list[object] = []
    tries: list[float] = []

    def build() -> object:
        tries.append(now[0])
        if len(tries) < 3:
            raise PartError("buzzer", "GPIO13 busy", "free the pin")
        return "buzzer"

    reviver = PartReviver(RetryPolicy(1.0, 3.0), reports.append, lambda: now[0])
    reviver.failed("buzzer", build, attached.append)
    reviver.failed("buzzer", build, attached.append)  # already waiting: no second schedule
    for step in range(100):
        now[0] = step * 0.1
        reviver.poll()
    assert [round(t, 1) for t in tries] == [1.0, 3.0, 6.0]  # waits 1, 2, then 4 capped at 3
    assert attached == ["buzzer"] and not reviver.waiting("buzzer")
    assert [(r.part, r.ok) for r in reports] == [("buzzer", True)]
