"""Articles at the counter: found by code, EAN or id (a code wins over an EAN), searched by label, and a
line's amounts computed once, here, for drafts, tickets, voids and returns."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from caisse.common.errors import SaleRefused
from caisse.common.money import ZERO, cents, eur, qty
from pipeline.names import ascii_digits


@dataclass(frozen=True)
class Article:
    id_article: int
    code: str
    libelle: str
    prix_ttc: Decimal
    taux: Decimal | None
    unite: str | None = None  # its unit's code (t_unite): U is sold by whole numbers, KG or L by any quantity

    @property
    def whole(self) -> bool:
        """Sold by the piece: a quantity of 1,5 means a mistake."""
        return (self.unite or "").strip().upper() in WHOLE_UNITS


WHOLE_UNITS = {"U", "UN", "UNITE", "UNITÉ", "PCE", "PC", "PIECE", "PIÈCE", "P", "PAIRE", "LOT"}


@dataclass(frozen=True)
class Line:
    """A line's values in t_ligne_ticket's order (without ids): what a draft, a ticket and a return hold."""

    num_ligne: int
    id_article: int | None
    code_article: str
    libelle: str
    quantite: Decimal
    prix_unitaire_ttc: Decimal
    remise: Decimal
    taux_tva: Decimal
    montant_ttc: Decimal
    montant_ht: Decimal
    id_ligne_origine: str | None = None  # in a void or a return: the line taken back


_ARTICLES = """
    SELECT a.id_article, a.code, a.ean, coalesce(a.libelle, a.code), a.prix_ttc, t.taux, u.code FROM t_article a
    LEFT JOIN tr_tva t USING (id_tva) LEFT JOIN t_unite u USING (id_unite)
    WHERE coalesce(a.actif, true) AND (a.code IN ({marks}) OR a.ean IN ({marks}) OR a.id_article IN ({ids}))"""


def find_articles_exact(con: duckdb.DuckDBPyConnection, queries: list[str]) -> dict[str, Article]:
    """Each query (code, EAN or id) -> its active article; SaleRefused for one that is not found."""
    found: dict[str, Article] = {}
    rank: dict[str, int] = {}
    wanted = set(queries)
    texts = sorted(wanted)
    ids = [int(q) for q in texts if ascii_digits(q) and len(q) < 18] or [-1]
    sql = _ARTICLES.format(marks=", ".join("?" * len(texts)), ids=", ".join("?" * len(ids)))
    for ident, code, ean, libelle, prix, taux, unite in con.execute(sql, texts + texts + ids).fetchall():
        for key, strength in ((str(ident), 0), (ean, 1), (code, 2)):
            if key in wanted and strength >= rank.get(key, -1):
                found[key], rank[key] = Article(ident, code, libelle, prix, taux, unite), strength
    for query in queries:
        if query not in found:
            raise SaleRefused(f"Article « {query} » introuvable (ni code, ni EAN, ni identifiant d'un article actif).")
        if found[query].taux is None:
            raise SaleRefused(f"L'article {found[query].code} n'a pas de taux de TVA connu : réimportez tr_tva.")
    return found


def exact_code(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The code of the active article whose code or EAN is exactly `text` (a code before an EAN, as
    find_articles_exact ranks them), or None: the scanner's lookup, before any search by label."""
    rows = con.execute("SELECT code FROM t_article WHERE coalesce(actif, true) AND (code = ? OR ean = ?) "
                       "ORDER BY code = ? DESC LIMIT 1", [text, text, text]).fetchall()
    return rows[0][0] if rows else None


def find_article(con: duckdb.DuckDBPyConnection, query: str) -> Article:
    return find_articles_exact(con, [query])[query]


def search_articles(con: duckdb.DuckDBPyConnection, text: str, limit: int = 20) -> list[tuple]:
    """(code, ean, libelle, prix_ttc) of active articles whose code, EAN or label contains `text` (accents and
    case ignored)."""
    like = f"%{text.strip()}%"
    return con.execute("SELECT code, ean, libelle, prix_ttc FROM t_article WHERE coalesce(actif, true) AND "
                       "(code ILIKE ? OR ean LIKE ? OR strip_accents(libelle) ILIKE strip_accents(?)) "
                       f"ORDER BY code LIMIT {int(limit)}", [like, like, like]).fetchall()


def make_line(num: int, article: Article, quantite: Decimal, remise: Decimal = ZERO,
              max_quantity: Decimal = Decimal("999")) -> Line:
    """A sale line, its amounts computed once: TTC = quantity x price - discount, HT from the VAT rate."""
    quantite = Decimal(quantite).quantize(Decimal("0.001"))
    if quantite <= 0:
        raise SaleRefused(f"La quantité de {article.code} doit être positive.")
    if quantite > max_quantity:
        raise SaleRefused(f"La quantité de {article.code} ({qty(quantite)}) dépasse {qty(max_quantity)} : "
                          "vérifiez la saisie.")
    if article.whole and quantite != quantite.to_integral_value():
        raise SaleRefused(f"{article.libelle} se vend à l'unité : la quantité doit être un nombre entier "
                          f"({qty(quantite)} refusé).")
    remise = cents(remise)
    gross = cents(quantite * article.prix_ttc)
    if remise < 0 or remise > gross:
        raise SaleRefused(f"La remise {eur(remise)} sur {article.code} doit être comprise entre 0 et le montant de la "
                          f"ligne ({eur(gross)}).")
    ttc = gross - remise
    return Line(num, article.id_article, article.code, article.libelle, quantite, article.prix_ttc, remise,
                article.taux, ttc, ht_of(ttc, article.taux))


def ht_of(ttc: Decimal, taux: Decimal) -> Decimal:
    return cents(ttc * 100 / (100 + taux))
