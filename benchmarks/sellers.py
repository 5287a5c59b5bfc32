"""`python -m benchmarks.sellers`: six sellers ringing at once at a shop's scale (issue 24, point 9).

The shop of `benchmarks.till` (100,000 articles, 60,000 of them models of 10 sizes: 600,000 variants) with six
sellers. The app (`caisse serve`) runs pinned to one core with `taskset -c 1`; the six sellers' Chromium pages
run pinned to the other (`taskset -c 0`), as tablets would be apart from the server. Each seller scans an
article every 2 s (a plain article's code and a variant's EAN in turn), and after four lines pays in cash (F2)
and validates (F9). Printed: p50 and p95 of scan to line shown, payment and validation, under that load and with
one seller alone on the same pinned app (the baseline, same run); the app's CPU per second and per action.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .common import record
from .soak import sign_in
from .till import ARGS, CHROMIUM, SIZES, active_codes, build_shop, cpu_ms, free_port, model_codes, start, variant_ean

SELLERS = [(f"vendeur{i}", "vente2026") for i in range(1, 7)]
POLL_MS = 10


def p(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.median(values) if q == 50 else statistics.quantiles(values, n=20)[-1]


async def until(page, condition: str, arg=None) -> None:
    await page.wait_for_function(condition, arg=arg, polling=POLL_MS, timeout=60_000)


async def seller(browser, url: str, who, seconds: float, rng, times: dict[str, list[float]], signed: list,
                 go: asyncio.Event) -> None:
    context = await browser.new_context(viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    await sign_in(page, url, who)
    signed.append(who[0])
    await go.wait()  # every seller signed in: the clock and the CPU count start
    plain, models = active_codes(), model_codes()
    end, tick, lines, last = time.monotonic() + seconds, time.monotonic() + rng.random() * 2, 0, ""
    while time.monotonic() < end:
        await asyncio.sleep(max(0.0, tick - time.monotonic()))
        tick += 2.0  # one scan every 2 s, whatever the scan took
        code = rng.choice(plain) if lines % 2 == 0 else variant_ean(int(rng.choice(models)[3:]),
                                                                       rng.randrange(len(SIZES)))
        await page.keyboard.type(code)
        started = time.perf_counter()
        await page.keyboard.press("Enter")
        await until(page, "n => document.querySelectorAll('.lignes tbody tr').length === n", lines + 1)
        times["scan"].append((time.perf_counter() - started) * 1000)
        lines += 1
        if lines == 4:
            started = time.perf_counter()
            await page.keyboard.press("F2")
            await until(page, "() => { const m = document.querySelectorAll('[data-testid=stMetricValue]'); "
                              "return m.length > 1 && m[1].textContent === '0,00 €'; }")
            times["pay"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await page.keyboard.press("F9")
            await until(page, "last => { const m = document.body.textContent.match(/Ticket n°(\\d+) validé/); "
                              "return m && m[1] !== last && !document.querySelector('.lignes'); }", last)
            times["validate"].append((time.perf_counter() - started) * 1000)
            last = await page.evaluate("() => document.body.textContent.match(/Ticket n°(\\d+) validé/)[1]")
            lines = 0
    # the context stays open until the browsers' CPU is read (a closed page's process takes its CPU time away)


async def ring(url: str, chromium: str, who: list, seconds: float, app: int) -> tuple:
    """The sellers' times, and the app's and the browsers' CPU (ms) and the wall seconds once all signed in."""
    from playwright.async_api import async_playwright
    times: dict[str, list[float]] = {"scan": [], "pay": [], "validate": []}
    signed, go = [], asyncio.Event()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=ARGS)
        tasks = [asyncio.create_task(seller(browser, url, w, seconds, random.Random(i), times, signed, go))
                 for i, w in enumerate(who)]
        while len(signed) < len(who):
            await asyncio.sleep(0.2)
        cpu, browsers, started = cpu_ms(app), chromium_cpu(), time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        measured = (cpu_ms(app) - cpu, chromium_cpu() - browsers, time.perf_counter() - started)
        await browser.close()
    return times, *measured


def chromium_cpu() -> float:
    """The CPU (ms) of every Chromium process of this machine (the benchmark's own: nothing else runs one)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if "chromium" in stat.read_text().split(")", 1)[0]:
                total += _own(stat)
        except (OSError, IndexError, ValueError):
            continue
    return total


def _own(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sellers")
    parser.add_argument("--seconds", type=float, default=180, help="how long the six sellers ring")
    parser.add_argument("--alone", type=float, default=90, help="how long one seller rings alone first")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sellers-"))
    try:
        print("building the shop: 100,000 articles, 600,000 variants, six sellers…", flush=True)
        print(f"  built in {build_shop(work / 'shop', 0, users=4):.0f} s", flush=True)
        chromium = work / "chromium"
        chromium.write_text(f'#!/bin/sh\nexec taskset -c 0 {CHROMIUM} "$@"\n')
        chromium.chmod(0o755)
        port = free_port()
        app = start(["taskset", "-c", "1", sys.executable, "-m", "caisse", "serve", "--port", str(port)],
                     work / "shop", port)
        url = f"http://127.0.0.1:{port}"
        try:
            runs = {}
            for name, who, seconds in (("one seller alone", SELLERS[:1], args.alone),
                                       ("six sellers at once", SELLERS, args.seconds)):
                print(f"  {name}, {seconds:.0f} s…", flush=True)
                runs[name] = asyncio.run(ring(url, str(chromium), who, seconds, app.pid))
        finally:
            app.terminate()
            app.wait(30)
        report(runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(runs) -> None:
    print("\n## sellers at once: the app on one core (taskset -c 1), the browsers on the other (taskset -c 0), "
          "a scan every 2 s each\n")
    print("| run | scans | scan p50 ms | scan p95 ms | pay p50 / p95 ms | validate p50 / p95 ms | app CPU % of its "
          "core | browsers' CPU % of theirs | app CPU ms per action | target |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    figures = {}
    for name, (times, cpu, browsers, seconds) in runs.items():
        actions = sum(len(v) for v in times.values())
        per = cpu / actions if actions else float("nan")
        print(f"| {name} | {len(times['scan'])} | {p(times['scan'], 50):.0f} | {p(times['scan'], 95):.0f} | "
              f"{p(times['pay'], 50):.0f} / {p(times['pay'], 95):.0f} | {p(times['validate'], 50):.0f} / "
              f"{p(times['validate'], 95):.0f} | {cpu / seconds / 10:.0f} | {browsers / seconds / 10:.0f} | "
              f"{per:.0f} | scan p95 <= 300 |")
        figures[name] = {"scan_p50": p(times["scan"], 50), "scan_p95": p(times["scan"], 95), "cpu_ms_per_action": per,
                         "n": len(times["scan"])}
    record(bench="sellers", **{k.replace(" ", "_"): v for k, v in figures.items()})


if __name__ == "__main__":
    main()
