"""The image sensor's noise: shot noise, read noise, random-telegraph blips, 8-bit output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from device.sim.geometry import CameraParams
from device.sim.noise import POOL_SCALE, gaussian_image

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class SensorModel:
    """Noise of the downscaled 640x480 stream (several native pixels average into one)."""

    dn_per_e_gain1: float = 0.015  # 8-bit DN per photo-electron at analogue gain 1
    read_noise_e: float = 3.0
    rts_per_frame: float = 2.0  # random-telegraph pixels: single-pixel blips per frame
    rts_dn: float = 30.0


SENSOR = SensorModel()


def expose(img: F32, cam: CameraParams, rng: np.random.Generator) -> U8:
    """Shot + read noise, random-telegraph blips, 8-bit rounding and clipping."""
    dn_per_e = SENSOR.dn_per_e_gain1 * cam.analogue_gain
    read_dn = SENSOR.read_noise_e * dn_per_e
    # sigma / POOL_SCALE: the noise field comes as int16 multiples of 1 / POOL_SCALE
    var_scale = 1.0 / (POOL_SCALE * POOL_SCALE)
    sigma = np.multiply(img, np.float32(dn_per_e * var_scale))
    sigma += np.float32(read_dn * read_dn * var_scale)
    np.sqrt(sigma, out=sigma)
    sigma *= gaussian_image(rng, cam.height, cam.width)
    img += sigma
    blips = int(rng.poisson(SENSOR.rts_per_frame))
    if blips:
        ys = rng.integers(0, cam.height, blips)
        xs = rng.integers(0, cam.width, blips)
        img[ys, xs] += np.float32(SENSOR.rts_dn) * rng.uniform(0.5, 1.5, blips).astype(np.float32)
    np.clip(img, 0, 255, out=img)  # then truncate: the black level sits at 0
    return img.astype(np.uint8)
