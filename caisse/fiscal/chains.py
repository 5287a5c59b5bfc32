"""The chains (R07-R09, R11): one per register (by `id_caisse`, which an import cannot change) and per kind.

A record that counts is written by the code that owns it, then linked here in the same transaction: its
canonical form is read back from the store (`records`), signed with HMAC-SHA256 under the current key over
the chain's name, the register, its number and the previous link, and the link is appended to `maillon`.
Once the transaction has committed, the register's chain heads are written outside the store
(`chaines/` beside the key), authenticated, so that a deleted tail is seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipeline.errors import os_words

from ..store import after_commit, current_store, transaction_state
from . import FISCAL_VERSION
from .keys import Keys, load_keys
from .records import canonical, serialise

GENESIS = "0" * 64
SERVER = 0  # the chain of events that concern no register (software start, key rotation...)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Link:
    numero: int
    empreinte: str
    precedente: str


def sign(key: bytes, kind: str, id_caisse: int, numero: int, previous: str, payload: dict,
         version: str = FISCAL_VERSION) -> str:
    head = f"{version}|{kind}|{id_caisse}|{numero}|{previous}|".encode()
    return hmac.new(key, head + serialise(payload), hashlib.sha256).hexdigest()


def last(con: duckdb.DuckDBPyConnection, kind: str, id_caisse: int) -> tuple[int, str]:
    """(number, link) of a chain's last link; (0, GENESIS) for an empty chain."""
    numero, empreinte = con.execute("SELECT max(numero), arg_max(empreinte, numero) FROM maillon "
                                    "WHERE id_caisse = ? AND chaine = ?", [id_caisse, kind]).fetchall()[0]
    return (numero, empreinte) if numero is not None else (0, GENESIS)


def link(con: duckdb.DuckDBPyConnection, kind: str, id_caisse: int, ref: str, now: datetime,
         after: tuple[int, str] | None = None) -> Link:
    """Append the link of the record `ref` (already written in this transaction) to its chain.

    `after`: the chain's last (number, link), when the caller just read it (a ticket takes its number from it)."""
    store = current_store()
    keys = load_keys(store.key_path)
    last_number, previous = after if after is not None else last(con, kind, id_caisse)
    numero = last_number + 1
    payload = canonical(con, kind, id_caisse, [ref])[ref]
    empreinte = sign(keys.current, kind, id_caisse, numero, previous, payload)
    con.execute("INSERT INTO maillon VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [id_caisse, kind, numero, ref, now, FISCAL_VERSION, keys.current_id, empreinte, previous])
    _pending_heads(store, id_caisse)[kind] = (numero, empreinte)
    return Link(numero, empreinte, previous)


def _pending_heads(store, id_caisse: int) -> dict[str, tuple[int, str]]:
    """The links this transaction appended to a register's chains, published once it has committed."""
    key = ("chaines", store.key_path, id_caisse)
    state = transaction_state()
    if key not in state:
        pending = state[key] = {}
        after_commit(key, lambda: publish_heads(store, id_caisse, pending))
    return state[key]


def heads(con: duckdb.DuckDBPyConnection, id_caisse: int) -> dict[str, tuple[int, str]]:
    """{kind: (number, link)} of a register's chains as the store has them."""
    return {kind: (numero, empreinte) for kind, numero, empreinte in con.execute(
        "SELECT chaine, max(numero), arg_max(empreinte, numero) FROM maillon WHERE id_caisse = ? GROUP BY chaine",
        [id_caisse]).fetchall()}


def head_path(key_path: Path, id_caisse: int) -> Path:
    return Path(key_path).parent / "chaines" / ("serveur.json" if id_caisse == SERVER else f"caisse-{id_caisse}.json")


def _head_mac(keys: Keys, head: dict) -> str:
    body = {k: v for k, v in head.items() if k != "mac"}
    return hmac.new(keys.current, serialise(body), hashlib.sha256).hexdigest()


def publish_heads(store, id_caisse: int, appended: dict[str, tuple[int, str]] | None = None) -> None:
    """Write the register's chain heads beside the key, authenticated, atomically (after a commit): the file's
    heads with the links just `appended` (or, when the file cannot be trusted, all of them read from the
    store). A full disk is not the sale's failure: the next write publishes them, and verify tolerates a
    head behind the store (never one ahead of it)."""
    tmp = None
    try:
        keys = load_keys(store.key_path)
        found, problem = read_heads(keys, store.key_path, id_caisse)
        if found is None or problem or not appended:
            with store.connect() as con:
                found = heads(con, id_caisse)
        else:
            found = {**found, **{k: v for k, v in appended.items() if v[0] > found.get(k, (0, ""))[0]}}
        head = {"id_caisse": id_caisse, "chaines": {k: list(v) for k, v in sorted(found.items())},
                "cle": keys.current_id}
        head["mac"] = _head_mac(keys, head)
        path = head_path(store.key_path, id_caisse)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(head), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        log.warning("têtes de chaîne de la caisse %s non écrites (%s) : elles le seront au prochain enregistrement",
                    id_caisse, os_words(e))


def read_heads(keys: Keys, key_path: Path, id_caisse: int) -> tuple[dict[str, tuple[int, str]] | None, str]:
    """(heads, problem) from the file beside the key: (None, "") when there is none, (None, why) when it
    cannot be trusted."""
    path = head_path(key_path, id_caisse)
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, ""
    except (OSError, ValueError):
        return None, f"le fichier {path.name} des têtes de chaîne est illisible"
    signer = keys.by_id(head.get("cle", ""))
    if signer is None or not hmac.compare_digest(_head_mac(Keys(keys.path, (signer,)), head), head.get("mac", "")):
        return None, f"le fichier {path.name} des têtes de chaîne a été modifié"
    return {k: (int(v[0]), v[1]) for k, v in head.get("chaines", {}).items()}, ""
