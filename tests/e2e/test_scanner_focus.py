"""A scan that starts while the focus is on a button (a cash amount touched, a button reached with Tab): the
scanner types fast and does not look at the screen. Its characters went to the button and were lost (a
fresh-clone run of the journey saw "« ZZ999 »" for ZZZ999), and its Enter pressed the button. They go to the
scanner field now."""

from __future__ import annotations

import os

from playwright.sync_api import expect, sync_playwright

from tests.conftest import MANAGER
from tests.e2e.test_journey import launch, seller_at_counter
from tests.e2e.test_journey import server as server  # the fixture
from tests.e2e.test_shared_store import cli


def test_a_scan_right_after_touching_a_cash_button_loses_no_character(server):
    url, settings = server
    env = {**os.environ, "CAISSE_HOME": str(settings.home), "CAISSE_PASSWORD": MANAGER.password}
    for args in (("import", "--caisse", "C01", "--user", MANAGER.login),
                 ("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "150,00")):
        done = cli(env, *args)
        assert done.returncode == 0, done.stderr
    with sync_playwright() as p:
        browser, page, _ = launch(p)
        scan = seller_at_counter(page, url)
        page.keyboard.type("ART00003\n", delay=5)
        expect(page.get_by_role("cell").first).to_be_visible(timeout=15_000)
        cash = page.get_by_role("button", name="20 €", exact=True)
        cash.focus()  # reached with Tab, or just touched: the focus is on the 20 € button
        page.keyboard.type("ART00001\n", delay=5)  # the next article, scanned at once
        expect(page.get_by_role("cell", name="1 × 10,70 €", exact=True)).to_be_visible(timeout=15_000)
        expect(scan).to_be_focused()
        expect(page.get_by_text("À rendre")).to_have_count(0)  # its Enter did not press 20 €
        expect(page.get_by_text("Espèces 20,00 €")).to_have_count(0)
        browser.close()
