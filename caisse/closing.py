"""Closing a register day (seed 3.1, DESIGN section 8): summary, drawer count, difference, the Z.

expected cash = float + sum over cash methods of (montant - rendu) + ENTREE - SORTIE - REMISE
difference    = counted cash - expected cash
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import duckdb

from . import integrity, parameters
from .auth import User, require_now
from .errors import CaisseError, EcartNonValide, TicketsEnCours, UsersConnected
from .journal import audit
from .money import ZERO, cents, eur
from .sales import TicketView, connected_sellers, new_id, open_day_of, parked_tickets
from .store import Store, scalar


@dataclass
class Summary:
    """What the closing screen shows before the count: the manual's table, ticket count, expected cash."""

    caisse: str
    id_journee: str
    date_ouverture: datetime
    fond: Decimal
    per_method: list[tuple[str, str, Decimal]]  # code, libellé, montant
    nb_tickets: int
    nb_annules: int
    total_ttc: Decimal
    moves: dict[str, Decimal]
    especes_theorique: Decimal
    coupures: list[Decimal]
    tolerance: Decimal
    comptage_aveugle: bool
    en_cours: list[TicketView] = field(default_factory=list)
    connectes: list[tuple[str, str, datetime]] = field(default_factory=list)


class DayFigures(NamedTuple):
    fond: Decimal
    opened: datetime
    per_method: list[tuple[str, str, Decimal]]  # code, libellé, montant
    nb: int
    voided: int
    total: Decimal
    moves: dict[str, Decimal]
    expected: Decimal


def day_figures(con, id_journee: str) -> DayFigures:
    """A day's figures from its tickets and cash book, in three queries (the payments are scanned once, and
    cash is summed from the per-method rows)."""
    methods = con.execute("""
        WITH paid AS (
            SELECT r.id_moyen_paiement, sum(r.montant - coalesce(r.rendu, 0)) AS montant FROM t_reglement r
            WHERE r.id_ticket IN (SELECT id_ticket FROM t_ticket WHERE id_journee = ? AND statut = 'VALIDE')
            GROUP BY r.id_moyen_paiement)
        SELECT m.code, coalesce(m.libelle, m.code), paid.montant, coalesce(m.especes, false)
        FROM paid JOIN tr_moyen_paiement m USING (id_moyen_paiement)
        ORDER BY m.ordre NULLS LAST, m.code""", [id_journee]).fetchall()
    (fond, opened, nb, voided, total), = con.execute(
        "SELECT (SELECT fond_caisse FROM t_journee WHERE id_journee = $1), "
        "(SELECT date_ouverture FROM t_journee WHERE id_journee = $1), "
        "count(*) FILTER (WHERE statut = 'VALIDE'), count(*) FILTER (WHERE statut = 'ANNULE' AND numero IS NOT NULL), "
        "coalesce(sum(total_ttc) FILTER (WHERE statut = 'VALIDE'), 0) FROM t_ticket WHERE id_journee = $1",
        [id_journee]).fetchall()
    moves = dict(con.execute("SELECT type, sum(montant) FROM t_livre_de_caisse WHERE id_journee = ? "
                             "GROUP BY type", [id_journee]).fetchall())
    cash = sum((amount for _, _, amount, especes in methods if especes), ZERO)
    expected = cents(fond + cash + moves.get("ENTREE", ZERO) - moves.get("SORTIE", ZERO) - moves.get("REMISE", ZERO))
    per_method = [(code, label, amount) for code, label, amount, _ in methods]
    return DayFigures(fond, opened, per_method, nb, voided, total, moves, expected)


def closing_summary(con: duckdb.DuckDBPyConnection, caisse: str) -> Summary:
    """The open day's summary, with what would stop the closing (tickets in progress, sellers connected)."""
    _, id_journee = open_day_of(con, caisse)
    day = day_figures(con, id_journee)
    params = parameters.read(con)
    return Summary(caisse, id_journee, day.opened, day.fond, day.per_method, day.nb, day.voided, day.total, day.moves,
                   day.expected, params.coupures, params.tolerance_ecart, params.comptage_aveugle,
                   parked_tickets(con, caisse), connected_sellers(con, id_journee))


def read_summary(store: Store, caisse: str) -> Summary:
    with store.connect() as con:
        return closing_summary(con, caisse)


@dataclass(frozen=True)
class Closed:
    caisse: str
    id_journee: str
    numero_z: int
    especes_theorique: Decimal
    especes_compte: Decimal
    ecart: Decimal
    empreinte: str
    nb_tickets: int


def count_total(count: dict[Decimal, int], allowed: list[Decimal]) -> Decimal:
    unknown = [v for v in count if v not in allowed]
    if unknown:
        raise CaisseError(f"Coupure inconnue : {', '.join(eur(v) for v in unknown)} (coupures : "
                          f"{', '.join(eur(v) for v in allowed)}).")
    if any(n < 0 for n in count.values()):
        raise CaisseError("Le nombre de pièces ou de billets d'une coupure ne peut pas être négatif.")
    return cents(sum((v * n for v, n in count.items()), ZERO))


def close_day(store: Store, caisse: str, user: User, *, count: dict[Decimal, int] | None = None,
              especes: Decimal | None = None, force: bool = False, accept_difference: bool = False,
              comment: str = "", now: datetime | None = None) -> Closed:
    """Close the open day: one transaction writes the day, its count, the cash-book moves, the Z and its link."""
    if (count is None) == (especes is None):
        raise CaisseError("Indiquez le comptage par coupure ou le montant des espèces (l'un ou l'autre).")
    now = now or datetime.now()
    with store.writing(), store.transaction() as con:
        require_now(con, user, "CAISSE_FERMER")
        summary = closing_summary(con, caisse)
        if summary.en_cours:
            raise TicketsEnCours(caisse, summary.en_cours)
        forced = False
        if summary.connectes:
            if not force:
                raise UsersConnected(caisse, [login for login, _, _ in summary.connectes])
            require_now(con, user, "CAISSE_FORCER_FERMETURE")
            con.execute("UPDATE connexion SET fin = ?, fin_forcee = true WHERE id_journee = ? AND fin IS NULL",
                        [now, summary.id_journee])
            forced = True
        counted = count_total(count, summary.coupures) if count is not None else cents(especes)
        if counted < 0:
            raise CaisseError("Le montant des espèces comptées ne peut pas être négatif.")
        ecart = counted - summary.especes_theorique
        validated_by = None
        comment = (comment or "").strip()
        if abs(ecart) > summary.tolerance:
            if not accept_difference:
                raise EcartNonValide(caisse, summary.especes_theorique, counted, ecart, summary.tolerance)
            require_now(con, user, "CAISSE_VALIDER_ECART")
            if not comment:
                raise CaisseError("Valider un écart demande un commentaire qui l'explique.")
            validated_by = user.id_utilisateur
        id_caisse, id_journee = _write_day(con, store, summary, user, counted, ecart, validated_by, forced, comment,
                                           count, now)
        numero_z, link = integrity.last_link(con, "journee", id_caisse)
        audit(con, "FERMETURE", login=user.login, caisse=caisse,
              detail=f"Z n°{numero_z} : {summary.nb_tickets} tickets, {eur(summary.total_ttc)}, espèces comptées "
                     f"{eur(counted)} pour {eur(summary.especes_theorique)} attendues", now=now)
        if forced:
            audit(con, "FERMETURE_FORCEE", login=user.login, caisse=caisse,
                  detail="déconnectés : " + ", ".join(login for login, _, _ in summary.connectes), now=now)
        if validated_by:
            audit(con, "ECART_VALIDE", login=user.login, caisse=caisse, detail=f"{eur(ecart)} : {comment}", now=now)
        integrity.write_head(store.key_path, con, caisse, id_caisse, day=(numero_z, link))
    return Closed(caisse, id_journee, numero_z, summary.especes_theorique, counted, ecart, link, summary.nb_tickets)


def _write_day(con, store, summary: Summary, user, counted, ecart, validated_by, forced, comment, count, now):
    id_journee = summary.id_journee
    id_caisse = scalar(con, "SELECT id_caisse FROM t_journee WHERE id_journee = ?", [id_journee])
    numero_z, previous = integrity.last_link(con, "journee", id_caisse)
    grand_total = scalar(con, "SELECT coalesce(max(grand_total), 0) FROM t_journee WHERE id_caisse = ? "
                              "AND numero_z IS NOT NULL", [id_caisse]) + summary.total_ttc
    if ecart:
        con.execute("INSERT INTO t_livre_de_caisse VALUES (?, ?, ?, ?, 'ECART', ?, ?, ?)",
                    [new_id(), id_caisse, id_journee, now, ecart, comment or "Écart de caisse", user.id_utilisateur])
    for valeur, nombre in sorted((count or {}).items()):
        con.execute("INSERT INTO t_comptage VALUES (?, ?, ?, ?)", [id_journee, valeur, nombre, cents(valeur * nombre)])
    con.execute("""UPDATE t_journee SET numero_z = ?, date_fermeture = ?, id_utilisateur_fermeture = ?,
                   nb_tickets = ?, total_ttc = ?, especes_theorique = ?, especes_compte = ?, ecart = ?,
                   ecart_valide_par = ?, fermeture_forcee = ?, commentaire = ?, grand_total = ?,
                   empreinte_precedente = ? WHERE id_journee = ?""",
                [numero_z + 1, now, user.id_utilisateur, summary.nb_tickets, summary.total_ttc,
                 summary.especes_theorique, counted, ecart, validated_by, forced, comment or None, grand_total,
                 previous, id_journee])
    link = integrity.link_day(con, integrity.load_key(store.key_path), id_journee, previous)
    con.execute("UPDATE t_journee SET empreinte = ? WHERE id_journee = ?", [link, id_journee])
    return id_caisse, id_journee
