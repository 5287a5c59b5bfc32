"""The Z ticket (the manual's "ticket récapitulatif de la journée") and the X report, as text lines.

A Z shows the day's sales, voids and returns apart, the VAT breakdown, the count, the perpetual grand totals
(R13), the register's chain heads as they were at the closing (R11: a reprint shows the same), the closing's
link and the software's and fiscal core's versions (R27)."""

from __future__ import annotations

from caisse.common.money import ZERO, eur
from caisse.fiscal.periods import TYPE_WORDS
from caisse.fiscal.verify import EXCERPT, HEAD_LABELS, SERVER_LABEL
from caisse.fiscal.version import signature_line
from caisse.rules.day_report import DayReport

WIDTH = 42


def columns(left: str, right: str, width: int) -> str:
    """`left` and `right` on one line of `width` columns, `left` cut if they do not fit."""
    if len(left) + len(right) >= width:
        left = left[:max(0, width - len(right) - 1)]
    return f"{left}{' ' * max(1, width - len(left) - len(right))}{right}"


def voids_and_vat(voids: int, returns: int, vat, width: int) -> list[str]:
    """The voids and returns counted apart, then the VAT breakdown (rate, HT / TVA / TTC): a Z's and a closing's."""
    out = [columns("Tickets annulés", str(voids), width)] if voids else []
    if returns:
        out.append(columns("Retours", str(returns), width))
    out += ["-" * width, columns("TVA", "HT / TVA / TTC", width)]
    for taux, ht, ttc in vat:
        rate = f"{taux:.2f}".replace(".", ",") + " %"
        out.append(columns(rate, f"{eur(ht)} / {eur(ttc - ht)} / {eur(ttc)}".replace(" €", ""), width))
    return out


DISCOUNT_TITLES = {"motif": "Remises par motif", "vendeur": "Remises par vendeur",
                   "collection": "Remises par collection"}


def sellers_and_discounts(par_vendeur, remises, width: int) -> list[str]:
    """The day by seller (net sales), then its discounts by reason, seller and collection: a compact section."""
    out = []
    if par_vendeur:
        out += ["-" * width, columns("Ventes par vendeur", "TTC", width)]
        out += [columns(f"  {name}", eur(ttc), width) for name, ttc, _ in par_vendeur]
    shown = None
    for kind, name, amount in remises:
        if kind != shown:
            out += (["-" * width] if shown is None else []) + [DISCOUNT_TITLES[kind]]
            shown = kind
        out.append(columns(f"  {name}", eur(amount), width))
    return out


def report_lines(r: DayReport, width: int = WIDTH) -> list[str]:
    """The report laid out for a paper `width` columns wide (42 or 48)."""
    rule = "-" * width
    title = f"TICKET Z n°{r.numero_z}" if r.kind == "Z" else "RAPPORT X (journée en cours)"
    out = [line.center(width).rstrip() for line in r.societe]
    out += [rule, title.center(width).rstrip(), f"Caisse {r.caisse} - {r.libelle}"[:width], rule,
            columns("Ouverture", f"{r.date_ouverture:%d/%m/%Y %H:%M}", width), f"  par {r.ouvert_par}"[:width]]
    if r.date_fermeture:
        out += [columns("Fermeture", f"{r.date_fermeture:%d/%m/%Y %H:%M}", width), f"  par {r.ferme_par}"[:width]]
    out += [rule, columns("Moyen", "Montant", width)]
    out += [columns(libelle, eur(amount), width) for _, libelle, amount in r.per_method] or ["  aucun règlement"]
    out += [columns("Total TTC", eur(r.total_ttc), width), columns("Nombre de ticket", str(r.nb_tickets), width)]
    if r.avoirs_emis:
        out.append(columns("Avoirs émis ce jour", eur(r.avoirs_emis), width))
    out += voids_and_vat(r.nb_annules, r.nb_retours, r.vat, width)
    out += sellers_and_discounts(r.par_vendeur, r.remises, width)
    out += [rule, columns("Fond de caisse", eur(r.fond), width)]
    for kind, label in (("ENTREE", "Entrées"), ("SORTIE", "Sorties"), ("REMISE", "Remises en banque")):
        if r.moves.get(kind):
            out.append(columns(label, eur(r.moves[kind]), width))
    if r.comptage:
        out += [rule, columns("Unité", "Nombre     Total", width)]
        out += [columns(eur(v), f"{n:>6} {eur(t):>11}", width) for v, n, t in r.comptage]
    out.append(columns("Espèces attendues", eur(r.especes_theorique), width))
    if r.especes_compte is not None:
        out += [columns("Espèces comptées", eur(r.especes_compte), width),
                columns("Écart", eur(r.ecart or ZERO), width)]
        if r.ecart_valide_par:
            out.append(f"  écart validé par {r.ecart_valide_par}"[:width])
        if r.commentaire:
            out.append(f"  {r.commentaire}"[:width])
    if r.grand_total is not None:
        out += [rule, columns("Grand total perpétuel", eur(r.grand_total), width),  # the day's net is part of it
                columns("  dont cette journée", eur(r.total_ttc), width),
                columns("Grand total absolu", eur(r.grand_total_absolu or ZERO), width)]
    if r.tetes:
        out += [rule, "Chaînes (dernier n°, empreinte)"]
        out += [columns(HEAD_LABELS[kind], f"{numero} {link[:EXCERPT] or '-'}", width)
                for kind, numero, link in r.tetes]
    if r.serveur:
        out.append(columns(SERVER_LABEL, f"{r.serveur[0]} {r.serveur[1][:EXCERPT] or '-'}", width))
    if r.identite:
        out.append(r.identite[:width])
    if r.empreinte:
        out += ["Empreinte de la clôture", r.empreinte[:width], r.empreinte[width:]]
    out += [rule, signature_line()[:width]]
    return [line for line in out if line is not None]


def period_lines(r, width: int = WIDTH) -> list[str]:
    """A closing by period (fiscal.periods.PeriodReport) laid out like the Z: the period's totals per VAT rate
    and payment method, the perpetual totals, the chain heads, the closing's link and the archives' public key
    (R13, R21, R27)."""
    rule = "-" * width
    out = [line.center(width).rstrip() for line in r.societe]
    out += [rule, f"{TYPE_WORDS[r.kind].upper()} n°{r.numero}".center(width).rstrip(),
            (f"Mois {r.periode}" if r.kind == "MOIS" else f"Exercice {r.periode}").center(width).rstrip(),
            f"Caisse {r.caisse} - {r.libelle}"[:width], rule,
            columns("Du", f"{r.debut:%d/%m/%Y}", width), columns("Au", f"{r.fin:%d/%m/%Y}", width),
            columns("Clôturé le", f"{r.date_cloture:%d/%m/%Y %H:%M}", width), f"  par {r.par}"[:width],
            columns("Journées", str(r.nb_journees), width), columns("Z", f"n°{r.premier_z} à n°{r.dernier_z}", width),
            rule, columns("Moyen", "Montant", width)]
    out += [columns(label, eur(amount), width) for _, label, amount in r.methods] or ["  aucun règlement"]
    out += [columns("Total TTC", eur(r.total_ttc), width), columns("Total HT", eur(r.total_ht), width),
            columns("Nombre de ticket", str(r.nb_tickets), width)]
    out += voids_and_vat(r.nb_annulations, r.nb_retours, r.vat, width)
    out += [rule, columns("Grand total perpétuel", eur(r.grand_total), width),
            columns("Grand total absolu", eur(r.grand_total_absolu), width),
            columns("  dont cette période", eur(r.total_ttc), width), rule, "Chaînes (dernier n°, empreinte)"]
    out += [columns(HEAD_LABELS.get(kind, kind), f"{numero} {link[:EXCERPT] or '-'}", width)
            for kind, (numero, link) in sorted(r.tetes.items())]
    if r.empreinte:
        out += ["Empreinte de la clôture", r.empreinte[:width], r.empreinte[width:]]
    if r.cle_archive:
        out += ["Clé publique des archives", r.cle_archive[:32], r.cle_archive[32:]]
    out += [rule, signature_line()[:width]]
    return [line for line in out if line]
