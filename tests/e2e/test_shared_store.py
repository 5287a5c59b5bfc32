"""Issue 16, point 1 with the real app: a seller rings tickets in Chromium against a real Streamlit server while
the shop's scripts run `caisse status` and `caisse sell` beside it, with a lock timeout of 3 s. Every CLI call
gets its turn (none refused "base occupée"), every ticket is recorded once with gapless numbers, and verify
finds the chains intact. The soak (`benchmarks/soak.py`) does the same at 5,000 tickets and measures it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from playwright.sync_api import expect, sync_playwright

from caisse.services.home import open_store
from caisse.services.sync import run_import
from tests.conftest import MANAGER
from tests.e2e.test_journey import ROOT, launch, seller_at_counter, serve, wait_healthy
from tests.sshd import free_port

TICKETS = 8


def cli(env, *args, timeout=60):
    return subprocess.run([sys.executable, "-m", "caisse", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_cli_commands_beside_a_seller_in_the_app_all_get_their_turn(demo):
    run_import(open_store(demo), demo, "C01", MANAGER.login, MANAGER.password)
    env = {**os.environ, "CAISSE_HOME": str(demo.home), "CAISSE_LOCK_TIMEOUT": "3",
           "CAISSE_PASSWORD": MANAGER.password}
    opened = cli(env, "open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "150,00")
    assert opened.returncode == 0, opened.stderr
    port = free_port()
    app = serve(demo, port)
    url = f"http://127.0.0.1:{port}"
    calls: list[subprocess.CompletedProcess] = []
    seller_done = threading.Event()

    def scripts():  # what a shop runs beside the app: a status every moment, a sale from time to time
        n = 0
        while not seller_done.is_set():
            calls.append(cli(env, "status"))
            n += 1
            if n % 3 == 0:
                calls.append(cli(env, "sell", "--caisse", "C01", "--user", MANAGER.login, "--article", "ART00001",
                                 "--pay", "ESP=10,70"))
    beside = threading.Thread(target=scripts)
    try:
        wait_healthy(url, app)
        with sync_playwright() as p:
            browser, page, _ = launch(p)
            scan = seller_at_counter(page, url)
            beside.start()
            shown, last = [], ""
            for _ in range(TICKETS):
                page.keyboard.type("ART00003\n", delay=5)
                page.wait_for_function("() => document.querySelectorAll('.lignes tbody tr').length === 1",
                                       timeout=30_000)
                page.keyboard.press("F2")
                page.wait_for_function("() => { const m = document.querySelectorAll('[data-testid=stMetricValue]');"
                                       " return m.length > 1 && m[1].textContent === '0,00 €'; }", timeout=30_000)
                page.keyboard.press("F9")
                page.wait_for_function("last => { const m = document.body.textContent.match(/Ticket n°(\\d+) "
                                       "validé/); return m && m[1] !== last && !document.querySelector('.lignes')"
                                       "; }", arg=last, timeout=30_000)
                expect(scan).to_be_focused(timeout=30_000)  # the next ticket is ready for the scanner
                last = page.evaluate("() => document.body.textContent.match(/Ticket n°(\\d+) validé/)[1]")
                shown.append(int(last))
            browser.close()
    finally:
        seller_done.set()
        if beside.ident:
            beside.join(120)
        app.terminate()
        app.wait(10)

    refused = [c for c in calls if c.returncode != 0]
    assert not refused, refused[0].stderr
    sales = [c for c in calls if c.args[3] == "sell"]
    assert len(calls) >= TICKETS and sales, len(calls)
    with open_store(demo).connect() as c:
        numbers = [n for (n,) in c.execute("SELECT numero FROM t_ticket ORDER BY numero")
                   .fetchall()]
    assert numbers == list(range(1, TICKETS + len(sales) + 1))  # every ticket once, no gap
    assert len(set(shown)) == TICKETS and set(shown) <= set(numbers)  # what the seller was told is in the store
    verified = cli(env, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
