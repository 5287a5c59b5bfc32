"""Credit notes and gift cheques the register used, kept true across imports.

The main server sends its credit notes (`t_avoir`) and gift cheques (`t_cheque_cadeau`) with the balances and
statuses it knows. A lot made before it read the register's export (or a lot deposited again) knows nothing of
what the register did since: applied as it is, it would make a used credit note or cheque usable again. So,
in the import's transaction, each use made here that the lot does not acknowledge is applied on top of the
lot's rows: a credit note's use is acknowledged when the lot's `t_avoir_utilise` carries it and the lot was made
after it; a cheque's, when the lot's row says it is used by that ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import duckdb

from caisse.common.money import eur
from caisse.storage.store import new_id, scalar

CREDIT_NOTE_DAYS = 365
REST_AS_CREDIT_NOTE, REST_LOST = "avoir", "perdu"  # setting cheque_cadeau_reste


def issue_credit_note(con, amount: Decimal, id_caisse: int, caisse: str, id_ticket: str, now: datetime) -> str:
    """A credit note from the register's own series (AV-C01-000001, no gap), usable at once: a return refunded
    so, or the rest of a gift cheque worth more than the ticket."""
    prefix = f"AV-{caisse}-"
    last = scalar(con, "SELECT max(CAST(substr(numero, ?) AS BIGINT)) FROM t_avoir WHERE numero LIKE ? AND "
                       "regexp_full_match(substr(numero, ?), '[0-9]+')", [len(prefix) + 1, prefix + "%",
                                                                          len(prefix) + 1]) or 0
    numero = f"{prefix}{last + 1:06d}"
    con.execute("INSERT INTO t_avoir (id_avoir, numero, date_emission, date_validite, montant, montant_utilise, "
                "id_caisse, statut, id_ticket_emission) VALUES (?, ?, ?, ?, ?, 0, ?, 'EMIS', ?)",
                [new_id(), numero, now.date(), now.date() + timedelta(days=CREDIT_NOTE_DAYS), amount, id_caisse,
                 id_ticket])
    return numero


def overlay_credit_notes(con: duckdb.DuckDBPyConnection, acknowledged: set[str], lot_made: datetime | None) \
        -> list[str]:
    """Apply the register's unacknowledged uses of credit notes to the lot's `t_avoir` rows; sentences for the log."""
    con.execute("CREATE OR REPLACE TEMP TABLE _vus AS SELECT unnest(?::VARCHAR[]) AS id", [sorted(acknowledged)])
    rows = con.execute("""
        SELECT u.id_avoir, a.numero, sum(u.montant) FROM t_avoir_utilise u JOIN t_avoir a USING (id_avoir)
        WHERE u.id_ticket IN (SELECT id_ticket FROM t_ticket)
          AND (u.id_avoir_utilise NOT IN (SELECT id FROM _vus) OR (? IS NOT NULL AND u.date_utilisation > ?))
          AND coalesce(a.id_ticket_emission, '') NOT IN (SELECT id_ticket FROM t_ticket)
        GROUP BY ALL HAVING sum(u.montant) <> 0 ORDER BY a.numero""", [lot_made, lot_made]).fetchall()
    said = []
    for id_avoir, numero, used in rows:
        con.execute("""UPDATE t_avoir SET montant_utilise = coalesce(montant_utilise, 0) + ?,
                       statut = CASE WHEN coalesce(statut, 'EMIS') IN ('EMIS', 'UTILISE')
                                     THEN CASE WHEN coalesce(montant_utilise, 0) + ? >= montant THEN 'UTILISE'
                                               ELSE 'EMIS' END
                                     ELSE statut END
                       WHERE id_avoir = ?""", [used, used, id_avoir])
        said.append(f"Avoir n°{numero} : {eur(used)} utilisés ici que le lot ne connaît pas encore, ajoutés à son "
                    "solde importé.")
    con.execute("DROP TABLE _vus")
    return said


def overlay_gift_cheques(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Mark used the lot's gift cheques that a ticket here used (and no void gave back), unless the lot says so
    already; sentences for the log."""
    rows = con.execute("""
        WITH uses AS (
            SELECT r.numero_piece AS numero, sum(r.montant) AS net, arg_max(t.id_ticket, t.date_validation) AS ticket,
                   max(t.date_validation) AS moment
            FROM t_reglement r JOIN t_ticket t USING (id_ticket)
            WHERE r.code_moyen = 'CHQCAD' AND r.numero_piece IS NOT NULL GROUP BY r.numero_piece)
        SELECT c.id_cheque_cadeau, c.numero, u.ticket, u.moment FROM uses u JOIN t_cheque_cadeau c USING (numero)
        WHERE u.net > 0 AND NOT (c.statut = 'UTILISE' AND c.id_ticket = u.ticket) AND coalesce(c.statut, '') <> 'ANNULE'
        ORDER BY c.numero""").fetchall()
    for ident, _, ticket, moment in rows:
        con.execute("UPDATE t_cheque_cadeau SET statut = 'UTILISE', id_ticket = ?, date_utilisation = ? "
                    "WHERE id_cheque_cadeau = ?", [ticket, moment, ident])
    return [f"Chèque cadeau n°{numero} : utilisé ici, ce que le lot ne dit pas encore ; il reste utilisé."
            for _, numero, _, _ in rows]
