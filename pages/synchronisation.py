"""Synchronisation: the history of imports and exports, each with its whole log."""

import streamlit as st

import caisse
from pages.ui import context

settings, store = context()
st.title("Synchronisation")
st.caption(f"Serveur principal : {settings.drop} · mode {settings.mode}")

try:
    runs = caisse.read_history(store)
except caisse.CaisseError as e:
    st.error(str(e))
    st.stop()

if not runs:
    st.info("Aucun échange pour l'instant.")
for run, lines in runs:
    icon = ":material/check_circle:" if run.statut == "reussi" else ":material/error:"
    label = f"{run.debut:%d/%m/%Y %H:%M:%S} · {run.sens} · caisse {run.caisse} · lot {run.lot or '—'}"
    with st.expander(label, icon=icon):
        if run.message:
            st.error(run.message)
        st.code("\n".join(f"{ts:%H:%M:%S} {message}" for ts, message in lines), language=None, wrap_lines=True)
