"""`python -m benchmarks.export [ROWS]`: writing t_ligne_ticket rows as XML, each contender in its own process:
our Arrow-compute writer, pandas.DataFrame.to_xml, and lxml's streaming etree.xmlfile."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from .common import child_json, peak_mb, record, spread


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


OURS = "ours (Arrow compute, every core)"
CONTENDERS = {OURS: ours, "DataFrame.to_xml": pandas_to_xml, "etree.xmlfile": lxml_xmlfile}


def for_baselines(table):
    """DataFrame.to_xml and etree.xmlfile refuse control characters (ValueError): they get the same rows with
    those characters already escaped the format's way (pipeline.textcodec), outside the timing."""
    import pyarrow as pa

    from pipeline.textcodec import encode_text
    labels = pa.array([None if v is None else encode_text(v) for v in table.column("libelle").to_pylist()])
    return table.set_column(table.schema.get_field_index("libelle"), "libelle", labels)


def child(name: str, rows: int) -> None:
    table = lines_table(rows)
    if not name.startswith("ours"):
        table = for_baselines(table)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t_ligne_ticket.xml"
        started = time.perf_counter()
        CONTENDERS[name](table, path)
        seconds = time.perf_counter() - started
        peak = peak_mb()  # before reading back, which is not part of the export
        size = path.stat().st_size
        identical = None
        if name.startswith("ours"):
            from pipeline import contract_for, read_arrow
            identical = read_arrow(path, contract_for("t_ligne_ticket")).equals(table)
    print(json.dumps({"seconds": seconds, "mb": size / 1e6, "peak_mb": peak, "identical": identical}))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export")
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = {name: [] for name in CONTENDERS}
    for i in range(args.repeat):
        for name in (CONTENDERS if i % 2 == 0 else reversed(list(CONTENDERS))):
            results[name].append(child_json("benchmarks.export", "--child", name, str(args.rows)))
    ours = results[OURS]
    ours_median = spread([r["seconds"] for r in ours])[0]
    print(f"| export of {args.rows:,} t_ligne_ticket rows | seconds [min-max] | rows/s | MB | peak MB | ours is |")
    print("| --- | --- | --- | --- | --- | --- |")
    medians = {}
    for name, runs in results.items():
        med, low, high = spread([r["seconds"] for r in runs])
        medians[name] = med
        ratio = "—" if name == OURS else f"{med / ours_median:.1f}x faster"
        print(f"| {name} | {med:.2f} [{low:.2f}-{high:.2f}] | {args.rows / med:,.0f} | {runs[0]['mb']:.0f} "
              f"| {max(r['peak_mb'] for r in runs):.0f} | {ratio} |")
    identical = all(r["identical"] for r in ours)
    print(f"\nread back by our reader identical to what was written (control characters and \\r included): "
          f"{'yes' if identical else 'NO'}")
    record(bench="export", rows=args.rows, rows_per_s=args.rows / ours_median,
           vs_to_xml=medians["DataFrame.to_xml"] / ours_median, vs_xmlfile=medians["etree.xmlfile"] / ours_median,
           peak_mb=max(r["peak_mb"] for r in ours), identical=identical)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
