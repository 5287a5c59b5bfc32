"""The register server's domain: store, rights, lifecycle, sync, sales, closing, printing, the fiscal core.
Never imports streamlit. The pages and the CLI use these names."""

from .auth import RIGHT_WORDS, User, login, require, rights_of
from .backoffice import audit_log, day_tickets, read_parameters, reconciliation, test_drop
from .closing import read_summary
from .config import Settings, load_settings
from .corrections import cash_move, void_ticket
from .drafts import LineRequest, add_payment, add_to_draft, cancel_draft, remove_line, remove_payment, set_quantity
from .drafts import start_draft as start_ticket
from .errors import CaisseError, TicketsEnCours, UsersConnected, describe_draft as _describe
from .export import run_export
from .fiscal.jet import CODES as EVENT_CODES
from .history import last_runs, read_history, run_log
from .history import outcome as sync_outcome
from .home import initialise, open_store
from .lifecycle import (STATE_WORDS, Actions, Overview, RegisterState, allowed_actions, import_blocker,
                        read_overview, register_states)
from .money import eur, parse_amount, parse_quantity, qty
from .opening import open_day, open_day_auto
from .payments import PaymentRequest
from .printing import check_page, print_document
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
from .verification import run_verify
from .workflow import (finish_day, print_credit_note, print_pending, print_receipt, receipt_document, z_document)
from .workflow import start as start_app

__all__ = [
    "User", "login", "require", "rights_of", "audit_log", "day_tickets", "read_parameters", "reconciliation",
    "test_drop", "read_summary", "Settings", "load_settings", "cash_move", "void_ticket", "LineRequest",
    "add_payment", "add_to_draft", "cancel_draft", "remove_line", "remove_payment", "set_quantity", "start_ticket",
    "CaisseError", "EVENT_CODES", "TicketsEnCours", "UsersConnected", "run_export", "last_runs", "read_history",
    "run_log",
    "initialise", "open_store", "STATE_WORDS", "Actions", "Overview", "RegisterState", "allowed_actions",
    "import_blocker", "read_overview", "register_states", "eur", "qty", "parse_amount", "parse_quantity", "open_day",
    "open_day_auto", "PaymentRequest", "check_page", "print_document", "REFUNDS", "read_returnable", "return_goods",
    "connect_seller", "disconnect_seller", "find_articles", "pay_ticket", "read_methods", "read_parked",
    "read_ticket", "TYPE_WORDS", "ImportResult", "run_import", "run_verify", "finish_day", "print_credit_note",
    "print_pending",
    "print_receipt", "receipt_document", "z_document", "start_app", "Session", "SessionExpired", "close_session",
    "open_session", "resume_session", "unlock_session", "RIGHT_WORDS", "TillOutcome", "till_confirmation",
    "till_counter", "till_drawer", "till_methods", "till_run", "describe_draft", "sync_outcome",
]


def describe_draft(ticket) -> str:
    """A parked ticket as people know it: its seller, since when, its first article and its total."""
    return _describe(ticket, eur)
