"""Dates as people in the shop write and read them: 02/12/2026, 02/12/2026 14:05:09."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from caisse.common.money import BadAmount


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


@dataclass(frozen=True)
class Calendar:
    """When a business day starts, and the fiscal year's first month (settings `debut_journee`, `debut_exercice`)."""

    debut_journee: time = time(0, 0)
    debut_exercice: int = 1

    def business_date(self, opened: datetime) -> date:
        return (opened - timedelta(hours=self.debut_journee.hour, minutes=self.debut_journee.minute)).date()

    def fiscal_year(self, month: str) -> str:
        """The fiscal year a month ('2026-11') belongs to, named by the year it starts in ('2026')."""
        year, number = int(month[:4]), int(month[5:7])
        return str(year if number >= self.debut_exercice else year - 1)

    def year_months(self, year: str) -> tuple[str, str]:
        """The first and last month of fiscal year `year`."""
        start = date(int(year), self.debut_exercice, 1)
        end = date(int(year) + (1 if self.debut_exercice > 1 else 0), (self.debut_exercice - 2) % 12 + 1, 1)
        return f"{start:%Y-%m}", f"{end:%Y-%m}"

    def words(self) -> dict:
        return {"debut_journee": f"{self.debut_journee:%H:%M}", "debut_exercice": self.debut_exercice}
