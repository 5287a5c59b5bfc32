"""Réglages: the main server's drop ("Tester la connexion"), the printer ("Imprimer un ticket de test"), the sync
mode, and the parameters received from the main server."""

import streamlit as st

import caisse
from pages.ui import context, require, sidebar_user

settings, store = context()
sidebar_user()
require("BACKOFFICE")
st.title("Réglages")
st.caption("Ces réglages se changent dans caisse.toml ou par les variables CAISSE_* (voir le README), puis en "
           "relançant le serveur caisse.")

st.subheader("Serveur principal")
st.write(f"Adresse : `{settings.drop}` · dossier d'import : `/{settings.import_dir}` · dossier d'export : "
         f"`{settings.export_dir}`")
if settings.drop.startswith("sftp://"):
    st.write(f"Clé : `{settings.sftp_key or '—'}` · known_hosts : `{settings.sftp_known_hosts or '—'}` · mot de "
             f"passe : {'défini' if settings.sftp_password else 'non'} · délai {settings.sftp_timeout:g} s")
if st.button("Tester la connexion"):
    try:
        st.success(caisse.test_drop(settings))
    except caisse.CaisseError as e:
        st.error(str(e))

st.subheader("Imprimante")
st.write(f"`{settings.printer}` · {settings.printer_width} colonnes · ticket à chaque vente : "
         f"{'oui' if settings.print_receipts else 'non'}")
if st.button("Imprimer un ticket de test"):
    printed = caisse.print_document(store, settings, caisse.check_page(settings))
    (st.warning if printed.warning else st.success)(printed.warning or f"Ticket de test envoyé à {settings.printer}.")
    st.code(printed.text_path.read_text(encoding="utf-8"), language=None)

st.subheader("Synchronisation")
st.write("Mode **manuel** : boutons Importer et Exporter (manuel 001)." if settings.mode == "manual" else
         "Mode **automatique** : import à l'ouverture, export à la fermeture (manuel 000).")

st.subheader("Paramètres reçus du serveur principal")
params = caisse.read_parameters(store)
st.write(f"Tolérance d'écart : {params.get('tolerance_ecart', '0.00')} € · comptage à l'aveugle : "
         f"{params.get('comptage_aveugle', 'non')} · devise : {params.get('devise', 'EUR')}")
st.dataframe([{"Clé": k, "Valeur": v} for k, v in params.items()], hide_index=True)
