"""The register server's domain: store, rights, lifecycle, sync, sales, closing, printing, journal.
Never imports streamlit. The pages and the CLI use these names."""

from .auth import User, login, require, rights_of
from .backoffice import audit_log, day_tickets, read_parameters, reconciliation, test_drop, verify_store
from .closing import read_summary
from .config import Settings, load_settings
from .errors import CaisseError, TicketsEnCours, UsersConnected
from .export import run_export
from .history import last_runs, read_history, run_log
from .home import initialise, open_store
from .lifecycle import (STATE_WORDS, Actions, Overview, RegisterState, allowed_actions, import_blocker,
                        read_overview, register_states)
from .money import eur, parse_amount, parse_quantity
from .opening import open_day, open_day_auto
from .payments import PaymentRequest
from .printing import check_page, print_document
from .corrections import cancel_parked_ticket
from .sales import (LineRequest, add_line, connect_seller, disconnect_seller, find_articles, pay_ticket, read_methods,
                    read_parked, read_ticket, remove_line, start_ticket)
from .sync import ImportResult, run_import
from .workflow import finish_day, print_receipt, receipt_document, z_document

__all__ = [
    "User", "login", "require", "rights_of", "audit_log", "day_tickets", "read_parameters", "reconciliation",
    "test_drop", "verify_store", "read_summary", "Settings", "load_settings", "CaisseError", "TicketsEnCours",
    "UsersConnected", "run_export", "last_runs", "read_history", "run_log", "initialise", "open_store",
    "STATE_WORDS", "Actions", "Overview", "RegisterState", "allowed_actions", "import_blocker", "read_overview",
    "register_states", "eur", "parse_amount", "parse_quantity", "open_day", "open_day_auto", "PaymentRequest",
    "check_page", "print_document", "LineRequest", "add_line", "cancel_parked_ticket", "connect_seller",
    "disconnect_seller", "find_articles", "pay_ticket", "read_methods", "read_parked", "read_ticket", "remove_line",
    "start_ticket", "ImportResult", "run_import", "finish_day", "print_receipt", "receipt_document", "z_document",
]
