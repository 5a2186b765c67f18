"""Errors a user can fix. They carry a message-catalogue key, never a sentence, so every
locale words them itself; the router turns them into replies."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, key: str, **params: Any):
        self.key, self.params = key, params
        super().__init__(key, params)


class Refused(DomainError):
    """The actor may not do this. Its wording never reveals what exists."""
