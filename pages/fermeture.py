"""Fermeture de la caisse (seed 3.1): tickets in progress, users still connected, the table Moyen / Montant,
Nombre de ticket, the grid Unité / Nombre / Total, expected and counted cash, then the Z.

Two columns, so that at 1024x768 the validation is on screen beside the count: the grid on the left, the figures
and the validation on the right. The count is kept in the store as it is typed (a refresh, a second tab, another
device find it); a count that is not a whole number, or is negative, is a sentence beside its line. Validating
asks for the manager's password again. The Z shows at the end for the person who closed, even when the closing
ended her own connection to the till."""

import streamlit as st

from caisse import api
from pages.ui import SyncWindow, confirm_password, context, plain, require, show_flash, sidebar_user, table

settings, store = context()
done = st.session_state.get("ferme")
if done:  # before any sign-in check: a forced closing may have ended this browser's own till session
    st.title("Fermeture de la caisse")
    st.success(plain(done["message"]))
    for note in done.get("periods", []):
        st.info(plain(note))
    for warning in done["warnings"]:
        st.warning(plain(warning))
    if done["z"]:
        st.code(done["z"], language=None)
    if done.get("export"):  # auto mode: the export that followed, said on the page, its log below
        st.success(plain(done["export"]))
    if done["log"]:
        with st.expander("Journal de l'export"):
            st.code("\n".join(done["log"]), language=None, wrap_lines=True)
    if st.button("Retour à l'ouverture", type="primary"):
        st.session_state.pop("ferme", None)
        st.switch_page("pages/ouverture.py")
    st.stop()

sidebar_user()
user = require("CAISSE_FERMER")
st.title("Fermeture de la caisse")
show_flash()
st.html("<style>.st-key-grille [data-testid='stVerticalBlock'] { gap: .15rem; } "
        ".st-key-grille [data-testid='stTextInput'] input { padding: .15rem .5rem; } "
        ".st-key-grille [data-testid='stMarkdownContainer'] p { margin: 0; }</style>")

code = st.query_params.get("caisse") or st.session_state.get("fermeture")
if code is None:
    st.info("Choisissez la caisse sur l'écran Ouverture, saisissez le mot de passe du responsable et cliquez sur "
            "Fermer la caisse.")
    st.page_link("pages/ouverture.py", label="Aller à l'écran Ouverture", icon=":material/lock_open:")
    st.stop()

try:
    summary = api.read_summary(store, code)
    kept = api.kept_count(store, code)  # what was typed already, here or elsewhere
except api.CaisseError as e:
    st.error(plain(e))
    st.page_link("pages/ouverture.py", label="Aller à l'écran Ouverture", icon=":material/lock_open:")
    st.stop()

st.caption(plain(f"Caisse {code} · ouverte le {summary.date_ouverture:%d/%m/%Y à %H:%M} · fond "
                 f"{api.eur(summary.fond)} · responsable {user.display}"))

if summary.en_cours:
    st.error(plain(api.TicketsEnCours(code, summary.en_cours)))
    for t in summary.en_cours:
        with st.form(f"annuler-{t.id_ticket}"):
            st.text(f"Ticket en cours : {api.describe_draft(t)}")
            reason = st.text_input("Motif de l'abandon", key=f"motif-{t.id_ticket}", max_chars=api.TEXT_LIMIT)
            if st.form_submit_button("Abandonner ce ticket", disabled=not user.can("CAISSE_ANNULER")):
                try:
                    st.session_state["flash"] = ("warning", api.cancel_draft(store, t.id_ticket, user, reason), [])
                    st.rerun()
                except api.CaisseError as e:
                    st.error(plain(e))
    if not user.can("CAISSE_ANNULER"):
        st.caption("Abandonner un ticket en cours est réservé à ceux qui peuvent annuler un ticket.")
    st.stop()

for waiting in summary.en_attente:  # a month that did not add up: the day still closes
    st.warning(plain(waiting))

if summary.connectes:
    st.warning(plain(api.UsersConnected(code, [f"{name or login} (depuis {since:%H:%M})"
                                                  for login, name, since in summary.connectes])))


def keep(key: str, widget: str) -> None:
    """What was just typed goes to the store (a refresh, or another tab, finds it)."""
    try:
        api.keep_count(store, code, user, {key: st.session_state[widget]})
    except api.CaisseError as e:
        st.session_state["comptage_refus"] = str(e)


count_side, check_side = st.columns([5, 6], gap="large")
count, problems = None, []
with count_side:
    direct = st.toggle("Saisir le montant des espèces sans détail", value=bool(kept.get("sans_detail")),
                       key="direct", on_change=lambda: api.keep_count(
                           store, code, user, {"sans_detail": "1" if st.session_state["direct"] else ""}))
    with st.container(key="grille"):
        if direct:
            typed = st.text_input("Montant des espèces", value=kept.get("direct", ""), key="montant_direct",
                                  on_change=keep, args=("direct", "montant_direct"))
            counted = None
            if typed.strip():
                try:
                    counted = api.parse_amount(typed, "Le montant des espèces")
                except api.CaisseError as e:
                    st.error(plain(e))
        else:
            head = st.columns([3, 3, 3])
            for column, title in zip(head, ("Unité", "Nombre", "Total")):
                column.markdown(f"**{title}**")
            count = {}
            for value in sorted(summary.coupures, reverse=True):
                unit, number, total = st.columns([3, 3, 3], vertical_alignment="center")
                unit.markdown(api.eur(value))
                text = number.text_input(api.eur(value), value=kept.get(str(value), ""), key=f"coupure-{value}",
                                         label_visibility="collapsed", placeholder="0", on_change=keep,
                                         args=(str(value), f"coupure-{value}"))
                try:
                    n = api.parse_count(text, value)
                except api.CaisseError as e:
                    total.error(plain(e))
                    problems.append(value)
                    n = 0
                else:
                    total.markdown(api.eur(value * n) if n else "—")
                if n:
                    count[value] = n
            counted = sum((value * n for value, n in count.items()), api.parse_amount("0")) if count else None
            if problems:
                counted = None
            st.markdown(f"**Total compté : {api.eur(counted or 0)}**")
    if st.session_state.get("comptage_refus"):
        st.error(plain(st.session_state.pop("comptage_refus")))

with check_side:
    table([{"Moyen": lib, "Montant": api.eur(amount)} for _, lib, amount in summary.per_method],
          empty="Aucun règlement encaissé sur cette journée.", key="moyens")
    st.markdown(f"**Nombre de ticket : {summary.nb_tickets}**"
                + (f" · tickets annulés : {summary.nb_annules}" if summary.nb_annules else "")
                + (f" · retours : {summary.nb_retours}" if summary.nb_retours else ""))
    a, b, c = st.columns(3)
    shown = counted is not None or not summary.comptage_aveugle
    blind = "Comptage à l'aveugle : les espèces attendues s'affichent une fois le compte fait."
    a.metric("Attendues", api.eur(summary.especes_theorique) if shown else "masqué", help=None if shown else blind)
    b.metric("Comptées", api.eur(counted) if counted is not None else "—")
    if counted is not None:
        c.metric("Écart", api.eur(counted - summary.especes_theorique))
    with st.form("valider"):
        accept = st.checkbox("Valider la fermeture malgré l'écart", disabled=not user.can("CAISSE_VALIDER_ECART"))
        comment = st.text_input("Commentaire de l'écart", max_chars=api.TEXT_LIMIT)
        password = st.text_input("Mot de passe du responsable", type="password")
        force = False
        if summary.connectes:
            force = st.checkbox("Forcer la fermeture (les vendeurs seront déconnectés)",
                                disabled=not user.can("CAISSE_FORCER_FERMETURE"))
        submitted = st.form_submit_button("Valider la fermeture", type="primary", disabled=counted is None,
                                          use_container_width=True)
    if counted is None:
        st.caption("Valider la fermeture est grisé tant que les espèces ne sont pas comptées.")

if submitted:
    window = None
    try:
        confirm_password(user, password, code)
        with check_side:
            window = SyncWindow("Synchronisation des données en cours ...") if settings.mode == "auto" else None
        end = api.finish_day(store, settings, code, user, count=count if not direct else None,
                                especes=counted if direct else None, force=force, accept_difference=accept,
                                comment=comment, echo=window)
    except api.CaisseError as e:
        if window:
            window.box.update(label="Fermeture refusée", state="error")
        with check_side:
            st.error(plain(e))
    else:
        for key in ("fermeture", "direct", "montant_direct"):
            st.session_state.pop(key, None)
        printed = ("" if end.z is None else "Le ticket récapitulatif est imprimé." if end.z.printed else
                   "Le ticket récapitulatif est archivé (aucune imprimante réglée)."
                   if settings.printer == "preview" else "Le ticket récapitulatif est archivé.")
        st.session_state["ferme"] = {
            "message": f"Caisse {code} fermée : Z n°{end.closed.numero_z}, écart {api.eur(end.closed.ecart)}. "
                       + printed,
            "warnings": end.warnings, "periods": end.periods,
            "export": f"Journées exportées vers le serveur principal (lot {end.export.lot})." if end.export else "",
            "z": end.z.text_path.read_text(encoding="utf-8") if end.z else "", "log": window.lines if window else []}
        st.rerun()
