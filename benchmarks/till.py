"""`python -m benchmarks.till`: the sale screen as a seller meets it, in Debian's Chromium driven by Playwright,
against the real app, beside today's page before issue 12 (benchmarks/till_before/app.py), in the same run.

The shop: 100,000 articles (the demo shop's catalogue made larger), 60,000 of them models sold by size with 10
sizes each (600,000 variants, each with its own EAN), and a day of 5,000 tickets already rung.
Both apps run at once, each on its own copy of that store, each with its own Chromium page at 1024x768. They
take turns, a round of tickets each, and every ticket is rung the way its page is used:
- ours: the code typed in the scanner field and Enter (one line, or two), F2 (cash, the exact amount), F9;
- today's page: the code typed and Enter (a search), then "Ajouter" (the form that adds the line), then
  "Ajouter le règlement" (its amount is prefilled), then "Valider le ticket".
Each action is timed from the key or click that starts it until what it changes is on screen (polled at
every frame): the line in the ticket, nothing left to pay, the confirmation of the ticket on an empty
ticket. The first tickets of each page are a warm-up, not counted. Then a round of clothing tickets on ours
alone (today's page has neither variants nor discounts): a variant's EAN scanned, a model's code typed and a
size picked in its grid with the arrows and Enter, 10 % on a line from the line editor, F2, F9. Printed: p50 and
p95 per action and page, the ratio between them, and the app's CPU per action (ours: the server process's CPU
time around each action, which runs alone).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from .common import ROOT, record, ring_day

ARTICLES, DAY = 100_000, 5_000
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
MANAGER, SELLER = ("responsable", "resp2026"), ("vendeur1", "vente2026")
OURS, BEFORE = "ours (pages/vente.py)", "today's page (before issue 12)"
ACTIONS = {"scan": "scan to line shown", "pay": "payment to nothing left to pay",
           "validate": "validate to the next empty ticket", "variant": "a variant's EAN to its line shown",
           "grid": "a model's code to its grid shown", "pick": "a size picked in the grid to its line shown",
           "discount": "10 % on a line to the new total shown"}
TARGETS = {"scan": (150, 300), "validate": (None, 400), "variant": (150, 300)}  # p50, p95 in ms on this machine
SIZES = [str(n) for n in range(36, 46)]


def is_model(n: int) -> bool:
    return n % 10 < 6  # 60 % of the articles: 60,000 models of 10 sizes, 600,000 variants


def active_codes() -> list[str]:
    """The plain articles (every 97th demo article is inactive)."""
    return [f"ART{n:05d}" for n in range(1, ARTICLES + 1) if n % 97 and not is_model(n)]


def model_codes() -> list[str]:
    return [f"ART{n:05d}" for n in range(1, ARTICLES + 1) if n % 97 and is_model(n)]


def variant_ean(n: int, size: int) -> str:
    from pipeline.demo import _ean13
    return _ean13(f"37{n * 10 + size:010d}")


def write_variants(folder: Path, manifest) -> None:
    """The models' sizes and their grid written beside the demo shop's files, streamed (600,000 rows), and the
    manifest written again with them."""
    from pipeline.manifest import IMPORT_MANIFEST, FileEntry, sha256_file, write_manifest
    path, rows = folder / "t_declinaison.xml", 0
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<t_declinaison>\n')
        for n in range(1, ARTICLES + 1):
            if is_model(n):
                for i, size in enumerate(SIZES):
                    out.write(f"<row><id_declinaison>{n * 10 + i}</id_declinaison><id_article>{n}</id_article>"
                              f"<ean>{variant_ean(n, i)}</ean><taille>{size}</taille><couleur>Noir</couleur>"
                              "<actif>1</actif></row>\n")
                    rows += 1
        out.write("</t_declinaison>\n")
    grid = folder / "t_grille_declinaison.xml"
    grid.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<t_grille_declinaison>\n' + "".join(
        f'<row><id_grille_declinaison>9</id_grille_declinaison><ordre>{i}</ordre><taille>{size}</taille></row>\n'
        for i, size in enumerate(SIZES, 1)) + "</t_grille_declinaison>\n", encoding="utf-8")
    manifest.fichiers = [f for f in manifest.fichiers if f.nom not in (path.name, grid.name)]
    manifest.fichiers += [FileEntry(path.name, rows, sha256_file(path)), FileEntry(grid.name, len(SIZES),
                                                                                   sha256_file(grid))]
    write_manifest(manifest, folder / IMPORT_MANIFEST)


def big_shop_tables():
    """The demo shop's tables at 100,000 articles, the models among them pointing at the size grid."""
    from pipeline.demo import demo_tables
    tables = demo_tables(articles=ARTICLES)
    for row in tables["t_article"][0]:
        n = row["id_article"]
        if n <= ARTICLES and is_model(n):
            row["id_grille_declinaison"] = 9
    for name in ("t_declinaison", "t_grille_declinaison", "t_code_barre"):
        tables.pop(name, None)
    return tables


def build_shop(home: Path, tickets: int, users: int = 0) -> float:
    """A store with the large catalogue and its variants imported, the day opened and `tickets` rung (`users`
    more sellers, vendeur3 and on); returns the seconds."""
    started = time.perf_counter()
    os.environ["CAISSE_HOME"] = str(home)
    os.environ.pop("CAISSE_CONFIG", None)
    from caisse.common.config import load_settings
    from caisse.rules.auth import login
    from caisse.rules.opening import open_day
    from caisse.rules.sales import connect_seller, disconnect_seller
    from caisse.services.home import initialise, open_store
    from caisse.services.sync import run_import
    from pipeline.demo import write_demo_shop
    settings = load_settings()
    initialise(settings)
    folder = settings.local_drop_dir / settings.import_dir.replace("{caisse}", "C01")
    tables = big_shop_tables()
    people, _ = tables["t_utilisateur"]
    template = next(u for u in people if u["login"] == "vendeur2")
    people += [{**template, "id_utilisateur": 10 + i, "login": f"vendeur{i}", "prenom": f"Vendeur {i}"}
               for i in range(3, 3 + users)]
    write_variants(folder, write_demo_shop(folder, articles=ARTICLES, tables=tables))
    store = open_store(settings)
    run_import(store, settings, "C01", *MANAGER)
    open_day(store, "C01", login(store, *MANAGER), Decimal("150.00"))
    seller = login(store, *SELLER)
    connection = connect_seller(store, "C01", seller)
    ring_day(store, "C01", seller, active_codes(), tickets, random.Random(12), progress=1000)
    disconnect_seller(store, connection)
    return time.perf_counter() - started


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], home: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "CAISSE_HOME": str(home), "PYTHONPATH": str(ROOT), "BENCH_LOGIN": SELLER[0],
           "BENCH_PASSWORD": SELLER[1]}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"{command} did not start:\n{proc.stderr.read().decode()[-2000:]}")


FOCUSED = """window.focused = () => {  // the element with the focus, inside shadow roots too
    let e = document.activeElement;
    while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
    return e;
}"""


def cpu_ms(pid: int) -> float:
    """The CPU time (user + system, ms) of a process and of the processes it started."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    times: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ident = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(ident)
        times[ident] = int(fields[11]) + int(fields[12])
    total, todo = 0, [pid]
    while todo:
        ident = todo.pop()
        total += times.get(ident, 0)
        todo += children.get(ident, [])
    return total * 1000 / tick


def until(page, condition: str, arg=None, timeout: float = 30_000) -> None:
    page.wait_for_function(condition, arg=arg, polling="raf", timeout=timeout)


class Ours:
    name = OURS

    def __init__(self, page, url: str):
        self.page = page
        page.add_init_script(FOCUSED)
        page.goto(url)
        page.get_by_role("heading", name="Ouverture de la caisse").wait_for(timeout=60_000)
        page.get_by_label("Vendeur", exact=True).click()
        page.get_by_role("option", name=SELLER[0], exact=True).click()
        page.get_by_label("Mot de passe", exact=True).fill(SELLER[1])
        page.get_by_role("button", name="Connecter", exact=True).click()
        page.locator("input.scan").wait_for(timeout=60_000)

    def scan(self, code: str, lines: int, clock, action: str = "scan") -> None:
        self.page.keyboard.type(code)
        with clock(action):
            self.page.keyboard.press("Enter")
            until(self.page, "n => document.querySelectorAll('.lignes tbody tr').length === n", lines)

    def grid_pick(self, code: str, lines: int, clock) -> None:
        self.page.keyboard.type(code)
        with clock("grid"):
            self.page.keyboard.press("Enter")
            self.page.locator(".grille td.choisi").wait_for(timeout=30_000)  # in the component's shadow root
        self.page.keyboard.press("ArrowRight")
        with clock("pick"):
            self.page.keyboard.press("Enter")
            until(self.page, "n => document.querySelectorAll('.lignes tbody tr').length === n", lines)

    def discount(self, clock) -> None:
        """10 % on the last line from the line editor, then back to the scanner field."""
        page = self.page
        page.get_by_role("button", name="Modifier une ligne").click()
        field = page.locator('input[aria-label="Remise sur la ligne"]:visible')
        field.wait_for(timeout=30_000)
        field.fill("10 %")
        before = page.evaluate("() => document.querySelector('[data-testid=stMetricValue]').textContent")
        with clock("discount"):
            page.get_by_role("button", name="Appliquer la remise").click()
            until(page, "t => document.querySelector('[data-testid=stMetricValue]').textContent !== t", before)
        page.keyboard.press("Escape")
        page.locator("input.scan").click()

    def pay(self, clock) -> None:
        with clock("pay"):
            self.page.keyboard.press("F2")
            until(self.page, "() => { const m = document.querySelectorAll('[data-testid=stMetricValue]'); "
                             "return m.length > 1 && m[1].textContent === '0,00 €'; }")

    def validate(self, numero: int, clock) -> None:
        with clock("validate"):
            self.page.keyboard.press("F9")
            until(self.page, "n => document.body.innerText.includes(`Ticket n°${n} validé`) && "
                             "!document.querySelector('.lignes') && "
                             "focused() && focused().matches('input.scan')", numero)


class Before:
    name = BEFORE

    def __init__(self, page, url: str):
        self.page = page
        page.goto(url)
        self.field = page.get_by_label("Article (code, EAN ou libellé)")
        self.field.wait_for(timeout=60_000)

    def _total(self) -> str:
        return self.page.evaluate("() => { const h = [...document.querySelectorAll('h3')].find("
                                  "e => e.textContent.startsWith('Total : ')); return h ? h.textContent : ''; }")

    def idle(self) -> None:
        """Until the page's script has finished its run: a click sent during a run may be lost (issue 12)."""
        until(self.page, "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState "
                         "=== 'notRunning'")

    def scan(self, code: str, lines: int, clock) -> None:
        self.idle()
        before = self._total()
        self.field.fill(code)
        with clock("scan"):
            self.field.press("Enter")
            until(self.page, "c => { const f = document.querySelector('[data-testid=stForm]'); "
                             "const r = f && f.querySelector('input[aria-label=\"Résultat\"]'); "
                             "const b = f && f.querySelector('[data-testid=stFormSubmitButton] button'); "
                             "return r && r.value.startsWith(c + ' ') && b && !b.disabled; }", code)
            self.idle()
            self.page.get_by_role("button", name="Ajouter", exact=True).click()
            until(self.page, "t => { const h = [...document.querySelectorAll('h3')].find("
                             "e => e.textContent.startsWith('Total : ')); return h && h.textContent !== t; }",
                  before)

    def pay(self, clock) -> None:
        self.idle()
        with clock("pay"):
            self.page.get_by_role("button", name="Ajouter le règlement").click()
            until(self.page, "() => document.body.innerText.includes('Reste à payer : 0,00 €')")

    def validate(self, numero: int, clock) -> None:
        self.idle()
        with clock("validate"):
            self.page.get_by_role("button", name="Valider le ticket").click()
            until(self.page, "n => document.body.innerText.includes(`Ticket n°${n} validé`) && "
                             "![...document.querySelectorAll('h3')].some(e => e.textContent.startsWith('Total : '))",
                  numero)


class Clock:
    """Times kept per action; a `with clock(action)` block is one action. With a server's `pid`, the server's CPU
    time during the action too (what it does when it runs alone)."""

    def __init__(self, pid: int | None = None):
        self.times: dict[str, list[float]] = {a: [] for a in ACTIONS}
        self.cpu: dict[str, list[float]] = {a: [] for a in ACTIONS}
        self.counting = False
        self.pid = pid

    def __call__(self, action: str):
        clock = self

        class Timed:
            def __enter__(self):
                self.cpu = cpu_ms(clock.pid) if clock.pid else 0
                self.started = time.perf_counter()

            def __exit__(self, *exc):
                if exc[0] is None and clock.counting:
                    clock.times[action].append((time.perf_counter() - self.started) * 1000)
                    if clock.pid:
                        time.sleep(0.15)  # the end of the server's run, after what it drew is on screen
                        clock.cpu[action].append(cpu_ms(clock.pid) - self.cpu)
        return Timed()


def ring(till, clock: Clock, articles: list[str], numero: int, work: Path) -> None:
    """One ticket; when a page does not show what was awaited, its screen is kept and the run stops."""
    try:
        for n, code in enumerate(articles, 1):
            till.scan(code, n, clock)
        till.pay(clock)
        till.validate(numero, clock)
    except Exception as e:
        shot = Path(tempfile.gettempdir()) / f"bench-till-{'ours' if till.name == OURS else 'before'}.png"
        till.page.screenshot(path=shot)
        raise SystemExit(f"{till.name}, ticket n°{numero} ({', '.join(articles)}): {e}\nits screen: {shot}") from None


def clothing(till, clock: Clock, rng, models: list[str], numero: int) -> None:
    """A clothing ticket: a variant's EAN, a model's grid and a size picked, 10 % on the last line, F2, F9."""
    try:
        n = int(rng.choice(models)[3:])
        till.scan(variant_ean(n, rng.randrange(len(SIZES))), 1, clock, "variant")
        till.grid_pick(rng.choice(models), 2, clock)
        till.discount(clock)
        till.pay(clock)
        till.validate(numero, clock)
    except Exception as e:
        shot = Path(tempfile.gettempdir()) / "bench-till-clothing.png"
        till.page.screenshot(path=shot)
        raise SystemExit(f"clothing ticket n°{numero}: {e}\nits screen: {shot}") from None


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.till")
    parser.add_argument("--tickets", type=int, default=200, help="tickets rung on each page (after the warm-up)")
    parser.add_argument("--day", type=int, default=DAY, help="tickets already rung in the day")
    parser.add_argument("--round", type=int, default=25, help="tickets a page rings before the other's turn")
    parser.add_argument("--clothing", type=int, default=60, help="clothing tickets rung on ours at the end")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    work = Path(tempfile.mkdtemp(prefix="bench-till-"))
    try:
        print(f"building the shop: {ARTICLES:,} articles, a day of {args.day:,} tickets…", flush=True)
        seconds = build_shop(work / "shop", args.day)
        print(f"  built in {seconds:.0f} s", flush=True)
        for name in ("ours", "before"):
            shutil.copytree(work / "shop", work / name, symlinks=True)
        ports = {OURS: free_port(), BEFORE: free_port()}
        servers = [start([sys.executable, "-m", "caisse", "serve", "--port", str(ports[OURS])], work / "ours",
                          ports[OURS]),
                   start([sys.executable, "-m", "streamlit", "run", str(ROOT / "benchmarks/till_before/app.py"),
                          "--server.port", str(ports[BEFORE]), "--server.headless", "true",
                          "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                         work / "before", ports[BEFORE])]
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                pages = {}
                for cls in (Ours, Before):
                    page = browser.new_page(viewport={"width": 1024, "height": 768})
                    pages[cls.name] = cls(page, f"http://127.0.0.1:{ports[cls.name]}")
                clocks = {OURS: Clock(servers[0].pid), BEFORE: Clock()}
                rng, codes = random.Random(34), active_codes()
                numero = {name: args.day for name in pages}
                warmup = 5
                plan = [warmup] + [args.round] * (args.tickets // args.round) + (
                    [args.tickets % args.round] if args.tickets % args.round else [])
                for turn, count in enumerate(plan):
                    order = list(pages) if turn % 2 == 0 else list(reversed(pages))
                    tickets = [rng.sample(codes, 1 + i % 2) for i in range(count)]  # one line, then two
                    for name in order:
                        till, clock = pages[name], clocks[name]
                        clock.counting = turn > 0
                        for articles in tickets:
                            numero[name] += 1
                            ring(till, clock, articles, numero[name], work)
                    if turn:
                        print(f"  round {turn}: {sum(plan[1:turn + 1])} tickets on each page", flush=True)
                models = model_codes()
                for _ in range(args.clothing):  # ours alone: a variant, a size from a grid, a discount
                    numero[OURS] += 1
                    clothing(pages[OURS], clocks[OURS], rng, models, numero[OURS])
                print(f"  {args.clothing} clothing tickets on ours", flush=True)
                browser.close()
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)
        report(clocks, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(clocks: dict[str, Clock], args) -> None:
    print(f"\n## the sale screen in Chromium, {ARTICLES:,} articles, a day of {args.day:,} tickets, "
          f"{args.tickets} tickets on each page (ms)\n")
    print(f"| action | {OURS} p50 | p95 | app CPU ms (mean) | {BEFORE} p50 | p95 | ours is (p50) | target |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    figures = {}
    for action, words in ACTIONS.items():
        ours, before = clocks[OURS].times[action], clocks[BEFORE].times[action]
        if not ours:
            continue
        cpu = statistics.mean(clocks[OURS].cpu[action]) if clocks[OURS].cpu[action] else float("nan")
        o50, o95 = statistics.median(ours), p95(ours)
        figures[action] = {"p50": o50, "p95": o95, "cpu_ms": cpu, "n": len(ours)}
        goal = TARGETS.get(action)
        stated = " and ".join(f"{w} <= {v}" for w, v in zip(("p50", "p95"), goal or ()) if v) or "—"
        if before:
            b50, b95 = statistics.median(before), p95(before)
            figures[action].update(before_p50=b50, before_p95=b95)
            print(f"| {words} ({len(ours)} / {len(before)}) | {o50:.0f} | {o95:.0f} | {cpu:.0f} | {b50:.0f} | "
                  f"{b95:.0f} | {b50 / o50:.1f}x faster | {stated} |")
        else:
            print(f"| {words} ({len(ours)}) | {o50:.0f} | {o95:.0f} | {cpu:.0f} | — | — | — | {stated} |")
    record(bench="till", **figures)


if __name__ == "__main__":
    main()
