"""Caisse du jour: cash moves of an open register (entrée, sortie, remise en banque: a right and a reason each,
written once and chained), the day's moves, and the X report on screen and printed (the figures now, nothing
closed)."""

from decimal import Decimal

import streamlit as st

import caisse
from pages.ui import context, plain, require, sidebar_user, table

settings, store = context()
sidebar_user()
user = require("CAISSE_MOUVEMENT")
st.title("Caisse du jour")

days = {code: ident for code, ident, _ in caisse.open_days(store)}
if not days:
    st.info("Aucune caisse n'est ouverte : les mouvements d'espèces et le rapport X se font sur une journée ouverte "
            "(écran Ouverture, bouton Ouvrir).")
    st.stop()
code = st.selectbox("Caisse", list(days))

st.subheader("Mouvement d'espèces")
with st.form("mouvement", clear_on_submit=True):
    kind, amount = st.columns(2)
    type_ = kind.radio("Type", list(caisse.MOVE_TYPES), format_func=caisse.MOVE_TYPES.get, horizontal=True)
    typed = amount.text_input("Montant", placeholder="20,00")
    reason = st.text_input("Motif", placeholder="par exemple : achat de timbres, dépôt à la banque")
    if st.form_submit_button("Enregistrer le mouvement", type="primary"):
        try:
            value = caisse.parse_amount(typed, "Le montant")
            caisse.cash_move(store, code, user, type_, value, reason)
            st.success(plain(f"{caisse.MOVE_TYPES[type_]} de {caisse.eur(value)} enregistrée sur la caisse {code} : "
                             f"{reason.strip()}."))
        except caisse.CaisseError as e:
            st.error(plain(e))

WORDS = {**caisse.MOVE_TYPES, "FOND": "Fond de caisse", "ECART": "Écart de caisse"}
moves = caisse.day_moves(store, days[code])
table([{"Heure": caisse.moment_text(ts), "Type": WORDS.get(kind, kind), "Montant": caisse.eur(value),
        "Motif": label, "Par": who} for ts, kind, value, label, who in moves],
      empty="Aucun mouvement sur cette journée.", key="mouvements")
if moves:
    net = sum((v if k in ("ENTREE", "FOND") else -v for _, k, v, _, _ in moves if k != "ECART"), Decimal("0"))
    st.caption(f"Solde des mouvements (fond compris) : {caisse.eur(net)}")

st.subheader("Rapport X")
if not user.can("CAISSE_FERMER"):
    st.caption("Le rapport X demande le droit de fermer la caisse.")
else:
    show, paper = st.columns(2)
    if show.button("Afficher le rapport X"):
        st.session_state["rapport_x"] = "\n".join(caisse.x_document(store, settings, code).lines)
    if paper.button("Imprimer le rapport X"):
        try:
            printed = caisse.print_x(store, settings, code, user)
            st.session_state["rapport_x"] = printed.text_path.read_text(encoding="utf-8")
            where = caisse.printer_words(settings.printer)
            (st.warning if printed.warning else st.success)(plain(printed.warning or f"Rapport X imprimé ({where})."))
        except caisse.CaisseError as e:
            st.error(plain(e))
    if st.session_state.get("rapport_x"):
        st.code(st.session_state["rapport_x"], language=None)
