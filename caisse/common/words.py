"""French words that depend on a count, shared by every message (no dependency of its own)."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """« 0 ligne », « 1 ligne », « 2 lignes » (`many` for a word whose plural is not word + s)."""
    return f"{count} {word if abs(count) <= 1 else (many or word + 's')}"


TEXT_LIMIT = 200  # characters of a typed reason or comment: it is printed, journaled and archived for years


def too_long(text: str, what: str, limit: int = TEXT_LIMIT) -> str | None:
    """The sentence that refuses a typed `text` over `limit` characters (None when it fits): « Le motif … »."""
    if len(text) <= limit:
        return None
    return (f"{what} est trop long ({len(text)} caractères) : {limit} au plus. Résumez-le ; le détail peut aller "
            "dans un document à part.")


TRAINING_MARK = "*** MODE FORMATION ***"  # above and below what a register in training prints and shows
