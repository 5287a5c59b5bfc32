"""The clothing shop's counter at a tablet's 1024x768 with a scanner (issue 24): a shirt scanned in M by its
variant's EAN, shoes picked in 42 from their grid with the arrows, 10 % on the shirt within the seller's ceiling,
25 % on the shoes past it and let through by a manager's password on the spot, 5 € on the ticket with a reason,
paid by card; the receipt, the Z's VAT, the export and verify all carry it."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from lxml import etree
from playwright.sync_api import expect, sync_playwright

from caisse.paper.receipts import receipt_lines
from caisse.rules.auth import login
from caisse.rules.closing import close_day, read_summary
from caisse.rules.day_report import z_report
from caisse.services.export import run_export
from caisse.services.home import initialise, open_store
from tests.caisse.helpers import breaks
from tests.conftest import MANAGER
from tests.e2e.test_journey import ARGS, CHROMIUM, ROOT, SHOTS, VIEWPORT, seller_at_counter, wait_healthy
from tests.e2e.test_pages import settle
from tests.sshd import free_port

SHIRT_M_BLUE = "3780000100029"


@pytest.fixture
def shop(demo):
    initialise(demo, demo=True)
    port = free_port()
    env = {**os.environ, "CAISSE_HOME": str(demo.home)}
    proc = subprocess.Popen([sys.executable, "-m", "caisse", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc)
    yield url, demo
    proc.terminate()
    proc.wait(10)


def visible(page, label: str):
    return page.locator(f'input[aria-label="{label}"]:visible')


def test_a_seller_sells_a_shirt_in_m_and_shoes_in_42_with_discounts_and_a_managers_approval(shop):
    url, settings = shop
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        back = browser.new_context(viewport=VIEWPORT).new_page()
        till = browser.new_context(viewport=VIEWPORT).new_page()

        def shot(name):
            till.wait_for_timeout(300)
            till.screenshot(path=SHOTS / f"habillement-{name}.png", animations="disabled")

        back.goto(url)
        expect(back.get_by_role("heading", name="Ouverture de la caisse")).to_be_visible(timeout=30_000)
        back.get_by_label("Caisse", exact=True).fill("C01")
        back.get_by_label("Vendeur", exact=True).fill(MANAGER.login)
        back.get_by_label("Mot de passe", exact=True).fill(MANAGER.password)
        back.get_by_role("button", name="Importer").click()
        expect(back.get_by_text("Données importées pour la caisse C01")).to_be_visible(timeout=60_000)
        back.get_by_label("Mot de passe", exact=True).fill(MANAGER.password)
        back.get_by_label("Montant", exact=True).fill("150,00")
        back.get_by_label("Montant", exact=True).press("Enter")
        expect(back.get_by_text("La caisse C01 est ouverte")).to_be_visible(timeout=60_000)

        scan = seller_at_counter(till, url)
        till.keyboard.type(f"{SHIRT_M_BLUE}\n")  # the shirt's M in light blue, by its own EAN
        expect(till.get_by_role("cell", name="Chemise Oxford M, Bleu ciel", exact=True)).to_be_visible(timeout=15_000)
        till.keyboard.type("BASK-CUIR\n")  # the model: its grid, 36 to 45, picked with the arrows
        grid = till.get_by_role("grid", name="Baskets cuir (BASK-CUIR)")
        expect(grid).to_be_visible(timeout=15_000)
        shot("01-grille")
        for _ in range(6):
            till.keyboard.press("ArrowRight")
        expect(grid.locator("td.choisi")).to_have_attribute("aria-label", "42 Noir 89,00")
        till.keyboard.press("Enter")
        expect(till.get_by_role("cell", name="Baskets cuir 42, Noir", exact=True)).to_be_visible(timeout=15_000)
        settle(till)

        # 10 % on the shirt: within the seller's ceiling (20 % on a line).
        till.get_by_role("button", name="Modifier une ligne").click()
        till.get_by_label("Ligne", exact=True).click()
        till.get_by_role("option", name="1. Chemise Oxford M, Bleu ciel (1)").click()
        settle(till)
        visible(till, "Remise sur la ligne").fill("10 %")
        till.get_by_role("button", name="Appliquer la remise").click()
        expect(till.get_by_text("Remise de 4,99 € sur Chemise Oxford M, Bleu ciel (SOLDES).")).to_be_visible(
            timeout=15_000)
        settle(till)
        # 25 % on the shoes: past it, a manager types a password on the spot.
        till.get_by_label("Ligne", exact=True).click()
        till.get_by_role("option", name="2. Baskets cuir 42, Noir (1)").click()
        settle(till)
        visible(till, "Remise sur la ligne").fill("25 %")
        till.get_by_role("button", name="Appliquer la remise").click()
        expect(till.get_by_text("dépasse votre plafond")).to_be_visible(timeout=15_000)
        till.keyboard.press("Escape")
        settle(till)
        visible(till, "Identifiant du responsable").fill(MANAGER.login)
        visible(till, "Mot de passe du responsable").fill(MANAGER.password)
        shot("02-responsable")
        till.get_by_role("button", name="Autoriser").click()
        expect(till.get_by_text("Remise de 22,25 € sur Baskets cuir 42, Noir (SOLDES).")).to_be_visible(
            timeout=15_000)
        settle(till)
        # 5 € on the ticket, with its reason.
        till.get_by_role("button", name="Remise ticket").click()
        visible(till, "Remise sur le ticket").fill("5,00")
        till.get_by_label("Motif", exact=True).last.click()
        till.get_by_role("option", name="Fidélité").click()
        settle(till)
        till.get_by_role("button", name="Appliquer au ticket").click()
        expect(till.get_by_text("Remise de 5,00 € sur le ticket (FIDELITE).")).to_be_visible(timeout=15_000)
        till.keyboard.press("Escape")
        shot("03-remises")
        scan.click()
        till.keyboard.press("F4")  # 49,90 - 4,99 + 89,00 - 22,25 - 5,00 = 106,66 by card
        expect(till.get_by_text("Carte Bancaire 106,66 €")).to_be_visible(timeout=15_000)
        till.keyboard.press("F9")
        expect(till.get_by_text("Ticket n°1 validé : 106,66 €.")).to_be_visible(timeout=15_000)
        shot("04-valide")
        browser.close()

    store = open_store(settings)
    with store.connect() as con:
        receipt = "\n".join(receipt_lines(con, con.execute("SELECT id_ticket FROM t_ticket").fetchall()[0][0]))
        events = con.execute("SELECT login, detail FROM jet WHERE code = 178").fetchall()
    for said in ("Chemise Oxford M, Bleu ciel", "Remise 10 %", "Motif : SOLDES", "Baskets cuir 42, Noir",
                 "Remise 25 %", "Remise ticket (FIDELITE)", "Prix de référence : 89,00 €", "TOTAL TTC"):
        assert said in receipt, f"« {said} » missing from:\n{receipt}"
    assert len(events) == 1 and f"autorisée par {MANAGER.login}" in events[0][1]
    manager = login(store, MANAGER.login, MANAGER.password)
    closed = close_day(store, "C01", manager, especes=read_summary(store, "C01").especes_theorique, force=True)
    with store.connect() as con:
        z = z_report(con, "C01", closed.numero_z)
        assert sum(ttc for _, _, ttc in z.vat) == Decimal("106.66")
        assert [tuple(row) for row in z.vat] == con.execute("SELECT taux_tva, sum(montant_ht), sum(montant_ttc) FROM "
                                                "t_ligne_ticket GROUP BY 1 ORDER BY 1").fetchall()
    lot = run_export(store, settings, "C01", manager).lot
    sent = etree.parse(str(settings.local_drop_dir / "export" / "C01" / lot / "t_ligne_ticket.xml")).getroot()
    assert sorted(el.findtext("taille") for el in sent) == ["42", "M"]
    assert sorted(el.findtext("motif_remise") for el in sent) == ["SOLDES", "SOLDES"]
    assert breaks(store) == []
