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

from caisse.common.errors import CaisseError
from caisse.fiscal.keys import Keys, load_keys
from caisse.fiscal.records import KINDS, canonical, serialise
from caisse.fiscal.version import FISCAL_VERSION
from caisse.storage.store import after_commit, before_commit, current_store, transaction_state
from pipeline.errors import os_words
from pipeline.names import ascii_digits

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


def mac(key: bytes, body: bytes) -> str:
    """An HMAC-SHA256 of bytes under a key (an export lot's manifest)."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def last(con: duckdb.DuckDBPyConnection, kind: str, id_caisse: int) -> tuple[int, str]:
    """(number, link) of a chain's last link; (0, GENESIS) for an empty chain."""
    numero, empreinte = con.execute("SELECT max(numero), arg_max(empreinte, numero) FROM maillon "
                                    "WHERE id_caisse = ? AND chaine = ?", [id_caisse, kind]).fetchall()[0]
    return (numero, empreinte) if numero is not None else (0, GENESIS)


def link(con: duckdb.DuckDBPyConnection, kind: str, id_caisse: int, ref: str, now: datetime,
         after: tuple[int, str] | None = None) -> Link:
    """Append the link of the record `ref` (already written in this transaction) to its chain.

    `after`: the chain's last (number, link), when the caller just read it (a ticket takes its number from it).
    A register's first link is refused when the register had links before (a wiped register never restarts at
    n°1)."""
    store = current_store()
    keys = load_keys(store.key_path)
    last_number, previous = after if after is not None else last(con, kind, id_caisse)
    if last_number == 0:
        check_genesis(con, store.key_path, kind, id_caisse)
    numero = last_number + 1
    payload = canonical(con, kind, id_caisse, [ref])[ref]
    empreinte = sign(keys.current, kind, id_caisse, numero, previous, payload)
    con.execute("INSERT INTO maillon (id_caisse, chaine, numero, ref, ts, version, cle, empreinte, "
                "empreinte_precedente) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [id_caisse, kind, numero, ref, now, FISCAL_VERSION, keys.current_id, empreinte, previous])
    _appended(store, id_caisse).setdefault(kind, [(numero - 1, previous)]).append((numero, empreinte))
    return Link(numero, empreinte, previous)


def verify_link(con: duckdb.DuckDBPyConnection, kind: str, id_caisse: int, ref: str) -> bool:
    """The record `ref` is still what its link signed (one record recomputed: a closing checks what it counts
    from)."""
    rows = con.execute("SELECT numero, version, cle, empreinte, empreinte_precedente FROM maillon WHERE id_caisse = ? "
                       "AND chaine = ? AND ref = ?", [id_caisse, kind, ref]).fetchall()
    payload = canonical(con, kind, id_caisse, [ref]).get(ref)
    if not rows or payload is None:
        return False
    numero, version, key_name, empreinte, previous = rows[0]
    key = load_keys(current_store().key_path).by_id(key_name)
    return key is not None and hmac.compare_digest(sign(key, kind, id_caisse, numero, previous, payload, version),
                                                   empreinte or "")


def check_genesis(con: duckdb.DuckDBPyConnection, key_path: Path, kind: str, id_caisse: int) -> None:
    """A chain starts at n°1 only once: refused (CaisseError) when the register's heads file, or a relevé of the
    server's journal, shows that this chain had links the store no longer has."""
    found, _ = read_head_file(load_keys(key_path), key_path, id_caisse)
    seen = found.chaines.get(kind, (0, ""))[0] if found else 0
    source = f"son fichier de têtes ({head_path(key_path, id_caisse).name})"
    if not seen and id_caisse != SERVER:
        survey = surveyed(con).get(id_caisse)
        if survey and survey.heads.get(kind, (0, ""))[0]:
            seen, source = survey.heads[kind][0], f"le relevé n°{survey.numero} du journal du serveur"
    if seen:
        who = "le serveur caisse" if id_caisse == SERVER else f"la caisse n°{id_caisse}"
        raise CaisseError(f"Rien ne peut être enregistré : {KINDS[kind].words} de {who} allait jusqu'au n°{seen} "
                          f"selon {source}, mais la base n'en a plus aucun maillon (base effacée ou remplacée). "
                          "Restaurez la base depuis la sauvegarde, lancez « caisse verify » et contactez la hotline.")


# The relevés: the server's journal records, at each closing, export, import, verification and start, every
# register it knows with its identity and its chain heads (JET event 96). A register wiped from the store, or
# put back from an older copy with its heads file, is still known there.
SURVEY_EVENT = 96


@dataclass
class Survey:
    numero: int  # the latest relevé (its number in the server's journal) that names the register
    code: str
    identite: str
    heads: dict[str, tuple[int, str]]  # the highest head each chain ever had in a relevé


def surveyed(con: duckdb.DuckDBPyConnection) -> dict[int, Survey]:
    """{id_caisse: what the relevés of the server's journal say of it}, from its signed events."""
    out: dict[int, Survey] = {}
    for numero, detail in con.execute(
            "SELECT m.numero, j.detail FROM jet j JOIN maillon m ON m.id_caisse = j.id_caisse AND m.chaine = 'jet' "
            "AND m.ref = j.id_evenement WHERE j.id_caisse = ? AND j.code = ? ORDER BY m.numero",
            [SERVER, SURVEY_EVENT]).fetchall():
        try:
            caisses = json.loads(detail)["caisses"]
        except (ValueError, KeyError, TypeError):
            continue  # verify checks the event's signature; a relevé that does not parse is no witness
        for c in caisses:
            survey = out.setdefault(int(c["id_caisse"]), Survey(numero, c.get("code") or "", c.get("identite") or "",
                                                                 {}))
            survey.numero, survey.code = numero, c.get("code") or survey.code
            for kind, (n, e) in c.get("chaines", {}).items():
                if n > survey.heads.get(kind, (0, ""))[0]:
                    survey.heads[kind] = (int(n), e)
    return out


def identity(con: duckdb.DuckDBPyConnection, id_caisse: int) -> str:
    """A register's identity beside its id: the link its chains started with (16 hex characters), which no
    import can change and no other register shares."""
    first = con.execute("SELECT empreinte FROM maillon WHERE id_caisse = ? AND numero = 1 ORDER BY ts, chaine LIMIT 1",
                        [id_caisse]).fetchall()
    return first[0][0][:16] if first else ""


def _appended(store, id_caisse: int) -> dict[str, list[tuple[int, str]]]:
    """{kind: [(number, link) before this transaction, then each link it appended]} for a register; the first
    call of a transaction arranges for the heads file to be written before the commit and after it."""
    key = ("chaines", store.key_path, id_caisse)
    state = transaction_state()
    if key not in state:
        appended = state[key] = {}
        before_commit(key, lambda con: _write_before(store, id_caisse, appended, con))
    return state[key]


# The heads files (R11). Beside the key, one per register, authenticated with the key: the register's chain heads
# as committed, and, while a transaction is being committed, the heads it will leave (`en_cours`). It is written
# just before each commit (committed heads + en_cours) and again just after (the new heads, no en_cours), both
# while the process holds the store, so that the store's heads are always either the file's committed heads or
# its en_cours ones, whatever the moment a crash or a full disk stops the program. A file behind the store was
# put back from an older copy; a file ahead of it was cut: verify says both.

def heads(con: duckdb.DuckDBPyConnection, id_caisse: int) -> dict[str, tuple[int, str]]:
    """{kind: (number, link)} of a register's chains as the store has them."""
    return {kind: (numero, empreinte) for kind, numero, empreinte in con.execute(
        "SELECT chaine, max(numero), arg_max(empreinte, numero) FROM maillon WHERE id_caisse = ? GROUP BY chaine",
        [id_caisse]).fetchall()}


def head_path(key_path: Path, id_caisse: int) -> Path:
    return heads_dir(key_path) / ("serveur.json" if id_caisse == SERVER else f"caisse-{id_caisse}.json")


def heads_dir(key_path: Path) -> Path:
    return Path(key_path).parent / "chaines"


def _head_mac(keys: Keys, head: dict) -> str:
    body = {k: v for k, v in head.items() if k != "mac"}
    return hmac.new(keys.current, serialise(body), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class HeadFile:
    """What a heads file says: the committed heads, and those of a commit under way (or None)."""

    chaines: dict[str, tuple[int, str]]
    en_cours: dict[str, tuple[int, str]] | None


def _write_file(keys: Keys, path: Path, id_caisse: int, committed: dict, pending: dict | None) -> None:
    head = {"id_caisse": id_caisse, "chaines": {k: list(v) for k, v in sorted(committed.items())},
            "cle": keys.current_id}
    if pending is not None:
        head["en_cours"] = {k: list(v) for k, v in sorted(pending.items())}
    head["mac"] = _head_mac(keys, head)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(head), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _set_aside(path: Path, why: str, now: datetime) -> None:
    """Keep a heads file that cannot be trusted (or the trace of one that vanished) for verify to show, instead
    of writing over the evidence."""
    aside = path.with_name(f"{path.name}.{why}-{now:%Y%m%d%H%M%S}")
    aside.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        os.replace(path, aside)
    else:
        aside.write_text("", encoding="utf-8")
    log.warning("têtes de chaîne %s : %s, gardé sous %s", path.name, why, aside.name)


def _committed_heads(con, keys: Keys, key_path: Path, id_caisse: int, appended: dict) -> dict[str, tuple[int, str]]:
    """The register's heads before this transaction: from its heads file when it can be trusted (a commit that
    was under way is looked up in the store: one key lookup), else from the store, and what is left of the file
    is kept aside for verify (never written over)."""
    before = {kind: links[0] for kind, links in appended.items() if links[0][0]}
    found, problem = read_head_file(keys, key_path, id_caisse)
    if found is None:
        had = {k: v for k, v in heads(con, id_caisse).items() if k not in appended} | before
        if problem or had:  # changed, or vanished although the store had links
            _set_aside(head_path(key_path, id_caisse), "rejete" if problem else "absent", datetime.now())
        return had
    current = dict(found.chaines)
    for kind, (numero, empreinte) in (found.en_cours or {}).items():
        owner, chain = (SERVER, "jet") if kind == SERVER_HEAD else (id_caisse, kind)
        if (numero, empreinte) != current.get(kind) and con.execute(
                "SELECT count(*) FROM maillon WHERE id_caisse = ? AND chaine = ? AND numero = ? AND empreinte = ?",
                [owner, chain, numero, empreinte]).fetchall()[0][0]:
            current[kind] = (numero, empreinte)  # that commit went through before its file was rewritten
    return {**current, **before}


# A register's heads file also keeps the server journal's head as it knew it (`serveur`): the server's own file and
# the tail of its chain cannot be put back from an older copy while a register's file says more. After each commit
# of the server's chain, every register's file is brought up to it.
SERVER_HEAD = "serveur"


def _write_before(store, id_caisse: int, appended: dict, con) -> None:
    keys = load_keys(store.key_path)
    path = head_path(store.key_path, id_caisse)
    committed = _committed_heads(con, keys, store.key_path, id_caisse, appended)
    new = {**committed, **{kind: links[-1] for kind, links in appended.items()}}
    if id_caisse != SERVER:
        new[SERVER_HEAD] = last(con, "jet", SERVER)
    _write_file(keys, path, id_caisse, committed, new)  # an OSError here rolls the transaction back
    after_commit(("chaines-apres", store.key_path, id_caisse),
                 lambda: _write_after(keys, store.key_path, id_caisse, new))


def _write_after(keys: Keys, key_path: Path, id_caisse: int, new: dict) -> None:
    try:
        _write_file(keys, head_path(key_path, id_caisse), id_caisse, new, None)
        if id_caisse == SERVER:
            _tell_registers(keys, key_path, new.get("jet"))
    except OSError as e:  # the file keeps the commit as under way, which verify accepts: the next one settles it
        log.warning("têtes de chaîne de la caisse %s non réécrites (%s) : elles le seront au prochain "
                    "enregistrement", id_caisse, os_words(e))


def _tell_registers(keys: Keys, key_path: Path, server_head: tuple[int, str] | None) -> None:
    """Every register's heads file learns the server journal's new head (a file that cannot be trusted is left
    as it is: verify names it)."""
    if server_head is None:
        return
    for id_caisse in registers_with_files(key_path):
        found, problem = read_head_file(keys, key_path, id_caisse)
        if found is None or found.chaines.get(SERVER_HEAD, (0, ""))[0] >= server_head[0]:
            continue
        pending = None if found.en_cours is None else {**found.en_cours, SERVER_HEAD: server_head}
        _write_file(keys, head_path(key_path, id_caisse), id_caisse, {**found.chaines, SERVER_HEAD: server_head},
                    pending)


def publish_heads(store, id_caisse: int) -> None:
    """Write a register's heads file from the store (at an upgrade: files written by an earlier version)."""
    keys = load_keys(store.key_path)
    with store.connect() as con:
        found = heads(con, id_caisse)
    if found:
        _write_file(keys, head_path(store.key_path, id_caisse), id_caisse, found, None)


def read_head_file(keys: Keys, key_path: Path, id_caisse: int, path: Path | None = None) \
        -> tuple[HeadFile | None, str]:
    """(file, problem) of a register's heads file: (None, "") when there is none, (None, why) when it cannot be
    trusted."""
    path = path or head_path(key_path, id_caisse)
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, ""
    except (OSError, ValueError):
        return None, f"le fichier {path.name} des têtes de chaîne est illisible"
    signer = keys.by_id(head.get("cle", "")) if isinstance(head, dict) else None
    if signer is None or not hmac.compare_digest(_head_mac(Keys(keys.path, (signer,)), head), head.get("mac", "")):
        return None, f"le fichier {path.name} des têtes de chaîne a été modifié"

    def parse(part):
        return {k: (int(v[0]), v[1]) for k, v in part.items()}
    return HeadFile(parse(head.get("chaines", {})), parse(head["en_cours"]) if "en_cours" in head else None), ""


def set_aside_files(key_path: Path) -> list[Path]:
    """Heads files found changed, or missing, and kept aside by the program (each is a break until explained)."""
    folder = heads_dir(key_path)
    return sorted(p for p in folder.glob("*.json.*-*") if not p.name.endswith(".tmp")) if folder.exists() else []


def registers_with_files(key_path: Path) -> list[int]:
    """The registers that have a heads file (a register wiped from the store still has one)."""
    folder = heads_dir(key_path)
    out = []
    for p in folder.glob("caisse-*.json") if folder.exists() else []:
        number = p.stem.removeprefix("caisse-")
        if ascii_digits(number):
            out.append(int(number))
    return sorted(out)


def read_heads(keys: Keys, key_path: Path, id_caisse: int) -> tuple[dict[str, tuple[int, str]] | None, str]:
    """(committed heads, problem) of a register's heads file (see read_head_file)."""
    found, problem = read_head_file(keys, key_path, id_caisse)
    return (found.chaines if found else None), problem
