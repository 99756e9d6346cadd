"""The frame-replay camera on folders of PNG/JPEG frames made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from device.clock import VirtualClock
from device.hal.base import Camera, EndOfData, PartError
from device.hal.camera_frames import FramesCamera, natural_key, ring_state_from_name

from .conftest import make_ctx


def save(folder: Path, name: str, value: int, shape: tuple[int, int] = (48, 64)) -> np.ndarray:
    pixels = np.full(shape, value, dtype=np.uint8)
    pixels[0, 0] = 255 - value  # not flat, so a wrong file would show
    Image.fromarray(pixels, mode="L").save(folder / name)
    return pixels


def test_replays_tagged_frames_in_order_with_ring_state_and_times(
    tmp_path: Path, clock: VirtualClock
) -> None:
    expected = {}
    for i in (1, 2, 10):  # 10 must come after 2 (natural order)
        expected[(i, True)] = save(tmp_path, f"{i:d}_on.png", 10 * i)
        expected[(i, False)] = save(tmp_path, f"{i:d}_off.png", 10 * i + 5)
    (tmp_path / "notes.txt").write_text("ignored")
    ctx = make_ctx(clock, camera={"frames_dir": str(tmp_path), "fps": 20.0, "exposure_us": 5000})
    with FramesCamera.from_config(ctx) as cam:
        assert isinstance(cam, Camera)
        assert len(cam) == 6
        cam.start()
        clock.advance(3.0)  # the timeline starts at start(), not at the first capture
        frames = [cam.capture() for _ in range(6)]
        with pytest.raises(EndOfData):
            cam.capture()
    order = [(f.index, f.ring_on) for f in frames]
    assert order == [(0, False), (1, True), (2, False), (3, True), (4, False), (5, True)]
    # "1_off" sorts before "1_on"; numbers sort by value
    keys = [(1, False), (1, True), (2, False), (2, True), (10, False), (10, True)]
    for frame, key in zip(frames, keys, strict=True):
        assert np.array_equal(frame.pixels, expected[key])
        assert frame.pixels.dtype == np.uint8
    assert [f.t_start_s for f in frames] == pytest.approx([100.0 + i * 0.05 for i in range(6)])
    assert all(f.exposure_s == pytest.approx(0.005) for f in frames)


def test_untagged_frames_alternate_starting_with_on(tmp_path: Path, clock: VirtualClock) -> None:
    for i in range(3):
        save(tmp_path, f"frame{i}.png", 50 + i)
    cam = FramesCamera(tmp_path, clock, fps=30.0, exposure_s=0.008)
    assert [cam.capture().ring_on for _ in range(3)] == [True, False, True]


def test_16_bit_and_jpeg_frames_come_out_as_8_bit(tmp_path: Path, clock: VirtualClock) -> None:
    Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16)).save(tmp_path / "a_on.png")
    Image.fromarray(np.full((8, 8), 40, dtype=np.uint8), mode="L").save(tmp_path / "a_off.jpg")
    cam = FramesCamera(tmp_path, clock, fps=30.0, exposure_s=0.008)
    first, second = cam.capture(), cam.capture()
    assert first.ring_on is False and abs(int(first.pixels.mean()) - 40) <= 2
    assert second.ring_on is True and int(second.pixels.min()) == 255


def test_names_and_sorting() -> None:
    assert ring_state_from_name(Path("0001_on.png")) is True
    assert ring_state_from_name(Path("0001-OFF.jpg")) is False
    assert ring_state_from_name(Path("on.png")) is True
    assert ring_state_from_name(Path("button_01.png")) is None
    assert ring_state_from_name(Path("one_01.png")) is None
    assert sorted(["f10", "f2", "f1"], key=natural_key) == ["f1", "f2", "f10"]


def test_missing_or_empty_folders_and_missing_setting(tmp_path: Path, clock: VirtualClock) -> None:
    with pytest.raises(PartError, match="does not exist") as info:
        FramesCamera(tmp_path / "nope", clock, fps=30.0, exposure_s=0.008)
    assert "camera.frames_dir" in info.value.fix
    with pytest.raises(PartError, match="no frames in"):
        FramesCamera(tmp_path, clock, fps=30.0, exposure_s=0.008)
    with pytest.raises(PartError, match="needs a folder") as info:
        FramesCamera.from_config(make_ctx(clock))
    assert "camera.frames_dir" in info.value.fix


def test_mixed_naming_is_refused(tmp_path: Path, clock: VirtualClock) -> None:
    save(tmp_path, "1_on.png", 10)
    save(tmp_path, "2.png", 20)
    with pytest.raises(PartError, match="others are not") as info:
        FramesCamera(tmp_path, clock, fps=30.0, exposure_s=0.008)
    assert "2.png" in info.value.problem


def test_unreadable_or_odd_sized_frames_fail_clearly(tmp_path: Path, clock: VirtualClock) -> None:
    save(tmp_path, "1_on.png", 10)
    (tmp_path / "1_off.png").write_bytes(b"\x89PNG but broken")
    save(tmp_path, "2_on.png", 10, shape=(10, 10))
    cam = FramesCamera(tmp_path, clock, fps=30.0, exposure_s=0.008)
    with pytest.raises(PartError, match=r"cannot read frame .*1_off\.png") as info:
        cam.capture()
    assert info.value.fix
    cam.capture()  # 1_on.png sets the size
    with pytest.raises(PartError, match="10x10"):
        cam.capture()
