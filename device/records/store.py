"""The sweep log: SQLite in WAL mode under the state directory, one row per sweep.

Every finding is committed the moment it arrives, so a crash or power loss keeps all that
was found up to then; the next start marks such a sweep `interrupted`. Evidence files
(crops, SigMF snippets) live beside the database, readable only by the service user.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DB_NAME = "sweeps.sqlite3"
EVIDENCE_DIR = "evidence"
DIR_MODE = 0o700  # privacy: evidence shows the inside of someone's room
FILE_MODE = 0o600

# Each entry upgrades the schema by one version; never edit a released entry, append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sweeps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        room TEXT NOT NULL DEFAULT '',
        operator TEXT NOT NULL DEFAULT '',
        device_id TEXT NOT NULL DEFAULT '',
        scenario TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('in_progress', 'complete', 'interrupted')),
        verdict TEXT,
        confidence REAL,
        mode TEXT NOT NULL DEFAULT 'sweep',
        sensitivity INTEGER NOT NULL DEFAULT 3,
        software_version TEXT NOT NULL DEFAULT '',
        model_version TEXT NOT NULL DEFAULT '',
        coverage_json TEXT NOT NULL DEFAULT '{}',
        checklist_json TEXT NOT NULL DEFAULT '{}',
        notes_json TEXT NOT NULL DEFAULT '[]',
        owner_pid INTEGER,
        owner_host TEXT
    );
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
        recorded_at TEXT NOT NULL,
        t_s REAL NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('lens', 'rf')),
        label TEXT NOT NULL DEFAULT '',
        confidence REAL NOT NULL,
        freq_hz REAL,
        data_json TEXT NOT NULL DEFAULT '{}',
        evidence_path TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX findings_sweep ON findings(sweep_id);
    CREATE TABLE spectra (
        sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('baseline', 'last')),
        freqs_json TEXT NOT NULL,
        power_json TEXT NOT NULL,
        PRIMARY KEY (sweep_id, kind)
    );
    CREATE INDEX sweeps_started ON sweeps(started_at);
    """,
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        retain INTEGER NOT NULL DEFAULT 0,
        delivered_at TEXT
    );
    CREATE INDEX outbox_pending ON outbox(delivered_at, id);
    """,
)


class StoreError(RuntimeError):
    """The sweep log cannot be used; the message says why and what to do."""


def default_state_dir(configured: str = "") -> Path:
    """--state-dir / $CAMSWEEP_STATE_DIR / config, else systemd's, else ~/.local/state."""
    explicit = os.environ.get("CAMSWEEP_STATE_DIR") or configured
    if explicit:
        return Path(explicit).expanduser()
    systemd_dir = os.environ.get("STATE_DIRECTORY")  # set by StateDirectory= in the unit
    if systemd_dir:
        return Path(systemd_dir.split(":")[0])
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "camsweep"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class SweepRow:
    id: int
    room: str
    operator: str
    device_id: str
    scenario: str
    started_at: str
    ended_at: str | None
    status: str
    verdict: str | None
    confidence: float | None
    mode: str
    sensitivity: int
    software_version: str
    model_version: str
    coverage: dict[str, Any]
    checklist: dict[str, Any]
    notes: list[str]


class Store:
    """The sweep log. Open with `Store.open(state_dir)`; use from one thread at a time."""

    def __init__(self, state_dir: Path, conn: sqlite3.Connection) -> None:
        self.state_dir = state_dir
        self.db_path = state_dir / DB_NAME
        self.evidence_root = state_dir / EVIDENCE_DIR
        self._conn = conn

    @classmethod
    def open(cls, state_dir: Path) -> Store:
        _make_private_dir(state_dir)
        _make_private_dir(state_dir / EVIDENCE_DIR)
        db_path = state_dir / DB_NAME
        try:
            conn = sqlite3.connect(db_path, timeout=2.0, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # a finding must survive power loss
            store = cls(state_dir, conn)
            store._migrate()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise StoreError(
                    f"{db_path} is locked by another process: is camsweep already running? "
                    "(systemctl status camsweep) Stop it or use another --state-dir."
                ) from exc
            raise StoreError(f"cannot open the sweep log {db_path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{db_path} is corrupt or not a camsweep database ({exc}). Nothing was changed: "
                f"move it aside (mv {db_path} {db_path}.bad) and camsweep starts a new log; "
                "keep the old file, sqlite3's .recover can often rescue its rows."
            ) from exc
        os.chmod(db_path, FILE_MODE)
        return store

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.db_path} was written by a newer camsweep (schema {version}); "
                "upgrade camsweep or use another --state-dir"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("upgrading the sweep log to schema %d", number)
            with self._tx() as conn:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    # --- writing ---------------------------------------------------------------------------

    def recover_interrupted(self) -> list[int]:
        """Mark sweeps left `in_progress` by a process that is gone as `interrupted`."""
        rows = self._conn.execute(
            "SELECT id, owner_pid, owner_host FROM sweeps WHERE status = 'in_progress'"
        ).fetchall()
        dead = [r["id"] for r in rows if not _owner_alive(r["owner_pid"], r["owner_host"])]
        with self._tx() as conn:
            for sweep_id in dead:
                last = conn.execute(
                    "SELECT MAX(recorded_at) FROM findings WHERE sweep_id = ?", (sweep_id,)
                ).fetchone()[0]
                conn.execute(
                    "UPDATE sweeps SET status = 'interrupted', ended_at = COALESCE(?, started_at)"
                    " WHERE id = ?",
                    (last, sweep_id),
                )
        return dead

    def begin_sweep(self, **fields: Any) -> int:
        """Start a sweep record; keyword names are sweeps columns (coverage etc. as dicts)."""
        values = _encode(fields)
        values.update(
            started_at=now_iso(),
            status="in_progress",
            owner_pid=os.getpid(),
            owner_host=owner_tag(),
        )
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._tx() as conn:
            cur = conn.execute(
                f"INSERT INTO sweeps ({cols}) VALUES ({marks})", tuple(values.values())
            )
        return int(cur.lastrowid or 0)

    def add_finding(
        self,
        sweep_id: int,
        t_s: float,
        channel: str,
        label: str,
        confidence: float,
        data: dict[str, Any],
        freq_hz: float | None = None,
        evidence_path: str = "",
    ) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO findings (sweep_id, recorded_at, t_s, channel, label, confidence,"
                " freq_hz, data_json, evidence_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sweep_id, now_iso(), t_s, channel, label, confidence, freq_hz,
                 json.dumps(data, sort_keys=True), evidence_path),
            )  # fmt: skip
        return int(cur.lastrowid or 0)

    def update_finding(self, finding_id: int, confidence: float, data: dict[str, Any]) -> None:
        """Raise a finding's confidence as more evidence arrives (same track / emitter)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE findings SET confidence = ?, data_json = ? WHERE id = ?",
                (confidence, json.dumps(data, sort_keys=True), finding_id),
            )

    def update_sweep(self, sweep_id: int, **fields: Any) -> None:
        values = _encode(fields)
        if not values:
            return
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._tx() as conn:
            conn.execute(f"UPDATE sweeps SET {sets} WHERE id = ?", (*values.values(), sweep_id))

    def finish_sweep(self, sweep_id: int, verdict: str, confidence: float, **fields: Any) -> None:
        self.update_sweep(
            sweep_id,
            status="complete",
            ended_at=now_iso(),
            verdict=verdict,
            confidence=confidence,
            **fields,
        )

    def save_spectrum(
        self, sweep_id: int, kind: str, freqs_hz: list[float], power_dbfs: list[float]
    ) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO spectra VALUES (?, ?, ?, ?)",
                (sweep_id, kind, json.dumps(freqs_hz), json.dumps(power_dbfs)),
            )

    def evidence_dir(self, sweep_id: int) -> Path:
        path = self.evidence_root / f"sweep-{sweep_id:06d}"
        _make_private_dir(path)
        return path

    def write_evidence(self, sweep_id: int, name: str, data: bytes) -> Path:
        """Write an evidence file readable only by its owner; returns its path."""
        path = self.evidence_dir(sweep_id) / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return path

    def purge_older_than(self, days: int) -> int:
        """Delete sweeps (and their evidence) started more than `days` ago; 0 keeps all."""
        if days <= 0:
            return 0
        cutoff = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
        ids = [
            r[0]
            for r in self._conn.execute(
                "SELECT id FROM sweeps WHERE started_at < ? AND status != 'in_progress'", (cutoff,)
            )
        ]
        with self._tx() as conn:
            for sweep_id in ids:
                conn.execute("DELETE FROM sweeps WHERE id = ?", (sweep_id,))
        for sweep_id in ids:
            shutil.rmtree(self.evidence_root / f"sweep-{sweep_id:06d}", ignore_errors=True)
        return len(ids)

    # --- fleet outbox (messages waiting for the MQTT broker) ------------------------------

    def enqueue(self, topic: str, payload: str, retain: bool = False) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO outbox (created_at, topic, payload, retain) VALUES (?, ?, ?, ?)",
                (now_iso(), topic, payload, int(retain)),
            )
        return int(cur.lastrowid or 0)

    def pending(self, limit: int = 100) -> list[tuple[int, str, str, bool]]:
        rows = self._conn.execute(
            "SELECT id, topic, payload, retain FROM outbox WHERE delivered_at IS NULL"
            " ORDER BY id LIMIT ?",
            (limit,),
        ).fetchall()
        return [(r[0], r[1], r[2], bool(r[3])) for r in rows]

    def mark_delivered(self, ids: list[int]) -> None:
        if not ids:
            return
        with self._tx() as conn:
            conn.executemany(
                "UPDATE outbox SET delivered_at = ? WHERE id = ?", [(now_iso(), i) for i in ids]
            )

    # --- reading ---------------------------------------------------------------------------

    def sweeps(
        self, limit: int = 50, room: str | None = None, since: str | None = None
    ) -> list[SweepRow]:
        query = "SELECT * FROM sweeps WHERE 1 = 1"
        args: list[Any] = []
        if room is not None:
            query += " AND room = ?"
            args.append(room)
        if since is not None:
            query += " AND started_at >= ?"
            args.append(since)
        query += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        return [_sweep_row(r) for r in self._conn.execute(query, args)]

    def sweep(self, sweep_id: int) -> SweepRow:
        row = self._conn.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        if row is None:
            raise StoreError(f"no sweep {sweep_id} in {self.db_path} (see `camsweep history`)")
        return _sweep_row(row)

    def findings(self, sweep_id: int) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT * FROM findings WHERE sweep_id = ? ORDER BY id", (sweep_id,)
        ).fetchall()
        out = []
        for r in rows:
            item = dict(json.loads(r["data_json"]))
            item.update(
                channel=r["channel"],
                label=r["label"],
                confidence=r["confidence"],
                t_s=r["t_s"],
                recorded_at=r["recorded_at"],
                evidence=r["evidence_path"],
            )
            if r["freq_hz"] is not None:
                item["freq_hz"] = r["freq_hz"]
            out.append(item)
        return out

    def spectrum(self, sweep_id: int, kind: str) -> tuple[list[float], list[float]] | None:
        row = self._conn.execute(
            "SELECT freqs_json, power_json FROM spectra WHERE sweep_id = ? AND kind = ?",
            (sweep_id, kind),
        ).fetchone()
        if row is None:
            return None
        return json.loads(row[0]), json.loads(row[1])


def _encode(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("coverage", "checklist", "notes"):
            out[f"{key}_json"] = json.dumps(value, sort_keys=True)
        else:
            out[key] = value
    return out


def _sweep_row(r: sqlite3.Row) -> SweepRow:
    return SweepRow(
        id=r["id"],
        room=r["room"],
        operator=r["operator"],
        device_id=r["device_id"],
        scenario=r["scenario"],
        started_at=r["started_at"],
        ended_at=r["ended_at"],
        status=r["status"],
        verdict=r["verdict"],
        confidence=r["confidence"],
        mode=r["mode"],
        sensitivity=r["sensitivity"],
        software_version=r["software_version"],
        model_version=r["model_version"],
        coverage=json.loads(r["coverage_json"]),
        checklist=json.loads(r["checklist_json"]),
        notes=json.loads(r["notes_json"]),
    )


def owner_tag() -> str:
    """This host and boot: a PID from another boot (or host) says nothing about liveness."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        boot = "unknown-boot"
    return f"{socket.gethostname()}/{boot}"


def _owner_alive(pid: int | None, owner: str | None) -> bool:
    if pid is None or owner != owner_tag() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _make_private_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(path, DIR_MODE)
    except OSError as exc:
        raise StoreError(
            f"cannot create {path}: {exc.strerror or exc}. Run as the camsweep user, or choose "
            "a writable place with --state-dir or CAMSWEEP_STATE_DIR."
        ) from exc
