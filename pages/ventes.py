"""Ventes: a period's sales by seller and its discounts by reason, seller and collection (the CSV for French
Excel), and the labels to print for the prices the imports changed (by label type, tr_etiquette)."""

from datetime import datetime, timedelta

import streamlit as st

from caisse import api
from pages.ui import bars, context, period_picker, require, sidebar_user, table

settings, store = context()
sidebar_user()
require("BACKOFFICE")
st.title("Ventes")

start, end, chosen = period_picker(store)
report = api.sales_report(store, start, end, chosen)
st.subheader("Par vendeur")
table([{"Vendeur": name, "Ventes TTC": api.eur(ttc), "Remises": api.eur(off)} for name, ttc, off in report.par_vendeur],
      empty=f"Aucune vente du {api.day_text(start)} au {api.day_text(end)}.", key="vendeurs")
if report.par_vendeur:
    bars([(name, ttc) for name, ttc, _ in report.par_vendeur], "Ventes TTC par vendeur")
st.subheader("Remises")
table([{"Par": api.DISCOUNT_TITLES[kind].removeprefix("Remises par "), "Nom": name, "Montant": api.eur(amount)}
       for kind, name, amount in report.remises], empty="Aucune remise sur la période.", key="remises")
if report.par_vendeur:
    st.download_button("Télécharger en CSV (Excel)", api.sales_csv(report),
                       file_name=f"ventes_{start:%Y%m%d}_{end:%Y%m%d}.csv", mime="text/csv")

st.subheader("Étiquettes à imprimer")
st.caption("Les articles dont un import a changé le prix : à réétiqueter, par type d'étiquette.")
days = st.selectbox("Prix changés depuis", [1, 7, 30], index=1,
                    format_func=lambda n: "la veille" if n == 1 else f"{n} jours")
rows = api.labels(store, datetime.now() - timedelta(days=days))
table([{k: (api.eur(v) if k in ("Ancien prix", "Nouveau prix") else
            api.moment_text(v, seconds=False) if k == "Depuis" else v) for k, v in row.items()} for row in rows],
      empty="Aucun prix changé sur la période.", key="etiquettes")
if rows:
    st.download_button("Télécharger les étiquettes en CSV", api.labels_csv(rows),
                       file_name=f"etiquettes_{datetime.now():%Y%m%d}.csv", mime="text/csv")
