"""The whole journey in a real browser (Debian's Chromium driven by Playwright) against a real Streamlit
server: import, open, connect, sell two tickets, close with the denomination grid, export.
Screenshots of each screen are saved under test-artifacts/e2e/."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from caisse import initialise
from tests.conftest import MANAGER, SELLER
from tests.sshd import free_port

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def server(demo):
    initialise(demo, demo=True)
    port = free_port()
    env = {**os.environ, "CAISSE_HOME": str(demo.home)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless",
                             "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError(proc.stderr.read().decode())
    yield url, demo
    proc.terminate()
    proc.wait(10)


def test_the_whole_day_in_a_browser(server):
    url, settings = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})

        def shot(name):
            page.wait_for_timeout(600)
            page.screenshot(path=SHOTS / f"{name}.png", animations="disabled", full_page=True)

        def choose(label, option):
            page.get_by_label(label, exact=True).click()
            page.get_by_role("option", name=option, exact=True).click()

        def password(value):
            page.get_by_label("Mot de passe", exact=True).fill(value)

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
        expect(page.get_by_role("heading", name="Vente")).to_be_visible(timeout=20_000)
        for code, handed in (("ART00001", "50,00"), ("3760000000024", None)):
            page.get_by_label("Article (code, EAN ou libellé)").fill(code)
            page.keyboard.press("Enter")
            expect(page.get_by_text("· ", exact=False).first).to_be_visible()
            page.get_by_role("button", name="Ajouter", exact=True).click()
            expect(page.get_by_text("Total :")).to_be_visible(timeout=10_000)
            if handed:
                page.get_by_label("Montant", exact=True).fill(handed)
            page.get_by_role("button", name="Ajouter le règlement").click()
            expect(page.get_by_role("button", name="Valider le ticket")).to_be_enabled(timeout=10_000)
            shot(f"04-vente-{code}")
            page.get_by_role("button", name="Valider le ticket").click()
            expect(page.get_by_text("validé")).to_be_visible(timeout=10_000)
        expect(page.get_by_text("Ticket n°2 validé : 40,60 €.")).to_be_visible()
        shot("05-deux-tickets")
        page.get_by_role("button", name="Déconnecter le vendeur").click()

        expect(page.get_by_role("heading", name="Ouverture de la caisse")).to_be_visible(timeout=20_000)
        choose("Vendeur", MANAGER.login)
        password(MANAGER.password)
        page.get_by_role("button", name="Fermer la caisse").click()
        expect(page.get_by_role("heading", name="Fermeture de la caisse")).to_be_visible(timeout=20_000)
        expect(page.get_by_text("Nombre de ticket : 2")).to_be_visible()
        for unit, number in (("200,00 €", "1"), ("1,00 €", "1"), ("0,20 €", "1"), ("0,10 €", "1")):
            field = page.get_by_label(unit, exact=True)
            field.fill(number)
            field.press("Tab")
            page.wait_for_timeout(400)
        expect(page.get_by_text("Total compté : 201,30 €")).to_be_visible(timeout=10_000)
        shot("06-fermeture-comptage")
        page.get_by_role("button", name="Valider la fermeture").click()
        expect(page.get_by_text("Caisse C01 fermée : Z n°1, écart 0,00 €")).to_be_visible(timeout=20_000)
        shot("07-ticket-z")
        page.get_by_role("button", name="Retour à l'ouverture").click()

        expect(page.get_by_role("heading", name="Ouverture de la caisse")).to_be_visible(timeout=20_000)
        password(MANAGER.password)
        page.get_by_role("button", name="Exporter").click()
        expect(page.get_by_text("Journées exportées vers le serveur principal (lot C01-Z000001-Z000001)")) \
            .to_be_visible(timeout=30_000)
        shot("08-export-termine")
        browser.close()
    lot = settings.local_drop_dir / "export" / "C01" / "C01-Z000001-Z000001"
    assert len(list(lot.iterdir())) == 10
