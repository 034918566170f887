"""Typed stage outputs and their JSON form, made only at the cache and site-file boundary.

A stage returns a frozen dataclass (atlas.analysis.clusters.ClusterMap, ...). `to_json` turns it into
plain lists and dicts for the stage cache and the site's data files; `from_json` builds it back and
fails at once, naming the class and the key, when a field is missing or unknown. So a renamed field
breaks where the data is read, not halfway through rendering a template.

Field types understood: other Stage dataclasses, `tuple[X, ...]` / `list[X]` of them, `X | None`, and
anything JSON holds as it is (str, int, float, bool, dicts and lists of those).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T", bound="JsonData")


class StageDataError(ValueError):
    """Stored data does not have the shape of the dataclass it is read into."""


class JsonData:
    """Mixin for frozen dataclasses that cross the JSON boundary."""

    __slots__ = ()  # so a dataclass(slots=True) stays small: a map has a point per work

    def to_json(self) -> dict:
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls: type[T], data: Any) -> T:
        if not isinstance(data, dict):
            raise StageDataError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        names, fields = _schema(cls)
        if not names.issuperset(data):
            raise StageDataError(f"{cls.__name__}: unknown key(s) {', '.join(sorted(set(data) - names))}")
        values = {}
        for name, hint, required, where in fields:
            if name in data:
                values[name] = _typed(hint, data[name], where)
            elif required:
                raise StageDataError(f"{cls.__name__}: missing key {name}")
        return cls(**values)


@functools.lru_cache(maxsize=None)
def _schema(cls: type) -> tuple[frozenset[str], tuple[tuple[str, Any, bool, str], ...]]:
    """(field names, (name, type hint, required, where) per field) of a JsonData class, worked out once:
    typing.get_type_hints for every object read was most of the time of reading a 10,000-point map back."""
    hints = typing.get_type_hints(cls)
    fields = tuple((f.name, hints[f.name], f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                    f"{cls.__name__}.{f.name}") for f in dataclasses.fields(cls))
    return frozenset(f[0] for f in fields), fields


def read(kind: Any, data: Any) -> Any:
    """`data` (plain JSON) as `kind`: a JsonData class or a type hint such as tuple[Pattern, ...]."""
    return _typed(kind, data, getattr(kind, "__name__", str(kind)))


_PLAIN = frozenset({str, int, float, bool, type(None)})  # types that are their own JSON form


def plain(value: Any) -> Any:
    """`value` with every JsonData in it turned into its JSON form."""
    if isinstance(value, JsonData):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        if all(type(v) in _PLAIN for v in value):  # a column of labels or years: nothing inside to turn
            return list(value)
        return [plain(v) for v in value]
    if isinstance(value, dict):
        if all(type(v) in _PLAIN for v in value.values()):  # {work: guess}: nothing inside to turn
            return dict(value)
        return {k: plain(v) for k, v in value.items()}
    return value


@functools.lru_cache(maxsize=None)
def _parts(hint: Any) -> tuple[Any, tuple]:
    return typing.get_origin(hint), typing.get_args(hint)


def _typed(hint: Any, value: Any, where: str) -> Any:
    origin, args = _parts(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _typed(inner[0], value, where) if len(inner) == 1 else value
    if isinstance(hint, type) and issubclass(hint, JsonData):
        return hint.from_json(value)
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise StageDataError(f"{where}: expected a list, got {type(value).__name__}")
        item = args[0] if args else Any
        items = [_typed(item, v, where) for v in value]
        return tuple(items) if origin is tuple else items
    return value
