"""Journal: the signed event log (JET) with filters, and the integrity check of `caisse verify`."""

import streamlit as st

from caisse import api
from pages.ui import context, plain, require, sidebar_user, table

settings, store = context()
sidebar_user()
user = require("BACKOFFICE")
st.title("Journal")

a, b = st.columns(2)
codes = {"Tous les événements": None} | {f"{label} ({code})": code for code, label in api.EVENT_CODES.items()}
chosen = a.selectbox("Événement", list(codes))
who = b.text_input("Utilisateur", placeholder="un identifiant, par exemple responsable")
rows = api.audit_log(store, codes[chosen], who.strip() or None)
table([{"Date": api.moment_text(ts), "Code": code, "Événement": label, "Caisse": where, "Utilisateur": login,
        "Détail": detail} for ts, code, label, where, login, detail in rows],
      empty="Aucun événement ne correspond à ces filtres.", key="jet")
if len(rows) >= 500:
    st.caption("Les 500 événements les plus récents : précisez les filtres pour remonter plus loin.")

st.subheader("Clôtures mensuelles et annuelles")
st.caption("Faites par la première fermeture de journée de la période suivante, chacune archivée (archives/ du serveur "
           "caisse, avec sa signature) ; « caisse verify-archive » ou tools/verifier_archive.py les vérifient.")
table([{"Caisse": code, "Clôture": f"{words} n°{numero}", "Période": period, "Date": api.moment_text(when),
        "Total TTC": api.eur(total), "Grand total perpétuel": api.eur(grand),
        "Archive": (fichier + (" (tickets purgés de la base)" if purged else "")) if fichier else "à faire"}
       for code, words, period, numero, when, total, grand, fichier, purged in api.periods_of(store)],
      empty="Aucune clôture mensuelle encore : la première se fait à la première fermeture du mois suivant.",
      key="periodes")

st.subheader("Intégrité")
if st.button("Vérifier toutes les chaînes"):
    result = api.run_verify(store, settings, user)
    for note in result.notes:
        st.info(plain(note))
    if result.broken:
        for line in result.broken:
            st.error(plain(f"Chaîne rompue : {line}"))
    else:
        st.success("Intégrité vérifiée : toutes les chaînes (tickets, clôtures, mouvements, duplicatas, événements) "
                   "sont intactes et concordent avec les tickets archivés et le dernier lot envoyé.")
