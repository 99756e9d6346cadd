"""Daemon figures on a simulated 2-minute sweep: peak RSS, CPU share, READY time, and the
latency from a detector's finding to the buzzer sounding.

    .venv/bin/python bench/daemon.py [--scenario NAME] [--duration S] [--json] [--trace N]

CPU share is process CPU seconds per simulated second: the fraction of one core the device
needs to keep up with a real-time sweep on this machine (a Pi 4 core is ~5-8x slower).
Peak RSS is the process high-water mark (getrusage), imports included (~65 MB of it).

`--trace N` adds `top_allocators`: the N source lines holding the most Python-allocated
memory (numpy arrays included) at the traced peak. Tracing slows the run about threefold
and adds its own memory, so the other figures of a traced run are not comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
import tracemalloc
from typing import Any

from device.app import Daemon
from device.config import load
from device.fusion.alert import State
from device.hal import gpio
from device.sim.scenario import load_scenario
from device.sim.world import World


def run(scenario: str, duration_s: float, seed: int) -> dict[str, Any]:
    cfg = load(overrides={"sim": {"duration_s": duration_s}})
    world = World(load_scenario(scenario), seed)
    daemon = Daemon(cfg, world=world, scenario_name=scenario, virtual_time=True, give_up_after=1)

    put_times: dict[int, float] = {}
    real_put = daemon.events.put

    def timed_put(item: Any, *args: Any, **kwargs: Any) -> None:
        put_times[id(item)] = time.monotonic()
        real_put(item, *args, **kwargs)

    daemon.events.put = timed_put  # type: ignore[method-assign]
    tone_times: list[float] = []
    real_tone = gpio.GpioBuzzer.tone

    def timed_tone(self: gpio.GpioBuzzer, freq_hz: float) -> None:
        tone_times.append(time.monotonic())
        real_tone(self, freq_hz)

    gpio.GpioBuzzer.tone = timed_tone  # type: ignore[method-assign]
    alert_from: list[float] = []
    real_dispatch = daemon._dispatch

    def dispatch(event: object) -> None:
        before = daemon.alerts.state
        real_dispatch(event)
        if daemon.alerts.state is State.ALERT and before is not State.ALERT:
            alert_from.append(put_times.get(id(event), time.monotonic()))

    daemon._dispatch = dispatch  # type: ignore[method-assign]

    cpu0 = os.times()
    wall0 = time.monotonic()
    daemon.start()
    try:
        while not daemon.sources_finished():
            daemon.pump(0.05)
        time.sleep(0.3)  # let the alert pattern reach the buzzer
    finally:
        report = daemon.finish()
        gpio.GpioBuzzer.tone = real_tone  # type: ignore[method-assign]
    wall_s = time.monotonic() - wall0
    cpu1 = os.times()
    cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    latency = None
    if alert_from:
        after = [t for t in tone_times if t >= alert_from[0]]
        latency = after[0] - alert_from[0] if after else None
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "scenario": scenario,
        "duration_s": duration_s,
        "verdict": report.verdict.value,
        "rss_mb": round(rss_kb / 1024, 1),
        "cpu_share": round(cpu_s / duration_s, 3),
        "wall_s": round(wall_s, 1),
        "ready_s": None if daemon.ready_after_s is None else round(daemon.ready_after_s, 3),
        "alert_to_buzzer_s": None if latency is None else round(latency, 4),
    }


class PeakTracer:
    """Snapshots of tracemalloc whenever the traced total reaches a new high (polled)."""

    POLL_S = 0.05
    RISE = 1.02  # a new snapshot only for a rise of 2 %: snapshots are slow

    def __init__(self) -> None:
        self._best = 0
        self._snapshot: tracemalloc.Snapshot | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="peak-tracer", daemon=True)

    def __enter__(self) -> PeakTracer:
        tracemalloc.start()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        tracemalloc.stop()

    def _poll(self) -> None:
        while not self._stop.wait(self.POLL_S):
            current, _ = tracemalloc.get_traced_memory()
            if current > self._best * self.RISE:
                self._best = current
                self._snapshot = tracemalloc.take_snapshot()

    def top(self, n: int) -> list[str]:
        """The n source lines holding the most at the traced peak, as 'MB file:line'."""
        if self._snapshot is None:
            return []
        snap = self._snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        return [
            f"{stat.size / 2**20:.1f} MB {stat.traceback[0].filename}:{stat.traceback[0].lineno}"
            for stat in snap.statistics("lineno")[:n]
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="clock_camera_video_tx")
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--trace", type=int, default=0, metavar="N",
                        help="also list the N biggest allocation sites at the traced peak")
    args = parser.parse_args()
    if args.trace < 0:
        parser.error("--trace needs a count of allocation sites (0 = no tracing)")
    if args.trace:
        with PeakTracer() as tracer:
            figures = run(args.scenario, args.duration, args.seed)
        figures["top_allocators"] = tracer.top(args.trace)
    else:
        figures = run(args.scenario, args.duration, args.seed)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for key, value in figures.items():
            print(f"{key:<18} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
