"""`python -m benchmarks.day`: a register day of N tickets (default 5,000): ring, close, export, verify.

The day is rung through the real API into a fresh store (its time is reported too), then the closing
(summary + close_day) and the export to the local drop are timed, each once: they are the figures a
manager waits for at the end of a day.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from decimal import Decimal

from .common import ACTIVE, demo_shop, ring_day


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.day")
    parser.add_argument("--tickets", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        settings, store, manager, seller = demo_shop(home)
        from caisse.rules.closing import close_day, read_summary
        from caisse.rules.opening import open_day
        from caisse.rules.sales import connect_seller
        from caisse.services.export import run_export
        from caisse.services.verification import run_verify
        open_day(store, "C01", manager, Decimal("150.00"))
        connect_seller(store, "C01", seller)
        started = time.perf_counter()
        ring_day(store, "C01", seller, ACTIVE, args.tickets, random.Random(5))
        ring = time.perf_counter() - started
        started = time.perf_counter()
        summary = read_summary(store, "C01")
        closed = close_day(store, "C01", manager, especes=summary.especes_theorique, force=True)
        close = time.perf_counter() - started
        started = time.perf_counter()
        result = run_export(store, settings, "C01", manager)
        export = time.perf_counter() - started
        started = time.perf_counter()
        verified = run_verify(store, settings, manager)
        assert verified.broken == [], verified.broken
        verify = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (settings.sent_dir / result.lot).iterdir()) / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| day of {summary.nb_tickets:,} tickets | seconds |")
    print("| --- | --- |")
    print(f"| ring (through ring_ticket, one transaction each) | {ring:.1f} ({ring / summary.nb_tickets * 1000:.1f} ms "
          "a ticket) |")
    print(f"| close (summary + close_day, Z n°{closed.numero_z}) | {close:.3f} |")
    print(f"| export ({result.rows:,} rows, {size:.1f} MB, to the local drop) | {export:.3f} |")
    print(f"| verify (every chain, the heads and the witnesses) | {verify:.3f} |")
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
