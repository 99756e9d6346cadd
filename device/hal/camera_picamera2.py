"""The Pi camera through picamera2: small YUV420 stream, locked exposure and gain, grey frames.

picamera2 (and libcamera under it) is imported only when the camera is built, so this module
imports anywhere. Frame timing, from libcamera's metadata:

- `SensorTimestamp` is in nanoseconds on CLOCK_MONOTONIC (the kernel's V4L2 buffer clock,
  the same as `time.monotonic()`), and marks the start of the frame's readout, i.e. the end
  of the first row's exposure (picamera2 issue #821; libcamera bug 254 on the clock).
- `ExposureTime` (µs) is each row's exposure; rows start one after another (rolling
  shutter), the last row starting one readout time after the first.

So the whole window during which any row gathers light is
`[ts - exposure, ts + readout]`: `Frame.t_start_s = ts - exposure` and
`Frame.exposure_s = exposure + readout`. The readout time is bounded by the sensor mode's
minimum frame duration (`FrameDurationLimits[0]`), which is used as a safe over-estimate. A
ring transition inside that window spoils the frame. Times are moved onto the injected
device clock by the offset between it and `time.monotonic()` (zero for MonotonicClock).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from device.events import Frame
from device.hal.base import PartError

if TYPE_CHECKING:
    from device.clock import Clock
    from device.hal.registry import BuildContext

log = logging.getLogger(__name__)

# Frames in flight between libcamera and us: enough to absorb a slow frame, few enough that
# a captured frame is recent.
BUFFER_COUNT = 4

CABLE_FIX = (
    "power off, then reseat the ribbon cable at both ends with the latch closed: on a Pi 4 the "
    "cable's contacts face the HDMI ports (blue tab toward the USB/Ethernet side); on a Pi 5 or "
    "Zero use the narrow 22-pin cable, contacts toward the connector's contacts. Then "
    "`rpicam-hello --list-cameras` must list the camera"
)
BUSY_FIX = (
    "another program holds the camera: stop it (rpicam-*, another camsweep) and retry; "
    "`sudo fuser -v /dev/media*` shows who"
)


def full_view_mode(modes: list[dict[str, Any]], fps: float) -> dict[str, Any] | None:
    """The sensor mode that reads the whole pixel array and reads it out fastest at `fps`.

    libcamera picks a mode mainly by the output size. For a 640x480 stream on a Camera
    Module 2 that is its 640x480 mode, cropped from the centre (1280x960 of 3280x2464): a
    view about 27 degrees wide instead of the 62 the bearings and the sweep assume. Among
    the modes whose crop is the largest, the one with the highest frame rate has the
    shortest readout, which leaves the ring the widest gap between exposures. None when
    no such mode reaches `fps` (or the camera lists none): libcamera then decides.
    """
    usable = [m for m in modes if len(m.get("crop_limits", ())) == 4 and "size" in m]
    if not usable:
        return None
    largest = max(int(m["crop_limits"][2]) * int(m["crop_limits"][3]) for m in usable)
    whole = [m for m in usable
             if int(m["crop_limits"][2]) * int(m["crop_limits"][3]) == largest
             and float(m.get("fps", 0.0)) >= fps]
    if not whole:
        return None
    return max(whole, key=lambda m: (float(m["fps"]), -int(m["size"][0]) * int(m["size"][1])))


class Picamera2Camera:
    """Grey frames from the Pi camera with exposure, gain and frame rate locked."""

    def __init__(
        self,
        picam2: Any,
        clock: Clock,
        width: int,
        height: int,
        fps: float,
        exposure_us: int,
        analogue_gain: float,
        capture_timeout_s: float = 5.0,
        colour_space: Any = None,
        extra_controls: dict[str, Any] | None = None,
    ) -> None:
        if exposure_us > 1e6 / fps:
            raise PartError(
                "camera",
                f"camera.exposure_us = {exposure_us} is longer than one frame at {fps:g} fps",
                f"lower camera.exposure_us below {int(1e6 / fps)} or lower camera.fps",
            )
        self._cam = picam2
        self._clock = clock
        self._size = (width, height)
        self._fps = fps
        self._exposure_us = exposure_us
        self._gain = analogue_gain
        self._timeout_s = capture_timeout_s
        self._colour_space = colour_space
        self._extra_controls = dict(extra_controls or {})
        self._lock = threading.Lock()
        self._readout_s = 0.0
        self._offset_s = 0.0
        self._index = 0
        self._started = False
        self._closed = False

    @classmethod
    def from_config(cls, ctx: BuildContext) -> Picamera2Camera:
        # ImportError here is turned into "install python3-picamera2" by the registry.
        from picamera2 import Picamera2

        if not Picamera2.global_camera_info():
            raise PartError("camera", "libcamera finds no camera", CABLE_FIX)
        import libcamera  # comes with picamera2; imported second so its name is the one reported

        try:
            picam2 = Picamera2(0)
        except (RuntimeError, IndexError) as exc:
            raise _open_error(exc) from exc
        cam = ctx.config.camera
        # The ISP's spatial denoise can erase a 1-2 px glint: switch it off where offered.
        draft = getattr(libcamera.controls, "draft", None)
        nr_enum = getattr(draft, "NoiseReductionModeEnum", None)
        extra = {"NoiseReductionMode": nr_enum.Off} if nr_enum is not None else {}
        return cls(
            picam2,
            ctx.clock,
            cam.width,
            cam.height,
            cam.fps,
            cam.exposure_us,
            cam.analogue_gain,
            capture_timeout_s=ctx.config.service.heartbeat_timeout_s,
            # Full-range luma: 0..255 for the ON-OFF difference instead of video's 16..235.
            colour_space=libcamera.ColorSpace.Sycc(),
            extra_controls=extra,
        )

    def controls(self) -> dict[str, Any]:
        """Locked controls: ON and OFF frames must be exposed alike to difference them."""
        period_us = round(1e6 / self._fps)
        return {
            "AeEnable": False,
            "AwbEnable": False,
            "ExposureTime": int(self._exposure_us),
            "AnalogueGain": float(self._gain),
            "FrameDurationLimits": (period_us, period_us),
        }

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            cam = self._cam
            available = getattr(cam, "camera_controls", {})
            controls = self.controls() | {
                k: v for k, v in self._extra_controls.items() if k in available
            }
            kwargs: dict[str, Any] = {
                "main": {"format": "YUV420", "size": self._size},
                "buffer_count": BUFFER_COUNT,
                "controls": controls,
            }
            if self._colour_space is not None:
                kwargs["colour_space"] = self._colour_space
            mode = self._sensor_mode()
            if mode is not None:
                fmt = mode["format"]  # a string, or picamera2's SensorFormat holding one
                kwargs["raw"] = {"size": tuple(mode["size"]),
                                 "format": fmt if isinstance(fmt, str) else str(fmt.format)}
            try:
                config = cam.create_video_configuration(**kwargs)
                cam.configure(config)
                got_w, got_h = cam.camera_configuration()["main"]["size"]
                self._size = (int(got_w), int(got_h))
                self._readout_s = float(cam.camera_controls["FrameDurationLimits"][0]) * 1e-6
                cam.start()
            except RuntimeError as exc:
                raise PartError("camera", f"cannot start the camera: {exc}", CABLE_FIX) from exc
            self._offset_s = self._clock.now() - time.monotonic()
            self._started = True
            log.info(
                "camera started: %dx%d at %g fps, exposure %d us, gain %g, readout <= %.1f ms",
                self._size[0],
                self._size[1],
                self._fps,
                self._exposure_us,
                self._gain,
                self._readout_s * 1e3,
            )

    def _sensor_mode(self) -> dict[str, Any] | None:
        """The whole-sensor mode to ask for (see `full_view_mode`), or None."""
        try:
            modes = list(getattr(self._cam, "sensor_modes", None) or [])
        except RuntimeError as exc:  # listing configures the camera once per mode
            log.warning("cannot list the sensor modes (%s): libcamera picks one", exc)
            return None
        mode = full_view_mode(modes, self._fps)
        if mode is None and modes:
            log.warning("no sensor mode reads the whole sensor at %g fps: the view may be "
                        "cropped and narrower than vision.hfov_deg", self._fps)
        elif mode is not None:
            log.info("sensor mode %dx%d, whole sensor, up to %.1f fps", mode["size"][0],
                     mode["size"][1], float(mode["fps"]))
        return mode

    def capture(self) -> Frame:
        if not self._started:
            self.start()
        width, height = self._size
        try:
            with self._cam.captured_request(wait=self._timeout_s) as request:
                yuv = request.make_array("main")
                meta = request.get_metadata()
        except TimeoutError as exc:
            raise PartError(
                "camera", f"no frame within {self._timeout_s:g} s (the camera stopped)", CABLE_FIX
            ) from exc
        except RuntimeError as exc:
            raise PartError("camera", f"capture failed: {exc}", CABLE_FIX) from exc
        # YUV420 comes as (height * 3/2, stride): the first `height` rows are the Y plane.
        pixels = np.ascontiguousarray(yuv[:height, :width], dtype=np.uint8)
        t_start_s, window_s = self.frame_window(meta)
        with self._lock:
            index = self._index
            self._index += 1
        return Frame(index, t_start_s, window_s, pixels)

    def frame_window(self, meta: dict[str, Any]) -> tuple[float, float]:
        """(t_start_s on the device clock, whole exposure window in s) from frame metadata."""
        exposure_s = float(meta.get("ExposureTime", self._exposure_us)) * 1e-6
        window_s = exposure_s + self._readout_s
        ts_ns = meta.get("SensorTimestamp")
        if ts_ns is None:
            # No timestamp: assume the readout just finished, the latest it could be.
            return self._clock.now() - window_s, window_s
        return float(ts_ns) * 1e-9 + self._offset_s - exposure_s, window_s

    def describe(self) -> str:
        model = "camera"
        props = getattr(self._cam, "camera_properties", None)
        if isinstance(props, dict):
            model = str(props.get("Model", model))
        return (
            f"picamera2 {model} {self._size[0]}x{self._size[1]} @ {self._fps:g} fps, "
            f"exposure {self._exposure_us} us, gain {self._gain:g}"
        )

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            if self._started:
                self._cam.stop()
            self._cam.close()
        except Exception as exc:  # closing a failed camera must not raise again
            log.warning("camera close failed: %s", exc)

    def __enter__(self) -> Picamera2Camera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_error(exc: BaseException) -> PartError:
    text = str(exc)
    if isinstance(exc, IndexError) or "not found" in text.lower():
        return PartError("camera", "no camera found", CABLE_FIX)
    if "grab" in text.lower() or "busy" in text.lower():
        return PartError("camera", "the camera is in use", BUSY_FIX)
    return PartError("camera", f"cannot open the camera: {text}", CABLE_FIX)
