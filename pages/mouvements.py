"""Caisse du jour: cash moves of an open register (entrée, sortie, remise en banque: a right, a type chosen by the
person, an amount and a reason each; above a threshold a manager's password; written once and chained, a slip
printed), the day's moves, and the X report on screen and printed (the figures now, nothing closed). A refused
move keeps what was typed."""

from decimal import Decimal

import streamlit as st

from caisse import api
from pages.ui import context, plain, require, show_flash, sidebar_user, table

settings, store = context()
sidebar_user()
user = require("CAISSE_MOUVEMENT")
st.title("Caisse du jour")
show_flash()

days = {code: ident for code, ident, _ in api.open_days(store)}
if not days:
    st.info("Aucune caisse n'est ouverte : les mouvements d'espèces et le rapport X se font sur une journée ouverte "
            "(écran Ouverture, bouton Ouvrir).")
    st.page_link("pages/ouverture.py", label="Aller à l'écran Ouverture", icon=":material/lock_open:")
    st.stop()
code = st.selectbox("Caisse", list(days))
ceiling = settings.limits.move_manager_above
FIELDS = ("mvt_type", "mvt_montant", "mvt_motif", "mvt_resp", "mvt_resp_mdp")


def record() -> None:
    """The form's action: a refused move keeps every field as typed (the type above all: a deposit must never
    come back as an entry); a recorded one empties them and says what was recorded."""
    state = st.session_state
    try:
        type_ = state.get("mvt_type")
        if type_ is None:
            raise api.CaisseError("Choisissez le type du mouvement : entrée d'espèces, sortie d'espèces ou remise "
                                     "en banque.")
        value = api.parse_amount(state.get("mvt_montant", ""), "Le montant")
        approver = None
        if (state.get("mvt_resp") or "").strip():
            approver = api.login(store, state["mvt_resp"].strip(), state.get("mvt_resp_mdp", ""), caisse=code,
                                    sign_in=False)
        _, slip = api.record_cash_move(store, settings, code, user, type_, value, state.get("mvt_motif", ""),
                                          approver)
    except api.CaisseError as e:
        state["mvt_refus"] = str(e)
        state["mvt_resp_mdp"] = ""  # a password is never kept
        return
    said = (f"{api.MOVE_TYPES[type_]} de {api.eur(value)} enregistrée sur la caisse {code}, motif : "
            f"« {state['mvt_motif'].strip()} ». Bordereau " + ("imprimé." if slip.printed else "archivé."))
    state["flash"] = ("success", said + (f" {slip.warning}" if slip.warning else ""), [])
    for key in FIELDS:  # set, not deleted: a deleted key may leave the browser showing the old value
        state[key] = None if key == "mvt_type" else ""


st.subheader("Mouvement d'espèces")
with st.form("mouvement"):
    st.radio("Type", list(api.MOVE_TYPES), format_func=api.MOVE_TYPES.get, horizontal=True, index=None,
             key="mvt_type")
    amount, reason = st.columns([1, 2])
    amount.text_input("Montant (€)", placeholder="par exemple 20,00", key="mvt_montant")
    reason.text_input("Motif", placeholder="par exemple : achat de timbres, dépôt à la banque", key="mvt_motif",
                     max_chars=api.TEXT_LIMIT)
    st.caption(plain(f"Au-delà de {api.eur(ceiling)}, un responsable autorise le mouvement avec son mot de passe "
                     "(inutile si vous êtes responsable)."))
    who, secret = st.columns(2)
    who.text_input("Responsable (identifiant)", key="mvt_resp")
    secret.text_input("Mot de passe du responsable", type="password", key="mvt_resp_mdp")
    st.form_submit_button("Enregistrer le mouvement", type="primary", on_click=record)
if st.session_state.get("mvt_refus"):
    st.error(plain(st.session_state.pop("mvt_refus")))

WORDS = {**api.MOVE_TYPES, "FOND": "Fond de caisse", "ECART": "Écart de caisse"}
moves = api.day_moves(store, days[code])
table([{"Heure": api.moment_text(m.moment), "Type": WORDS.get(m.type, m.type), "Montant": api.eur(m.montant),
        "Motif": m.libelle, "Par": m.par} for m in moves],
      empty="Aucun mouvement sur cette journée.", key="mouvements")
if moves:
    net = sum((m.montant if m.type in ("ENTREE", "FOND") else -m.montant for m in moves if m.type != "ECART"),
              Decimal("0"))
    st.caption(f"Solde des mouvements (fond compris) : {api.eur(net)}")

st.subheader("Rapport X")
if not user.can("CAISSE_FERMER"):
    st.caption("Le rapport X est réservé aux responsables (ceux qui ferment la caisse).")
else:
    show, paper = st.columns(2)
    if show.button("Afficher le rapport X"):
        st.session_state["rapport_x"] = "\n".join(api.x_document(store, settings, code).lines)
    if paper.button("Imprimer le rapport X"):
        try:
            printed = api.print_x(store, settings, code, user)
            st.session_state["rapport_x"] = printed.text_path.read_text(encoding="utf-8")
            where = api.printer_words(settings.printer)
            (st.warning if printed.warning else st.success)(plain(printed.warning or f"Rapport X imprimé ({where})."))
        except api.CaisseError as e:
            st.error(plain(e))
    if st.session_state.get("rapport_x"):
        st.code(st.session_state["rapport_x"], language=None)
