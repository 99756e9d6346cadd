"""The 128x64 OLED through luma.oled (SSD1306 / SH1106 on I2C) and luma's in-memory dummy.

Both take mode "1" PIL images of `size` (the logical size, after `rotate`) and remember the
last one shown, so screens can be compared against golden images on any computer.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from PIL import Image

from device.hal.base import PartError

if TYPE_CHECKING:
    from device.config import DisplayConfig
    from device.hal.registry import BuildContext

log = logging.getLogger(__name__)

CHIPS = ("ssd1306", "sh1106")


def _i2c_fix(port: int, address: int) -> str:
    return (
        f"enable I2C (sudo raspi-config nonint do_i2c 0, then reboot), check the wiring "
        f"(SDA=GPIO2, SCL=GPIO3, VCC=3V3, GND), run `i2cdetect -y {port}` and check that it "
        f"shows the display at 0x{address:02X}; if it shows another address (0x3C/0x3D), "
        "set display.i2c_address to it"
    )


class _LumaBase:
    """What both displays share: size check, last image, idempotent close."""

    def __init__(self, device: Any) -> None:
        self._device = device
        self._lock = threading.Lock()
        self._last: Image.Image | None = None
        self._closed = False

    @property
    def size(self) -> tuple[int, int]:
        width, height = self._device.size
        return int(width), int(height)

    def _check(self, image: Image.Image) -> Image.Image:
        if image.size != self.size:
            raise ValueError(
                f"display image is {image.size[0]}x{image.size[1]}, the panel is "
                f"{self.size[0]}x{self.size[1]} (display.width/height/rotate)"
            )
        return image if image.mode == "1" else image.convert("1")

    def last_image(self) -> Image.Image | None:
        with self._lock:
            return None if self._last is None else self._last.copy()

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LumaDisplay(_LumaBase):
    """An SSD1306 or SH1106 OLED on the I2C bus.

    Wiring: VCC -> 3V3 (pin 1), GND -> GND, SDA -> GPIO2 (pin 3), SCL -> GPIO3 (pin 5).
    Most 0.96" modules answer at 0x3C, some are strapped to 0x3D. `bus` injects an
    smbus-like object (tests, or a bus shared with other I2C parts).
    """

    def __init__(
        self,
        chip: str,
        port: int,
        address: int,
        width: int,
        height: int,
        rotate: int = 0,
        contrast: int = 160,
        bus: Any = None,
    ) -> None:
        from luma.core.error import Error as LumaError
        from luma.core.interface.serial import i2c
        from luma.oled import device as oled

        if chip not in CHIPS:
            raise ValueError(f"unknown OLED chip {chip!r}; use one of {', '.join(CHIPS)}")
        self._port, self._address = port, address
        serial: Any = None
        try:
            serial = i2c(bus=bus, port=port, address=address)
            driver = getattr(oled, chip)(serial, width=width, height=height, rotate=rotate)
            driver.contrast(contrast)
        except (LumaError, OSError) as exc:
            if serial is not None and bus is None:
                serial.cleanup()  # close the /dev/i2c-N handle we opened
            raise PartError(
                "display",
                f"no {chip} OLED on I2C bus {port} at 0x{address:02X} ({exc})",
                _i2c_fix(port, address),
            ) from exc
        super().__init__(driver)
        self.chip = chip

    @classmethod
    def from_config(cls, ctx: BuildContext) -> LumaDisplay:
        cfg: DisplayConfig = ctx.config.display
        return cls(
            ctx.config.hal.display,
            cfg.i2c_port,
            cfg.i2c_address,
            cfg.width,
            cfg.height,
            cfg.rotate,
            cfg.contrast,
        )

    def show(self, image: Image.Image) -> None:
        from luma.core.error import Error as LumaError

        frame = self._check(image)
        with self._lock:
            if self._closed:
                return
            try:
                self._device.display(frame)
            except (LumaError, OSError) as exc:
                raise PartError(
                    "display",
                    f"lost contact with the OLED ({exc})",
                    _i2c_fix(self._port, self._address),
                ) from exc
            self._last = frame.copy()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._device.cleanup()  # blanks the panel and releases the bus
            except Exception as exc:  # the panel may already be gone; closing must not fail
                log.warning("display cleanup failed: %s", exc)


class DummyDisplay(_LumaBase):
    """luma's in-memory `dummy` device: same drawing path as the OLED, no hardware."""

    def __init__(self, width: int = 128, height: int = 64, rotate: int = 0) -> None:
        from luma.core.device import dummy

        super().__init__(dummy(width=width, height=height, rotate=rotate, mode="1"))

    @classmethod
    def from_config(cls, ctx: BuildContext) -> DummyDisplay:
        cfg = ctx.config.display
        return cls(cfg.width, cfg.height, cfg.rotate)

    @property
    def device(self) -> Any:
        """The luma dummy device; its `.image` is what the panel would hold (unrotated)."""
        return self._device

    def show(self, image: Image.Image) -> None:
        frame = self._check(image)
        with self._lock:
            if self._closed:
                return
            self._device.display(frame)
            self._last = frame.copy()

    def close(self) -> None:
        with self._lock:
            self._closed = True
