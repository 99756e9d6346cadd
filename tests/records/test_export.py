"""Reports: HTML (checked in headless Chromium), JSON and CSV, with and without findings."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from device.cli import main
from device.records import export
from device.records.recorder import png
from device.records.report import describe_finding
from device.records.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def fill(state: Path) -> tuple[int, int]:
    """Two sweeps: one with a lens and an RF finding, one clear."""
    with Store.open(state) as store:
        hit = store.begin_sweep(room="204", operator="ana", device_id="cs-1")
        crop = png(np.full((24, 24), 200, dtype=np.uint8))
        crop_path = store.write_evidence(hit, "lens-0.png", crop)
        store.add_finding(
            hit, 12.0, "lens", "camera lens", 0.94,
            {"bearing_deg": [5.0, -3.0], "cycles": 6}, evidence_path=str(crop_path),
        )  # fmt: skip
        store.add_finding(
            hit, 30.0, "rf", "analog video ch 1200", 0.55,
            {"novelty": "new", "kind": "continuous"}, freq_hz=1.2e9,
        )  # fmt: skip
        freqs = np.linspace(900e6, 1400e6, 400)
        store.save_spectrum(hit, "baseline", freqs.tolist(), [-90.0] * 400)
        last = -90.0 + 30.0 * np.exp(-(((freqs - 1.2e9) / 9e6) ** 2))
        store.save_spectrum(hit, "last", freqs.tolist(), last.tolist())
        store.finish_sweep(hit, "camera", 0.94, coverage={"lens glints": 12})
        clear = store.begin_sweep(room="205", operator="ana", device_id="cs-1")
        store.finish_sweep(clear, "clear", 0.0)
    return hit, clear


def test_html_is_self_contained(tmp_path: Path) -> None:
    hit, clear = fill(tmp_path)
    with Store.open(tmp_path) as store:
        page = export.to_html(store, [store.sweep(hit), store.sweep(clear)])
    assert "data:image/png;base64," in page  # the crop is embedded, not linked
    assert "<svg" in page and "1200 MHz" in page
    assert "2.4/5.8 GHz" in page
    assert "src='/" not in page and "href=" not in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (./install.sh --dev)")
@pytest.mark.parametrize("which", ["hit", "clear"])
def test_html_loads_in_chromium_and_shows_the_verdict(tmp_path: Path, which: str) -> None:
    hit, clear = fill(tmp_path / "state")
    sweep = hit if which == "hit" else clear
    out = tmp_path / "report.html"
    rc = main(["--state-dir", str(tmp_path / "state"), "report", str(sweep), "-o", str(out)])
    assert rc == 0
    dom = subprocess.run(
        [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", out.as_uri()],
        capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    assert "camsweep sweep report" in dom
    expected = "CAMERA" if which == "hit" else "CLEAR"
    assert f">{expected}</span>" in dom
    assert ("No findings." in dom) is (which == "clear")


def test_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(tmp_path)
    assert main(["--state-dir", str(tmp_path), "report", "--room", "204", "--format", "json"]) == 0
    (sweep,) = json.loads(capsys.readouterr().out)
    assert sweep["verdict"] == "camera"
    assert [f["channel"] for f in sweep["findings"]] == ["lens", "rf"]
    assert sweep["spectrum_baseline"]["power_dbfs"][0] == -90.0
    since = "2000-01-01"
    assert main(["--state-dir", str(tmp_path), "report", "--since", since, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 3  # two findings of the first sweep, one line for the clear sweep
    assert {r["verdict"] for r in rows} == {"camera", "clear"}
    assert [r["freq_mhz"] for r in rows if r["finding_channel"] == "rf"] == ["1200.000"]


def test_history_lists_sweeps_and_interrupted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(tmp_path)
    with Store.open(tmp_path) as store:
        crashed = store.begin_sweep(room="206")
        store.update_sweep(crashed, owner_pid=2**22 + 17)  # no such process
        store.recover_interrupted()
    assert main(["--state-dir", str(tmp_path), "history"]) == 0
    out = capsys.readouterr().out
    assert "interrupted" in out and "204" in out and "camera" in out


def test_report_of_unknown_sweep_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Store.open(tmp_path).close()
    assert main(["--state-dir", str(tmp_path), "report", "42"]) == 2
    assert "no sweep 42" in capsys.readouterr().err


@pytest.mark.parametrize(("passes", "held", "text"), [
    (1, 0, "one pass only"), (3, 0, "3 separate passes"),
    (3, 2, "3 separate passes, held across the view on 2")])
def test_lens_findings_say_how_many_passes_confirmed_them(passes: int, held: int,
                                                          text: str) -> None:
    """A manager reading a clear report with a lens finding needs to see it was seen once,
    or on passes that never held it across the view (what raises the alert)."""
    f = {"channel": "lens", "label": "camera lens", "confidence": 0.5, "t_s": 3.0,
         "bearing_deg": [1.0, 2.0], "cycles": 5, "passes": passes, "held_passes": held}
    assert text in describe_finding(f)
    assert text in export._finding_html(f)
