"""Ouverture de la caisse (seed 001 2.1-2.3 and 3.2, seed 000 2.1): state, Importer / Ouvrir / Exporter,
then Connecter and Fermer la caisse once open."""

import streamlit as st

from caisse import api
from pages.ui import (
    FAREWELLS,
    SyncWindow,
    context,
    current_user,
    flash,
    plain,
    register_context,
    show_flash,
    sidebar_user,
    sign_in,
    sign_out,
    table,
    training_code,
)

settings, store = context()
sidebar_user()
st.title("Ouverture de la caisse")
flashed = show_flash()
if st.query_params.get("au_revoir") in FAREWELLS:
    st.info(FAREWELLS[st.query_params["au_revoir"]])
try:
    view = api.read_overview(store)
except api.CaisseError as e:
    st.error(plain(e))
    st.stop()

opened_now = st.query_params.get("ouverte")
if opened_now and any(c.code == opened_now and c.etat == "ouverte" for c in view.caisses):
    if not flashed:  # after a sign-out the session's message is gone: the address still says it
        st.success(f"La caisse {plain(opened_now)} est ouverte : les vendeurs peuvent se connecter.")
    last = api.read_history(store, 1)
    if settings.mode == "auto" and last:  # what the import of this opening did, said in a sentence
        run, lines = last[0]
        {"reussi": st.success, "rien": st.info}.get(run.statut, st.warning)(plain(api.sync_outcome(run)))
        if not flashed:  # the message of the opening carries the same journal
            with st.expander("Journal de la synchronisation"):
                st.code("\n".join(message for _, message in lines), language=None, wrap_lines=True)

codes = [c.code for c in view.caisses]
left, right = st.columns(2)
code = left.selectbox("Caisse", codes, key="caisse") if codes else left.text_input("Caisse", value="C01")
user = right.selectbox("Vendeur", view.logins, key="vendeur") if view.logins else right.text_input("Vendeur")
code, user = (code or "").strip(), (user or "").strip()
training = None
if code and not training_code():
    practice = register_context(code)
    if practice:  # this register is in training: it opens, sells and closes in its training home
        settings, store = practice
        training = code
        view = api.read_overview(store)
        st.warning(plain(f"La caisse {code} est en MODE FORMATION : ses ventes sont numérotées à part et ne comptent "
                         "nulle part. Un responsable revient au mode réel dans Réglages."))
state = next((c for c in view.caisses if c.code == code), None)
actions = api.allowed_actions(view, code, settings.mode)
restricted = bool(view.logins) and "CAISSE_OUVRIR" not in view.rights.get(user, frozenset())

if state is None:
    st.info("Aucune donnée importée : choisissez la caisse, le responsable et son mot de passe, puis cliquez sur "
            + ("Importer." if settings.mode == "manual" else "Ouvrir (l'import se fait à l'ouverture)."))
else:
    st.markdown(f"**État de la caisse {plain(code)}** : {plain(state.etat_libelle)}"
                + (f" — {api.plural(state.jours_a_exporter, 'journée')} à exporter" if state.jours_a_exporter
                   else ""))
retry = settings.mode == "auto" and state is not None and state.etat in ("echec_export", "a_exporter")

in_training = bool(training or training_code())
sync_refused = ("en mode formation, rien n'est importé ni exporté : la caisse travaille sur une copie des données "
                "(un responsable revient au mode réel dans Réglages).") if in_training else None
with st.form("ouverture", clear_on_submit=True):
    password = st.text_input("Mot de passe", type="password")
    amount = st.text_input("Montant", value="0,00") if actions.montant and not restricted else None
    if restricted or actions.connecter:
        buttons = st.columns(3)
        clicked = {"connecter": buttons[0].form_submit_button("Connecter", disabled=not actions.connecter),
                   "fermer": not restricted and buttons[1].form_submit_button("Fermer la caisse", type="primary")}
    else:
        offered = [("ouvrir", "Ouvrir", actions.ouvrir, "primary")]
        if settings.mode == "manual":
            offered += [("importer", "Importer", actions.importer and not in_training, "secondary"),
                        ("exporter", "Exporter", actions.exporter and not in_training, "secondary")]
        elif retry and not in_training:  # auto mode: the export of the closing did not go; sent again from here
            offered.append(("exporter", "Réessayer l'export", True, "secondary"))
        offered.sort(key=lambda o: not o[2])  # the first enabled one first: Enter in the password field does it
        buttons = st.columns(3)
        clicked = {name: buttons[i].form_submit_button(label, type=kind if enabled else "secondary",
                                                       disabled=not enabled)
                   for i, (name, label, enabled, kind) in enumerate(offered)}
        stay = st.checkbox("Rester connecté au back-office après l'ouverture", key="rester",
                           help="Sinon l'écran revient à l'ouverture, prêt pour les vendeurs : la caisse est partagée.")

    if restricted:
        st.caption(f"{plain(user)} peut se connecter à une caisse ouverte ; l'ouverture, l'import, l'export et la "
                   "fermeture demandent un responsable.")
    elif not actions.connecter:
        greyed = [("Ouvrir", actions.pourquoi_ouvrir)]
        if settings.mode == "manual":
            greyed += [("Importer", sync_refused or (view.import_blocker if not actions.importer else None)),
                       ("Exporter", sync_refused or actions.pourquoi_exporter)]
        for button, why in greyed:
            if why:
                st.caption(plain(f"{button} est grisé : {why}"))


def signed(who: api.User, then: str = "", **options) -> None:
    """Sign `who` in unless this browser's session is already theirs (then just go on)."""
    current = current_user()
    if current is not None and current.id_utilisateur == who.id_utilisateur and not options.get("id_connexion"):
        if then:
            st.switch_page(f"pages/{then}.py")
        return
    sign_in(who, then, training=training or training_code(), **options)


window = None
try:
    if clicked.get("importer"):
        window = SyncWindow("Synchronisation des données en cours ...")
        result = api.run_import(store, settings, code, user, password, echo=window)
        done = f"Données importées pour la caisse {code} (lot {result.lot}, {result.rows} lignes)."
        if result.missing_core:
            flash("warning", f"{done} {' '.join(result.warnings)}", window.lines)
        flash("success", f"{done} La caisse peut maintenant être ouverte.", window.lines)
    elif clicked.get("ouvrir"):
        fond = api.parse_amount(amount, "Le montant")
        window = SyncWindow("Synchronisation des données en cours ...") if settings.mode == "auto" else None
        opened = api.open_register(store, settings, code, user, password, fond, echo=window)
        st.session_state["flash"] = ("success", f"La caisse {code} est ouverte (fond de caisse "
                                                f"{api.eur(opened.fond)}). Les vendeurs peuvent se connecter.",
                                     window.lines if window else [])
        if stay:
            signed(opened.user, query=f"?ouverte={code}")
        elif current_user() is not None:  # the back-office does not stay signed in on a shared till
            sign_out("ouverte", opened=code)
        st.query_params["ouverte"] = code
        st.rerun()
    elif clicked.get("exporter"):
        who = api.login(store, user, password, caisse=code)
        window = SyncWindow("Synchronisation des données en cours ...")
        result = api.run_export(store, settings, code, who, echo=window)
        flash("success", f"Journées exportées vers le serveur principal (lot {result.lot}).", window.lines)
    elif clicked.get("connecter"):
        who = api.login(store, user, password, caisse=code)
        signed(who, "vente", caisse_code=code, id_connexion=api.connect_seller(store, code, who))
    elif clicked.get("fermer"):
        who = api.login(store, user, password, caisse=code)
        api.require(who, "CAISSE_FERMER")
        st.session_state["fermeture"] = code
        signed(who, "fermeture", query=f"?caisse={code}")
except api.CaisseError as e:
    if window is not None:
        window.box.update(label="Synchronisation interrompue", state="error")
    st.error(plain(e))

if view.caisses:
    with st.expander("Toutes les caisses"):
        table([{"Caisse": c.code, "Libellé": c.libelle, "État": c.etat_libelle,
                "Journées à exporter": c.jours_a_exporter} for c in view.caisses], key="caisses")
