"""The canonical form of every record that counts, read from what is stored: the one function the code
that records a link and the code that verifies it both call (R07).

Each kind lists its columns explicitly, in a fixed order, ids included (a payment's method id, a line's
article id: every column a report or an export reads). A kind's records of one register are read in bulk
(verify) or one by one (at recording), by the same queries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

TICKET = ("id_ticket, numero, type_ticket, id_caisse, id_journee, id_utilisateur, date_creation, date_validation, "
          "total_ttc, total_ht, id_ticket_origine, motif")
LINE = ("id_ligne_ticket, num_ligne, id_article, code_article, libelle, quantite, prix_unitaire_ttc, remise, "
        "taux_tva, montant_ttc, montant_ht, id_ligne_origine")
# Since fiscal core 1.3, what a clothing till adds to a ticket and its lines (the ticket's discount; a line's variant,
# seller, forced price and discount's reason, share of the ticket's discount, reference price). A record covers
# them as a last element of its values, present when one of them is: the records made before stay as they were
# signed.
TICKET_MORE = ("remise_ticket", "taux_remise_ticket", "motif_remise")
LINE_MORE = ("id_declinaison", "taille", "couleur", "id_vendeur", "prix_force", "taux_remise", "motif_remise",
             "remise_ticket", "prix_reference")
PAYMENT = "id_reglement, id_moyen_paiement, code_moyen, montant, numero_piece, rendu"
DAY = ("id_journee, id_caisse, numero_z, date_ouverture, date_fermeture, id_utilisateur_ouverture, "
       "id_utilisateur_fermeture, fond_caisse, nb_tickets, nb_annulations, nb_retours, total_ttc, especes_theorique, "
       "especes_compte, ecart, ecart_valide_par, fermeture_forcee, commentaire, grand_total, grand_total_absolu")
COUNT = "valeur, nombre, total"
MOVE = "id_mouvement, id_caisse, id_journee, date_mouvement, type, montant, libelle, id_utilisateur"
REPRINT = "id_impression, ts, type, ref, id_caisse, duplicata, id_utilisateur, empreinte_document"
EVENT = "id_evenement, id_caisse, ts, code, caisse, login, detail"
PERIOD = ("id_cloture, id_caisse, type, periode, numero, date_cloture, id_utilisateur, debut, fin, nb_journees, "
          "premier_z, dernier_z, nb_tickets, nb_annulations, nb_retours, total_ttc, total_ht, total_absolu, "
          "grand_total, grand_total_absolu, detail")
ARCHIVE = ("id_archive, id_caisse, type, periode, ts, fichier, taille, sha256, cle_publique, signature, "
           "version_logiciel, version_noyau")


@dataclass(frozen=True)
class Kind:
    name: str
    words: str  # "la chaîne des tickets"
    record: str  # "ticket n°4", with {}


KINDS = {
    "ticket": Kind("ticket", "la chaîne des tickets", "ticket n°{}"),
    "cloture": Kind("cloture", "la chaîne des clôtures", "clôture n°{}"),
    "mouvement": Kind("mouvement", "la chaîne des mouvements d'espèces", "mouvement n°{}"),
    "duplicata": Kind("duplicata", "la chaîne des duplicatas", "duplicata n°{}"),
    "jet": Kind("jet", "le journal des événements techniques", "événement n°{}"),
    "archive": Kind("archive", "la chaîne des archives", "archive n°{}"),
}


HEAD_NAMES = {**{k: v.record for k, v in KINDS.items()}, "serveur": "journal du serveur n°{}"}  # « clôture n°{} »


def heads_words(found) -> str:
    """« clôture n°2, événement n°27 » for chain heads {kind: (numero, ...)}, in the order of KINDS."""
    order = list(KINDS) + ["serveur"]
    return ", ".join(HEAD_NAMES.get(kind, kind + " n°{}").format(head[0])
                     for kind, head in sorted(found.items(), key=lambda item: order.index(item[0])
                                              if item[0] in order else len(order)))


def serialise(payload: dict) -> bytes:
    """The bytes a link signs: sorted keys, no spaces, values as text (Decimal '12.50', ISO timestamps)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False).encode()


def _filter(column: str, refs: Iterable[str] | None) -> tuple[str, list]:
    if refs is None:
        return "", []
    refs = list(refs)
    if len(refs) == 1:  # a record being linked: one key lookup
        return f" AND {column} = ?", refs
    return f" AND {column} IN (SELECT unnest(?::VARCHAR[]))", [refs]


def canonical(con: duckdb.DuckDBPyConnection, kind: str, id_caisse: int,
              refs: Iterable[str] | None = None) -> dict[str, dict]:
    """{ref: canonical record} of a register's records of `kind` (all of them, or those of `refs`)."""
    return _READERS[kind](con, id_caisse, None if refs is None else list(refs))


def _tickets(con, id_caisse: int, refs) -> dict[str, dict]:
    where, params = _filter("id_ticket", refs)
    tickets = [_more(row, len(TICKET_MORE)) for row in con.execute(
        f"SELECT {TICKET}, {', '.join(TICKET_MORE)} FROM t_ticket WHERE id_caisse = ?{where}",
        [id_caisse, *params]).fetchall()]
    if refs is not None and len(refs) == 1:  # a ticket being linked: its rows by its key
        inside, inner = "id_ticket = ?", params
    else:
        inside = f"id_ticket IN (SELECT id_ticket FROM t_ticket WHERE id_caisse = ?{where})"
        inner = [id_caisse, *params]
    lines: dict[str, list] = {}
    for row in con.execute(f"SELECT id_ticket, {LINE}, {', '.join(LINE_MORE)} FROM t_ligne_ticket WHERE {inside} "
                           "ORDER BY id_ticket, num_ligne", inner).fetchall():
        lines.setdefault(row[0], []).append(_more(row[1:], len(LINE_MORE), LINE_MORE))
    payments: dict[str, list] = {}
    for row in con.execute(f"SELECT id_ticket, {PAYMENT} FROM t_reglement WHERE {inside} ORDER BY id_ticket, "
                           "id_reglement", inner).fetchall():
        payments.setdefault(row[0], []).append(list(row[1:]))
    out = {}
    for ticket in tickets:
        own_lines = lines.get(ticket[0], [])
        vat: dict = {}
        for line in own_lines:  # the VAT breakdown (R07): rate -> TTC, HT
            ttc, ht = vat.get(line[8], (0, 0))
            vat[line[8]] = (ttc + line[9], ht + line[10])
        out[ticket[0]] = {"ticket": list(ticket), "lignes": own_lines, "reglements": payments.get(ticket[0], []),
                          "tva": [[rate, ttc, ht] for rate, (ttc, ht) in sorted(vat.items())],
                          "premier": ticket[1] == 1}
    return out


def _more(row, count: int, names: tuple[str, ...] = TICKET_MORE) -> list:
    """A record's values, its last `count` (fiscal core 1.3) as one {name: value} element when any is set."""
    values, more = list(row[:-count]), {name: value for name, value in zip(names, row[-count:]) if value is not None}
    return values + [more] if more else values


def _closings(con, id_caisse: int, refs) -> dict[str, dict]:
    """A day's closing covers its figures, its count, the date it counts for in the periods, and its tickets
    (how many, and the last one's link: deleting a ticket of a closed day breaks the day's link too; after a
    purge, what was recorded of them then). A month's or a year's closing is its row (R12-R14)."""
    out = _periods(con, id_caisse, refs)
    if refs is not None:
        refs = [r for r in refs if r not in out]
        if not refs:
            return out
    where, params = _filter("id_journee", refs)
    days = con.execute(f"SELECT {DAY} FROM t_journee WHERE id_caisse = ? AND date_fermeture IS NOT NULL{where}",
                       [id_caisse, *params]).fetchall()
    inside = f"id_journee IN (SELECT id_journee FROM t_journee WHERE id_caisse = ?{where})"
    counts: dict[str, list] = {}
    for row in con.execute(f"SELECT id_journee, {COUNT} FROM t_comptage WHERE {inside} ORDER BY id_journee, valeur",
                           [id_caisse, *params]).fetchall():
        counts.setdefault(row[0], []).append(list(row[1:]))
    tickets = {row[0]: list(row[1:]) for row in con.execute(
        f"""SELECT t.id_journee, count(*), max(t.numero), arg_max(m.empreinte, t.numero) FROM t_ticket t
            LEFT JOIN maillon m ON m.id_caisse = t.id_caisse AND m.chaine = 'ticket' AND m.numero = t.numero
            WHERE t.{inside} GROUP BY t.id_journee""", [id_caisse, *params]).fetchall()}
    tickets.update({row[0]: list(row[1:]) for row in con.execute(
        f"SELECT id_journee, nb, max_numero, empreinte FROM purge_journee WHERE {inside}", [id_caisse, *params])
        .fetchall()})
    dates = dict(con.execute(f"SELECT id_journee, date_comptable FROM journee_periode WHERE {inside}",
                             [id_caisse, *params]).fetchall())
    frozen = dict(con.execute(f"SELECT id_journee, detail FROM journee_z WHERE {inside}", [id_caisse, *params])
                  .fetchall())
    for day in days:
        record = {"journee": list(day), "comptage": counts.get(day[0], []),
                  "tickets": tickets.get(day[0], [0, None, None])}
        if day[0] in dates:  # days closed before periods existed were signed without it
            record["date_comptable"] = dates[day[0]]
        if day[0] in frozen:  # the Z as printed (R15), frozen since fiscal core 1.2
            record["z"] = frozen[day[0]]
        out[day[0]] = record
    return out


def _periods(con, id_caisse: int, refs) -> dict[str, dict]:
    where, params = _filter("id_cloture", refs)
    rows = con.execute(f"SELECT {PERIOD} FROM cloture_periode WHERE id_caisse = ?{where}", [id_caisse, *params])
    return {row[0]: {"periode": list(row)} for row in rows.fetchall()}


def _moves(con, id_caisse: int, refs) -> dict[str, dict]:
    where, params = _filter("id_mouvement", refs)
    rows = con.execute(f"SELECT {MOVE} FROM t_livre_de_caisse WHERE id_journee IN (SELECT id_journee FROM t_journee "
                       f"WHERE id_caisse = ?){where}", [id_caisse, *params]).fetchall()
    return {row[0]: {"mouvement": list(row)} for row in rows}


def _reprints(con, id_caisse: int, refs) -> dict[str, dict]:
    where, params = _filter("id_impression", refs)
    # every duplicate, and the original prints of closings (their record id names their day or period, since 1.2)
    rows = con.execute(f"SELECT {REPRINT} FROM impression WHERE id_caisse = ? AND (duplicata > 0 OR "
                       f"starts_with(id_impression, 'Z:') OR starts_with(id_impression, 'P:')){where}",
                       [id_caisse, *params]).fetchall()
    return {row[0]: {"duplicata": list(row)} for row in rows}


def _events(con, id_caisse: int, refs) -> dict[str, dict]:
    where, params = _filter("id_evenement", refs)
    rows = con.execute(f"SELECT {EVENT} FROM jet WHERE id_caisse = ?{where}", [id_caisse, *params]).fetchall()
    return {row[0]: {"evenement": list(row)} for row in rows}


def _archives(con, id_caisse: int, refs) -> dict[str, dict]:
    where, params = _filter("id_archive", refs)
    rows = con.execute(f"SELECT {ARCHIVE} FROM archive WHERE id_caisse = ?{where}", [id_caisse, *params]).fetchall()
    return {row[0]: {"archive": list(row)} for row in rows}


_READERS = {"ticket": _tickets, "cloture": _closings, "mouvement": _moves, "duplicata": _reprints, "jet": _events,
            "archive": _archives}


def record_numbers(con: duckdb.DuckDBPyConnection, kind: str, id_caisse: int) -> dict[str, int | None]:
    """{ref: the number a person knows it by} (ticket n°, Z n°), to name a record found without a link."""
    if kind == "ticket":
        return dict(con.execute("SELECT id_ticket, numero FROM t_ticket WHERE id_caisse = ?", [id_caisse]).fetchall())
    if kind == "cloture":
        return dict(con.execute("SELECT id_journee, numero_z FROM t_journee WHERE id_caisse = ? UNION ALL SELECT "
                                "id_cloture, NULL FROM cloture_periode WHERE id_caisse = ?", [id_caisse, id_caisse])
                    .fetchall())
    return {}
