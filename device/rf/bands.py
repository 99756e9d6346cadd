"""What the RF channel sweeps and what it calls what it finds: band plans and the band table.

Plans and labels are data. Frequencies in MHz here because that is how band plans are
published (3GPP TS 36.101 table 5.5-1 for LTE, ETSI EN 300 220 for SRD 868, ITU region
allocations for broadcast); everything outside this module works in Hz.
"""

from __future__ import annotations

from dataclasses import dataclass

# Shown wherever RF results are reported (OLED, sweep report, CLI): an RTL-SDR tuner
# stops at 1766 MHz.
COVERAGE_NOTE = (
    "RF covers 24-1766 MHz only: it cannot see 2.4 GHz or 5.8 GHz "
    "(WiFi cameras, 2.4/5.8 GHz video senders)"
)

TUNER_MIN_MHZ = 24.0  # R820T/R828D lower tuning limit
TUNER_MAX_MHZ = 1766.0  # R820T/R828D upper tuning limit

# Analog video sender channel centres sold for "0.9 GHz" and "1.2/1.3 GHz" kits.
VIDEO_CHANNELS_MHZ: tuple[float, ...] = (
    910.0, 980.0, 1010.0, 1040.0, 1080.0, 1120.0, 1160.0, 1200.0, 1240.0, 1258.0, 1280.0,
    1320.0, 1360.0,
)
VIDEO_WIDTH_MHZ = 18.0  # FM video with its sound subcarriers occupies 15-20 MHz

# Uplinks a GSM/LTE camera module transmits on, below the tuner's 1766 MHz limit.
CELL_UPLINKS_MHZ: tuple[tuple[float, float, str], ...] = (
    (699.0, 716.0, "LTE B12 uplink"),
    (703.0, 748.0, "LTE B28 uplink"),
    (777.0, 787.0, "LTE B13 uplink"),
    (824.0, 849.0, "GSM850/LTE B5 uplink"),
    (832.0, 862.0, "LTE B20 uplink"),
    (880.0, 915.0, "GSM900/LTE B8 uplink"),
    (1710.0, 1766.0, "DCS1800/LTE B3 uplink"),
)

ISM_MHZ: tuple[tuple[float, float, str], ...] = (
    (314.5, 315.5, "ISM 315")  # keyfobs and sensors sit at 315.0 +- 0.3 MHz
   ,
    (433.05, 434.79, "ISM 433"),
    (863.0, 870.0, "ISM 868"),
    (902.0, 928.0, "ISM 915"),
)

# Ambient emitters every room has: labelled so the report can say what they are; the room
# baseline is what keeps them out of the findings.
AMBIENT_MHZ: tuple[tuple[float, float, str], ...] = (
    (87.5, 108.0, "FM broadcast"),
    (108.0, 137.0, "airband"),
    (144.0, 148.0, "2 m amateur"),
    (174.0, 240.0, "DAB/TV broadcast"),
    (446.0, 446.2, "PMR446"),
    (470.0, 694.0, "TV broadcast"),
    (729.0, 746.0, "cell downlink (B12)"),
    (746.0, 756.0, "cell downlink (B13)"),
    (758.0, 803.0, "cell downlink (B28)"),
    (791.0, 821.0, "cell downlink (B20)"),
    (869.0, 894.0, "cell downlink (GSM850/B5)"),
    (925.0, 960.0, "cell downlink (GSM900/B8)"),
    (1164.0, 1215.0, "GNSS L5/E5"),
    (1559.0, 1610.0, "GNSS L1"),
)


@dataclass(frozen=True)
class BandLabel:
    """A named frequency range; `min_bw_hz`/`max_bw_hz` say which emitters it fits."""

    lo_hz: float
    hi_hz: float
    label: str
    min_bw_hz: float = 0.0
    max_bw_hz: float = float("inf")

    def contains(self, freq_hz: float) -> bool:
        return self.lo_hz <= freq_hz <= self.hi_hz

    @property
    def span_hz(self) -> float:
        return self.hi_hz - self.lo_hz


def _video_label(center_mhz: float) -> str:
    band = "0.9 GHz" if center_mhz < 1070.0 else "1.2 GHz"
    return f"analog video {band} ch {center_mhz:g}"


def _build_table() -> tuple[BandLabel, ...]:
    mhz = 1e6
    rows: list[BandLabel] = []
    for ch in VIDEO_CHANNELS_MHZ:
        half = VIDEO_WIDTH_MHZ / 2.0
        # Only wide emitters are video: a 200 kHz GSM burst at 910 MHz is not.
        rows.append(BandLabel((ch - half) * mhz, (ch + half) * mhz, _video_label(ch), 3e6))
    for lo, hi, name in CELL_UPLINKS_MHZ:
        rows.append(BandLabel(lo * mhz, hi * mhz, name, 0.0, 20e6))
    for lo, hi, name in ISM_MHZ:
        rows.append(BandLabel(lo * mhz, hi * mhz, name, 0.0, 2e6))
    for lo, hi, name in AMBIENT_MHZ:
        rows.append(BandLabel(lo * mhz, hi * mhz, name))
    return tuple(rows)


BAND_TABLE: tuple[BandLabel, ...] = _build_table()


def label_for(
    center_hz: float, bandwidth_hz: float, table: tuple[BandLabel, ...] = BAND_TABLE
) -> str:
    """The band table's name for an emitter; overlapping allocations are joined with " / "."""
    hits = [b for b in table if b.contains(center_hz)]
    fitting = [b for b in hits if b.min_bw_hz <= bandwidth_hz <= b.max_bw_hz]
    chosen = fitting or hits
    if not chosen:
        return f"unlisted {center_hz / 1e6:.3f} MHz"
    if any(b.label.startswith("analog video") for b in chosen):
        chosen = [b for b in chosen if b.label.startswith("analog video")]
        # Nearest channel centre wins when two channels' skirts overlap.
        chosen.sort(key=lambda b: abs((b.lo_hz + b.hi_hz) / 2.0 - center_hz))
        return chosen[0].label
    # What a camera could be first (uplinks, ISM), then broadcast/downlink, narrowest first.
    ambient = {label for _, _, label in AMBIENT_MHZ}
    chosen.sort(key=lambda b: (b.label in ambient, b.span_hz))
    names: list[str] = []
    for b in chosen:
        if b.label not in names:
            names.append(b.label)
    return " / ".join(names[:2])


# --- band plans ------------------------------------------------------------------------

Range = tuple[float, float]


def merge_ranges(ranges: list[Range] | tuple[Range, ...], join_gap_hz: float = 0.0) -> list[Range]:
    """Sorted union of [lo, hi] ranges; ranges closer than `join_gap_hz` are joined."""
    out: list[Range] = []
    for lo, hi in sorted((float(a), float(b)) for a, b in ranges):
        if hi <= lo:
            raise ValueError(f"empty range [{lo}, {hi}]")
        if out and lo <= out[-1][1] + join_gap_hz:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def full_plan_hz() -> list[Range]:
    """Everything the tuner reaches."""
    return [(TUNER_MIN_MHZ * 1e6, TUNER_MAX_MHZ * 1e6)]


def camera_plan_hz(video_span_hz: float) -> list[Range]:
    """Where camera transmitters live: video channel centres, cellular uplinks, ISM bands."""
    ranges: list[Range] = []
    for ch in VIDEO_CHANNELS_MHZ:
        ranges.append((ch * 1e6 - video_span_hz / 2.0, ch * 1e6 + video_span_hz / 2.0))
    for lo, hi, _ in CELL_UPLINKS_MHZ + ISM_MHZ:
        ranges.append((lo * 1e6, min(hi, TUNER_MAX_MHZ) * 1e6))
    return merge_ranges(ranges)


def custom_plan_hz(ranges_mhz: tuple[tuple[float, ...], ...]) -> list[Range]:
    """Ranges given in the config as [[low_mhz, high_mhz], ...]."""
    if not ranges_mhz:
        raise ValueError(
            "rf.band_plan is \"custom\" but rf.custom_ranges_mhz is empty: "
            "add [[low_mhz, high_mhz], ...] or choose band_plan = \"camera\""
        )
    return merge_ranges([(float(r[0]) * 1e6, float(r[1]) * 1e6) for r in ranges_mhz])


def plan_ranges(
    name: str, custom_mhz: tuple[tuple[float, ...], ...], video_span_hz: float
) -> list[Range]:
    """The frequency ranges of plan `name` (camera | full | custom)."""
    if name == "full":
        return full_plan_hz()
    if name == "camera":
        return camera_plan_hz(video_span_hz)
    if name == "custom":
        return custom_plan_hz(custom_mhz)
    raise ValueError(f"unknown band plan {name!r}: use camera, full or custom")
