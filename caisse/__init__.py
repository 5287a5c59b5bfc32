"""The register server's domain: store, rights, lifecycle, sync, sales, closing, printing, the fiscal core.
Never imports streamlit. The pages and the CLI use these names.

Each name is imported from its module at first use (PEP 562): `caisse status`, run every second by a shop's
scripts, starts with the store and the lifecycle only, not with the import pipeline, the printer or Arrow."""

from __future__ import annotations

import importlib

_NAMES = {  # module: the names it gives the package, "public=own" where the package renames one
    "auth": "RIGHT_WORDS User from_source held_sources login release_source require rights_of",
    "backoffice": "audit_log day_moves day_tickets open_days periods_of read_parameters reconciliation "
                  "reconciliation_csv reconciliation_rows shop_parameters test_drop",
    "csvfile": "french_csv",
    "dates": "day_text moment_text parse_day",
    "closing": "keep_count kept_count read_summary",
    "config": "Settings load_settings",
    "corrections": "MOVE_TYPES cash_move void_ticket",
    "drafts": "LineRequest add_payment add_to_draft cancel_draft remove_line remove_payment set_quantity "
              "start_ticket=start_draft",
    "errors": "CaisseError LoginFailed TicketsEnCours UsersConnected",
    "export": "run_export",
    "fiscal.jet": "EVENT_CODES=CODES",
    "history": "last_runs read_history run_log sync_outcome=outcome",
    "home": "initialise open_store",
    "lifecycle": "STATE_WORDS Actions Overview RegisterState allowed_actions import_blocker read_overview "
                 "register_states register_states_of",
    "money": "eur parse_amount parse_count parse_quantity plural qty",
    "opening": "open_day open_day_auto",
    "payments": "PaymentRequest",
    "printing": "check_page print_document printer_words",
    "returns": "REFUNDS read_returnable return_goods",
    "sales": "connect_seller disconnect_seller find_articles pay_ticket read_methods read_parked read_ticket",
    "sessions": "Session SessionExpired close_session open_session resume_session=resume unlock_session=unlock",
    "sync": "ImportResult run_import",
    "tickets": "TYPE_WORDS",
    "till": "TillOutcome=Outcome till_confirmation=confirmation_text till_counter=counter till_drawer=drawer "
            "till_methods=methods till_run=run",
    "training": "in_training session_home trained training_settings training_switch=switch",
    "verification": "run_verify",
    "words": "TEXT_LIMIT",
    "workflow": "consult_z finish_day print_credit_note print_move print_note print_pending print_receipt "
                "record_cash_move print_test_page "
                "print_x print_z receipt_document reprint_receipt x_document z_document start_app=start",
}
_WHERE = {public: (module, own) for module, names in _NAMES.items()
          for public, _, own in (name.partition("=") for name in names.split())}
_WHERE = {public: (module, own or public) for public, (module, own) in _WHERE.items()}

__all__ = sorted([*_WHERE, "describe_draft"])


def __getattr__(name: str):
    try:
        module, own = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'caisse' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), own)
    globals()[name] = value  # the next use is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def describe_draft(ticket) -> str:
    """A parked ticket as people know it: its seller, since when, its first article and its total."""
    from .errors import describe_draft as describe
    from .money import eur
    return describe(ticket, eur)
