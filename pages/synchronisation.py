"""Synchronisation: each run as a column of cells (its steps with their log and timing), the history of runs,
and one-click Import and Export under the rules of the opening screen."""

from datetime import datetime

import streamlit as st

from caisse import api
from pages.ui import SyncWindow, confirm_password, context, plain, require, show_flash, sidebar_user, table

settings, store = context()
sidebar_user()
user = require("BACKOFFICE")
st.title("Synchronisation")
st.caption(plain(f"Serveur principal : {settings.drop_shown} · mode {settings.mode_words}"))

STEPS = [("Connexion et réception", ("Synchronisation", "Réception")),
         ("Vérification du manifeste", ("Manifeste",)), ("Lecture et validation des fichiers", ("Fichier",)),
         ("Chargement (une transaction)", ("***", "DELETE FROM")),
         ("Nettoyage du serveur principal", ("Suppression",)),
         ("Collecte et écriture du lot", ("Export du lot", "Écriture")), ("Envoi", ("Envoi",)),
         ("Fin", ("Import terminé", "Export terminé", "Import interrompu", "Export interrompu", "Rien n'a"))]


def cells(lines: list[tuple[datetime, str]]) -> list[tuple[str, list[tuple[datetime, str]]]]:
    """The run's log cut into the pipeline's steps, in order."""
    out: list[tuple[str, list]] = []
    for ts, message in lines:
        step = next((name for name, starts in STEPS if message.startswith(starts)), out[-1][0] if out else "Début")
        if not out or out[-1][0] != step:
            out.append((step, []))
        out[-1][1].append((ts, message))
    return out


def show_previews() -> None:
    """What the last import read, table by table (kept across the rerun that redraws the buttons)."""
    previews = st.session_state.pop("sync-apercus", None)
    if previews:
        st.subheader("Lecture et validation : aperçu de chaque table")
        for name, (rows, preview) in previews.items():
            with st.expander(plain(f"{name} · {api.plural(rows, 'ligne')} chargée{'s' if rows > 1 else ''}")):
                table(preview, empty="Table vide.", key=f"apercu-{name}")


show_flash()
show_previews()
view = api.read_overview(store)
codes = [c.code for c in view.caisses]
code = st.selectbox("Caisse", codes, key="sync-caisse") if codes else st.text_input("Caisse", value="C01")
actions = api.allowed_actions(view, code, "manual")  # the opening screen's rules, whatever the mode
in_training = api.in_training(store, code) or settings.formation
why_not_import = ("en mode formation, rien n'est importé ni exporté" if in_training else view.import_blocker
                  or (None if actions.importer else "la caisse ne peut pas importer maintenant."))
why_not_export = "en mode formation, rien n'est importé ni exporté" if in_training else actions.pourquoi_exporter
def show_prices(prices) -> None:
    """The prices a lot changes (read before it is applied, or the one just applied): the counts, the largest."""
    if prices is None:
        return
    st.info(plain(api.price_words(prices) + (" Les étiquettes à imprimer sont sur l'écran Ventes." if prices.up or
                                             prices.down else "")))
    if prices.first:
        table([{"Code": code, "Article": label, "Taille, couleur": variant or None, "Avant": api.eur(before),
                "Après": api.eur(after)} for code, label, variant, before, after in prices.first],
              key="prix-changes")


with st.form("sync"):
    password = st.text_input("Votre mot de passe", type="password")
    a, b, c = st.columns(3)
    do_import = a.form_submit_button("Importer", disabled=why_not_import is not None)
    do_export = b.form_submit_button("Exporter", disabled=why_not_export is not None)
    do_preview = c.form_submit_button("Voir les prix du lot", disabled=why_not_import is not None,
                                      help="Lire le lot sans l'appliquer : les prix en hausse, en baisse, nouveaux")
for button, why in (("Importer", why_not_import), ("Exporter", why_not_export)):
    if why:
        st.caption(plain(f"{button} est grisé : {why}"))
if do_preview:
    window = SyncWindow("Lecture du lot (sans l'appliquer) ...")
    try:
        seen = api.run_import(store, settings, code, user.login, password, echo=window, preview=True)
    except api.CaisseError as e:
        window.box.update(label="Lecture interrompue", state="error")
        st.error(plain(e))
    else:
        window.box.update(label="Lot lu, rien n'est appliqué", state="complete", expanded=False)
        st.session_state["sync-prix"] = seen.prices
show_prices(st.session_state.get("sync-prix"))
if do_import or do_export:
    window = SyncWindow("Synchronisation des données en cours ...")
    try:
        if do_import:
            result = api.run_import(store, settings, code, user.login, password, echo=window)
            st.session_state["sync-apercus"] = {name: (result.tables.get(name, 0), preview)
                                                for name, preview in result.previews.items()}
            st.session_state["sync-prix"] = result.prices
            done = f"Données importées pour la caisse {code} (lot {result.lot}, {api.plural(result.rows, 'ligne')})."
        else:
            confirm_password(user, password, code)
            result = api.run_export(store, settings, code, user, echo=window)
            done = f"Journées exportées vers le serveur principal (lot {result.lot})."
    except api.CaisseError as e:
        window.box.update(label="Synchronisation interrompue", state="error")
        st.error(plain(e))
    else:  # drawn again from the top: the buttons and their reasons say what is allowed now
        st.session_state["flash"] = ("success", done, window.lines)
        st.rerun()

for run, lines in api.read_history(store):
    icon = {"reussi": ":material/check_circle:", "rien": ":material/info:"}.get(run.statut, ":material/error:")
    label = f"{run.debut:%d/%m/%Y %H:%M:%S} · {run.sens} · caisse {run.caisse} · lot {run.lot or '—'}"
    with st.expander(plain(label), icon=icon):
        if run.message:
            (st.info if run.statut == "rien" else st.error)(plain(run.message))
        for step, step_lines in cells(lines):
            seconds = (step_lines[-1][0] - step_lines[0][0]).total_seconds()
            failed = any("interrompu" in m for _, m in step_lines)
            duration = f"{seconds:.2f}".replace(".", ",")
            st.markdown(f"{'❌' if failed else '✔'} **{plain(step)}** · {api.plural(len(step_lines), 'ligne')} · "
                        f"{duration} s")
            st.code("\n".join(f"{ts:%H:%M:%S} {m}" for ts, m in step_lines), language=None, wrap_lines=True)
