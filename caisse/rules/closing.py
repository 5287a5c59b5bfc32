"""Closing a register day (seed 3.1, DESIGN section 8): summary, drawer count, difference, the Z.

expected cash = float + sum over cash methods of (montant - rendu) + ENTREE - SORTIE - REMISE
difference    = counted cash - expected cash
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import duckdb

from caisse.common.errors import CaisseError, EcartNonValide, TicketsEnCours, UsersConnected
from caisse.common.money import ZERO, cents, eur, plural
from caisse.common.words import too_long
from caisse.fiscal import chains, periods
from caisse.fiscal.jet import record_event, record_settings
from caisse.fiscal.records import heads_words
from caisse.fiscal.registry import record_survey
from caisse.fiscal.verify import HEAD_LABELS
from caisse.rules import parameters
from caisse.rules.auth import User, require_now
from caisse.rules.corrections import record_move
from caisse.rules.day_report import day_report
from caisse.rules.drafts import parked
from caisse.rules.figures import day_figures
from caisse.rules.sales import connected_sellers, open_day_of
from caisse.rules.sessions import end_sessions_of_day
from caisse.rules.tickets import TicketView
from caisse.storage.store import Store, scalar


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
    en_attente: list[str] = field(default_factory=list)  # months (years) that did not add up: they wait


def closing_summary(con: duckdb.DuckDBPyConnection, caisse: str) -> Summary:
    """The open day's summary, with what would stop the closing (tickets in progress, sellers connected)."""
    id_caisse, id_journee = open_day_of(con, caisse)
    day = day_figures(con, id_journee)
    params = parameters.read(con)
    return Summary(caisse, id_journee, day.opened, day.fond, day.per_method, day.nb, day.voided, day.returns,
                   day.total, day.moves, day.expected, params.coupures, params.tolerance_ecart,
                   params.comptage_aveugle, parked(con, caisse), connected_sellers(con, id_journee),
                   [str(p) for p in periods.pending_periods(con, id_caisse)])


def keep_count(store: Store, caisse: str, user: User, typed: dict[str, str], now: datetime | None = None) -> None:
    """What is being typed on the closing screen (per denomination, or `direct`), kept in the store as it is typed:
    a refresh, a second tab or another device finds the count in progress. Never a record: the closing writes the
    count once."""
    now = now or datetime.now()
    with store.transaction() as con:
        _, id_journee = open_day_of(con, caisse)
        for key, text in typed.items():
            con.execute("INSERT OR REPLACE INTO comptage_en_cours (id_journee, cle, saisie, ts, id_utilisateur) "
                        "VALUES (?, ?, ?, ?, ?)", [id_journee, str(key), (text or "")[:40], now, user.id_utilisateur])


def kept_count(store: Store, caisse: str) -> dict[str, str]:
    """The count in progress of the register's open day ({denomination or `direct`: the text typed})."""
    with store.connect() as con:
        _, id_journee = open_day_of(con, caisse)
        return dict(con.execute("SELECT cle, saisie FROM comptage_en_cours WHERE id_journee = ?",
                                [id_journee]).fetchall())


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
    en_attente: list[str] = field(default_factory=list)  # periods that do not add up and wait (sentences)


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
        if refused := too_long(comment, "Le commentaire de l'écart"):
            raise CaisseError(refused)
        if abs(ecart) > summary.tolerance:
            if not accept_difference:
                raise EcartNonValide(caisse, summary.especes_theorique, counted, ecart, summary.tolerance)
            require_now(con, user, "CAISSE_VALIDER_ECART")
            if not comment:
                raise CaisseError("Valider un écart demande un commentaire qui l'explique.")
            validated_by = user.id_utilisateur
        id_caisse = scalar(con, "SELECT id_caisse FROM t_journee WHERE id_journee = ?", [summary.id_journee])
        counted_for = periods.day_date(con, store.calendar, id_caisse, summary.date_ouverture)
        made, pending = periods.close_due(con, store.calendar, id_caisse, caisse, counted_for, user, now)
        numero_z, link = _write_day(con, id_caisse, summary, user, counted, ecart, validated_by, forced, comment,
                                    count, counted_for, now)
        end_sessions_of_day(con, summary.id_journee, now)
        record_settings(con, store.settings_words, login=user.login, now=now)
        record_event(con, 50, caisse=caisse, login=user.login,
                     detail=f"Z n°{numero_z} : {plural(summary.nb_tickets, 'vente')}, {eur(summary.total_ttc)}, "
                            f"espèces comptées {eur(counted)} pour {eur(summary.especes_theorique)} attendues ; "
                            + heads_text(con, id_caisse), now=now)
        if forced:
            record_event(con, 130, caisse=caisse, login=user.login,
                         detail="déconnectés : " + ", ".join(login for login, _, _ in summary.connectes), now=now)
        if validated_by:
            record_event(con, 140, caisse=caisse, login=user.login, detail=f"écart de {eur(ecart)} : {comment}",
                         now=now)
        record_survey(con, f"fermeture de la caisse {caisse}, Z n°{numero_z}", login=user.login, now=now)
    return Closed(caisse, summary.id_journee, numero_z, summary.especes_theorique, counted, ecart, link,
                  summary.nb_tickets, made, [str(p) for p in pending])


def heads_text(con, id_caisse: int) -> str:
    """The register's chain heads in a line (the JET keeps them beside each closing and export)."""
    found = chains.heads(con, id_caisse)
    return "têtes de chaîne : " + ", ".join(f"{heads_words({kind: head})} {head[1][:16]}"
                                             for kind, head in found.items())


def _write_day(con, id_caisse: int, summary: Summary, user, counted, ecart, validated_by, forced, comment, count,
               counted_for, now):
    id_journee = summary.id_journee
    # the perpetual totals go on from the register's last Z, whatever the sign of its day (R13): a day of refunds
    # lowers the perpetual total, and the absolute one adds every amount whatever its sign
    (numero_z, grand_total, absolute), = con.execute(
        "SELECT coalesce(max(numero_z), 0) + 1, coalesce(arg_max(grand_total, numero_z), 0), "
        "coalesce(arg_max(grand_total_absolu, numero_z), 0) FROM t_journee WHERE id_caisse = ? "
        "AND numero_z IS NOT NULL", [id_caisse]).fetchall()
    day_absolute = scalar(con, "SELECT coalesce(sum(abs(total_ttc)), 0) FROM t_ticket WHERE id_journee = ?",
                          [id_journee])
    _check_opening(con, id_caisse, id_journee, summary, user, now)
    if ecart:
        record_move(con, id_caisse, id_journee, "ECART", ecart, comment or "Écart de caisse", user, now)
    for valeur, nombre in sorted((count or {}).items()):
        con.execute("INSERT INTO t_comptage (id_journee, valeur, nombre, total) VALUES (?, ?, ?, ?)",
                    [id_journee, valeur, nombre, cents(valeur * nombre)])
    con.execute("""UPDATE t_journee SET numero_z = ?, date_fermeture = ?, id_utilisateur_fermeture = ?,
                   nb_tickets = ?, nb_annulations = ?, nb_retours = ?, total_ttc = ?, especes_theorique = ?,
                   especes_compte = ?, ecart = ?, ecart_valide_par = ?, fermeture_forcee = ?, commentaire = ?,
                   grand_total = ?, grand_total_absolu = ?, fond_caisse = ?
                   WHERE id_journee = ? AND date_fermeture IS NULL""",
                [numero_z, now, user.id_utilisateur, summary.nb_tickets, summary.nb_annules, summary.nb_retours,
                 summary.total_ttc, summary.especes_theorique, counted, ecart, validated_by, forced, comment or None,
                 grand_total + summary.total_ttc, absolute + day_absolute, summary.fond, id_journee])
    con.execute("INSERT INTO journee_periode (id_journee, id_caisse, date_comptable) VALUES (?, ?, ?)",
                [id_journee, id_caisse, counted_for])
    # the Z as printed, frozen in the day's signed record (R15): every reprint prints these figures
    report = day_report(con, "Z", id_journee)
    before = chains.heads(con, id_caisse)
    report.tetes = [(kind, *before.get(kind, (0, ""))) for kind in HEAD_LABELS]
    report.serveur = list(chains.last(con, "jet", chains.SERVER))
    con.execute("INSERT INTO journee_z (id_journee, id_caisse, detail) VALUES (?, ?, ?)",
                [id_journee, id_caisse, report.frozen()])
    link = chains.link(con, "cloture", id_caisse, id_journee, now)
    con.execute("INSERT INTO cloture_tetes (id_journee, chaine, numero, empreinte) SELECT ?, chaine, max(numero), "
                "arg_max(empreinte, numero) FROM maillon WHERE id_caisse = ? GROUP BY chaine", [id_journee, id_caisse])
    return numero_z, link.empreinte


def _check_opening(con, id_caisse: int, id_journee: str, summary: Summary, user, now: datetime) -> None:
    """The float the closing counts from is the one the opening signed (its FOND move): a forged move stops the
    closing; a day's row whose float was changed behind the program's back is said in the journal (90), and the
    closing writes the signed float back in it."""
    moves = con.execute("SELECT id_mouvement FROM t_livre_de_caisse WHERE id_journee = ? AND type = 'FOND'",
                        [id_journee]).fetchall()
    if any(not chains.verify_link(con, "mouvement", id_caisse, ref) for ref, in moves):
        raise CaisseError("La fermeture est impossible : le fond de caisse signé à l'ouverture a été modifié hors du "
                          "logiciel. Rien n'a été enregistré ; lancez « caisse verify » et contactez la hotline.")
    recorded = scalar(con, "SELECT fond_caisse FROM t_journee WHERE id_journee = ?", [id_journee])
    if moves and recorded != summary.fond:
        record_event(con, 90, caisse=summary.caisse, login=user.login, now=now,
                     detail=f"le fond de caisse de la journée ouverte le {summary.date_ouverture:%d/%m/%Y %H:%M} a été "
                            f"modifié hors du logiciel ({eur(recorded)} au lieu des {eur(summary.fond)} signés à "
                            "l'ouverture) : la fermeture compte avec le fond signé")
