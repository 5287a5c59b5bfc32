"""A register day's figures from its records: takings per payment method, ticket counts, cash-book moves and
the expected cash, read by the closing, the X and the Z.

expected cash = float + sum over cash methods of (montant - rendu) + ENTREE - SORTIE - REMISE
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from caisse.common.money import ZERO, cents


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
    avoirs_emis: Decimal = ZERO  # credit notes issued by the day's tickets (returns, gift cheques' rests)


def day_figures(con, id_journee: str) -> DayFigures:
    """A day's figures from its tickets (sales, voids and returns: net) and cash book, in four queries (the
    payments are scanned once, and cash is summed from the per-method rows). Credit notes redeemed and credit
    notes issued (a return refunded by one) are two lines, never one netted amount."""
    methods = con.execute("""
        WITH paid AS (
            SELECT r.id_moyen_paiement, r.code_moyen = 'AVOIR' AND r.montant < 0 AS emis,
                   sum(r.montant - coalesce(r.rendu, 0)) AS montant FROM t_reglement r
            WHERE r.id_ticket IN (SELECT id_ticket FROM t_ticket WHERE id_journee = ?)
            GROUP BY ALL)
        SELECT m.code, coalesce(m.libelle, m.code) || CASE WHEN m.code <> 'AVOIR' THEN ''
                   WHEN paid.emis THEN ' émis' ELSE ' utilisés' END,
               paid.montant, coalesce(m.especes, false)
        FROM paid JOIN tr_moyen_paiement m USING (id_moyen_paiement)
        ORDER BY m.ordre NULLS LAST, m.code, paid.emis""", [id_journee]).fetchall()
    (recorded_fond, opened, nb, voided, returns, total), = con.execute(
        "SELECT (SELECT fond_caisse FROM t_journee WHERE id_journee = $1), "
        "(SELECT date_ouverture FROM t_journee WHERE id_journee = $1), "
        "count(*) FILTER (WHERE type_ticket = 'VENTE') - count(*) FILTER (WHERE type_ticket = 'ANNULATION'), "
        "count(*) FILTER (WHERE type_ticket = 'ANNULATION'), "
        "count(*) FILTER (WHERE type_ticket = 'RETOUR'), coalesce(sum(total_ttc), 0) FROM t_ticket "
        "WHERE id_journee = $1", [id_journee]).fetchall()
    moves = dict(con.execute("SELECT type, sum(montant) FROM t_livre_de_caisse WHERE id_journee = ? "
                             "GROUP BY type", [id_journee]).fetchall())
    # the float is the one the opening signed (its FOND move), never a figure of the day's row that can be edited
    fond = moves.get("FOND", recorded_fond)
    cash = sum((amount for _, _, amount, especes in methods if especes), ZERO)
    expected = cents(fond + cash + moves.get("ENTREE", ZERO) - moves.get("SORTIE", ZERO) - moves.get("REMISE", ZERO))
    per_method = [(code, label, amount) for code, label, amount, _ in methods]
    issued = con.execute("SELECT coalesce(sum(montant), 0) FROM t_avoir WHERE id_ticket_emission IN (SELECT id_ticket "
                         "FROM t_ticket WHERE id_journee = ?)", [id_journee]).fetchall()[0][0]
    return DayFigures(fond, opened, per_method, nb, voided, returns, total, moves, expected, issued)
