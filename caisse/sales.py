"""Selling on an open register: sellers' connections, tickets, lines, validation, voids, cash moves.

A ticket is EN_COURS (parked, it survives a restart) until it is paid; its validation is one
transaction that checks the payments, gives it the register's next number and its chain link.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import duckdb

from . import integrity
from .auth import User, require_now
from .errors import RegisterNotOpen, SaleRefused
from .money import ZERO, cents, eur
from .payments import PaymentRequest, apply_payments
from .store import Store, scalar


@dataclass(frozen=True)
class LineRequest:
    """An article by code, EAN or id, a quantity and a discount in euros on the line."""

    article: str
    quantite: Decimal = Decimal("1")
    remise: Decimal = ZERO


@dataclass
class TicketView:
    id_ticket: str
    numero: int | None
    statut: str
    caisse: str
    vendeur: str
    total_ttc: Decimal
    total_ht: Decimal
    lines: list[tuple] = field(default_factory=list)
    payments: list[tuple] = field(default_factory=list)
    empreinte: str | None = None
    date_validation: datetime | None = None

    @property
    def rendu(self) -> Decimal:
        return sum((p[3] for p in self.payments), ZERO)


def new_id() -> str:
    return str(uuid.uuid4())


def open_day_of(con: duckdb.DuckDBPyConnection, caisse: str) -> tuple[int, str]:
    """(id_caisse, id_journee) of the register's open day; raises RegisterNotOpen."""
    rows = con.execute("SELECT c.id_caisse, j.id_journee FROM t_caisse c LEFT JOIN t_journee j "
                       "ON j.id_caisse = c.id_caisse AND j.date_fermeture IS NULL WHERE c.code = ?",
                       [caisse]).fetchall()
    if not rows or rows[0][1] is None:
        raise RegisterNotOpen(caisse)
    return rows[0]


# Sellers' connections.

def connect_seller(store: Store, caisse: str, user: User, now: datetime | None = None) -> str:
    """Connect a seller to the open register (the same connection if already connected)."""
    with store.transaction() as con:
        require_now(con, user, "CAISSE_VENDRE")
        id_caisse, id_journee = open_day_of(con, caisse)
        existing = scalar(con, "SELECT id_connexion FROM connexion WHERE id_journee = ? AND id_utilisateur = ? "
                               "AND fin IS NULL", [id_journee, user.id_utilisateur])
        if existing:
            return existing
        id_connexion = new_id()
        con.execute("INSERT INTO connexion VALUES (?, ?, ?, ?, ?, NULL, false)",
                    [id_connexion, id_caisse, id_journee, user.id_utilisateur, now or datetime.now()])
        return id_connexion


def disconnect_seller(store: Store, id_connexion: str, now: datetime | None = None) -> None:
    with store.transaction() as con:
        con.execute("UPDATE connexion SET fin = ? WHERE id_connexion = ? AND fin IS NULL",
                    [now or datetime.now(), id_connexion])


def connected_sellers(con: duckdb.DuckDBPyConnection, id_journee: str) -> list[tuple[str, str, datetime]]:
    """(login, name, since) of the sellers still connected to a day."""
    return con.execute("SELECT u.login, trim(coalesce(u.prenom, '') || ' ' || coalesce(u.nom, '')), c.debut "
                       "FROM connexion c JOIN t_utilisateur u USING (id_utilisateur) "
                       "WHERE c.id_journee = ? AND c.fin IS NULL ORDER BY c.debut", [id_journee]).fetchall()


# Tickets.

_CONTEXT = """
    SELECT c.id_caisse, any_value(j.id_journee), count(k.id_connexion) FROM t_caisse c
    LEFT JOIN t_journee j ON j.id_caisse = c.id_caisse AND j.date_fermeture IS NULL
    LEFT JOIN connexion k ON k.id_journee = j.id_journee AND k.id_utilisateur = ? AND k.fin IS NULL
    WHERE c.code = ? GROUP BY c.id_caisse"""


def _selling_context(con, caisse: str, user: User) -> tuple[int, str]:
    """(id_caisse, id_journee) when `user` may sell on `caisse` now: the register is open and the seller is
    connected to it. CAISSE_VENDRE was checked at the connection, and rights cannot change while a register
    is open (an import, their only source, is refused then), so one query is enough here."""
    rows = con.execute(_CONTEXT, [user.id_utilisateur, caisse]).fetchall()
    if not rows or rows[0][1] is None:
        raise RegisterNotOpen(caisse)
    id_caisse, id_journee, connected = rows[0]
    if not connected:
        raise SaleRefused(f"{user.login} n'est pas connecté à la caisse {caisse} : cliquez d'abord sur Connecter.")
    return id_caisse, id_journee


def start_ticket(store: Store, caisse: str, user: User, now: datetime | None = None) -> str:
    """A new, empty ticket EN_COURS for a connected seller."""
    with store.transaction() as con:
        id_caisse, id_journee = _selling_context(con, caisse, user)
        id_ticket = new_id()
        con.execute("INSERT INTO t_ticket (id_ticket, id_caisse, id_journee, id_utilisateur, date_creation, statut, "
                    "total_ttc, total_ht) VALUES (?, ?, ?, ?, ?, 'EN_COURS', 0, 0)",
                    [id_ticket, id_caisse, id_journee, user.id_utilisateur, now or datetime.now()])
        return id_ticket


_ARTICLES = """
    SELECT a.id_article, a.code, a.ean, coalesce(a.libelle, a.code), a.prix_ttc, t.taux FROM t_article a
    LEFT JOIN tr_tva t USING (id_tva)
    WHERE coalesce(a.actif, true) AND (a.code IN ({marks}) OR a.ean IN ({marks}) OR a.id_article IN ({ids}))"""


def _articles(con, queries: list[str]) -> dict[str, tuple]:
    """Each query (code, EAN or id) -> (id_article, code, libelle, prix_ttc, taux); a code wins over an EAN."""
    found: dict[str, tuple] = {}
    rank: dict[str, int] = {}
    wanted = set(queries)
    texts = sorted(wanted)
    ids = [int(q) for q in texts if q.isdigit() and len(q) < 18] or [-1]
    sql = _ARTICLES.format(marks=", ".join("?" * len(texts)), ids=", ".join("?" * len(ids)))
    for ident, code, ean, libelle, prix, taux in con.execute(sql, texts + texts + ids).fetchall():
        for key, strength in ((str(ident), 0), (ean, 1), (code, 2)):
            if key in wanted and strength >= rank.get(key, -1):
                found[key], rank[key] = (ident, code, libelle, prix, taux), strength
    for query in queries:
        if query not in found:
            raise SaleRefused(f"Article « {query} » introuvable (ni code, ni EAN, ni identifiant d'un article actif).")
        if found[query][4] is None:
            raise SaleRefused(f"L'article {found[query][1]} n'a pas de taux de TVA connu : réimportez tr_tva.")
    return found


def find_article(con: duckdb.DuckDBPyConnection, query: str) -> tuple:
    """(id_article, code, libelle, prix_ttc, taux) of an active article by code, EAN or id."""
    return _articles(con, [query])[query]


def _line(num: int, article: tuple, request: LineRequest) -> tuple:
    """A ticket line in LINE_COLUMNS order, its amounts computed once, here."""
    id_article, code, libelle, prix, taux = article
    quantite = request.quantite.quantize(Decimal("0.001"))
    if quantite <= 0:
        raise SaleRefused(f"La quantité de {code} doit être positive.")
    remise = cents(request.remise)
    gross = cents(quantite * prix)
    if remise < 0 or remise > gross:
        raise SaleRefused(f"La remise {eur(remise)} sur {code} doit être comprise entre 0 et le montant de la "
                          f"ligne ({eur(gross)}).")
    ttc = gross - remise
    ht = cents(ttc * 100 / (100 + taux))
    return (num, id_article, code, libelle, quantite, prix, remise, taux, ttc, ht)


def search_articles(con: duckdb.DuckDBPyConnection, text: str, limit: int = 20) -> list[tuple]:
    """Active articles whose code, EAN or label contains `text` (accents and case ignored)."""
    like = f"%{text.strip()}%"
    return con.execute("SELECT code, ean, libelle, prix_ttc FROM t_article WHERE coalesce(actif, true) AND "
                       "(code ILIKE ? OR ean LIKE ? OR strip_accents(libelle) ILIKE strip_accents(?)) "
                       f"ORDER BY code LIMIT {int(limit)}", [like, like, like]).fetchall()


def add_line(store: Store, id_ticket: str, user: User, line: LineRequest) -> TicketView:
    with store.transaction() as con:
        _editable(con, id_ticket, user)
        num = scalar(con, "SELECT coalesce(max(num_ligne), 0) + 1 FROM t_ligne_ticket WHERE id_ticket = ?",
                     [id_ticket])
        _insert_lines(con, id_ticket, [_line(num, find_article(con, line.article), line)])
        _update_totals(con, id_ticket)
        return ticket_view(con, id_ticket)


def remove_line(store: Store, id_ticket: str, user: User, num_ligne: int) -> TicketView:
    with store.transaction() as con:
        _editable(con, id_ticket, user)
        con.execute("DELETE FROM t_ligne_ticket WHERE id_ticket = ? AND num_ligne = ?", [id_ticket, num_ligne])
        _update_totals(con, id_ticket)
        return ticket_view(con, id_ticket)


def _editable(con, id_ticket: str, user: User) -> tuple:
    """(id_caisse, id_journee, date_creation) of a ticket the user may still change."""
    require_now(con, user, "CAISSE_VENDRE")
    rows = con.execute("SELECT statut, id_caisse, id_journee, date_creation FROM t_ticket WHERE id_ticket = ?",
                       [id_ticket]).fetchall()
    if not rows:
        raise SaleRefused("Ce ticket n'existe pas.")
    if rows[0][0] != "EN_COURS":
        raise SaleRefused("Ce ticket est déjà validé ou annulé : il ne peut plus être modifié.")
    return rows[0][1:]


def _insert_rows(con, table: str, rows: list[tuple]) -> None:
    """One multi-row INSERT (DuckDB pays per statement, not per row)."""
    if rows:
        marks = "(" + ", ".join("?" * len(rows[0])) + ")"
        con.execute(f"INSERT INTO {table} VALUES {', '.join([marks] * len(rows))}",
                    [value for row in rows for value in row])


def _insert_lines(con, id_ticket: str, lines: list[tuple]) -> None:
    _insert_rows(con, "t_ligne_ticket", [(new_id(), id_ticket, *line) for line in lines])


def _update_totals(con, id_ticket: str) -> None:
    con.execute("UPDATE t_ticket SET total_ttc = (SELECT coalesce(sum(montant_ttc), 0) FROM t_ligne_ticket "
                "WHERE id_ticket = ?), total_ht = (SELECT coalesce(sum(montant_ht), 0) FROM t_ligne_ticket "
                "WHERE id_ticket = ?) WHERE id_ticket = ?", [id_ticket, id_ticket, id_ticket])


def pay_ticket(store: Store, id_ticket: str, user: User, payments: list[PaymentRequest],
               now: datetime | None = None) -> TicketView:
    """Validate a parked ticket with its payments: number, chain link and VALIDE, in one transaction."""
    now = now or datetime.now()
    with store.writing(), store.transaction() as con:
        id_caisse, id_journee, created = _editable(con, id_ticket, user)
        if scalar(con, "SELECT date_fermeture FROM t_journee WHERE id_journee = ?", [id_journee]) is not None:
            raise SaleRefused("La journée de ce ticket est fermée : il ne peut plus être validé.")
        lines = con.execute(f"SELECT {integrity.LINE_COLUMNS} FROM t_ligne_ticket WHERE id_ticket = ?",
                            [id_ticket]).fetchall()
        caisse = scalar(con, "SELECT code FROM t_caisse WHERE id_caisse = ?", [id_caisse])
        view = _validate(con, store, (id_ticket, id_caisse, caisse, id_journee, user, created), lines, payments, now,
                         new=False)
    return view


def ring_ticket(store: Store, caisse: str, user: User, lines: list[LineRequest], payments: list[PaymentRequest],
                now: datetime | None = None) -> TicketView:
    """A whole ticket at once (the CLI's `caisse sell`): lines and payments, validated, in one transaction."""
    if not lines:
        raise SaleRefused("Un ticket doit avoir au moins une ligne.")
    now = now or datetime.now()
    with store.writing(), store.transaction() as con:
        id_caisse, id_journee = _selling_context(con, caisse, user)
        articles = _articles(con, [line.article for line in lines])
        built = [_line(num, articles[line.article], line) for num, line in enumerate(lines, 1)]
        view = _validate(con, store, (new_id(), id_caisse, caisse, id_journee, user, now), built, payments, now,
                         new=True)
    return view


def _validate(con, store: Store, ticket: tuple, lines: list[tuple], payments: list[PaymentRequest],
              now: datetime, new: bool) -> TicketView:
    id_ticket, id_caisse, caisse, id_journee, user, created = ticket
    if not lines:
        raise SaleRefused("Un ticket sans ligne ne peut pas être validé.")
    total = sum((line[8] for line in lines), ZERO)
    total_ht = sum((line[9] for line in lines), ZERO)
    applied = apply_payments(con, id_ticket, id_caisse, total, payments, now)
    numero, previous = integrity.last_link(con, "ticket", id_caisse)
    header = (id_ticket, numero + 1, id_caisse, id_journee, user.id_utilisateur, created, now, total, total_ht)
    paid = [(ident, p.code, p.montant, rendu, p.numero) for ident, p, rendu in applied]
    link = integrity.mac_ticket(integrity.load_key(store.key_path), previous, header, lines, paid)
    if new:
        con.execute("INSERT INTO t_ticket (id_ticket, numero, id_caisse, id_journee, id_utilisateur, date_creation, "
                    "date_validation, total_ttc, total_ht, statut, empreinte, empreinte_precedente) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'VALIDE', ?, ?)", [*header, link, previous])
        _insert_lines(con, id_ticket, lines)
    else:
        con.execute("UPDATE t_ticket SET numero = ?, date_validation = ?, total_ttc = ?, total_ht = ?, "
                    "statut = 'VALIDE', empreinte = ?, empreinte_precedente = ? WHERE id_ticket = ?",
                    [numero + 1, now, total, total_ht, link, previous, id_ticket])
    _insert_rows(con, "t_reglement", [(ident, id_ticket, p.id_moyen_paiement, p.code, p.montant, p.numero, rendu)
                                      for ident, p, rendu in applied])
    integrity.write_head(store.key_path, con, caisse, id_caisse, ticket=(numero + 1, link))
    return TicketView(id_ticket, numero + 1, "VALIDE", caisse, user.login, total, total_ht,
                      [(n, code, lib, q, pu, rem, taux, ttc) for n, _, code, lib, q, pu, rem, taux, ttc, _ in lines],
                      [(p.code, p.montant, p.numero, rendu) for _, p, rendu in applied], link, now)


def ticket_view(con: duckdb.DuckDBPyConnection, id_ticket: str) -> TicketView:
    rows = con.execute("SELECT t.id_ticket, t.numero, t.statut, c.code, u.login, t.total_ttc, t.total_ht, "
                       "t.empreinte, t.date_validation FROM t_ticket t JOIN t_caisse c USING (id_caisse) "
                       "LEFT JOIN t_utilisateur u USING (id_utilisateur) WHERE t.id_ticket = ?", [id_ticket]).fetchall()
    if not rows:
        raise SaleRefused("Ce ticket n'existe pas.")
    ident, numero, statut, caisse, vendeur, ttc, ht, link, validated = rows[0]
    lines = con.execute("SELECT num_ligne, code_article, libelle, quantite, prix_unitaire_ttc, remise, taux_tva, "
                        "montant_ttc FROM t_ligne_ticket WHERE id_ticket = ? ORDER BY num_ligne",
                        [id_ticket]).fetchall()
    payments = con.execute("SELECT code_moyen, montant, numero_piece, rendu FROM t_reglement WHERE id_ticket = ? "
                           "ORDER BY id_reglement", [id_ticket]).fetchall()
    return TicketView(ident, numero, statut, caisse, vendeur or "", ttc, ht, lines, payments, link, validated)


def parked_tickets(con: duckdb.DuckDBPyConnection, caisse: str) -> list[TicketView]:
    """The register's tickets still EN_COURS (parked or being rung), oldest first."""
    ids = con.execute("SELECT t.id_ticket FROM t_ticket t JOIN t_caisse c USING (id_caisse) WHERE c.code = ? "
                      "AND t.statut = 'EN_COURS' ORDER BY t.date_creation", [caisse]).fetchall()
    return [ticket_view(con, i) for (i,) in ids]


# Reads for the selling screen, one unit of work each.

def read_ticket(store: Store, id_ticket: str) -> TicketView:
    with store.connect() as con:
        return ticket_view(con, id_ticket)


def read_parked(store: Store, caisse: str) -> list[TicketView]:
    with store.connect() as con:
        return parked_tickets(con, caisse)


def find_articles(store: Store, text: str, limit: int = 20) -> list[tuple]:
    with store.connect() as con:
        return search_articles(con, text, limit)


def read_methods(store: Store) -> list[tuple]:
    from .payments import payment_methods
    with store.connect() as con:
        return payment_methods(con)
