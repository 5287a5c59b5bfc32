"""Réglages: the main server's drop ("Tester la connexion"), the printer ("Imprimer un ticket de test"), the sync
mode, the parameters received from the main server, and the accounts held back after failed passwords (a
manager lets them in again). The settings themselves change in caisse.toml, never from a browser."""

import streamlit as st

from caisse import api
from pages.ui import (
    confirm_password,
    context,
    home_context,
    plain,
    require,
    show_flash,
    sidebar_user,
    table,
    training_code,
)

settings, store = context()
sidebar_user()
user = require("BACKOFFICE")
st.title("Réglages")
show_flash()
st.caption("Ces réglages se changent dans le fichier caisse.toml du serveur caisse (voir le README), puis en "
           "relançant le serveur caisse : jamais depuis un navigateur.")

st.subheader("Serveur principal")
st.text(f"Adresse : {settings.drop_shown}\nDossier d'import : /{settings.import_dir}\n"
        f"Dossier d'export : /{settings.export_folder('<code de la caisse>')}")
if settings.drop.startswith("sftp://"):
    st.text(f"Clé : {settings.sftp_key or '—'} · known_hosts : {settings.sftp_known_hosts or '—'} · mot de passe : "
            f"{'défini' if settings.sftp_password or ':***@' in settings.drop_shown else 'non'} · délai "
            f"{settings.sftp_timeout:g} s".replace(".", ","))
if st.button("Tester la connexion"):
    try:
        st.success(plain(api.test_drop(settings)))
    except api.CaisseError as e:
        st.error(plain(e))

st.subheader("Imprimante")
st.text(f"{api.printer_words(settings.printer).capitalize()} · {settings.printer_width} colonnes · ticket à "
        f"chaque vente : {'oui' if settings.print_receipts else 'non'}")
if st.button("Imprimer un ticket de test"):
    try:
        printed = api.print_test_page(store, settings, user)
        where = api.printer_words(settings.printer)
        (st.warning if printed.warning else st.success)(plain(printed.warning or f"Ticket de test envoyé ({where})."))
        st.code(printed.text_path.read_text(encoding="utf-8"), language=None)
    except api.CaisseError as e:
        st.error(plain(e))

st.subheader("Synchronisation")
st.text(f"Mode {settings.mode_words}.")

st.subheader("Paramètres reçus du serveur principal")
try:
    table([{"Paramètre": label, "Valeur": value} for label, value in api.shop_parameters(store)],
          key="parametres")
except api.CaisseError as e:
    st.error(plain(e))

st.subheader("Mode formation")
real_settings, real_store = home_context(None)
if training_code():
    st.info("Ce navigateur travaille en mode formation : déconnectez-vous, puis identifiez-vous sur le back-office "
            "réel pour changer le mode d'une caisse.")
else:
    trained = api.trained(real_store)
    registers = [s.code for s in api.register_states_of(real_store)]
    st.text("Caisses en formation : " + (", ".join(sorted(trained)) if trained else "aucune") + ".")
    st.caption("En formation, une caisse ouvre, vend et ferme sur une copie des données : ses tickets sont numérotés "
               "à part, portent MODE FORMATION et ne comptent nulle part. Entrer et sortir sont inscrits au journal.")
    if registers:
        with st.form("formation", clear_on_submit=True):
            code = st.selectbox("Caisse", registers, key="caisse_formation")
            password = st.text_input("Votre mot de passe pour le mode formation", type="password",
                                     key="mdp_formation")
            left, right = st.columns(2)
            enter = left.form_submit_button("Passer en mode formation")
            leave = right.form_submit_button("Revenir au mode réel")
            if enter or leave:
                try:
                    confirm_password(user, password)
                    said = api.training_switch(real_store, real_settings, code, user, bool(enter))
                except api.CaisseError as e:
                    st.error(plain(e))
                else:  # shown again from the top: the list of registers in training says the new state
                    st.session_state["flash"] = ("success", said, [])
                    st.rerun()

st.subheader("Postes ralentis après des mots de passe erronés")
held = api.held_sources(store)
table([{"Poste (adresse) ou identifiant": source, "Échecs de suite": n, "Dernier échec": api.moment_text(last),
        "Attente jusqu'à": api.moment_text(until) if until else "—"} for source, n, last, until in held],
      empty="Aucun poste n'est ralenti : pas d'échecs répétés depuis 15 minutes.", key="postes")
if held:
    with st.form("debloquer", clear_on_submit=True):
        source = st.selectbox("Poste à débloquer", [h[0] for h in held])
        password = st.text_input("Votre mot de passe", type="password")
        if st.form_submit_button("Débloquer ce poste"):
            try:
                confirm_password(user, password)
                api.release_source(store, user, source)
            except api.CaisseError as e:
                st.error(plain(e))
            else:  # shown again from the top: the table no longer lists the post
                st.session_state["flash"] = ("success", f"Le poste {source} peut de nouveau se connecter (enregistré "
                                                        "au journal).", [])
                st.rerun()
