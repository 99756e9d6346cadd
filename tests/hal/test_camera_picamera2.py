"""The picamera2 camera against a stand-in Picamera2: configuration, Y plane, frame timing."""

from __future__ import annotations

import contextlib
import sys
import time
import types
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest

from device.clock import MonotonicClock, VirtualClock
from device.hal.base import Camera, PartError
from device.hal.camera_picamera2 import Picamera2Camera, full_view_mode

from .conftest import make_ctx

WIDTH, HEIGHT, STRIDE = 64, 48, 128


class FakeRequest:
    def __init__(self, yuv: np.ndarray, meta: dict[str, Any]) -> None:
        self.yuv, self.meta, self.released = yuv, meta, False

    def make_array(self, name: str) -> np.ndarray:
        assert name == "main"
        return self.yuv.copy()

    def get_metadata(self) -> dict[str, Any]:
        return dict(self.meta)


class FakePicamera2:
    """The calls Picamera2Camera makes, recording what it asked for."""

    def __init__(self) -> None:
        self.camera_controls: dict[str, Any] = {
            "FrameDurationLimits": (9_000, 1_000_000, 33_333),  # 9 ms: a fast sensor mode
            "NoiseReductionMode": (0, 4, 1),
        }
        self.config: dict[str, Any] = {}
        self.started = self.stopped = self.closed = False
        self.requests: list[FakeRequest] = []
        self.meta: dict[str, Any] = {"SensorTimestamp": 5_000_000_000, "ExposureTime": 7_990}
        self.timeout: Any = None
        self.hang = False

    def create_video_configuration(self, **kw: Any) -> dict[str, Any]:
        return {"main": dict(kw["main"]), "controls": kw["controls"], "kw": kw}

    def configure(self, config: dict[str, Any]) -> None:
        self.config = config

    def camera_configuration(self) -> dict[str, Any]:
        return self.config

    def start(self) -> None:
        self.started = True

    @contextlib.contextmanager
    def captured_request(self, wait: Any = None) -> Iterator[FakeRequest]:
        self.timeout = wait
        if self.hang:
            raise TimeoutError
        yuv = np.zeros((HEIGHT * 3 // 2, STRIDE), dtype=np.uint8)
        yuv[:HEIGHT, :WIDTH] = np.arange(WIDTH, dtype=np.uint8)[None, :]  # Y plane
        yuv[:HEIGHT, WIDTH:] = 250  # stride padding
        yuv[HEIGHT:] = 128  # chroma
        request = FakeRequest(yuv, self.meta)
        self.requests.append(request)
        try:
            yield request
        finally:
            request.released = True

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        self.closed = True


def camera(clock: Any, **kw: Any) -> tuple[Picamera2Camera, FakePicamera2]:
    fake = FakePicamera2()
    args: dict[str, Any] = {
        "width": WIDTH, "height": HEIGHT, "fps": 30.0, "exposure_us": 8000, "analogue_gain": 4.0,
    } | kw  # fmt: skip
    return Picamera2Camera(fake, clock, **args), fake


def test_start_locks_exposure_gain_and_frame_rate(clock: VirtualClock) -> None:
    cam, fake = camera(clock, extra_controls={"NoiseReductionMode": 0, "NotOffered": 1})
    assert isinstance(cam, Camera)
    cam.start()
    cam.start()  # idempotent
    assert fake.started
    assert fake.config["main"] == {"format": "YUV420", "size": (WIDTH, HEIGHT)}
    assert fake.config["controls"] == {
        "AeEnable": False,
        "AwbEnable": False,
        "ExposureTime": 8000,
        "AnalogueGain": 4.0,
        "FrameDurationLimits": (33333, 33333),
        "NoiseReductionMode": 0,  # only controls the camera offers are passed on
    }


# What picamera2 lists for a Camera Module 2 (IMX219): only two modes see the whole sensor.
V2_MODES: list[dict[str, Any]] = [
    {"size": (640, 480), "crop_limits": (1000, 752, 1280, 960), "fps": 206.65,
     "format": "SRGGB10_CSI2P", "bit_depth": 10},
    {"size": (1640, 1232), "crop_limits": (0, 0, 3280, 2464), "fps": 41.85,
     "format": "SRGGB10_CSI2P", "bit_depth": 10},
    {"size": (1920, 1080), "crop_limits": (680, 692, 1920, 1080), "fps": 47.57,
     "format": "SRGGB10_CSI2P", "bit_depth": 10},
    {"size": (3280, 2464), "crop_limits": (0, 0, 3280, 2464), "fps": 21.19,
     "format": "SRGGB10_CSI2P", "bit_depth": 10},
]


def test_whole_sensor_mode_is_chosen_not_the_cropped_one() -> None:
    mode = full_view_mode(V2_MODES, 30.0)
    assert mode is not None and mode["size"] == (1640, 1232)
    assert full_view_mode(V2_MODES, 60.0) is None  # no whole-sensor mode is that fast
    assert full_view_mode([], 30.0) is None


def test_start_asks_for_the_whole_sensor_mode(clock: VirtualClock) -> None:
    cam, fake = camera(clock)
    fake.sensor_modes = V2_MODES  # type: ignore[attr-defined]
    cam.start()
    assert fake.config["kw"]["raw"] == {"size": (1640, 1232), "format": "SRGGB10_CSI2P"}
    plain, fake2 = camera(clock)  # a camera that lists no modes: libcamera decides
    plain.start()
    assert "raw" not in fake2.config["kw"]


def test_capture_returns_the_y_plane_and_releases_the_request(clock: VirtualClock) -> None:
    cam, fake = camera(clock, capture_timeout_s=2.5)
    frame = cam.capture()  # starts the camera on first use
    assert frame.pixels.shape == (HEIGHT, WIDTH) and frame.pixels.dtype == np.uint8
    assert frame.pixels.flags.c_contiguous
    assert np.array_equal(frame.pixels[7], np.arange(WIDTH, dtype=np.uint8))
    assert fake.requests[-1].released
    assert fake.timeout == 2.5
    assert frame.ring_on is None  # the vision sync decides from the ring's log
    assert [cam.capture().index, cam.capture().index] == [1, 2]


def test_frame_window_covers_exposure_and_rolling_readout() -> None:
    # On the real clock the sensor timestamp (CLOCK_MONOTONIC ns) maps 1:1.
    cam, fake = camera(MonotonicClock())
    cam.start()
    fake.meta = {"SensorTimestamp": 5_000_000_000, "ExposureTime": 7_990}
    frame = cam.capture()
    assert frame.t_start_s == pytest.approx(5.0 - 0.00799, abs=1e-5)
    assert frame.exposure_s == pytest.approx(0.00799 + 0.009)  # + readout bound (9 ms)
    assert frame.t_end_s == pytest.approx(5.009, abs=1e-5)


def test_frame_times_move_onto_an_injected_clock() -> None:
    clock = VirtualClock(1000.0)
    cam, _ = camera(clock)
    before = time.monotonic()
    cam.start()
    after = time.monotonic()
    frame = cam.capture()  # SensorTimestamp 5 s on CLOCK_MONOTONIC
    offset_lo, offset_hi = 1000.0 - after, 1000.0 - before
    assert 5.0 - 0.00799 + offset_lo <= frame.t_start_s <= 5.0 - 0.00799 + offset_hi


def test_exposure_longer_than_a_frame_is_refused(clock: VirtualClock) -> None:
    with pytest.raises(PartError, match="longer than one frame") as info:
        camera(clock, fps=60.0, exposure_us=20_000)
    assert "camera.exposure_us" in info.value.fix


def test_a_stalled_camera_is_a_part_error_with_the_cable_fix(clock: VirtualClock) -> None:
    cam, fake = camera(clock, capture_timeout_s=0.5)
    fake.hang = True
    with pytest.raises(PartError, match="no frame within") as info:
        cam.capture()
    assert "rpicam-hello --list-cameras" in info.value.fix


def test_close_stops_and_closes_once(clock: VirtualClock) -> None:
    cam, fake = camera(clock)
    cam.start()
    cam.close()
    cam.close()
    assert fake.stopped and fake.closed


@pytest.fixture
def fake_libraries(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Stand-in `picamera2` and `libcamera` modules; returns the Picamera2 class to tune."""
    libcamera = types.ModuleType("libcamera")
    libcamera.ColorSpace = types.SimpleNamespace(Sycc=lambda: "sYCC")  # type: ignore[attr-defined]
    nr = types.SimpleNamespace(Off=0)
    libcamera.controls = types.SimpleNamespace(  # type: ignore[attr-defined]
        draft=types.SimpleNamespace(NoiseReductionModeEnum=nr)
    )
    picamera2 = types.ModuleType("picamera2")

    class Picamera2(FakePicamera2):
        cameras: ClassVar[list[dict[str, Any]]] = [{"Model": "imx708", "Num": 0}]
        open_error: Exception | None = None

        def __init__(self, camera_num: int = 0) -> None:
            if self.open_error is not None:
                raise self.open_error
            super().__init__()

        @classmethod
        def global_camera_info(cls) -> list[dict[str, Any]]:
            return cls.cameras

    picamera2.Picamera2 = Picamera2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "libcamera", libcamera)
    monkeypatch.setitem(sys.modules, "picamera2", picamera2)
    return Picamera2


def test_from_config_builds_with_full_range_colour_and_no_denoise(
    fake_libraries: Any, clock: VirtualClock
) -> None:
    ctx = make_ctx(clock, camera={"width": 320, "height": 240, "fps": 15.0})
    with Picamera2Camera.from_config(ctx) as cam:
        cam.start()
        kw = cam._cam.config["kw"]
        assert kw["colour_space"] == "sYCC"
        assert kw["main"]["size"] == (320, 240)
        assert kw["controls"]["NoiseReductionMode"] == 0
        assert kw["controls"]["FrameDurationLimits"] == (66667, 66667)


def test_no_camera_found_explains_the_ribbon_cable(
    fake_libraries: Any, clock: VirtualClock
) -> None:
    fake_libraries.cameras = []
    with pytest.raises(PartError, match="no camera") as info:
        Picamera2Camera.from_config(make_ctx(clock))
    assert "ribbon" in info.value.fix and "rpicam-hello --list-cameras" in info.value.fix


def test_a_busy_camera_says_who_to_stop(fake_libraries: Any, clock: VirtualClock) -> None:
    fake_libraries.open_error = RuntimeError("Camera grab failed.")
    with pytest.raises(PartError, match="in use") as info:
        Picamera2Camera.from_config(make_ctx(clock))
    assert "another program" in info.value.fix
