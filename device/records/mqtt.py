"""Optional fleet reporting over MQTT, with Home Assistant discovery and an offline queue.

Messages are first written to the sweep log's outbox, then delivered with QoS 1 by a
background thread; a message leaves the outbox only when the broker acknowledged it, so a
broker that is down (or a device out of WiFi range) loses nothing.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

from device import __version__
from device.config import MqttConfig
from device.hal.registry import missing_library
from device.records.report import SweepReport
from device.records.store import Store

log = logging.getLogger(__name__)

QOS = 1  # at least once: a housekeeping record must arrive; duplicates are harmless


class Topics:
    """Topic names for one device."""

    def __init__(self, cfg: MqttConfig, device_id: str) -> None:
        base = f"{cfg.topic_prefix}/{device_id}"
        self.device_id = device_id
        self.sweep = f"{base}/sweep"
        self.alert = f"{base}/alert"
        self.state = f"{base}/state"
        self.availability = f"{base}/availability"
        self.discovery_prefix = cfg.discovery_prefix


def sweep_message(report: SweepReport) -> dict[str, Any]:
    return {
        "sweep_id": report.sweep_id,
        "room": report.room,
        "operator": report.operator,
        "device_id": report.device_id,
        "verdict": report.verdict.value,
        "confidence": report.confidence,
        "findings": report.findings,
        "coverage": report.coverage,
        "duration_s": round(report.duration_s, 1),
    }


def discovery_messages(topics: Topics) -> list[tuple[str, dict[str, Any]]]:
    """Home Assistant discovery: a verdict sensor and a 'camera found' binary sensor."""
    device = {
        "identifiers": [f"camsweep_{topics.device_id}"],
        "name": f"camsweep {topics.device_id}",
        "model": "camsweep hidden-camera finder",
        "sw_version": __version__,
    }
    uid = f"camsweep_{topics.device_id}"
    common = {"availability_topic": topics.availability, "device": device}
    return [
        (
            f"{topics.discovery_prefix}/sensor/{uid}/verdict/config",
            {**common, "name": "Last sweep verdict", "unique_id": f"{uid}_verdict",
             "state_topic": topics.state, "value_template": "{{ value_json.verdict }}",
             "json_attributes_topic": topics.state, "icon": "mdi:cctv"},
        ),
        (
            f"{topics.discovery_prefix}/binary_sensor/{uid}/camera/config",
            {**common, "name": "Hidden camera found", "unique_id": f"{uid}_camera",
             "state_topic": topics.state, "device_class": "problem",
             "value_template": "{{ 'ON' if value_json.verdict == 'camera' else 'OFF' }}"},
        ),
    ]  # fmt: skip


class Outbox:
    """Writes fleet messages into the store's outbox (the daemon's side)."""

    def __init__(self, store: Store, topics: Topics, discovery: bool) -> None:
        self.store = store
        self.topics = topics
        if discovery:
            for topic, payload in discovery_messages(topics):
                store.enqueue(topic, json.dumps(payload, sort_keys=True), retain=True)

    def sweep_finished(self, report: SweepReport) -> None:
        message = json.dumps(sweep_message(report), sort_keys=True)
        self.store.enqueue(self.topics.sweep, message)
        state = {"verdict": report.verdict.value, "room": report.room, "sweep_id": report.sweep_id}
        self.store.enqueue(self.topics.state, json.dumps(state, sort_keys=True), retain=True)

    def alert(self, t_s: float, verdict: str, state: str, room: str) -> None:
        payload = {"t_s": round(t_s, 2), "verdict": verdict, "state": state, "room": room}
        self.store.enqueue(self.topics.alert, json.dumps(payload, sort_keys=True))


class Publisher:
    """Delivers the outbox to the broker on its own thread; reconnects by itself."""

    def __init__(self, cfg: MqttConfig, state_dir: Path, topics: Topics) -> None:
        try:
            import paho.mqtt.client as mqtt
        except ImportError as exc:
            raise missing_library("mqtt", "paho-mqtt", exc) from exc
        self.cfg = cfg
        self.topics = topics
        self._state_dir = state_dir
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._acks: queue.Queue[int] = queue.Queue()
        self._inflight: dict[int, int] = {}  # paho mid -> outbox id
        self._early_acks: set[int] = set()  # acks that arrived before their mid was noted
        self._sent: set[int] = set()  # outbox ids sent on this connection, not yet in the log
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self._drain_deadline = 0.0
        self.delivered = 0
        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or f"camsweep-{topics.device_id}",
        )
        if cfg.username:
            client.username_pw_set(cfg.username, cfg.password or None)
        if cfg.tls:
            client.tls_set(ca_certs=cfg.ca_file or None)
        client.will_set(topics.availability, "offline", qos=QOS, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=max(1, int(cfg.retry_s * 4)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self._client = client
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)

    def start(self) -> None:
        self._client.connect_async(self.cfg.host, self.cfg.port, keepalive=self.cfg.keepalive_s)
        self._client.loop_start()
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def close(self, timeout_s: float = 2.0) -> None:
        """Deliver what is queued while the broker is reachable (up to `timeout_s`), then stop."""
        self._drain_deadline = time.monotonic() + timeout_s
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout_s + 1.0)
        if self.connected.is_set():
            self._client.publish(self.topics.availability, "offline", qos=QOS, retain=True)
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: Any, _ud: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        log.info("MQTT connected to %s:%d", self.cfg.host, self.cfg.port)
        client.publish(self.topics.availability, "online", qos=QOS, retain=True)
        self.connected.set()
        self._wake.set()

    def _on_disconnect(self, _c: Any, _ud: Any, _flags: Any, reason: Any, _props: Any) -> None:
        log.info("MQTT disconnected (%s); messages stay queued", reason)
        self.connected.clear()
        with self._lock:
            self._inflight.clear()  # unacknowledged messages are sent again
            self._early_acks.clear()
            self._sent.clear()

    def _on_publish(self, _c: Any, _ud: Any, mid: int, _reason: Any, _props: Any) -> None:
        with self._lock:
            outbox_id = self._inflight.pop(mid, None)
            if outbox_id is None:
                self._early_acks.add(mid)
        if outbox_id is not None:
            self._acks.put(outbox_id)
            self._wake.set()

    def _run(self) -> None:
        store = Store.open(self._state_dir)  # its own connection: SQLite objects stay per thread
        try:
            while not self._stop.is_set():
                self._flush_acks(store)
                if self.connected.is_set():
                    self._send_pending(store)
                self._wake.wait(self.cfg.retry_s)
                self._wake.clear()
            self._drain(store)
        finally:
            store.close()

    def _drain(self, store: Store) -> None:
        """On close: send what is pending and wait for the acks until the deadline."""
        while time.monotonic() < self._drain_deadline:
            self._flush_acks(store)
            if not self.connected.is_set() or not store.pending(limit=1):
                return
            self._send_pending(store)
            self._wake.wait(0.05)
            self._wake.clear()

    def _flush_acks(self, store: Store) -> None:
        ids: list[int] = []
        while True:
            try:
                ids.append(self._acks.get_nowait())
            except queue.Empty:
                break
        store.mark_delivered(ids)
        with self._lock:
            self._sent.difference_update(ids)
        self.delivered += len(ids)

    def _send_pending(self, store: Store) -> None:
        with self._lock:
            busy = set(self._sent)
        for outbox_id, topic, payload, retain in store.pending():
            if outbox_id in busy:
                continue
            # Never hold our lock while paho runs: its network thread holds its own lock when
            # it calls _on_publish, so nesting the two would deadlock.
            info = self._client.publish(topic, payload, qos=QOS, retain=retain)
            if info.rc != 0:
                return  # not connected after all: try again on the next wake
            with self._lock:
                self._sent.add(outbox_id)
                if info.mid in self._early_acks:  # the ack overtook this bookkeeping
                    self._early_acks.discard(info.mid)
                    self._acks.put(outbox_id)
                else:
                    self._inflight[info.mid] = outbox_id
