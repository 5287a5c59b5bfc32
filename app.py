"""Caisse web: the Streamlit entry. Page setup and navigation, nothing else."""

import streamlit as st

st.set_page_config(page_title="Caisse web", page_icon=":material/point_of_sale:", layout="wide")
st.navigation([
    st.Page("pages/ouverture.py", title="Ouverture", icon=":material/lock_open:", default=True),
    st.Page("pages/synchronisation.py", title="Synchronisation", icon=":material/sync:"),
]).run()
