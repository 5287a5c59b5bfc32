"""The counter (issue 12): scanner-first commands, the ticket kept server-side with its payments, payments as a
seller expects them, the drawer, plausible limits, and the sessions that find the seller again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from caisse.common.config import load_settings
from caisse.common.errors import LoginFailed
from caisse.rules.sales import connect_seller
from caisse.rules.sessions import SessionExpired, close_session, open_session, resume, unlock
from caisse.services.till import counter, drawer, run
from pipeline.passwords import make_hash
from tests.caisse.helpers import D, close_exact, users
from tests.printer import FakePrinter

IDLE = timedelta(minutes=15)


@pytest.fixture
def till(opened):
    """A seller connected to C01 through a session, as the Connecter button makes it."""
    manager, seller = users(opened)
    token = open_session(opened, seller, "C01", connect_seller(opened, "C01", seller))
    return opened, token, manager


def do(store, token, **command):
    return run(store, load_settings(), resume(store, token, IDLE), command)


def lines(store, token):
    return [(code, q) for _, code, _, q, *_ in counter(store, resume(store, token, IDLE)).ticket.lines]


def test_a_scanned_code_or_ean_adds_the_line_at_once_and_again_adds_to_its_quantity(till):
    store, token, _ = till
    assert do(store, token, kind="scan", text="ART00001").ok
    assert do(store, token, kind="scan", text="3760000000017").ok  # the same article by its EAN
    assert do(store, token, kind="scan", text="3*ART00002").ok
    assert do(store, token, kind="scan", text=" 2x ART00002 ").ok
    assert lines(store, token) == [("ART00001", D("2.000")), ("ART00002", D("5.000"))]


def test_separate_lines_when_the_setting_asks(till, monkeypatch):
    store, token, _ = till
    store.limits = load_settings().limits.__class__(merge_lines=False)
    do(store, token, kind="scan", text="ART00001")
    do(store, token, kind="scan", text="ART00001")
    assert lines(store, token) == [("ART00001", D("1.000")), ("ART00001", D("1.000"))]


def test_a_label_searches_and_returns_articles_to_pick_from(till):
    store, token, _ = till
    found = do(store, token, kind="scan", text="crème")
    assert found.ok and 1 < len(found.results) <= 8 and "choisissez avec les flèches puis Entrée" in found.message
    code = found.results[1][0]
    assert do(store, token, kind="pick", code=code).ok
    assert lines(store, token) == [(code, D("1.000"))]


def test_an_unknown_code_is_a_sentence_and_nothing_else_changes(till):
    store, token, _ = till
    do(store, token, kind="scan", text="ART00001")
    refused = do(store, token, kind="scan", text="ART00001376000000002")  # two scans glued together
    assert not refused.ok and "« ART00001376000000002 » : aucun article" in refused.message
    assert lines(store, token) == [("ART00001", D("1.000"))]


@pytest.mark.parametrize("text,words", [("99999999*ART00001", "dépasse 999"), ("1e3*ART00001", "aucun article"),
                                        ("0*ART00001", "doit être positive")])
def test_implausible_quantities_are_refused(till, text, words):
    store, token, _ = till
    refused = do(store, token, kind="scan", text=text)
    assert not refused.ok and words in refused.message


def test_payments_are_checked_when_added_and_the_change_is_known_before_validating(till):
    store, token, _ = till
    do(store, token, kind="scan", text="ART00001")  # 10,70
    for amount, words in (("99999999999", "plus de 10 fois le total ou plus de 2 000,00 €"),
                          ("1e6", "n'est pas un montant"), ("0", "doit être positif"), ("-5", "négatif")):
        refused = do(store, token, kind="pay", code="ESP", amount=amount)
        assert not refused.ok and words in refused.message, (amount, refused.message)
    refused = do(store, token, kind="pay", code="AVOIR", amount="5")
    assert not refused.ok and "demande son numéro" in refused.message
    assert do(store, token, kind="pay", code="CB", amount="5").ok
    assert do(store, token, kind="pay", code="ESP", amount="20").ok
    state = counter(store, resume(store, token, IDLE))
    assert (state.total, state.paid, state.remaining, state.change) == (D("10.70"), D("25.00"), D("0"), D("14.30"))
    card = next(p for p in state.ticket.payments if p[0] == "CB")
    assert do(store, token, kind="remove_payment", num=card[4]).ok  # one payment removed alone
    assert counter(store, resume(store, token, IDLE)).change == D("9.30")


def test_quick_cash_gives_the_exact_amount_then_the_next_notes(till):
    store, token, _ = till
    do(store, token, kind="scan", text="ART00001")
    assert counter(store, resume(store, token, IDLE)).quick_cash == [D("10.70"), D("20"), D("50"), D("100")]


def test_a_cash_sale_of_one_article_in_three_actions_with_its_confirmation_kept(till, monkeypatch):
    store, token, _ = till
    printer = FakePrinter()
    monkeypatch.setenv("CAISSE_PRINTER", printer.url)
    do(store, token, kind="scan", text="ART00001")  # 1: scan
    do(store, token, kind="pay", code="ESP", amount="20")  # 2: a note
    done = do(store, token, kind="validate")  # 3: validate
    assert done.ok and done.message == "Ticket n°1 validé : 10,70 € · à rendre 9,30 €."
    assert printer.wait()[0] == b"\x1bp\x0022"  # the drawer kick (receipts are not printed by default)
    again = do(store, token, kind="validate")  # a second click: nothing more recorded, the same confirmation
    assert again.ok and again.message == done.message
    state = counter(store, resume(store, token, IDLE))
    assert state.ticket is None and state.confirmation.numero == 1
    do(store, token, kind="scan", text="ART00002")  # the next scan: the confirmation goes
    assert counter(store, resume(store, token, IDLE)).confirmation is None
    printer.close()


def test_a_dead_drawer_is_a_warning_never_a_lost_sale(till, monkeypatch):
    store, token, _ = till
    monkeypatch.setenv("CAISSE_PRINTER", "network://127.0.0.1:9")
    do(store, token, kind="scan", text="ART00001")
    do(store, token, kind="pay", code="ESP", amount="10.70")
    done = do(store, token, kind="validate")
    assert done.ok and "le tiroir ne s'est pas ouvert" in done.warnings[-1]
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM t_ticket").fetchall() == [(1,)]


def test_the_drawer_outside_a_sale_needs_its_right_a_reason_and_is_an_event(till):
    store, token, manager = till
    seller_session = resume(store, token, IDLE)
    refused = run(store, load_settings(), seller_session, {"kind": "nothing"})
    assert not refused.ok
    with pytest.raises(Exception, match="le droit d'ouvrir le tiroir hors vente"):
        drawer(store, load_settings(), seller_session, "monnaie")
    manager_session = resume(store, open_session(store, manager, "C01"), IDLE)
    assert drawer(store, load_settings(), manager_session, "Échange de monnaie").ok
    with store.connect() as con:
        assert con.execute("SELECT detail FROM jet WHERE code = 170").fetchall() == [("Échange de monnaie",)]


def test_a_parked_ticket_is_named_by_its_seller_time_first_article_and_total(till):
    store, token, _ = till
    from caisse.api import describe_draft
    from caisse.rules.sales import read_parked
    do(store, token, kind="scan", text="ART00001")
    do(store, token, kind="scan", text="ART00002")
    assert do(store, token, kind="park").ok and counter(store, resume(store, token, IDLE)).ticket is None
    (parked,) = read_parked(store, "C01")
    assert describe_draft(parked).startswith("Paul Durand depuis ") and describe_draft(parked).endswith(
        " et autres, 51,30 €")
    assert do(store, token, kind="resume", id=parked.id_ticket).ok
    assert lines(store, token) == [("ART00001", D("1.000")), ("ART00002", D("1.000"))]


# Sessions.

def test_a_refresh_finds_the_seller_on_the_same_ticket_with_its_payments(till):
    store, token, _ = till
    do(store, token, kind="scan", text="ART00001")
    do(store, token, kind="pay", code="CB", amount="5")
    store.release()
    again = resume(store, token, IDLE)  # the browser comes back with its cookie
    state = counter(store, again)
    assert again.user.login == "vendeur1" and state.paid == D("5.00") and state.total == D("10.70")


def test_the_token_is_never_stored_in_clear(till):
    store, token, _ = till
    with store.connect() as con:
        stored = [row[0] for row in con.execute("SELECT jeton FROM session_caisse").fetchall()]
        assert token not in stored and len(stored[0]) == 64
        assert not con.execute("SELECT count(*) FROM jet WHERE detail LIKE ?", [f"%{token}%"]).fetchall()[0][0]


def test_an_idle_session_asks_for_the_password_or_the_pin_and_brings_back_the_ticket(till):
    store, token, _ = till
    do(store, token, kind="scan", text="ART00001")
    later = datetime.now() + timedelta(minutes=20)
    with pytest.raises(SessionExpired, match="en pause après 15 minutes sans activité"):
        resume(store, token, IDLE, now=later)
    with pytest.raises(LoginFailed):
        unlock(store, token, "faux", now=later)
    with store.transaction() as con:  # the main server sends a PIN for this seller
        con.execute("UPDATE t_utilisateur SET pin = ? WHERE login = 'vendeur1'", [make_hash("4321", "sel")])
    session = unlock(store, token, "4321", now=later)
    assert counter(store, session).total == D("10.70")


def test_a_session_ends_at_sign_out_and_at_the_closing(till):
    store, token, manager = till
    close_session(store, token)
    assert resume(store, token, IDLE) is None
    _, seller = users(store)
    token = open_session(store, seller, "C01", connect_seller(store, "C01", seller))
    close_exact(store, manager, force=True)
    assert resume(store, token, IDLE) is None


def test_a_float_beyond_the_limit_is_refused_and_the_limits_are_settings(store, manager, monkeypatch):
    from caisse.common.errors import ConfigError, OpenNotAllowed
    from caisse.rules.opening import open_day
    from caisse.services.home import open_store
    with pytest.raises(OpenNotAllowed, match="un fond de caisse de 5 000,01 € dépasse 5 000,00 €"):
        open_day(store, "C01", manager, D("5000.01"))
    monkeypatch.setenv("CAISSE_MAX_FLOAT", "300")
    monkeypatch.setenv("CAISSE_LARGEST_NOTE", "50")
    settings = load_settings()
    assert (settings.limits.max_float, settings.limits.largest_note) == (D("300"), D("50"))
    with pytest.raises(OpenNotAllowed, match="dépasse 300,00 €"):
        open_day(open_store(settings), "C01", manager, D("300.01"))
    for name, value in (("CAISSE_MAX_CASH", "1e6"), ("CAISSE_IDLE_MINUTES", "0"), ("CAISSE_MAX_QUANTITY", "-1")):
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigError):
            load_settings()
        monkeypatch.delenv(name)
