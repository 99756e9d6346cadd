"""IQ recordings on disk: format detection, rtl_433 file names, reading, SigMF writing.

Pure file handling shared by the replay SDR (`device.hal.sdr_file`) and offline analysis.
Sample conventions (the RTL-SDR's, see the design notes):

- cu8: interleaved unsigned bytes, x = byte / 127.5 - 1
- cs8 (SigMF "ci8"): interleaved signed bytes, x = byte / 128
- cf32 (SigMF "cf32_le"): interleaved little-endian float32, used as is
- SigMF: a JSON `.sigmf-meta` beside a `.sigmf-data` holding one of the above

Converting back to cu8 is byte = clip(round((x + 1) * 127.5), 0, 255), rounding half to
even, so cu8 -> complex -> cu8 gives the original bytes.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Encoding = Literal["cu8", "cs8", "cf32"]
FORMATS: tuple[str, ...] = ("cu8", "cs8", "cf32", "sigmf")

# File extension -> format. The .complex16u/.complex16s/.complex names are rtl_433's
# aliases; .cfile is GNU Radio's complex float32 file sink.
_EXTENSIONS: dict[str, str] = {
    ".cu8": "cu8",
    ".complex16u": "cu8",
    ".cs8": "cs8",
    ".ci8": "cs8",
    ".complex16s": "cs8",
    ".cf32": "cf32",
    ".complex": "cf32",
    ".cfile": "cf32",
    ".sigmf-meta": "sigmf",
    ".sigmf-data": "sigmf",
}
_SIGMF_TYPES: dict[str, Encoding] = {"cu8": "cu8", "ci8": "cs8", "cf32_le": "cf32"}
_DTYPES: dict[Encoding, npt.DTypeLike] = {"cu8": np.uint8, "cs8": np.int8, "cf32": "<f4"}
BYTES_PER_SAMPLE: dict[Encoding, int] = {"cu8": 2, "cs8": 2, "cf32": 8}
SIGMF_VERSION = "1.0.0"

# rtl_433 file-name tokens: a number starting a token, then a unit (see rtl_433 fileformat.c:
# "M" or "[kMG]?Hz" is the centre frequency, "k" or "[kMG]?sps" the sample rate).
_NAME_TOKEN = re.compile(r"(?<![0-9A-Za-z.])(\d+(?:\.\d+)?)([A-Za-z]+)(?![0-9A-Za-z])")
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9}


class IqFileError(ValueError):
    """An IQ recording cannot be used; the message says what is wrong and how to fix it."""

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {problem} — {fix}")


@dataclass(frozen=True)
class IqRecording:
    """What is known about a recording: where its samples are and how they are encoded."""

    data_path: Path
    fmt: str  # the container: cu8 | cs8 | cf32 | sigmf
    encoding: Encoding  # how the samples in data_path are stored
    n_samples: int
    rate_sps: float | None
    center_hz: float | None
    meta_path: Path | None = None
    description: str = ""

    @property
    def bytes_per_sample(self) -> int:
        return BYTES_PER_SAMPLE[self.encoding]


def parse_rtl433_name(path: Path | str) -> tuple[float | None, float | None]:
    """(center_hz, rate_sps) from an rtl_433-style name such as g001_433.92M_250k.cu8."""
    center_hz: float | None = None
    rate_sps: float | None = None
    for number, unit in _NAME_TOKEN.findall(Path(path).name):
        value = float(number)
        low = unit.lower()
        if low == "m":
            center_hz = value * 1e6
        elif low == "k":
            rate_sps = value * 1e3
        elif low.endswith("hz") and low[:-2] in _SCALE:
            center_hz = value * _SCALE[low[:-2]]
        elif low.endswith("sps") and low[:-3] in _SCALE:
            rate_sps = value * _SCALE[low[:-3]]
    return center_hz, rate_sps


def detect_format(path: Path | str, explicit: str = "") -> str:
    """The recording's format: `explicit` if given, else from the file extension."""
    if explicit:
        if explicit not in FORMATS:
            raise IqFileError(
                path,
                f"unknown IQ format {explicit!r}",
                f"use one of: {', '.join(FORMATS)}",
            )
        return explicit
    suffix = Path(path).suffix.lower()
    if suffix == ".sigmf":
        raise IqFileError(
            path,
            "SigMF archives (.sigmf) are not read directly",
            "extract it first (tar xf FILE.sigmf) and give the .sigmf-meta file",
        )
    fmt = _EXTENSIONS.get(suffix)
    if fmt is None:
        known = ", ".join(sorted(_EXTENSIONS))
        raise IqFileError(
            path,
            f"cannot tell the IQ format from the extension {suffix or '(none)'!r}",
            f"rename the file to one of {known}, or name the format explicitly "
            "(sdr.file_format / --format: cu8, cs8, cf32 or sigmf)",
        )
    return fmt


def open_recording(path: Path | str, explicit: str = "") -> IqRecording:
    """Inspect a recording (format, size, rate and centre if known) without reading samples."""
    path = Path(path)
    fmt = detect_format(path, explicit)
    if fmt == "sigmf":
        return _open_sigmf(path)
    encoding: Encoding = "cu8" if fmt == "cu8" else "cs8" if fmt == "cs8" else "cf32"
    center_hz, rate_sps = parse_rtl433_name(path)
    n_samples = _checked_samples(path, encoding)
    return IqRecording(path, fmt, encoding, n_samples, rate_sps, center_hz)


def decode_complex(raw: npt.NDArray[Any], encoding: Encoding) -> npt.NDArray[np.complex64]:
    """Interleaved raw samples (dtype of `encoding`) -> complex64 in the ±1 convention."""
    if encoding in ("cu8", "cs8") and raw.dtype.itemsize == 1 and raw.size % 2 == 0:
        # Each (I, Q) byte pair read as one little-endian uint16 indexes a table of all
        # 65536 complex values: one gather instead of a cast, a scale and two strided copies.
        pairs = np.ascontiguousarray(raw).reshape(-1).view("<u2")
        return np.asarray(_byte_pair_table(encoding)[pairs])
    x = _scaled(raw.astype(np.float32, copy=False), encoding)
    out = np.empty(x.size // 2, dtype=np.complex64)
    out.real = x[0::2]
    out.imag = x[1::2]
    return out


def _scaled(x: npt.NDArray[np.float32], encoding: Encoding) -> npt.NDArray[np.float32]:
    """Raw values (as float32) -> the ±1 convention of `encoding`."""
    if encoding == "cu8":
        return np.asarray(x / np.float32(127.5) - np.float32(1.0))
    if encoding == "cs8":
        return np.asarray(x / np.float32(128.0))
    return x


@functools.lru_cache(maxsize=2)
def _byte_pair_table(encoding: Encoding) -> npt.NDArray[np.complex64]:
    """Complex value of every (I, Q) byte pair, indexed by the pair read as '<u2'."""
    pair = np.arange(65536, dtype="<u2")
    as_bytes = pair.view(np.uint8).view(_DTYPES[encoding]).astype(np.float32)
    x = _scaled(as_bytes, encoding)
    table = np.empty(65536, dtype=np.complex64)
    table.real = x[0::2]
    table.imag = x[1::2]
    return table


def to_cu8(iq: npt.NDArray[np.complexfloating[Any, Any]]) -> npt.NDArray[np.uint8]:
    """Complex samples (±1 full scale) -> interleaved cu8 bytes, clipping what is out of range."""
    inter = np.empty(iq.size * 2, dtype=np.float32)
    inter[0::2] = iq.real
    inter[1::2] = iq.imag
    scaled = np.rint((inter + np.float32(1.0)) * np.float32(127.5))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def raw_to_cu8(raw: npt.NDArray[Any], encoding: Encoding) -> npt.NDArray[np.uint8]:
    """Interleaved raw samples of any encoding -> cu8 bytes (cu8 passes through untouched)."""
    if encoding == "cu8":
        return raw.astype(np.uint8, copy=False)
    return to_cu8(decode_complex(raw, encoding))


def read_raw(rec: IqRecording, start: int = 0, count: int | None = None) -> npt.NDArray[Any]:
    """Samples [start, start+count) as interleaved raw values in the file's own dtype."""
    if start < 0:
        raise ValueError("start must be >= 0")
    available = max(0, rec.n_samples - start)
    n = available if count is None else min(count, available)
    return np.fromfile(
        rec.data_path,
        dtype=_DTYPES[rec.encoding],
        count=2 * n,
        offset=start * rec.bytes_per_sample,
    )


def read_iq(path: Path | str, fmt: str = "") -> npt.NDArray[np.complex64]:
    """Read a whole recording as complex64 (load it all: for analysis, not long replays)."""
    rec = open_recording(path, fmt)
    return decode_complex(read_raw(rec), rec.encoding)


def write_sigmf(
    base_path: Path | str,
    iq_cu8: npt.NDArray[np.uint8],
    rate_sps: float,
    center_hz: float,
    description: str = "",
) -> tuple[Path, Path]:
    """Write cu8 bytes as a SigMF pair (BASE.sigmf-meta, BASE.sigmf-data); return both paths."""
    iq_cu8 = np.asarray(iq_cu8)
    if iq_cu8.dtype != np.uint8 or iq_cu8.ndim != 1 or iq_cu8.size % 2:
        raise ValueError(
            "iq_cu8 must be a 1-D uint8 array of interleaved I/Q bytes (even length); "
            "convert complex samples with to_cu8() first"
        )
    if rate_sps <= 0:
        raise ValueError("rate_sps must be > 0")
    base = _sigmf_base(Path(base_path))
    meta_path = base.with_name(base.name + ".sigmf-meta")
    data_path = base.with_name(base.name + ".sigmf-data")
    meta = {
        "global": {
            "core:datatype": "cu8",
            "core:sample_rate": float(rate_sps),
            "core:version": SIGMF_VERSION,
            "core:description": description,
            "core:recorder": "camsweep",
        },
        "captures": [{"core:sample_start": 0, "core:frequency": float(center_hz)}],
        "annotations": [],
    }
    # Data first and each file replaced atomically: a .sigmf-meta never points at a
    # half-written .sigmf-data.
    _atomic_write(data_path, iq_cu8.tobytes())
    _atomic_write(meta_path, (json.dumps(meta, indent=2) + "\n").encode("utf-8"))
    return meta_path, data_path


def _atomic_write(path: Path, payload: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def _sigmf_base(path: Path) -> Path:
    for suffix in (".sigmf-meta", ".sigmf-data"):
        if path.name.endswith(suffix):
            return path.with_name(path.name[: -len(suffix)])
    return path


def _checked_samples(path: Path, encoding: Encoding) -> int:
    """Sample count of a raw IQ file, refusing missing, empty and truncated files."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise IqFileError(path, "file not found", "check the path (sdr.file_path)") from None
    if not path.is_file():
        raise IqFileError(path, "not a regular file", "give the path of the recording itself")
    if size == 0:
        raise IqFileError(
            path,
            "the file is empty (0 bytes)",
            "the recording failed or was not copied: record again",
        )
    step = BYTES_PER_SAMPLE[encoding]
    if size % step:
        whole = size - size % step
        raise IqFileError(
            path,
            f"{size} bytes is not a whole number of {encoding} samples ({step} bytes each): "
            "the file is truncated or not in this format",
            f"check the format (is it really {encoding}?) or cut it to {whole} bytes "
            f"(truncate -s {whole} FILE)",
        )
    return size // step


def _open_sigmf(path: Path) -> IqRecording:
    base = _sigmf_base(path)
    meta_path = base.with_name(base.name + ".sigmf-meta")
    data_path = base.with_name(base.name + ".sigmf-data")
    try:
        text = meta_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IqFileError(
            meta_path,
            "SigMF metadata file not found",
            "keep the .sigmf-meta beside the .sigmf-data",
        ) from None
    except UnicodeDecodeError:
        raise IqFileError(
            meta_path, "not a UTF-8 text file", "a .sigmf-meta file is JSON text"
        ) from None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IqFileError(
            meta_path,
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            "repair the JSON or write the metadata again",
        ) from None
    glob = meta.get("global") if isinstance(meta, dict) else None
    if not isinstance(glob, dict):
        raise IqFileError(meta_path, 'no "global" object', 'a SigMF file needs a "global" object')
    datatype = glob.get("core:datatype")
    encoding = _SIGMF_TYPES.get(datatype) if isinstance(datatype, str) else None
    if encoding is None:
        raise IqFileError(
            meta_path,
            f"core:datatype {datatype!r} is not supported",
            f"supported: {', '.join(_SIGMF_TYPES)} (convert the data to cu8)",
        )
    channels = glob.get("core:num_channels", 1)
    if channels != 1:
        raise IqFileError(
            meta_path,
            f"core:num_channels is {channels!r}",
            "only single-channel recordings are read",
        )
    rate_sps = _positive_number(glob.get("core:sample_rate"), meta_path, "global.core:sample_rate")
    captures = meta.get("captures")
    center_hz: float | None = None
    if isinstance(captures, list) and captures and isinstance(captures[0], dict):
        center_hz = _positive_number(
            captures[0].get("core:frequency"), meta_path, "captures[0].core:frequency"
        )
    description = glob.get("core:description", "")
    n_samples = _checked_samples(data_path, encoding)
    return IqRecording(
        data_path,
        "sigmf",
        encoding,
        n_samples,
        rate_sps,
        center_hz,
        meta_path=meta_path,
        description=description if isinstance(description, str) else "",
    )


def _positive_number(value: object, path: Path, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise IqFileError(path, f"{key} is {value!r}", "it must be a positive number")
    return float(value)
