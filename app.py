"""Caisse web: the Streamlit entry. Page setup, navigation, and a menu drawn from the session user's rights;
nothing else. Every page is registered (so that any may be switched to), and every page checks the right
it needs itself: before a sign-in only the opening screen shows anything."""

from pathlib import Path

import streamlit as st

from pages.browser import french
from pages.ui import begin_run, current_user, unexpected

# A local icon: a Material icon name would be fetched from fonts.gstatic.com, and the app never calls out.
st.set_page_config(page_title="Caisse web", page_icon=str(Path(__file__).parent / "pages" / "assets" / "caisse.png"),
                   layout="wide")
PAGES = [  # (page, the right that shows it in the menu; None: everyone)
    (st.Page("pages/ouverture.py", title="Ouverture", icon=":material/lock_open:", default=True), None),
    (st.Page("pages/vente.py", title="Vente", icon=":material/shopping_cart:"), "CAISSE_VENDRE"),
    (st.Page("pages/retour.py", title="Retour", icon=":material/undo:"), "CAISSE_RETOUR"),
    (st.Page("pages/mouvements.py", title="Caisse du jour", icon=":material/payments:"), "CAISSE_MOUVEMENT"),
    (st.Page("pages/fermeture.py", title="Fermeture", icon=":material/lock:"), "CAISSE_FERMER"),
    (st.Page("pages/rapprochement.py", title="Rapprochement", icon=":material/balance:"), "BACKOFFICE"),
    (st.Page("pages/ventes.py", title="Ventes", icon=":material/sell:"), "BACKOFFICE"),
    (st.Page("pages/synchronisation.py", title="Synchronisation", icon=":material/sync:"), "BACKOFFICE"),
    (st.Page("pages/journal.py", title="Journal", icon=":material/history:"), "BACKOFFICE"),
    (st.Page("pages/reglages.py", title="Réglages", icon=":material/settings:"), "BACKOFFICE"),
]
navigation = st.navigation([page for page, _ in PAGES], position="hidden")
french()
begin_run()
try:
    user = current_user()
    with st.sidebar:
        for page, right in PAGES:
            if right is None or (user is not None and user.can(right)):
                st.page_link(page)
    navigation.run()
except Exception as error:  # noqa: BLE001 (st.stop, st.rerun and switch_page are BaseExceptions: they pass)
    st.error(unexpected(error))
