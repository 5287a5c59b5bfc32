"""`make bench`: every benchmark, each contender in its own process, and the issue's targets checked.

Import contenders alternate and repeat; tables give medians with [min-max], rows/s, MB/s, peak memory and
ratios to the baselines measured in the same run. Differences under 1.3x are ties. `--big` adds the
1,000,000-row runs (about 20 minutes; pandas then needs about 10 GB), which the targets are stated for.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import ROOT, child_json, record, spread
from .contenders import CONTENDERS
from .data import input_file

KINDS = {"t_article": "t_article (9 columns, one row a line, ISO-8859-1)",
         "t_article_mysqldump": "the same t_article rows as mysqldump --xml writes them (<field name>, UTF-8)",
         "lignes22": "22-column ticket lines (indented, UTF-8)"}
OURS, PANDAS, FLOOR = "ours", "pandas.read_xml+insert", "parse floor (lxml)"
# pandas.read_xml cannot read mysqldump's <field name="..."> columns without an XSLT of one's own.
NO_PANDAS = {"t_article_mysqldump"}


def import_table(kind: str, rows: int, repeat: int) -> None:
    path = input_file(kind, rows)
    mb = path.stat().st_size / 1e6
    names = [name for name in CONTENDERS if not (name == PANDAS and kind in NO_PANDAS)]
    results: dict[str, list[dict]] = {name: [] for name in names}
    for i in range(repeat):
        for name in (names if i % 2 == 0 else list(reversed(names))):
            results[name].append(child_json("benchmarks.contenders", name, kind, str(path)))
    print(f"\n## import of {KINDS[kind]}, {rows:,} rows, {mb:.1f} MB (median of {repeat}, [min-max])\n")
    print("| contender | seconds | rows/s | MB/s | peak MB | ours is |")
    print("| --- | --- | --- | --- | --- | --- |")
    medians = {name: spread([r["seconds"] for r in runs])[0] for name, runs in results.items()}
    for name, runs in results.items():
        med, low, high = spread([r["seconds"] for r in runs])
        ours = medians[OURS]
        ratio = "—" if name == OURS else (f"{med / ours:.1f}x faster" if med > ours else f"{ours / med:.1f}x slower")
        print(f"| {name} | {med:.3f} [{low:.3f}-{high:.3f}] | {rows / med:,.0f} | {mb / med:.1f} "
              f"| {max(r['peak_mb'] for r in runs):.0f} | {ratio} |")
    record(bench="import", kind=kind, rows=rows, seconds=medians[OURS],
           vs_pandas=medians[PANDAS] / medians[OURS] if PANDAS in medians else None,
           vs_floor=medians[OURS] / medians[FLOOR], peak_mb=max(r["peak_mb"] for r in results[OURS]))


def demo_import(repeat: int) -> None:
    """`caisse init --demo` then `caisse import` of the demo, timed as an operator sees it (process start included)."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "CAISSE_HOME": home, "CAISSE_PASSWORD": "resp2026"}
            env.pop("CAISSE_CONFIG", None)
            caisse = [sys.executable, "-m", "caisse"]
            subprocess.run([*caisse, "init", "--demo"], env=env, check=True, capture_output=True, cwd=ROOT)
            started = time.perf_counter()
            subprocess.run([*caisse, "import", "--caisse", "C01", "--user", "responsable"], env=env, check=True,
                           capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - started)
    med, low, high = spread(times)
    print(f"\n## demo import (`caisse import`, process start included): median {med:.2f} s [{low:.2f}-{high:.2f}]",
          flush=True)
    record(bench="demo", seconds=med)


def others(big: bool) -> None:
    """The other benchmarks, each in its own process, printing its own table."""
    runs = [["benchmarks.export", "1000000" if big else "100000"], ["benchmarks.history"],
            ["benchmarks.day", "--tickets", "5000"]]
    if os.geteuid() == 0 and Path("/usr/sbin/sshd").exists():
        runs.append(["benchmarks.sync"])
    else:
        print("\n(benchmarks.sync skipped: it needs root and Debian's openssh-server, as `make test` installs)")
    if Path("/usr/bin/chromium").exists():
        runs.append(["benchmarks.till"])
    else:
        print("\n(benchmarks.till skipped: it needs Debian's chromium, as `make test` installs)")
    for module in runs:
        print(f"\n## python -m {' '.join(module)}\n", flush=True)
        subprocess.run([sys.executable, "-m", *module], cwd=ROOT, check=True)


def targets(results: list[dict]) -> None:
    """The issue's targets against what this run measured (at the largest size it ran)."""
    lines = []

    def target(what: str, measured: str, holds: bool) -> None:
        lines.append(f"| {what} | {measured} | {'yes' if holds else '**no**'} |")

    for kind in KINDS:
        runs = [r for r in results if r["bench"] == "import" and r["kind"] == kind]
        if runs:
            r = max(runs, key=lambda x: x["rows"])
            at = f"{r['rows']:,} {kind}"
            if r["vs_pandas"] is not None:
                target(f"import {at}: at least 4x faster than pandas.read_xml+insert", f"{r['vs_pandas']:.1f}x",
                       r["vs_pandas"] >= 4)
            else:
                elements = next((x for x in results if x["bench"] == "import" and x["kind"] == "t_article"
                                 and x["rows"] == r["rows"]), None)
                if elements:
                    ratio = r["seconds"] / elements["seconds"]
                    lines.append(f"| import {at}: beside the same rows as elements (no target) | {ratio:.2f}x the "
                                 f"time ({r['seconds']:.2f} s vs {elements['seconds']:.2f} s) | — |")
            target(f"import {at}: within 2x of the bare lxml parse", f"{r['vs_floor']:.2f}x", r["vs_floor"] <= 2)
            target(f"import {at}: peak memory at most 600 MB", f"{r['peak_mb']:.0f} MB", r["peak_mb"] <= 600)
    for r in (x for x in results if x["bench"] == "export"):
        at = f"export {r['rows']:,} lines"
        target(f"{at}: at least 250,000 rows/s", f"{r['rows_per_s']:,.0f}", r["rows_per_s"] >= 250_000)
        target(f"{at}: at least 30x faster than DataFrame.to_xml", f"{r['vs_to_xml']:.1f}x", r["vs_to_xml"] >= 30)
        target(f"{at}: peak memory at most 600 MB", f"{r['peak_mb']:.0f} MB", r["peak_mb"] <= 600)
        target(f"{at}: read back identical", "yes" if r["identical"] else "no", r["identical"])
    for r in (x for x in results if x["bench"] == "history"):
        target("closing summary of one register-day under 10 ms", f"{r['summary_ms']:.1f} ms", r["summary_ms"] < 10)
        for name, ms in r["reconciliation_ms"].items():
            target(f"{name} under 100 ms", f"{ms:.1f} ms", ms < 100)
    for r in (x for x in results if x["bench"] == "till"):
        scan, validate = r["scan"], r["validate"]
        target("sale screen: scan to line shown p50 <= 150 ms", f"{scan['p50']:.0f} ms", scan["p50"] <= 150)
        target("sale screen: scan to line shown p95 <= 300 ms", f"{scan['p95']:.0f} ms", scan["p95"] <= 300)
        target("sale screen: validate to the next ticket p95 <= 400 ms", f"{validate['p95']:.0f} ms",
               validate["p95"] <= 400)
    for r in (x for x in results if x["bench"] == "demo"):
        target("demo import, process start included, under 3 s", f"{r['seconds']:.2f} s", r["seconds"] < 3)
    print("\n## Targets (measured in this run)\n\n| target | measured | holds |\n| --- | --- | --- |")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--sizes", default="10000,100000", help="rows of each imported table, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="add the 1,000,000-row runs (about 20 minutes, 10 GB)")
    parser.add_argument("--import-only", action="store_true", help="only the import tables")
    args = parser.parse_args()
    if args.big and "1000000" not in args.sizes:
        args.sizes += ",1000000"
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb
    import lxml.etree
    import pandas
    import pyarrow
    print(f"# make bench · {time.strftime('%Y-%m-%d %H:%M')} · {platform.machine()} · {os.cpu_count()} cores · "
          f"{mem_gib:.0f} GiB · Python {platform.python_version()} · lxml {lxml.etree.__version__} · "
          f"pandas {pandas.__version__} · duckdb {duckdb.__version__} · pyarrow {pyarrow.__version__}")
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as figures:
        os.environ["BENCH_RESULTS"] = figures.name
        for rows in map(int, args.sizes.split(",")):
            for kind in KINDS:
                import_table(kind, rows, args.repeat)
        demo_import(args.repeat)
        if not args.import_only:
            others(args.big)
        targets([json.loads(line) for line in figures if line.strip()])


if __name__ == "__main__":
    main()
