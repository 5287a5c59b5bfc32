"""What the pages ask of the browser itself, through one Streamlit component (st.components.v2, trusted code
of ours, no iframe): the scanner field of the sale screen and its keyboard, and the session cookie.

The scanner field is the component's own `<input>`: a scan (a code and Enter) is cleared at once and queued
in the browser, then sent to the server one command at a time, each with a number the server echoes back,
so that fast scans are never lost nor counted twice, and the field keeps the focus. Arrow keys move through
the articles found for a label, Enter picks one; F-keys run the screen's shortcuts.

Every text shown by this component is set with `textContent`: nothing from the store is ever rendered as
HTML (issue 13).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

COOKIE = "caisse_session"

_ASSETS = Path(__file__).parent / "assets"
_JS = (_ASSETS / "browser.js").read_text(encoding="utf-8")
_CSS = (_ASSETS / "browser.css").read_text(encoding="utf-8")
_COMPONENT = st.components.v2.component("caisse.navigateur", js=_JS, css=_CSS)
_FRENCH = st.components.v2.component("caisse.francais", js=(_ASSETS / "francais.js").read_text(encoding="utf-8"))
APP_CSS = (_ASSETS / "app.css").read_text(encoding="utf-8")


def french() -> None:
    """Streamlit's own texts in French on every page (assets/francais.js), and its chrome kept quiet
    (assets/app.css). Called by app.py at every run."""
    st.html(f"<style>{APP_CSS}</style>")
    with st.sidebar:
        _FRENCH(key="francais")


def scanner(key: str, *, ack: int, message: str = "", error: bool = False, results=(), shortcuts=None,
            placeholder: str = "", label: str = "", on_command=None, grid: dict | None = None):
    """The scanner field of the sale screen; `on_command` runs for each command (its value in
    st.session_state[key].command: {"seq", "kind", ...}). `grid`: a model's sizes and colours to pick from
    ({"title", "sizes", "colours", "cells": rows of {"code", "price"} or None, "command": the pick's command})."""
    return _COMPONENT(key=key, data={"scanner": True, "ack": ack, "message": message, "error": error,
                                     "results": [{"code": c, "label": lab, "price": p} for c, lab, p in results],
                                     "grid": grid,
                                     "shortcuts": shortcuts or {}, "placeholder": placeholder, "label": label},
                      on_command_change=on_command or (lambda: None))


def set_cookie(value: str | None, max_age: int, go: str) -> None:
    """Give the browser the session's token (None: take it back), then load `go` so the server sees it."""
    # A new token mounts the component anew. Its key never holds the token itself: a component's key must not
    # contain "__" (Streamlit refuses it), which one token in about sixty did, and the page needs no secret.
    mark = hashlib.sha256(value.encode()).hexdigest()[:16] if value else "fin"
    _COMPONENT(key=f"cookie-{mark}",
               data={"cookie": {"name": COOKIE, "value": value or "", "max_age": max_age, "go": go}})
