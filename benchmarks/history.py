"""`python -m benchmarks.history`: the closing summary and the reconciliation page's queries on a large history
(2 registers x 2 years of days, 1M ticket lines, 300k payments), built directly in SQL (the rows' content does
not matter to these queries, only their number and shape)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta

from .common import record

SUMMARY = "closing summary of one register-day (day_figures: per method, counts, moves, expected cash)"


def timed(fn, repeat=5):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, min(times) * 1000, max(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["CAISSE_HOME"] = home
        from caisse.common.config import load_settings
        from caisse.rules.closing import read_summary
        from caisse.rules.figures import day_figures
        from caisse.services.backoffice import day_tickets, reconciliation
        from caisse.services.home import initialise, open_store
        from caisse.services.sync import run_import
        settings = load_settings()
        initialise(settings, demo=True)
        store = open_store(settings)
        run_import(store, settings, "C01", "responsable", "resp2026")
        started = time.perf_counter()
        with store.transaction() as con:
            con.execute("""
                INSERT INTO t_journee (id_journee, id_caisse, numero_z, date_ouverture, date_fermeture, fond_caisse,
                    nb_tickets, total_ttc, especes_theorique, especes_compte, ecart, grand_total)
                SELECT 'J' || c || '-' || d, c, d + 1, TIMESTAMP '2024-11-23 09:00' + INTERVAL (d) DAY,
                       TIMESTAMP '2024-11-23 19:00' + INTERVAL (d) DAY, 150, 205, 2000, 500,
                       500 + ((d * 7) % 11 - 5), (d * 7) % 11 - 5, 2000 * (d + 1)
                FROM range(1, 3) r1(c), range(730) r2(d)""")
            con.execute("""
                INSERT INTO t_ticket (id_ticket, numero, id_caisse, id_journee, id_utilisateur, date_validation,
                    statut, total_ttc, total_ht)
                SELECT 'T' || i, i, 1 + i % 2, 'J' || (1 + i % 2) || '-' || (i // 410) % 730, 2,
                       TIMESTAMP '2024-11-23 10:00' + INTERVAL ((i // 410) % 730) DAY, 'VALIDE', 9.76, 8.13
                FROM range(300000) r(i)""")
            con.execute("""
                INSERT INTO t_ligne_ticket SELECT 'L' || i, 'T' || (i % 300000), i // 300000 + 1, 1, 'ART00001', 'x',
                       1, 2.44, 0, 20, 2.44, 2.03 FROM range(1000000) r(i)""")
            con.execute("""
                INSERT INTO t_reglement SELECT 'R' || i, 'T' || i, 1 + i % 3, CASE i % 3 WHEN 0 THEN 'ESP'
                       WHEN 1 THEN 'CB' ELSE 'CHQ' END, 9.76, NULL, 0 FROM range(300000) r(i)""")
            # an open day on C01 with 5,000 tickets for the closing summary
            con.execute("UPDATE t_journee SET date_fermeture = NULL, numero_z = NULL "
                        "WHERE id_journee = 'J1-729'")
        built = time.perf_counter() - started
        rows = [("build the history in SQL (not timed below)", built * 1000, built * 1000, built * 1000)]
        def summary_query():
            with store.connect() as con:
                return day_figures(con, "J1-729")

        rows.append((SUMMARY, *timed(summary_query, 15)))
        rows.append(("the closing screen's whole read (read_summary: + open day, parameters, parked tickets, "
                     "connected sellers)", *timed(lambda: read_summary(store, "C01"), 15)))
        start, end = date(2024, 11, 23), date(2026, 11, 23)
        reconciliations = [
            ("reconciliation, 2 years, both registers (1,458 days)", lambda: reconciliation(store, start, end)),
            ("reconciliation, last month, C01", lambda: reconciliation(store, end - timedelta(31), end, "C01")),
            ("a day's tickets (drill-down)", lambda: day_tickets(store, "J2-400"))]
        for name, query in reconciliations:
            rows.append((name, *timed(query, 9)))
        print(f"| query ({datetime.now():%Y-%m-%d}) | median ms | min | max |\n| --- | --- | --- | --- |")
        for name, med, low, high in rows:
            print(f"| {name} | {med:.1f} | {low:.1f} | {high:.1f} |")
        medians = {name: med for name, med, _, _ in rows}
        record(bench="history", summary_ms=medians[SUMMARY],
               reconciliation_ms={name: medians[name] for name, _ in reconciliations})


if __name__ == "__main__":
    main()
