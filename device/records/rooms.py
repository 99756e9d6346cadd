"""The room list housekeeping picks from: config `records.rooms` plus an optional CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from device.config import RecordsConfig


class RoomListError(ValueError):
    """The room CSV cannot be used; the message says what to fix."""


def load_rooms(cfg: RecordsConfig) -> list[str]:
    """Rooms from config then CSV, in order, without duplicates; the current room first."""
    rooms = list(cfg.rooms)
    if cfg.rooms_csv:
        rooms += read_rooms_csv(Path(cfg.rooms_csv))
    if cfg.room:
        rooms.insert(0, cfg.room)
    return list(dict.fromkeys(r for r in rooms if r))


def read_rooms_csv(path: Path) -> list[str]:
    """A CSV with a `room` column (any case), or else rooms in its first column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RoomListError(
            f"{path}: cannot read the room list ({exc.strerror or exc}); "
            "fix records.rooms_csv in the config"
        ) from exc
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RoomListError(f"{path}: the room list is empty; put one room per line")
    header = [h.strip().lower() for h in rows[0]]
    column = header.index("room") if "room" in header else 0
    body = rows[1:] if "room" in header else rows
    rooms = [r[column].strip() for r in body if len(r) > column and r[column].strip()]
    if not rooms:
        raise RoomListError(f"{path}: no rooms found under the 'room' column")
    return rooms
