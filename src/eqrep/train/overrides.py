"""Typed overrides of a frozen dataclass config: ``--set model.v_dim=8 --set lr=3e-4``.

:func:`apply_overrides` parses each ``KEY=VALUE`` by the type annotation of the field it names
(``int``, ``float``, ``bool``, ``str``, ``X | None``, ``tuple[int, ...]``, a nested dataclass
reached with dots) and replaces it with :func:`dataclasses.replace`, so the config's own
validation (``__post_init__``) runs. An unknown key or a value that does not parse raises
:class:`OverrideError` naming the key, the valid keys or the expected type.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

__all__ = ["OverrideError", "parse_value", "apply_overrides", "field_names"]


class OverrideError(ValueError):
    """An override names no field of the config, or its value does not fit the field's type."""


_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def field_names(config: Any, prefix: str = "") -> list[str]:
    """Every settable key of ``config``, nested dataclasses with dots (``model.hidden``)."""
    names = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            names += field_names(value, f"{prefix}{f.name}.")
        else:
            names.append(prefix + f.name)
    return names


def parse_value(text: str, annotation: Any, key: str) -> Any:
    """``text`` as a value of type ``annotation`` (a field's resolved type hint).

    >>> parse_value("3e-4", float, "lr"), parse_value("1,29,29", tuple[int, ...], "shape")
    (0.0003, (1, 29, 29))
    >>> parse_value("none", int | None, "labels") is None
    True
    """
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if text.lower() == "none" and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return parse_value(text, arg, key)
            except OverrideError:
                continue
        raise OverrideError(f"--set {key}={text}: expected {_type_name(annotation)}")
    if origin is tuple:
        items = [item for item in text.strip("()[] ").split(",") if item.strip()]
        item_type = args[0] if args else str
        if len(args) > 1 and args[1] is not Ellipsis:
            if len(items) != len(args):
                raise OverrideError(f"--set {key}={text}: expected {len(args)} comma-separated values")
            return tuple(parse_value(i.strip(), a, key) for i, a in zip(items, args, strict=True))
        return tuple(parse_value(i.strip(), item_type, key) for i in items)
    if annotation is bool:
        if text.lower() not in _BOOLS:
            raise OverrideError(f"--set {key}={text}: expected true or false")
        return _BOOLS[text.lower()]
    if annotation in (int, float):
        try:
            return annotation(text)
        except ValueError:
            raise OverrideError(f"--set {key}={text}: expected {annotation.__name__}") from None
    if annotation is str:
        return text
    raise OverrideError(f"--set {key}: fields of type {_type_name(annotation)} cannot be set from the command line")


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _set(config: Any, path: list[str], text: str, key: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(config)}
    if path[0] not in fields:
        raise OverrideError(f"--set {key}: {type(config).__name__} has no field '{path[0]}'; "
                            f"settable keys: {', '.join(field_names(config))}")
    hints = typing.get_type_hints(type(config))
    current = getattr(config, path[0])
    if len(path) > 1:
        if not dataclasses.is_dataclass(current):
            raise OverrideError(f"--set {key}: '{path[0]}' is not a nested config")
        value = _set(current, path[1:], text, key)
    elif dataclasses.is_dataclass(current):
        raise OverrideError(f"--set {key}: '{path[0]}' is a config; set one of its fields "
                            f"({', '.join(field_names(current, path[0] + '.'))})")
    else:
        value = parse_value(text, hints[path[0]], key)
    try:
        return dataclasses.replace(config, **{path[0]: value})
    except (ValueError, TypeError) as err:
        raise OverrideError(f"--set {key}={text}: {err}") from err


def apply_overrides(config: Any, overrides: list[str] | None) -> Any:
    """``config`` with every ``KEY=VALUE`` of ``overrides`` applied, in order."""
    for item in overrides or []:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise OverrideError(f"--set {item}: expected KEY=VALUE, e.g. --set lr=3e-4")
        config = _set(config, key.strip().split("."), text.strip(), key.strip())
    return config
