"""The whole daemon on a virtual room with parts failing: the rest goes on, parts come back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from device.app import Daemon
from device.config import load
from device.events import PartStatus
from device.hal import registry
from device.hal.base import PartError
from device.sim.scenario import load_scenario
from device.sim.world import World

SCENARIO = "clock_camera_video_tx"


def config(duration_s: float = 12.0, **extra: Any) -> Any:
    overrides: dict[str, Any] = {
        "sim": {"duration_s": duration_s},
        "service": {"retry_initial_s": 0.1, "retry_max_s": 1.0, "heartbeat_timeout_s": 2.0},
    }
    overrides.update(extra)
    return load(overrides=overrides)


def run_daemon(cfg: Any, timeout_s: float = 120.0) -> Daemon:
    world = World(load_scenario(SCENARIO), 3)
    daemon = Daemon(cfg, world=world, scenario_name=SCENARIO, virtual_time=True)
    daemon.start()
    deadline = time.monotonic() + timeout_s
    try:
        while not daemon.sources_finished() and time.monotonic() < deadline:
            daemon.pump(0.05)
    finally:
        daemon.stop()
    assert daemon.sources_finished(), "the sweep did not end"
    return daemon


def statuses(daemon: Daemon) -> list[PartStatus]:
    return [p for p in daemon.view.state.parts] if daemon.view else []  # latest per part


class FailingOnce:
    """Wraps a part; its method `method` raises after `after` calls, in the first instance only."""

    instances = 0

    def __init__(self, inner: Any, method: str, after: int, error: Exception) -> None:
        self._inner = inner
        self._method = method
        self._left = after if FailingOnce.instances == 0 else -1
        self._error = error
        FailingOnce.instances += 1

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name != self._method or self._left < 0:
            return attr

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self._left -= 1
            if self._left < 0:
                raise self._error
            return attr(*args, **kwargs)

        return wrapped


def inject(monkeypatch: pytest.MonkeyPatch, kind: str, method: str, after: int, error: Exception,
           seen: list[str]) -> None:  # fmt: skip
    real_build = registry.build
    FailingOnce.instances = 0

    def build(k: str, name: str, ctx: Any) -> Any:
        part = real_build(k, name, ctx)
        if k == kind:
            seen.append(k)
            return FailingOnce(part, method, after, error)
        return part

    monkeypatch.setattr(registry, "build", build)


def test_camera_unplugged_mid_run_is_retried_and_rf_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    unplugged = PartError("camera", "camera unplugged", "check the ribbon cable")
    inject(monkeypatch, "camera", "capture", 40, unplugged, seen)
    daemon = run_daemon(config())
    vision = next(t for t in daemon.workers if t.name == "vision")
    assert len(seen) >= 2, "the camera was not rebuilt after the failure"
    assert vision.failures == 0 and vision.up.is_set()  # working again
    assert daemon.parts.status["camera"].ok
    assert daemon.spectra >= 1  # RF kept sweeping


def test_sdr_usb_error_is_reported_and_the_lens_channel_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    usb = PartError("sdr", "USB error -7 (LIBUSB_ERROR_TIMEOUT)", "re-plug the dongle")
    inject(monkeypatch, "sdr", "read", 5, usb, seen)
    messages: list[str] = []
    daemon = run_daemon(config())
    messages = [p.message for p in statuses(daemon)]
    assert len(seen) >= 2
    assert daemon.parts.status["sdr"].ok, messages
    rep = daemon.report()
    assert rep.coverage["lens glints"] > 0


def test_display_i2c_error_leaves_the_sweep_running_and_the_display_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    inject(monkeypatch, "display", "show", 3, OSError(121, "Remote I/O error"), seen)
    world = World(load_scenario(SCENARIO), 3)
    daemon = Daemon(config(), world=world, scenario_name=SCENARIO, virtual_time=True)
    daemon.start()
    for _ in range(10):
        daemon.pump(0.01)
        assert daemon.view is not None
        daemon.view.render()
    assert daemon.view is not None and daemon.view.display is None  # dropped on the error
    failed = [p for p in daemon.view.state.parts if p.part == "display"]
    assert failed and not failed[0].ok and "Remote I/O" in failed[0].message
    while not daemon.sources_finished():
        daemon.pump(0.05)
    daemon.stop()
    assert len(seen) == 2, "the display was not rebuilt after the I2C error"
    assert daemon.view.display is not None
    assert daemon.parts.status["display"].ok
    assert daemon.report().coverage["rf"].split()[0].isdigit()  # RF kept sweeping


def test_display_missing_at_start_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    real_build = registry.build
    tries: list[int] = []

    def build(k: str, name: str, ctx: Any) -> Any:
        if k == "display":
            tries.append(1)
            if len(tries) < 3:
                raise PartError("display", "no I2C device at 0x3C", "check the OLED wiring")
        return real_build(k, name, ctx)

    monkeypatch.setattr(registry, "build", build)
    daemon = run_daemon(config())
    assert len(tries) == 3
    assert daemon.parts.display is not None and daemon.parts.status["display"].ok
    assert daemon.view is not None and daemon.view.display is daemon.parts.display


def test_hung_worker_is_restarted(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    seen: list[str] = []
    real_build = registry.build

    class Hanging:
        def __init__(self, inner: Any) -> None:
            self._inner = inner
            self._calls = 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        def capture(self) -> Any:
            self._calls += 1
            if self._calls == 20:
                release.wait(30.0)  # a driver stuck in an ioctl
            return self._inner.capture()

    def build(k: str, name: str, ctx: Any) -> Any:
        part = real_build(k, name, ctx)
        if k == "camera":
            seen.append(k)
            return Hanging(part) if len(seen) == 1 else part
        return part

    monkeypatch.setattr(registry, "build", build)
    cfg = config(duration_s=8.0)
    world = World(load_scenario(SCENARIO), 3)
    daemon = Daemon(cfg, world=world, scenario_name=SCENARIO, virtual_time=True)
    daemon.start()
    deadline = time.monotonic() + 60
    vision = next(t for t in daemon.workers if t.name == "vision")
    while vision.restarts == 0 and time.monotonic() < deadline:
        daemon.pump(0.05)
    release.set()
    daemon.stop()
    assert vision.restarts == 1
    assert len(seen) == 2
    assert daemon.view is not None
    assert any("hung" in p.message for p in daemon.view.state.parts if p.part == "camera") or (
        daemon.parts.status["camera"].ok
    )


def test_sigterm_stops_within_3_s_after_ready(tmp_path: Path) -> None:
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(60.0)
    conf = tmp_path / "c.toml"
    conf.write_text("[sim]\nduration_s = 3600.0\n")
    env = dict(os.environ, NOTIFY_SOCKET=str(sock_path), CAMSWEEP_STATE_DIR=str(tmp_path / "s"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "device", "--config", str(conf), "run"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        got: list[str] = []
        while "WATCHDOG=1" not in got:
            got.append(sock.recv(256).decode())
        assert got.index("READY=1") < got.index("WATCHDOG=1")
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        stopped_s = time.monotonic() - t0
    finally:
        proc.kill()
        sock.close()
    assert proc.returncode == 0, err
    assert stopped_s < 3.0
    assert "camsweep sweep report" in out
