"""Fermeture de la caisse (seed 3.1): tickets in progress, users still connected, the table Moyen / Montant,
Nombre de ticket, the grid Unité / Nombre / Total, expected and counted cash, then the Z."""

import pandas as pd
import streamlit as st

import caisse
from pages.ui import SyncWindow, context, require, show_flash, sidebar_user

settings, store = context()
sidebar_user()
user = require("CAISSE_FERMER")
st.title("Fermeture de la caisse")
show_flash()

done = st.session_state.get("ferme")
if done:
    st.success(done["message"])
    for warning in done["warnings"]:
        st.warning(warning)
    st.code(done["z"], language=None)
    if done["log"]:
        with st.expander("Journal de l'export"):
            st.code("\n".join(done["log"]), language=None, wrap_lines=True)
    if st.button("Retour à l'ouverture", type="primary"):
        st.session_state.pop("ferme", None)
        st.switch_page("pages/ouverture.py")
    st.stop()

code = st.query_params.get("caisse") or st.session_state.get("fermeture")
if code is None:
    st.info("Choisissez la caisse sur l'écran Ouverture, saisissez le mot de passe du responsable et cliquez sur "
            "Fermer la caisse.")
    st.stop()

try:
    summary = caisse.read_summary(store, code)
except caisse.CaisseError as e:
    st.error(str(e))
    st.stop()

st.caption(f"Caisse {code} · ouverte le {summary.date_ouverture:%d/%m/%Y à %H:%M} · fond "
           f"{caisse.eur(summary.fond)} · responsable {user.display}")

if summary.en_cours:
    st.error(str(caisse.TicketsEnCours(code, summary.en_cours)))
    for t in summary.en_cours:
        with st.form(f"annuler-{t.id_ticket}"):
            st.write(f"Ticket en cours {t.id_ticket[:8]} · {t.vendeur} · {caisse.eur(t.total_ttc)}")
            reason = st.text_input("Motif de l'annulation", key=f"motif-{t.id_ticket}")
            if st.form_submit_button("Annuler ce ticket", disabled=not user.can("CAISSE_ANNULER")):
                try:
                    caisse.cancel_draft(store, t.id_ticket, user, reason)
                    st.rerun()
                except caisse.CaisseError as e:
                    st.error(str(e))
    st.stop()

force = False
if summary.connectes:
    st.warning(str(caisse.UsersConnected(code, [f"{name or login} (depuis {since:%H:%M})"
                                                for login, name, since in summary.connectes])))
    force = st.checkbox("Forcer la fermeture (les vendeurs seront déconnectés)",
                        disabled=not user.can("CAISSE_FORCER_FERMETURE"))

st.dataframe(pd.DataFrame([{"Moyen": lib, "Montant": caisse.eur(amount)} for _, lib, amount in summary.per_method]
                          or [{"Moyen": "Aucun règlement", "Montant": caisse.eur(0)}]), hide_index=True)
st.markdown(f"**Nombre de ticket : {summary.nb_tickets}**"
            + (f" · tickets annulés : {summary.nb_annules}" if summary.nb_annules else ""))

direct = st.toggle("Saisir le montant des espèces sans détail")
if direct:
    typed = st.text_input("Montant des espèces", value="")
    counted = caisse.parse_amount(typed, "Le montant des espèces") if typed.strip() else None
    count = None
else:
    head = st.columns(3)
    for column, title in zip(head, ("Unité", "Nombre", "Total")):
        column.markdown(f"**{title}**")
    count, totals = {}, []
    for value in summary.coupures:
        unit, number, total = st.columns(3)
        unit.write(caisse.eur(value))
        n = int(number.number_input(caisse.eur(value), min_value=0, step=1, key=f"coupure-{value}",
                                    label_visibility="collapsed"))
        total.write(caisse.eur(value * n))
        if n:
            count[value] = n
        totals.append(value * n)
    counted = sum(totals, caisse.parse_amount("0")) if count else None
    st.markdown(f"**Total compté : {caisse.eur(counted or 0)}**")

a, b, c = st.columns(3)
shown = counted is not None or not summary.comptage_aveugle
a.metric("Espèces attendues", caisse.eur(summary.especes_theorique) if shown else "masqué (comptage à l'aveugle)")
b.metric("Espèces comptées", caisse.eur(counted) if counted is not None else "—")
if counted is not None:
    c.metric("Écart", caisse.eur(counted - summary.especes_theorique))

with st.form("valider"):
    accept = st.checkbox("Le montant indiqué n'est pas celui attendu : valider la fermeture quand même",
                         disabled=not user.can("CAISSE_VALIDER_ECART"))
    comment = st.text_input("Commentaire de l'écart")
    submitted = st.form_submit_button("Valider la fermeture", type="primary", disabled=counted is None)

if submitted:
    window = SyncWindow("Synchronisation des données en cours ...") if settings.mode == "auto" else None
    try:
        end = caisse.finish_day(store, settings, code, user, count=count if not direct else None,
                                especes=counted if direct else None, force=force, accept_difference=accept,
                                comment=comment, echo=window)
    except caisse.CaisseError as e:
        if window:
            window.box.update(label="Fermeture refusée", state="error")
        st.error(str(e))
    else:
        st.session_state.pop("fermeture", None)
        st.session_state["ferme"] = {
            "message": f"Caisse {code} fermée : Z n°{end.closed.numero_z}, écart {caisse.eur(end.closed.ecart)}. "
                       + ("Le ticket récapitulatif est imprimé." if end.z.printed else
                          f"Ticket récapitulatif archivé ({settings.printer})."),
            "warnings": end.warnings, "z": end.z.text_path.read_text(encoding="utf-8"),
            "log": window.lines if window else []}
        st.rerun()
