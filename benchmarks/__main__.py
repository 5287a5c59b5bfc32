"""`make bench`: import speed against named baselines, measured in the same run.

Contenders run in their own processes, alternated, repeated; the table gives medians with min and max,
rows/s, MB/s, peak memory, and ratios to the baselines. Differences under 1.3x are ties.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .contenders import CONTENDERS
from .data import article_file

ROOT = Path(__file__).resolve().parent.parent


def run_child(name: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "benchmarks.contenders", name, str(path)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def demo_import_seconds() -> float:
    """`caisse init --demo` then `caisse import` of the demo, timed as an operator sees it (process start included)."""
    import tempfile
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CAISSE_HOME": home, "CAISSE_PASSWORD": "resp2026"}
        env.pop("CAISSE_CONFIG", None)
        caisse = [sys.executable, "-m", "caisse"]
        subprocess.run([*caisse, "init", "--demo"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run([*caisse, "import", "--caisse", "C01", "--user", "responsable"], env=env, check=True,
                       capture_output=True)
        return time.perf_counter() - started


def others(big: bool) -> None:
    """The other benchmarks, each printing its own table."""
    runs = [["benchmarks.export", "100000"]] + ([["benchmarks.export", "1000000"]] if big else [])
    runs += [["benchmarks.history"], ["benchmarks.day", "--tickets", "5000"]]
    if os.geteuid() == 0 and Path("/usr/sbin/sshd").exists():
        runs.append(["benchmarks.sync"])
    else:
        print("\n(benchmarks.sync skipped: it needs root and Debian's openssh-server, as `make test` installs)")
    for module in runs:
        print(f"\n## python -m {' '.join(module)}\n", flush=True)
        subprocess.run([sys.executable, "-m", *module], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--sizes", default="10000,100000", help="rows of t_article, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="add the 1,000,000-row runs (minutes, GBs for pandas)")
    parser.add_argument("--import-only", action="store_true", help="only the import table")
    args = parser.parse_args()
    if args.big and "1000000" not in args.sizes:
        args.sizes += ",1000000"
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()}")
    for rows in map(int, args.sizes.split(",")):
        path = article_file(rows)
        mb = path.stat().st_size / 1e6
        results: dict[str, list[dict]] = {name: [] for name in CONTENDERS}
        for i in range(args.repeat):
            order = list(CONTENDERS) if i % 2 == 0 else list(reversed(CONTENDERS))
            for name in order:
                results[name].append(run_child(name, path))
        print(f"\n## import of t_article, {rows:,} rows, {mb:.1f} MB (median of {args.repeat}, [min-max])\n")
        print("| contender | seconds | rows/s | MB/s | peak MB | ours is |")
        print("| --- | --- | --- | --- | --- | --- |")
        ours = statistics.median(r["seconds"] for r in results["ours"])
        for name, runs in results.items():
            secs = [r["seconds"] for r in runs]
            med = statistics.median(secs)
            peak = max(r["peak_mb"] for r in runs)
            ratio = "—" if name == "ours" else (f"{med / ours:.1f}x faster" if med > ours
                                                 else f"{ours / med:.1f}x slower")
            print(f"| {name} | {med:.3f} [{min(secs):.3f}-{max(secs):.3f}] | {rows / med:,.0f} | {mb / med:.1f} "
                  f"| {peak:.0f} | {ratio} |")
    times = [demo_import_seconds() for _ in range(args.repeat)]
    print(f"\n## demo import (`caisse import`, process start included): median {statistics.median(times):.2f} s "
          f"[{min(times):.2f}-{max(times):.2f}]", flush=True)
    if not args.import_only:
        others(args.big)


if __name__ == "__main__":
    main()
