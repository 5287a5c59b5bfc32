"""The append-only audit log of privileged actions (DESIGN section 9)."""

from __future__ import annotations

from datetime import datetime

import duckdb

ACTIONS = {
    "IMPORT": "Import des données", "IMPORT_ECHEC": "Import échoué", "CONNEXION_ECHEC": "Échec de connexion",
    "VERROUILLAGE": "Compte verrouillé", "OUVERTURE": "Ouverture de caisse", "FERMETURE": "Fermeture de caisse",
    "FERMETURE_FORCEE": "Fermeture forcée", "ECART_VALIDE": "Écart validé", "EXPORT": "Export des données",
    "EXPORT_ECHEC": "Export échoué", "ANNULATION": "Annulation de ticket", "MOUVEMENT": "Mouvement d'espèces",
    "INIT": "Initialisation du serveur caisse",
}


def audit(con: duckdb.DuckDBPyConnection, action: str, *, login: str | None = None, caisse: str | None = None,
          detail: str = "", now: datetime | None = None) -> None:
    """Append one entry; nothing ever updates or deletes the audit table."""
    con.execute("INSERT INTO audit (ts, action, caisse, login, detail) VALUES (?, ?, ?, ?, ?)",
                [now or datetime.now(), action, caisse, login, detail])
