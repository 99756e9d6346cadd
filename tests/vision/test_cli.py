"""`camsweep analyze-frames`: formats, bit depths, sizes and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from vision_synth import Scene

from device.vision.classifier import default_model_path
from device.vision.cli import register
from device.vision.offline import common_uint8

pytestmark = pytest.mark.skipif(not default_model_path().is_file(),
                                reason="models/glint.tflite not built (python -m models.train)")


def run_cli(*argv: str) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    register(sub)
    args = parser.parse_args(["analyze-frames", *argv])
    return int(args.func(args))


def _pair(tmp_path: Path, scene: Scene, suffix: str = ".png", bits: int = 8) -> tuple[str, str]:
    paths = []
    for name, on in (("on", True), ("off", False)):
        img = scene.frame(on)
        path = tmp_path / f"{name}{suffix}"
        if bits == 16:
            Image.fromarray(img.astype(np.uint16) << 4).save(path)  # 12-bit data
        else:
            Image.fromarray(img).save(path, quality=95)
        paths.append(str(path))
    return paths[0], paths[1]


def test_json_lines_for_a_glint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scene = Scene(ambient=60, ring_gain=15, seed=21, glints=[(70, 40, 200, 1.2)])
    on, off = _pair(tmp_path, scene)
    assert run_cli("--on", on, "--off", off, "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows, "the glint was not reported"
    assert set(rows[0]) == {"x", "y", "radius_px", "score", "label"}
    assert (rows[0]["x"], rows[0]["y"]) == (40, 70)
    assert 0.0 <= rows[0]["score"] <= 1.0 and rows[0]["label"] in ("lens", "other")


def test_sixteen_bit_png_matches_eight_bit(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    scene = Scene(ambient=60, ring_gain=15, seed=22, glints=[(30, 100, 180, 1.2)])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    on8, off8 = _pair(tmp_path / "a", scene)
    scene2 = Scene(ambient=60, ring_gain=15, seed=22, glints=[(30, 100, 180, 1.2)])
    on16, off16 = _pair(tmp_path / "b", scene2, bits=16)
    assert run_cli("--on", on8, "--off", off8, "--json") == 0
    out8 = capsys.readouterr().out
    assert run_cli("--on", on16, "--off", off16, "--json") == 0
    out16 = capsys.readouterr().out
    assert [json.loads(r)["x"] for r in out8.splitlines()] == \
        [json.loads(r)["x"] for r in out16.splitlines()]


def test_jpeg_and_human_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scene = Scene(ambient=60, ring_gain=15, seed=23, glints=[(60, 60, 200, 1.5)])
    on, off = _pair(tmp_path, scene, suffix=".jpg")
    assert run_cli("--on", on, "--off", off) == 0
    assert "candidate(s)" in capsys.readouterr().out


def test_mismatched_sizes_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(tmp_path / "on.png")
    Image.fromarray(np.zeros((10, 13), np.uint8)).save(tmp_path / "off.png")
    assert run_cli("--on", str(tmp_path / "on.png"), "--off", str(tmp_path / "off.png")) == 2
    err = capsys.readouterr().err
    assert "12x10" in err and "13x10" in err


@pytest.mark.parametrize("content", [b"", b"not an image"])
def test_unreadable_or_empty_file_exit_2(tmp_path: Path, content: bytes,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "ok.png")
    assert run_cli("--on", str(bad), "--off", str(tmp_path / "ok.png")) == 2
    assert "bad.png" in capsys.readouterr().err


def test_missing_file_and_missing_model(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "ok.png")
    assert run_cli("--on", str(tmp_path / "nope.png"), "--off", str(tmp_path / "ok.png")) == 2
    assert "not found" in capsys.readouterr().err
    ok = str(tmp_path / "ok.png")
    assert run_cli("--on", ok, "--off", ok, "--model", str(tmp_path / "m.tflite")) == 2
    assert "m.tflite" in capsys.readouterr().err


def test_tiny_frames_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    on = np.zeros((3, 3), np.uint8)
    on[1, 1] = 200
    Image.fromarray(on).save(tmp_path / "on.png")
    Image.fromarray(np.zeros((3, 3), np.uint8)).save(tmp_path / "off.png")
    assert run_cli("--on", str(tmp_path / "on.png"), "--off", str(tmp_path / "off.png"),
                   "--json") == 0
    rows = [json.loads(r) for r in capsys.readouterr().out.splitlines()]
    assert [(r["x"], r["y"]) for r in rows] == [(1, 1)]


def test_common_scale_keeps_the_difference() -> None:
    on = np.array([[4000, 100]], np.uint16)  # 12-bit data
    off = np.array([[100, 100]], np.uint16)
    a, b = common_uint8(on, off)
    assert a.tolist() == [[250, 6]] and b.tolist() == [[6, 6]]
