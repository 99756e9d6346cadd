"""Fleet reporting against a real Mosquitto broker on loopback: delivery, queue, auth."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from getpass import getuser
from pathlib import Path
from typing import Any

import pytest

from device.config import load
from device.events import Verdict
from device.records.mqtt import Outbox, Publisher, Topics
from device.records.report import SweepReport
from device.records.store import Store

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
pytestmark = pytest.mark.skipif(
    not Path(MOSQUITTO).exists(),
    reason="mosquitto is not installed (./install.sh --dev installs it)",
)
mqtt = pytest.importorskip("paho.mqtt.client", reason="paho-mqtt is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A throw-away Mosquitto on 127.0.0.1 with its own config."""

    def __init__(
        self, tmp: Path, password: tuple[str, str] | None = None, tls: Path | None = None
    ) -> None:
        self.port = free_port()
        self.conf = tmp / "mosquitto.conf"
        # Stay the test's user: as root, mosquitto would drop to its own user, which cannot
        # read files in the test's private temporary directory.
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", f"user {getuser()}"]
        if password:
            pwfile = tmp / "passwd"
            subprocess.run(
                ["mosquitto_passwd", "-c", "-b", str(pwfile), *password],
                check=True, capture_output=True,
            )  # fmt: skip
            pwfile.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {pwfile}"]
        else:
            lines.append("allow_anonymous true")
        if tls is not None:
            lines += [f"cafile {tls / 'cert.pem'}", f"certfile {tls / 'cert.pem'}",
                      f"keyfile {tls / 'key.pem'}"]  # fmt: skip
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        err = b""
        if self.proc.poll() is not None and self.proc.stderr is not None:
            err = self.proc.stderr.read()
        raise RuntimeError(f"mosquitto did not start: {err.decode(errors='replace')}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


class Listener:
    """A subscriber collecting every message under camsweep/# and homeassistant/#."""

    def __init__(
        self, port: int, auth: tuple[str, str] | None = None, ca: Path | None = None
    ) -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self.got = threading.Event()
        self.client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
        if auth:
            self.client.username_pw_set(*auth)
        if ca is not None:
            self.client.tls_set(ca_certs=str(ca))
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([("camsweep/#", 1), ("homeassistant/#", 1)])
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: Any) -> None:
        self.messages.append((msg.topic, msg.payload.decode(), bool(msg.retain)))
        self.got.set()

    def wait_for(self, topic_end: str, count: int = 1, timeout_s: float = 10.0) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [p for t, p, _r in self.messages if t.endswith(topic_end)]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no message on */{topic_end}; got {self.messages}")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def mqtt_config(port: int, **extra: Any) -> Any:
    return load(overrides={"mqtt": {"enabled": True, "host": "127.0.0.1", "port": port,
                                    "retry_s": 0.2, **extra}}).mqtt  # fmt: skip


def report(sweep_id: int) -> SweepReport:
    return SweepReport(
        scenario="", room="204", operator="ana", device_id="cs-1", started_s=0.0,
        duration_s=95.0, verdict=Verdict.CAMERA, confidence=0.93,
        findings=[{"channel": "lens", "confidence": 0.93}], sweep_id=sweep_id,
    )  # fmt: skip


def test_sweep_summary_and_discovery_are_delivered(broker: Broker, tmp_path: Path) -> None:
    listener = Listener(broker.port)
    cfg = mqtt_config(broker.port)
    topics = Topics(cfg, "cs-1")
    state = tmp_path / "state"
    with Store.open(state) as store:
        outbox = Outbox(store, topics, discovery=True)
        outbox.sweep_finished(report(7))
        publisher = Publisher(cfg, state, topics)
        publisher.start()
        try:
            (summary,) = listener.wait_for("/sweep")
            assert json.loads(summary)["verdict"] == "camera"
            assert json.loads(summary)["room"] == "204"
            config = json.loads(listener.wait_for("/camera/config")[0])
            assert config["state_topic"] == "camsweep/cs-1/state"
            assert listener.wait_for("/availability")[0] == "online"
            deadline = time.monotonic() + 5
            while store.pending() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert store.pending() == []
        finally:
            publisher.close()
            listener.close()


def test_offline_queue_is_delivered_when_the_broker_returns(
    broker: Broker, tmp_path: Path
) -> None:
    cfg = mqtt_config(broker.port)
    topics = Topics(cfg, "cs-2")
    state = tmp_path / "state"
    broker.stop()
    with Store.open(state) as store:
        outbox = Outbox(store, topics, discovery=False)
        publisher = Publisher(cfg, state, topics)
        publisher.start()
        try:
            outbox.sweep_finished(report(1))
            outbox.alert(12.5, "camera", "alert", "204")
            time.sleep(0.5)
            assert len(store.pending()) == 3  # sweep, state, alert: nowhere to go yet
            broker.start()
            listener = Listener(broker.port)
            assert publisher.connected.wait(15.0), "did not reconnect"
            publisher.wake()
            # Queued while the broker was down: arrive once it is back (retained state too).
            assert json.loads(listener.wait_for("/state")[0])["verdict"] == "camera"
            deadline = time.monotonic() + 10
            while store.pending() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert store.pending() == []
            listener.close()
        finally:
            publisher.close()


def test_username_and_password(tmp_path: Path) -> None:
    b = Broker(tmp_path, password=("hotel", "s3cret"))
    b.start()
    try:
        listener = Listener(b.port, auth=("hotel", "s3cret"))
        topics = Topics(mqtt_config(b.port), "cs-3")
        state = tmp_path / "state"
        for password, should_arrive in (("wrong", False), ("s3cret", True)):
            cfg = mqtt_config(b.port, username="hotel", password=password)
            with Store.open(state) as store:
                Outbox(store, topics, discovery=False).alert(1.0, "camera", "alert", password)
            publisher = Publisher(cfg, state, topics)
            publisher.start()
            arrived = publisher.connected.wait(3.0)
            publisher.close()
            assert arrived is should_arrive
        payloads = [json.loads(p) for p in listener.wait_for("/alert", count=2)]
        # Both queued alerts are delivered by the publisher that could log in.
        assert sorted(p["room"] for p in payloads) == ["s3cret", "wrong"]
        listener.close()
    finally:
        b.stop()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_tls_with_a_private_ca(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(certs / "key.pem"), "-out", str(certs / "cert.pem"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    b = Broker(tmp_path, tls=certs)
    b.start()
    try:
        listener = Listener(b.port, ca=certs / "cert.pem")
        topics = Topics(mqtt_config(b.port), "cs-4")
        state = tmp_path / "state"
        with Store.open(state) as store:
            Outbox(store, topics, discovery=False).sweep_finished(report(3))
        # Without the CA the broker's certificate is refused and nothing is sent.
        untrusted = Publisher(mqtt_config(b.port, tls=True), state, topics)
        untrusted.start()
        assert not untrusted.connected.wait(2.0)
        untrusted.close()
        trusted = Publisher(
            mqtt_config(b.port, tls=True, ca_file=str(certs / "cert.pem")), state, topics
        )
        trusted.start()
        assert trusted.connected.wait(10.0)
        assert json.loads(listener.wait_for("/sweep")[0])["sweep_id"] == 3
        trusted.close()
        listener.close()
    finally:
        b.stop()
