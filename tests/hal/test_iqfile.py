"""IQ files: rtl_433 names, format detection, sample conventions, SigMF, bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from device.hal.iqfile import (
    Encoding,
    IqFileError,
    decode_complex,
    detect_format,
    open_recording,
    parse_rtl433_name,
    read_iq,
    read_raw,
    to_cu8,
    write_sigmf,
)


@pytest.mark.parametrize(
    ("name", "center_hz", "rate_sps"),
    [
        ("g001_433.92M_250k.cu8", 433.92e6, 250e3),
        ("/some/dir.5M/g002_868.3M_1024k.cs8", 868.3e6, 1.024e6),
        ("capture_915MHz_2.4Msps.cf32", 915e6, 2.4e6),
        ("x_1200000000Hz_2400000sps.cu8", 1.2e9, 2.4e6),
        ("g001.cu8", None, None),
        ("radio_433.92M.cu8", 433.92e6, None),
    ],
)
def test_rtl433_names(name: str, center_hz: float | None, rate_sps: float | None) -> None:
    got_center, got_rate = parse_rtl433_name(name)
    assert got_center == (pytest.approx(center_hz) if center_hz else None)
    assert got_rate == (pytest.approx(rate_sps) if rate_sps else None)


def test_format_detection() -> None:
    assert detect_format("a.cu8") == "cu8"
    assert detect_format("a.CS8") == "cs8"
    assert detect_format("a.complex16u") == "cu8"
    assert detect_format("a.cfile") == "cf32"
    assert detect_format("a.sigmf-data") == "sigmf"
    assert detect_format("a.bin", "cs8") == "cs8"
    with pytest.raises(IqFileError, match=r"extension '\.bin'") as info:
        detect_format("a.bin")
    assert "sdr.file_format" in info.value.fix
    with pytest.raises(IqFileError, match="unknown IQ format"):
        detect_format("a.cu8", "cu16")
    with pytest.raises(IqFileError, match="archives"):
        detect_format("a.sigmf")


def test_cu8_uses_the_rtlsdr_convention_and_round_trips_exactly(tmp_path: Path) -> None:
    raw = np.arange(256, dtype=np.uint8)
    path = tmp_path / "all_100M_250k.cu8"
    raw.tofile(path)
    iq = read_iq(path)
    assert iq.dtype == np.complex64 and iq.size == 128
    assert iq[0] == pytest.approx(complex(0 / 127.5 - 1, 1 / 127.5 - 1))
    assert iq[-1] == pytest.approx(complex(254 / 127.5 - 1, 255 / 127.5 - 1))
    assert np.array_equal(to_cu8(iq), raw)


def test_to_cu8_clips_out_of_range_samples() -> None:
    got = to_cu8(np.array([2 + 2j, -3 - 1j, 0j], dtype=np.complex64))
    assert got.tolist() == [255, 255, 0, 0, 128, 128]


def test_cs8_and_cf32_decode(tmp_path: Path) -> None:
    np.array([-128, 127, 0, 64], dtype=np.int8).tofile(tmp_path / "a.cs8")
    assert read_iq(tmp_path / "a.cs8").tolist() == [
        pytest.approx(complex(-1, 127 / 128)),
        pytest.approx(complex(0, 0.5)),
    ]
    np.array([0.5, -0.25, 1.0, 0.0], dtype="<f4").tofile(tmp_path / "b.cf32")
    assert read_iq(tmp_path / "b.cf32").tolist() == [complex(0.5, -0.25), complex(1.0, 0.0)]


@pytest.mark.parametrize(("encoding", "dtype", "offset", "scale"),
                         [("cu8", np.uint8, 1.0, 127.5), ("cs8", np.int8, 0.0, 128.0)])
def test_byte_decoding_gives_the_convention_for_every_pair(
    encoding: Encoding, dtype: type, offset: float, scale: float
) -> None:
    i, q = np.meshgrid(np.arange(256), np.arange(256))
    pairs = np.stack([i.ravel(), q.ravel()], axis=1).astype(np.uint8).view(dtype).ravel()
    iq = decode_complex(pairs, encoding)
    as_float = pairs.astype(np.float32)
    assert iq.dtype == np.complex64
    np.testing.assert_array_equal(iq.real, as_float[0::2] / np.float32(scale) - offset)
    np.testing.assert_array_equal(iq.imag, as_float[1::2] / np.float32(scale) - offset)
    # Byte pairs starting at an odd address (a slice of a larger read) decode the same.
    shifted = np.concatenate([pairs[:1], pairs])[1:]
    np.testing.assert_array_equal(decode_complex(shifted, encoding), iq)


def test_read_raw_slices_without_loading_the_rest(tmp_path: Path) -> None:
    np.arange(20, dtype=np.uint8).tofile(tmp_path / "s.cu8")
    rec = open_recording(tmp_path / "s.cu8")
    assert rec.n_samples == 10
    assert read_raw(rec, 3, 2).tolist() == [6, 7, 8, 9]
    assert read_raw(rec, 9, 5).tolist() == [18, 19]
    assert read_raw(rec, 12, 5).size == 0


@pytest.mark.parametrize(
    ("name", "size", "needle"),
    [
        ("empty.cu8", 0, "empty"),
        ("odd.cu8", 1001, "truncated"),
        ("odd.cs8", 3, "truncated"),
        ("short.cf32", 12, "not a whole number of cf32 samples"),
    ],
)
def test_empty_and_truncated_files(tmp_path: Path, name: str, size: int, needle: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x80" * size)
    with pytest.raises(IqFileError, match=needle) as info:
        open_recording(path)
    assert info.value.fix
    assert isinstance(info.value, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IqFileError, match="file not found"):
        open_recording(tmp_path / "gone.cu8")


def test_sigmf_write_then_read_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 256, 4096, dtype=np.uint8)
    meta_path, data_path = write_sigmf(tmp_path / "cap", raw, 2.4e6, 1.2e9, "video carrier")
    assert meta_path.name == "cap.sigmf-meta" and data_path.name == "cap.sigmf-data"
    meta = json.loads(meta_path.read_text())
    assert meta["global"]["core:datatype"] == "cu8"
    assert meta["global"]["core:sample_rate"] == 2.4e6
    assert meta["global"]["core:version"].startswith("1.")
    assert meta["captures"][0] == {"core:sample_start": 0, "core:frequency": 1.2e9}
    assert meta["annotations"] == []
    for path in (meta_path, data_path):
        rec = open_recording(path)
        assert (rec.fmt, rec.encoding, rec.n_samples) == ("sigmf", "cu8", 2048)
        assert (rec.rate_sps, rec.center_hz) == (2.4e6, 1.2e9)
        assert rec.description == "video carrier"
    assert np.array_equal(to_cu8(read_iq(meta_path)), raw)
    assert not list(tmp_path.glob("*.tmp"))


def test_write_sigmf_rejects_non_cu8_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="to_cu8"):
        write_sigmf(tmp_path / "x", np.zeros(3, dtype=np.uint8), 1e6, 1e8)
    with pytest.raises(ValueError, match="to_cu8"):
        write_sigmf(tmp_path / "x", np.zeros(4, dtype=np.complex64), 1e6, 1e8)


def write_meta(tmp_path: Path, meta: object, data: bytes = b"\x00\x01") -> Path:
    meta_path = tmp_path / "r.sigmf-meta"
    meta_path.write_text(meta if isinstance(meta, str) else json.dumps(meta))
    (tmp_path / "r.sigmf-data").write_bytes(data)
    return meta_path


def test_sigmf_datatypes(tmp_path: Path) -> None:
    meta: dict[str, Any] = {
        "global": {"core:datatype": "ci8", "core:sample_rate": 1e6},
        "captures": [],
    }
    np.array([0, 64], dtype=np.int8).tofile(tmp_path / "r.sigmf-data")
    path = write_meta(tmp_path, meta, np.array([0, 64], dtype=np.int8).tobytes())
    assert read_iq(path).tolist() == [complex(0, 0.5)]
    meta["global"]["core:datatype"] = "cf32_le"
    path = write_meta(tmp_path, meta, np.array([0.5, -0.5], dtype="<f4").tobytes())
    rec = open_recording(path)
    assert (rec.encoding, rec.center_hz) == ("cf32", None)
    assert read_iq(path).tolist() == [complex(0.5, -0.5)]


@pytest.mark.parametrize(
    ("meta", "needle"),
    [
        ('{"global": {"core:datatype": "cu8",', "not valid JSON"),
        ('["a list"]', 'no "global"'),
        ({"global": {}}, "core:datatype None"),
        ({"global": {"core:datatype": "ci16_le"}}, "'ci16_le' is not supported"),
        ({"global": {"core:datatype": "cu8", "core:sample_rate": -5}}, "sample_rate is -5"),
        ({"global": {"core:datatype": "cu8", "core:num_channels": 2}}, "num_channels"),
        (
            {"global": {"core:datatype": "cu8"}, "captures": [{"core:frequency": "433M"}]},
            "core:frequency is '433M'",
        ),
    ],
)
def test_bad_sigmf_metadata(tmp_path: Path, meta: object, needle: str) -> None:
    with pytest.raises(IqFileError, match=needle) as info:
        open_recording(write_meta(tmp_path, meta))
    assert info.value.fix


def test_sigmf_without_its_data_or_meta_file(tmp_path: Path) -> None:
    path = write_meta(tmp_path, {"global": {"core:datatype": "cu8"}})
    (tmp_path / "r.sigmf-data").unlink()
    with pytest.raises(IqFileError, match="file not found"):
        open_recording(path)
    (tmp_path / "r.sigmf-data").write_bytes(b"\x00\x00")
    path.unlink()
    with pytest.raises(IqFileError, match="metadata file not found"):
        open_recording(tmp_path / "r.sigmf-data")
