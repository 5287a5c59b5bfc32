"""The relevés (R11): the server's own journal records every register it knows, with its identity and its chain
heads, at each closing, export, import, verification and start (JET event 96, in the server's chain). Verify
reads them back (chains.surveyed): a register wiped from the store, or put back from an older copy together with
its heads file, is still known there, with heads the store must reach."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from caisse.fiscal import chains
from caisse.fiscal.jet import record_event


def record_survey(con: duckdb.DuckDBPyConnection, reason: str, *, login: str | None = None,
                  now: datetime | None = None) -> None:
    """Append a relevé of every register's heads to the server's journal, in the current transaction."""
    found: dict[int, dict] = {}
    for id_caisse, kind, numero, empreinte in con.execute(
            "SELECT id_caisse, chaine, max(numero), arg_max(empreinte, numero) FROM maillon WHERE id_caisse <> ? "
            "GROUP BY ALL ORDER BY ALL", [chains.SERVER]).fetchall():
        found.setdefault(id_caisse, {})[kind] = [numero, empreinte]
    codes = dict(con.execute("SELECT id_caisse, code FROM t_caisse").fetchall())
    caisses = [{"id_caisse": ident, "code": codes.get(ident), "identite": chains.identity(con, ident),
                "chaines": heads} for ident, heads in sorted(found.items())]
    record_event(con, chains.SURVEY_EVENT, login=login, now=now,
                 detail=json.dumps({"motif": reason, "caisses": caisses}, ensure_ascii=False, sort_keys=True))
