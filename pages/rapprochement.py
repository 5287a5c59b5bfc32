"""Rapprochement: per day and register, float, takings, moves, expected, counted, difference (who validated it,
the comment); one bar per day; a day's tickets, with a receipt or the Z reprinted (DUPLICATA) and a sale of
the open day voided (reason, right, password); the CSV for French Excel."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import streamlit as st

from caisse import api
from pages.ui import bars, confirm_password, context, period_picker, plain, require, show_flash, sidebar_user, table

settings, store = context()
sidebar_user()
user = require("BACKOFFICE")
st.title("Rapprochement")
show_flash()

start, end, chosen = period_picker(store)
days = api.reconciliation(store, start, end, chosen)
MONEY = ("Fond", "Espèces", "Carte", "Autres", "Mouvements", "Attendu", "Compté", "Écart")


def shown(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        if key in MONEY:
            value = api.eur(value)
        elif key in ("Ouverture", "Fermeture"):
            value = api.moment_text(value, seconds=False)
        elif key == "Fermeture forcée":
            value = "oui" if value else "non"
        out[key] = value
    return out


table([shown(row) for row in api.reconciliation_rows(days)],
      empty=f"Aucune journée fermée du {api.day_text(start)} au {api.day_text(end)}.", key="journees")
if days:
    st.download_button("Télécharger en CSV (Excel)", api.reconciliation_csv(days),
                       file_name=f"rapprochement_{start:%Y%m%d}_{end:%Y%m%d}.csv", mime="text/csv")
    per_day: dict[date, Decimal] = defaultdict(Decimal)
    for d in days:
        per_day[d.fermeture.date()] += d.ecart
    bars([(f"{day:%d/%m}", per_day[day]) for day in sorted(per_day)],
         "Écarts de caisse par journée" + ("" if any(d.ecart for d in days) else " : aucun écart sur la période"))

st.subheader("Détail d'une journée")
labels = {f"{code} · journée en cours (ouverte le {api.moment_text(opened, seconds=False)})": (code, ident, None)
          for code, ident, opened in api.open_days(store)}
labels |= {f"{d.caisse} · Z n°{d.numero_z} · {api.day_text(d.fermeture)}": (d.caisse, d.id_journee, d.numero_z)
           for d in days}
if not labels:
    st.info("Aucune journée à détailler sur cette période.")
    st.stop()
code, id_journee, numero_z = labels[st.selectbox("Journée", list(labels))]
tickets = api.day_tickets(store, id_journee)
table([{"N°": t.numero, "Heure": api.moment_text(t.moment), "Vendeur": t.vendeur,
        "Type": api.TYPE_WORDS[t.type_ticket] + (f" du n°{t.origine}" if t.origine else ""),
        "Total": api.eur(t.total_ttc),
        "Règlements": ", ".join(f"{label} {api.eur(amount)}" for label, amount in t.reglements or [])}
       for t in tickets], empty="Aucun ticket sur cette journée.", key="tickets")


def printed_message(printed, what: str) -> None:
    if printed.warning:
        st.warning(plain(printed.warning))
    else:
        where = api.printer_words(settings.printer)
        st.success(plain(f"{what} : DUPLICATA n°{printed.duplicata} enregistré ({where})."
                         if printed.duplicata else f"{what} imprimé ({where})."))
    st.code(printed.text_path.read_text(encoding="utf-8"), language=None)


numbers = [n for n, *_ in tickets]
reprint, void = st.columns(2)
with reprint.form("reimprimer"):
    st.markdown("**Réimprimer un ticket**")
    number = st.selectbox("Ticket n°", numbers, key="reimpression", placeholder="Choisissez un ticket…",
                          disabled=not numbers)
    reprint_password = st.text_input("Votre mot de passe", type="password", key="mdp-reimpression")
    again = st.form_submit_button("Réimprimer (DUPLICATA)", disabled=not numbers)
if again and number:
    try:
        confirm_password(user, reprint_password, code)  # a duplicate is a record: who asked for it, confirmed
        printed_message(api.reprint_receipt(store, settings, code, number, user), f"Ticket n°{number}")
    except api.CaisseError as e:
        st.error(plain(e))
if numero_z is None:
    with void.form("annuler"):
        st.markdown("**Annuler une vente de la journée en cours**")
        voided = {t.origine for t in tickets if t.type_ticket == "ANNULATION"}
        sales = [t.numero for t in tickets if t.type_ticket == "VENTE" and t.numero not in voided]
        number = st.selectbox("Vente n°", sales, key="annulation", placeholder="Choisissez une vente…",
                              disabled=not sales)
        reason = st.text_input("Motif de l'annulation", max_chars=api.TEXT_LIMIT)
        password = st.text_input("Votre mot de passe", type="password", key="mdp-annulation")
        cancel = st.form_submit_button("Annuler la vente", disabled=not (sales and user.can("CAISSE_ANNULER")))
    if not user.can("CAISSE_ANNULER"):
        void.caption("Annuler une vente demande le droit d'annuler un ticket.")
    if cancel:
        try:
            confirm_password(user, password, code)
            done = api.void_and_print(store, settings, code, user, number, reason)
        except api.CaisseError as e:
            st.error(plain(e))
        else:  # shown again from the top: the day's tickets list the void, the sale is no longer offered
            said = (f"Vente n°{number} annulée par le ticket n°{done.ticket.numero} ({api.eur(done.ticket.total_ttc)})"
                    f" : {reason.strip()}.")
            st.session_state["flash"] = ("warning" if done.warning else "success", f"{said} {done.warning}".strip(), [])
            st.rerun()
else:
    with void.form("reimprimer-z"):
        st.markdown(f"**Ticket Z n°{numero_z}**")
        z_password = st.text_input("Votre mot de passe", type="password", key="mdp-z")
        z_again = st.form_submit_button(f"Réimprimer le Z n°{numero_z} (DUPLICATA)")
    if z_again:
        try:
            confirm_password(user, z_password, code)
            printed_message(api.print_z(store, settings, code, user, numero_z), f"Z n°{numero_z}")
        except api.CaisseError as e:
            st.error(plain(e))
