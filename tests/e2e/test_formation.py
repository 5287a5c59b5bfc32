"""Training mode and the closings by period in Chromium (issue 15): a manager switches C01 to training in
Réglages, a seller signs in on Ouverture and rings by scanner under a MODE FORMATION banner; the real store
keeps no trace of the sale; the Journal lists the monthly closing and its archive. Screenshots under
test-artifacts/e2e/formation/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from caisse.rules.auth import login
from caisse.services.home import initialise, open_store
from caisse.services.sync import run_import
from caisse.services.workflow import archive_period
from tests.caisse.test_periods import day_at
from tests.conftest import MANAGER, SELLER
from tests.e2e.test_journey import ARGS, CHROMIUM, VIEWPORT, serve, wait_healthy
from tests.e2e.test_pages import problems_of, settle, visible_text
from tests.sshd import free_port

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e" / "formation"


def sign_in(page, url: str, who) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Ouverture de la caisse")).to_be_visible(timeout=30_000)
    page.get_by_label("Vendeur", exact=True).click()
    page.get_by_role("option", name=who.login, exact=True).click()
    page.get_by_label("Mot de passe", exact=True).fill(who.password)


def sign_out(page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("Identifiant du back-office")).to_be_visible(timeout=30_000)  # the page reloaded


def test_r26_training_in_the_browser_and_the_monthly_closing_on_the_journal(demo):
    initialise(demo)
    store = open_store(demo)
    run_import(store, demo, "C01", MANAGER.login, MANAGER.password)
    manager, seller = login(store, MANAGER.login, MANAGER.password), login(store, SELLER.login, SELLER.password)
    for when in (datetime(2027, 1, 4, 9), datetime(2027, 2, 1, 9)):
        day_at(store, manager, seller, when)
    archive_period(store, demo, "C01", "2027-01", manager)
    with store.connect() as con:
        real_tickets = con.execute("SELECT count(*) FROM t_ticket").fetchall()[0][0]
    store.release()
    port = free_port()
    proc = serve(demo, port)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)  # the manager, signed in on the real back-office
            page.get_by_label("Identifiant du back-office").fill(MANAGER.login)
            page.get_by_label("Mot de passe du back-office").fill(MANAGER.password)
            page.get_by_role("button", name="Se connecter").click()
            expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible(timeout=30_000)
            page.goto(f"{url}/journal")
            expect(page.get_by_role("cell", name="Clôture mensuelle n°1", exact=True)).to_be_visible(timeout=30_000)
            expect(page.get_by_role("cell", name="C01/C01-2027-01.xml", exact=True)).to_be_visible()
            settle(page)
            page.screenshot(path=SHOTS / "journal.png", full_page=True)
            assert problems_of(visible_text(page)) == []
            page.goto(f"{url}/reglages")
            expect(page.get_by_text("Caisses en formation : aucune.")).to_be_visible(timeout=30_000)
            page.get_by_label("Votre mot de passe pour le mode formation", exact=True).fill(MANAGER.password)
            page.get_by_role("button", name="Passer en mode formation").click()
            expect(page.get_by_text("est en mode formation")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("Caisses en formation : C01.")).to_be_visible()  # the state, said at once
            sign_out(page)
            sign_in(page, url, MANAGER)  # Ouverture now opens C01 in its training home
            expect(page.get_by_text("La caisse C01 est en MODE FORMATION")).to_be_visible(timeout=30_000)
            page.get_by_label("Montant", exact=True).fill("20,00")
            page.get_by_role("button", name="Ouvrir", exact=True).click()
            expect(page.get_by_text("La caisse C01 est ouverte")).to_be_visible(timeout=30_000)
            expect(page.get_by_label("Identifiant du back-office")).to_be_visible()  # opening signs the manager out
            sign_in(page, url, SELLER)
            page.get_by_role("button", name="Connecter", exact=True).click()
            scan = page.get_by_role("textbox", name="Article (code, EAN ou libellé)")
            expect(scan).to_be_visible(timeout=30_000)
            expect(page.get_by_text("MODE FORMATION — caisse C01")).to_be_visible()
            scan.click()
            page.keyboard.type("ART00001")
            page.keyboard.press("Enter")
            expect(page.locator(".lignes tbody tr")).to_have_count(1, timeout=30_000)
            page.keyboard.press("F2")
            page.keyboard.press("F9")
            expect(page.get_by_text("Ticket n°1 validé")).to_be_visible(timeout=30_000)
            settle(page)
            page.screenshot(path=SHOTS / "vente-formation.png", full_page=True)
            assert problems_of(visible_text(page)) == []
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    with store.connect() as con:  # the real store: not one ticket more
        assert con.execute("SELECT count(*) FROM t_ticket").fetchall()[0][0] == real_tickets
    practice = open_store(demo.__class__(**{**demo.__dict__, "home": demo.home / "formation" / "C01",
                                            "formation": True}))
    with practice.connect() as con:
        assert con.execute("SELECT count(*) FROM t_ticket").fetchall()[0][0] == 1
