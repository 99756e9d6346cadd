"""An RTL-SDR dongle through pyrtlsdr: fixed rate, manual gain, raw cu8 bytes.

pyrtlsdr loads librtlsdr when imported, so it is imported only when the receiver is built.
Version pairing: Debian / Pi OS ship librtlsdr 0.6.0, which lacks `rtlsdr_set_dithering`
that pyrtlsdr >= 0.4 binds at import ("undefined symbol"): use `pyrtlsdr<0.4` with apt
`librtlsdr0`, or `pyrtlsdr` with `pyrtlsdrlib` (a bundled library).

Raw bytes come from `read_bytes` (`read_samples` would convert to floats). After a retune
the first `sdr.retune_settle_s` worth of bytes is read and dropped (PLL lock and samples of
the old frequency still in the USB buffers); `IqBlock.dropped` counts them.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from device.events import IqBlock
from device.hal.base import BackendUnavailable, PartError

if TYPE_CHECKING:
    from device.clock import Clock
    from device.hal.registry import BuildContext

log = logging.getLogger(__name__)

# librtlsdr's synchronous reads are USB bulk transfers: ask for whole 512-byte packets.
USB_PACKET_BYTES = 512
# libusb error codes pyrtlsdr passes through in LibUSBError.errno.
LIBUSB_ERROR_ACCESS = -3
LIBUSB_ERROR_NO_DEVICE = -4
LIBUSB_ERROR_BUSY = -6

INSTALL_FIX = (
    "sudo apt install librtlsdr0 && .venv/bin/pip install 'pyrtlsdr<0.4' (./install.sh --pi); "
    "pyrtlsdr >= 0.4 needs a newer librtlsdr than Debian's 0.6.0, or pip install pyrtlsdrlib"
)
PLUG_IN_FIX = "plug in the RTL-SDR dongle (`lsusb` should list 0bda:2838 or 0bda:2832)"
DVB_FIX = (
    "the kernel's DVB-T driver has claimed the dongle (librtlsdr prints "
    '"usb_claim_interface error -6"): sudo modprobe -r dvb_usb_rtl28xxu, and blacklist it '
    "for good with echo 'blacklist dvb_usb_rtl28xxu' | sudo tee "
    "/etc/modprobe.d/camsweep-blacklist-rtl.conf (./install.sh --pi does this); also stop other "
    "SDR programs (rtl_tcp, rtl_433, rtl_power)"
)
ACCESS_FIX = (
    "install the udev rule and add the user to the plugdev group (./install.sh --pi), "
    "then unplug and replug the dongle"
)
RATE_FIX = "use a rate within 225001-300000 or 900001-3200000 S/s (sdr.rate_sps)"


def import_pyrtlsdr() -> Any:
    """Import pyrtlsdr, turning each way it can fail into an error that says what to install."""
    try:
        import rtlsdr
    except ImportError as exc:
        if (exc.name or "").split(".")[0] == "rtlsdr":
            from device.hal.registry import missing_library

            raise missing_library("sdr", "rtlsdr", exc) from exc
        if exc.name == "pkg_resources":
            raise BackendUnavailable(
                "sdr",
                "pyrtlsdr 0.3 imports pkg_resources, which this Python lacks",
                ".venv/bin/pip install 'setuptools<81'",
            ) from exc
        raise BackendUnavailable(
            "sdr", f"pyrtlsdr is installed but cannot load librtlsdr ({exc})", INSTALL_FIX
        ) from exc
    except (AttributeError, OSError) as exc:  # "undefined symbol: rtlsdr_set_dithering"
        raise BackendUnavailable(
            "sdr", f"pyrtlsdr does not match the installed librtlsdr ({exc})", INSTALL_FIX
        ) from exc
    return rtlsdr


def device_count(module: Any) -> int | None:
    """How many dongles librtlsdr sees, or None if it cannot say."""
    count_fn = getattr(getattr(module, "librtlsdr", None), "rtlsdr_get_device_count", None)
    try:
        if callable(count_fn):
            return int(count_fn())
        return len(module.RtlSdr.get_device_serial_addresses())
    except Exception:  # only a hint for the error message
        return None


def open_device(module: Any, index: int) -> Any:
    """Open dongle `index`, turning libusb failures into errors that say what to do."""
    count = device_count(module)
    if count == 0:
        raise PartError("sdr", "no RTL-SDR dongle found", PLUG_IN_FIX)
    if count is not None and index >= count:
        raise PartError(
            "sdr",
            f"sdr.device_index is {index} but {count} dongle(s) are connected",
            f"set sdr.device_index between 0 and {count - 1}",
        )
    try:
        return module.RtlSdr(device_index=index)
    except OSError as exc:
        code = getattr(exc, "errno", None)
        if code == LIBUSB_ERROR_BUSY or "claim" in str(exc):
            raise PartError(
                "sdr", "the RTL-SDR is busy (usb_claim_interface error)", DVB_FIX
            ) from exc
        if code == LIBUSB_ERROR_ACCESS:
            raise PartError("sdr", "no permission to open the RTL-SDR", ACCESS_FIX) from exc
        if code == LIBUSB_ERROR_NO_DEVICE:
            raise PartError("sdr", "the RTL-SDR disappeared while opening", PLUG_IN_FIX) from exc
        raise PartError(
            "sdr", f"cannot open the RTL-SDR: {exc}", f"replug it; {PLUG_IN_FIX}"
        ) from exc


def _whole_packets(nbytes: int) -> int:
    return USB_PACKET_BYTES * math.ceil(nbytes / USB_PACKET_BYTES)


class RtlSdrReceiver:
    """A receiver on an opened pyrtlsdr `RtlSdr` (or anything with the same attributes)."""

    def __init__(
        self,
        device: Any,
        clock: Clock,
        rate_sps: float,
        gain_db: float,
        ppm: int = 0,
        bias_tee: bool = False,
        settle_s: float = 0.0,
    ) -> None:
        self._dev = device
        self._clock = clock
        self._lock = threading.Lock()
        self._settle_s = settle_s
        self._discard = 0
        self._closed = False
        try:
            device.sample_rate = rate_sps
        except OSError as exc:
            raise PartError(
                "sdr", f"the dongle refused {rate_sps:g} S/s ({exc})", RATE_FIX
            ) from exc
        self._rate_sps = float(device.sample_rate)
        if ppm:  # librtlsdr returns an error when asked for the correction it already has (0)
            device.freq_correction = int(ppm)
        self._gains = sorted(g / 10.0 for g in device.get_gains())
        self._gain_db = -1.0
        self.set_gain(gain_db)
        self._set_bias_tee(bias_tee)
        self._center_hz = float(device.center_freq)

    @classmethod
    def from_config(cls, ctx: BuildContext) -> RtlSdrReceiver:
        cfg = ctx.config.sdr
        device = open_device(import_pyrtlsdr(), cfg.device_index)
        try:
            return cls(
                device,
                ctx.clock,
                cfg.rate_sps,
                cfg.gain_db,
                cfg.ppm,
                cfg.bias_tee,
                cfg.retune_settle_s,
            )
        except BaseException:
            device.close()
            raise

    def _set_bias_tee(self, on: bool) -> None:
        setter = getattr(self._dev, "set_bias_tee", None)
        if setter is None:
            if on:
                raise PartError(
                    "sdr",
                    "this pyrtlsdr has no bias-tee control",
                    "upgrade pyrtlsdr (0.2.93+) or set sdr.bias_tee = false",
                )
            return
        try:
            setter(bool(on))
        except (OSError, AttributeError) as exc:
            if on:
                raise PartError(
                    "sdr",
                    f"cannot switch the bias tee on ({exc})",
                    "use a dongle with a bias tee (RTL-SDR Blog V3/V4) or set sdr.bias_tee = false",
                ) from exc
            log.debug("bias tee off not supported here: %s", exc)

    @property
    def rate_sps(self) -> float:
        return self._rate_sps

    @property
    def center_hz(self) -> float:
        return self._center_hz

    @property
    def gain_db(self) -> float:
        return self._gain_db

    def gains_db(self) -> list[float]:
        return list(self._gains)

    def set_gain(self, gain_db: float) -> None:
        with self._lock:
            if gain_db < 0:
                self._dev.gain = "auto"
                self._gain_db = -1.0
                return
            nearest = min(self._gains, key=lambda g: abs(g - gain_db))
            self._dev.gain = nearest
            self._gain_db = nearest

    def tune(self, center_hz: float) -> None:
        with self._lock:
            try:
                self._dev.center_freq = round(center_hz)
            except OSError as exc:
                raise PartError(
                    "sdr",
                    f"cannot tune to {center_hz / 1e6:.3f} MHz ({exc})",
                    "R820T dongles tune about 24-1766 MHz; check the band plan",
                ) from exc
            self._center_hz = float(center_hz)
            self._discard = _whole_packets(int(2 * self._settle_s * self._rate_sps))

    def read(self, n_samples: int) -> IqBlock:
        if n_samples <= 0:
            raise ValueError("n_samples must be > 0")
        nbytes = 2 * n_samples
        with self._lock:
            if self._closed:
                raise PartError("sdr", "the receiver was closed", "build a new one")
            dropped, self._discard = self._discard, 0
            ask = _whole_packets(nbytes)
            try:
                if dropped:
                    self._dev.read_bytes(dropped)
                buf = self._dev.read_bytes(ask)
            except OSError as exc:
                raise PartError(
                    "sdr",
                    f"reading from the RTL-SDR failed ({exc})",
                    "check the USB cable and power (a weak supply resets the dongle)",
                ) from exc
            t_end_s = self._clock.now()
            # pyrtlsdr reuses its buffer: copy the bytes we keep.
            data = np.frombuffer(buf, dtype=np.uint8, count=nbytes).copy()
            center, gain = self._center_hz, self._gain_db
        # The read returned when its last sample arrived; its first came ask/2 samples earlier.
        t_start_s = t_end_s - (ask / 2) / self._rate_sps
        return IqBlock(center, self._rate_sps, t_start_s, data, gain, dropped=dropped)

    def describe(self) -> str:
        gain = "AGC" if self._gain_db < 0 else f"{self._gain_db:g} dB"
        return f"RTL-SDR at {self._rate_sps / 1e6:g} MS/s, gain {gain}"

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._dev.close()
            except Exception as exc:  # an unplugged dongle must not make closing fail
                log.warning("closing the RTL-SDR failed: %s", exc)

    def __enter__(self) -> RtlSdrReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
