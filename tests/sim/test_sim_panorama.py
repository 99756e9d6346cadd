"""Room panoramas: built in bands of rows, the same bytes whatever the band size."""

from __future__ import annotations

import numpy as np
import pytest

from device.sim import panorama
from device.sim.geometry import CameraParams, unit_dir
from device.sim.room import RoomGeometry
from device.sim.scenario import load_scenario

from .conftest import SMALL_CAM


def _build() -> panorama.Panorama:
    """A furnished room with pictures, seen from its door (small camera: a small panorama)."""
    s = load_scenario("clock_camera_video_tx")
    sw = s.sweep
    centre = np.array([sw.door_m[0], sw.door_m[1], sw.hand_height_m])
    centre = centre + sw.arm_m * unit_dir(sw.door_facing_deg, 0.0)
    ppd = SMALL_CAM.fx * np.pi / 180.0
    yaw = (sw.door_facing_deg - 80.0, sw.door_facing_deg + 80.0)
    return panorama.build_panorama(RoomGeometry(s.room), centre, yaw, (-45.0, 45.0), ppd, 5)


def test_band_size_does_not_change_a_single_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _build().pixels
    assert whole.dtype == np.uint8 and whole.std() > 5  # textured, not a blank wall
    for rays in (1, 1000):  # one row per band (every band edge), a few rows per band
        monkeypatch.setattr(panorama, "BAND_PX", rays)
        assert np.array_equal(_build().pixels, whole)


def test_upsampling_a_band_matches_upsampling_the_whole() -> None:
    a = np.random.default_rng(2).random((7, 5), dtype=np.float32)
    whole = panorama._upsample2(a, None)
    top, bottom = panorama._upsample2(a[:3], a[3]), panorama._upsample2(a[3:], None)
    assert whole.shape == (14, 10)
    assert np.array_equal(np.vstack([top, bottom]), whole)


def test_a_panorama_keeps_camera_pixels_per_degree() -> None:
    pano = _build()
    ppd = CameraParams(width=SMALL_CAM.width, height=SMALL_CAM.height).fx * np.pi / 180.0
    assert pano.ppd == pytest.approx(ppd)
    assert pano.pixels.shape[0] == pytest.approx(90.0 * ppd, abs=2)
