"""Journal: the audit log with filters, and the integrity check of `caisse verify`."""

import pandas as pd
import streamlit as st

import caisse
from pages.ui import context, require, sidebar_user

settings, store = context()
sidebar_user()
user = require("BACKOFFICE")
st.title("Journal")

a, b = st.columns(2)
codes = {"Tous les événements": None} | {f"{code} · {label}": code for code, label in caisse.EVENT_CODES.items()}
chosen = a.selectbox("Événement", list(codes))
who = b.text_input("Utilisateur")
rows = caisse.audit_log(store, codes[chosen], who.strip() or None)
st.dataframe(pd.DataFrame([(ts, code, label, where or "—", login or "—", detail)
                           for ts, code, label, where, login, detail in rows],
                          columns=["Date", "Code", "Événement", "Caisse", "Utilisateur", "Détail"]),
             hide_index=True,
             column_config={"Date": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm:ss")})

st.subheader("Intégrité")
if st.button("Vérifier toutes les chaînes"):
    result = caisse.run_verify(store, settings, user)
    for note in result.notes:
        st.info(note)
    if result.broken:
        for line in result.broken:
            st.error(f"Chaîne rompue : {line}")
    else:
        st.success("Intégrité vérifiée : toutes les chaînes (tickets, clôtures, mouvements, duplicatas, événements) "
                   "sont intactes et concordent avec les tickets archivés et le dernier lot envoyé.")
