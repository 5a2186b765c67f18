"""Errors a user can fix. They carry a message-catalogue key, never a sentence, so every
locale words them itself; the router turns them into replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class DomainError(Exception):
    def __init__(self, key: str, **params: Any):
        self.key, self.params = key, params
        super().__init__(key, params)


class Refused(DomainError):
    """The actor may not do this. Its wording never reveals what exists."""


@dataclass(frozen=True)
class Phrase:
    """A catalogue phrase inside another message's parameters (a leaders' chat named by its
    org, "short name" or "full name", a refusal quoted by the CSV row it came from): worded
    in the reader's locale along with the message that carries it."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
