"""The pages' face: every name a screen uses, imported statically from the service or rule that owns it, so that
a reader follows `api.till_run` to `caisse.services.till.run` and a type checker sees its signature. Never
imports streamlit; the CLI does not use it (each command imports what it runs, to start fast)."""

from __future__ import annotations

from caisse.common.config import Settings, load_settings
from caisse.common.csvfile import french_csv
from caisse.common.dates import day_text, moment_text, parse_day
from caisse.common.errors import CaisseError, LoginFailed, TicketsEnCours, UsersConnected
from caisse.common.errors import describe_draft as describe
from caisse.common.money import eur, parse_amount, parse_count, parse_quantity, plural, qty
from caisse.common.words import TEXT_LIMIT
from caisse.fiscal.jet import CODES as EVENT_CODES
from caisse.paper.printing import check_page, print_document, printer_words
from caisse.paper.reports import DISCOUNT_TITLES
from caisse.rules.auth import RIGHT_WORDS, User, from_source, held_sources, login, release_source, require, rights_of
from caisse.rules.closing import keep_count, kept_count, read_summary
from caisse.rules.corrections import MOVE_TYPES, cash_move, void_ticket
from caisse.rules.drafts import (
    LineRequest,
    add_payment,
    add_to_draft,
    cancel_draft,
    remove_line,
    remove_payment,
    set_quantity,
)
from caisse.rules.drafts import start_draft as start_ticket
from caisse.rules.history import last_runs, read_history, run_log
from caisse.rules.history import outcome as sync_outcome
from caisse.rules.lifecycle import (
    STATE_WORDS,
    Actions,
    Overview,
    RegisterState,
    allowed_actions,
    import_blocker,
    in_training,
    read_overview,
    register_states,
    register_states_of,
    trained,
)
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest
from caisse.rules.returns import REFUNDS, read_returnable, return_goods
from caisse.rules.sales import (
    connect_seller,
    disconnect_seller,
    find_articles,
    pay_ticket,
    read_methods,
    read_parked,
    read_ticket,
)
from caisse.rules.sessions import Session, SessionExpired, close_session, open_session
from caisse.rules.sessions import resume as resume_session
from caisse.rules.sessions import unlock as unlock_session
from caisse.rules.tickets import TYPE_WORDS
from caisse.services.after_sale import return_and_print, void_and_print
from caisse.services.backoffice import (
    audit_log,
    day_moves,
    day_tickets,
    labels,
    labels_csv,
    open_days,
    periods_of,
    read_parameters,
    reconciliation,
    reconciliation_csv,
    reconciliation_rows,
    sales_csv,
    sales_report,
    shop_parameters,
    test_drop,
)
from caisse.services.export import run_export
from caisse.services.home import initialise, open_store
from caisse.services.open_register import open_day_auto, open_register
from caisse.services.sync import ImportResult, price_words, run_import
from caisse.services.till import Outcome as TillOutcome
from caisse.services.till import confirmation_text as till_confirmation
from caisse.services.till import counter as till_counter
from caisse.services.till import discount_reasons as till_discount_reasons
from caisse.services.till import drawer as till_drawer
from caisse.services.till import methods as till_methods
from caisse.services.till import run as till_run
from caisse.services.till import sellers as till_sellers
from caisse.services.training import session_home, training_settings
from caisse.services.training import switch as training_switch
from caisse.services.verification import run_verify
from caisse.services.workflow import (
    consult_z,
    finish_day,
    print_credit_note,
    print_move,
    print_note,
    print_pending,
    print_receipt,
    print_test_page,
    print_x,
    print_z,
    receipt_document,
    record_cash_move,
    reprint_receipt,
    x_document,
    z_document,
)
from caisse.services.workflow import start as start_app


def describe_draft(ticket) -> str:
    """A parked ticket as people know it: its seller, since when, its first article and its total."""
    return describe(ticket, eur)
