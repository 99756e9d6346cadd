"""The replay SDR on a real rtl_433 recording and on files made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from device.clock import VirtualClock
from device.hal.base import EndOfData, PartError, Sdr
from device.hal.iqfile import IqFileError, read_iq, to_cu8, write_sigmf
from device.hal.sdr_file import FileSdr

from .conftest import make_ctx, shared_recording


def replay_all(sdr: FileSdr, block: int) -> list[np.ndarray]:
    blocks = []
    while True:
        try:
            blocks.append(sdr.read(block).data)
        except EndOfData:
            return blocks


def test_replays_the_real_recording_byte_for_byte(clock: VirtualClock) -> None:
    path = shared_recording()
    ctx = make_ctx(clock, sdr={"file_path": str(path)})
    with FileSdr.from_config(ctx) as sdr:
        assert isinstance(sdr, Sdr)
        assert sdr.rate_sps == 250_000.0
        assert sdr.center_hz == 433_920_000.0
        assert "g001_433.92M_250k.cu8" in sdr.describe()
        first = sdr.read(100_000)
        assert first.n_samples == 100_000
        assert first.t_start_s == 100.0
        assert first.center_hz == 433.92e6 and first.rate_sps == 250e3
        second = sdr.read(100_000)
        assert second.t_start_s == pytest.approx(100.0 + 100_000 / 250e3)
        rest = replay_all(sdr, 100_000)
        with pytest.raises(EndOfData):
            sdr.read(1)
    got = np.concatenate([first.data, second.data, *rest])
    assert got.dtype == np.uint8
    assert [b.size for b in rest] == [2 * 62_144]  # 262144 samples: a short last block
    assert got.tobytes() == path.read_bytes()


def test_tuning_stays_on_the_recordings_centre(clock: VirtualClock) -> None:
    path = shared_recording()
    with FileSdr.open(path, clock) as sdr:
        sdr.tune(433.92e6)  # its own centre is fine
        with pytest.raises(PartError, match=r"holds only 433\.920000 MHz") as info:
            sdr.tune(915e6)
        assert "one centre frequency" in info.value.fix
        sdr.set_gain(10.0)  # ignored: the gain is in the recording
        assert sdr.gains_db() == [sdr.gain_db]


@pytest.mark.parametrize("fmt", ["cs8", "cf32"])
def test_other_encodings_come_out_as_cu8(tmp_path: Path, clock: VirtualClock, fmt: str) -> None:
    rng = np.random.default_rng(11)
    if fmt == "cs8":
        raw = rng.integers(-128, 128, 2000, dtype=np.int8)
    else:
        raw = rng.uniform(-1.2, 1.2, 2000).astype("<f4")  # some clip
    path = tmp_path / f"t_100M_250k.{fmt}"
    raw.tofile(path)
    with FileSdr.open(path, clock) as sdr:
        got = np.concatenate(replay_all(sdr, 300))
    assert np.array_equal(got, to_cu8(read_iq(path)))


def test_sigmf_replay_takes_rate_and_centre_from_the_metadata(
    tmp_path: Path, clock: VirtualClock
) -> None:
    raw = np.arange(1000, dtype=np.uint32).astype(np.uint8)
    meta_path, _ = write_sigmf(tmp_path / "rec", raw, 1.0e6, 868.3e6)
    ctx = make_ctx(clock, sdr={"file_path": str(meta_path)})
    with FileSdr.from_config(ctx) as sdr:
        assert (sdr.rate_sps, sdr.center_hz) == (1.0e6, 868.3e6)
        block = sdr.read(500)
        assert np.array_equal(block.data, raw)


def test_config_centre_overrides_and_rate_falls_back(tmp_path: Path, clock: VirtualClock) -> None:
    path = tmp_path / "plain.cu8"
    np.zeros(64, dtype=np.uint8).tofile(path)
    ctx = make_ctx(
        clock, sdr={"file_path": str(path), "file_center_hz": 1.2e9, "rate_sps": 2_000_000}
    )
    with FileSdr.from_config(ctx) as sdr:
        assert (sdr.center_hz, sdr.rate_sps) == (1.2e9, 2.0e6)


def test_unknown_centre_is_a_clear_error(tmp_path: Path, clock: VirtualClock) -> None:
    path = tmp_path / "plain.cu8"
    np.zeros(64, dtype=np.uint8).tofile(path)
    with pytest.raises(PartError, match=r"centre frequency .* is unknown") as info:
        FileSdr.from_config(make_ctx(clock, sdr={"file_path": str(path)}))
    assert "sdr.file_center_hz" in info.value.fix


def test_missing_setting_and_bad_files(tmp_path: Path, clock: VirtualClock) -> None:
    with pytest.raises(PartError, match="needs a recording") as info:
        FileSdr.from_config(make_ctx(clock))
    assert "sdr.file_path" in info.value.fix
    odd = tmp_path / "odd_433.92M_250k.cu8"
    odd.write_bytes(b"\x7f" * 7)
    with pytest.raises(PartError, match="not a whole number") as err:
        FileSdr.open(odd, clock)
    assert isinstance(err.value.__cause__, IqFileError)
    empty = tmp_path / "empty_433.92M_250k.cu8"
    empty.write_bytes(b"")
    with pytest.raises(PartError, match="empty"):
        FileSdr.open(empty, clock)


def test_close_is_idempotent_and_reads_after_it_fail(tmp_path: Path, clock: VirtualClock) -> None:
    path = tmp_path / "x_433.92M_250k.cu8"
    np.zeros(64, dtype=np.uint8).tofile(path)
    sdr = FileSdr.open(path, clock)
    sdr.close()
    sdr.close()
    with pytest.raises(PartError, match="closed"):
        sdr.read(4)
    with FileSdr.open(path, clock) as again, pytest.raises(ValueError):
        again.read(0)
