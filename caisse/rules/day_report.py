"""A day's report as figures: what the Z of a closed day and the X of the open day say, computed from the day's
records (the X; the Z at its closing) or read back from the closing that froze them (a Z's reprint). The paper's
layout of these figures is caisse/paper/reports.py."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import duckdb

from caisse.common.errors import CaisseError
from caisse.common.money import ZERO
from caisse.fiscal import chains
from caisse.fiscal.periods import shop_lines
from caisse.fiscal.verify import HEAD_LABELS, identity_line
from caisse.rules.figures import day_figures
from caisse.rules.sales import open_day_of
from caisse.storage.store import scalar


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
    par_vendeur: list = field(default_factory=list)  # (seller, net TTC of their lines, their discounts)
    remises: list = field(default_factory=list)  # (« motif » | « vendeur » | « collection », name, amount)

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
    data["par_vendeur"] = [(name, Decimal(ttc), Decimal(off)) for name, ttc, off in data.get("par_vendeur", [])]
    data["remises"] = [(kind, name, Decimal(amount)) for kind, name, amount in data.get("remises", [])]
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
                     avoirs_emis=day.avoirs_emis, par_vendeur=sales_by_seller(con, [id_journee]),
                     remises=discounts_by(con, [id_journee]))


# A line's seller: its own, else the ticket's (a line rung before sellers were named per line).
_SELLER = ("coalesce(nullif(trim(coalesce(v.prenom, '') || ' ' || coalesce(v.nom, '')), ''), v.login, "
           "'vendeur inconnu')")
_LINES_OF_DAYS = ("t_ligne_ticket l JOIN t_ticket t USING (id_ticket) LEFT JOIN t_utilisateur v ON v.id_utilisateur = "
                  "coalesce(l.id_vendeur, t.id_utilisateur) WHERE t.id_journee IN (SELECT unnest(?::VARCHAR[]))")


def sales_by_seller(con: duckdb.DuckDBPyConnection, days: list[str]) -> list[tuple[str, Decimal, Decimal]]:
    """(seller, net TTC, discounts) of the days' lines, sales net of voids and returns, the largest first."""
    return con.execute(f"SELECT {_SELLER}, sum(l.montant_ttc), sum(l.remise) FROM {_LINES_OF_DAYS} GROUP BY 1 "
                       "ORDER BY 2 DESC, 1", [days]).fetchall()


def discounts_by(con: duckdb.DuckDBPyConnection, days: list[str]) -> list[tuple[str, str, Decimal]]:
    """The days' discounts (net of voids and returns) by reason, by seller and by collection: a line's own
    discount under its reason, its share of the ticket's discount under the ticket's."""
    rows = con.execute(f"""
        WITH r AS (
            SELECT coalesce(l.motif_remise, 'sans motif') AS motif, {_SELLER} AS vendeur, l.id_article,
                   l.remise - coalesce(l.remise_ticket, 0) AS montant FROM {_LINES_OF_DAYS}
            UNION ALL
            SELECT coalesce(t.motif_remise, 'sans motif'), {_SELLER}, l.id_article, l.remise_ticket
            FROM {_LINES_OF_DAYS} AND l.remise_ticket IS NOT NULL),
        c AS (SELECT r.*, coalesce(c.libelle, c.code, 'hors collection') AS collection FROM r
              LEFT JOIN t_article a USING (id_article) LEFT JOIN tr_collection c ON c.id_collection = a.id_collection)
        SELECT 'motif', motif, sum(montant) FROM c GROUP BY 2 HAVING sum(montant) <> 0
        UNION ALL SELECT 'vendeur', vendeur, sum(montant) FROM c GROUP BY 2 HAVING sum(montant) <> 0
        UNION ALL SELECT 'collection', collection, sum(montant) FROM c GROUP BY 2 HAVING sum(montant) <> 0""",
                       [days, days]).fetchall()
    order = {"motif": 0, "vendeur": 1, "collection": 2}
    return sorted(rows, key=lambda r: (order[r[0]], -r[2], r[1]))


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
