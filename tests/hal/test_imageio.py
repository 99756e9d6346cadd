"""Reading frames from PNG/JPEG into grey arrays, and the errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from device.hal.imageio import ImageReadError, read_grey, read_grey8, to_uint8


def test_8_bit_png_reads_exactly(tmp_path: Path) -> None:
    pixels = np.arange(48 * 64, dtype=np.uint32).reshape(48, 64).astype(np.uint8)
    Image.fromarray(pixels, mode="L").save(tmp_path / "a.png")
    got = read_grey(tmp_path / "a.png")
    assert got.dtype == np.uint8
    assert np.array_equal(got, pixels)


def test_16_bit_png_keeps_its_depth_and_scales_to_8_bits(tmp_path: Path) -> None:
    wide = np.array([[0, 257, 65535], [32768, 1000, 65534]], dtype=np.uint16)
    Image.fromarray(wide).save(tmp_path / "w.png")
    got = read_grey(tmp_path / "w.png")
    assert got.dtype == np.uint16
    assert np.array_equal(got, wide)
    assert read_grey8(tmp_path / "w.png").tolist() == [[0, 1, 255], [128, 4, 255]]


def test_colour_images_become_luma(tmp_path: Path) -> None:
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    rgb[..., 1] = 200  # pure green: ITU-R 601 luma 0.587 * 200
    Image.fromarray(rgb, mode="RGB").save(tmp_path / "c.png")
    got = read_grey(tmp_path / "c.png")
    assert got.dtype == np.uint8 and got.shape == (4, 4)
    assert int(got[0, 0]) == pytest.approx(117, abs=1)


def test_jpeg_reads_as_grey(tmp_path: Path) -> None:
    flat = np.full((16, 16), 90, dtype=np.uint8)
    Image.fromarray(flat, mode="L").save(tmp_path / "f.jpg", quality=95)
    got = read_grey8(tmp_path / "f.jpg")
    assert got.shape == (16, 16)
    assert abs(int(got.mean()) - 90) <= 2


def test_to_uint8_rejects_other_types() -> None:
    with pytest.raises(ValueError, match="uint8 or uint16"):
        to_uint8(np.zeros((2, 2), dtype=np.float32))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="file not found"):
        read_grey(tmp_path / "nope.png")


def test_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"this is text, not a PNG")
    with pytest.raises(ImageReadError, match="not a readable image") as info:
        read_grey(tmp_path / "x.png")
    assert "PNG or JPEG" in info.value.fix


def test_truncated_png(tmp_path: Path) -> None:
    noise = np.random.default_rng(3).integers(0, 256, (64, 64), dtype=np.uint8)
    Image.fromarray(noise, mode="L").save(tmp_path / "t.png")
    data = (tmp_path / "t.png").read_bytes()
    (tmp_path / "t.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="damaged or truncated"):
        read_grey(tmp_path / "t.png")


def test_a_folder_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="not a regular file"):
        read_grey(tmp_path)
