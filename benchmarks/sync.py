"""`python -m benchmarks.sync`: the whole sync, as `caisse` runs it (process start included), over the local
drop and over a local OpenSSH server: the demo import, a day's export, and the import of a drop whose
`t_article` has 100,000 rows, with the largest process's peak memory. Imports are repeated (medians).
Needs root and Debian's openssh-server (as `make test` installs).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.demo import write_demo_shop

from .common import ROOT, peak_mb, record, spread
from .data import article_file

ARTICLES = 100_000


def caisse(env, *args) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "caisse", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"caisse {' '.join(args)} failed: {done.stderr}")
    return time.perf_counter() - started


def scenario(name: str, env: dict, drop_folder: Path, own, repeat: int) -> list[tuple[str, str, list[float]]]:
    def imported(articles: int | None) -> float:
        write_demo_shop(drop_folder)
        if articles:
            (drop_folder / "infos_import.xml").unlink()  # the manifest's checksum is the demo's t_article
            (drop_folder / "t_article.xml").write_bytes(article_file(articles).read_bytes())
        own()
        return caisse(env, "import", "--caisse", "C01", "--user", "responsable")

    caisse(env, "init")
    rows = [(name, "demo import (20 files)", [imported(None) for _ in range(repeat)])]
    caisse(env, "open", "--caisse", "C01", "--user", "responsable", "--fond", "100")
    for i in range(20):
        caisse({**env, "CAISSE_PASSWORD": "vente2026"}, "sell", "--caisse", "C01", "--user", "vendeur1",
               "--article", f"ART{i + 1:05d}", "--pay", "ESP=100")
    caisse(env, "close", "--caisse", "C01", "--user", "responsable", "--especes", "0", "--accept-difference",
           "--comment", "banc d'essai")
    rows.append((name, "export of a 20-ticket day (10 files)",
                 [caisse(env, "export", "--caisse", "C01", "--user", "responsable")]))
    mb = article_file(ARTICLES).stat().st_size / 1e6
    rows.append((name, f"import of a drop with {ARTICLES:,} articles ({mb:.0f} MB t_article)",
                 [imported(ARTICLES) for _ in range(repeat)]))
    return rows


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.sshd import SshServer
    repeat = 3
    rows = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CAISSE_HOME": home, "CAISSE_PASSWORD": "resp2026"}
        env.pop("CAISSE_CONFIG", None)
        rows += scenario("local drop", env, Path(home) / "serveur_principal", lambda: None, repeat)
    server = SshServer()
    try:
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "CAISSE_HOME": home, "CAISSE_PASSWORD": "resp2026", **server.env()}
            rows += scenario("SFTP (OpenSSH on 127.0.0.1)", env, server.remote, lambda: server.own(server.remote),
                             repeat)
    finally:
        server.close()
    print(f"| drop | work (a whole `caisse` command) | seconds, median [min-max] of {repeat} for imports |")
    print("| --- | --- | --- |")
    for drop, work, times in rows:
        med, low, high = spread(times)
        print(f"| {drop} | {work} | {med:.2f}" + (f" [{low:.2f}-{high:.2f}] |" if len(times) > 1 else " |"))
    peak = peak_mb()
    print(f"\npeak memory of the largest caisse process (and its part readers): {peak:.0f} MB")
    record(bench="sync", peak_mb=peak, runs=[[drop, work, spread(times)[0]] for drop, work, times in rows])


if __name__ == "__main__":
    main()
