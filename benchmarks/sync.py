"""`python -m benchmarks.sync`: the whole sync, as `caisse` runs it (process start included), over the local
drop and over a local OpenSSH server: the demo import, a day's export, and a 49 MB `t_article` import
with the import process's peak memory. Needs root and Debian's openssh-server (as `make test` installs).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.demo import write_demo_shop

from .data import article_file

ROOT = Path(__file__).resolve().parent.parent


def caisse(env, *args) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "caisse", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"caisse {' '.join(args)} failed: {done.stderr}")
    return time.perf_counter() - started


def peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def scenario(name: str, env: dict, drop_folder: Path, own) -> list[str]:
    rows = []
    caisse(env, "init")
    write_demo_shop(drop_folder)
    own()
    seconds = caisse(env, "import", "--caisse", "C01", "--user", "responsable")
    rows.append(f"| {name} | demo import (20 files) | {seconds:.2f} |")
    caisse(env, "open", "--caisse", "C01", "--user", "responsable", "--fond", "100")
    for i in range(20):
        caisse({**env, "CAISSE_PASSWORD": "vente2026"}, "sell", "--caisse", "C01", "--user", "vendeur1",
               "--article", f"ART{i + 1:05d}", "--pay", "ESP=100")
    caisse(env, "close", "--caisse", "C01", "--user", "responsable", "--especes", "0", "--accept-difference",
           "--comment", "banc d'essai")
    rows.append(f"| {name} | export of a 20-ticket day (10 files) | "
                f"{caisse(env, 'export', '--caisse', 'C01', '--user', 'responsable'):.2f} |")
    write_demo_shop(drop_folder)
    (drop_folder / "infos_import.xml").unlink()
    (drop_folder / "t_article.xml").write_bytes(article_file(200_000).read_bytes())
    own()
    seconds = caisse(env, "import", "--caisse", "C01", "--user", "responsable")
    rows.append(f"| {name} | import with a 49 MB t_article (200,000 rows) | {seconds:.2f} |")
    return rows


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.sshd import SshServer
    rows = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CAISSE_HOME": home, "CAISSE_PASSWORD": "resp2026"}
        env.pop("CAISSE_CONFIG", None)
        rows += scenario("local drop", env, Path(home) / "serveur_principal", lambda: None)
    local_peak = peak_child_mb()
    server = SshServer()
    try:
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "CAISSE_HOME": home, "CAISSE_PASSWORD": "resp2026", **server.env()}
            rows += scenario("SFTP (OpenSSH on 127.0.0.1)", env, server.remote, lambda: server.own(server.remote))
    finally:
        server.close()
    print("| drop | work | seconds |\n| --- | --- | --- |")
    print("\n".join(rows))
    print(f"\npeak memory of the largest caisse process: {max(local_peak, peak_child_mb()):.0f} MB")


if __name__ == "__main__":
    main()
