"""Synthetic ON/OFF frames for the vision tests: textured room, ring light, glints, hand shift."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from device.events import Gray


@dataclass
class Scene:
    """A textured background larger than the frame, so the view can shift."""

    height: int = 120
    width: int = 160
    margin: int = 24
    ambient: float = 120.0  # OFF-frame brightness scale (0 = dark room)
    ring_gain: float = 30.0  # what the IR ring adds to a white surface
    noise: float = 1.5
    seed: int = 0
    grain_px: int = 8  # size of the texture's blobs
    # (y, x, amplitude, sigma) of spots lit by the ring only / present in both frames
    glints: list[tuple[float, float, float, float]] = field(default_factory=list)
    steady: list[tuple[float, float, float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        h, w = self.height + 2 * self.margin, self.width + 2 * self.margin
        g = self.grain_px
        coarse = rng.random((h // g + 2, w // g + 2))
        big = np.kron(coarse, np.ones((g, g)))[:h, :w]
        k = np.ones(g // 2 + 1) / (g // 2 + 1)  # soften blocks into smooth texture
        big = np.apply_along_axis(lambda r: np.convolve(r, k, "same"), 1, big)
        big = np.apply_along_axis(lambda c: np.convolve(c, k, "same"), 0, big)
        self.reflectance = 0.2 + 0.6 * big
        self.rng = rng

    def _spots(self, img: np.ndarray, spots: list[tuple[float, float, float, float]],
               dy: int, dx: int) -> None:
        yy, xx = np.mgrid[: self.height, : self.width]
        for y, x, amp, sigma in spots:
            img += amp * np.exp(-((yy - (y - dy)) ** 2 + (xx - (x - dx)) ** 2) / (2 * sigma**2))

    def frame(self, ring_on: bool, dy: int = 0, dx: int = 0) -> Gray:
        """The view shifted by (dy, dx): scene point (y, x) appears at (y - dy, x - dx)."""
        m = self.margin
        refl = self.reflectance[m + dy: m + dy + self.height, m + dx: m + dx + self.width]
        img = refl * self.ambient
        self._spots(img, self.steady, dy, dx)
        if ring_on:
            img = img + refl * self.ring_gain
            self._spots(img, self.glints, dy, dx)
        img = img + self.rng.normal(0, self.noise, img.shape)
        return np.clip(np.round(img), 0, 255).astype(np.uint8)
