"""The sale receipt, laid out once as text lines for the paper width (42 or 48 columns)."""

from __future__ import annotations

import duckdb

from . import parameters
from .money import eur
from .reports import columns, shop_header

RULE = "-"


def receipt_lines(con: duckdb.DuckDBPyConnection, id_ticket: str, width: int = 42) -> list[str]:
    rows = con.execute("""
        SELECT t.numero, t.statut, c.code, coalesce(c.libelle, c.code), t.date_validation, t.total_ttc, t.total_ht,
               trim(coalesce(u.prenom, '') || ' ' || coalesce(u.nom, '')), t.empreinte
        FROM t_ticket t JOIN t_caisse c USING (id_caisse) LEFT JOIN t_utilisateur u USING (id_utilisateur)
        WHERE t.id_ticket = ?""", [id_ticket]).fetchall()
    numero, statut, caisse, libelle, validated, ttc, ht, seller, link = rows[0]
    rule = RULE * width
    out = [line.center(width).rstrip() for line in shop_header(con)]
    params = parameters.read(con)
    header = params.ticket_entete
    if header:
        out.append(header[:width].center(width).rstrip())
    out += [rule, columns(f"Caisse {caisse}", f"Ticket n°{numero}", width)]
    if validated:
        out.append(columns(f"{validated:%d/%m/%Y %H:%M}", f"Vendeur : {seller}"[:width - 17], width))
    if statut == "ANNULE":
        out.append("*** TICKET ANNULÉ ***".center(width).rstrip())
    out.append(rule)
    for libelle_article, quantite, prix, remise, montant in con.execute(
            "SELECT libelle, quantite, prix_unitaire_ttc, remise, montant_ttc "
            "FROM t_ligne_ticket WHERE id_ticket = ? ORDER BY num_ligne", [id_ticket]).fetchall():
        out.append(columns(libelle_article, eur(montant), width))
        if quantite != 1:
            qty = f"{quantite.normalize():f}".replace(".", ",")
            out.append(f"  {qty} x {eur(prix)}")
        if remise:
            out.append(f"  remise -{eur(remise)}")
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
        out.append(columns(f"{libelle_moyen}{f' n°{numero_piece}' if numero_piece else ''}", eur(montant), width))
        if rendu:
            out.append(columns("Rendu", eur(rendu), width))
    footer = params.ticket_pied
    if footer:
        out += ["", footer[:width].center(width).rstrip()]
    if link:
        out.append(f"Empreinte {link[:16]}…")
    return out
