"""Today's page before issue 12, for `benchmarks.till` only: the sale page of commit 31494a3 (pages/vente.py),
its flow kept as it was (the article field searches on Enter, "Ajouter" in a form adds the line, payments kept
in the browser session and added through a form, every action a rerun of the whole page, no fragment), over
today's domain functions (the names it called still exist). The seller is signed in from BENCH_LOGIN and
BENCH_PASSWORD at the session's first run, as the opening screen did then. Never part of the product.

Since the house (issue 23) `caisse` exports nothing itself: the names the page called are gathered from the
layers where they live now, under the same names."""

import os
from decimal import Decimal
from types import SimpleNamespace

import streamlit as st

from caisse.common.config import Settings, load_settings
from caisse.common.errors import CaisseError
from caisse.common.money import eur, parse_amount, parse_quantity
from caisse.rules.auth import login
from caisse.rules.drafts import add_to_draft, remove_line, start_draft
from caisse.rules.payments import PaymentRequest
from caisse.rules.sales import (
    LineRequest,
    connect_seller,
    find_articles,
    pay_ticket,
    read_methods,
    read_parked,
    read_ticket,
)
from caisse.services.home import open_store
from caisse.services.workflow import print_receipt, receipt_document

caisse = SimpleNamespace(
    Settings=Settings, load_settings=load_settings, open_store=open_store, login=login, connect_seller=connect_seller,
    start_ticket=start_draft, read_ticket=read_ticket, find_articles=find_articles, eur=eur, LineRequest=LineRequest,
    parse_quantity=parse_quantity, parse_amount=parse_amount, add_to_draft=add_to_draft, remove_line=remove_line,
    read_methods=read_methods, PaymentRequest=PaymentRequest, pay_ticket=pay_ticket, print_receipt=print_receipt,
    receipt_document=receipt_document, read_parked=read_parked, CaisseError=CaisseError)


@st.cache_resource
def context() -> tuple[caisse.Settings, object]:
    settings = caisse.load_settings()
    return settings, caisse.open_store(settings)


settings, store = context()
if "user" not in st.session_state:
    user = caisse.login(store, os.environ["BENCH_LOGIN"], os.environ["BENCH_PASSWORD"])
    st.session_state["user"] = user
    st.session_state["connexion"] = ("C01", caisse.connect_seller(store, "C01", user))
user = st.session_state["user"]


def show_flash() -> None:
    if "flash" in st.session_state:
        kind, message, _ = st.session_state.pop("flash")
        getattr(st, kind)(message)


# From here on, the page of commit 31494a3 as it was (only its imports from pages.ui are defined above).
st.title("Vente")
show_flash()
connection = st.session_state.get("connexion")
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
                line = caisse.LineRequest(choices[chosen], caisse.parse_quantity(quantity))  # a discount: apart now
                ticket = caisse.add_to_draft(store, id_ticket if ticket else new_ticket(), user, line)
        if ticket and ticket.lines:
            st.dataframe([{"N°": li.num, "Article": f"{li.code} {li.libelle}", "Qté": f"{li.quantite.normalize():f}",
                           "P.U.": caisse.eur(li.prix_unitaire_ttc), "Remise": caisse.eur(li.remise),
                           "Montant": caisse.eur(li.montant_ttc)} for li in ticket.lines], hide_index=True)
            st.subheader(f"Total : {caisse.eur(ticket.total_ttc)}")
            a, b = st.columns(2)
            line_no = a.selectbox("Ligne à retirer", [li.num for li in ticket.lines])
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
