"""`python -m benchmarks.export [ROWS]`: writing t_ligne_ticket rows as XML, each contender in its own process:
our Arrow-compute writer, pandas.DataFrame.to_xml, and lxml's streaming etree.xmlfile."""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lines_table(rows: int):
    import duckdb

    from pipeline import contract_for
    con = duckdb.connect()
    sql = f"""SELECT 'L' || i AS id_ligne_ticket, 'T' || (i // 4) AS id_ticket, i % 4 + 1 AS num_ligne,
              i % 2000 + 1 AS id_article, 'ART' || lpad(CAST(i % 2000 + 1 AS VARCHAR), 5, '0') AS code_article,
              'Crème brûlée & <thé> n°' || (i % 97)
              || CASE WHEN i % 1000 = 0 THEN chr(29) || 'scan\r\n' ELSE '' END AS libelle,
              CAST((i % 3) + 1 AS DECIMAL(18,3)) AS quantite,
              CAST(10.70 AS DECIMAL(18,2)) AS prix_unitaire_ttc, CAST(0 AS DECIMAL(18,2)) AS remise,
              CAST(20 AS DECIMAL(18,2)) AS taux_tva, CAST(10.70 * ((i % 3) + 1) AS DECIMAL(18,2)) AS montant_ttc,
              CAST(8.92 * ((i % 3) + 1) AS DECIMAL(18,2)) AS montant_ht FROM range({rows}) r(i)"""
    table = con.sql(sql).to_arrow_table()
    return table.cast(contract_for("t_ligne_ticket").arrow_schema())


def ours(table, path):
    from pipeline.xmlwrite import write_table
    write_table(table, path, "t_ligne_ticket")


def pandas_to_xml(table, path):
    table.to_pandas().to_xml(path, index=False, root_name="t_ligne_ticket", row_name="row")


def lxml_xmlfile(table, path):
    from lxml import etree
    names = table.schema.names
    with etree.xmlfile(str(path), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("t_ligne_ticket"):
            for batch in table.to_batches(65536):
                for row in batch.to_pylist():
                    el = etree.Element("row")
                    for name in names:
                        etree.SubElement(el, name).text = None if row[name] is None else str(row[name])
                    xf.write(el)


CONTENDERS = {"ours (Arrow compute)": ours, "DataFrame.to_xml": pandas_to_xml, "etree.xmlfile": lxml_xmlfile}


def child(name: str, rows: int) -> None:
    table = lines_table(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t_ligne_ticket.xml"
        started = time.perf_counter()
        CONTENDERS[name](table, path)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
        if name.startswith("ours"):
            from pipeline import read_arrow
            assert read_arrow(path).equals(table), "the reader must read back what was written"
    print(json.dumps({"seconds": seconds, "mb": size / 1e6,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    results = {name: [] for name in CONTENDERS}
    for i in range(3):
        for name in (CONTENDERS if i % 2 == 0 else reversed(list(CONTENDERS))):
            done = subprocess.run([sys.executable, "-m", "benchmarks.export", "--child", name, str(rows)], cwd=ROOT,
                                  capture_output=True, text=True, check=True)
            results[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    ours_median = statistics.median(r["seconds"] for r in results["ours (Arrow compute)"])
    print(f"| export of {rows:,} t_ligne_ticket rows | seconds [min-max] | rows/s | MB | peak MB | ours is |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, runs in results.items():
        secs = [r["seconds"] for r in runs]
        med = statistics.median(secs)
        ratio = "—" if med == ours_median else f"{med / ours_median:.1f}x faster"
        print(f"| {name} | {med:.2f} [{min(secs):.2f}-{max(secs):.2f}] | {rows / med:,.0f} | {runs[0]['mb']:.0f} "
              f"| {max(r['peak_mb'] for r in runs):.0f} | {ratio} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
