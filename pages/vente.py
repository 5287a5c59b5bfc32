"""Vente: the counter. Scanner first (a code and Enter adds the line, the field stays ready), the ticket and its
payments kept in the store (a refresh loses nothing), one button per payment method with the amount prefilled,
quick cash buttons, the change shown before validating, F-keys for a whole sale without the mouse. The ticket
area is a fragment: an action reruns it alone."""

from pathlib import Path

import streamlit as st

from caisse import api
from pages import lignes
from pages.browser import scanner
from pages.ui import context, current_session, guarded, plain, require, sidebar_user, sign_out, unexpected

settings, store = context()
session = current_session()
if session is None or not session.caisse or not session.id_connexion:  # never a dead end: the way in is Ouverture
    if not st.session_state.get("en_pause"):
        st.session_state["flash"] = ("info", "La vente se fait sur une caisse ouverte : choisissez la caisse et le "
                                             "vendeur, puis Connecter." if session is None else
                                     "Vous n'êtes connecté à aucune caisse : choisissez-la, puis Connecter.", [])
        st.switch_page("pages/ouverture.py")
st.html(f"<style>{(Path(__file__).parent / 'assets' / 'vente.css').read_text(encoding='utf-8')}</style>")
sidebar_user()
user = require("CAISSE_VENDRE")
SHORTCUTS = {"F2": {"kind": "cash_exact"}, "F4": {"kind": "card_exact"}, "F8": {"kind": "park"},
             "F9": {"kind": "validate"}, "Ctrl+Enter": {"kind": "validate"}}
METHODS = api.till_methods(store)
CARD = next((m for m in METHODS if not m.especes and not m.numero), None)
CASH = next((m for m in METHODS if m.especes), None)


def answer(outcome: api.TillOutcome) -> None:
    st.session_state["issue"] = outcome


def command(kind: str, **values) -> None:
    """A button's action, run like a scanner's command (the same sentences, the same rules)."""
    run_command({"kind": kind, **values})


def run_command(cmd: dict) -> None:
    """A command run and its answer kept; one refused for want of a manager's approval waits for it
    (pages.lignes.manager_approval), to run again with the manager's password."""
    outcome = _run(cmd)
    answer(outcome)
    if outcome.needs_manager:
        st.session_state[lignes.PENDING] = {k: v for k, v in cmd.items() if k != "seq"}
    elif outcome.ok:
        st.session_state.pop(lignes.PENDING, None)


def _run(cmd: dict) -> api.TillOutcome:
    try:
        return _run_now(cmd)
    except Exception as e:  # noqa: BLE001 (the till's own refusals are sentences already, in till.run)
        return api.TillOutcome(False, unexpected(e))


def _run_now(cmd: dict) -> api.TillOutcome:
    session = current_session(fresh=True, in_callback=True)
    if session is None:
        return api.TillOutcome(False, "Votre session est terminée : identifiez-vous à nouveau.")
    if cmd["kind"] == "cash_exact":  # F2: what was typed in « Montant remis », else the exact amount
        cmd = {"kind": "pay", "code": CASH.code, "amount": st.session_state.get("montant", "")}
        outcome = api.till_run(store, settings, session, cmd)
        if outcome.ok:
            st.session_state["montant"] = ""
        return outcome
    elif cmd["kind"] == "card_exact":
        cmd = {"kind": "pay", "code": CARD.code}
    return api.till_run(store, settings, session, cmd)


def on_scan() -> None:
    cmd = st.session_state["scanner"].command
    if not cmd or cmd.get("seq", 0) <= st.session_state.get("ack", 0):
        return  # already done (the browser sent it again)
    st.session_state["ack"] = cmd["seq"]
    run_command(cmd)


def pay_typed(code: str) -> None:
    amount = st.session_state.get("montant", "")
    command("pay", code=code, amount=amount, numero=st.session_state.get("numero", ""))
    st.session_state["numero"] = ""  # a number is typed (or scanned) for one attempt: never glued to the next
    if st.session_state["issue"].ok:
        st.session_state["montant"] = ""


def resume(ident: str) -> None:
    command("resume", id=ident)
    st.session_state["reprise"] = False  # the popover closes: the ticket taken back is on screen


def leave() -> None:
    """Sortir: a ticket in progress is parked (and said so), the seller signed out, back to Ouverture."""
    current = current_session(fresh=True, in_callback=True)
    parked_one = False
    if current is not None and current.id_ticket:
        state = api.till_counter(store, current)
        if state.ticket and state.ticket.lines:
            parked_one = api.till_run(store, settings, current, {"kind": "park"}).ok
    st.session_state["sortie"] = "attente" if parked_one else "fin"


head, actions = st.columns([3, 2])
head.markdown(f"#### Caisse {plain(session.caisse)} · {plain(user.display)}")
with actions:
    park, waiting, exit_button = st.columns([1, 1.2, 1])
    park.button("Attente", icon=":material/pause:", help="Mettre le ticket en attente (F8)", on_click=command,
                args=("park",), use_container_width=True)
    with waiting.popover("Reprise", icon=":material/list:", help="Reprendre un ticket en attente, et les autres "
                         "actions hors vente", use_container_width=True, key="reprise", on_change="rerun"):
        parked = [t for t in api.read_parked(store, session.caisse) if t.id_ticket != session.id_ticket]
        st.caption("Reprendre un ticket mis en attente :" if parked else "Aucun ticket en attente.")
        for ticket in parked:
            st.button(plain(api.describe_draft(ticket)), key=f"reprendre-{ticket.id_ticket}", on_click=resume,
                      args=(ticket.id_ticket,))
        st.button("Imprimer une note provisoire", icon=":material/receipt:", on_click=command, args=("note",),
                  help="Le détail du ticket en cours, marqué « document provisoire » : il ne vaut pas ticket")
        if user.can("CAISSE_RETOUR"):
            st.page_link("pages/retour.py", label="Retour de marchandise", icon=":material/undo:")
        if user.can("CAISSE_MOUVEMENT"):
            st.page_link("pages/mouvements.py", label="Entrée ou sortie d'espèces, remise en banque",
                         icon=":material/payments:")
        if user.can("CAISSE_TIROIR"):
            st.divider()
            reason = st.text_input("Motif d'ouverture du tiroir", key="motif_tiroir", max_chars=api.TEXT_LIMIT)
            if st.button("Ouvrir le tiroir"):
                answer(api.till_drawer(store, settings, session, reason))
    exit_button.button("Sortir", icon=":material/logout:", help="Déconnecter le vendeur (un ticket en cours est mis "
                       "en attente)", use_container_width=True, on_click=leave)
if st.session_state.get("sortie"):
    sign_out(st.session_state.pop("sortie"))


@st.fragment
@guarded
def comptoir() -> None:
    session = current_session(fresh=True)
    if session is None:
        st.warning("Votre session est terminée : identifiez-vous à nouveau sur l'écran Ouverture.")
        return
    state = api.till_counter(store, session)
    outcome = st.session_state.pop("issue", None) or api.TillOutcome()
    if state.confirmation and outcome.ok and outcome.message == api.till_confirmation(state.confirmation):
        outcome.message = ""  # said once, beside the totals
    left, right = st.columns([3, 2], gap="medium")
    with left:
        scanner("scanner", ack=st.session_state.get("ack", 0), message=outcome.message, error=not outcome.ok,
                results=outcome.results, shortcuts=SHORTCUTS, label="Article (code, EAN ou libellé)",
                placeholder="Code, EAN, 3*CODE, un mot, un badge vendeur…",
                on_command=on_scan, grid=outcome.grid)
        for warning in outcome.warnings:
            st.warning(warning)
        lignes.manager_approval(command)
        ticket = state.ticket
        if ticket and ticket.vendeur_suivant:
            st.caption(plain(f"Vendeur des prochaines lignes : {ticket.vendeur_suivant}"))
        if ticket and ticket.lines:
            st.html(lignes.lines_table(ticket.lines, user.display))
            edit, whole = st.columns(2)
            with edit:
                lignes.line_editor(store, session, ticket.lines, command)
            with whole:
                lignes.ticket_tools(store, session, ticket, command)
    with right:
        if state.confirmation and not (ticket and ticket.lines):
            done = state.confirmation
            st.success(api.till_confirmation(done))
            total, rest = st.columns(2)
            total.metric(f"Ticket n°{done.numero}", api.eur(done.total_ttc))
            rest.metric("Rendu", api.eur(done.rendu))
            return
        total, rest = st.columns(2)
        total.metric("Total", api.eur(state.total), help=plain(
            f"Remise sur le ticket : {api.eur(ticket.remise_ticket)} ({ticket.motif_remise})")
            if ticket and ticket.remise_ticket else None)
        if state.change:
            rest.metric("À rendre", api.eur(state.change))
        else:
            rest.metric("Reste à payer", api.eur(state.remaining))
        if ticket and ticket.payments:
            for payment in ticket.payments:
                label = next((m.libelle for m in METHODS if m.code == payment.code), payment.code)
                text, remove = st.columns([4, 1])
                text.text(f"{label} {api.eur(payment.montant)}" + (f" n°{payment.numero}" if payment.numero else ""))
                remove.button("✕", key=f"retirer-{payment.num}", help=plain(f"Retirer ce règlement ({label})"),
                              on_click=command, args=("remove_payment",), kwargs={"num": payment.num})
        if state.quick_cash and CASH:
            st.caption(plain(f"{CASH.libelle}, en un geste :"))
            quick = st.columns(len(state.quick_cash))
            for i, (column, amount) in enumerate(zip(quick, state.quick_cash)):
                label = api.eur(amount).replace(",00 €", " €") + (" (F2)" if i == 0 else "")
                column.button(label, key=f"especes-{i}", on_click=command, args=("pay",),
                              kwargs={"code": CASH.code, "amount": str(amount)}, use_container_width=True)
        amount, number = st.columns(2)
        amount.text_input("Montant remis", key="montant", placeholder=api.eur(state.remaining))
        number.text_input("N° d'avoir ou de chèque cadeau", key="numero")
        buttons = st.columns(2)
        for i, method in enumerate(METHODS):
            label = plain(method.libelle) + (" (F4)" if method is CARD else "")
            buttons[i % 2].button(label, key=f"moyen-{method.code}", on_click=pay_typed, args=(method.code,),
                                  use_container_width=True, disabled=not (ticket and ticket.lines))
        st.button("Valider le ticket (F9)", type="primary", use_container_width=True, on_click=command,
                  args=("validate",), disabled=not (ticket and ticket.lines))


comptoir()
