"""Articles at the counter: found by code, EAN or id (a code wins over an EAN), by a variant's EAN (one size and
colour of a model, t_declinaison) or by an extra barcode (t_code_barre), searched by label; a model's grid of sizes
and colours; and a line's amounts computed once, here, for drafts, tickets, voids and returns."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

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
    id_declinaison: int | None = None  # a variant of the model: its size and colour, its price (or the model's)
    taille: str | None = None
    couleur: str | None = None
    variants: int = 0  # a model's active variants: one of them is sold, never the model alone

    @property
    def named(self) -> str:
        """« Chemise Oxford M, bleu ciel »: the model's label with the variant's size and colour."""
        return line_label(self.libelle, self.taille, self.couleur)

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
    id_declinaison: int | None = None
    taille: str | None = None
    couleur: str | None = None
    id_vendeur: int | None = None  # the seller of the line (the connected one by default)
    prix_force: Decimal | None = None  # a unit price forced at the till (CAISSE_PRIX_FORCE): its gap is in remise
    taux_remise: Decimal | None = None  # the line's discount as typed in %, when it was
    motif_remise: str | None = None  # the reason of the line's own discount (or forced price)
    remise_ticket: Decimal | None = None  # the line's share of the ticket's discount, included in remise
    prix_reference: Decimal | None = None  # the lowest price of the 30 days before the discount (L112-1-1)

    @property
    def named(self) -> str:
        return line_label(self.libelle, self.taille, self.couleur)

    @property
    def own_discount(self) -> Decimal:
        """The line's own discount (typed, or a forced price's gap), without its share of the ticket's."""
        return self.remise - (self.remise_ticket or ZERO)

    @property
    def forced_gap(self) -> Decimal:
        return forced_gap(self.quantite, self.prix_unitaire_ttc, self.prix_force)


def forced_gap(quantite: Decimal, prix: Decimal, prix_force: Decimal | None) -> Decimal:
    """What a forced price takes off a line (part of its discount), 0 without one."""
    if prix_force is None:
        return ZERO
    return cents(quantite * prix) - cents(quantite * prix_force)


DETAIL = ("id_declinaison", "taille", "couleur", "id_vendeur", "prix_force", "taux_remise", "motif_remise",
          "remise_ticket", "prix_reference")  # Line's fields after id_ligne_origine, as t_ligne_ticket names them


def line_label(libelle: str, taille: str | None, couleur: str | None) -> str:
    variant = ", ".join(v for v in (taille, couleur) if v)
    return f"{libelle} {variant}" if variant else libelle


_MODEL = "a.id_article, a.code, coalesce(a.libelle, a.code), t.taux, u.code, 0"  # 0: its variants, counted apart
_ARTICLES = f"""
    SELECT {_MODEL}, a.ean, a.prix_ttc FROM t_article a LEFT JOIN tr_tva t USING (id_tva)
    LEFT JOIN t_unite u USING (id_unite)
    WHERE coalesce(a.actif, true) AND (a.code IN ({{marks}}) OR a.ean IN ({{marks}}) OR a.id_article IN ({{ids}}))"""
_VARIANTS = f"""
    SELECT {_MODEL}, d.id_declinaison, d.taille, d.couleur, coalesce(d.prix_ttc, a.prix_ttc), d.ean, b.code_barre
    FROM t_declinaison d JOIN t_article a USING (id_article) LEFT JOIN tr_tva t USING (id_tva)
    LEFT JOIN t_unite u USING (id_unite) LEFT JOIN t_code_barre b ON b.id_declinaison = d.id_declinaison
    AND b.code_barre IN ({{marks}})
    WHERE coalesce(d.actif, true) AND coalesce(a.actif, true) AND (d.ean IN ({{marks}}) OR b.code_barre IS NOT NULL
    OR d.id_declinaison IN ({{variant_ids}}))"""
_BARCODES = f"""
    SELECT {_MODEL}, a.prix_ttc, b.code_barre FROM t_code_barre b JOIN t_article a USING (id_article)
    LEFT JOIN tr_tva t USING (id_tva) LEFT JOIN t_unite u USING (id_unite)
    WHERE b.id_declinaison IS NULL AND coalesce(a.actif, true) AND b.code_barre IN ({{marks}})"""
VARIANT_KEY = "declinaison:"  # `declinaison:12` names variant 12 (a line's own article, read again)


def variant_key(id_declinaison: int) -> str:
    return f"{VARIANT_KEY}{id_declinaison}"


def find_articles_exact(con: duckdb.DuckDBPyConnection, queries: list[str]) -> dict[str, Article]:
    """Each query (code, EAN or id of an article, EAN or extra barcode of a variant, `declinaison:ID`) -> what it
    names, active; SaleRefused for one that is not found. An article's code wins over an EAN, an EAN over an id."""
    found: dict[str, Article] = {}
    rank: dict[str, int] = {}
    wanted = set(queries)
    texts = sorted(wanted)
    marks = ", ".join("?" * len(texts))

    def take(key: str, strength: int, article: Article) -> None:
        if key in wanted and strength >= rank.get(key, -1):
            found[key], rank[key] = article, strength

    ids = [int(q) for q in texts if ascii_digits(q) and len(q) < 18] or [-1]
    sql = _ARTICLES.format(marks=marks, ids=", ".join("?" * len(ids)))
    for ident, code, libelle, taux, unite, variants, ean, prix in con.execute(sql, texts + texts + ids).fetchall():
        for key, strength in ((str(ident), 0), (ean, 1), (code, 3)):
            take(key, strength, Article(ident, code, libelle, prix, taux, unite, variants=variants))
    if not wanted - set(found):
        return _checked(queries, _with_variants(con, found))
    variant_ids = [int(q[len(VARIANT_KEY):]) for q in texts if q.startswith(VARIANT_KEY)
                   and ascii_digits(q[len(VARIANT_KEY):])] or [-1]
    sql = _VARIANTS.format(marks=marks, variant_ids=", ".join("?" * len(variant_ids)))
    for ident, code, libelle, taux, unite, _, variant, taille, couleur, prix, ean, barcode in con.execute(
            sql, texts + texts + variant_ids).fetchall():
        article = Article(ident, code, libelle, prix, taux, unite, variant, taille, couleur)
        for key, strength in ((variant_key(variant), 3), (ean, 2), (barcode, 1)):
            take(key, strength, article)
    for ident, code, libelle, taux, unite, variants, prix, barcode in con.execute(
            _BARCODES.format(marks=marks), texts).fetchall():
        take(barcode, 1, Article(ident, code, libelle, prix, taux, unite, variants=variants))
    return _checked(queries, _with_variants(con, found))


def _with_variants(con, found: dict[str, Article]) -> dict[str, Article]:
    """The models among the articles found (their active variants counted: one of them is sold, never the model),
    in one query filtered by article (a correlated count would read every variant of the store at each scan)."""
    models = sorted({a.id_article for a in found.values() if a.id_declinaison is None})
    if not models:
        return found
    counts = dict(con.execute("SELECT id_article, count(*) FROM t_declinaison WHERE id_article IN "
                              "(SELECT unnest(?::BIGINT[])) AND coalesce(actif, true) GROUP BY 1", [models]).fetchall())
    return {key: replace(a, variants=counts[a.id_article]) if a.id_declinaison is None and a.id_article in counts
            else a for key, a in found.items()}


def _checked(queries: list[str], found: dict[str, Article]) -> dict[str, Article]:
    for query in queries:
        if query not in found:
            raise SaleRefused(f"Article « {query} » introuvable (ni code, ni EAN, ni identifiant d'un article actif).")
        if found[query].taux is None:
            raise SaleRefused(f"L'article {found[query].code} n'a pas de taux de TVA connu : réimportez tr_tva.")
    return found


def exact_code(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """What names exactly `text` (an active article's code or EAN, a variant's EAN, an extra barcode), as the key
    find_articles_exact reads, or None: the scanner's lookup, before any search by label."""
    rows = con.execute("SELECT code FROM t_article WHERE coalesce(actif, true) AND (code = ? OR ean = ?) "
                       "ORDER BY code = ? DESC LIMIT 1", [text, text, text]).fetchall()
    if rows:
        return rows[0][0]
    rows = con.execute("SELECT d.id_declinaison FROM t_declinaison d JOIN t_article a USING (id_article) WHERE "
                       "d.ean = ? AND coalesce(d.actif, true) AND coalesce(a.actif, true) LIMIT 1", [text]).fetchall()
    if rows:
        return variant_key(rows[0][0])
    rows = con.execute("SELECT b.id_declinaison, b.id_article FROM t_code_barre b WHERE b.code_barre = ?",
                       [text]).fetchall()
    if rows:
        return variant_key(rows[0][0]) if rows[0][0] is not None else text
    return None


@dataclass(frozen=True)
class Grid:
    """A model's variants as the till shows them: sizes across (in the grid's order), colours down, a cell
    (its variant's key and price, None where the model has no such variant)."""

    model: Article
    sizes: list[str]
    colours: list[str]
    cells: dict[tuple[str, str], tuple[str, Decimal]]  # (colour, size) -> (variant key, price)


def model_grid(con: duckdb.DuckDBPyConnection, code: str) -> Grid | None:
    """The grid of the model whose code (or EAN) is `code`, when it has active variants; else None."""
    rows = con.execute(f"SELECT {_MODEL}, a.prix_ttc, a.id_grille_declinaison FROM t_article a "
                       "LEFT JOIN tr_tva t USING (id_tva) LEFT JOIN t_unite u USING (id_unite) "
                       "WHERE coalesce(a.actif, true) AND (a.code = ? OR a.ean = ?) ORDER BY a.code = ? DESC LIMIT 1",
                       [code, code, code]).fetchall()
    if not rows:
        return None
    ident, code, libelle, taux, unite, _, prix, grille = rows[0]
    order = [] if grille is None else [t for (t,) in con.execute(
        "SELECT taille FROM t_grille_declinaison WHERE id_grille_declinaison = ? ORDER BY ordre", [grille]).fetchall()]
    cells: dict[tuple[str, str], tuple[str, Decimal]] = {}
    sizes, colours = list(order), []
    for variant, taille, couleur, price in con.execute(
            "SELECT id_declinaison, coalesce(taille, ''), coalesce(couleur, ''), coalesce(prix_ttc, ?) "
            "FROM t_declinaison WHERE id_article = ? AND coalesce(actif, true) ORDER BY id_declinaison",
            [prix, ident]).fetchall():
        if taille not in sizes:
            sizes.append(taille)
        if couleur not in colours:
            colours.append(couleur)
        cells[(couleur, taille)] = (variant_key(variant), price)
    if not cells:
        return None
    sizes = [s for s in sizes if any((c, s) in cells for c in colours)]
    return Grid(Article(ident, code, libelle, prix, taux, unite, variants=len(cells)), sizes, colours, cells)


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
              max_quantity: Decimal = Decimal("999"), *, taux_remise: Decimal | None = None,
              prix_force: Decimal | None = None, motif_remise: str | None = None, id_vendeur: int | None = None,
              prix_reference: Decimal | None = None) -> Line:
    """A sale line, its amounts computed once: TTC = quantity x price - discount, HT from the VAT rate. A forced
    price's gap with the catalogue price is part of the discount; a discount in % (`taux_remise`) is taken on the
    line at the price sold."""
    quantite = Decimal(quantite).quantize(Decimal("0.001"))
    if quantite <= 0:
        raise SaleRefused(f"La quantité de {article.code} doit être positive.")
    if quantite > max_quantity:
        raise SaleRefused(f"La quantité de {article.code} ({qty(quantite)}) dépasse {qty(max_quantity)} : "
                          "vérifiez la saisie.")
    if article.whole and quantite != quantite.to_integral_value():
        raise SaleRefused(f"{article.libelle} se vend à l'unité : la quantité doit être un nombre entier "
                          f"({qty(quantite)} refusé).")
    gross = cents(quantite * article.prix_ttc)
    sold = gross
    if prix_force is not None:
        prix_force = cents(prix_force)
        if prix_force < 0 or prix_force > article.prix_ttc:
            raise SaleRefused(f"Le prix forcé de {article.named} doit être compris entre 0,00 € et son prix, "
                              f"{eur(article.prix_ttc)} (un prix plus haut se demande au serveur principal).")
        sold = cents(quantite * prix_force)
    if taux_remise is not None:
        if not ZERO <= taux_remise <= 100:
            raise SaleRefused(f"La remise de {taux_remise} % sur {article.named} doit être comprise entre 0 et 100 %.")
        remise = cents(sold * taux_remise / 100)
    remise = cents(remise)
    if remise < 0 or remise > sold:
        raise SaleRefused(f"La remise {eur(remise)} sur {article.named} doit être comprise entre 0 et le montant de la "
                          f"ligne ({eur(sold)}).")
    ttc = sold - remise
    return Line(num, article.id_article, article.code, article.libelle, quantite, article.prix_ttc, gross - ttc,
                article.taux, ttc, ht_of(ttc, article.taux), None, article.id_declinaison, article.taille,
                article.couleur, id_vendeur, prix_force, taux_remise,
                motif_remise if gross != ttc else None, None, prix_reference)


LINE_COLUMNS = ("num_ligne, id_article, code_article, libelle, quantite, prix_unitaire_ttc, remise, taux_tva, "
                "montant_ttc, montant_ht, id_ligne_origine, " + ", ".join(DETAIL))


def stored_lines(con: duckdb.DuckDBPyConnection, id_ticket: str) -> list[tuple[str, Line]]:
    """(id_ligne_ticket, Line) of a validated ticket, in order, with every detail (variant, seller, discount)."""
    return [(row[0], Line(*row[1:])) for row in con.execute(
        f"SELECT id_ligne_ticket, {LINE_COLUMNS} FROM t_ligne_ticket WHERE id_ticket = ? ORDER BY num_ligne",
        [id_ticket]).fetchall()]


def taken_back(line: Line, num: int, quantite: Decimal, ttc: Decimal, ht: Decimal, remise: Decimal,
               origin: str | None) -> Line:
    """A sold line taken back (a void, a return): its quantity and amounts negative, its variant, seller and
    discount's reason kept (the ticket's share of discount in proportion)."""
    share = None
    if line.remise_ticket:
        share = -(line.remise_ticket if quantite == line.quantite else cents(line.remise_ticket * quantite
                                                                             / line.quantite))
    return replace(line, num_ligne=num, quantite=-quantite, remise=-remise, montant_ttc=-ttc, montant_ht=-ht,
                   id_ligne_origine=origin, remise_ticket=share)


def spread_ticket_discount(lines: list[Line], amount: Decimal) -> list[Line]:
    """The lines with the ticket's discount `amount` spread over them pro rata of their amounts, to the cent (the
    largest remainders take the last cents: the shares add up to `amount` exactly), each line's HT computed again
    from its TTC: the VAT per rate of the ticket is the sum of its lines' (R07)."""
    amount = cents(amount)
    base = sum((line.montant_ttc for line in lines if line.montant_ttc > 0), ZERO)
    if amount <= 0 or base <= 0:
        return lines
    if amount > base:
        raise SaleRefused(f"La remise sur le ticket ({eur(amount)}) dépasse son montant ({eur(base)}).")
    exact = {line.num_ligne: amount * line.montant_ttc / base for line in lines if line.montant_ttc > 0}
    shares = {num: cents_down(value) for num, value in exact.items()}
    left = int((amount - sum(shares.values(), ZERO)) * 100)
    for num in sorted(exact, key=lambda n: (exact[n] - shares[n], n), reverse=True)[:left]:
        shares[num] += Decimal("0.01")
    out = []
    for line in lines:
        share = shares.get(line.num_ligne, ZERO)
        if share:
            ttc = line.montant_ttc - share
            line = replace(line, remise=line.remise + share, remise_ticket=share, montant_ttc=ttc,
                           montant_ht=ht_of(ttc, line.taux_tva))
        out.append(line)
    return out


def cents_down(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def ht_of(ttc: Decimal, taux: Decimal) -> Decimal:
    return cents(ttc * 100 / (100 + taux))
