"""Caisse web: the Streamlit entry. Page setup, the session's user, navigation; nothing else."""

import streamlit as st

from pages.ui import current_user

st.set_page_config(page_title="Caisse web", page_icon=":material/point_of_sale:", layout="wide")
user = current_user()
pages = [st.Page("pages/ouverture.py", title="Ouverture", icon=":material/lock_open:", default=True)]
if user is not None:
    pages += [st.Page("pages/vente.py", title="Vente", icon=":material/shopping_cart:"),
              st.Page("pages/fermeture.py", title="Fermeture", icon=":material/lock:")]
    if user.can("BACKOFFICE"):
        pages += [st.Page("pages/rapprochement.py", title="Rapprochement", icon=":material/balance:"),
                  st.Page("pages/synchronisation.py", title="Synchronisation", icon=":material/sync:"),
                  st.Page("pages/journal.py", title="Journal", icon=":material/history:"),
                  st.Page("pages/reglages.py", title="Réglages", icon=":material/settings:")]
st.navigation(pages).run()
