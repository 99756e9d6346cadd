"""Hardware-layer protocols: what the workers, UI and self-test may ask of each part.

Backends (real, replay, simulated) implement these; `device.hal.registry` picks one from the
config. Every part is a context manager with an idempotent `close()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

from PIL import Image

from device.events import Frame, IqBlock


class PartError(RuntimeError):
    """A hardware part failed or is missing; `fix` tells the user what to do."""

    def __init__(self, part: str, problem: str, fix: str = "") -> None:
        self.part = part
        self.problem = problem
        self.fix = fix
        super().__init__(f"{part}: {problem}" + (f" — {fix}" if fix else ""))


class BackendUnavailable(PartError):
    """The backend's library is not installed (or not on this kind of machine)."""


class EndOfData(Exception):
    """A replay or simulated source has nothing more to give (end of file / sweep)."""


@runtime_checkable
class Camera(Protocol):
    """Grey-level frames with locked exposure; the vision worker toggles the ring between them."""

    def start(self) -> None:
        """Configure and start streaming with exposure and gain locked."""
        ...

    def capture(self) -> Frame:
        """Block until the next frame; raises EndOfData at the end of a replay/sweep."""
        ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


@runtime_checkable
class IrRing(Protocol):
    """The IR LED ring around the lens, switched by a MOSFET on a GPIO pin."""

    @property
    def is_on(self) -> bool: ...

    def set(self, on: bool) -> None:
        """Switch the ring; the transition time is logged on the device clock."""
        ...

    def transitions(self, since_s: float = 0.0) -> list[tuple[float, bool]]:
        """(t_s, on) for every change at or after `since_s`, oldest first."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class TimedRing(IrRing, Protocol):
    """A ring that can switch at a set instant: between two frames' exposures, so no frame
    sees the transition and every frame is usable."""

    def set_at(self, on: bool, at_s: float, scale: float = 1.0) -> bool:
        """Switch at device time `at_s`; False (nothing scheduled) when that is too soon.
        `scale` dims an ON switch where the ring can be dimmed (`can_dim`)."""
        ...


@runtime_checkable
class Sdr(Protocol):
    """An RTL-SDR-like receiver: tune, fixed rate, manual gain, raw uint8 IQ."""

    @property
    def rate_sps(self) -> float: ...

    @property
    def center_hz(self) -> float: ...

    @property
    def gain_db(self) -> float: ...

    def tune(self, center_hz: float) -> None: ...

    def set_gain(self, gain_db: float) -> None:
        """Set the nearest supported gain; -1 selects the tuner's AGC."""
        ...

    def gains_db(self) -> list[float]:
        """Supported manual gains, ascending."""
        ...

    def read(self, n_samples: int) -> IqBlock:
        """Read `n_samples` complex samples as 2*n interleaved bytes; EndOfData at end."""
        ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


@runtime_checkable
class Display(Protocol):
    """A 128x64 monochrome OLED (or the in-memory dummy)."""

    @property
    def size(self) -> tuple[int, int]: ...

    def show(self, image: Image.Image) -> None:
        """Send a mode "1" image of `size` to the panel."""
        ...

    def last_image(self) -> Image.Image | None: ...

    def close(self) -> None: ...


@runtime_checkable
class Buzzer(Protocol):
    """A passive buzzer driven by PWM at an audible frequency."""

    def tone(self, freq_hz: float) -> None: ...

    def off(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Vibration(Protocol):
    """A small vibration motor (silent mode)."""

    def set(self, on: bool) -> None: ...

    def close(self) -> None: ...


ButtonName = Literal["mode", "ack"]
PressKind = Literal["short", "long"]
ButtonHandler = Callable[[ButtonName, PressKind], None]


@runtime_checkable
class Buttons(Protocol):
    """The two push buttons; reports short and long presses after debouncing."""

    def on_press(self, handler: ButtonHandler) -> None: ...

    def close(self) -> None: ...
