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

from . import parameters
from .auth import User, require_now
from .corrections import record_move
from .drafts import parked
from .errors import CaisseError, EcartNonValide, TicketsEnCours, UsersConnected
from .fiscal import chains, periods
from .fiscal.jet import record_event
from .money import ZERO, cents, eur
from .sales import connected_sellers, open_day_of
from .sessions import end_sessions_of_day
from .store import Store, scalar
from .tickets import TicketView


@dataclass
class Summary:
    """What the closing screen shows before the count: the manual's table, ticket count, expected cash."""

    caisse: str
    id_journee: str
    date_ouverture: datetime
    fond: Decimal
    per_method: list[tuple[str, str, Decimal]]  # code, libellé, montant
    nb_tickets: int  # sales (VENTE)
    nb_annules: int  # voids (ANNULATION tickets)
    nb_retours: int  # returns (RETOUR tickets)
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
    nb: int  # sales not voided ("Nombre de ticket": voided sales are shown apart)
    voided: int  # voids
    returns: int  # returns
    total: Decimal  # net: sales less voids and returns
    moves: dict[str, Decimal]
    expected: Decimal


def day_figures(con, id_journee: str) -> DayFigures:
    """A day's figures from its tickets (sales, voids and returns: net) and cash book, in three queries (the
    payments are scanned once, and cash is summed from the per-method rows)."""
    methods = con.execute("""
        WITH paid AS (
            SELECT r.id_moyen_paiement, sum(r.montant - coalesce(r.rendu, 0)) AS montant FROM t_reglement r
            WHERE r.id_ticket IN (SELECT id_ticket FROM t_ticket WHERE id_journee = ?)
            GROUP BY r.id_moyen_paiement)
        SELECT m.code, coalesce(m.libelle, m.code), paid.montant, coalesce(m.especes, false)
        FROM paid JOIN tr_moyen_paiement m USING (id_moyen_paiement)
        ORDER BY m.ordre NULLS LAST, m.code""", [id_journee]).fetchall()
    (fond, opened, nb, voided, returns, total), = con.execute(
        "SELECT (SELECT fond_caisse FROM t_journee WHERE id_journee = $1), "
        "(SELECT date_ouverture FROM t_journee WHERE id_journee = $1), "
        "count(*) FILTER (WHERE type_ticket = 'VENTE') - count(*) FILTER (WHERE type_ticket = 'ANNULATION'), "
        "count(*) FILTER (WHERE type_ticket = 'ANNULATION'), "
        "count(*) FILTER (WHERE type_ticket = 'RETOUR'), coalesce(sum(total_ttc), 0) FROM t_ticket "
        "WHERE id_journee = $1", [id_journee]).fetchall()
    moves = dict(con.execute("SELECT type, sum(montant) FROM t_livre_de_caisse WHERE id_journee = ? "
                             "GROUP BY type", [id_journee]).fetchall())
    cash = sum((amount for _, _, amount, especes in methods if especes), ZERO)
    expected = cents(fond + cash + moves.get("ENTREE", ZERO) - moves.get("SORTIE", ZERO) - moves.get("REMISE", ZERO))
    per_method = [(code, label, amount) for code, label, amount, _ in methods]
    return DayFigures(fond, opened, per_method, nb, voided, returns, total, moves, expected)


def closing_summary(con: duckdb.DuckDBPyConnection, caisse: str) -> Summary:
    """The open day's summary, with what would stop the closing (tickets in progress, sellers connected)."""
    _, id_journee = open_day_of(con, caisse)
    day = day_figures(con, id_journee)
    params = parameters.read(con)
    return Summary(caisse, id_journee, day.opened, day.fond, day.per_method, day.nb, day.voided, day.returns,
                   day.total, day.moves, day.expected, params.coupures, params.tolerance_ecart,
                   params.comptage_aveugle, parked(con, caisse), connected_sellers(con, id_journee))


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
    periodes: list[tuple[str, str, int]] = field(default_factory=list)  # closings by period made first


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
    """Close the open day: one transaction writes the day's closing (once), its count, the cash-book moves,
    the Z number and grand totals, its link in the closings' chain and the events."""
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
        id_caisse = scalar(con, "SELECT id_caisse FROM t_journee WHERE id_journee = ?", [summary.id_journee])
        counted_for = periods.day_date(con, store.calendar, id_caisse, summary.date_ouverture)
        made = periods.close_due(con, store.calendar, id_caisse, caisse, counted_for, user, now)
        numero_z, link = _write_day(con, id_caisse, summary, user, counted, ecart, validated_by, forced, comment,
                                    count, counted_for, now)
        end_sessions_of_day(con, summary.id_journee, now)
        record_event(con, 50, caisse=caisse, login=user.login,
                     detail=f"Z n°{numero_z} : {summary.nb_tickets} vente(s), {eur(summary.total_ttc)}, espèces "
                            f"comptées {eur(counted)} pour {eur(summary.especes_theorique)} attendues ; "
                            + heads_text(con, id_caisse), now=now)
        if forced:
            record_event(con, 130, caisse=caisse, login=user.login,
                         detail="déconnectés : " + ", ".join(login for login, _, _ in summary.connectes), now=now)
        if validated_by:
            record_event(con, 140, caisse=caisse, login=user.login, detail=f"écart de {eur(ecart)} : {comment}",
                         now=now)
    return Closed(caisse, summary.id_journee, numero_z, summary.especes_theorique, counted, ecart, link,
                  summary.nb_tickets, made)


def heads_text(con, id_caisse: int) -> str:
    """The register's chain heads in a line (the JET keeps them beside each closing and export)."""
    found = chains.heads(con, id_caisse)
    return "têtes de chaîne " + ", ".join(f"{kind} n°{numero} {link[:16]}" for kind, (numero, link) in
                                           sorted(found.items()))


def _write_day(con, id_caisse: int, summary: Summary, user, counted, ecart, validated_by, forced, comment, count,
               counted_for, now):
    id_journee = summary.id_journee
    (numero_z, grand_total, absolute), = con.execute(
        "SELECT coalesce(max(numero_z), 0) + 1, coalesce(max(grand_total), 0), coalesce(max(grand_total_absolu), 0) "
        "FROM t_journee WHERE id_caisse = ? AND numero_z IS NOT NULL", [id_caisse]).fetchall()
    day_absolute = scalar(con, "SELECT coalesce(sum(abs(total_ttc)), 0) FROM t_ticket WHERE id_journee = ?",
                          [id_journee])
    if ecart:
        record_move(con, id_caisse, id_journee, "ECART", ecart, comment or "Écart de caisse", user, now)
    for valeur, nombre in sorted((count or {}).items()):
        con.execute("INSERT INTO t_comptage VALUES (?, ?, ?, ?)", [id_journee, valeur, nombre, cents(valeur * nombre)])
    con.execute("""UPDATE t_journee SET numero_z = ?, date_fermeture = ?, id_utilisateur_fermeture = ?,
                   nb_tickets = ?, nb_annulations = ?, nb_retours = ?, total_ttc = ?, especes_theorique = ?,
                   especes_compte = ?, ecart = ?, ecart_valide_par = ?, fermeture_forcee = ?, commentaire = ?,
                   grand_total = ?, grand_total_absolu = ?
                   WHERE id_journee = ? AND date_fermeture IS NULL""",
                [numero_z, now, user.id_utilisateur, summary.nb_tickets, summary.nb_annules, summary.nb_retours,
                 summary.total_ttc, summary.especes_theorique, counted, ecart, validated_by, forced, comment or None,
                 grand_total + summary.total_ttc, absolute + day_absolute, id_journee])
    con.execute("INSERT INTO journee_periode VALUES (?, ?, ?)", [id_journee, id_caisse, counted_for])
    link = chains.link(con, "cloture", id_caisse, id_journee, now)
    con.execute("INSERT INTO cloture_tetes SELECT ?, chaine, max(numero), arg_max(empreinte, numero) FROM maillon "
                "WHERE id_caisse = ? GROUP BY chaine", [id_journee, id_caisse])
    return numero_z, link.empreinte
