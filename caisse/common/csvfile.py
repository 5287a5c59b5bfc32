"""CSV for French Excel: `;` between cells, decimal comma, dates dd/mm/yyyy hh:mm:ss, UTF-8 with its BOM, CRLF.
A text cell that a spreadsheet would read as a formula (beginning with = + - @, a tab or a carriage return)
is made text with a leading apostrophe: a comment typed `=HYPERLINK(...)` stays a comment."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from caisse.common.dates import day_text, moment_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return moment_text(value)
    if isinstance(value, date):
        return day_text(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def french_csv(rows: list[dict]) -> bytes:
    """The rows (same keys in each, the first row's order) as a CSV file French Excel opens as it should."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    if rows:
        writer.writerow([cell(k) for k in rows[0]])
        for row in rows:
            writer.writerow([cell(v) for v in row.values()])
    return out.getvalue().encode("utf-8-sig")
