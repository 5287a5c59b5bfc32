"""`python -m benchmarks.soak`: a busy day, the app and the CLI sharing the store (issue 16, point 4).

The app (`caisse serve`) serves four sellers, each in a Chromium context of its own driven by Playwright (the
scanner field and Enter for one or two lines, F2 for cash, F9 to validate), who ring `--tickets` tickets in
all (5,000 by default); a manager signed in on a fifth context opens Rapprochement and Journal in turn every
`--manager-every` seconds; beside them the CLI runs `caisse status` every second and `caisse report x` every
10 s, and a probe process asks for the store every half second (the wait for a turn at the file, which is
what a write waits for). Then `caisse close` and `caisse export` from the CLI, and `caisse verify`.

Printed: tickets requested and recorded, duplicates and gaps in the numbers, refusals (any CLI call or probe
that did not get the store), p50/p95 of each action, the app's peak memory, verify's outcome; the CLI calls
are also timed on the idle store first (the baseline, same run), and the ratio is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from .common import ROOT, record
from .till import ARGS, CHROMIUM, FOCUSED, free_port, start

MANAGER = ("responsable", "resp2026")
SELLERS = [(f"vendeur{i}", "vente2026") for i in range(1, 5)]
POLL_MS = 25  # how often a page checks that what was awaited is on screen (every frame would cost the CPU
#              four sellers' browsers need on a 2-core machine; 25 ms is below what a seller notices)
PROBE = """
import os, sys, time
from caisse.storage.store import Store
store, stop = Store(sys.argv[1], lock_timeout=30), sys.argv[2]
waits, refused = [], 0
while not os.path.exists(stop):
    started = time.perf_counter()
    try:
        with store.transaction() as con:
            con.execute("SELECT count(*) FROM t_ticket").fetchall()
        waits.append((time.perf_counter() - started) * 1000)
    except Exception:
        refused += 1
    time.sleep(0.5)
print(__import__("json").dumps({"waits": waits, "refused": refused}))
"""


def build_shop(home: Path) -> None:
    """The demo shop with four sellers, imported for C01, the day opened."""
    os.environ["CAISSE_HOME"] = str(home)
    os.environ.pop("CAISSE_CONFIG", None)
    from caisse.common.config import load_settings
    from caisse.rules.auth import login
    from caisse.rules.opening import open_day
    from caisse.services.home import initialise, open_store
    from caisse.services.sync import run_import
    from pipeline.demo import demo_tables, write_demo_shop
    settings = load_settings()
    initialise(settings)
    tables = demo_tables()
    users, style = tables["t_utilisateur"]
    template = next(u for u in users if u["login"] == "vendeur2")
    users += [{**template, "id_utilisateur": 10 + i, "login": f"vendeur{i}", "prenom": f"Vendeur {i}"}
              for i in (3, 4)]
    write_demo_shop(settings.local_drop_dir, tables=tables)
    store = open_store(settings)
    run_import(store, settings, "C01", *MANAGER)
    open_day(store, "C01", login(store, *MANAGER), Decimal("150.00"))
    store.release()


def cli(home: Path, *args: str, password: str = MANAGER[1]) -> tuple[int, float, str]:
    env = {**os.environ, "CAISSE_HOME": str(home), "CAISSE_PASSWORD": password}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "caisse", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    return done.returncode, (time.perf_counter() - started) * 1000, done.stderr.strip()[-300:]


def p(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.median(values) if q == 50 else statistics.quantiles(values, n=20)[-1]


class Times:
    def __init__(self):
        self.values: dict[str, list[float]] = {}
        self.refused: dict[str, list[str]] = {}
        self.started = time.perf_counter()

    def add(self, action: str, ms: float) -> None:
        self.values.setdefault(action, []).append(ms)

    def refuse(self, action: str, why: str) -> None:
        self.refused.setdefault(action, []).append(why)


async def until(page, condition: str, arg=None, timeout: float = 60_000) -> None:
    await page.wait_for_function(condition, arg=arg, polling=POLL_MS, timeout=timeout)


# No animation: on a shop's tablets each page's frames cost that tablet, here five pages share 2 cores with the
# app (0.34 -> 0.41 tickets/s measured on 60-120 tickets).
STILL = """document.addEventListener('DOMContentLoaded', () => {
    const style = document.createElement('style');
    style.textContent = '*, *::before, *::after { animation: none !important; transition: none !important; }';
    document.head.appendChild(style);
});"""


async def sign_in(page, url: str, who: tuple[str, str]) -> None:
    await page.add_init_script(FOCUSED)
    await page.add_init_script(STILL)
    await page.goto(url)
    await page.get_by_role("heading", name="Ouverture de la caisse").wait_for(timeout=60_000)
    await page.get_by_label("Vendeur", exact=True).click()
    await page.get_by_role("option", name=who[0], exact=True).click()
    await page.get_by_label("Mot de passe", exact=True).fill(who[1])
    await page.get_by_role("button", name="Connecter", exact=True).click()
    await page.locator("input.scan").wait_for(timeout=60_000)


async def seller(browser, url: str, who, count: int, codes: list[str], rng, times: Times, numbers: list[int],
                 work: Path) -> None:
    context = await browser.new_context(viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    await sign_in(page, url, who)
    last = ""
    for _ in range(count):
        try:
            for lines, code in enumerate(rng.sample(codes, rng.randint(1, 2)), 1):
                await page.keyboard.type(code)
                started = time.perf_counter()
                await page.keyboard.press("Enter")
                await until(page, "n => document.querySelectorAll('.lignes tbody tr').length === n", lines)
                times.add("scan", (time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await page.keyboard.press("F2")
            await until(page, "() => { const m = document.querySelectorAll('[data-testid=stMetricValue]'); "
                              "return m.length > 1 && m[1].textContent === '0,00 €'; }")
            times.add("pay", (time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await page.keyboard.press("F9")
            await until(page, "last => { const m = document.body.textContent.match(/Ticket n°(\\d+) validé/); "
                              "return m && m[1] !== last && !document.querySelector('.lignes') && focused() && "
                              "focused().matches('input.scan'); }", last)
            times.add("validate", (time.perf_counter() - started) * 1000)
            last = await page.evaluate("() => document.body.textContent.match(/Ticket n°(\\d+) validé/)[1]")
            numbers.append(int(last))
            if len(numbers) % 250 == 0:  # a long run says how far it is (5,000 tickets take hours on 2 cores)
                elapsed = time.perf_counter() - times.started
                print(f"  {len(numbers):,} tickets in {elapsed / 60:.0f} min ({len(numbers) / elapsed:.2f}/s), "
                      f"{sum(len(v) for v in times.refused.values())} refusals so far", flush=True)
        except Exception as e:  # what the seller saw is kept, the soak goes on
            shot = work / f"vendeur-{who[0]}-{len(numbers)}.png"
            await page.screenshot(path=shot)
            times.refuse("ticket", f"{who[0]}: {str(e).splitlines()[0][:200]} ({shot})")
            await page.goto(f"{url}/vente")
            await page.locator("input.scan").wait_for(timeout=60_000)
    await context.close()


async def manager(browser, url: str, every: float, stop: asyncio.Event, times: Times) -> None:
    """The manager goes from Rapprochement to Journal and back with the menu's links, as a manager does (a page
    reloaded each time would load the whole app again: measured, that alone took a third of a core)."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    await page.add_init_script(STILL)
    await page.goto(url)
    await page.get_by_label("Identifiant du back-office").fill(MANAGER[0])
    await page.get_by_label("Mot de passe du back-office").fill(MANAGER[1])
    await page.get_by_role("button", name="Se connecter").click()
    await page.locator("[data-testid=stSidebar] a", has_text="Journal").wait_for(timeout=60_000)
    turn = 0
    while not stop.is_set():
        name = ("Rapprochement", "Journal")[turn % 2]
        started = time.perf_counter()
        try:
            await page.locator("[data-testid=stSidebar] a", has_text=name).click()
            await until(page, "name => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState "
                              "=== 'notRunning' && document.querySelector('h1')?.textContent === name", name)
            times.add(f"manager: {name.lower()}", (time.perf_counter() - started) * 1000)
        except Exception as e:
            times.refuse(f"manager: {name.lower()}", str(e).splitlines()[0][:200])
        turn += 1
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass
    await context.close()


async def every(seconds: float, stop: asyncio.Event, home: Path, action: str, args: list[str], times: Times):
    while not stop.is_set():
        rc, ms, err = await asyncio.to_thread(cli, home, *args)
        (times.add(action, ms) if rc == 0 else times.refuse(action, err))
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            pass


async def soak(url: str, home: Path, tickets: int, manager_every: float, times: Times, numbers: list[int],
               work: Path) -> float:
    from playwright.async_api import async_playwright
    codes = [f"ART{n:05d}" for n in range(1, 2001) if n % 97]
    stop = asyncio.Event()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        shares = [tickets // 4 + (1 if i < tickets % 4 else 0) for i in range(4)]
        background = [asyncio.create_task(manager(browser, url, manager_every, stop, times)),
                      asyncio.create_task(every(1, stop, home, "cli: status", ["status"], times)),
                      asyncio.create_task(every(10, stop, home, "cli: report x", ["report", "x", "--caisse", "C01"],
                                                times))]
        started = times.started = time.perf_counter()
        await asyncio.gather(*(seller(browser, url, who, n, codes, random.Random(i), times, numbers, work)
                               for i, (who, n) in enumerate(zip(SELLERS, shares))))
        seconds = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*background)
        await browser.close()
    return seconds


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak")
    parser.add_argument("--tickets", type=int, default=5000, help="tickets the four sellers ring in all")
    parser.add_argument("--manager-every", type=float, default=3.0, help="seconds between the manager's pages")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    home = work / "home"
    times, numbers = Times(), []
    try:
        build_shop(home)
        baseline = Times()
        for _ in range(5):
            for action, cli_args in (("cli: status", ["status"]), ("cli: report x", ["report", "x", "--caisse",
                                                                                      "C01"])):
                rc, ms, err = cli(home, *cli_args)
                (baseline.add(action, ms) if rc == 0 else baseline.refuse(action, err))
        port = free_port()
        app = start([sys.executable, "-m", "caisse", "serve", "--port", str(port)], home, port)
        probe = None
        try:
            probe = subprocess.Popen([sys.executable, "-c", PROBE, str(home / "caisse.duckdb"),
                                      str(work / "stop")], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
            print(f"soak: {args.tickets:,} tickets by 4 sellers in Chromium, a manager, the CLI beside…", flush=True)
            seconds = asyncio.run(soak(f"http://127.0.0.1:{port}", home, args.tickets, args.manager_every, times,
                                       numbers, work))
            (work / "stop").touch()
            probed = json.loads(probe.communicate(timeout=60)[0].strip().splitlines()[-1])
            peak = peak_rss_mb(app.pid)
            from caisse.common.config import load_settings
            from caisse.rules.closing import read_summary
            from caisse.services.home import open_store
            settings = load_settings()
            summary = read_summary(open_store(settings), "C01")
            open_store(settings).release()
            close = cli(home, "close", "--caisse", "C01", "--user", MANAGER[0], "--force", "--especes",
                        str(summary.especes_theorique))
            export = cli(home, "export", "--caisse", "C01", "--user", MANAGER[0])
            verify = cli(home, "verify", "--local")
        finally:
            app.terminate()
            app.wait(timeout=30)
            if probe and probe.poll() is None:
                probe.kill()
        report(args, seconds, times, baseline, numbers, probed, peak, summary, close, export, verify)
    finally:
        shutil.rmtree(work, ignore_errors=True) if not os.environ.get("BENCH_KEEP") else print(f"kept: {work}")


def report(args, seconds, times, baseline, numbers, probed, peak, summary, close, export, verify) -> None:
    unique = set(numbers)
    gaps = sorted(set(range(1, max(unique) + 1)) - unique) if unique else []
    print(f"\n## soak: {args.tickets:,} tickets requested, {len(numbers):,} recorded by the sellers' screens, "
          f"{summary.nb_tickets:,} in the store, in {seconds:.0f} s ({len(numbers) / seconds:.1f} tickets/s)\n")
    print(f"- duplicates: {len(numbers) - len(unique)}; gaps in the numbers: {len(gaps)}"
          + (f" (first: {gaps[:10]})" if gaps else ""))
    print(f"- app peak memory (VmHWM of the Streamlit process): {peak:.0f} MB")
    print(f"- probe (a unit of work asking for the store every 0.5 s from another process): "
          f"{len(probed.get('waits', []))} served, {probed.get('refused', '?')} refused, wait p50 "
          f"{p(probed.get('waits', []), 50):.0f} ms / p95 {p(probed.get('waits', []), 95):.0f} ms")
    print("\n| action | n | p50 ms | p95 ms | idle-store baseline p50 ms | ratio | refused |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for action in sorted(set(times.values) | set(times.refused)):
        values = times.values.get(action, [])
        base = baseline.values.get(action, [])
        ratio = f"{p(values, 50) / p(base, 50):.2f}x" if base and values else "—"
        print(f"| {action} | {len(values)} | {p(values, 50):.0f} | {p(values, 95):.0f} | "
              f"{p(base, 50):.0f} | {ratio} | {len(times.refused.get(action, []))} |" if base else
              f"| {action} | {len(values)} | {p(values, 50):.0f} | {p(values, 95):.0f} | — | — | "
              f"{len(times.refused.get(action, []))} |")
    for action, whys in times.refused.items():
        print(f"\nrefused, {action}: {len(whys)}; first: {whys[0]}")
    for name, (rc, ms, err) in (("close", close), ("export", export), ("verify", verify)):
        print(f"- caisse {name}: exit {rc} in {ms:.0f} ms" + (f" — {err}" if rc else ""))
    record(soak_tickets=args.tickets, soak_recorded=summary.nb_tickets, soak_duplicates=len(numbers) - len(unique),
           soak_gaps=len(gaps), soak_refused=sum(len(v) for v in times.refused.values()) + probed.get("refused", 0),
           soak_probe_p95_ms=p(probed.get("waits", []), 95), soak_app_peak_mb=peak, soak_verify=verify[0])


if __name__ == "__main__":
    main()
