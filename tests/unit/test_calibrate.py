"""`camsweep calibrate`: ring beam and glint, SDR ppm, the device's own RF, and the sequence."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from device import calibrate, cli
from device.calibrate_ppm import measure_ppm
from device.calibrate_rf import RfSelfReport, ring_adds, sweep_once
from device.calibrate_ring import beam_centre, glint_reading
from device.config import load
from device.events import IqBlock
from device.vision.pipeline import PairAnalyzer

BEAM_LINE = re.compile(
    r"^beam centre \([+-]\d+, [+-]\d+\) px from the image centre \(limit 64\), "
    r"ON-OFF mean [+-]\d+\.\d, peak [+-]\d+: (ok|off centre|too dim.*)$"
)
GLINT_LINE = re.compile(
    r"^(glint [+-]\d+ at \([+-]\d+, [+-]\d+\) px, \d+ px wide|no glint); "
    r"rest of frame ON-OFF [+-]\d+\.\d: (ok|weak|saturated) \(needs \+48\)$"
)

# A bench in the virtual room: the person stands still at the door, facing north.
BENCH = """
description = "calibration bench"
[truth]
has_camera = {has_camera}
[room]
size_m = [3.0, {depth_m}, 2.5]
lighting = "dark"
wall_albedo = 0.6
[sweep]
door_m = [1.5, 0.65]
door_facing_deg = 90.0
door_dwell_s = 600.0
speed_dps = 1.0
jitter_deg = 0.05
jitter_mm = 0.5
stations = [ {{ position_m = [1.5, 0.65], facing_deg = 90.0 }} ]
[receiver]
ppm_error = 11.9
"""
LENS = """
[[lenses]]
id = "reference"
position_m = [1.5, 3.0, 1.3]
axis_deg = [270.0, 0.0]
aperture_mm = 0.5
reflectivity = {reflectivity}
[[emitters]]
kind = "cw"
id = "reference-carrier"
position_m = [1.5, 2.0, 1.3]
freq_hz = 162.55e6
power_dbm = -60.0
"""


def bench_config(
    tmp_path: Path, lens: bool = True, reflectivity: float = 1.0, extra: str = ""
) -> Path:
    """A config file whose virtual room is the bench: a wall 0.5 m ahead, or a lens 2 m ahead."""
    scenario = tmp_path / "bench.toml"
    text = BENCH.format(has_camera=str(lens).lower(), depth_m=3.5 if lens else 1.5)
    scenario.write_text(text + (LENS.format(reflectivity=reflectivity) if lens else ""))
    conf = tmp_path / "config.toml"
    conf.write_text(
        f'[sim]\nscenario = "{scenario}"\n[rf]\nband_plan = "custom"\n'
        f"custom_ranges_mhz = [[160.0, 165.0]]\n{extra}"
    )
    return conf


def camsweep(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out.splitlines(), err


@pytest.fixture(autouse=True)
def unattended(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calibrate, "_interactive", lambda: False)


# --- ring: pure measurements ------------------------------------------------------------


def _beam(dx: float, dy: float, level: float) -> np.ndarray:
    h, w = 480, 640
    yy, xx = np.mgrid[:h, :w]
    r2 = (xx - (w / 2 + dx)) ** 2 + (yy - (h / 2 + dy)) ** 2
    noise = np.random.default_rng(3).normal(0, 3, (h, w))
    return (level * np.exp(-r2 / (2 * 120.0**2)) + noise).astype(np.float32)


def test_beam_centre_places_the_lit_patch() -> None:
    r = beam_centre(_beam(40, -25, 60))
    assert abs(r.dx_px - 40) < 6 and abs(r.dy_px + 25) < 6
    assert r.limit_px == 64 and r.ok
    assert BEAM_LINE.match(r.line()) and r.line().endswith(": ok")
    off = beam_centre(_beam(-90, 10, 60))
    assert off.verdict == "off centre" and "press the LEDs back" in off.advice()
    dim = beam_centre(_beam(0, 0, 3))
    assert dim.verdict.startswith("too dim") and "0.5 m from a plain" in dim.advice()


def _pair(spot: float, on_spot: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    off = np.clip(rng.normal(40, 2, (480, 640)), 0, 255)
    on = off + 3.0
    yy, xx = np.mgrid[:480, :640]
    on += spot * np.exp(-((xx - 324) ** 2 + (yy - 238) ** 2) / (2 * 1.5**2))
    if on_spot is not None:
        on[236:241, 322:327] = on_spot
    return np.clip(on, 0, 255).astype(np.uint8), off.astype(np.uint8)


def test_glint_reading_against_the_detector_threshold() -> None:
    analyzer = PairAnalyzer(load().vision, None)
    ok = glint_reading(*_pair(143), analyzer, 48.0)
    assert abs(ok.peak - 143) < 10 and (round(ok.dx_px), round(ok.dy_px)) == (4, -2)
    assert ok.verdict == "ok" and abs(ok.rest_mean - 3.0) < 0.3
    assert GLINT_LINE.match(ok.line()) and ok.line().startswith("glint +14")
    assert glint_reading(*_pair(40), analyzer, 48.0).verdict == "weak"
    assert glint_reading(*_pair(0, on_spot=255), analyzer, 48.0).verdict == "saturated"
    none = glint_reading(*_pair(0), analyzer, 48.0)
    assert not none.found and none.line().startswith("no glint; ") and none.verdict == "weak"


# --- ring: on the virtual room ----------------------------------------------------------


def test_wall_on_the_virtual_room(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = bench_config(tmp_path, lens=False)
    rc, out, err = camsweep(capsys, "--config", str(conf), "calibrate", "ring", "--wall")
    assert rc == 0 and len(out) == 1 and not err
    assert BEAM_LINE.match(out[0]) and out[0].endswith(": ok")


def test_glint_on_the_virtual_room(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = bench_config(tmp_path)
    rc, out, _ = camsweep(capsys, "--config", str(conf), "calibrate", "ring", "--readings", "2")
    assert rc == 0 and len(out) == 2
    assert all(GLINT_LINE.match(line) and line.endswith(": ok (needs +48)") for line in out)
    assert all(re.search(r"at \([+-][01], [+-][01]\) px", line) for line in out)  # on axis

    weak = bench_config(tmp_path, reflectivity=0.2)
    rc, out, _ = camsweep(capsys, "--config", str(weak), "calibrate", "ring", "--readings", "1")
    assert rc == 1 and ": weak (needs +48)" in out[0] and out[1].startswith("fix: ")


def test_a_missing_camera_library_is_a_failed_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = bench_config(tmp_path, extra='[hal]\ncamera = "picamera2"\n')
    rc, out, err = camsweep(capsys, "--config", str(conf), "calibrate", "ring", "--wall")
    assert rc == 1 and out[0].startswith("camera: ") and "apt install python3-picamera2" in out[1]
    assert "Traceback" not in err


# --- ppm --------------------------------------------------------------------------------


class ToneSdr:
    """A receiver hearing carriers through a crystal `crystal_ppm` fast (LO high)."""

    def __init__(
        self,
        tones: list[tuple[float, float]],
        crystal_ppm: float = 0.0,
        configured_ppm: int = 0,
        noise: float = 0.03,
    ) -> None:
        self.tones = tones
        self.error_ppm = crystal_ppm - configured_ppm
        self.noise = noise
        self._center = 100e6
        self._n = 0
        self._rng = np.random.default_rng(7)

    rate_sps = 2.4e6
    gain_db = 30.0

    @property
    def center_hz(self) -> float:
        return self._center

    def tune(self, center_hz: float) -> None:
        self._center = center_hz

    def set_gain(self, gain_db: float) -> None: ...

    def gains_db(self) -> list[float]:
        return [30.0]

    def read(self, n: int) -> IqBlock:
        # One crystal clocks the tuner's LO and the ADC: both run `error_ppm` fast.
        scale = 1 + self.error_ppm * 1e-6
        t = (self._n + np.arange(n)) / (self.rate_sps * scale)
        self._n += n
        lo = self._center * scale
        x = self.noise * (self._rng.standard_normal(n) + 1j * self._rng.standard_normal(n))
        for freq_hz, amp in self.tones:
            if abs(freq_hz - lo) < 0.45 * self.rate_sps:  # the tuner's anti-alias filter
                x += amp * np.exp(2j * np.pi * (freq_hz - lo) * t)
        iq = np.empty(2 * n)
        iq[0::2], iq[1::2] = x.real, x.imag
        data = np.clip(np.round((iq + 1.0) * 127.5), 0, 255).astype(np.uint8)
        return IqBlock(self._center, self.rate_sps, t[0], data, self.gain_db)

    def describe(self) -> str:
        return "tone receiver"

    def close(self) -> None: ...


@pytest.mark.parametrize(("crystal", "configured", "line"), [
    (23.4, 0, "crystal error +23.4 ppm: set sdr.ppm = 23 in /etc/camsweep/config.toml"),
    (-57.2, -50, "crystal error -7.2 ppm left after sdr.ppm = -50: set sdr.ppm = -57 in "
                 "/etc/camsweep/config.toml"),
    (12.3, 12, "crystal error +0.3 ppm left after sdr.ppm = 12: sdr.ppm = 12 is right"),
])  # fmt: skip
def test_ppm_on_a_synthetic_carrier(crystal: float, configured: int, line: str) -> None:
    ref = 162.55e6
    sdr = ToneSdr([(ref, 0.3), (ref + 120e3, 0.05)], crystal, configured)
    r = measure_ppm(sdr, ref, configured, 400e3, 4096)
    assert abs(r.error_ppm - (crystal - configured)) < 0.2
    assert r.blocks == 20 and r.spread_ppm < 0.2 and r.ok
    lines = r.lines("/etc/camsweep/config.toml")
    assert lines[0].startswith("strongest carrier within 150 kHz of 162.550000 MHz: 162.5")
    assert lines[0].endswith("(20 blocks, spread 0.0 ppm)")
    assert lines[1] == line


def test_ppm_without_a_carrier_says_so() -> None:
    r = measure_ppm(ToneSdr([]), 433.92e6, 0, 400e3, 0)
    assert not r.ok and r.lines("x")[0].startswith("no carrier stands out within 150 kHz")


def test_ppm_on_the_virtual_room(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = bench_config(tmp_path)
    rc, out, _ = camsweep(capsys, "--config", str(conf), "calibrate", "ppm", "--ref-hz", "162.55M")
    assert rc == 0 and out[1] == f"crystal error +11.9 ppm: set sdr.ppm = 12 in {conf}"
    conf = bench_config(tmp_path, extra="[sdr]\nppm = 12\n")
    rc, out, _ = camsweep(
        capsys, "--config", str(conf), "calibrate", "ppm", "--ref-hz", "162550000"
    )
    assert (
        rc == 0
        and out[1] == "crystal error -0.1 ppm left after sdr.ppm = 12: sdr.ppm = 12 is right"
    )


def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = str(bench_config(tmp_path))
    rc, _, err = camsweep(capsys, "--config", conf, "calibrate", "ppm", "--ref-hz", "2.4G")
    assert rc == 2 and "outside what an RTL-SDR receives (24-1766 MHz)" in err
    rc, _, err = camsweep(capsys, "--config", conf, "calibrate", "ring", "--readings", "0")
    assert rc == 2 and "--readings must be 1 or more" in err
    with pytest.raises(SystemExit) as exc:
        cli.main(["--config", conf, "calibrate", "ppm", "--ref-hz", "abc"])
    assert exc.value.code == 2 and "'abc' is not a frequency" in capsys.readouterr().err
    none = bench_config(tmp_path, extra='[hal]\nsdr = "none"\n')
    rc, _, err = camsweep(capsys, "--config", str(none), "calibrate", "rf")
    assert rc == 2 and 'hal.sdr is "none"' in err and "Traceback" not in err
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    conf = str(bench_config(tmp_path))
    rc, _, err = camsweep(capsys, "--config", conf, "--state-dir", str(blocked), "calibrate", "rf")
    assert rc == 2 and "give a writable --state-dir" in err


# --- rf ---------------------------------------------------------------------------------


def test_rf_on_the_virtual_room(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = bench_config(tmp_path)
    state = tmp_path / "state"
    rc, out, _ = camsweep(capsys, "--config", str(conf), "--state-dir", str(state),
                          "calibrate", "rf")  # fmt: skip
    assert rc == 0
    assert re.match(
        r'^band plan "custom": noise floor -\d+\.\d dBFS median at gain 29.7 dB$', out[0]
    )
    assert out[1] == "self-generated signals (virtual room, no terminator): 1"
    assert re.match(r"^ +162\.548 MHz +\+\d+\.\d dB$", out[2])  # the carrier, 11.9 ppm low
    assert re.match(r"^ring switching adds at most \+\d\.\d dB: ok$", out[3])
    saved = state / "calibration" / "rf_self.json"
    assert out[4] == f"saved to {saved}"
    data = json.loads(saved.read_text())
    assert data["ok"] is True and data["band_plan"] == "custom"
    assert [round(s["freq_hz"] / 1e3) for s in data["signals"]] == [162548]
    assert len(data["hops"]["center_hz"]) == len(data["hops"]["floor_ring_off_dbfs"]) > 1


def test_a_spur_added_by_the_ring_is_caught() -> None:
    cfg = load(overrides={"rf": {"band_plan": "custom", "custom_ranges_mhz": [[100.0, 104.0]]}})
    off = sweep_once(ToneSdr([]), cfg)
    switching = sweep_once(ToneSdr([(101.3e6, 0.05)]), cfg)
    adds_db, at_hz = ring_adds(switching, off)
    assert adds_db > 20 and abs(at_hz - 101.3e6) < 5e3
    quiet_db, _ = ring_adds(off, sweep_once(ToneSdr([]), cfg))
    assert abs(quiet_db) < 1.0
    report = RfSelfReport("custom", 30.0, -40.0, "terminator fitted", (), (), adds_db, at_hz,
                          (), (), ())  # fmt: skip
    lines = report.lines()
    assert not report.ok and lines[2].startswith("ring switching adds up to +")
    assert "at 101.300 MHz): too much (limit +3 dB)" in lines[2] and "twist each" in lines[3]


# --- the whole sequence -----------------------------------------------------------------


def test_unattended_sequence_runs_every_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = bench_config(tmp_path)
    base = ["--config", str(conf), "--state-dir", str(tmp_path / "s"), "calibrate"]
    rc, out, _ = camsweep(capsys, *base, "--ref-hz", "162550000")
    # The bench has a lens 2 m ahead, no wall at 0.5 m: the beam is too dim to place.
    assert rc == 1 and out[-1] == "1 step(s) need attention: ring"
    assert [x for x in out if x.startswith("step ")] == [
        "step 1 of 3: ring alignment", "step 2 of 3: SDR frequency correction (ppm)",
        "step 3 of 3: RF baseline of the device itself",
    ]  # fmt: skip
    assert sum(bool(BEAM_LINE.match(x)) for x in out) == 1
    assert sum(bool(GLINT_LINE.match(x)) for x in out) == calibrate.UNATTENDED_READINGS
    assert any(x.startswith("crystal error +11.9 ppm") for x in out)
    assert any(x.startswith("saved to ") for x in out)
    assert any(BEAM_LINE.match(x) and "too dim" in x for x in out)
    rc, out, _ = camsweep(capsys, *base)
    assert rc == 1 and out[-1] == "1 step(s) need attention: ring (skipped: ppm)"
    assert any(x.startswith("skipped: no reference frequency") for x in out)


def test_at_a_terminal_each_step_is_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibrate, "_interactive", lambda: True)
    answers = iter(["n", "", "162.55M", "q"])
    asked: list[str] = []

    def fake_input(prompt: str = "") -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", fake_input)
    conf = bench_config(tmp_path)
    rc, out, _ = camsweep(capsys, "--config", str(conf), "calibrate")
    assert rc == 0 and asked[0] == "run it? [Y/n/q] " and asked[2].startswith("reference freq")
    assert len(asked) == 4  # ring skipped, ppm run with the typed reference, rf refused
    assert any(x.startswith("crystal error +11.9 ppm") for x in out)
    assert not any(BEAM_LINE.match(x) for x in out)
    assert out[-1] == "all steps OK (skipped: ring, rf)"


def test_parser_wiring() -> None:
    args: Any = cli.build_parser().parse_args(["calibrate", "ring", "--wall"])
    assert args.func is calibrate.run and args.step == "ring" and args.wall
    args = cli.build_parser().parse_args(["calibrate"])
    assert args.step is None and args.sequence_ref_hz is None
