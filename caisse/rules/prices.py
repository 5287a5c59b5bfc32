"""Every price an article or a variant had, from each import, and what the law asks of them during sales
(Code de la consommation L112-1-1, the Omnibus directive): a price reduction shows the reference price, the
lowest price applied in the 30 days before the reduction. The import says which prices changed (up, down,
new) before and after it is applied; the back-office lists them as a batch of labels to print (tr_etiquette).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

import duckdb

from caisse.rules.articles import Line

REFERENCE_DAYS = 30

_NOW_PRICES = """
    SELECT id_article, NULL::BIGINT AS id_declinaison, prix_ttc FROM t_article WHERE prix_ttc IS NOT NULL
    UNION ALL SELECT id_article, id_declinaison, prix_ttc FROM t_declinaison WHERE prix_ttc IS NOT NULL"""
_CHANGES = f"""
    WITH maintenant AS ({_NOW_PRICES}),
    dernier AS (SELECT id_article, id_declinaison, arg_max(prix_ttc, depuis) AS prix FROM prix_article GROUP BY ALL)
    SELECT m.id_article, m.id_declinaison, m.prix_ttc, d.prix FROM maintenant m LEFT JOIN dernier d
    ON d.id_article = m.id_article AND d.id_declinaison IS NOT DISTINCT FROM m.id_declinaison
    WHERE d.prix IS DISTINCT FROM m.prix_ttc"""


@dataclass
class PriceChanges:
    """What an import changes in the prices: how many went up, down, and new ones; the first of each, to show."""

    up: int = 0
    down: int = 0
    new: int = 0
    first: list[tuple] = field(default_factory=list)  # (code, label, size/colour, before, after), ups and downs

    @property
    def any(self) -> bool:
        return bool(self.up or self.down or self.new)


def record_prices(con: duckdb.DuckDBPyConnection, lot: str, now: datetime, shown: int = 20) -> PriceChanges:
    """Append to the price history every price the catalogue just loaded holds and the history does not (in the
    import's transaction), and say what changed."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE prix_change AS {_CHANGES}")
    up, down, new = con.execute("SELECT count(*) FILTER (prix_ttc > prix), count(*) FILTER (prix_ttc < prix), "
                                "count(*) FILTER (prix IS NULL) FROM prix_change").fetchall()[0]
    first = con.execute("""
        SELECT a.code, coalesce(a.libelle, a.code), trim(coalesce(d.taille, '') || ' ' || coalesce(d.couleur, '')),
               c.prix, c.prix_ttc
        FROM prix_change c JOIN t_article a USING (id_article) LEFT JOIN t_declinaison d USING (id_declinaison)
        WHERE c.prix IS NOT NULL ORDER BY abs(c.prix_ttc - c.prix) DESC, a.code LIMIT ?""", [shown]).fetchall()
    con.execute("INSERT INTO prix_article (id_article, id_declinaison, prix_ttc, prix_precedent, depuis, lot) "
                "SELECT id_article, id_declinaison, prix_ttc, prix, ?, ? FROM prix_change", [now, lot])
    con.execute("DROP TABLE prix_change")
    return PriceChanges(up, down, new, first)


def label_batch(con: duckdb.DuckDBPyConnection, since: datetime) -> list[tuple]:
    """The labels to print for the prices changed since `since` (not the first prices of a new catalogue):
    (label type, code, EAN, article, size/colour, old price, new price, since), by label type then code."""
    return con.execute("""
        SELECT coalesce(e.libelle, e.code, 'Étiquette standard'), a.code, coalesce(d.ean, a.ean),
               coalesce(a.libelle, a.code), trim(coalesce(d.taille, '') || ' ' || coalesce(d.couleur, '')),
               p.prix_precedent, p.prix_ttc, p.depuis
        FROM prix_article p JOIN t_article a USING (id_article) LEFT JOIN t_declinaison d USING (id_declinaison)
        LEFT JOIN tr_etiquette e ON e.id_etiquette = a.id_etiquette
        WHERE p.depuis >= ? AND p.prix_precedent IS NOT NULL
        ORDER BY 1, a.code, d.id_declinaison NULLS FIRST, p.depuis""", [since]).fetchall()


def with_reference_prices(con: duckdb.DuckDBPyConnection, lines: list[Line], now: datetime) -> list[Line]:
    """The lines, each reduced one (a discount, a forced price, or a markdown: its price lower than the lowest of
    the 30 days before) with its reference price, when the history knows one."""
    ids = sorted({line.id_article for line in lines if line.id_article is not None})
    if not ids:
        return lines
    history: dict[tuple, list[tuple[datetime, Decimal, Decimal | None]]] = {}
    for article, variant, price, before, since in con.execute(
            "SELECT id_article, id_declinaison, prix_ttc, prix_precedent, depuis FROM prix_article WHERE id_article IN "
            "(SELECT unnest(?::BIGINT[])) AND depuis <= ? ORDER BY depuis", [ids, now]).fetchall():
        history.setdefault((article, variant), []).append((since, price, before))
    out = []
    for line in lines:
        rows = history.get((line.id_article, line.id_declinaison)) or history.get((line.id_article, None))
        reference = reference_price(rows or [], now)
        reduced = line.remise > 0 or (reference is not None and line.prix_unitaire_ttc < reference)
        out.append(replace(line, prix_reference=reference) if reduced and reference is not None else line)
    return out


def reference_price(rows: list[tuple[datetime, Decimal, Decimal | None]], now: datetime) -> Decimal | None:
    """The lowest price in effect in the 30 days before the reduction: before the current price's start when it
    is a markdown (lower than the one before), else before `now`. `rows`: (since, price, previous), oldest first."""
    if not rows:
        return None
    since, price, before = rows[-1]
    end = since if before is not None and price < before else now
    start = end - timedelta(days=REFERENCE_DAYS)
    in_effect = [p for (s, p, _), following in zip(rows, rows[1:] + [(None, None, None)])
                 if s < end and (following[0] is None or following[0] > start)]
    return min(in_effect) if in_effect else None
