"""What every page shares: the settings and the store (cached as a path, never as a connection), the signed-in
session (held server-side, found again from the browser's cookie), the synchronisation window, messages kept
across a rerun."""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta
from html import escape
from urllib.parse import quote

import streamlit as st

from caisse import api
from caisse.common import incidents
from pages.browser import COOKIE, set_cookie

LOCAL_BROWSER = "navigateur du serveur"  # the sign-in throttle's name for a browser on the register server
COOKIE_SECONDS = 12 * 3600  # the browser forgets the token after a long day; the server ends idle sessions sooner


@st.cache_resource
def home_context(training: str | None = None) -> tuple[api.Settings, object]:
    """The real home's settings and store; with `training` (a register's code), that register's training home."""
    if training:
        practice = api.training_settings(home_context(None)[0], training)
        return practice, api.open_store(practice)
    settings = api.load_settings()
    incidents.log_to(settings.logs_dir)
    store = api.open_store(settings)
    startup_problems[:] = api.start_app(store, settings) if store.path.exists() else []  # this start's own
    return settings, store


def training_code() -> str | None:
    """The register whose training home this browser's session works in, or None (the real home): found where the
    session is recorded, among the registers in training now (once per run), never read from the cookie."""
    if "_maison" not in st.session_state:
        settings, store = home_context(None)
        st.session_state["_maison"] = api.session_home(store, settings, _token())
    return st.session_state["_maison"]


def context() -> tuple[api.Settings, object]:
    """The settings and store this browser works with: its training home's while its session is a training one."""
    return home_context(training_code())


def register_context(code: str) -> tuple[api.Settings, object] | None:
    """The training home of a register in training, else None (it works in the real home)."""
    return home_context(code) if api.in_training(home_context(None)[1], code) else None


def unexpected(error: BaseException) -> str:
    """What a person sees of an error we did not foresee: one French sentence with a reference; the traceback
    goes to the app's log under that reference, never to the page."""
    ref = incidents.record(error)
    return (f"Une erreur inattendue a interrompu cette action (réf. {ref}). Ce qui était déjà enregistré est "
            "conservé. Réessayez ; si elle revient, donnez cette référence au responsable (elle est dans le "
            "journal application.log du serveur caisse).")


def guarded(action):
    """A page's action, a widget's callback or a fragment: a CaisseError shows its sentence, anything else the
    sentence of `unexpected`; the rest of the page stays."""
    @functools.wraps(action)
    def run(*args, **kwargs):
        try:
            return action(*args, **kwargs)
        except api.CaisseError as e:
            st.error(plain(e))
        except Exception as e:  # noqa: BLE001 (Streamlit's stop and rerun are BaseExceptions: they pass)
            st.error(unexpected(e))
    return run


startup_problems: list[str] = []  # what went wrong when the app started (a key others can read...), shown to all


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=])")
_AUTOLINK = re.compile(r"(?i)(https?\\:|ftp\\:|www|mailto\\:|@)")


def plain(text) -> str:
    """A text from the store (a name, a label, a code) made inert for st.markdown: every character Markdown or
    Streamlit's own syntax (:material/...:, :red[...]) could read is escaped, so it shows as typed. Every
    Streamlit text that reads Markdown (messages, labels of buttons, expanders, checkboxes...) gets it."""
    escaped = _MARKDOWN.sub(r"\\\1", str(text if text is not None else "—"))
    return _AUTOLINK.sub("\\1\u2060", escaped)  # a web or mail address stays text: an invisible joiner breaks it


LINE = "<div class='ligne'></div>"


def bars(items: list[tuple[str, object]], title: str) -> None:
    """A bar per item (a label, an amount): above the line for a positive amount, below for a negative one,
    each with its amount written in euros. Plain HTML: no library, no English, readable as text."""
    top = max((abs(v) for _, v in items), default=0) or 1
    positive, negative = any(v > 0 for _, v in items), any(v < 0 for _, v in items)
    positive = positive or not negative  # all at zero: the line alone
    cells = []
    for label, value in items:
        height = int(70 * abs(value) / top) if value else 0
        up = f"<div class='moitie'><div class='haut' style='height:{height if value > 0 else 0}px'></div></div>"
        down = (f"<div class='moitie dessous'><div class='bas' style='height:{height if value < 0 else 0}px'>"
                "</div></div>")
        cells.append(f"<div class='barre' title='{escape(label)} : {escape(api.eur(value))}'>"
                     f"<span class='montant'>{escape(api.eur(value))}</span>{up if positive else ''}"
                     f"{down if negative else LINE}<span class='jour'>{escape(label)}</span>"
                     "</div>")
    st.html(f"<figure class='barres'><figcaption>{escape(title)}</figcaption><div class='rangee'>{''.join(cells)}"
            "</div></figure>")


def _cell(value) -> str:
    text = "—" if value is None or value == "" else str(value)
    return f"<td class='long'>{escape(text)}</td>" if len(text) > 32 else f"<td>{escape(text)}</td>"


def table(rows: list[dict], empty: str = "Aucune ligne.", page_size: int = 100, key: str = "table") -> None:
    """Rows as a plain HTML table: every value shown as text (never Markdown or HTML), None as "—", in
    pages of `page_size` rows with their count; `empty` when there are none."""
    if not rows:
        st.info(empty)
        return
    pages = (len(rows) + page_size - 1) // page_size
    page = 1
    if pages > 1:
        page = st.number_input(f"Page (sur {pages})", min_value=1, max_value=pages, step=1, key=f"{key}-page")
        st.caption(f"Lignes {(page - 1) * page_size + 1} à {min(page * page_size, len(rows))} sur "
                   f"{len(rows):,}".replace(",", "\u202f"))
    shown = rows[(page - 1) * page_size:page * page_size]
    head = "".join(f"<th>{escape(str(c))}</th>" for c in shown[0])
    body = "".join("<tr>" + "".join(_cell(v) for v in row.values()) + "</tr>" for row in shown)
    st.html(f"<div class='tableau'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _token() -> str | None:
    """The session cookie of this browser. A real browser's request carries its cookie, and only that counts:
    a copied Streamlit session id, without the cookie, carries nobody. (AppTest has no browser: it keeps the
    token in the session state.)"""
    if st.context.headers:
        return st.context.cookies.get(COOKIE)
    return st.session_state.get("jeton")


def begin_run() -> None:
    """Called by app.py at the start of every full run: the session is read once per run, and sign-ins are
    counted against the browser's address."""
    st.session_state.pop("_session", None)
    st.session_state.pop("_maison", None)
    # Streamlit says None for a browser on the server itself: it is its own place, apart from the console's
    api.from_source((st.context.ip_address or LOCAL_BROWSER) if st.context.headers else None)


def current_session(fresh: bool = False, in_callback: bool = False) -> api.Session | None:
    """The signed-in session, once per run (`fresh`: again, for a fragment's rerun); None when nobody is, or
    when it is paused (idle). A widget's callback reads it `in_callback`: the run that follows uses that read
    (the callback's action updated it) instead of reading it again."""
    reuse = st.session_state.pop("_session_du_rappel", False)
    if "_session" in st.session_state and (not fresh or reuse) and not in_callback:
        return st.session_state["_session"]
    if in_callback:
        st.session_state["_session_du_rappel"] = True
    settings, store = context()
    session = None
    st.session_state.pop("en_pause", None)
    try:
        session = api.resume_session(store, _token(), timedelta(minutes=settings.idle_minutes))
    except api.SessionExpired as paused:
        st.session_state["en_pause"] = str(paused)
    st.session_state["_session"] = session
    return session


def confirm_password(user: api.User, password: str, caisse_code: str | None = None) -> None:
    """A privileged action (closing, export, void, unlock...) asks for the signed-in user's password again:
    a copied session alone cannot do it. A wrong one counts like a failed login."""
    settings, store = context()
    if not password:
        raise api.LoginFailed(user.login, "Saisissez votre mot de passe pour confirmer cette action.")
    api.login(store, user.login, password, caisse=caisse_code, sign_in=False)


def current_user() -> api.User | None:
    session = current_session()
    return session.user if session else None


def sign_in(user: api.User, then: str = "", caisse_code: str | None = None, id_connexion: str | None = None,
            query: str = "", training: str | None = None) -> None:
    """Open a session for `user` and go to page `then` (its url path; "" for the opening screen). In a browser the
    token becomes a cookie and the page is loaded again, so that every later request carries it. `training`: the
    register whose training home the session works in."""
    settings, store = home_context(training)
    token = api.open_session(store, user, caisse_code, id_connexion)  # its home is where it is recorded
    st.session_state["jeton"] = token
    st.session_state.pop("_session", None)
    st.session_state.pop("_maison", None)
    if st.context.headers:
        set_cookie(token, COOKIE_SECONDS, f"./{then}{query}")
        st.stop()
    if then:
        st.switch_page(f"pages/{then}.py")
    st.rerun()


FAREWELLS = {"fin": "Vous êtes déconnecté.",
             "ouverte": "Vous êtes déconnecté du back-office : la caisse reste prête pour les vendeurs.",
             "attente": "Vous êtes déconnecté. Le ticket en cours a été mis en attente : reprenez-le avec Reprise "
                        "après vous être connecté."}


def sign_out(said: str = "fin", opened: str | None = None) -> None:
    """End the session (and the seller's connection to the register), forget the token, and go to the opening
    screen, which says `said` (a key of FAREWELLS: nothing from the address is ever shown as is); `opened`: the
    register just opened, which the opening screen then says so."""
    settings, store = context()
    session = current_session()
    if session and session.id_connexion:
        api.disconnect_seller(store, session.id_connexion)
    api.close_session(store, _token())
    st.session_state.clear()
    if st.context.headers:
        set_cookie(None, 0, f"./?au_revoir={said if said in FAREWELLS else 'fin'}"
                   + (f"&ouverte={quote(opened)}" if opened else ""))
        st.stop()
    st.session_state["flash"] = ("info", FAREWELLS.get(said, FAREWELLS["fin"]), [])
    if opened:
        st.query_params["ouverte"] = opened
    st.switch_page("pages/ouverture.py")


def sidebar_user() -> None:
    """Who is signed in, with "Se déconnecter"; or a sign-in form for the back-office when nobody is."""
    for problem in startup_problems:
        st.sidebar.error(plain(problem))
    if training_code():
        st.warning(plain(f"MODE FORMATION — caisse {training_code()} : ventes d'entraînement, qui ne comptent nulle "
                         "part."))
    user = current_user()
    if user is None:
        paused()
        with st.sidebar.form("identification", clear_on_submit=True):
            st.caption("Back-office : identifiez-vous sans ouvrir de caisse.")
            login = st.text_input("Identifiant du back-office")
            password = st.text_input("Mot de passe du back-office", type="password")
            if st.form_submit_button("Se connecter"):
                settings, store = context()
                try:
                    sign_in(api.login(store, login.strip(), password))
                except api.CaisseError as e:
                    st.error(plain(e))
        return
    with st.sidebar:
        st.caption("Connecté :")
        st.text(f"{user.display} ({user.login})")
        if st.button("Se déconnecter", key="sign_out"):
            sign_out()


def paused() -> None:
    """A session idle too long: the seller's password (or PIN) brings it back, on the same ticket."""
    message = st.session_state.get("en_pause")
    if not message:
        return
    st.warning(plain(message))
    with st.form("reprendre", clear_on_submit=True):
        secret = st.text_input("Mot de passe ou code", type="password")
        if st.form_submit_button("Reprendre", type="primary"):
            settings, store = context()
            try:
                api.unlock_session(store, _token(), secret)
                st.session_state.pop("en_pause", None)
                st.session_state.pop("_session", None)
                st.rerun()
            except api.CaisseError as e:
                st.error(plain(e))
    st.stop()


def require(right: str) -> api.User:
    """The session's user, or stop the page with a sentence and the way back to Ouverture (never a dead end)."""
    user = current_user()
    if user is None:
        paused()
        if not st.session_state.get("en_pause"):
            st.warning("Identifiez-vous d'abord : sur l'écran Ouverture pour une caisse, ou dans la barre de gauche "
                       "(Back-office) pour les écrans de gestion.")
        st.page_link("pages/ouverture.py", label="Aller à l'écran Ouverture", icon=":material/lock_open:")
        st.stop()
    if not user.can(right):
        st.error(plain(f"{user.display} n'a pas accès à cet écran : il faut le droit de "
                       f"{api.RIGHT_WORDS.get(right, right)}."))
        st.page_link("pages/ouverture.py", label="Aller à l'écran Ouverture", icon=":material/lock_open:")
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


def show_flash() -> bool:
    """Show the message the last action left, once; say whether there was one."""
    if "flash" not in st.session_state:
        return False
    kind, message, log = st.session_state.pop("flash")
    getattr(st, kind)(plain(message))
    if log:
        with st.expander("Journal de la synchronisation"):
            st.code("\n".join(log), language=None, wrap_lines=True)
    return True


def period_picker(store) -> tuple[date, date, str | None]:
    """A period (the usual ones, or two dates typed) and a register (or all): (start, end, code or None)."""
    today = date.today()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    periods = {"Les 31 derniers jours": (today - timedelta(days=30), today),
               "Ce mois-ci": (today.replace(day=1), today),
               "Le mois dernier": (last_month_end.replace(day=1), last_month_end),
               "Les 7 derniers jours": (today - timedelta(days=6), today),
               "Cette année": (today.replace(month=1, day=1), today),
               "Autre période…": None}
    a, b, c = st.columns([2, 2, 1])
    period = a.selectbox("Période", list(periods))
    codes = [s.code for s in api.read_overview(store).caisses]
    chosen = c.selectbox("Caisse", ["Toutes"] + codes)
    start, end = periods[period] or (None, None)
    if start is None:
        left, right = b.columns(2)
        try:
            start = api.parse_day(left.text_input("Du", value=f"{today - timedelta(days=30):%d/%m/%Y}"), "Le début")
            end = api.parse_day(right.text_input("Au", value=f"{today:%d/%m/%Y}"), "La fin")
        except api.CaisseError as e:
            st.error(plain(e))
            st.stop()
        if end < start:
            st.error("La fin de la période est avant son début : corrigez les dates.")
            st.stop()
    else:
        b.text(f"du {api.day_text(start)} au {api.day_text(end)}")
    return start, end, None if chosen == "Toutes" else chosen
