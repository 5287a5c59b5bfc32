"""Retour: take back articles of a sale (its number or its receipt's barcode), or without a ticket with the right,
and refund them in cash, by the sale's method or by a credit note printed at once."""

from decimal import Decimal

import streamlit as st

from caisse import api
from pages.ui import context, current_session, plain, require, show_flash, sidebar_user

settings, store = context()
sidebar_user()
user = require("CAISSE_RETOUR")
st.title("Retour de marchandise")
show_flash()
session = current_session()
if not session.caisse or not session.id_connexion:
    st.info("Les retours se font sur la caisse ouverte : connectez-vous-y (écran Ouverture, bouton Connecter).")
    st.page_link("pages/ouverture.py", label="Aller à l'écran Ouverture", icon=":material/lock_open:")
    st.stop()
code = session.caisse
REFUND_WORDS = {"ESP": "Espèces", "ORIGINE": "Moyen de paiement de la vente", "AVOIR": "Avoir"}


def finish(done) -> None:
    message = f"Retour enregistré : ticket n°{done.ticket.numero}, " + (
        f"avoir n°{done.avoir} de {api.eur(-done.ticket.total_ttc)} émis et imprimé : remettez-le au client."
        if done.avoir else f"{api.eur(-done.ticket.total_ttc)} remboursés.")
    if done.credit_note:
        st.session_state["avoir"] = done.credit_note.read_text(encoding="utf-8")
    if done.warning:
        message += f" Attention : {done.warning}"
    st.session_state["flash"] = ("warning" if done.warning else "success", message, [])
    st.session_state.pop("retour", None)
    st.rerun()


if st.session_state.get("avoir"):
    with st.expander("L'avoir imprimé", expanded=True):
        st.code(st.session_state.pop("avoir"), language=None)

with_ticket, without = st.tabs(["Sur un ticket", "Sans ticket"])
with with_ticket:
    with st.form("chercher"):
        ref = st.text_input("Numéro du ticket ou code-barres du reçu", placeholder="12 ou C01-T000012")
        if st.form_submit_button("Rechercher"):
            st.session_state["retour"] = ref.strip()
    ref = st.session_state.get("retour")
    if ref:
        try:
            found = api.read_returnable(store, code, ref)
        except api.CaisseError as e:
            st.error(plain(e))
        else:
            sale = found.ticket
            st.caption(plain(f"Ticket n°{sale.numero} du {sale.date_validation:%d/%m/%Y %H:%M}, vendeur "
                             f"{sale.vendeur}, {api.eur(sale.total_ttc)}"))
            with st.form("reprendre"):
                lines_side, refund_side = st.columns([3, 2], gap="medium")  # the button beside the lines, on screen
                quantities = {}
                with lines_side:
                    for line in found.lines:
                        left = line.reste
                        quantities[line.num_ligne] = st.number_input(
                            plain(f"{line.libelle} ({line.code}) : reste {api.qty(left)} sur "
                                  f"{api.qty(line.vendu)}"),
                            min_value=0, max_value=int(left), step=1, disabled=left <= 0, key=f"q-{line.num_ligne}")
                with refund_side:
                    refund = st.radio("Remboursement", list(REFUND_WORDS), format_func=REFUND_WORDS.get)
                    reason = st.text_input("Motif du retour", max_chars=api.TEXT_LIMIT)
                    go = st.form_submit_button("Valider le retour", type="primary", use_container_width=True)
                if go:
                    try:
                        finish(api.return_and_print(store, settings, code, user, refund=refund, reason=reason, sale=ref,
                                                   quantities={n: Decimal(q) for n, q in quantities.items() if q}))
                    except api.CaisseError as e:
                        st.error(plain(e))
with without:
    if not user.can("CAISSE_RETOUR_LIBRE"):
        st.info("Un retour sans ticket demande un responsable.")
    else:
        with st.form("libre"):
            article = st.text_input("Article (code ou EAN)")
            quantity = st.number_input("Quantité", min_value=1, max_value=999, step=1)
            refund = st.radio("Remboursement", ["ESP", "AVOIR"], format_func=REFUND_WORDS.get, horizontal=True)
            reason = st.text_input("Motif du retour", key="motif-libre", max_chars=api.TEXT_LIMIT)
            if st.form_submit_button("Valider le retour", type="primary"):
                try:
                    finish(api.return_and_print(store, settings, code, user, refund=refund, reason=reason,
                                               articles=[api.LineRequest(article.strip(), Decimal(quantity))]))
                except api.CaisseError as e:
                    st.error(plain(e))
