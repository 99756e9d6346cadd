"""Read captured frames (PNG/JPEG, 8- or 16-bit) as grey numpy arrays with clear errors.

Used by the frame-replay camera and by offline frame analysis. Colour images are reduced to
luma (ITU-R 601, Pillow's "L" conversion); 16-bit images keep their depth in `read_grey` and
are scaled to full-range 8 bits by `to_uint8`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg")

# Pillow modes that are 16-bit greyscale ("I" is how older Pillow versions open them).
_MODES_16 = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_MODES_TO_L = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")


class ImageReadError(ValueError):
    """An image file cannot be used as a frame; the message says why and what to do."""

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {problem} — {fix}")


def read_grey(path: Path | str) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint16]:
    """Read an image as a 2-D grey array: uint8 for 8-bit files, uint16 for 16-bit ones."""
    path = Path(path)
    if not path.exists():
        raise ImageReadError(path, "file not found", "check the path")
    if not path.is_file():
        raise ImageReadError(path, "not a regular file", "give the path of an image file")
    try:
        with Image.open(path) as img:
            img.load()
            return _to_grey(img, path)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(
            path, "not a readable image", "frames must be PNG or JPEG files"
        ) from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageReadError(
            path,
            f"the image is damaged or truncated ({exc})",
            "re-export or remove the file",
        ) from None


def read_grey8(path: Path | str) -> npt.NDArray[np.uint8]:
    """Read an image as 8-bit grey (16-bit files are scaled down to 0..255)."""
    return to_uint8(read_grey(path))


def to_uint8(pixels: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """uint8 passes through; uint16 is scaled 0..65535 -> 0..255 with rounding."""
    if pixels.dtype == np.uint8:
        return pixels.astype(np.uint8, copy=False)
    if pixels.dtype == np.uint16:
        wide = pixels.astype(np.uint32)
        return ((wide * 255 + 32767) // 65535).astype(np.uint8)
    raise ValueError(f"expected a uint8 or uint16 image, got {pixels.dtype}")


def is_image_file(path: Path) -> bool:
    """True for a file whose extension says PNG or JPEG."""
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def _to_grey(img: Image.Image, path: Path) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint16]:
    mode = img.mode
    if mode in _MODES_16:
        wide = np.asarray(img)
        if wide.ndim != 2 or wide.size == 0:
            raise ImageReadError(
                path, f"unexpected {mode} image shape {wide.shape}", "save it again"
            )
        if wide.dtype != np.uint16 and (wide.min() < 0 or wide.max() > 0xFFFF):
            raise ImageReadError(
                path,
                f"{mode} pixel values outside 0..65535",
                "save frames as 8- or 16-bit greyscale PNG",
            )
        return np.ascontiguousarray(wide, dtype=np.uint16)
    if mode in _MODES_TO_L:
        grey = img if mode == "L" else img.convert("L")
        return np.ascontiguousarray(np.asarray(grey), dtype=np.uint8)
    raise ImageReadError(
        path,
        f"unsupported pixel mode {mode!r}",
        "save frames as 8- or 16-bit greyscale PNG (or ordinary JPEG)",
    )
