"""Vente: a connected seller rings tickets: articles, quantities, discounts, payments, change, parked tickets."""

from decimal import Decimal

import streamlit as st

import caisse
from pages.ui import context, require, show_flash, sidebar_user

settings, store = context()
sidebar_user()
user = require("CAISSE_VENDRE")
st.title("Vente")
show_flash()
connection = st.session_state.get("connexion")
if connection is None:
    st.info("Vous n'êtes connecté à aucune caisse : choisissez-la sur l'écran Ouverture et cliquez sur Connecter.")
    st.stop()
code = connection[0]
st.caption(f"Caisse {code} · vendeur {user.display}")


def new_ticket() -> str:
    st.session_state["ticket"] = caisse.start_ticket(store, code, user)
    st.session_state["reglements"] = []
    return st.session_state["ticket"]


try:
    id_ticket = st.session_state.get("ticket")
    ticket = caisse.read_ticket(store, id_ticket) if id_ticket else None
    if ticket is not None and ticket.statut != "EN_COURS":
        ticket = None
    left, right = st.columns([3, 2])
    with left:
        query = st.text_input("Article (code, EAN ou libellé)", key="recherche")
        found = caisse.find_articles(store, query) if query.strip() else []
        with st.form("ligne", clear_on_submit=True):
            choices = {f"{c} · {lib} · {caisse.eur(p)}": c for c, _, lib, p in found}
            chosen = st.selectbox("Résultat", list(choices), disabled=not choices)
            q, r = st.columns(2)
            quantity = q.text_input("Quantité", value="1")
            discount = r.text_input("Remise (€)", value="0")
            if st.form_submit_button("Ajouter", disabled=not choices):
                line = caisse.LineRequest(choices[chosen], caisse.parse_quantity(quantity),
                                          caisse.parse_amount(discount, "La remise"))
                ticket = caisse.add_to_draft(store, id_ticket if ticket else new_ticket(), user, line)
        if ticket and ticket.lines:
            st.dataframe([{"N°": n, "Article": f"{code_a} {lib}", "Qté": f"{q.normalize():f}",
                           "P.U.": caisse.eur(pu), "Remise": caisse.eur(rem), "Montant": caisse.eur(m)}
                          for n, code_a, lib, q, pu, rem, _, m in ticket.lines], hide_index=True)
            st.subheader(f"Total : {caisse.eur(ticket.total_ttc)}")
            a, b = st.columns(2)
            line_no = a.selectbox("Ligne à retirer", [n for n, *_ in ticket.lines])
            if a.button("Retirer la ligne"):
                caisse.remove_line(store, ticket.id_ticket, user, line_no)
                st.rerun()
            if b.button("Mettre en attente"):
                st.session_state.pop("ticket", None)
                st.session_state["flash"] = ("info", "Ticket mis en attente : reprenez-le dans la liste.", [])
                st.rerun()
    with right:
        if ticket and ticket.lines:
            payments = st.session_state.setdefault("reglements", [])
            paid = sum((p.montant for p in payments), Decimal("0"))
            st.markdown(f"**Reste à payer : {caisse.eur(max(ticket.total_ttc - paid, Decimal('0')))}**")
            methods = {lib: (code_m, needs) for code_m, lib, _, _, needs in caisse.read_methods(store)}
            with st.form("reglement", clear_on_submit=True):
                method = st.selectbox("Moyen", list(methods))
                remaining = max(ticket.total_ttc - paid, Decimal("0"))
                amount = st.text_input("Montant", value=f"{remaining:.2f}".replace(".", ","))
                number = st.text_input("Numéro (avoir, chèque cadeau)")
                if st.form_submit_button("Ajouter le règlement"):
                    payments.append(caisse.PaymentRequest(methods[method][0], caisse.parse_amount(amount), number))
                    st.rerun()
            for p in payments:
                st.write(f"{p.code} {caisse.eur(p.montant)}" + (f" n°{p.numero}" if p.numero else ""))
            c1, c2 = st.columns(2)
            if c1.button("Valider le ticket", type="primary", disabled=not payments and ticket.total_ttc > 0):
                done = caisse.pay_ticket(store, ticket.id_ticket, user, payments)
                printed = caisse.print_receipt(store, settings, done, user)
                st.session_state.pop("ticket", None)
                st.session_state["reglements"] = []
                st.session_state["dernier"] = done.id_ticket
                message = f"Ticket n°{done.numero} validé : {caisse.eur(done.total_ttc)}" + (
                    f", rendu {caisse.eur(done.rendu)}" if done.rendu else "") + "."
                if printed and printed.warning:
                    message += f" {printed.warning}"
                st.session_state["flash"] = ("success", message, [])
                st.rerun()
            if c2.button("Effacer les règlements"):
                st.session_state["reglements"] = []
                st.rerun()
    last = st.session_state.get("dernier")
    if last:
        with st.expander("Aperçu du dernier ticket"):
            st.code("\n".join(caisse.receipt_document(store, settings, caisse.read_ticket(store, last)).lines),
                    language=None)
    parked = [t for t in caisse.read_parked(store, code) if t.id_ticket != (ticket.id_ticket if ticket else None)]
    if parked:
        st.divider()
        labels = {f"{t.id_ticket[:8]} · {t.vendeur} · {caisse.eur(t.total_ttc)}": t.id_ticket for t in parked}
        chosen_parked = st.selectbox("Tickets en attente", list(labels))
        if st.button("Reprendre ce ticket"):
            st.session_state["ticket"] = labels[chosen_parked]
            st.session_state["reglements"] = []
            st.rerun()
except caisse.CaisseError as e:
    st.error(str(e))

st.divider()
if st.button("Déconnecter le vendeur"):
    caisse.disconnect_seller(store, connection[1])
    st.session_state.pop("connexion", None)
    st.session_state.pop("ticket", None)
    st.switch_page("pages/ouverture.py")
