"""`python -m benchmarks.archive`: a month of `--days` x `--tickets` (30 x 5,000 by default) closed and archived,
then the archive verified by the standalone script (issue 15, point 9).

The month is built fast, not rung: each day is opened and closed through the real API (open_day, close_day), and
its tickets are written in bulk with the lines `articles.make_line` makes and linked in the tickets' chain by the
fiscal core's own `records.canonical` and `chains.sign` (ringing 150,000 tickets one by one would take most of an
hour). Then, each timed once with the process's peak memory:

- the first closing of the next month, which first makes the monthly closing (every day's link recomputed, every
  day's total compared with its tickets) — against the same closing on a day that closes no month (baseline);
- the archive (XML, SHA-256, Ed25519) — against reading the same records from the store (baseline);
- `tools/verifier_archive.py` on it, in a process of its own — against a bare SHA-256 and ElementTree pass over
  the file (baseline).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from decimal import Decimal

import pyarrow as pa

from .common import ACTIVE, ROOT, demo_shop, peak_mb, record

MEASURED = """import runpy, sys
script = sys.argv.pop(1)
try:
    runpy.run_path(script, run_name="__main__")
finally:
    peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(int(peak.split()[1]) / 1024, file=sys.stderr)
"""  # the standalone verifier run as a user runs it, its own peak memory (VmHWM: ru_maxrss survives exec) after it


def bulk_tickets(store, id_caisse: int, id_journee: str, id_utilisateur: int, articles: dict, tickets: int,
                 when: datetime, rng) -> None:
    """`tickets` cash sales of one or two lines in the open day, written and linked in one transaction."""
    from caisse.fiscal import chains
    from caisse.fiscal.keys import load_keys
    from caisse.fiscal.records import canonical
    from caisse.fiscal.version import FISCAL_VERSION
    from caisse.rules.articles import make_line
    codes = list(articles)
    with store.transaction() as con:
        last, previous = chains.last(con, "ticket", id_caisse)
        cash = con.execute("SELECT id_moyen_paiement FROM tr_moyen_paiement WHERE code = 'ESP'").fetchall()[0][0]
        ticket_rows, line_rows, payment_rows = [], [], []
        for n in range(tickets):
            ident = str(uuid.uuid4())
            lines = [make_line(num, articles[code], Decimal(rng.randint(1, 3)), Decimal("0"), Decimal("999"))
                     for num, code in enumerate(rng.sample(codes, rng.randint(1, 2)), 1)]
            total = sum(line.montant_ttc for line in lines)
            moment = when + timedelta(seconds=5 * n)
            ticket_rows.append((ident, last + n + 1, "VENTE", id_caisse, id_journee, id_utilisateur, moment, moment,
                                total, sum(line.montant_ht for line in lines)))
            line_rows += [(str(uuid.uuid4()), ident, line.num_ligne, line.id_article, line.code_article, line.libelle,
                           line.quantite, line.prix_unitaire_ttc, line.remise, line.taux_tva, line.montant_ttc,
                           line.montant_ht) for line in lines]
            payment_rows.append((str(uuid.uuid4()), ident, cash, "ESP", total, Decimal("0")))
        for table, names, rows in (
                ("t_ticket", "id_ticket numero type_ticket id_caisse id_journee id_utilisateur date_creation "
                             "date_validation total_ttc total_ht", ticket_rows),
                ("t_ligne_ticket", "id_ligne_ticket id_ticket num_ligne id_article code_article libelle quantite "
                                   "prix_unitaire_ttc remise taux_tva montant_ttc montant_ht", line_rows),
                ("t_reglement", "id_reglement id_ticket id_moyen_paiement code_moyen montant rendu", payment_rows)):
            con.register("lot", pa.Table.from_pylist([dict(zip(names.split(), row)) for row in rows]))
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM lot")
            con.unregister("lot")
        payloads = canonical(con, "ticket", id_caisse, [row[0] for row in ticket_rows])
        keys = load_keys(store.key_path)
        links = []
        for ident, numero, *_rest in ticket_rows:
            empreinte = chains.sign(keys.current, "ticket", id_caisse, numero, previous, payloads[ident])
            links.append({"id_caisse": id_caisse, "chaine": "ticket", "numero": numero, "ref": ident, "ts": _rest[5],
                          "version": FISCAL_VERSION, "cle": keys.current_id, "empreinte": empreinte,
                          "empreinte_precedente": previous})
            previous = empreinte
        con.register("lot", pa.Table.from_pylist(links))
        con.execute("INSERT INTO maillon BY NAME SELECT * FROM lot")
        con.unregister("lot")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.archive")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--tickets", type=int, default=5000, help="tickets a day")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        settings, store, manager, seller = demo_shop(home)
        from caisse.rules.articles import find_articles_exact
        from caisse.rules.closing import close_day, read_summary
        from caisse.rules.opening import open_day
        from caisse.services.workflow import archive_period
        with store.connect() as con:
            articles = find_articles_exact(con, ACTIVE)
        rng = random.Random(15)
        started = time.perf_counter()
        first = datetime(2027, 1, 1, 9)
        baseline_close = None
        for day in range(args.days):
            opened = open_day(store, "C01", manager, Decimal("150.00"), now=first + timedelta(days=day))
            with store.connect() as con:
                id_caisse = con.execute("SELECT id_caisse FROM t_caisse WHERE code = 'C01'").fetchall()[0][0]
            bulk_tickets(store, id_caisse, opened.id_journee, seller.id_utilisateur, articles, args.tickets,
                         first + timedelta(days=day, minutes=5), rng)
            began = time.perf_counter()
            close_day(store, "C01", manager, especes=read_summary(store, "C01").especes_theorique,
                      now=first + timedelta(days=day, hours=11))
            baseline_close = time.perf_counter() - began  # a closing that closes no month
            print(f"  day {day + 1}/{args.days} built", flush=True) if (day + 1) % 10 == 0 else None
        build = time.perf_counter() - started
        opened = open_day(store, "C01", manager, Decimal("150.00"), now=datetime(2027, 2, 1, 9))
        began = time.perf_counter()
        closed = close_day(store, "C01", manager, especes=read_summary(store, "C01").especes_theorique,
                           now=datetime(2027, 2, 1, 20))
        month_close = time.perf_counter() - began
        assert closed.periodes and closed.periodes[0][1] == "2027-01", closed.periodes
        rss_before = peak_mb()
        began = time.perf_counter()
        with store.connect() as con:  # baseline: the same records read from the store
            for table in ("t_ticket", "t_ligne_ticket", "t_reglement", "maillon"):
                con.execute(f"SELECT * FROM {table}").fetchall()
        read = time.perf_counter() - began
        began = time.perf_counter()
        made = archive_period(store, settings, "C01", "2027-01", manager)
        archive = time.perf_counter() - began
        archive_peak = peak_mb()
        size = made.taille / 1e6
        began = time.perf_counter()
        digest = hashlib.sha256(made.path.read_bytes()).hexdigest()
        for _, el in ET.iterparse(made.path):
            el.clear()
        bare = time.perf_counter() - began
        assert digest == made.sha256
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-I", "-c", MEASURED, str(ROOT / "tools" / "verifier_archive.py"),
                               str(made.path)], capture_output=True, text=True)
        verify = time.perf_counter() - began
        verifier_peak = float(done.stderr.strip().splitlines()[-1])
        assert done.returncode == 0, done.stdout + done.stderr
    tickets = args.days * args.tickets
    print(f"\n## archive of a month: {args.days} days x {args.tickets:,} tickets = {tickets:,} tickets, "
          f"{size:.0f} MB of XML (built in {build:.0f} s)\n")
    print("| step | seconds | baseline (same run) | ratio | peak memory |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| closing that first makes the monthly closing | {month_close:.2f} | a closing of no month: "
          f"{baseline_close:.2f} s | {month_close / baseline_close:.1f}x | — |")
    print(f"| archive (XML + SHA-256 + Ed25519) | {archive:.1f} | reading the same rows: {read:.1f} s | "
          f"{archive / read:.1f}x | {archive_peak:.0f} MB (before: {rss_before:.0f} MB) |")
    print(f"| standalone verification (signature, schema, chains, totals) | {verify:.1f} | SHA-256 + bare "
          f"ElementTree pass: {bare:.1f} s | {verify / bare:.1f}x | {verifier_peak:.0f} MB |")
    record(archive_tickets=tickets, archive_mb=size, archive_month_close_s=month_close, archive_s=archive,
           archive_verify_s=verify, archive_verify_peak_mb=verifier_peak)


if __name__ == "__main__":
    main()
