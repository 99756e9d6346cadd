"""luma displays: the dummy keeps what it shows; the OLED driver talks to an injected bus."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from device.clock import VirtualClock
from device.hal.base import Display, PartError
from device.hal.display_luma import DummyDisplay, LumaDisplay

from .conftest import make_ctx


def test_dummy_display_renders_and_keeps_the_last_image(clock: VirtualClock) -> None:
    with DummyDisplay.from_config(make_ctx(clock)) as display:
        assert display.size == (128, 64)
        assert display.last_image() is None
        image = Image.new("1", display.size)
        ImageDraw.Draw(image).rectangle((10, 5, 19, 14), fill=1)  # 10 x 10 px
        display.show(image)
        shown = display.last_image()
        assert shown is not None
        assert shown.mode == "1" and shown.size == (128, 64)
        assert int(np.asarray(shown).sum()) == 100
        pixels = np.asarray(shown)
        assert pixels[5, 10] and not pixels[5, 9]
        # luma's dummy device holds the same picture
        assert np.array_equal(np.asarray(display.device.image), np.asarray(shown))
        # the kept image is a copy: drawing on it or on the original changes nothing
        ImageDraw.Draw(image).rectangle((0, 0, 127, 63), fill=1)
        shown.putpixel((0, 0), 255)
        again = display.last_image()
        assert again is not None and int(np.asarray(again).sum()) == 100
        assert isinstance(display, Display)


def test_dummy_display_converts_grey_and_rejects_wrong_sizes() -> None:
    display = DummyDisplay(128, 32)
    display.show(Image.new("L", (128, 32), color=255))
    shown = display.last_image()
    assert shown is not None and shown.mode == "1"
    assert np.asarray(shown).all()
    with pytest.raises(ValueError, match=r"128x64.*128x32"):
        display.show(Image.new("1", (128, 64)))
    display.close()
    display.close()


def test_rotated_dummy_takes_portrait_images() -> None:
    display = DummyDisplay(128, 64, rotate=1)
    assert display.size == (64, 128)
    display.show(Image.new("1", (64, 128), color=1))
    assert display.device.image.size == (128, 64)


class FakeBus:
    """An smbus2-like bus that records every block write (address, register, bytes)."""

    def __init__(self, fail_with: int | None = None) -> None:
        self.writes: list[tuple[int, int, list[int]]] = []
        self.fail_with = fail_with

    def write_i2c_block_data(self, address: int, register: int, data: list[int]) -> None:
        if self.fail_with is not None:
            raise OSError(self.fail_with, "Remote I/O error")
        self.writes.append((address, register, list(data)))

    def close(self) -> None:
        pass

    def data_bytes(self) -> int:
        return sum(len(d) for _, reg, d in self.writes if reg == 0x40)


@pytest.mark.parametrize("chip", ["ssd1306", "sh1106"])
def test_oled_sends_one_full_frame_to_its_address(chip: str) -> None:
    bus = FakeBus()
    display = LumaDisplay(chip, 1, 0x3D, 128, 64, rotate=0, contrast=99, bus=bus)
    assert {addr for addr, _, _ in bus.writes} == {0x3D}
    assert any(reg == 0x00 and data[:2] == [0x81, 99] for _, reg, data in bus.writes)  # contrast
    before = bus.data_bytes()
    image = Image.new("1", (128, 64))
    ImageDraw.Draw(image).line((0, 0, 127, 63), fill=1)
    display.show(image)
    assert bus.data_bytes() - before == 128 * 64 // 8
    shown = display.last_image()
    assert shown is not None and np.array_equal(np.asarray(shown), np.asarray(image))
    display.close()
    display.close()


def test_nothing_at_the_address_is_a_part_error_with_the_fix() -> None:
    with pytest.raises(PartError) as info:
        LumaDisplay("ssd1306", 1, 0x3C, 128, 64, bus=FakeBus(fail_with=errno.EREMOTEIO))
    err = info.value
    assert "0x3C" in err.problem
    for hint in ("raspi-config", "i2cdetect -y 1", "display.i2c_address", "wiring"):
        assert hint in err.fix


def test_a_missing_i2c_bus_is_a_part_error() -> None:
    port = 22
    if Path(f"/dev/i2c-{port}").exists():
        pytest.skip(f"/dev/i2c-{port} exists here")
    with pytest.raises(PartError, match="I2C bus 22") as info:
        LumaDisplay("sh1106", port, 0x3C, 128, 64)
    assert "i2cdetect -y 22" in info.value.fix


def test_losing_the_panel_while_showing_is_a_part_error() -> None:
    bus = FakeBus()
    display: Any = LumaDisplay("ssd1306", 1, 0x3C, 128, 64, bus=bus)
    bus.fail_with = errno.EIO
    with pytest.raises(PartError, match="lost contact"):
        display.show(Image.new("1", (128, 64)))


def test_unknown_chip_is_refused() -> None:
    with pytest.raises(ValueError, match="ssd1306"):
        LumaDisplay("st7735", 1, 0x3C, 128, 64, bus=FakeBus())
