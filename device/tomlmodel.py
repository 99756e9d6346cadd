"""Strict TOML -> frozen dataclass loading shared by the config and the scenario files.

Every field of a model dataclass may carry `metadata` with `min`, `max` (inclusive) and
`choices`. Unknown keys, missing keys, wrong types and out-of-range values raise
`ModelError` naming the file and the dotted key path, so a user can find the line to fix.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


class ModelError(ValueError):
    """A TOML document does not match its model; the message names file and key path."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        self.source = source
        self.path = path
        self.problem = problem
        where = f"{source}: " if source else ""
        key = f"{path}: " if path else ""
        super().__init__(f"{where}{key}{problem}")


def bounded(
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[Any, ...] | None = None,
    doc: str = "",
) -> dict[str, Any]:
    """Field metadata for range/choice validation (`field(metadata=bounded(0, 1))`)."""
    return {"min": lo, "max": hi, "choices": choices, "doc": doc}


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning syntax and I/O errors into `ModelError`."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ModelError(str(path), "", "file not found") from exc
    except PermissionError as exc:
        raise ModelError(
            str(path), "", "permission denied (check the file's owner and mode)"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(str(path), "", f"not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ModelError(str(path), "", "not a UTF-8 text file") from exc


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return `base` with `override` merged in; nested tables merge, other values replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " | ".join(_type_name(a) for a in get_args(tp))
    if origin in (list, tuple):
        args = get_args(tp)
        return f"list of {_type_name(args[0])}" if args else "list"
    if isinstance(tp, type):
        return {"str": "string", "int": "integer", "float": "number", "bool": "true/false"}.get(
            tp.__name__, f"table ({tp.__name__})"
        )
    return str(tp)


def _convert(tp: Any, value: Any, source: str, path: str) -> Any:
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ModelError(source, path, f"expected a table, got {type(value).__name__}")
        return build(tp, value, source, path)
    if origin in (types.UnionType, typing.Union):
        for arg in get_args(tp):
            try:
                return _convert(arg, value, source, path)
            except ModelError:
                continue
        raise ModelError(source, path, f"expected {_type_name(tp)}, got {value!r}")
    if origin is typing.Literal:
        if value not in get_args(tp):
            raise ModelError(source, path, f"expected one of {_type_name(tp)}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ModelError(source, path, f"expected {_type_name(tp)}, got {value!r}")
        (item_tp, *_rest) = get_args(tp) or (Any,)
        items = [_convert(item_tp, v, source, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items)
    if tp is Any:
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ModelError(source, path, f"expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ModelError(source, path, f"expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ModelError(source, path, f"expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ModelError(source, path, f"expected a string, got {value!r}")
        return value
    raise ModelError(source, path, f"unsupported field type {tp!r}")


def _check_bounds(meta: typing.Mapping[str, Any], value: Any, source: str, path: str) -> None:
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ModelError(source, path, f"{value!r} is not one of {allowed}")
    lo, hi = meta.get("min"), meta.get("max")
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if not isinstance(v, int | float) or isinstance(v, bool):
            continue
        if lo is not None and v < lo:
            raise ModelError(source, path, f"{v!r} is below the minimum {lo!r}")
        if hi is not None and v > hi:
            raise ModelError(source, path, f"{v!r} is above the maximum {hi!r}")


def build(cls: type[T], data: dict[str, Any], source: str = "", prefix: str = "") -> T:
    """Build dataclass `cls` from a TOML table, strictly (see module docstring)."""
    if not isinstance(data, dict):
        raise ModelError(source, prefix, f"expected a table, got {type(data).__name__}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ModelError(source, _join(prefix, key), f"unknown key (known keys here: {known})")
    kwargs: dict[str, Any] = {}
    for name, fld in fields.items():
        path = _join(prefix, name)
        if name not in data:
            if fld.default is not dataclasses.MISSING:
                kwargs[name] = fld.default
                continue
            if fld.default_factory is not dataclasses.MISSING:
                kwargs[name] = fld.default_factory()
                continue
            raise ModelError(source, path, "missing required key")
        value = _convert(hints[name], data[name], source, path)
        _check_bounds(fld.metadata, value, source, path)
        kwargs[name] = value
    obj = cls(**kwargs)
    check = getattr(obj, "validate", None)
    if callable(check):
        problem = check()
        if problem:
            path, message = problem
            raise ModelError(source, _join(prefix, path), message)
    return obj


def to_dict(obj: Any) -> Any:
    """Dataclass tree -> plain dict/list tree (tuples become lists) for printing as TOML/JSON."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_dict(v) for v in obj]
    return obj


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
