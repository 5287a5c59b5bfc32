"""What every page shares: the settings and the store (cached as a path, never as a connection)."""

from __future__ import annotations

import streamlit as st

import caisse


@st.cache_resource
def context() -> tuple[caisse.Settings, object]:
    settings = caisse.load_settings()
    return settings, caisse.open_store(settings)


class SyncWindow:
    """The seed's synchronisation window: a status box whose log grows line by line as it is called."""

    def __init__(self, title: str):
        self.box = st.status(title, expanded=True)
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        self.box.text(line)


def flash(kind: str, message: str, log: list[str] | None = None) -> None:
    """Keep a message (and the log it came with) for the page's next run, then rerun it."""
    st.session_state["flash"] = (kind, message, log or [])
    st.rerun()


def show_flash() -> None:
    if "flash" not in st.session_state:
        return
    kind, message, log = st.session_state.pop("flash")
    getattr(st, kind)(message)
    if log:
        with st.expander("Journal de la synchronisation"):
            st.code("\n".join(log), language=None, wrap_lines=True)
