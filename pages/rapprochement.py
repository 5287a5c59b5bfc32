"""Rapprochement: per day and register, float, takings, moves, expected, counted, difference; chart, drill-down,
CSV, Z reprint."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

import caisse
from pages.ui import context, require, sidebar_user

settings, store = context()
sidebar_user()
user = require("BACKOFFICE")
st.title("Rapprochement")

a, b, c = st.columns(3)
start = a.date_input("Du", value=date.today() - timedelta(days=31), format="DD/MM/YYYY")
end = b.date_input("Au", value=date.today(), format="DD/MM/YYYY")
codes = [s.code for s in caisse.read_overview(store).caisses]
chosen = c.selectbox("Caisse", ["Toutes"] + codes)
days = caisse.reconciliation(store, start, end, None if chosen == "Toutes" else chosen)
if not days:
    st.info("Aucune journée fermée sur cette période.")
    st.stop()

table = pd.DataFrame([{"Caisse": d.caisse, "Z": d.numero_z, "Fermeture": d.fermeture, "Fond": d.fond,
                       "Espèces": d.especes, "Carte": d.carte, "Autres": d.autres, "Mouvements": d.mouvements,
                       "Attendu": d.theorique, "Compté": d.compte, "Écart": d.ecart, "Validé par": d.valide_par,
                       "Tickets": d.nb_tickets} for d in days])
money = ["Fond", "Espèces", "Carte", "Autres", "Mouvements", "Attendu", "Compté", "Écart"]
st.dataframe(table.assign(**{m: table[m].map(caisse.eur) for m in money}), hide_index=True,
             column_config={"Fermeture": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")})
st.download_button("Télécharger en CSV", table.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig"),
                   file_name=f"rapprochement_{start}_{end}.csv", mime="text/csv")
# The chart shows differences as floats: a drawing, never a computation on money.
st.markdown("**Écarts de caisse par journée (€)**" + ("" if any(d.ecart for d in days) else " : aucun écart "
                                                        "sur la période"))
st.bar_chart(pd.DataFrame({"Écart (€)": [float(d.ecart) for d in days]},
                          index=[d.fermeture for d in days]).sort_index())

labels = {f"{d.caisse} · Z n°{d.numero_z} · {d.fermeture:%d/%m/%Y}": d for d in days}
picked = labels[st.selectbox("Détail d'une journée", list(labels))]
tickets = caisse.day_tickets(store, picked.id_journee)
st.dataframe(pd.DataFrame([{"N°": n, "Heure": ts, "Vendeur": who or "—",
                            "Type": caisse.TYPE_WORDS[kind] + (f" du n°{origin}" if origin else ""),
                            "Total": caisse.eur(t),
                            "Règlements": ", ".join(f"{label} {caisse.eur(amount)}" for label, amount in pay or [])}
                           for n, ts, who, kind, t, pay, origin in tickets]), hide_index=True,
             column_config={"Heure": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm:ss")})
if st.button(f"Réimprimer le Z n°{picked.numero_z} (DUPLICATA)"):
    try:
        doc = caisse.z_document(store, settings, picked.caisse, picked.numero_z)
        printed = caisse.print_document(store, settings, doc, user=user)
        (st.warning if printed.warning else st.success)(printed.warning or f"DUPLICATA n°{printed.duplicata} "
                                                                           f"envoyé à {settings.printer}.")
        st.code(printed.text_path.read_text(encoding="utf-8"), language=None)
    except caisse.CaisseError as e:
        st.error(str(e))
