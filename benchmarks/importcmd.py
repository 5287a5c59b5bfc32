"""`python -m benchmarks.importcmd [--rows N] [--repeat K]`: the import as a user runs it, whole command against
whole script, on the same file (issue 27, point 6).

The file: `t_article.xml` of N articles (1,000,000 by default), one row a line, UTF-8, the demo's columns. Three
contenders, each a whole process timed from its start to its end (wall and CPU, its children included),
alternating, K times:
- **caisse import**: `caisse import --caisse C01` of a local drop holding the demo shop with that `t_article.xml`
  (a new lot each time), into a store that already holds the demo: what an operator waits for;
- **pandas script**: `python -c` reading the file with `pandas.read_xml` and inserting the frame into a DuckDB
  file, as a main server's developer would write it;
- **contenders ours**: `python -m benchmarks.contenders ours` (the reader and the load, without the command).
It prints the medians and the two ratios the issue states: command / pandas script (target <= 0.25) and command /
contender (target <= 1.3), and how the command read the file (its log says whether on every core).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import ROOT

WORDS = ("chemise pantalon robe jupe veste pull manteau blouson short gilet tee-shirt polo bermuda écharpe bonnet "
         "chaussette basket botte sandale escarpin").split()
PANDAS = """
import sys, duckdb, pandas as pd
frame = pd.read_xml(sys.argv[1], parser="lxml")
con = duckdb.connect(sys.argv[2])
con.register("frame", frame)
con.execute("CREATE TABLE t_article AS SELECT * FROM frame")
print(con.execute("SELECT count(*) FROM t_article").fetchall()[0][0])
"""


def article_file(rows: int, folder: Path) -> Path:
    """N articles, one row a line, UTF-8, the demo's columns (written once per run)."""
    path = folder / "t_article.xml"
    rng = random.Random(rows)
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<t_article>\n')
        for i in range(1, rows + 1):
            f.write(f"<row><id_article>{i}</id_article><code>ART{i:07d}</code><ean>{3760000000000 + i}</ean><libelle>"
                    f"{' '.join(rng.choices(WORDS, k=3))}</libelle><id_famille_art>{rng.randrange(1, 9)}"
                    f"</id_famille_art><id_tva>{rng.randrange(1, 4)}</id_tva><prix_ttc>"
                    f"{rng.randrange(10, 100000) / 100:.2f}</prix_ttc><id_unite>1</id_unite><actif>"
                    f"{1 if i % 50 else 0}</actif></row>\n")
        f.write("</t_article>\n")
    return path


def timed(command: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process and its children, stdout) of a whole command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.importcmd")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from pipeline.demo import write_demo_shop
    with tempfile.TemporaryDirectory(prefix="caisse-bench-") as tmp:
        tmp = Path(tmp)
        source = article_file(args.rows, tmp)
        mb = source.stat().st_size / 1e6
        home = tmp / "home"
        env = {**os.environ, "CAISSE_HOME": str(home), "CAISSE_PASSWORD": "resp2026"}
        env.pop("CAISSE_CONFIG", None)
        caisse = [sys.executable, "-m", "caisse"]
        subprocess.run([*caisse, "init", "--demo"], env=env, check=True, capture_output=True)
        subprocess.run([*caisse, "import", "--caisse", "C01", "--user", "responsable"], env=env, check=True,
                       capture_output=True)
        drop = home / "serveur_principal"
        results: dict[str, list[tuple[float, float]]] = {"caisse import": [], "pandas script": [],
                                                         "contenders ours": []}
        how = ""
        for i in range(args.repeat):
            order = list(results) if i % 2 == 0 else list(reversed(results))
            for name in order:
                if name == "caisse import":
                    write_demo_shop(drop, lot=f"BENCH-{i:04d}")
                    (drop / "infos_import.xml").unlink()  # its checksum is the demo's t_article
                    shutil.copyfile(source, drop / "t_article.xml")
                    wall, cpu, out = timed([*caisse, "import", "--caisse", "C01", "--user", "responsable"], env)
                    how = next((line for line in out.splitlines() if "t_article.xml lu" in line
                                or "lecture en parties" in line), how)
                elif name == "pandas script":
                    target = tmp / "pandas.duckdb"
                    target.unlink(missing_ok=True)
                    wall, cpu, _ = timed([sys.executable, "-c", PANDAS, str(source), str(target)], env)
                else:
                    wall, cpu, _ = timed([sys.executable, "-m", "benchmarks.contenders", "ours", "t_article",
                                          str(source)], env)
                results[name].append((wall, cpu))
                print(f"  {name}: {wall:.2f} s (CPU {cpu:.2f} s)", flush=True)
    medians = {name: statistics.median(w for w, _ in runs) for name, runs in results.items()}
    print(f"\n## `caisse import` of {args.rows:,} articles ({mb:.0f} MB), whole processes, median of {args.repeat}\n")
    print("| contender | wall s | CPU s (children included) | wall [min-max] |")
    print("| --- | --- | --- | --- |")
    for name, runs in results.items():
        walls = [w for w, _ in runs]
        print(f"| {name} | {medians[name]:.2f} | {statistics.median(c for _, c in runs):.2f} | "
              f"[{min(walls):.2f}-{max(walls):.2f}] |")
    command = medians["caisse import"]
    print(f"\ncaisse import / pandas script: {command / medians['pandas script']:.2f} (target <= 0.25)")
    print(f"caisse import / contenders ours: {command / medians['contenders ours']:.2f} (target <= 1.3)")
    if how:
        print(f"the command's log: {how}")


if __name__ == "__main__":
    main()
