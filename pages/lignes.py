"""The sale screen's tools on the ticket being rung (not a page: pages/vente.py draws them): a line's quantity,
its other size, its discount, its forced price, its seller; the ticket's discount; a manager's password on the spot
when the rules ask for one. Every action is a till command (caisse.services.till.run): the rules are there."""

from __future__ import annotations

from html import escape

import streamlit as st

from caisse import api
from pages.ui import plain

PENDING = "en_attente_responsable"  # a command refused for want of a manager's approval, to run again with it


def lines_table(lines, seller: str | None = None) -> str:
    """The ticket's lines as a plain table (read by screen readers and by the browser journey; no toolbar): the
    newest line at the bottom, kept in view when the list is longer than its box. Under a line: its discount and
    reason, its forced price, its seller when not the one ringing."""
    rows = []
    for li in lines:
        notes = []
        if li.prix_force is not None:
            notes.append(f"prix forcé {api.eur(li.prix_force)} au lieu de {api.eur(li.prix_unitaire_ttc)}")
        own = li.own_discount - li.forced_gap
        if own:
            rate = f" ({api.qty(li.taux_remise)} %)" if li.taux_remise is not None else ""
            notes.append(f"remise {api.eur(-own)}{rate}")
        if li.motif_remise and notes:
            notes[-1] += f", {li.motif_remise}"
        if li.remise_ticket:
            notes.append(f"part de la remise ticket {api.eur(-li.remise_ticket)}")
        if li.vendeur and li.vendeur != seller:
            notes.append(f"vendeur : {li.vendeur}")
        under = f"<div class='note'>{escape(' · '.join(notes))}</div>" if notes else ""
        rows.append(f"<tr><td>{escape(li.named)}{under}</td><td class='nb'>{api.qty(li.quantite)} × "
                    f"{api.eur(li.prix_unitaire_ttc)}</td><td class='nb'>{api.eur(li.montant_ttc)}</td></tr>")
    return ("<div class='lignes'><table><thead><tr><th>Article</th><th class='nb'>Qté × prix</th>"
            f"<th class='nb'>Montant</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def line_editor(store, session, lines, command) -> None:
    """A line changed (quantity, size, discount, price, seller) or removed, in a popover so that the lines keep
    their room. `command(kind, **values)` runs a till command and keeps its answer for the screen."""
    popover = st.popover("Modifier une ligne", icon=":material/edit:", key="modifier-ligne", on_change="rerun")
    if not popover.open:  # drawn when opened: a scan's rerun does not pay for the editor's widgets
        return
    reasons = api.till_discount_reasons(store)
    with popover:
        labels = {li.num: f"{i}. {li.named} ({api.qty(li.quantite)})" for i, li in enumerate(lines, 1)}
        # Keys that follow the ticket: a new line is the one offered, a quantity changed (by a scan, by this
        # form) is the one shown; what was typed and refused stays while the line is as it was.
        num = st.selectbox("Ligne", list(labels), index=len(labels) - 1, format_func=labels.get,
                           key=f"ligne-{len(lines)}-{lines[-1].num}")
        line = next(li for li in lines if li.num == num)
        typed = f"qte-{num}-{api.qty(line.quantite)}"
        quantity, other = st.columns(2)
        quantity.text_input("Nouvelle quantité", value=api.qty(line.quantite), key=typed)
        quantity.button("Changer la quantité", use_container_width=True,
                        on_click=lambda: command("quantity", num=num, quantity=st.session_state[typed]))
        if line.taille or line.couleur:
            other.caption(plain(f"Taille {line.taille or '—'}, {line.couleur or '—'}"))
            other.button("Autre taille ou couleur", use_container_width=True, on_click=command, args=("size_grid",),
                         kwargs={"num": num}, help="La grille du modèle : flèches puis Entrée")
        amount, reason = st.columns(2)
        amount.text_input("Remise sur la ligne", key=f"remise-{num}", placeholder="10 % ou 5,00")
        reason.selectbox("Motif", [c for c, _ in reasons], format_func=dict(reasons).get,
                         key=f"motif-{num}")
        st.button("Appliquer la remise", use_container_width=True, on_click=lambda: command(
            "discount_line", num=num, amount=st.session_state.get(f"remise-{num}", ""),
            reason=st.session_state.get(f"motif-{num}", "")))
        price, sold_by = st.columns(2)
        price.text_input("Prix forcé (vide : prix du catalogue)", key=f"prix-{num}", placeholder=api.eur(
            line.prix_unitaire_ttc))
        price.button("Forcer le prix", use_container_width=True, on_click=lambda: command(
            "force_price", num=num, price=st.session_state.get(f"prix-{num}", ""),
            reason=st.session_state.get(f"motif-{num}", "")))
        sellers = api.till_sellers(store, session.caisse)
        if len(sellers) > 1:
            names = dict(sellers)
            sold_by.selectbox("Vendeur de la ligne", list(names), format_func=names.get,
                              key=f"vendeur-{num}")
            sold_by.button("Changer le vendeur", use_container_width=True, on_click=lambda: command(
                "line_seller", num=num, login=st.session_state[f"vendeur-{num}"]))
        st.button("Retirer la ligne", on_click=command, args=("remove_line",), kwargs={"num": num},
                  use_container_width=True)


def ticket_tools(store, session, ticket, command) -> None:
    """The ticket's discount, and the seller of the next lines (a seller's badge scanned does the same)."""
    popover = st.popover("Remise ticket", icon=":material/percent:", key="remise-ticket-pop", on_change="rerun")
    if not popover.open:
        return
    reasons = api.till_discount_reasons(store)
    with popover:
        if ticket.remise_ticket:
            st.caption(plain(f"Remise en cours : {api.eur(ticket.remise_ticket)} ({ticket.motif_remise}) ; "
                             "tapez 0 pour la retirer."))
        amount, reason = st.columns(2)
        amount.text_input("Remise sur le ticket", key="remise-ticket", placeholder="5 % ou 5,00")
        reason.selectbox("Motif", [c for c, _ in reasons], format_func=dict(reasons).get,
                         key="motif-ticket")
        st.button("Appliquer au ticket", use_container_width=True, on_click=lambda: command(
            "discount_ticket", amount=st.session_state.get("remise-ticket", ""),
            reason=st.session_state.get("motif-ticket", "")))
        sellers = api.till_sellers(store, session.caisse)
        if len(sellers) > 1:
            names = dict(sellers)
            st.selectbox("Vendeur des prochaines lignes", list(names), format_func=names.get,
                         key="vendeur-suivant")
            st.button("Changer de vendeur", use_container_width=True, on_click=lambda: command(
                "next_seller", login=st.session_state["vendeur-suivant"]))


def manager_approval(command) -> None:
    """A discount or a price the seller may not give alone: a manager types their login and password here, and
    the same command runs again with them (the password is never kept)."""
    pending = st.session_state.get(PENDING)
    if not pending:
        return
    with st.container(border=True):
        st.markdown("**Autorisation d'un responsable**")
        login, password = st.columns(2)
        login.text_input("Identifiant du responsable", key="responsable")
        password.text_input("Mot de passe du responsable", type="password", key="mdp-responsable")
        go, cancel = st.columns(2)
        go.button("Autoriser", type="primary", use_container_width=True, on_click=_approve, args=(command,))
        cancel.button("Annuler", use_container_width=True, on_click=lambda: st.session_state.pop(PENDING, None))


def _approve(command) -> None:
    asked = st.session_state.pop(PENDING)
    values = {k: v for k, v in asked.items() if k != "kind"}
    command(asked["kind"], **values, manager=st.session_state.get("responsable", ""),
            password=st.session_state.get("mdp-responsable", ""))
    st.session_state["mdp-responsable"] = ""
    if not st.session_state["issue"].ok:  # a wrong password: asked again, the request kept
        st.session_state[PENDING] = asked
