"""Closings by period (R12-R14): a month is the sum of its signed days, a (fiscal) year the sum of its signed
months, each closing a record of the register's closings chain.

They are made by the day's closing, in its transaction: the first closing of a day that counts for a new month
first closes every earlier month that has days and no closing yet, then every earlier fiscal year. Before a
month is made, each of its days' links is recomputed and each day's total compared with its tickets: a month
is never made from records that were changed (the closing is refused with the sentence, nothing is written).

The date a day counts for is its opening's, less `debut_journee` (a bar opened at 18:00 and closed at 03:00
with 04:00 counts for the evening's date); it is frozen at the day's closing (`journee_periode`, signed with
the day), and a day never counts for a month already closed (it goes to the next open one).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb

from caisse.common.dates import Calendar
from caisse.common.errors import CaisseError
from caisse.common.money import ZERO, eur, plural
from caisse.fiscal import chains
from caisse.fiscal.jet import record_event
from caisse.fiscal.keys import load_keys
from caisse.fiscal.records import PERIOD, canonical
from caisse.storage.store import current_store
from pipeline.names import ascii_digits

MONTH, YEAR = "MOIS", "ANNEE"
TYPE_WORDS = {MONTH: "Clôture mensuelle", YEAR: "Clôture annuelle"}
EVENT = {MONTH: 55, YEAR: 60}
PENDING_EVENT = 57  # a period that does not add up: it waits, the day's closing goes through


class PeriodPending(CaisseError):
    """A month or a year whose signed records do not add up: it is not closed (nothing of it is written), the
    day's closing goes on, and the period waits, said on Fermeture and by `status`."""

    def __init__(self, period: str, reason: str):
        self.period, self.reason = period, reason
        super().__init__(reason)


def parse_period(text: str) -> tuple[str, str]:
    """(type, period) of '2026-11' (a month) or '2026' (a fiscal year); CaisseError otherwise."""
    text = (text or "").strip()
    try:
        if len(text) == 7 and text[4] == "-":
            date(int(text[:4]), int(text[5:]), 1)
            return MONTH, text
        if len(text) == 4 and ascii_digits(text):
            return YEAR, text
    except ValueError:
        pass
    raise CaisseError(f"Période « {text} » incomprise : un mois s'écrit AAAA-MM (2026-11), une année AAAA (2026).")


def period_id(kind: str, id_caisse: int, period: str) -> str:
    return f"{'M' if kind == MONTH else 'A'}{id_caisse}-{period}"


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def day_date(con: duckdb.DuckDBPyConnection, calendar: Calendar, id_caisse: int, opened: datetime) -> date:
    """The date a day counts for: its opening's by the calendar, never in a month already closed."""
    counted = calendar.business_date(opened)
    closed = con.execute("SELECT max(periode) FROM cloture_periode WHERE id_caisse = ? AND type = ?",
                         [id_caisse, MONTH]).fetchall()[0][0]
    if closed and f"{counted:%Y-%m}" <= closed:
        first_open = next_month(closed)
        counted = date(int(first_open[:4]), int(first_open[5:]), 1)
    return counted


def close_due(con: duckdb.DuckDBPyConnection, calendar: Calendar, id_caisse: int, caisse: str, counted: date,
              user, now: datetime) -> tuple[list[tuple[str, str, int]], list[PeriodPending]]:
    """Close every month before `counted`'s that has closed days and no closing, then every fiscal year before
    its whose months are all closed; ([(type, period, numero)] made, in order, [periods left pending]). A period
    whose signed records do not add up is left pending (an event, once per reason), never the day's closing:
    a register always closes. Called by the day's closing, before its own Z."""
    month = f"{counted:%Y-%m}"
    made, pending = [], []
    due = [m for m, in con.execute(
        "SELECT DISTINCT strftime(p.date_comptable, '%Y-%m') AS m FROM journee_periode p JOIN t_journee j "
        "USING (id_journee) WHERE j.id_caisse = ? AND j.numero_z IS NOT NULL AND m < ? AND m NOT IN "
        "(SELECT periode FROM cloture_periode WHERE id_caisse = ? AND type = ?) ORDER BY m",
        [id_caisse, month, id_caisse, MONTH]).fetchall()]
    if due:
        # archive.py imports this module, and loads cryptography, which `caisse status` never needs
        from caisse.fiscal.archive import signing_key  # its public half is printed on the monthly closing
        signing_key(con, current_store().key_path, now)
    for period in due:
        try:
            numero = _close_month(con, calendar, id_caisse, period, user, now)
        except PeriodPending as e:
            pending.append(_left_pending(con, caisse, e, user, now))
            continue
        made.append((MONTH, period, numero))
        record_event(con, 55, caisse=caisse, login=user.login if user else None,
                     detail=_event_words(con, MONTH, id_caisse, period), now=now)
    year = calendar.fiscal_year(month)
    with_days = {m for m, in con.execute(
        "SELECT DISTINCT strftime(p.date_comptable, '%Y-%m') FROM journee_periode p JOIN t_journee j USING "
        "(id_journee) WHERE j.id_caisse = ? AND j.numero_z IS NOT NULL", [id_caisse]).fetchall()}
    closed = {(kind, period) for kind, period in con.execute(
        "SELECT type, periode FROM cloture_periode WHERE id_caisse = ?", [id_caisse]).fetchall()}
    due_years = sorted({calendar.fiscal_year(m) for kind, m in closed if kind == MONTH}
                       - {y for kind, y in closed if kind == YEAR})
    for period in [y for y in due_years if y < year]:
        open_months = sorted(m for m in with_days if calendar.fiscal_year(m) == period and (MONTH, m) not in closed)
        try:
            if open_months:
                raise PeriodPending(period, f"L'exercice {period} attend la clôture du mois {open_months[0]} : une "
                                            "année est la somme de ses mois signés.")
            numero = _close_year(con, calendar, id_caisse, period, user, now)
        except PeriodPending as e:
            pending.append(_left_pending(con, caisse, e, user, now))
            continue
        made.append((YEAR, period, numero))
        record_event(con, 60, caisse=caisse, login=user.login if user else None,
                     detail=_event_words(con, YEAR, id_caisse, period), now=now)
    return made, pending


def _left_pending(con, caisse: str, pending: PeriodPending, user, now: datetime) -> PeriodPending:
    """Record once (per period and reason) that a period waits."""
    detail = f"{pending.period} : {pending.reason}"
    if not con.execute("SELECT count(*) FROM jet WHERE caisse = ? AND code = ? AND detail = ?",
                       [caisse, PENDING_EVENT, detail]).fetchall()[0][0]:
        record_event(con, PENDING_EVENT, caisse=caisse, login=user.login if user else None, detail=detail, now=now)
    return pending


def pending_periods(con: duckdb.DuckDBPyConnection, id_caisse: int) -> list[PeriodPending]:
    """The months (and years) a closing left pending and that still have no closing, with the last reason given."""
    out = []
    for detail, in con.execute(
            "SELECT arg_max(detail, ts) FROM jet WHERE id_caisse = ? AND code = ? GROUP BY split_part(detail, ' ', 1) "
            "ORDER BY 1", [id_caisse, PENDING_EVENT]).fetchall():
        period, _, reason = detail.partition(" : ")
        kind = MONTH if len(period) == 7 else YEAR
        if not con.execute("SELECT count(*) FROM cloture_periode WHERE id_cloture = ?",
                           [period_id(kind, id_caisse, period)]).fetchall()[0][0]:
            out.append(PeriodPending(period, reason))
    return out


def _event_words(con, kind: str, id_caisse: int, period: str) -> str:
    numero, nb, total, grand = con.execute(
        "SELECT numero, nb_tickets, total_ttc, grand_total FROM cloture_periode WHERE id_cloture = ?",
        [period_id(kind, id_caisse, period)]).fetchall()[0]
    return (f"{TYPE_WORDS[kind]} n°{numero} de {period} : {plural(nb, 'vente')}, {eur(total)}, grand total perpétuel "
            f"{eur(grand)}")


def _check_days(con, id_caisse: int, days: list[tuple], period: str) -> None:
    """Each day of the period still is what was signed, and its total is its tickets' (R14)."""
    keys = load_keys(current_store().key_path)
    refs = [d[0] for d in days]
    payloads = canonical(con, "cloture", id_caisse, refs)
    links = {ref: (numero, version, cle, empreinte, previous) for ref, numero, version, cle, empreinte, previous in
             con.execute("SELECT ref, numero, version, cle, empreinte, empreinte_precedente FROM maillon WHERE "
                         "id_caisse = ? AND chaine = 'cloture' AND ref IN (SELECT unnest(?::VARCHAR[]))",
                         [id_caisse, refs]).fetchall()}
    sums = dict(con.execute("SELECT id_journee, sum(total_ttc) FROM t_ticket WHERE id_journee IN "
                            "(SELECT unnest(?::VARCHAR[])) GROUP BY id_journee", [refs]).fetchall())
    for id_journee, numero_z, total, *_ in days:
        link = links.get(id_journee)
        key = keys.by_id(link[2]) if link else None
        payload = payloads.get(id_journee)
        if link is None or key is None or payload is None or not hmac.compare_digest(
                chains.sign(key, "cloture", id_caisse, link[0], link[4], payload, link[1]), link[3] or ""):
            raise PeriodPending(period, f"La clôture de {period} attend : le Z n°{numero_z} ne correspond plus à ce "
                                        "qui a été signé. Lancez « caisse verify » et contactez la hotline.")
        if sums.get(id_journee, ZERO) != total:
            raise PeriodPending(period, f"La clôture de {period} attend : le total du Z n°{numero_z} ({eur(total)}) "
                                        f"n'est plus celui de ses tickets ({eur(sums.get(id_journee, ZERO))}). Lancez "
                                        "« caisse verify » et contactez la hotline.")


def _close_month(con, calendar: Calendar, id_caisse: int, period: str, user, now: datetime) -> int:
    days = con.execute(
        "SELECT j.id_journee, j.numero_z, j.total_ttc, j.nb_tickets, j.nb_annulations, j.nb_retours, j.grand_total, "
        "j.grand_total_absolu, p.date_comptable FROM t_journee j JOIN journee_periode p USING (id_journee) "
        "WHERE j.id_caisse = ? AND j.numero_z IS NOT NULL AND strftime(p.date_comptable, '%Y-%m') = ? "
        "ORDER BY j.numero_z", [id_caisse, period]).fetchall()
    _check_days(con, id_caisse, days, period)
    refs = [d[0] for d in days]
    total = sum((d[2] for d in days), ZERO)
    first, last = days[0], days[-1]
    if first[6] - first[2] + total != last[6]:  # the perpetual total adds up over the month
        raise PeriodPending(period, f"La clôture de {period} attend : le grand total perpétuel des Z n°{first[1]} à "
                                    f"n°{last[1]} ne s'additionne pas. Lancez « caisse verify » et contactez la "
                                    "hotline.")
    (total_ht, absolute), = con.execute("SELECT coalesce(sum(total_ht), 0), coalesce(sum(abs(total_ttc)), 0) FROM "
                                        "t_ticket WHERE id_journee IN (SELECT unnest(?::VARCHAR[]))", [refs]).fetchall()
    vat = con.execute("SELECT l.taux_tva, sum(l.montant_ht), sum(l.montant_ttc) FROM t_ligne_ticket l JOIN t_ticket t "
                      "USING (id_ticket) WHERE t.id_journee IN (SELECT unnest(?::VARCHAR[])) GROUP BY l.taux_tva "
                      "ORDER BY l.taux_tva", [refs]).fetchall()
    methods = con.execute("SELECT r.code_moyen, sum(r.montant - coalesce(r.rendu, 0)) FROM t_reglement r JOIN t_ticket "
                          "t USING (id_ticket) WHERE t.id_journee IN (SELECT unnest(?::VARCHAR[])) GROUP BY "
                          "r.code_moyen ORDER BY r.code_moyen", [refs]).fetchall()
    figures = {"nb_journees": len(days), "premier_z": first[1], "dernier_z": last[1],
               "nb_tickets": sum(d[3] for d in days), "nb_annulations": sum(d[4] for d in days),
               "nb_retours": sum(d[5] for d in days), "total_ttc": total, "total_ht": total_ht,
               "total_absolu": absolute, "grand_total": last[6], "grand_total_absolu": last[7],
               "debut": min(d[8] for d in days), "fin": max(d[8] for d in days)}
    return _write(con, calendar, MONTH, id_caisse, period, figures, vat, methods, user, now)


def _close_year(con, calendar: Calendar, id_caisse: int, period: str, user, now: datetime) -> int:
    first_month, last_month = calendar.year_months(period)
    months = con.execute(f"SELECT {PERIOD} FROM cloture_periode WHERE id_caisse = ? AND type = ? AND periode "
                         "BETWEEN ? AND ? ORDER BY periode", [id_caisse, MONTH, first_month, last_month]).fetchall()
    names = PERIOD.split(", ")
    rows = [dict(zip(names, m)) for m in months]
    vat: dict[Decimal, list[Decimal]] = {}
    methods: dict[str, Decimal] = {}
    for row in rows:
        detail = json.loads(row["detail"])
        for rate, ht, ttc in detail["tva"]:
            sums = vat.setdefault(Decimal(rate), [ZERO, ZERO])
            sums[0] += Decimal(ht)
            sums[1] += Decimal(ttc)
        for code, amount in detail["moyens"]:
            methods[code] = methods.get(code, ZERO) + Decimal(amount)
    total = sum((r["total_ttc"] for r in rows), ZERO)
    days_total = con.execute("SELECT coalesce(sum(j.total_ttc), 0) FROM t_journee j JOIN journee_periode p USING "
                             "(id_journee) WHERE j.id_caisse = ? AND strftime(p.date_comptable, '%Y-%m') BETWEEN ? "
                             "AND ?", [id_caisse, first_month, last_month]).fetchall()[0][0]
    if days_total != total:
        raise PeriodPending(period, f"La clôture de l'exercice {period} attend : ses clôtures mensuelles "
                                    f"({eur(total)}) ne font pas le total de ses Z ({eur(days_total)}). Lancez "
                                    "« caisse verify » et contactez la hotline.")
    figures = {key: sum(r[key] for r in rows) for key in ("nb_journees", "nb_tickets", "nb_annulations", "nb_retours",
                                                            "total_ht", "total_absolu")}
    figures.update(total_ttc=total, premier_z=rows[0]["premier_z"], dernier_z=rows[-1]["dernier_z"],
                   grand_total=rows[-1]["grand_total"], grand_total_absolu=rows[-1]["grand_total_absolu"],
                   debut=rows[0]["debut"], fin=rows[-1]["fin"])
    return _write(con, calendar, YEAR, id_caisse, period, figures,
                  [(rate, ht, ttc) for rate, (ht, ttc) in sorted(vat.items())], sorted(methods.items()), user, now)


def _write(con, calendar: Calendar, kind: str, id_caisse: int, period: str, figures: dict, vat, methods, user,
           now: datetime) -> int:
    numero = con.execute("SELECT coalesce(max(numero), 0) + 1 FROM cloture_periode WHERE id_caisse = ? AND type = ?",
                         [id_caisse, kind]).fetchall()[0][0]
    labels = dict(con.execute("SELECT code, coalesce(libelle, code) FROM tr_moyen_paiement").fetchall())
    detail = json.dumps({"tva": [[str(r), str(h), str(t)] for r, h, t in vat],
                         "moyens": [[code, str(amount)] for code, amount in methods],
                         "libelles": {code: labels.get(code, code) for code, _ in methods},
                         "societe": _shop(con),
                         "tetes": {k: list(v) for k, v in sorted(chains.heads(con, id_caisse).items())},
                         "serveur": list(chains.last(con, "jet", chains.SERVER)),  # archived with the month
                         "calendrier": calendar.words()}, sort_keys=True, ensure_ascii=False)
    ident = period_id(kind, id_caisse, period)
    f = figures
    con.execute(f"INSERT INTO cloture_periode ({PERIOD}) VALUES ({', '.join('?' * len(PERIOD.split(', ')))})",
                [ident, id_caisse, kind, period, numero, now, user.id_utilisateur if user else None, f["debut"],
                 f["fin"], f["nb_journees"], f["premier_z"], f["dernier_z"], f["nb_tickets"], f["nb_annulations"],
                 f["nb_retours"], f["total_ttc"], f["total_ht"], f["total_absolu"], f["grand_total"],
                 f["grand_total_absolu"], detail])
    chains.link(con, "cloture", id_caisse, ident, now)
    return numero


@dataclass
class PeriodReport:
    kind: str
    caisse: str
    libelle: str
    periode: str
    numero: int
    date_cloture: datetime
    par: str
    debut: date
    fin: date
    nb_journees: int
    premier_z: int
    dernier_z: int
    nb_tickets: int
    nb_annulations: int
    nb_retours: int
    total_ttc: Decimal
    total_ht: Decimal
    total_absolu: Decimal
    grand_total: Decimal
    grand_total_absolu: Decimal
    vat: list[tuple[Decimal, Decimal, Decimal]]  # taux, HT, TTC
    methods: list[tuple[str, str, Decimal]]  # code, libellé, montant
    tetes: dict[str, tuple[int, str]]
    empreinte: str
    cle_archive: str
    societe: list[str]
    id_cloture: str = ""


def shop_lines(name, address, postcode, town, phone, siret, vat) -> list[str]:
    """The company's lines at the top of every printed document."""
    lines = [v for v in (name, address, " ".join(p for p in (postcode, town) if p)) if v]
    if phone:
        lines.append(f"Tél. {phone}")
    if siret:
        lines.append(f"SIRET {siret}")
    if vat:
        lines.append(f"TVA {vat}")
    return lines


def _shop(con) -> list[str]:
    rows = con.execute("SELECT raison_sociale, adresse, code_postal, ville, telephone, siret, tva_intracom FROM "
                       "tr_societe ORDER BY id_societe LIMIT 1").fetchall()
    return shop_lines(*rows[0]) if rows else []


def period_report(con: duckdb.DuckDBPyConnection, caisse: str, kind: str, period: str) -> PeriodReport:
    """A closing by period as it was recorded (a reprint shows the same)."""
    rows = con.execute("SELECT id_caisse, coalesce(libelle, code) FROM t_caisse WHERE code = ?", [caisse]).fetchall()
    if not rows:
        raise CaisseError(f"La caisse {caisse} n'existe pas.")
    id_caisse, libelle = rows[0]
    found = con.execute(f"SELECT {PERIOD} FROM cloture_periode WHERE id_cloture = ?",
                        [period_id(kind, id_caisse, period)]).fetchall()
    if not found:
        word = "du mois" if kind == MONTH else "de l'exercice"
        raise CaisseError(f"La caisse {caisse} n'a pas de clôture {word} {period} : elle est faite automatiquement par "
                          "la première fermeture de journée de la période suivante.")
    row = dict(zip(PERIOD.split(", "), found[0]))
    detail = json.loads(row["detail"])
    # the labels and the shop's lines as the closing froze them (R15); closings before 1.2: today's
    labels = detail.get("libelles") or dict(con.execute("SELECT code, coalesce(libelle, code) FROM tr_moyen_paiement")
                                            .fetchall())
    link = con.execute("SELECT empreinte FROM maillon WHERE id_caisse = ? AND chaine = 'cloture' AND ref = ?",
                       [id_caisse, row["id_cloture"]]).fetchall()
    who = con.execute("SELECT trim(coalesce(prenom, '') || ' ' || coalesce(nom, '')), login FROM t_utilisateur "
                      "WHERE id_utilisateur = ?", [row["id_utilisateur"]]).fetchall()
    from caisse.fiscal.archive import public_key_hex  # see signing_key above: a cycle, and cryptography
    return PeriodReport(kind, caisse, libelle, period, row["numero"], row["date_cloture"],
                        (who[0][0] or who[0][1]) if who else "le logiciel", row["debut"], row["fin"],
                        row["nb_journees"], row["premier_z"], row["dernier_z"], row["nb_tickets"],
                        row["nb_annulations"], row["nb_retours"], row["total_ttc"], row["total_ht"],
                        row["total_absolu"], row["grand_total"], row["grand_total_absolu"],
                        [(Decimal(r), Decimal(h), Decimal(t)) for r, h, t in detail["tva"]],
                        [(code, labels.get(code, code), Decimal(amount)) for code, amount in detail["moyens"]],
                        {k: (int(v[0]), v[1]) for k, v in detail["tetes"].items()}, link[0][0] if link else "",
                        public_key_hex(con) or "", detail.get("societe") or _shop(con), row["id_cloture"])
