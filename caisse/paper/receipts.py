"""The receipt of a validated ticket (a sale, a void or a return) and the credit note a return issues, laid
out once as text lines for the paper width (42 or 48 columns), with the barcode that finds them again.

Every receipt names the software and the fiscal core's versions, the register, the numbers, the VAT
breakdown and an excerpt of the ticket's link (R27)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from caisse.common.money import eur, qty
from caisse.fiscal import chains
from caisse.fiscal.verify import EXCERPT, identity_line
from caisse.fiscal.version import signature_line
from caisse.paper.reports import columns
from caisse.rules import parameters
from caisse.rules.day_report import shop_header
from caisse.rules.tickets import ANNULATION, RETOUR, TicketView, ticket_view

RULE = "-"


def receipt_ref(caisse: str, numero: int) -> str:
    """A receipt's name and barcode: `C01-T000012` (a return finds the sale with it)."""
    return f"{caisse}-T{numero:06d}"


def receipt_lines(con: duckdb.DuckDBPyConnection, id_ticket: str, width: int = 42) -> list[str]:
    rows = con.execute("""
        SELECT t.numero, t.type_ticket, c.code, coalesce(c.libelle, c.code), t.date_validation, t.total_ttc,
               trim(coalesce(u.prenom, '') || ' ' || coalesce(u.nom, '')), m.empreinte, o.numero, t.motif, t.id_caisse
        FROM t_ticket t JOIN t_caisse c USING (id_caisse) LEFT JOIN t_utilisateur u USING (id_utilisateur)
        LEFT JOIN t_ticket o ON o.id_ticket = t.id_ticket_origine
        LEFT JOIN maillon m ON m.id_caisse = t.id_caisse AND m.chaine = 'ticket' AND m.numero = t.numero
        WHERE t.id_ticket = ?""", [id_ticket]).fetchall()
    numero, type_, caisse, libelle, validated, ttc, seller, link, origin, motif, id_caisse = rows[0]
    rule = RULE * width
    params = parameters.read(con)
    out = [line.center(width).rstrip() for line in shop_header(con)]
    if params.ticket_entete:
        out.append(params.ticket_entete[:width].center(width).rstrip())
    out += [rule, columns(f"Caisse {caisse}", f"Ticket n°{numero}", width)]
    out.append(columns(f"{validated:%d/%m/%Y %H:%M:%S}", f"Vendeur : {seller}"[:width - 20], width))
    if type_ == ANNULATION:
        out += [f"*** ANNULATION DU TICKET n°{origin} ***".center(width).rstrip(), f"Motif : {motif}"[:width]]
    elif type_ == RETOUR:
        what = f"du ticket n°{origin}" if origin else "sans ticket"
        out += [f"*** RETOUR {what} ***".upper().center(width).rstrip(), f"Motif : {motif}"[:width]]
    out.append(rule)
    view = ticket_view(con, id_ticket)
    out += lines_block(view, seller, width)
    out += [rule, columns("TOTAL TTC", eur(ttc), width)]
    for taux, line_ht, line_ttc in con.execute(
            "SELECT taux_tva, sum(montant_ht), sum(montant_ttc) FROM t_ligne_ticket WHERE id_ticket = ? "
            "GROUP BY taux_tva ORDER BY taux_tva", [id_ticket]).fetchall():
        rate = f"{taux:.2f}".replace(".", ",")
        out.append(columns(f"TVA {rate} %", f"HT {eur(line_ht)} TVA {eur(line_ttc - line_ht)}", width))
    out.append(rule)
    for libelle_moyen, montant, numero_piece, rendu in con.execute(
            "SELECT coalesce(m.libelle, r.code_moyen), r.montant, r.numero_piece, r.rendu FROM t_reglement r "
            "LEFT JOIN tr_moyen_paiement m USING (id_moyen_paiement) WHERE r.id_ticket = ? ORDER BY r.id_reglement",
            [id_ticket]).fetchall():
        label = "Remboursé : " + libelle_moyen if montant < 0 else libelle_moyen
        out.append(columns(f"{label}{f' n°{numero_piece}' if numero_piece else ''}", eur(montant), width))
        if rendu:
            out.append(columns("Rendu", eur(rendu), width))
    if params.ticket_pied:
        out += ["", params.ticket_pied[:width].center(width).rstrip()]
    out += [rule, f"Empreinte {(link or '')[:EXCERPT]}", identity_line(id_caisse, chains.identity(con, id_caisse)),
            signature_line()[:width], receipt_ref(caisse, numero)]
    return out


def lines_block(ticket: TicketView, seller: str | None, width: int) -> list[str]:
    """A ticket's lines as paper shows them: the article in its size and colour and what it costs; under it, when
    reduced, the price before the reduction, the reference price of the 30 days before (L112-1-1), the forced price,
    the discount and its reason, the line's share of the ticket's discount; its seller when not the ticket's. Then
    the ticket's discount."""
    out = []
    for line in ticket.lines:
        out.append(columns(line.named, eur(line.montant_ttc), width))
        if line.quantite != 1 or line.remise:
            out.append(f"  {qty(line.quantite)} x {eur(line.prix_unitaire_ttc)}")
        if line.prix_reference is not None:
            out.append(f"  Prix de référence : {eur(line.prix_reference)}"[:width])
        gap = line.forced_gap
        if line.prix_force is not None:
            out.append(columns(f"  Prix remisé {eur(line.prix_force)}", eur(-gap), width))
        own = line.own_discount - gap
        if own:
            rate = f" {qty(line.taux_remise)} %" if line.taux_remise is not None else ""
            out.append(columns(f"  Remise{rate}", eur(-own), width))
        if line.motif_remise and (own or gap):
            out.append(f"  Motif : {line.motif_remise}"[:width])
        if line.remise_ticket:
            out.append(columns("  Part remise ticket", eur(-line.remise_ticket), width))
        if line.vendeur and seller and line.vendeur != seller:
            out.append(f"  Vendeur : {line.vendeur}"[:width])
    if ticket.remise_ticket:
        rate = f" {qty(ticket.taux_remise_ticket)} %" if ticket.taux_remise_ticket is not None else ""
        out.append(columns(f"Remise ticket{rate} ({ticket.motif_remise})", eur(-ticket.remise_ticket), width))
    return out


MOVE_TITLES = {"ENTREE": "ENTRÉE D'ESPÈCES", "SORTIE": "SORTIE D'ESPÈCES", "REMISE": "REMISE EN BANQUE"}


def move_lines(con: duckdb.DuckDBPyConnection, id_mouvement: str, width: int = 42) -> tuple[str, list[str]]:
    """(reference, lines) of a cash move's slip: what, how much, why, who and when, its number in the register's
    chain of moves and an excerpt of its link (the slip goes in the drawer or to the bank with the cash)."""
    (type_, montant, libelle, when, who, code, numero, link), = con.execute("""
        SELECT l.type, l.montant, l.libelle, l.date_mouvement,
               coalesce(nullif(trim(coalesce(u.prenom, '') || ' ' || coalesce(u.nom, '')), ''), u.login), c.code,
               m.numero, m.empreinte
        FROM t_livre_de_caisse l JOIN t_caisse c USING (id_caisse)
        LEFT JOIN t_utilisateur u USING (id_utilisateur)
        LEFT JOIN maillon m ON m.id_caisse = l.id_caisse AND m.chaine = 'mouvement' AND m.ref = l.id_mouvement
        WHERE l.id_mouvement = ?""", [id_mouvement]).fetchall()
    rule = RULE * width
    out = [line.center(width).rstrip() for line in shop_header(con)]
    out += [rule, MOVE_TITLES.get(type_, type_).center(width).rstrip(), rule,
            columns(f"Caisse {code}", f"Mouvement n°{numero}", width),
            columns(f"{when:%d/%m/%Y %H:%M:%S}", f"par {who}"[:width - 20], width), rule,
            columns("Montant", eur(montant), width), f"Motif : {libelle}"[:width], rule,
            f"Empreinte {(link or '')[:EXCERPT]}", signature_line()[:width]]
    return f"{code}-MVT{numero:06d}", out


PROVISIONAL = "DOCUMENT PROVISOIRE"


def note_lines(con: duckdb.DuckDBPyConnection, id_ticket: str, width: int = 42) -> list[str]:
    """A provisional note of a ticket being rung (R18): its lines and total before payment, « DOCUMENT
    PROVISOIRE » above and below, no number and no link: it counts nowhere and is not a receipt."""
    from caisse.rules.drafts import draft_view  # the drafts' rules, loaded by the one document that prints a draft
    draft = draft_view(con, id_ticket)
    rule = RULE * width
    mark = f"*** {PROVISIONAL} ***".center(width).rstrip()
    out = [mark, *(line.center(width).rstrip() for line in shop_header(con)), rule,
           columns(f"Caisse {draft.caisse}", "Note provisoire", width),
           f"{datetime.now():%d/%m/%Y %H:%M:%S}", rule]
    out += lines_block(draft, draft.vendeur, width)
    out += [rule, columns("TOTAL TTC", eur(draft.total_ttc), width), rule,
            "Ne vaut pas ticket de caisse : le ticket est"[:width], "remis au paiement.", signature_line()[:width],
            mark]
    return out


def credit_note_lines(con: duckdb.DuckDBPyConnection, numero: str, width: int = 42) -> list[str]:
    """The credit note a return issued: its number (and barcode), amount, validity, the return it comes from."""
    rows = con.execute("""
        SELECT a.montant, a.date_emission, a.date_validite, c.code, t.numero, t.type_ticket, o.numero FROM t_avoir a
        LEFT JOIN t_caisse c ON c.id_caisse = a.id_caisse LEFT JOIN t_ticket t ON t.id_ticket = a.id_ticket_emission
        LEFT JOIN t_ticket o ON o.id_ticket = t.id_ticket_origine
        WHERE a.numero = ?""", [numero]).fetchall()
    montant, emission, validite, caisse, ticket, type_, origin = rows[0]
    rule = RULE * width
    out = [line.center(width).rstrip() for line in shop_header(con)]
    out += [rule, "AVOIR".center(width).rstrip(), f"n°{numero}".center(width).rstrip(), rule,
            columns("Montant", eur(montant), width), columns("Émis le", f"{emission:%d/%m/%Y}", width),
            columns("Valable jusqu'au", f"{validite:%d/%m/%Y}", width)]
    if ticket and type_ == RETOUR:
        out.append(columns("Retour", f"caisse {caisse}, ticket n°{ticket}", width))
        if origin:
            out.append(columns("Vente d'origine", f"ticket n°{origin}", width))
    elif ticket:
        out.append(columns("Reste du chèque cadeau", f"ticket n°{ticket}", width))
    out += [rule, *wrapped("À présenter en caisse : utilisable en une ou plusieurs fois.", width),
            signature_line()[:width], numero]
    return out


def wrapped(text: str, width: int) -> list[str]:
    """A sentence cut at spaces into lines of at most `width` columns (paper never gets a longer line)."""
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return out + ([line] if line else [])
