"""The shape of a scenario file: room, lenses, distractors, emitters, ambient RF, sweep.

Only declarations and ranges live here (see docs/scenarios.md for every key); loading and
cross-checks are in `device.sim.scenario`. Coordinates are metres in the room frame: x east,
y north, z up, origin at the south-west floor corner. Directions are `[azimuth_deg,
elevation_deg]`: azimuth 0 = east (+x), 90 = north (+y); elevation 90 = straight up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from device.tomlmodel import bounded

POS = bounded(-1.0, 50.0, doc="metres, room frame")
DIR = bounded(-360.0, 360.0, doc="[azimuth_deg, elevation_deg]")
UNIT = bounded(0.0, 1.0)
FS = bounded(0.0, 1000.0, doc="radiance in full-scale units at the reference exposure")


def check_vec(value: tuple[float, ...], n: int, name: str) -> tuple[str, str] | None:
    """Problem for a vector key of the wrong length, as `validate()` returns it."""
    if len(value) != n:
        return name, f"expected {n} numbers, got {len(value)}"
    return None


def check_dir(value: tuple[float, ...], name: str) -> tuple[str, str] | None:
    """A direction is [azimuth_deg, elevation_deg] with elevation within -90..90."""
    return check_vec(value, 2, name) or (
        (name, "elevation (second number) must be within -90..90")
        if not -90.0 <= value[1] <= 90.0
        else None
    )


def first_problem(*problems: tuple[str, str] | None) -> tuple[str, str] | None:
    return next((p for p in problems if p is not None), None)


@dataclass(frozen=True)
class Window:
    """A window in one wall: bright in daylight, dark glass otherwise."""

    wall: str = field(metadata=bounded(choices=("north", "south", "east", "west")))
    center_m: float = field(metadata=bounded(0.0, 50.0, doc="along the wall"))
    sill_m: float = field(metadata=bounded(0.0, 10.0))
    width_m: float = field(metadata=bounded(0.1, 20.0))
    height_m: float = field(metadata=bounded(0.1, 10.0))


@dataclass(frozen=True)
class Furniture:
    """An axis-aligned box (bed, desk, wardrobe...) that the background texture shows."""

    kind: str
    min_m: tuple[float, ...] = field(metadata=POS)
    max_m: tuple[float, ...] = field(metadata=POS)
    albedo: float = field(default=0.4, metadata=bounded(0.02, 0.98))

    def validate(self) -> tuple[str, str] | None:
        problem = first_problem(
            check_vec(self.min_m, 3, "min_m"), check_vec(self.max_m, 3, "max_m")
        )
        if problem is None and any(a >= b for a, b in zip(self.min_m, self.max_m, strict=True)):
            return "max_m", "each coordinate of max_m must be larger than min_m's"
        return problem


@dataclass(frozen=True)
class Room:
    size_m: tuple[float, ...] = field(metadata=bounded(0.5, 50.0))
    lighting: str = field(metadata=bounded(choices=("dark", "office", "daylight")))
    wall_albedo: float = field(default=0.6, metadata=bounded(0.02, 0.98))
    floor_albedo: float = field(default=0.3, metadata=bounded(0.02, 0.98))
    ceiling_albedo: float = field(default=0.8, metadata=bounded(0.02, 0.98))
    flicker_hz: float = field(default=100.0, metadata=bounded(0.0, 1000.0))
    flicker_depth: float = field(default=0.0, metadata=UNIT)
    window: Window | None = None
    furniture: tuple[Furniture, ...] = ()

    def validate(self) -> tuple[str, str] | None:
        return check_vec(self.size_m, 3, "size_m")


@dataclass(frozen=True)
class Lens:
    """A hidden camera's lens: retro-reflects the ring only near its axis."""

    id: str
    position_m: tuple[float, ...] = field(metadata=POS)
    axis_deg: tuple[float, ...] = field(metadata=DIR)
    aperture_mm: float = field(metadata=bounded(0.5, 10.0))
    pinhole: bool = False
    cone_deg: float = field(default=22.0, metadata=bounded(3.0, 60.0))
    reflectivity: float = field(default=1.0, metadata=bounded(0.0, 2.0))
    housing: str = field(default="none", metadata=bounded(choices=("none", "box", "disc")))
    housing_size_m: float = field(default=0.08, metadata=bounded(0.01, 1.0))
    housing_albedo: float = field(default=0.5, metadata=bounded(0.02, 0.98))

    def validate(self) -> tuple[str, str] | None:
        return first_problem(
            check_vec(self.position_m, 3, "position_m"), check_dir(self.axis_deg, "axis_deg")
        )


@dataclass(frozen=True)
class Placed:
    """Common keys of every distractor: where it is and which way its surface faces."""

    kind: str
    id: str
    position_m: tuple[float, ...] = field(metadata=POS)

    def validate(self) -> tuple[str, str] | None:
        problem = check_vec(self.position_m, 3, "position_m")
        normal = getattr(self, "normal_deg", None)
        if problem is None and normal is not None:
            problem = check_dir(normal, "normal_deg")
        size = getattr(self, "size_m", None)
        if problem is None and size is not None:
            problem = check_vec(size, 2, "size_m")
        return problem


@dataclass(frozen=True)
class Screw(Placed):
    """A convex metal head: a small ring highlight from any direction, fading as 1/d^4."""

    normal_deg: tuple[float, ...] = field(default=(0.0, 0.0), metadata=DIR)
    radius_mm: float = field(default=4.0, metadata=bounded(0.5, 30.0))
    reflectivity: float = field(default=0.6, metadata=UNIT)


@dataclass(frozen=True)
class Flat(Placed):
    """A flat specular surface (mirror, glass): the ring's image near normal incidence."""

    normal_deg: tuple[float, ...] = field(default=(0.0, 0.0), metadata=DIR)
    size_m: tuple[float, ...] = field(default=(0.5, 0.5), metadata=bounded(0.01, 10.0))
    reflectivity: float = field(default=0.9, metadata=UNIT)


@dataclass(frozen=True)
class Faceted(Placed):
    """Glossy plastic or a crinkled bag: many tiny mirror facets, glints that twinkle."""

    normal_deg: tuple[float, ...] = field(default=(0.0, 0.0), metadata=DIR)
    size_m: tuple[float, ...] = field(default=(0.3, 0.2), metadata=bounded(0.01, 5.0))
    facets: int = field(default=200, metadata=bounded(1, 2000))
    roughness_deg: float = field(default=30.0, metadata=bounded(0.5, 80.0))
    glint_deg: float = field(default=3.0, metadata=bounded(0.2, 20.0))
    reflectivity: float = field(default=0.01, metadata=UNIT)
    albedo: float = field(default=0.6, metadata=bounded(0.02, 0.98))


@dataclass(frozen=True)
class Eyes(Placed):
    """Eyes in a glossy photo: a pair of small convex highlights side by side."""

    normal_deg: tuple[float, ...] = field(default=(0.0, 0.0), metadata=DIR)
    size_m: tuple[float, ...] = field(default=(0.2, 0.25), metadata=bounded(0.02, 3.0))
    separation_m: float = field(default=0.03, metadata=bounded(0.005, 0.5))
    radius_mm: float = field(default=6.0, metadata=bounded(0.5, 30.0))
    reflectivity: float = field(default=0.3, metadata=UNIT)
    albedo: float = field(default=0.45, metadata=bounded(0.02, 0.98))


@dataclass(frozen=True)
class Tape(Placed):
    """Retro-reflective tape: bright over wide angles, an extended strip."""

    normal_deg: tuple[float, ...] = field(default=(0.0, 0.0), metadata=DIR)
    size_m: tuple[float, ...] = field(default=(0.3, 0.025), metadata=bounded(0.002, 5.0))
    angle_deg: float = field(default=0.0, metadata=bounded(-180.0, 180.0))
    gain: float = field(default=1.0, metadata=bounded(0.0, 10.0))
    half_angle_deg: float = field(default=45.0, metadata=bounded(5.0, 89.0))


@dataclass(frozen=True)
class Led(Placed):
    """A self-lit standby LED: the same with the ring ON or OFF."""

    brightness: float = field(default=8.0, metadata=FS)
    size_mm: float = field(default=3.0, metadata=bounded(0.3, 20.0))
    flicker_hz: float = field(default=0.0, metadata=bounded(0.0, 10000.0))
    flicker_depth: float = field(default=0.0, metadata=UNIT)


@dataclass(frozen=True)
class Lamp(Placed):
    """A self-lit lamp shade; may flicker at twice the mains frequency and light the room."""

    radius_m: float = field(default=0.12, metadata=bounded(0.01, 1.0))
    brightness: float = field(default=2.0, metadata=FS)
    flicker_hz: float = field(default=100.0, metadata=bounded(0.0, 10000.0))
    flicker_depth: float = field(default=0.1, metadata=UNIT)
    lights_room: bool = True


@dataclass(frozen=True)
class Tv(Placed):
    """A TV: changing content and backlight flicker when on, a black glossy pane when off."""

    normal_deg: tuple[float, ...] = field(default=(0.0, 0.0), metadata=DIR)
    size_m: tuple[float, ...] = field(default=(0.9, 0.5), metadata=bounded(0.05, 5.0))
    on: bool = True
    brightness: float = field(default=0.6, metadata=FS)
    flicker_hz: float = field(default=240.0, metadata=bounded(0.0, 10000.0))
    flicker_depth: float = field(default=0.2, metadata=UNIT)
    cut_s: float = field(default=3.0, metadata=bounded(0.1, 600.0))
    reflectivity: float = field(default=0.05, metadata=UNIT)


@dataclass(frozen=True)
class Mirror(Flat):
    """A mirror: the ring's image near normal incidence; a grey pane under room light."""

    reflectivity: float = field(default=0.9, metadata=UNIT)
    albedo: float = field(default=0.4, metadata=bounded(0.02, 0.98))


@dataclass(frozen=True)
class Glass(Flat):
    """Clear glass (a picture's glazing, a table top): two surfaces of about 4 % each."""

    reflectivity: float = field(default=0.08, metadata=UNIT)


@dataclass(frozen=True)
class GlossyPlastic(Faceted):
    """A shiny housing: few facets close to the surface normal."""

    facets: int = field(default=40, metadata=bounded(1, 2000))
    roughness_deg: float = field(default=6.0, metadata=bounded(0.5, 80.0))
    glint_deg: float = field(default=2.5, metadata=bounded(0.2, 20.0))
    reflectivity: float = field(default=0.01, metadata=UNIT)


@dataclass(frozen=True)
class PlasticBag(Faceted):
    """Crinkles point every way: many glints, each seen over a few degrees."""

    facets: int = field(default=400, metadata=bounded(1, 2000))
    roughness_deg: float = field(default=35.0, metadata=bounded(0.5, 80.0))
    glint_deg: float = field(default=4.0, metadata=bounded(0.2, 20.0))
    reflectivity: float = field(default=0.004, metadata=UNIT)


DISTRACTOR_KINDS: dict[str, type[Placed]] = {
    "screw": Screw,
    "mirror": Mirror,
    "glass": Glass,
    "glossy_plastic": GlossyPlastic,
    "plastic_bag": PlasticBag,
    "photo_eyes": Eyes,
    "retro_tape": Tape,
    "standby_led": Led,
    "lamp": Lamp,
    "tv": Tv,
}

SELF_LIT_KINDS = ("standby_led", "lamp", "tv")


@dataclass(frozen=True)
class Station:
    """A place the person stands to sweep one part of the room in a Z pattern."""

    position_m: tuple[float, ...] = field(metadata=POS)
    facing_deg: float = field(metadata=bounded(-360.0, 360.0))
    yaw_span_deg: float = field(default=100.0, metadata=bounded(0.0, 360.0))
    pitch_deg: tuple[float, ...] = field(default=(-30.0, 30.0), metadata=bounded(-85.0, 85.0))
    rows: int = field(default=3, metadata=bounded(1, 20))

    def validate(self) -> tuple[str, str] | None:
        problem = first_problem(
            check_vec(self.position_m, 2, "position_m"), check_vec(self.pitch_deg, 2, "pitch_deg")
        )
        if problem is None and self.pitch_deg[0] > self.pitch_deg[1]:
            return "pitch_deg", "give [lowest, highest] pitch"
        return problem


@dataclass(frozen=True)
class Sweep:
    """How the person moves: door first (RF baseline), then each station in turn, looping."""

    door_m: tuple[float, ...] = field(metadata=POS)
    door_facing_deg: float = field(metadata=bounded(-360.0, 360.0))
    stations: tuple[Station, ...]
    door_dwell_s: float = field(default=8.0, metadata=bounded(0.0, 600.0))
    hand_height_m: float = field(default=1.3, metadata=bounded(0.2, 2.5))
    arm_m: float = field(default=0.35, metadata=bounded(0.0, 1.0))
    walk_speed_mps: float = field(default=0.6, metadata=bounded(0.05, 3.0))
    speed_dps: float = field(default=25.0, metadata=bounded(1.0, 300.0))
    jitter_deg: float = field(default=0.3, metadata=bounded(0.0, 10.0))
    jitter_mm: float = field(default=3.0, metadata=bounded(0.0, 100.0))
    tremor_hz: float = field(default=9.0, metadata=bounded(1.0, 30.0))

    def validate(self) -> tuple[str, str] | None:
        if not self.stations:
            return "stations", "give at least one [[sweep.stations]]"
        return check_vec(self.door_m, 2, "door_m")
