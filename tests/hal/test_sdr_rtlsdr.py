"""The pyrtlsdr receiver against a stand-in dongle, and the errors for each way it can fail."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from device.clock import VirtualClock
from device.hal.base import BackendUnavailable, PartError, Sdr
from device.hal.sdr_rtlsdr import RtlSdrReceiver, import_pyrtlsdr, open_device

from .conftest import make_ctx

R820T_GAINS_TENTHS = [0, 9, 14, 27, 37, 77, 87, 125, 144, 157, 166, 197, 207, 229, 254, 280,
                      297, 328, 338, 364, 372, 386, 402, 421, 434, 439, 445, 480, 496]  # fmt: skip


class LibUSBError(OSError):
    """Like pyrtlsdr's: an IOError whose errno is the libusb code."""

    def __init__(self, code: int, msg: str = "") -> None:
        super().__init__(code, msg)


class FakeRtlSdr:
    """Attributes and calls of pyrtlsdr's RtlSdr that the receiver uses."""

    devices = 1
    open_error: OSError | None = None

    def __init__(self, device_index: int = 0) -> None:
        if self.open_error is not None:
            raise self.open_error
        self.device_index = device_index
        self.sample_rate = 1.024e6
        self.center_freq = 80e6
        self.gain: Any = "auto"
        self._ppm = 0
        self.bias_tee: bool | None = None
        self.reads: list[int] = []
        self.closed = 0
        self._counter = 0

    @classmethod
    def get_device_serial_addresses(cls) -> list[str]:
        return ["00000001"] * cls.devices

    @property
    def freq_correction(self) -> int:
        return self._ppm

    @freq_correction.setter
    def freq_correction(self, ppm: int) -> None:
        if ppm == self._ppm:  # librtlsdr answers -2 when nothing changes
            raise LibUSBError(-2, "Could not set freq. offset")
        self._ppm = ppm

    def get_gains(self) -> list[int]:
        return list(R820T_GAINS_TENTHS)

    def set_bias_tee(self, on: bool) -> None:
        self.bias_tee = on

    def read_bytes(self, n: int) -> bytearray:
        self.reads.append(n)
        out = bytearray((self._counter + i) % 256 for i in range(n))
        self._counter += n
        return out

    def close(self) -> None:
        self.closed += 1


def receiver(clock: VirtualClock, **kw: Any) -> tuple[RtlSdrReceiver, FakeRtlSdr]:
    dev = FakeRtlSdr()
    args: dict[str, Any] = {"rate_sps": 2.4e6, "gain_db": 30.0} | kw
    return RtlSdrReceiver(dev, clock, **args), dev


def test_settings_reach_the_dongle(clock: VirtualClock) -> None:
    sdr, dev = receiver(clock, ppm=-3, bias_tee=True)
    assert isinstance(sdr, Sdr)
    assert dev.sample_rate == 2.4e6 and sdr.rate_sps == 2.4e6
    assert dev.freq_correction == -3
    assert dev.bias_tee is True
    assert sdr.gains_db()[:3] == [0.0, 0.9, 1.4] and sdr.gains_db()[-1] == 49.6
    assert dev.gain == 29.7 and sdr.gain_db == 29.7  # nearest supported gain


def test_zero_ppm_is_not_sent_and_gain_can_go_to_agc(clock: VirtualClock) -> None:
    sdr, dev = receiver(clock, ppm=0)  # the fake raises if 0 were set again
    sdr.set_gain(-1)
    assert dev.gain == "auto" and sdr.gain_db == -1.0
    sdr.set_gain(100)
    assert dev.gain == 49.6
    assert "49.6 dB" in sdr.describe()


def test_reads_are_raw_bytes_in_whole_usb_packets(clock: VirtualClock) -> None:
    sdr, dev = receiver(clock)
    clock.set(200.0)
    block = sdr.read(1000)
    assert dev.reads == [2048]  # 2000 bytes asked as four 512-byte packets
    assert block.data.dtype == np.uint8 and block.data.size == 2000
    assert block.data[:4].tolist() == [0, 1, 2, 3] and block.dropped == 0
    assert block.t_start_s == pytest.approx(200.0 - 1024 / 2.4e6)
    assert (block.center_hz, block.gain_db) == (80e6, 29.7)


def test_a_retune_drops_the_settling_bytes_once(clock: VirtualClock) -> None:
    sdr, dev = receiver(clock, settle_s=0.012)
    sdr.tune(433.92e6)
    assert dev.center_freq == 433_920_000 and sdr.center_hz == 433.92e6
    block = sdr.read(512)
    settle = 512 * -(-int(2 * 0.012 * 2.4e6) // 512)  # 57600 bytes -> 113 packets
    assert dev.reads == [settle, 1024]
    assert block.dropped == settle and block.center_hz == 433.92e6
    assert sdr.read(512).dropped == 0


def test_close_is_idempotent(clock: VirtualClock) -> None:
    sdr, dev = receiver(clock)
    sdr.close()
    sdr.close()
    assert dev.closed == 1
    with pytest.raises(PartError, match="closed"):
        sdr.read(16)


def fake_module(devices: int = 1, open_error: OSError | None = None) -> types.ModuleType:
    module = types.ModuleType("rtlsdr")
    cls = type("RtlSdr", (FakeRtlSdr,), {"devices": devices, "open_error": open_error})
    module.RtlSdr = cls  # type: ignore[attr-defined]
    return module


def test_from_config_opens_the_configured_dongle(
    monkeypatch: pytest.MonkeyPatch, clock: VirtualClock
) -> None:
    monkeypatch.setitem(sys.modules, "rtlsdr", fake_module(devices=2))
    ctx = make_ctx(clock, sdr={"device_index": 1, "rate_sps": 1_024_000, "gain_db": 0.0})
    with RtlSdrReceiver.from_config(ctx) as sdr:
        assert sdr.rate_sps == 1.024e6 and sdr.gain_db == 0.0


def test_no_dongle_says_plug_it_in() -> None:
    with pytest.raises(PartError, match="no RTL-SDR") as info:
        open_device(fake_module(devices=0), 0)
    assert "plug in the RTL-SDR dongle" in info.value.fix
    with pytest.raises(PartError, match="device_index is 3"):
        open_device(fake_module(devices=1), 3)


def test_a_busy_dongle_points_at_the_dvb_driver() -> None:
    module = fake_module(open_error=LibUSBError(-6, "Could not open SDR (device index = 0)"))
    with pytest.raises(PartError, match="usb_claim_interface") as info:
        open_device(module, 0)
    assert "sudo modprobe -r dvb_usb_rtl28xxu" in info.value.fix
    assert "blacklist dvb_usb_rtl28xxu" in info.value.fix


def test_no_permission_points_at_udev() -> None:
    module = fake_module(open_error=LibUSBError(-3, "Could not open SDR"))
    with pytest.raises(PartError, match="permission") as info:
        open_device(module, 0)
    assert "udev" in info.value.fix


# --- the library itself is missing or broken -----------------------------------------------


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Put a stand-in `rtlsdr` package first on sys.path, whose import fails as given."""

    def install(body: str) -> None:
        pkg = tmp_path / "rtlsdr"
        pkg.mkdir()
        (pkg / "__init__.py").write_text(body)
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, "rtlsdr", raising=False)
        importlib.invalidate_caches()

    return install


def test_pyrtlsdr_without_librtlsdr_names_the_apt_package(fake_package: Any) -> None:
    # What pyrtlsdr 0.3 raises at import when librtlsdr.so is not found.
    fake_package(
        "raise ImportError('Error loading librtlsdr. Make sure librtlsdr "
        "(and all of its dependencies) are in your path')\n"
    )
    with pytest.raises(BackendUnavailable, match="cannot load librtlsdr") as info:
        import_pyrtlsdr()
    assert "apt install librtlsdr0" in info.value.fix
    assert "pyrtlsdr<0.4" in info.value.fix


def test_pyrtlsdr_too_new_for_the_library_says_to_pin_it(fake_package: Any) -> None:
    fake_package(
        "raise AttributeError('/usr/lib/librtlsdr.so.0: undefined symbol: rtlsdr_set_dithering')\n"
    )
    with pytest.raises(BackendUnavailable, match="does not match") as info:
        import_pyrtlsdr()
    assert "pyrtlsdr<0.4" in info.value.fix


def test_pyrtlsdr_missing_pkg_resources_asks_for_setuptools(
    fake_package: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_package("import pkg_resources\n")  # pyrtlsdr 0.3's first import
    monkeypatch.setitem(sys.modules, "pkg_resources", None)  # as without setuptools
    with pytest.raises(BackendUnavailable, match="pkg_resources") as info:
        import_pyrtlsdr()
    assert "setuptools" in info.value.fix


def test_missing_pyrtlsdr_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rtlsdr", None)  # makes `import rtlsdr` fail
    with pytest.raises(BackendUnavailable, match="pyrtlsdr") as info:
        import_pyrtlsdr()
    assert "pip install 'pyrtlsdr<0.4'" in info.value.fix
