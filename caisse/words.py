"""French words that depend on a count, shared by every message (no dependency of its own)."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """« 0 ligne », « 1 ligne », « 2 lignes » (`many` for a word whose plural is not word + s)."""
    return f"{count} {word if abs(count) <= 1 else (many or word + 's')}"
