"""Ouverture de la caisse (seed 001, 2.1 and 2.2): register states and the import."""

import streamlit as st

import caisse
from pages.ui import SyncWindow, context, flash, show_flash

settings, store = context()
st.title("Ouverture de la caisse")
show_flash()

try:
    view = caisse.read_overview(store)
except caisse.CaisseError as e:
    st.error(str(e))
    st.stop()

if view.caisses:
    st.dataframe([{"Caisse": c.code, "Libellé": c.libelle, "État": c.etat_libelle,
                   "Journées à exporter": c.jours_a_exporter} for c in view.caisses],
                 hide_index=True, use_container_width=True)
else:
    st.info("Aucune donnée importée : choisissez la caisse, saisissez l'identifiant du responsable et "
            "son mot de passe, puis cliquez sur Importer.")

with st.form("import"):
    codes = [c.code for c in view.caisses]
    code = st.selectbox("Caisse", codes) if codes else st.text_input("Caisse", value="C01")
    user = st.selectbox("Vendeur", view.logins) if view.logins else st.text_input("Vendeur")
    password = st.text_input("Mot de passe", type="password")
    if view.import_blocker:
        st.caption(f"Import impossible : {view.import_blocker}")
    submitted = st.form_submit_button("Importer", disabled=view.import_blocker is not None)

if submitted:
    window = SyncWindow("Synchronisation des données en cours ...")
    try:
        result = caisse.run_import(store, settings, code, user, password, echo=window)
    except caisse.CaisseError as e:
        window.box.update(label="Import interrompu", state="error")
        st.error(str(e))
    else:
        # As in the manual: once the import is done, the opening page comes back in its new state.
        flash("success", f"Données importées pour la caisse {code} (lot {result.lot}, {result.rows} lignes). "
                         "La caisse peut maintenant être ouverte.", window.lines)
