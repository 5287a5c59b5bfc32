"""The technical event log (JET, R19-R20): appended only, each event a link of its register's chain (the
server's own chain for events that concern no register), read by the Journal page.

Codes after NaviPartner's certified list (FISCAL.md R19), extended where this product has events the list
does not name (45, 85-87, 155, 175, 215), each said in French.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import duckdb

from caisse.fiscal import chains
from caisse.fiscal.records import heads_words

CODES = {
    10: "Démarrage du logiciel", 20: "Archive réalisée", 30: "Archive en échec", 40: "Déconnexion",
    45: "Ouverture de journée", 50: "Clôture journalière", 55: "Clôture mensuelle",
    57: "Clôture de période en attente", 60: "Clôture annuelle", 80: "Connexion", 85: "Échec de connexion",
    86: "Compte verrouillé", 87: "Compte déverrouillé", 90: "Vérification : chaîne rompue",
    95: "Vérification réussie", 96: "Relevé des têtes de chaîne", 110: "Import appliqué", 115: "Import refusé",
    120: "Export envoyé", 125: "Export en échec", 130: "Fermeture forcée", 140: "Écart accepté",
    150: "Annulation de ticket", 155: "Ticket en attente abandonné", 160: "Retour de marchandise",
    170: "Tiroir ouvert hors vente", 175: "Mouvement d'espèces", 178: "Remise au-delà du plafond autorisée",
    179: "Prix forcé autorisé", 180: "Réimpression", 185: "Consultation d'un Z",
    200: "Mode formation activé", 205: "Mode formation désactivé", 215: "Purge après archivage",
    240: "Paramètres modifiés", 250: "Clé d'intégrité créée", 255: "Clé d'intégrité renouvelée",
    260: "Journal des événements initialisé", 270: "Horloge revenue en arrière",
}
CLOCK_TOLERANCE = timedelta(seconds=2)  # two processes may write a second apart


def record_event(con: duckdb.DuckDBPyConnection, code: int, *, caisse: str | None = None, login: str | None = None,
                 detail: str = "", now: datetime | None = None) -> str:
    """Append one event to the JET, chained, in the current transaction; its id. A clock found earlier than
    the last event is itself an event (270), recorded first."""
    if code not in CODES:
        raise ValueError(f"unknown JET code {code}")
    now = now or datetime.now()
    last = con.execute("SELECT max(ts) FROM jet").fetchall()[0][0]
    if last is not None and now < last - CLOCK_TOLERANCE and code != 270:
        _append(con, 270, None, None, f"l'horloge indique {now:%d/%m/%Y %H:%M:%S}, le dernier événement date du "
                                      f"{last:%d/%m/%Y %H:%M:%S}", now)
    return _append(con, code, caisse, login, detail, now)


def _append(con, code: int, caisse: str | None, login: str | None, detail: str, now: datetime) -> str:
    id_caisse = chains.SERVER
    if caisse is not None:
        rows = con.execute("SELECT id_caisse FROM t_caisse WHERE code = ?", [caisse]).fetchall()
        id_caisse = rows[0][0] if rows else chains.SERVER
    ident = str(uuid.uuid4())
    con.execute("INSERT INTO jet (id_evenement, id_caisse, ts, code, caisse, login, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [ident, id_caisse, now, code, caisse, login, detail])
    chains.link(con, "jet", id_caisse, ident, now)
    return ident


SETTINGS_EVENT = 240
_SETTINGS_PREFIX = "réglages : "


def record_settings(con: duckdb.DuckDBPyConnection, words: dict[str, str] | None, *, login: str | None = None,
                    now: datetime | None = None) -> str | None:
    """Record the settings that matter (R19, 240) when they differ from the last ones recorded, saying what
    changed; the first time, what they are. The event's id, or None when nothing changed."""
    if not words:
        return None
    rows = con.execute("SELECT detail FROM jet WHERE code = ? ORDER BY ts DESC LIMIT 1", [SETTINGS_EVENT]).fetchall()
    before: dict = {}
    if rows:
        try:
            before = json.loads(rows[0][0].split("\n", 1)[1])
        except (IndexError, ValueError):
            before = {}
    if before == words:
        return None
    changed = [f"{k} {before.get(k, '—') or '—'} → {v or '—'}" for k, v in sorted(words.items()) if before.get(k) != v]
    said = ("réglages modifiés : " + ", ".join(changed)) if rows else "réglages en service"
    return record_event(con, SETTINGS_EVENT, login=login, now=now,
                        detail=said[:1500] + "\n" + json.dumps(words, ensure_ascii=False, sort_keys=True))


def events(con: duckdb.DuckDBPyConnection, code: int | None = None, login: str | None = None,
           limit: int = 500) -> list[tuple]:
    """(ts, code, libellé, caisse, login, detail) newest first."""
    rows = con.execute("SELECT ts, code, caisse, login, detail FROM jet WHERE (? IS NULL OR code = ?) AND "
                       "(? IS NULL OR login = ?) ORDER BY ts DESC, id_evenement LIMIT ?",
                       [code, code, login, login, limit]).fetchall()
    return [(ts, c, CODES.get(c, str(c)), caisse, who, detail_words(c, detail)) for ts, c, caisse, who, detail in rows]


def detail_words(code: int, detail: str | None) -> str:
    """An event's detail as a person reads it: a relevé (96) as its registers and heads, a settings event (240)
    as what changed (the data that follow are for verify)."""
    if code == SETTINGS_EVENT:
        return (detail or "").split("\n", 1)[0]
    if code == 96:
        try:
            data = json.loads(detail or "")
            return f"{data['motif']} : " + " ; ".join(
                f"{c.get('code') or 'caisse n°' + str(c['id_caisse'])} : {heads_words(c['chaines'])}"
                for c in data["caisses"])
        except (ValueError, KeyError, TypeError):
            pass
    return detail or ""
