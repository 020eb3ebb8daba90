"""Results that ride on a materialization as its metadata and come back typed.

An asset turns its result into metadata with `as_metadata()`; whoever reads the run
(the command line, the tests) gets the same class back with `from_metadata()`, so the
metadata keys are named once, by the fields, and a renamed field breaks loudly.
"""

from __future__ import annotations

from dataclasses import field, fields
from typing import Any, Self

# `field(default_factory=..., metadata=DETAIL)`: shown some other way (a table, say), not as a value.
DETAIL = {"metadata": False}


def detail(default_factory=list):
    return field(default_factory=default_factory, metadata=DETAIL)


class MetadataSummary:
    """Mixed into a frozen dataclass whose fields are plain JSON values."""

    @classmethod
    def _carried(cls):
        return [f for f in fields(cls) if f.metadata.get("metadata", True)]

    def as_metadata(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in self._carried()}

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> Self:
        missing = [f.name for f in cls._carried() if f.name not in metadata]
        if missing:
            raise KeyError(f"{cls.__name__}: the materialization has no {', '.join(missing)}")
        return cls(**{f.name: metadata[f.name] for f in cls._carried()})
