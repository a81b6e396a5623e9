"""Looking an engine up by name in its registry (the reasoners, the validators, the engine sets)."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def lookup(registry: dict[str, T], name: str, kind: str) -> T:
    """The entry `name` of `registry`; ValueError naming the `kind` and the known names."""
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(registry)
        raise ValueError(f"unknown {kind} {name!r}; use one of {known}") from None
