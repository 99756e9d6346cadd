"""The sweep log: crash safety, interrupted sweeps, bad databases, privacy, retention."""

from __future__ import annotations

import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from device.records.store import DB_NAME, MIGRATIONS, Store, StoreError

CRASHER = textwrap.dedent(
    """
    import os, signal, sys
    from device.records.store import Store
    store = Store.open(__import__("pathlib").Path(sys.argv[1]))
    sweep = store.begin_sweep(room="204", operator="ana", device_id="cs-1")
    for i in range(3):
        store.add_finding(sweep, float(i), "lens", "camera lens", 0.9, {"i": i})
    store.write_evidence(sweep, "lens-0.png", b"png")
    print(sweep, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_kill_9_mid_sweep_keeps_findings_and_marks_interrupted(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CRASHER, str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    sweep_id = int(proc.stdout.strip())
    with Store.open(tmp_path) as store:
        assert store.sweep(sweep_id).status == "in_progress"
        assert store.recover_interrupted() == [sweep_id]
        row = store.sweep(sweep_id)
        assert row.status == "interrupted"
        assert row.ended_at is not None
        assert [f["i"] for f in store.findings(sweep_id)] == [0, 1, 2]
        assert (store.evidence_dir(sweep_id) / "lens-0.png").read_bytes() == b"png"


def test_a_live_sweep_of_another_process_is_left_alone(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        with Store.open(tmp_path) as store:
            sweep = store.begin_sweep(room="101")
            store.update_sweep(sweep, owner_pid=child.pid)
            assert store.recover_interrupted() == []
            assert store.sweep(sweep).status == "in_progress"
    finally:
        child.kill()
        child.wait()


def test_complete_sweep_round_trip(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        sweep = store.begin_sweep(room="12", operator="li", coverage={"lens_s": 40})
        fid = store.add_finding(sweep, 1.0, "rf", "ISM 433", 0.4, {"snr_db": 12}, freq_hz=433.9e6)
        store.update_finding(fid, 0.6, {"snr_db": 15})
        store.save_spectrum(sweep, "baseline", [1.0, 2.0], [-80.0, -70.0])
        store.finish_sweep(sweep, "suspicious", 0.6, coverage={"lens_s": 80})
        row = store.sweep(sweep)
        assert (row.status, row.verdict, row.coverage) == ("complete", "suspicious", {"lens_s": 80})
        (f,) = store.findings(sweep)
        assert (f["confidence"], f["snr_db"], f["freq_hz"]) == (0.6, 15, 433.9e6)
        assert store.spectrum(sweep, "baseline") == ([1.0, 2.0], [-80.0, -70.0])
        assert store.spectrum(sweep, "last") is None
        assert store.schema_version == len(MIGRATIONS)
        with pytest.raises(StoreError, match="no sweep 99"):
            store.sweep(99)


def test_files_and_directories_are_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Store.open(state) as store:
        sweep = store.begin_sweep()
        path = store.write_evidence(sweep, "crop.png", b"x")
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((state / DB_NAME).stat().st_mode) == 0o600


def test_corrupt_database_is_a_clear_error_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    garbage = b"this is not sqlite" * 100
    db.write_bytes(garbage)
    with pytest.raises(StoreError) as info:
        Store.open(tmp_path)
    message = str(info.value)
    assert "corrupt" in message and "mv " in message
    assert db.read_bytes() == garbage


def test_locked_database_is_a_clear_error(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    holder = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked by another process"):
            store = Store.open(tmp_path)
            store.begin_sweep()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer camsweep"):
        Store.open(tmp_path)


def test_retention_deletes_old_sweeps_and_their_evidence(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        old = store.begin_sweep(room="old")
        store.write_evidence(old, "a.png", b"1")
        store.finish_sweep(old, "clear", 0.0)
        store.update_sweep(old, started_at="2001-01-01T00:00:00+00:00")
        new = store.begin_sweep(room="new")
        store.finish_sweep(new, "clear", 0.0)
        assert store.purge_older_than(0) == 0
        assert store.purge_older_than(30) == 1
        assert [r.room for r in store.sweeps()] == ["new"]
        assert not (store.evidence_root / f"sweep-{old:06d}").exists()


def test_unusable_state_dir_says_how_to_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="--state-dir"):
        Store.open(blocker / "state")
