"""Configuration: `defaults.toml` overridden by `/etc/camsweep/config.toml` or `--config PATH`.

Every value lives in defaults.toml with the reason beside it; this module only declares the
shape and the allowed ranges. Unknown keys, wrong types and out-of-range values are errors
naming the file and the key path (see `device.tomlmodel`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from device.tomlmodel import ModelError, bounded, build, deep_merge, read_toml

SYSTEM_CONFIG = Path("/etc/camsweep/config.toml")

GPIO_PINS = bounded(0, 27, doc="BCM GPIO number")


@dataclass(frozen=True)
class DeviceConfig:
    id: str
    state_dir: str


@dataclass(frozen=True)
class HalConfig:
    camera: str = field(metadata=bounded(choices=("picamera2", "frames", "sim", "none")))
    sdr: str = field(metadata=bounded(choices=("rtlsdr", "file", "sim", "none")))
    display: str = field(metadata=bounded(choices=("ssd1306", "sh1106", "dummy", "none")))
    gpio: str = field(metadata=bounded(choices=("rpigpio", "lgpio", "mock")))


@dataclass(frozen=True)
class PinsConfig:
    ir_ring: int = field(metadata=GPIO_PINS)
    buzzer: int = field(metadata=GPIO_PINS)
    vibration: int = field(metadata=GPIO_PINS)
    button_mode: int = field(metadata=GPIO_PINS)
    button_ack: int = field(metadata=GPIO_PINS)

    def validate(self) -> tuple[str, str] | None:
        seen: dict[int, str] = {}
        for name in ("ir_ring", "buzzer", "vibration", "button_mode", "button_ack"):
            pin = getattr(self, name)
            if pin in (2, 3):
                return name, f"GPIO{pin} is the I2C bus used by the OLED; pick another pin"
            if pin in seen:
                return name, f"GPIO{pin} is already used by pins.{seen[pin]}"
            seen[pin] = name
        return None


@dataclass(frozen=True)
class DisplayConfig:
    i2c_port: int = field(metadata=bounded(0, 22))
    i2c_address: int = field(metadata=bounded(0x03, 0x77))
    width: int = field(metadata=bounded(choices=(128,)))
    height: int = field(metadata=bounded(choices=(32, 64)))
    rotate: int = field(metadata=bounded(0, 3))
    contrast: int = field(metadata=bounded(0, 255))


@dataclass(frozen=True)
class CameraConfig:
    width: int = field(metadata=bounded(64, 4056))
    height: int = field(metadata=bounded(48, 3040))
    fps: float = field(metadata=bounded(1, 120))
    exposure_us: int = field(metadata=bounded(100, 1_000_000))
    analogue_gain: float = field(metadata=bounded(1.0, 16.0))
    frames_dir: str


@dataclass(frozen=True)
class RingConfig:
    pwm: bool
    brightness: float = field(metadata=bounded(0.0, 1.0))
    frames_per_state: int = field(metadata=bounded(1, 16))
    near_scale: float = field(metadata=bounded(0.01, 1.0))
    near_share: float = field(metadata=bounded(0.0, 1.0))


@dataclass(frozen=True)
class SdrConfig:
    rate_sps: int = field(metadata=bounded(225_001, 3_200_000))
    gain_db: float = field(metadata=bounded(-1.0, 50.0))
    ppm: int = field(metadata=bounded(-200, 200))
    device_index: int = field(metadata=bounded(0, 16))
    bias_tee: bool
    file_path: str
    file_format: str = field(metadata=bounded(choices=("", "cu8", "cs8", "cf32", "sigmf")))
    file_center_hz: float = field(metadata=bounded(0, 6e9))
    retune_settle_s: float = field(metadata=bounded(0.0, 1.0))

    def validate(self) -> tuple[str, str] | None:
        if 300_000 < self.rate_sps <= 900_000:
            return "rate_sps", (
                f"{self.rate_sps} S/s is not a valid RTL-SDR rate; use 225001-300000 or "
                "900001-3200000"
            )
        return None


@dataclass(frozen=True)
class VisionConfig:
    enabled: bool
    model_path: str
    num_threads: int = field(metadata=bounded(1, 8))
    diff_threshold: float = field(metadata=bounded(1.0, 255.0))
    min_score: float = field(metadata=bounded(0.0, 1.0))
    max_candidates: int = field(metadata=bounded(1, 256))
    patch_px: int = field(metadata=bounded(8, 64))
    confirm_cycles: int = field(metadata=bounded(1, 30))
    confirm_min_score: float = field(metadata=bounded(0.0, 1.0))
    track_radius_px: float = field(metadata=bounded(1.0, 200.0))
    evidence_crop_px: int = field(metadata=bounded(16, 128))
    local_contrast: float = field(metadata=bounded(1.0, 255.0))
    spot_radius_px: int = field(metadata=bounded(2, 16))
    off_window_px: int = field(metadata=bounded(0, 8))
    local_search_px: int = field(metadata=bounded(0, 8))
    max_shift_px: int = field(metadata=bounded(0, 128))
    min_shift_confidence: float = field(metadata=bounded(0.0, 1.0))
    weak_shift_confidence: float = field(metadata=bounded(0.0, 1.0))
    weak_shift_agree_px: int = field(metadata=bounded(0, 100))
    dark_ambient_dn: float = field(metadata=bounded(0.0, 255.0))
    sync_guard_s: float = field(metadata=bounded(0.0, 0.05))
    max_pair_gap_s: float = field(metadata=bounded(0.01, 2.0))
    hfov_deg: float = field(metadata=bounded(10.0, 180.0))
    vfov_deg: float = field(metadata=bounded(10.0, 180.0))
    track_min_score: float = field(metadata=bounded(0.0, 1.0))
    track_max_misses: int = field(metadata=bounded(1, 100))
    min_hit_ratio: float = field(metadata=bounded(0.0, 1.0))
    track_max_off_sightings: int = field(metadata=bounded(0, 100))
    track_off_share: float = field(metadata=bounded(0.0, 1.0))
    cluster_radius_px: float = field(metadata=bounded(0.0, 200.0))
    max_neighbours: float = field(metadata=bounded(0.0, 100.0))
    finding_refresh_cycles: int = field(metadata=bounded(1, 1000))
    confirm_score_step: float = field(metadata=bounded(0.0, 1.0))
    floor_score: float = field(metadata=bounded(0.0, 1.0))
    steady_hit_ratio: float = field(metadata=bounded(0.0, 1.0))
    big_glint_px: float = field(metadata=bounded(0.0, 100.0))
    dark_surround_dn: float = field(metadata=bounded(0.0, 255.0))
    wide_glint_share: float = field(metadata=bounded(0.0, 1.0))
    twin_px: int = field(metadata=bounded(0, 64))
    twin_share: float = field(metadata=bounded(0.0, 2.0))
    twin_min_dn: float = field(metadata=bounded(0.0, 255.0))
    site_radius_px: float = field(metadata=bounded(0.0, 1000.0))
    site_memory_s: float = field(metadata=bounded(0.0, 600.0))
    pass_gap_s: float = field(metadata=bounded(0.0, 60.0))
    site_passes: int = field(metadata=bounded(1, 100))
    held_edge_px: float = field(metadata=bounded(0.0, 1000.0))
    candidate_events: int = field(metadata=bounded(0, 256))


@dataclass(frozen=True)
class RfConfig:
    enabled: bool
    band_plan: str = field(metadata=bounded(choices=("camera", "full", "custom")))
    custom_ranges_mhz: tuple[tuple[float, float], ...]
    fft_size: int = field(metadata=bounded(choices=(256, 512, 1024, 2048, 4096)))
    averages: int = field(metadata=bounded(1, 1024))
    pfa: float = field(metadata=bounded(1e-12, 0.1))
    baseline_sweeps: int = field(metadata=bounded(1, 20))
    new_emitter_margin_db: float = field(metadata=bounded(0.0, 40.0))
    overlap: float = field(metadata=bounded(0.0, 0.75))
    crop_fraction: float = field(metadata=bounded(0.0, 0.3))
    full_crop_fraction: float = field(metadata=bounded(0.0, 0.3))
    full_averages: int = field(metadata=bounded(1, 1024))
    settle_samples: int = field(metadata=bounded(0, 1_000_000))
    dc_bins: int = field(metadata=bounded(1, 32))
    dc_dither: bool
    video_span_mhz: float = field(metadata=bounded(1.0, 40.0))
    scales_bins: tuple[int, ...] = field(metadata=bounded(1, 512))
    floor_estimator: str = field(metadata=bounded(choices=("os", "ca")))
    floor_quantile: float = field(metadata=bounded(0.05, 0.95))
    floor_raise_db: float = field(metadata=bounded(0.5, 30.0))
    floor_neighbour_mhz: float = field(metadata=bounded(1.0, 2000.0))
    floor_alpha: float = field(metadata=bounded(0.01, 1.0))
    merge_gap_hz: float = field(metadata=bounded(0.0, 10e6))
    occupied_db: float = field(metadata=bounded(1.0, 40.0))
    burst_duty: float = field(metadata=bounded(0.0, 1.0))
    image_db: float = field(metadata=bounded(3.0, 80.0))
    confirm_sweeps: int = field(metadata=bounded(1, 20))
    confirm_window: int = field(metadata=bounded(1, 50))
    growth_db: float = field(metadata=bounded(0.5, 40.0))
    growth_sweeps: int = field(metadata=bounded(2, 50))
    proximity_block_s: float = field(metadata=bounded(0.005, 0.1))
    clip_fraction: float = field(metadata=bounded(0.0, 0.5))
    overload_step_db: float = field(metadata=bounded(1.0, 50.0))
    overload_retries: int = field(metadata=bounded(0, 10))
    gain_up_below_dbfs: float = field(metadata=bounded(-60.0, -3.0))
    strength_span_db: float = field(metadata=bounded(3.0, 100.0))
    evidence_s: float = field(metadata=bounded(0.001, 5.0))
    evidence_offset_hz: float = field(metadata=bounded(0.0, 1.5e6))
    analyze_frame_s: float = field(metadata=bounded(1e-5, 0.1))
    analyze_block_frames: int = field(metadata=bounded(1, 256))
    analyze_pfa: float = field(metadata=bounded(1e-15, 0.1))
    analyze_floor_quantile: float = field(metadata=bounded(0.01, 0.5))
    analyze_merge_gap_s: float = field(metadata=bounded(0.0, 10.0))
    analyze_continuous_fraction: float = field(metadata=bounded(0.1, 1.0))
    analyze_continuous_db: float = field(metadata=bounded(0.0, 40.0))

    def validate(self) -> tuple[str, str] | None:
        for i, pair in enumerate(self.custom_ranges_mhz):
            if len(pair) != 2 or not 24.0 <= pair[0] < pair[1] <= 1766.0:
                return f"custom_ranges_mhz[{i}]", (
                    "each range is [low_mhz, high_mhz] with 24 <= low < high <= 1766"
                )
        if self.band_plan == "custom" and not self.custom_ranges_mhz:
            return "custom_ranges_mhz", (
                'band_plan = "custom" needs at least one [low_mhz, high_mhz] range'
            )
        if not self.scales_bins or any(
            b <= a for a, b in zip(self.scales_bins, self.scales_bins[1:], strict=False)
        ):
            return "scales_bins", "give increasing bin counts, e.g. [1, 8, 64]"
        if max(self.scales_bins) > self.fft_size // 4:
            return "scales_bins", f"the widest scale must be <= fft_size/4 ({self.fft_size // 4})"
        if self.confirm_sweeps > self.confirm_window:
            return "confirm_sweeps", "must not exceed confirm_window"
        return None


@dataclass(frozen=True)
class AlertConfig:
    sensitivity: int = field(metadata=bounded(1, 5))
    debounce_s: float = field(metadata=bounded(0.0, 10.0))
    camera_confidence: float = field(metadata=bounded(0.0, 1.0))
    suspect_confidence: float = field(metadata=bounded(0.0, 1.0))
    corroboration_window_s: float = field(metadata=bounded(0.0, 600.0))
    lens_passes: int = field(metadata=bounded(1, 10))


@dataclass(frozen=True)
class UiConfig:
    mute: bool
    silent: bool
    refresh_hz: float = field(metadata=bounded(0.5, 30.0))
    buzzer_volume: float = field(metadata=bounded(0.0, 1.0))
    long_press_s: float = field(metadata=bounded(0.2, 5.0))


@dataclass(frozen=True)
class ServiceConfig:
    heartbeat_timeout_s: float = field(metadata=bounded(0.5, 120.0))
    retry_initial_s: float = field(metadata=bounded(0.1, 60.0))
    retry_max_s: float = field(metadata=bounded(1.0, 3600.0))
    stop_timeout_s: float = field(metadata=bounded(0.1, 30.0))


@dataclass(frozen=True)
class RecordsConfig:
    enabled: bool
    retention_days: int = field(metadata=bounded(0, 36500))
    keep_full_frames: bool
    operator: str
    room: str
    rooms: tuple[str, ...]
    rooms_csv: str
    checklist: tuple[str, ...]

    def validate(self) -> tuple[str, str] | None:
        if not self.checklist:
            return "checklist", "list at least one hiding place to check"
        return None


@dataclass(frozen=True)
class MqttConfig:
    enabled: bool
    host: str
    port: int = field(metadata=bounded(1, 65535))
    tls: bool
    ca_file: str
    username: str
    password: str
    client_id: str
    topic_prefix: str
    discovery: bool
    discovery_prefix: str
    keepalive_s: int = field(metadata=bounded(5, 3600))
    retry_s: float = field(metadata=bounded(0.1, 600.0))

    def validate(self) -> tuple[str, str] | None:
        if self.enabled and not self.host:
            return "host", "set the broker's host name when mqtt.enabled = true"
        if self.password and not self.username:
            return "username", "a password needs a username"
        for name in ("topic_prefix", "discovery_prefix"):
            value = getattr(self, name)
            if not value or any(c in value for c in "#+") or value.startswith("/"):
                return name, "a topic prefix is non-empty, without + or #, not starting with /"
        return None


@dataclass(frozen=True)
class SimConfig:
    scenario: str
    seed: int = field(metadata=bounded(0, 2**63 - 1))
    duration_s: float = field(metadata=bounded(1.0, 3600.0))


@dataclass(frozen=True)
class Config:
    """The whole effective configuration, one frozen tree."""

    device: DeviceConfig
    hal: HalConfig
    pins: PinsConfig
    display: DisplayConfig
    camera: CameraConfig
    ring: RingConfig
    sdr: SdrConfig
    vision: VisionConfig
    rf: RfConfig
    alert: AlertConfig
    ui: UiConfig
    service: ServiceConfig
    records: RecordsConfig
    mqtt: MqttConfig
    sim: SimConfig


def default_table() -> dict[str, Any]:
    """The packaged defaults as a raw TOML table."""
    text = resources.files("device").joinpath("defaults.toml").read_text(encoding="utf-8")
    import tomllib

    return tomllib.loads(text)


def config_path_from_env(explicit: str | None) -> Path | None:
    """Which override file applies: `--config`, then $CAMSWEEP_CONFIG, then /etc if present."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("CAMSWEEP_CONFIG")
    if env:
        return Path(env)
    return SYSTEM_CONFIG if SYSTEM_CONFIG.exists() else None


def load(
    path: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Load defaults, merge the override file (if any) and `overrides`, validate strictly."""
    table = default_table()
    try:
        build(Config, table, "defaults.toml")
    except ModelError as exc:  # a broken package, not a user error
        raise RuntimeError(f"packaged defaults are invalid: {exc}") from exc
    source = "defaults.toml"
    if path is not None:
        user = read_toml(path)
        # Validate the user's keys against the model before merging so the error names
        # their file, not the merged result.
        _reject_unknown(user, table, str(path))
        table = deep_merge(table, user)
        source = str(path)
    if overrides:
        table = deep_merge(table, overrides)
    return build(Config, table, source)


def _reject_unknown(
    user: dict[str, Any], defaults: dict[str, Any], source: str, prefix: str = ""
) -> None:
    for key, value in user.items():
        path = f"{prefix}.{key}" if prefix else key
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise ModelError(source, path, f"unknown key (known keys here: {known})")
        if isinstance(value, dict) and isinstance(defaults[key], dict):
            _reject_unknown(value, defaults[key], source, path)
