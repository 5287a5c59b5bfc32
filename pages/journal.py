"""Journal: the audit log with filters, and the integrity check of `caisse verify`."""

import pandas as pd
import streamlit as st

import caisse
from pages.ui import context, require, sidebar_user

settings, store = context()
sidebar_user()
require("BACKOFFICE")
st.title("Journal")

a, b = st.columns(2)
action = a.selectbox("Action", ["Toutes", "IMPORT", "IMPORT_ECHEC", "OUVERTURE", "FERMETURE", "FERMETURE_FORCEE",
                                "ECART_VALIDE", "EXPORT", "EXPORT_ECHEC", "ANNULATION", "MOUVEMENT",
                                "CONNEXION_ECHEC", "VERROUILLAGE"])
who = b.text_input("Utilisateur")
rows = caisse.audit_log(store, None if action == "Toutes" else action, who.strip() or None)
st.dataframe(pd.DataFrame(rows, columns=["Date", "Action", "Caisse", "Utilisateur", "Détail"]).fillna("—"),
             hide_index=True,
             column_config={"Date": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm:ss")})

st.subheader("Intégrité")
if st.button("Vérifier les chaînes de tickets et de journées"):
    broken = caisse.verify_store(store)
    if broken:
        for line in broken:
            st.error(f"Chaîne rompue : {line}")
    else:
        st.success("Intégrité vérifiée : toutes les chaînes de tickets et de journées sont intactes.")
