"""Replay a folder of captured frames (PNG/JPEG) as a camera.

Frames play in natural name order (frame2 before frame10). A name with an `on` or `off`
word (0001_on.png, 0001-off.jpg) gives the ring state of that frame; a folder without such
names alternates ON, OFF, ON, ... from the first frame. Times run on a virtual timeline of
1/camera.fps per frame from the moment `start()` is called.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from device.events import Frame
from device.hal.base import EndOfData, PartError
from device.hal.imageio import IMAGE_SUFFIXES, ImageReadError, read_grey8

if TYPE_CHECKING:
    from device.clock import Clock
    from device.hal.registry import BuildContext

log = logging.getLogger(__name__)

_RING_WORD = re.compile(r"(?:^|[_\-. ])(on|off)(?=$|[_\-. ])", re.IGNORECASE)
_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> list[Any]:
    """Sort key that orders embedded numbers by value (frame2 < frame10)."""
    return [int(part) if part.isdigit() else part.lower() for part in _DIGITS.split(name)]


def ring_state_from_name(path: Path) -> bool | None:
    """True/False when the file name carries an `on`/`off` word, None otherwise."""
    match = _RING_WORD.search(path.stem)
    return None if match is None else match.group(1).lower() == "on"


def list_frames(folder: Path) -> list[tuple[Path, bool]]:
    """The folder's frames in play order with their ring state; clear errors if unusable."""
    if not folder.exists():
        raise PartError("camera", f"frames folder {folder} does not exist", "set camera.frames_dir")
    if not folder.is_dir():
        raise PartError("camera", f"{folder} is not a folder", "set camera.frames_dir to a folder")
    paths = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
        key=lambda p: natural_key(p.name),
    )
    if not paths:
        raise PartError(
            "camera",
            f"no frames in {folder}",
            f"put {'/'.join(IMAGE_SUFFIXES)} frames there (e.g. 0001_on.png, 0001_off.png)",
        )
    states = [ring_state_from_name(p) for p in paths]
    tagged = [s is not None for s in states]
    if all(tagged):
        return [(p, bool(s)) for p, s in zip(paths, states, strict=True)]
    if any(tagged):
        untagged = next(p.name for p, s in zip(paths, states, strict=True) if s is None)
        raise PartError(
            "camera",
            f"some frames in {folder} are named _on/_off and others are not (e.g. {untagged})",
            "name every frame with _on or _off, or none of them (they then alternate ON, OFF)",
        )
    return [(p, i % 2 == 0) for i, p in enumerate(paths)]


class FramesCamera:
    """A camera that replays frames from disk; EndOfData after the last one."""

    def __init__(self, folder: Path | str, clock: Clock, fps: float, exposure_s: float) -> None:
        if fps <= 0 or exposure_s <= 0:
            raise ValueError("fps and exposure_s must be > 0")
        self._folder = Path(folder)
        self._frames = list_frames(self._folder)
        self._clock = clock
        self._period_s = 1.0 / fps
        self._exposure_s = exposure_s
        self._lock = threading.Lock()
        self._next = 0
        self._t0_s: float | None = None
        self._shape: tuple[int, ...] | None = None
        self._closed = False

    @classmethod
    def from_config(cls, ctx: BuildContext) -> FramesCamera:
        cam = ctx.config.camera
        if not cam.frames_dir:
            raise PartError(
                "camera",
                'hal.camera = "frames" needs a folder of frames',
                "set camera.frames_dir to a folder of PNG/JPEG frames",
            )
        return cls(Path(cam.frames_dir).expanduser(), ctx.clock, cam.fps, cam.exposure_us * 1e-6)

    def __len__(self) -> int:
        return len(self._frames)

    def start(self) -> None:
        with self._lock:
            if self._t0_s is None:
                self._t0_s = self._clock.now()

    def capture(self) -> Frame:
        with self._lock:
            if self._closed:
                raise PartError("camera", "the frame replay was closed", "build a new camera")
            if self._t0_s is None:
                self._t0_s = self._clock.now()
            if self._next >= len(self._frames):
                raise EndOfData(f"all {len(self._frames)} frames of {self._folder} replayed")
            index = self._next
            self._next += 1
            t_start_s = self._t0_s + index * self._period_s
        path, ring_on = self._frames[index]
        try:
            pixels = read_grey8(path)
        except ImageReadError as exc:
            raise PartError(
                "camera", f"cannot read frame {exc.path}: {exc.problem}", exc.fix
            ) from exc
        with self._lock:
            if self._shape is None:
                self._shape = pixels.shape
            elif pixels.shape != self._shape:
                raise PartError(
                    "camera",
                    f"frame {path.name} is {pixels.shape[1]}x{pixels.shape[0]}, earlier frames are "
                    f"{self._shape[1]}x{self._shape[0]}",
                    "replay frames of one size only",
                )
        return Frame(index, t_start_s, self._exposure_s, pixels, ring_on=ring_on)

    def describe(self) -> str:
        return f"frame replay of {self._folder} ({len(self._frames)} frames)"

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def __enter__(self) -> FramesCamera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
