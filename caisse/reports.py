"""The Z ticket (the manual's "ticket récapitulatif de la journée") and the X report, as text lines.

A Z shows the day's sales, voids and returns apart, the VAT breakdown, the count, the perpetual grand totals
(R13), the register's chain heads as they were at the closing (R11: a reprint shows the same), the closing's
link and the software's and fiscal core's versions (R27)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import duckdb

from .errors import CaisseError
from .figures import day_figures
from .fiscal import chains
from .fiscal.periods import shop_lines
from .fiscal.verify import EXCERPT, HEAD_LABELS, SERVER_LABEL, identity_line
from .money import ZERO, eur
from .sales import open_day_of
from .store import scalar
from .version import signature_line

WIDTH = 42


@dataclass
class DayReport:
    kind: str  # "Z" (a closed day) or "X" (the open day, nothing closed)
    caisse: str
    libelle: str
    numero_z: int | None
    date_ouverture: datetime
    date_fermeture: datetime | None
    ouvert_par: str
    ferme_par: str
    fond: Decimal
    per_method: list[tuple[str, str, Decimal]]
    nb_tickets: int
    nb_annules: int
    nb_retours: int
    total_ttc: Decimal
    vat: list[tuple[Decimal, Decimal, Decimal]]  # taux, HT, TTC
    moves: dict[str, Decimal]
    especes_theorique: Decimal
    especes_compte: Decimal | None = None
    ecart: Decimal | None = None
    ecart_valide_par: str = ""
    commentaire: str = ""
    grand_total: Decimal | None = None
    grand_total_absolu: Decimal | None = None
    empreinte: str = ""
    comptage: list[tuple[Decimal, int, Decimal]] = field(default_factory=list)
    societe: list[str] = field(default_factory=list)
    tetes: list[tuple[str, int, str]] = field(default_factory=list)  # chain, last number, link (at the closing)
    identite: str = ""  # the register's identity line (which register made it, whatever its code)
    id_journee: str = ""
    serveur: list | None = None  # the server journal's head (number, link) when the Z was frozen (R11)
    avoirs_emis: Decimal = ZERO  # credit notes issued that day (returns refunded so, gift cheques' rests)

    def frozen(self) -> str:
        """The Z's figures as the closing signs them (R15): a reprint prints these, never a new computation.
        What the closing's own link gives (the link, and the closings' chain head) is left out."""
        data = {name: value for name, value in vars(self).items() if name not in ("empreinte", "id_journee")}
        data["tetes"] = [t for t in self.tetes if t[0] != "cloture"]
        return json.dumps(data, default=str, ensure_ascii=False, sort_keys=True)


_DECIMALS = ("fond", "total_ttc", "especes_theorique", "especes_compte", "ecart", "grand_total", "grand_total_absolu",
             "avoirs_emis")


def thawed(text: str, empreinte: str, closing_head: tuple[int, str], id_journee: str) -> DayReport:
    """A frozen Z read back, with its closing's link and the closings' chain head of its closing."""
    data = json.loads(text)
    for name in _DECIMALS:
        if data.get(name) is not None:
            data[name] = Decimal(data[name])
    for name in ("date_ouverture", "date_fermeture"):
        if data.get(name):
            data[name] = datetime.fromisoformat(data[name])
    data["per_method"] = [(code, label, Decimal(amount)) for code, label, amount in data["per_method"]]
    data["vat"] = [tuple(Decimal(v) for v in row) for row in data["vat"]]
    data["moves"] = {k: Decimal(v) for k, v in data["moves"].items()}
    data["comptage"] = [(Decimal(v), n, Decimal(t)) for v, n, t in data["comptage"]]
    heads = {kind: (numero, link) for kind, numero, link in data.pop("tetes")}
    heads["cloture"] = closing_head
    data["tetes"] = [(kind, *heads.get(kind, (0, ""))) for kind in HEAD_LABELS]
    return DayReport(**data, empreinte=empreinte, id_journee=id_journee)


def _user(con, ident) -> str:
    if ident is None:
        return ""
    rows = con.execute("SELECT trim(coalesce(prenom, '') || ' ' || coalesce(nom, '')), login FROM t_utilisateur "
                       "WHERE id_utilisateur = ?", [ident]).fetchall()
    return (rows[0][0] or rows[0][1]) if rows else f"utilisateur {ident}"


def day_report(con, kind: str, id_journee: str) -> DayReport:
    """A day's report computed from its records (the X; the Z at its closing, before it is frozen)."""
    row = con.execute("SELECT c.code, coalesce(c.libelle, c.code), j.numero_z, j.date_ouverture, j.date_fermeture, "
                      "j.id_utilisateur_ouverture, j.id_utilisateur_fermeture, j.fond_caisse, j.especes_compte, "
                      "j.ecart, j.ecart_valide_par, j.commentaire, j.grand_total, j.grand_total_absolu, m.empreinte "
                      "FROM t_journee j JOIN t_caisse c USING (id_caisse) LEFT JOIN maillon m ON m.chaine = 'cloture' "
                      "AND m.ref = j.id_journee AND m.id_caisse = j.id_caisse WHERE j.id_journee = ?",
                      [id_journee]).fetchall()[0]
    (code, libelle, z, opened, closed, by_open, by_close, fond, counted, ecart, valid_by, comment, grand, absolute,
     link) = row
    day = day_figures(con, id_journee)
    vat = con.execute("SELECT l.taux_tva, sum(l.montant_ht), sum(l.montant_ttc) FROM t_ligne_ticket l "
                      "JOIN t_ticket t USING (id_ticket) WHERE t.id_journee = ? "
                      "GROUP BY l.taux_tva ORDER BY l.taux_tva", [id_journee]).fetchall()
    comptage = con.execute("SELECT valeur, nombre, total FROM t_comptage WHERE id_journee = ? ORDER BY valeur DESC",
                           [id_journee]).fetchall()
    heads = {chaine: (numero, empreinte) for chaine, numero, empreinte in con.execute(
        "SELECT chaine, numero, empreinte FROM cloture_tetes WHERE id_journee = ?", [id_journee]).fetchall()}
    tetes = [(kind, *heads.get(kind, (0, ""))) for kind in HEAD_LABELS] if kind == "Z" else []
    id_caisse = scalar(con, "SELECT id_caisse FROM t_journee WHERE id_journee = ?", [id_journee])
    return DayReport(kind, code, libelle, z, opened, closed, _user(con, by_open), _user(con, by_close), fond,
                     day.per_method, day.nb, day.voided, day.returns, day.total, vat, day.moves, day.expected, counted,
                     ecart, _user(con, valid_by), comment or "", grand, absolute, link or "", comptage,
                     shop_header(con), tetes, identity_line(id_caisse, chains.identity(con, id_caisse)), id_journee,
                     avoirs_emis=day.avoirs_emis)


def frozen_server_head(con: duckdb.DuckDBPyConnection, id_journee: str) -> tuple[int, str] | None:
    """The server journal's head a closed day's Z witnessed (None for a Z closed before it did)."""
    rows = con.execute("SELECT detail FROM journee_z WHERE id_journee = ?", [id_journee]).fetchall()
    head = json.loads(rows[0][0]).get("serveur") if rows else None
    return (int(head[0]), head[1]) if head else None


def frozen_z(con: duckdb.DuckDBPyConnection, id_journee: str) -> DayReport | None:
    """The Z of a closed day as its closing froze it, or None for a day closed before Z were frozen."""
    rows = con.execute("SELECT z.detail, m.empreinte, m.numero FROM journee_z z LEFT JOIN maillon m ON m.chaine = "
                       "'cloture' AND m.ref = z.id_journee AND m.id_caisse = z.id_caisse WHERE z.id_journee = ?",
                       [id_journee]).fetchall()
    if not rows:
        return None
    detail, link, numero = rows[0]
    return thawed(detail, link or "", (numero or 0, link or ""), id_journee)


def shop_header(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The company's lines at the top of every printed document (from tr_societe)."""
    rows = con.execute("SELECT raison_sociale, adresse, code_postal, ville, telephone, siret, tva_intracom FROM "
                       "tr_societe ORDER BY id_societe LIMIT 1").fetchall()
    return shop_lines(*rows[0]) if rows else []


def z_report(con: duckdb.DuckDBPyConnection, caisse: str, numero: int | None = None) -> DayReport:
    """The Z of a closed day: the last one of the register, or Z n°`numero`."""
    id_caisse = scalar(con, "SELECT id_caisse FROM t_caisse WHERE code = ?", [caisse])
    if id_caisse is None:
        raise CaisseError(f"La caisse {caisse} n'existe pas.")
    if numero is None:
        numero = scalar(con, "SELECT max(numero_z) FROM t_journee WHERE id_caisse = ?", [id_caisse])
        if numero is None:
            raise CaisseError(f"La caisse {caisse} n'a encore aucune journée fermée.")
    id_journee = scalar(con, "SELECT id_journee FROM t_journee WHERE id_caisse = ? AND numero_z = ?",
                        [id_caisse, numero])
    if id_journee is None:
        raise CaisseError(f"La caisse {caisse} n'a pas de Z n°{numero}.")
    archive = scalar(con, "SELECT a.fichier FROM purge_journee p JOIN archive a USING (id_archive) WHERE "
                          "p.id_journee = ?", [id_journee])
    frozen = frozen_z(con, id_journee)
    if frozen is not None:
        return frozen
    if archive:
        raise CaisseError(f"Les tickets du Z n°{numero} de la caisse {caisse} ont été purgés de la base après leur "
                          f"archive (archives/{archive}) : son ticket Z original est archivé sous tickets/, ses "
                          "totaux restent dans la clôture mensuelle.")
    return day_report(con, "Z", id_journee)


def x_report(con: duckdb.DuckDBPyConnection, caisse: str) -> DayReport:
    """The open day's figures so far, closing nothing."""
    _, id_journee = open_day_of(con, caisse)
    return day_report(con, "X", id_journee)


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
        out += [rule, columns("Grand total perpétuel", eur(r.grand_total), width),
                columns("Grand total absolu", eur(r.grand_total_absolu or ZERO), width),
                columns("  dont cette journée", eur(r.total_ttc), width)]
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
    from .fiscal.periods import TYPE_WORDS
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
