"""`camsweep analyze-iq`: JSON lines out, and exit 2 with a clear message on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from device.cli import main
from device.hal.iqfile import to_cu8

from .conftest import recording

RATE = 250e3


def _synthetic(path: Path, seconds: float = 0.5) -> Path:
    rng = np.random.default_rng(1)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    iq = 0.05 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    on = (t > 0.2) & (t < 0.25)
    iq[on] += 0.3 * np.exp(2j * np.pi * 60e3 * t[on])
    to_cu8(iq.astype(np.complex64)).tofile(path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["analyze-iq", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lines_from_an_rtl433_named_file(tmp_path: Path, capsys) -> None:
    path = _synthetic(tmp_path / "sensor_433.92M_250k.cu8")
    code, out, err = _run(capsys, str(path), "--json")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"start_s", "end_s", "center_hz", "bandwidth_hz", "peak_snr_db", "kind"}
    assert row["kind"] == "burst"
    assert row["center_hz"] == pytest.approx(433.98e6, abs=2e3)
    assert row["start_s"] == pytest.approx(0.2, abs=0.005)


def test_explicit_format_rate_and_centre(tmp_path: Path, capsys) -> None:
    path = _synthetic(tmp_path / "capture.bin")
    code, out, _ = _run(capsys, str(path), "--format", "cu8", "--rate", "250000",
                        "--center", "868e6")
    assert code == 0
    assert "868.06" in out and "burst" in out  # human-readable without --json


def test_unknown_centre_reports_offsets_with_a_note(tmp_path: Path, capsys) -> None:
    path = _synthetic(tmp_path / "capture.cu8")
    code, out, err = _run(capsys, str(path), "--rate", "250000", "--json")
    assert code == 0
    assert "centre frequency unknown" in err
    assert json.loads(out.splitlines()[0])["center_hz"] == pytest.approx(60e3, abs=2e3)


def test_real_recording_through_the_cli(capsys) -> None:
    path = recording("radiohead_ask/03/g001_433.92M_250k.cu8")
    code, out, _ = _run(capsys, str(path), "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert any(r["kind"] == "burst" and 0.27 < r["start_s"] < 0.3 for r in rows)


def _bad(tmp_path: Path, name: str, payload: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(payload)
    return path


@pytest.mark.parametrize(
    ("name", "payload", "extra", "message"),
    [
        ("empty_433.92M_250k.cu8", b"", (), "empty"),
        ("odd_433.92M_250k.cu8", bytes(1001), (), "not a whole number"),
        ("cut_433.92M_250k.cf32", bytes(4006), (), "not a whole number"),
        ("image_433.92M_250k.cu8", b"\x89PNG\r\n\x1a\n" + bytes(4000), (), "PNG image"),
        ("notes_433.92M_250k.cu8", b"frequency, power\n" * 300, (), "plain text"),
        ("capture.bin", bytes(4000), (), "cannot tell the IQ format"),
        ("capture.cu8", bytes(40000), (), "sample rate is unknown"),
        ("short_433.92M_250k.cu8", bytes(2000), (), "too short"),
        ("nan_433.92M_250k.cf32", np.full(20000, np.nan, np.float32).tobytes(), (), "cf32"),
        ("rate_433.92M.cu8", bytes(40000), ("--rate", "5"), "not a plausible sample rate"),
    ],
)
def test_bad_files_exit_2_with_a_clear_message(
    tmp_path: Path, capsys, name: str, payload: bytes, extra: tuple[str, ...], message: str
) -> None:
    path = _bad(tmp_path, name, payload)
    code, out, err = _run(capsys, str(path), *extra)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def test_missing_file_and_bad_format_choice(tmp_path: Path, capsys) -> None:
    code, _, err = _run(capsys, str(tmp_path / "nope_433.92M_250k.cu8"))
    assert code == 2 and "not found" in err
    with pytest.raises(SystemExit) as exc:
        main(["analyze-iq", "x.cu8", "--format", "wav"])
    assert exc.value.code == 2


def test_sigmf_input(tmp_path: Path, capsys) -> None:
    from device.hal.iqfile import write_sigmf

    raw = np.fromfile(_synthetic(tmp_path / "x.cu8"), dtype=np.uint8)
    meta, _ = write_sigmf(tmp_path / "rec", raw, RATE, 433.92e6, "test")
    code, out, _ = _run(capsys, str(meta), "--json")
    assert code == 0
    assert json.loads(out.splitlines()[0])["center_hz"] == pytest.approx(433.98e6, abs=2e3)
