"""The enclosure: committed STLs are valid, closed, small and hand-sized; the OpenSCAD
source renders (when `openscad` is installed: apt package `openscad`) to the same shapes."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from hw_facts import HARDWARE

ENCLOSURE = HARDWARE / "enclosure"
SCAD = ENCLOSURE / "camsweep_enclosure.scad"
PARTS = ("body", "lid")
MAX_STL_BYTES = 2_000_000
Vertex = tuple[float, float, float]
Triangle = tuple[Vertex, Vertex, Vertex]


def _vertex(values: tuple[float, ...] | tuple[str, ...]) -> Vertex:
    x, y, z = (float(v) for v in values)
    return x, y, z


def read_stl(path: Path) -> list[Triangle]:
    """Triangles of a binary or ASCII STL."""
    data = path.read_bytes()
    if len(data) >= 84:
        (count,) = struct.unpack_from("<I", data, 80)
        if len(data) == 84 + 50 * count:
            triangles = []
            for i in range(count):
                v = struct.unpack_from("<12f", data, 84 + 50 * i)
                triangles.append((_vertex(v[3:6]), _vertex(v[6:9]), _vertex(v[9:12])))
            return triangles
    text = data.decode("ascii")
    assert text.lstrip().startswith("solid"), f"{path.name} is neither binary nor ASCII STL"
    vertices = [_vertex(m.groups()) for m in re.finditer(r"vertex\s+(\S+)\s+(\S+)\s+(\S+)", text)]
    assert len(vertices) % 3 == 0
    return [(vertices[i], vertices[i + 1], vertices[i + 2]) for i in range(0, len(vertices), 3)]


def bounding_box(triangles: list[Triangle]) -> Vertex:
    points = [p for t in triangles for p in t]
    low = [min(p[i] for p in points) for i in range(3)]
    high = [max(p[i] for p in points) for i in range(3)]
    return high[0] - low[0], high[1] - low[1], high[2] - low[2]


def open_edges(triangles: list[Triangle]) -> int:
    """Edges not shared by exactly two triangles (0 for a closed, printable mesh)."""
    edges: Counter[tuple[Vertex, Vertex]] = Counter()
    for tri in triangles:
        keys = [_vertex(tuple(round(c, 3) for c in v)) for v in tri]
        for a, b in ((0, 1), (1, 2), (2, 0)):
            edges[min(keys[a], keys[b]), max(keys[a], keys[b])] += 1
    return sum(1 for n in edges.values() if n != 2)


@pytest.mark.parametrize("part", PARTS)
def test_committed_stl_is_valid_small_and_closed(part: str) -> None:
    path = ENCLOSURE / f"camsweep_{part}.stl"
    assert path.exists(), f"missing {path.name}: run python3 hardware/tools/export_stl.py"
    assert path.stat().st_size < MAX_STL_BYTES
    triangles = read_stl(path)
    assert len(triangles) > 500
    assert open_edges(triangles) == 0, f"{path.name} is not a closed mesh"


def test_body_is_hand_sized_and_holds_a_pi() -> None:
    x, y, z = bounding_box(read_stl(ENCLOSURE / "camsweep_body.stl"))
    assert 56 + 26 < x < 110, "wide enough for a Pi 4/5 beside the SDR, narrow enough to hold"
    assert 85 + 40 < y < 180, "long enough for the Pi plus the camera end"
    assert 20 < z < 45


def test_lid_covers_the_body() -> None:
    body = bounding_box(read_stl(ENCLOSURE / "camsweep_body.stl"))
    lid = bounding_box(read_stl(ENCLOSURE / "camsweep_lid.stl"))
    assert lid[0] == pytest.approx(body[0], abs=0.01)
    assert lid[1] == pytest.approx(body[1], abs=0.01)
    assert lid[2] < 15


OPENSCAD = shutil.which("openscad")
needs_openscad = pytest.mark.skipif(
    OPENSCAD is None, reason="openscad not installed (apt-get install openscad; install.sh --dev)"
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both parts rendered at low resolution, in parallel (CGAL takes a few seconds each)."""
    assert OPENSCAD is not None
    out_dir = tmp_path_factory.mktemp("scad")
    procs = {
        part: subprocess.Popen(
            [
                OPENSCAD,
                "-o",
                str(out_dir / f"{part}.stl"),
                "-D",
                f'part="{part}"',
                "-D",
                "fn=12",
                str(SCAD),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for part in PARTS
    }
    for part, proc in procs.items():
        _, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, f"openscad failed on {part}:\n{stderr}"
        assert "WARNING" not in stderr, stderr
    return {part: out_dir / f"{part}.stl" for part in PARTS}


@needs_openscad
@pytest.mark.parametrize("part", PARTS)
def test_scad_renders_to_the_committed_shape(part: str, rendered: dict[str, Path]) -> None:
    fresh = read_stl(rendered[part])
    assert len(fresh) > 100
    committed = bounding_box(read_stl(ENCLOSURE / f"camsweep_{part}.stl"))
    assert bounding_box(fresh) == pytest.approx(committed, abs=0.5), (
        "the committed STL is stale: run python3 hardware/tools/export_stl.py"
    )


@needs_openscad
def test_led_ring_sits_close_around_the_lens(tmp_path: Path) -> None:
    assert OPENSCAD is not None
    echo = tmp_path / "model.echo"  # evaluates the parameters without rendering
    subprocess.run([OPENSCAD, "-o", str(echo), str(SCAD)], check=True, capture_output=True)
    m = re.search(r"ring_r = ([\d.]+) mm .*aperture_r = ([\d.]+) mm", echo.read_text())
    assert m, "the model must echo ring_r and aperture_r"
    ring_r, aperture_r = float(m.group(1)), float(m.group(2))
    # Retro-reflection is seen only near the axis: LEDs within ~12 mm of the lens centre,
    # yet outside the cone the lens looks through.
    assert aperture_r + 2.6 < ring_r < 12.5
