"""What every page shares: the settings and the store (cached as a path, never as a connection), the
session's user, the synchronisation window, messages kept across a rerun."""

from __future__ import annotations

import streamlit as st

import caisse


@st.cache_resource
def context() -> tuple[caisse.Settings, object]:
    settings = caisse.load_settings()
    store = caisse.open_store(settings)
    startup_problems.extend(caisse.start_app(store, settings) if store.path.exists() else [])
    return settings, store


startup_problems: list[str] = []  # what went wrong when the app started (a key others can read...), shown to all


def current_user() -> caisse.User | None:
    return st.session_state.get("user")


def sign_in(user: caisse.User, then: str | None = None) -> None:
    """Make `user` the session's user, then show page `then` if given."""
    st.session_state["user"] = user
    if then:
        st.switch_page(then)


def sidebar_user() -> None:
    """Who is signed in, with "Se déconnecter"; or a sign-in form for the back-office when nobody is."""
    for problem in startup_problems:
        st.sidebar.error(problem)
    user = current_user()
    if user is None:
        with st.sidebar.form("identification", clear_on_submit=True):
            st.caption("Back-office : identifiez-vous sans ouvrir de caisse.")
            login = st.text_input("Identifiant du back-office")
            password = st.text_input("Mot de passe du back-office", type="password")
            if st.form_submit_button("Se connecter"):
                settings, store = context()
                try:
                    sign_in(caisse.login(store, login.strip(), password))
                    st.rerun()
                except caisse.CaisseError as e:
                    st.error(str(e))
        return
    with st.sidebar:
        st.caption(f"Connecté : **{user.display}** ({user.login})")
        if st.button("Se déconnecter", key="sign_out"):
            connection = st.session_state.pop("connexion", None)
            if connection:
                settings, store = context()
                caisse.disconnect_seller(store, connection[1])
            st.session_state.clear()
            st.rerun()


def require(right: str) -> caisse.User:
    """The session's user, or stop the page with a sentence."""
    user = current_user()
    if user is None:
        st.warning("Identifiez-vous d'abord sur l'écran Ouverture.")
        st.stop()
    if not user.can(right):
        st.error(f"{user.login} n'a pas accès à cet écran ({right}).")
        st.stop()
    return user


class SyncWindow:
    """The seed's synchronisation window: a status box whose log grows line by line as it is called."""

    def __init__(self, title: str):
        self.box = st.status(title, expanded=True)
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        self.box.text(line)


def flash(kind: str, message: str, log: list[str] | None = None) -> None:
    """Keep a message (and the log it came with) for the page's next run, then rerun it."""
    st.session_state["flash"] = (kind, message, log or [])
    st.rerun()


def show_flash() -> None:
    if "flash" not in st.session_state:
        return
    kind, message, log = st.session_state.pop("flash")
    getattr(st, kind)(message)
    if log:
        with st.expander("Journal de la synchronisation"):
            st.code("\n".join(log), language=None, wrap_lines=True)

