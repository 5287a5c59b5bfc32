"""Every page in Chromium, as a manager of a shop whose main server sent names, labels and codes full of
Markdown and HTML (issue 13): no English of Streamlit's or ours, no traceback, no raw None or internal code, no
dot-decimal amount, and none of the imported Markdown or HTML rendered (an image it names would be fetched
from a server of the test: it never is). Screenshots of each page under test-artifacts/e2e/pages/."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from caisse.rules.auth import login
from caisse.rules.closing import close_day, read_summary
from caisse.rules.corrections import cash_move
from caisse.rules.drafts import LineRequest, add_to_draft, start_draft
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest
from caisse.rules.sales import connect_seller
from caisse.services.home import initialise, open_store
from caisse.services.sync import run_import
from pipeline.demo import demo_tables, write_demo_shop
from tests.caisse.helpers import sell
from tests.conftest import MANAGER, SELLER
from tests.e2e.test_journey import ARGS, CHROMIUM, VIEWPORT, serve, wait_healthy
from tests.e2e.test_network import Recorder
from tests.sshd import free_port

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e" / "pages"
ENGLISH = ["Press Enter", "No options", "Choose an option", "No results", "empty", "Error", "Running", "Stop",
           "Rerun", "Settings", "Deploy", "Download", "Search", "Fullscreen", "Show/hide", "Copy", "Ask Google",
           "ChatGPT", "Show password", "Open", "Close", "Sidebar", "Collapse", "Expand", "Link to heading",
           "Increment", "Decrement", "Help for", "Skip to", "Clear", "Select", "Submit", "Loading", "Please",
           "Connecting", "Today", "manual", "Cancel", "Confirm", "preview"]
RAW = ["Traceback", "None", "True", "False", "NaN", "nan", "null", "undefined", "CAISSE_", "BACKOFFICE", "VALIDE",
       "EN_COURS", "FERMETURE_FORCEE", "a_importer", "a_exporter", "echec_export", "ESP", "CHQCAD"]
PAGES = ["", "vente", "retour", "mouvements", "fermeture?caisse=C01", "rapprochement", "ventes", "synchronisation",
         "journal", "reglages"]


def hostile_shop(folder: Path, port: int) -> None:
    """The demo shop, with Markdown, HTML and Streamlit's own syntax in what people read of it."""
    tables = demo_tables()
    here = f"http://127.0.0.1:{port}"
    users, _ = tables["t_utilisateur"]
    users[0] |= {"prenom": "**Claire**", "nom": f"![i]({here}/nom.png)"}
    users[1] |= {"prenom": ":red[Paul]", "nom": f"<img src='{here}/vendeur.png'>"}
    tables["t_caisse"][0][0]["libelle"] = f"[Caisse]({here}/caisse) _principale_"
    methods, _ = tables["tr_moyen_paiement"]
    next(m for m in methods if m["code"] == "CB")["libelle"] = "**Carte** :material/home: <b>bleue</b>"
    articles, _ = tables["t_article"]
    articles[0]["libelle"] = f"Sirop ![a]({here}/a.png) <img src={here}/b.png> `code`"
    write_demo_shop(folder, tables=tables)


@pytest.fixture
def shop(settings):
    recorder = Recorder()
    initialise(settings)
    hostile_shop(settings.local_drop_dir, recorder.server_address[1])
    store = open_store(settings)
    run_import(store, settings, "C01", MANAGER.login, MANAGER.password)
    manager, seller = login(store, MANAGER.login, MANAGER.password), login(store, SELLER.login, SELLER.password)
    open_day(store, "C01", manager, Decimal("150.00"))
    sell(store, seller, articles=(("ART00001", 2), ("ART00002", 1)), pay=[PaymentRequest("CB", Decimal("62.00"))])
    sell(store, seller, articles=(("ART00003", 1),))
    cash_move(store, "C01", manager, "SORTIE", Decimal("5.00"), "+33 6 00 00 00 00 **timbres**")
    expected = read_summary(store, "C01").especes_theorique
    close_day(store, "C01", manager, especes=expected + Decimal("2.50"), accept_difference=True,
              comment='=HYPERLINK("http://ailleurs.example")')
    open_day(store, "C01", manager, Decimal("100.00"))
    sell(store, seller)
    connect_seller(store, "C01", seller)
    draft = start_draft(store, "C01", seller)
    add_to_draft(store, draft, seller, LineRequest("ART00001", Decimal("1")))  # a ticket left waiting
    yield settings, recorder
    recorder.shutdown()


def visible_text(page) -> str:
    """What a person reads: the page's text without the icon font's ligature names, and the texts of the
    attributes shown or spoken (placeholders, tooltips, labels)."""
    return page.evaluate("""() => {
        const clone = document.body.cloneNode(true);
        clone.querySelectorAll('[data-testid=stIconMaterial], .material-symbols-rounded, script, style, noscript')
             .forEach((e) => e.remove());
        const attributes = [...document.querySelectorAll('[placeholder],[title],[aria-label]')]
            .flatMap((e) => ['placeholder', 'title', 'aria-label'].map((a) => e.getAttribute(a) || ''));
        return clone.innerText + '\\n' + attributes.join('\\n');
    }""")


def problems_of(text: str) -> list[str]:
    """Each English word, raw value or dot-decimal amount found, with the words around it."""
    found = []
    for kind, words in (("anglais", ENGLISH), ("brut", RAW)):
        for word in words:
            for match in re.finditer(rf"(?<![\w/]){re.escape(word)}(?![\w])", text):
                found.append(f"{kind} « {word} » dans « {text[max(0, match.start() - 30):match.end() + 30]} »")
    found += [f"montant à point « {m} »" for m in re.findall(r"\d\.\d{2}\s?€", text)]
    return found


def settle(page) -> None:
    page.wait_for_function("() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState "
                           "=== 'notRunning'", timeout=30_000)
    page.wait_for_timeout(700)


def test_every_page_is_french_plain_and_renders_nothing_it_imported(shop):
    settings, recorder = shop
    port = free_port()
    proc = serve(settings, port)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc)
    SHOTS.mkdir(parents=True, exist_ok=True)
    report: dict[str, list[str]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            expect(page.get_by_role("heading", name="Ouverture de la caisse")).to_be_visible(timeout=30_000)
            settle(page)
            report["ouverture (anonyme)"] = problems_of(visible_text(page))
            page.get_by_label("Vendeur", exact=True).click()
            page.get_by_role("option", name=MANAGER.login, exact=True).click()
            page.get_by_label("Mot de passe", exact=True).fill(MANAGER.password)
            page.get_by_role("button", name="Connecter", exact=True).click()
            expect(page.get_by_role("textbox", name="Article (code, EAN ou libellé)")).to_be_visible(timeout=30_000)
            for path in PAGES:
                page.goto(f"{url}/{path}")
                settle(page)
                if path == "vente":
                    page.get_by_role("button", name="Reprise").click()  # the parked ticket, named by its seller
                    settle(page)
                if path == "rapprochement":
                    page.get_by_label("Journée", exact=True).click()  # the closed day, after the open one
                    page.keyboard.press("ArrowDown")
                    page.keyboard.press("Enter")
                    expect(page.get_by_role("button", name="Réimprimer le Z n°1 (DUPLICATA)")).to_be_visible()
                    settle(page)
                name = path.split("?")[0] or "ouverture"
                page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
                report[name] = problems_of(visible_text(page))
                rendered = page.locator(f"img[src*='127.0.0.1:{recorder.server_address[1]}'], "
                                        f"a[href*='127.0.0.1:{recorder.server_address[1]}'], strong:text('Claire'), "
                                        "b:text('bleue'), strong:text('Carte')")
                assert rendered.count() == 0, (name, rendered.first.evaluate("e => e.parentElement.outerHTML"))
            sidebar = page.get_by_test_id("stSidebar").inner_text()
            assert "**Claire** ![i](" in sidebar  # the imported name shown as it was typed
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert {name: found for name, found in report.items() if found} == {}
    assert recorder.seen == []  # no image or link of the imported text was ever fetched
    outside = [u for u in requests if not u.startswith((url, url.replace("http", "ws"), "data:", "blob:"))]
    assert outside == []
