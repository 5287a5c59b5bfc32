"""What every page shares: the settings and the store (cached as a path, never as a connection)."""

from __future__ import annotations

import streamlit as st

import caisse


@st.cache_resource
def context() -> tuple[caisse.Settings, object]:
    settings = caisse.load_settings()
    return settings, caisse.open_store(settings)


def sync_window(title: str):
    """The seed's synchronisation window: a status box whose log grows line by line."""
    box = st.status(title, expanded=True)
    return box, (lambda line: box.text(line))
