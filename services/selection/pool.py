"""The selection's vocabulary, shared by the engine and the maximin over types: features, types, errors.

Imports nothing of the selection package, so :mod:`services.selection.engine` and
:mod:`services.selection.type_maximin` can both use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Emit = Callable[[float, str], None]
Features = dict[str, dict[str, tuple[int, int]]]


class EngineError(Exception):
    """The draw cannot be made; ``messages`` say why, in Chinese."""

    def __init__(self, messages: list[str], kind: str = "infeasible") -> None:
        self.messages = messages
        self.kind = kind
        super().__init__("；".join(messages))


@dataclass(frozen=True)
class Type:
    """Applicants sharing one value per feature; ``members`` are application ids in order."""

    key: tuple[str, ...]
    members: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.members)
