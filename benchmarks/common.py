"""What every benchmark shares: children run in their own process, medians, peaks, recorded figures."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child_json(*args: str) -> dict:
    """Run `python -m ARGS` from the project root; its last stdout line is a JSON object."""
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"python -m {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def peak_mb() -> float:
    """The largest resident set of this process and of the processes it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def record(**figures) -> None:
    """Append figures for the targets table of `make bench` (to $BENCH_RESULTS, when it runs us)."""
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(figures) + "\n")


def ring_day(store, caisse: str, seller, codes: list[str], tickets: int, rng, progress: int = 0) -> None:
    """`tickets` tickets of 1 to 5 of `codes` (1 to 3 each), paid in cash to the cent, through the real API."""
    from decimal import Decimal

    from caisse.common.money import cents
    from caisse.rules.payments import PaymentRequest
    from caisse.rules.sales import LineRequest, ring_ticket
    with store.connect() as con:
        prices = dict(con.execute("SELECT code, prix_ttc FROM t_article").fetchall())
    for i in range(tickets):
        lines = [LineRequest(code, Decimal(rng.randint(1, 3))) for code in rng.sample(codes, rng.randint(1, 5))]
        total = sum(cents(line.quantite * prices[line.article]) for line in lines)
        ring_ticket(store, caisse, seller, lines, [PaymentRequest("ESP", total)])
        if progress and i % progress == progress - 1:
            print(f"  {i + 1:,} tickets rung", flush=True)


ACTIVE = [f"ART{n:05d}" for n in range(1, 2001) if n % 97]  # the demo's inactive articles are every 97th


def demo_shop(home: str):
    """The demo shop in a fresh home, imported for C01: (settings, store, manager, seller)."""
    os.environ["CAISSE_HOME"] = home
    os.environ.pop("CAISSE_CONFIG", None)
    from caisse.common.config import load_settings
    from caisse.rules.auth import login
    from caisse.services.home import initialise, open_store
    from caisse.services.sync import run_import
    settings = load_settings()
    initialise(settings, demo=True)
    store = open_store(settings)
    run_import(store, settings, "C01", "responsable", "resp2026")
    return settings, store, login(store, "responsable", "resp2026"), login(store, "vendeur1", "vente2026")
