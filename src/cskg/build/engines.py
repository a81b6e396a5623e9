"""The engine sets a build or a validation runs with, decided here once: the default (Rust,
fast) and the reference (pure Python, slow, for cross-checks). Callers name a set; from here on
the engines travel as objects."""

from __future__ import annotations

from dataclasses import dataclass

from cskg.build.reason import REASONERS, Reasoner
from cskg.build.registry import lookup
from cskg.build.shacl import VALIDATORS, Validator


@dataclass(frozen=True)
class Engines:
    """A reasoner and a validator."""

    reasoner: Reasoner
    validator: Validator

    def names(self) -> dict[str, str]:
        """As build.json and the command line show them."""
        return {"reasoner": self.reasoner.name, "validator": self.validator.name}


ENGINE_SETS: dict[str, Engines] = {
    "default": Engines(REASONERS["reasonable"], VALIDATORS["pyrudof"]),
    "reference": Engines(REASONERS["owlrl"], VALIDATORS["pyshacl"]),
}


def engine_set(name: str) -> Engines:
    """The engine set called `name` (`default` or `reference`); ValueError for another."""
    return lookup(ENGINE_SETS, name, "engine set")
