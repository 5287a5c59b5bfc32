"""Small steps of a register day, for the tests (they call the public domain API, nothing private)."""

from __future__ import annotations

from decimal import Decimal

from caisse.rules.auth import login
from caisse.rules.closing import close_day, read_summary
from caisse.rules.lifecycle import register_states
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest
from caisse.rules.returns import return_goods
from caisse.rules.sales import LineRequest, connect_seller, disconnect_seller, ring_ticket
from caisse.services.export import run_export
from caisse.services.home import open_store
from caisse.services.sync import run_import
from caisse.services.workflow import print_receipt
from pipeline.demo import write_demo_shop
from tests.conftest import MANAGER, SELLER

D = Decimal


def users(store):
    return login(store, MANAGER.login, MANAGER.password), login(store, SELLER.login, SELLER.password)


def states(store) -> dict[str, str]:
    with store.connect() as con:
        return {s.code: s.etat for s in register_states(con)}


def sell(store, seller, caisse="C01", articles=(("ART00001", 1),), pay=None):
    """Connect, ring one ticket (paid in cash with change by default), disconnect."""
    connection = connect_seller(store, caisse, seller)
    try:
        lines = [LineRequest(code, D(str(q))) for code, q in articles]
        return ring_ticket(store, caisse, seller, lines, pay or [PaymentRequest("ESP", D("100.00"))])
    finally:
        disconnect_seller(store, connection)


def close_exact(store, manager, caisse="C01", **options):
    """Close with exactly the expected cash, typed as a total."""
    return close_day(store, caisse, manager, especes=read_summary(store, caisse).especes_theorique, **options)


def redeliver_and_import(settings, caisse="C01"):
    """The main server sends a new lot of the demo shop (a lot is applied once), imported."""
    write_demo_shop(settings.local_drop_dir, lot=new_lot())
    run_import(open_store(settings), settings, caisse, MANAGER.login, MANAGER.password)


_LOTS = iter(range(2, 1_000_000))


def new_lot() -> str:
    """A demo lot's name not used before in this test run."""
    return f"GESPX-DEMO-{next(_LOTS):04d}"


def full_day(settings, store, manager, seller, caisse="C01", tickets=2):
    open_day(store, caisse, manager, D("150.00"))
    for _ in range(tickets):
        sell(store, seller, caisse)
    return close_exact(store, manager, caisse)


def export(settings, store, manager, caisse="C01"):
    return run_export(store, settings, caisse, manager)


def breaks(store) -> list[str]:
    """What verify says of the store's chains and their head files (no other witness), in sentences."""
    from caisse.fiscal.keys import load_keys
    from caisse.fiscal.verify import verify_chains
    with store.connect() as con:
        return [str(b) for b in verify_chains(con, load_keys(store.key_path), store.key_path)]


def rows(store, sql, params=()):
    with store.connect() as con:
        return con.execute(sql, list(params)).fetchall()


def tamper(store, sql, params=()):
    with store.transaction() as con:
        con.execute(sql, list(params))


def receipt(store, settings, ticket, user):
    print_receipt(store, settings, ticket, user)
    return ticket


def returned(store, user, **options):
    """A return rung by a connected seller (connected for it, as `caisse return` does)."""
    connection = connect_seller(store, "C01", user)
    try:
        return return_goods(store, "C01", user, **options)
    finally:
        disconnect_seller(store, connection)
