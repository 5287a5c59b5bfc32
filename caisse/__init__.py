"""The register server's domain: store, rights, lifecycle, sync, sales, closing, printing, the fiscal core.
Never imports streamlit. The pages and the CLI use these names."""

from .auth import RIGHT_WORDS, User, from_source, held_sources, login, release_source, require, rights_of
from .backoffice import (audit_log, day_moves, day_tickets, open_days, periods_of, read_parameters, reconciliation,
                         reconciliation_csv, reconciliation_rows, shop_parameters, test_drop)
from .csvfile import french_csv
from .dates import day_text, moment_text, parse_day
from .closing import read_summary
from .config import Settings, load_settings
from .corrections import MOVE_TYPES, cash_move, void_ticket
from .drafts import LineRequest, add_payment, add_to_draft, cancel_draft, remove_line, remove_payment, set_quantity
from .drafts import start_draft as start_ticket
from .errors import CaisseError, LoginFailed, TicketsEnCours, UsersConnected, describe_draft as _describe
from .export import run_export
from .fiscal.jet import CODES as EVENT_CODES
from .history import last_runs, read_history, run_log
from .history import outcome as sync_outcome
from .home import initialise, open_store
from .lifecycle import (STATE_WORDS, Actions, Overview, RegisterState, allowed_actions, import_blocker,
                        read_overview, register_states, register_states_of)
from .money import eur, parse_amount, parse_count, parse_quantity, qty
from .opening import open_day, open_day_auto
from .payments import PaymentRequest
from .printing import check_page, print_document, printer_words
from .returns import REFUNDS, read_returnable, return_goods
from .sales import connect_seller, disconnect_seller, find_articles, pay_ticket, read_methods, read_parked, read_ticket
from .sessions import Session, SessionExpired, close_session, open_session
from .sessions import resume as resume_session
from .sessions import unlock as unlock_session
from .sync import ImportResult, run_import
from .tickets import TYPE_WORDS
from .till import Outcome as TillOutcome
from .till import confirmation_text as till_confirmation
from .till import counter as till_counter
from .till import drawer as till_drawer
from .till import methods as till_methods
from .till import run as till_run
from .training import in_training, trained, training_settings
from .training import switch as training_switch
from .verification import run_verify
from .workflow import (finish_day, print_credit_note, print_pending, print_receipt, print_test_page, print_x, print_z,
                       receipt_document, reprint_receipt, x_document, z_document)
from .workflow import start as start_app

__all__ = [
    "Actions", "add_payment", "add_to_draft", "allowed_actions", "audit_log", "CaisseError", "cancel_draft",
    "cash_move", "check_page", "close_session", "connect_seller", "day_moves", "day_text", "day_tickets",
    "describe_draft", "disconnect_seller", "eur", "EVENT_CODES", "find_articles", "finish_day", "french_csv",
    "from_source", "held_sources", "import_blocker", "ImportResult", "initialise", "last_runs", "LineRequest",
    "load_settings", "login", "LoginFailed", "moment_text", "MOVE_TYPES", "open_day", "open_day_auto", "open_days",
    "open_session", "open_store", "Overview", "parse_amount", "parse_count", "parse_day", "parse_quantity",
    "pay_ticket", "PaymentRequest", "print_credit_note", "print_document", "printer_words", "print_pending",
    "print_receipt", "print_test_page", "print_x", "print_z", "qty", "read_history", "read_methods", "read_overview",
    "read_parameters", "read_parked", "read_returnable", "read_summary", "read_ticket", "receipt_document",
    "reconciliation", "reconciliation_csv", "reconciliation_rows", "REFUNDS", "register_states", "RegisterState",
    "release_source", "remove_line", "remove_payment", "reprint_receipt", "require", "resume_session",
    "return_goods", "RIGHT_WORDS", "rights_of", "run_export", "run_import", "run_log", "run_verify", "Session",
    "SessionExpired", "set_quantity", "Settings", "shop_parameters", "start_app", "start_ticket", "STATE_WORDS",
    "sync_outcome", "test_drop", "TicketsEnCours", "till_confirmation", "till_counter", "till_drawer",
    "till_methods", "till_run", "TillOutcome", "TYPE_WORDS", "unlock_session", "User", "UsersConnected",
    "void_ticket", "x_document", "z_document", "in_training", "trained", "training_settings", "training_switch",
    "periods_of", "register_states_of",
]


def describe_draft(ticket) -> str:
    """A parked ticket as people know it: its seller, since when, its first article and its total."""
    return _describe(ticket, eur)
