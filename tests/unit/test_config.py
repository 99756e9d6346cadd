"""Config loading: defaults are valid; bad user files fail naming the file and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from device import config
from device.tomlmodel import ModelError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load_and_are_frozen() -> None:
    cfg = config.load()
    assert cfg.pins.ir_ring == 18
    assert cfg.display.i2c_address == 0x3C
    with pytest.raises(AttributeError):
        cfg.pins.ir_ring = 4  # type: ignore[misc]


def test_override_merges_only_given_keys(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path, "[sdr]\ngain_db = 20.7\n"))
    assert cfg.sdr.gain_db == 20.7
    assert cfg.sdr.rate_sps == 2_400_000


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[sdr]\ngain = 3\n", "sdr.gain", "unknown key"),
        ("[sdrr]\ngain_db = 3\n", "sdrr", "unknown key"),
        ("[sdr]\ngain_db = 'high'\n", "sdr.gain_db", "expected a number"),
        ("[alert]\nsensitivity = 9\n", "alert.sensitivity", "above the maximum"),
        ("[hal]\ncamera = 'webcam'\n", "hal.camera", "not one of"),
        ("[pins]\nbuzzer = 18\n", "pins.buzzer", "already used by pins.ir_ring"),
        ("[pins]\nir_ring = 2\n", "pins.ir_ring", "I2C"),
        ("[sdr]\nrate_sps = 500000\n", "sdr.rate_sps", "not a valid RTL-SDR rate"),
        ("[rf]\ncustom_ranges_mhz = [[900.0, 800.0]]\n", "rf.custom_ranges_mhz[0]", "low < high"),
        ("[records]\nenabled = 1\n", "records.enabled", "true or false"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ModelError) as info:
        config.load(path)
    message = str(info.value)
    assert str(path) in message
    assert info.value.path == key
    assert words in message


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not valid TOML"):
        config.load(write(tmp_path, "[sdr\n"))
    with pytest.raises(ModelError, match="file not found"):
        config.load(tmp_path / "absent.toml")


def test_cli_config_check_reports_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from device.cli import main

    good = write(tmp_path, "[ui]\nmute = true\n")
    assert main(["--config", str(good), "config", "--check"]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[ui]\nmuted = true\n", encoding="utf-8")
    assert main(["--config", str(bad), "config", "--check"]) == 2
    err = capsys.readouterr().err
    assert "ui.muted" in err and "unknown key" in err and "Traceback" not in err


def test_cli_config_show_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    import tomllib

    from device.cli import main

    assert main(["config", "--show"]) == 0
    shown = tomllib.loads(capsys.readouterr().out)
    assert shown["pins"]["ir_ring"] == 18
    assert shown["rf"]["custom_ranges_mhz"] == []
