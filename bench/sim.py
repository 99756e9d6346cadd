"""Virtual-room speed: CPU time per 640x480 frame and IQ synthesis throughput.

    .venv/bin/python bench/sim.py [--frames N] [--scenario NAME] [--json]

A 2-minute demo renders ~3600 frames and synthesizes RF alongside; both must be far faster
than real time for the whole demo to run in well under a minute. Times are CPU time of this
process (steady when other jobs share the machine); BLAS threads: set OPENBLAS_NUM_THREADS=1.
"""

from __future__ import annotations

import argparse
import bisect
import json
import statistics
import time

from device.clock import VirtualClock
from device.config import load
from device.hal.registry import BuildContext
from device.sim.camera import SimCamera
from device.sim.scenario import load_scenario
from device.sim.sdr import SimSdr
from device.sim.world import World

READ_SAMPLES = 16384


class _Ring:
    """Toggles with every captured frame, as the vision worker does."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock, self._on, self._log = clock, False, [(clock.now(), False)]

    @property
    def is_on(self) -> bool:
        return self._on

    def set(self, on: bool) -> None:
        if on != self._on:
            self._on = on
            self._log.append((self._clock.now(), on))

    def transitions(self, since_s: float = 0.0) -> list[tuple[float, bool]]:
        return self._log[bisect.bisect_left(self._log, (since_s, False)) :]

    def close(self) -> None:
        pass


def bench_camera(scenario: str, frames: int) -> dict[str, float]:
    """CPU time per captured frame (render + timing), panoramas built beforehand."""
    cfg = load(overrides={"sim": {"duration_s": 3600.0}})
    world = World(load_scenario(scenario), 1)
    clock = VirtualClock()
    ring = _Ring(clock)
    cam = SimCamera.from_config(BuildContext(config=cfg, clock=clock, world=world, ring=ring))
    t = time.process_time()
    places = {p for s in range(int(world.path.tour_s) + 1) for p, _ in world.places(float(s))}
    for place in places:
        world.panorama(place, cam.params)
    panorama_s = time.process_time() - t
    cam.start()
    times = []
    for i in range(frames):
        t = time.process_time()
        cam.capture()
        times.append(time.process_time() - t)
        ring.set(i % 2 == 0)
    return {
        "render_ms_median": 1e3 * statistics.median(times),
        "render_ms_mean": 1e3 * statistics.fmean(times),
        "render_ms_min": 1e3 * min(times),
        "panoramas_s": panorama_s,
        "panoramas": float(len(places)),
    }


def bench_sdr(scenario: str, reads: int) -> dict[str, float]:
    world = World(load_scenario(scenario), 1)
    sdr = SimSdr(world, VirtualClock(), 2.4e6, 30.0, 0.012, 3600.0)
    plan = [433.92e6, 801e6, 94.7e6, 1200e6, 847e6, 945.2e6]
    times = []
    for i in range(reads):
        sdr.tune(plan[i % len(plan)])
        t = time.process_time()
        sdr.read(READ_SAMPLES)
        times.append(time.process_time() - t)
    per_read = statistics.median(times)
    return {
        "iq_ms_per_16k_median": 1e3 * per_read,
        "iq_msps": READ_SAMPLES / per_read / 1e6,
        "iq_realtime_factor_2m4": READ_SAMPLES / per_read / 2.4e6,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--reads", type=int, default=300)
    ap.add_argument("--scenario", default="clean_hotel_room")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = {"scenario": args.scenario}
    out.update(bench_camera(args.scenario, args.frames))
    out.update(bench_sdr(args.scenario, args.reads))
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"virtual room {args.scenario!r}")
    print(f"  panoramas (once per world):   {out['panoramas_s']:.2f} s for {out['panoramas']:.0f}")
    print(
        f"  render 640x480:               {out['render_ms_median']:.2f} ms/frame median "
        f"({out['render_ms_mean']:.2f} mean, {out['render_ms_min']:.2f} min), {args.frames} frames"
    )
    print(f"  3600 frames (2 min at 30 fps): ~{out['render_ms_mean'] * 3.6:.1f} s")
    print(
        f"  IQ synthesis:                 {out['iq_ms_per_16k_median']:.2f} ms per 16k samples, "
        f"{out['iq_msps']:.1f} MS/s ({out['iq_realtime_factor_2m4']:.1f}x real time at 2.4 MS/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
