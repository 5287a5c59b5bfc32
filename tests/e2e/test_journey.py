"""The whole journey in a real browser (Debian's Chromium driven by Playwright) against a real Streamlit
server, at a counter's 1024x768: import, open, connect, tickets rung the way a barcode scanner rings them
(the code and Enter, fast, nothing clicked), a refresh in the middle of a ticket, a search picked with the
arrows, close with the denomination grid, export. Screenshots of each screen are saved under
test-artifacts/e2e/; the browser never calls anything but the register server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from caisse.services.home import initialise
from tests.conftest import MANAGER, SELLER
from tests.sshd import free_port

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1024, "height": 768}
WIDE = {"width": 1366, "height": 768}


def serve(settings, port: int) -> subprocess.Popen:
    env = {**os.environ, "CAISSE_HOME": str(settings.home)}
    return subprocess.Popen([sys.executable, "-m", "caisse", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(proc.stderr.read().decode())


@pytest.fixture
def server(demo):
    initialise(demo, demo=True)
    port = free_port()
    proc = serve(demo, port)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc)
    yield url, demo
    proc.terminate()
    proc.wait(10)


def seller_at_counter(page, url: str):
    """The opening screen, the seller signed in on the open register: the scanner field, with the focus."""
    page.goto(url)
    page.get_by_label("Vendeur", exact=True).click()
    page.get_by_role("option", name=SELLER.login, exact=True).click()
    page.get_by_label("Mot de passe", exact=True).fill(SELLER.password)
    page.get_by_role("button", name="Connecter", exact=True).click()
    scan = page.get_by_role("textbox", name="Article (code, EAN ou libellé)")
    expect(scan).to_be_focused(timeout=30_000)
    return scan


def launch(p):
    browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = browser.new_page(viewport=VIEWPORT)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    return browser, page, requests


def test_the_whole_day_at_a_counter_with_a_scanner(server):
    url, settings = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, page, requests = launch(p)

        def shot(name):
            page.wait_for_timeout(400)
            page.screenshot(path=SHOTS / f"{name}.png", animations="disabled")

        def choose(label, option):
            page.get_by_label(label, exact=True).click()
            page.get_by_role("option", name=option, exact=True).click()

        def password(value):
            page.get_by_label("Mot de passe", exact=True).fill(value)

        def cell(text):
            return page.get_by_role("cell", name=text, exact=True)

        def visible_without_scrolling(locator, size):
            box = locator.bounding_box()
            assert box and box["y"] + box["height"] <= size["height"] and box["x"] + box["width"] <= size["width"], box

        page.goto(url)
        expect(page.get_by_role("heading", name="Ouverture de la caisse")).to_be_visible(timeout=30_000)
        shot("01-ouverture-sans-donnees")
        page.get_by_label("Caisse", exact=True).fill("C01")
        page.get_by_label("Vendeur", exact=True).fill(MANAGER.login)
        password(MANAGER.password)
        page.get_by_role("button", name="Importer").click()
        expect(page.get_by_text("Données importées pour la caisse C01")).to_be_visible(timeout=30_000)
        shot("02-import-termine")

        password(MANAGER.password)
        page.get_by_label("Montant", exact=True).fill("150,00")
        page.get_by_role("button", name="Ouvrir", exact=True).click()
        expect(page.get_by_text("La caisse C01 est ouverte")).to_be_visible(timeout=20_000)
        shot("03-caisse-ouverte")

        choose("Vendeur", SELLER.login)
        password(SELLER.password)
        page.get_by_role("button", name="Connecter", exact=True).click()
        scan = page.get_by_role("textbox", name="Article (code, EAN ou libellé)")
        expect(scan).to_be_focused(timeout=30_000)  # the field has the focus as soon as the ticket is on screen

        # Ticket 1: three scans typed as fast as a scanner types them, nothing clicked: the same article twice
        # adds to its line; then F2 (cash, the exact amount) and F9 (validate).
        page.keyboard.type("ART00001\nART00001\n3760000000024\n", delay=5)
        expect(cell("2 × 10,70 €")).to_be_visible(timeout=15_000)
        expect(cell("1 × 40,60 €")).to_be_visible()
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("62,00 €")
        for size in (VIEWPORT, WIDE):  # the tablet's and the laptop's screens: all of it without scrolling
            page.set_viewport_size(size)
            for seen in (cell("1 × 40,60 €"), page.get_by_test_id("stMetricValue").nth(1),
                         page.get_by_role("button", name="Valider le ticket (F9)")):
                visible_without_scrolling(seen, size)
            shot(f"04-vente-trois-scans-{size['width']}")
        page.set_viewport_size(VIEWPORT)
        page.keyboard.press("F2")
        expect(page.get_by_text("Espèces 62,00 €")).to_be_visible(timeout=10_000)
        page.keyboard.press("F9")
        expect(page.get_by_text("Ticket n°1 validé : 62,00 €.")).to_be_visible(timeout=10_000)
        expect(scan).to_be_focused()
        shot("05-ticket-valide")

        # Ticket 2: a scan, a refresh in the middle (the ticket and its payment come back, no password), then
        # cash handed over: the change is shown before validating.
        page.keyboard.type("ART00003\n")
        expect(page.get_by_role("cell").first).to_be_visible(timeout=10_000)
        page.get_by_label("Montant remis").fill("5")
        page.get_by_role("button", name="Carte Bancaire (F4)").click()
        expect(page.get_by_text("Carte Bancaire 5,00 €")).to_be_visible(timeout=10_000)
        page.reload()
        expect(page.get_by_text("Carte Bancaire 5,00 €")).to_be_visible(timeout=30_000)
        expect(scan).to_be_focused(timeout=10_000)
        shot("06-apres-rafraichissement")
        page.get_by_role("button", name="20 €", exact=True).click()  # a 20 € note handed over
        expect(page.get_by_text("À rendre")).to_be_visible(timeout=10_000)
        shot("07-monnaie-a-rendre")
        page.keyboard.press("F9")
        expect(page.get_by_text("validé")).to_be_visible(timeout=10_000)

        # An unknown code says so beside the field; a label is searched and picked with the arrows.
        page.keyboard.type("ZZZ999\n")
        expect(page.get_by_text("« ZZZ999 » : aucun article")).to_be_visible(timeout=10_000)
        expect(scan).to_have_class("scan erreur")
        page.keyboard.type("crème\n")
        expect(page.locator(".results li").first).to_be_visible(timeout=10_000)
        shot("08-recherche-libelle")
        page.keyboard.press("ArrowDown")
        picked = page.locator(".results li.choisi > span").first.inner_text()
        page.keyboard.press("Enter")
        expect(cell(picked)).to_be_visible(timeout=10_000)
        # A quantity typed wrong is a sentence; the ticket stays on screen.
        page.get_by_role("button", name="Modifier une ligne").click()
        page.get_by_label("Nouvelle quantité").fill("1e6")
        page.get_by_label("Nouvelle quantité").press("Enter")
        page.get_by_role("button", name="Changer la quantité").click()
        expect(page.get_by_text("La quantité « 1e6 » n'est pas un nombre positif")).to_be_visible(timeout=10_000)
        expect(cell(picked)).to_be_visible()
        shot("09-quantite-refusee")
        page.keyboard.press("Escape")
        page.keyboard.press("F2")
        expect(page.get_by_role("button", name="Valider le ticket (F9)")).to_be_enabled()
        page.keyboard.press("F9")
        expect(page.get_by_text("Ticket n°3 validé")).to_be_visible(timeout=10_000)
        page.get_by_role("button", name="Sortir").click()

        expect(page.get_by_role("heading", name="Ouverture de la caisse")).to_be_visible(timeout=30_000)
        choose("Vendeur", MANAGER.login)
        password(MANAGER.password)
        page.get_by_role("button", name="Fermer la caisse").click()
        expect(page.get_by_role("heading", name="Fermeture de la caisse")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Nombre de ticket : 3")).to_be_visible()
        shot("10-fermeture")
        page.get_by_text("Saisir le montant des espèces sans détail").click()
        expected = page.get_by_test_id("stMetricValue").first.inner_text()
        page.get_by_label("Montant des espèces", exact=True).fill(expected.replace(" €", "").replace("\u202f", ""))
        page.get_by_label("Montant des espèces", exact=True).press("Tab")
        page.get_by_label("Mot de passe du responsable", exact=True).fill(MANAGER.password)
        page.get_by_role("button", name="Valider la fermeture").click()
        expect(page.get_by_text("Caisse C01 fermée : Z n°1, écart 0,00 €")).to_be_visible(timeout=20_000)
        shot("11-ticket-z")
        page.get_by_role("button", name="Retour à l'ouverture").click()

        expect(page.get_by_role("heading", name="Ouverture de la caisse")).to_be_visible(timeout=20_000)
        password(MANAGER.password)
        page.get_by_role("button", name="Exporter").click()
        expect(page.get_by_text("Journées exportées vers le serveur principal (lot C01-Z000001-Z000001)")) \
            .to_be_visible(timeout=30_000)
        shot("12-export-termine")
        browser.close()
    outside = [u for u in requests if not u.startswith((url, url.replace("http", "ws"), "data:", "blob:"))]
    assert outside == []  # the app never calls out
    lot = settings.local_drop_dir / "export" / "C01" / "C01-Z000001-Z000001"
    assert len(list(lot.iterdir())) == 10
