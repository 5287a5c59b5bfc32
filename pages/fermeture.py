"""Fermeture de la caisse (seed 3.1): tickets in progress, users still connected, the table Moyen / Montant,
Nombre de ticket, the grid Unité / Nombre / Total, expected and counted cash, then the Z.

The count by denomination is kept apart from its widgets (st.session_state["comptage"]), so that switching
to the direct amount and back keeps it; a count that is not a whole number, or is negative, is a sentence
beside its line. Validating asks for the manager's password again."""

import streamlit as st

import caisse
from pages.ui import SyncWindow, confirm_password, context, plain, require, show_flash, sidebar_user, table

settings, store = context()
sidebar_user()
user = require("CAISSE_FERMER")
st.title("Fermeture de la caisse")
show_flash()

done = st.session_state.get("ferme")
if done:
    st.success(plain(done["message"]))
    for note in done.get("periods", []):
        st.info(plain(note))
    for warning in done["warnings"]:
        st.warning(plain(warning))
    if done["z"]:
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
    st.error(plain(e))
    st.stop()

st.caption(plain(f"Caisse {code} · ouverte le {summary.date_ouverture:%d/%m/%Y à %H:%M} · fond "
                 f"{caisse.eur(summary.fond)} · responsable {user.display}"))

if summary.en_cours:
    st.error(plain(caisse.TicketsEnCours(code, summary.en_cours)))
    for t in summary.en_cours:
        with st.form(f"annuler-{t.id_ticket}"):
            st.text(f"Ticket en cours : {caisse.describe_draft(t)}")
            reason = st.text_input("Motif de l'abandon", key=f"motif-{t.id_ticket}")
            if st.form_submit_button("Abandonner ce ticket", disabled=not user.can("CAISSE_ANNULER")):
                try:
                    caisse.cancel_draft(store, t.id_ticket, user, reason)
                    st.rerun()
                except caisse.CaisseError as e:
                    st.error(plain(e))
    if not user.can("CAISSE_ANNULER"):
        st.caption("Abandonner un ticket en cours demande le droit d'annuler un ticket.")
    st.stop()

for waiting in summary.en_attente:  # a month that did not add up: the day still closes
    st.warning(plain(waiting))

if summary.connectes:
    st.warning(plain(caisse.UsersConnected(code, [f"{name or login} (depuis {since:%H:%M})"
                                                  for login, name, since in summary.connectes])))

table([{"Moyen": lib, "Montant": caisse.eur(amount)} for _, lib, amount in summary.per_method],
      empty="Aucun règlement encaissé sur cette journée.", key="moyens")
st.markdown(f"**Nombre de ticket : {summary.nb_tickets}**"
            + (f" · tickets annulés : {summary.nb_annules}" if summary.nb_annules else "")
            + (f" · retours : {summary.nb_retours}" if summary.nb_retours else ""))

kept = st.session_state.setdefault("comptage", {})  # denomination -> the text typed, across toggles


def keep(value) -> None:
    kept[str(value)] = st.session_state[f"coupure-{value}"]


direct = st.toggle("Saisir le montant des espèces sans détail", key="direct")
count, problems = None, []
with st.container():  # either way of counting in one place: what follows keeps its place in the page, so the
    #                     form below stays one element when the toggle switches (never two password fields)
    if direct:
        typed = st.text_input("Montant des espèces", key="montant_direct")
        counted = None
        if typed.strip():
            try:
                counted = caisse.parse_amount(typed, "Le montant des espèces")
            except caisse.CaisseError as e:
                st.error(plain(e))
    else:
        head = st.columns([1, 1, 1, 2])
        for column, title in zip(head, ("Unité", "Nombre", "Total")):
            column.markdown(f"**{title}**")
        count = {}
        for value in summary.coupures:
            unit, number, total, said = st.columns([1, 1, 1, 2], vertical_alignment="center")
            unit.text(caisse.eur(value))
            text = number.text_input(caisse.eur(value), value=kept.get(str(value), ""), key=f"coupure-{value}",
                                     label_visibility="collapsed", placeholder="0", on_change=keep, args=(value,))
            try:
                n = caisse.parse_count(text, value)
            except caisse.CaisseError as e:
                said.error(plain(e))
                problems.append(value)
                n = 0
            total.text(caisse.eur(value * n))
            if n:
                count[value] = n
        counted = sum((value * n for value, n in count.items()), caisse.parse_amount("0")) if count else None
        if problems:
            counted = None
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
    password = st.text_input("Mot de passe du responsable", type="password",
                             help="Valider la fermeture demande à nouveau le mot de passe.")
    left, right = st.columns(2)
    submitted = left.form_submit_button("Valider la fermeture", type="primary", disabled=counted is None)
    force = False
    if summary.connectes:
        force = right.checkbox("Forcer la fermeture (les vendeurs seront déconnectés)",
                               disabled=not user.can("CAISSE_FORCER_FERMETURE"))
if counted is None:
    st.caption("Valider la fermeture est grisé tant que les espèces ne sont pas comptées.")

if submitted:
    window = None
    try:
        confirm_password(user, password, code)
        window = SyncWindow("Synchronisation des données en cours ...") if settings.mode == "auto" else None
        end = caisse.finish_day(store, settings, code, user, count=count if not direct else None,
                                especes=counted if direct else None, force=force, accept_difference=accept,
                                comment=comment, echo=window)
    except caisse.CaisseError as e:
        if window:
            window.box.update(label="Fermeture refusée", state="error")
        st.error(plain(e))
    else:
        for key in ("fermeture", "comptage", "direct", "montant_direct"):
            st.session_state.pop(key, None)
        printed = ("" if end.z is None else "Le ticket récapitulatif est imprimé." if end.z.printed else
                   "Le ticket récapitulatif est archivé (aucune imprimante réglée)."
                   if settings.printer == "preview" else "Le ticket récapitulatif est archivé.")
        st.session_state["ferme"] = {
            "message": f"Caisse {code} fermée : Z n°{end.closed.numero_z}, écart {caisse.eur(end.closed.ecart)}. "
                       + printed,
            "warnings": end.warnings, "periods": end.periods,
            "z": end.z.text_path.read_text(encoding="utf-8") if end.z else "", "log": window.lines if window else []}
        st.rerun()
