"""Export the enclosure's printable parts to binary STL with OpenSCAD.

    python3 hardware/tools/export_stl.py            # hardware/enclosure/camsweep_{body,lid}.stl
    python3 hardware/tools/export_stl.py --fn 24    # coarser circles, smaller files

OpenSCAD 2021.01 (Debian bookworm: `apt-get install openscad`) writes ASCII STL; the binary
form of the same triangles is about five times smaller, so that is what gets committed.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from kit_config import REPO_ROOT

ENCLOSURE = REPO_ROOT / "hardware" / "enclosure"
SCAD = ENCLOSURE / "camsweep_enclosure.scad"
PARTS = ("body", "lid")
DEFAULT_FN = 40

Vec = tuple[float, float, float]
Facet = tuple[Vec, Vec, Vec, Vec]  # normal, then three vertices


def read_ascii_stl(text: str) -> list[Facet]:
    """Facets of an ASCII STL."""
    facets: list[Facet] = []
    normal: Vec = (0.0, 0.0, 0.0)
    vertices: list[Vec] = []
    for line in text.splitlines():
        words = line.split()
        if words[:2] == ["facet", "normal"]:
            normal = (float(words[2]), float(words[3]), float(words[4]))
            vertices = []
        elif words[:1] == ["vertex"]:
            vertices.append((float(words[1]), float(words[2]), float(words[3])))
        elif words[:1] == ["endfacet"]:
            if len(vertices) != 3:
                raise ValueError("an STL facet needs exactly three vertices")
            facets.append((normal, vertices[0], vertices[1], vertices[2]))
    return facets


def binary_stl(facets: list[Facet], name: str) -> bytes:
    """Binary STL bytes: 80-byte header, facet count, 50 bytes per facet.

    CGAL emits the same facets in a different order from run to run; sorting them makes
    an unchanged model export to identical bytes, so the committed files only change
    when the shape does.
    """
    header = f"camsweep {name} (binary STL, mm)".encode("ascii").ljust(80, b" ")
    records = sorted(struct.pack("<12fH", *(c for v in f for c in v), 0) for f in facets)
    return b"".join([header, struct.pack("<I", len(records)), *records])


def export(part: str, out: Path, fn: int, openscad: str) -> int:
    """Render one part to a binary STL; returns the facet count."""
    with tempfile.TemporaryDirectory() as tmp:
        ascii_path = Path(tmp) / f"{part}.stl"
        cmd = [openscad, "-o", str(ascii_path), "-D", f'part="{part}"', "-D", f"fn={fn}", str(SCAD)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not ascii_path.exists():
            raise RuntimeError(f"openscad failed for {part}:\n{done.stderr}")
        facets = read_ascii_stl(ascii_path.read_text(encoding="ascii"))
    out.write_bytes(binary_stl(facets, part))
    return len(facets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fn", type=int, default=DEFAULT_FN, help="facets per circle")
    parser.add_argument("--out", type=Path, default=ENCLOSURE)
    args = parser.parse_args(argv)
    openscad = shutil.which("openscad")
    if openscad is None:
        print("error: openscad not found; install it with `sudo apt-get install openscad`",
              file=sys.stderr)  # fmt: skip
        return 2
    for part in PARTS:
        path = args.out / f"camsweep_{part}.stl"
        count = export(part, path, args.fn, openscad)
        print(f"{path}: {count} facets, {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
