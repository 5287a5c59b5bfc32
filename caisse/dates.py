"""Dates as people in the shop write and read them: 02/12/2026, 02/12/2026 14:05:09."""

from __future__ import annotations

from datetime import date, datetime

from .money import BadAmount


def day_text(value: date | datetime | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def moment_text(value: datetime | None, seconds: bool = True) -> str:
    """A moment without its microseconds (never `14:05:09.123456`)."""
    if not value:
        return ""
    return f"{value:%d/%m/%Y %H:%M:%S}" if seconds else f"{value:%d/%m/%Y %H:%M}"


def parse_day(text: str, what: str = "La date") -> date:
    """`02/12/2026` (or `2/12/2026`, `02-12-2026`) -> a date; a sentence otherwise."""
    raw = (text or "").strip().replace("-", "/").replace(".", "/")
    try:
        day, month, year = (int(part) for part in raw.split("/"))
        if year < 100:
            year += 2000
        return date(year, month, day)
    except (ValueError, TypeError):
        raise BadAmount(f"{what} « {text} » n'est pas une date : écrivez-la jj/mm/aaaa, par exemple "
                        f"{date.today():%d/%m/%Y}.") from None
