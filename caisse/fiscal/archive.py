"""Archives (R21-R24): one XML file per register and period, its schema `archive.xsd` beside it, and a detached
Ed25519 signature, so that anyone can check it with Python and `cryptography` alone (tools/verifier_archive.py).

A monthly archive holds the month's closed days with their counts and their tickets (lines, payments), their
cash moves, the month's closing, and the duplicates and events (JET) recorded since the previous month's closing
up to this one: each chain's records of the period are consecutive links, every link with its number, its
signature and the previous one, so that the chain can be followed inside the file and from one month's file to
the next. An annual archive holds the year's closings (days, months, the year). Every value is written as the
store has it; the file's own date is the archive record's, fixed when it was first made: making an archive
again gives the same bytes, and an archive is never rewritten (a file found different is refused).

The signing key is made once beside the integrity key (mode 600); its public half is kept in the store and
printed on every closing by period. The signature covers the statement "file name, size, SHA-256".
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caisse.common import version as software
from caisse.common.errors import CaisseError
from caisse.fiscal import chains
from caisse.fiscal.chains import SERVER
from caisse.fiscal.periods import MONTH, YEAR, Calendar, parse_period, period_id
from caisse.fiscal.records import (
    DAY,
    EVENT,
    LINE,
    LINE_MORE,
    MOVE,
    PAYMENT,
    PERIOD,
    REPRINT,
    TICKET,
    TICKET_MORE,
    canonical,
)
from caisse.fiscal.version import FISCAL_VERSION
from caisse.storage.store import scalar
from pipeline.manifest import sha256_file

FORMAT = "1"
SCHEMA = Path(__file__).with_name("archive.xsd")
STATEMENT = "caisse-web-archive\n{fichier}\n{taille}\n{sha256}\n"  # what the Ed25519 signature covers


class ArchiveRefused(CaisseError):
    """An archive cannot be made, or the one on disk is not the one the store describes."""


# The signing key.

def key_file(key_path: Path) -> Path:
    return Path(key_path).with_name("archive-ed25519.key")


def signing_key(con: duckdb.DuckDBPyConnection, key_path: Path, now: datetime) -> Ed25519PrivateKey:
    """The archives' private key, made once (never over an existing one), its public half in the store."""
    path = key_file(key_path)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(Ed25519PrivateKey.generate().private_bytes_raw().hex() + "\n")
    if os.stat(path).st_mode & 0o077:
        raise ArchiveRefused(f"La clé de signature des archives {path} est lisible par d'autres comptes : protégez-la "
                             f"avec « chmod 600 {path} » puis recommencez.")
    try:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(path.read_text(encoding="ascii").strip()))
    except ValueError:
        raise ArchiveRefused(f"La clé de signature des archives {path} est illisible : restaurez-la depuis votre "
                             "sauvegarde.") from None
    public = key.public_key().public_bytes_raw().hex()
    if not scalar(con, "SELECT count(*) FROM cle_archive WHERE cle_publique = ?", [public]):
        con.execute("INSERT INTO cle_archive (cle_publique, creee) VALUES (?, ?)", [public, now])
    return key


def public_key_hex(con: duckdb.DuckDBPyConnection) -> str | None:
    """The archives' public key (the newest), as printed on closings by period."""
    return scalar(con, "SELECT arg_max(cle_publique, creee) FROM cle_archive")


def public_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [k for k, in con.execute("SELECT cle_publique FROM cle_archive ORDER BY creee").fetchall()]


# Writing.

def _text(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;",
                          "\t": "&#9;"})


def element(name: str, columns: list[str], values, close: bool = True) -> str:
    """`<name a="…" …/>` with the non-NULL values (XML attributes: white space kept as character references)."""
    attributes = "".join(f' {c}="{_text(v).translate(_ESCAPES)}"' for c, v in zip(columns, values) if v is not None)
    return f"<{name}{attributes}{'/' if close else ''}>"


LINK = ["numero", "empreinte", "precedente", "cle", "version", "date"]


def _links(con, id_caisse: int, kind: str, refs: list[str] | None = None, numbers: tuple[int, int] | None = None):
    """{ref: link values} of a chain's records (by ref, or by number range (lo, hi])."""
    query = ("SELECT ref, numero, empreinte, empreinte_precedente, cle, version, ts FROM maillon WHERE id_caisse = ? "
             "AND chaine = ?")
    if refs is not None:
        rows = con.execute(query + " AND ref IN (SELECT unnest(?::VARCHAR[])) ORDER BY numero",
                           [id_caisse, kind, refs]).fetchall()
    else:
        rows = con.execute(query + " AND numero > ? AND numero <= ? ORDER BY numero",
                           [id_caisse, kind, *numbers]).fetchall()
    return {row[0]: row[1:] for row in rows}


def _names(columns: str) -> list[str]:
    return [c.strip() for c in columns.split(",")]


@dataclass(frozen=True)
class Archive:
    path: Path
    signature_path: Path
    taille: int
    sha256: str
    cle_publique: str
    made: bool  # False: it existed already, identical


def archive_stem(code: str, period: str) -> str:
    return f"{code}-{period}"


def _write(units, out, id_caisse: int, code: str, kind: str, period: str, date: datetime, public: str,
           versions: tuple[str, str]) -> None:
    """The archive's XML, its records read a unit of work (`units()`: a cursor of the store) at a time;
    `versions`: the software's and the fiscal core's when it was first made (made again, the same bytes)."""
    with units() as con:
        _write_closings(con, out.write, id_caisse, code, kind, period, date, public, versions)
    w = out.write
    if kind == MONTH:
        with units() as con:
            closing = dict(zip(_names(PERIOD), con.execute(f"SELECT {PERIOD} FROM cloture_periode WHERE id_cloture = ?",
                                                            [period_id(kind, id_caisse, period)]).fetchall()[0]))
            day_ids = [d for d, in con.execute(
                "SELECT j.id_journee FROM t_journee j JOIN journee_periode p USING (id_journee) WHERE j.id_caisse = ? "
                "AND j.numero_z IS NOT NULL AND strftime(p.date_comptable, '%Y-%m') = ? ORDER BY j.numero_z",
                [id_caisse, period]).fetchall()]
        _write_tickets(units, w, id_caisse, day_ids)
        with units() as con:
            _write_records(con, w, id_caisse, "mouvement", "mouvements", MOVE, "t_livre_de_caisse", "id_mouvement",
                           "id_journee IN (SELECT unnest(?::VARCHAR[])) ORDER BY date_mouvement, id_mouvement",
                           [day_ids])
            before = _previous_heads(con, id_caisse, period)
            detail = json.loads(closing["detail"])
            heads = {k: v[0] for k, v in detail["tetes"].items()}
            for kind_name, group, columns, table, key, condition in (
                    ("duplicata", "duplicatas", REPRINT, "impression", "id_impression", "true"),
                    ("jet", "evenements", EVENT, "jet", "id_evenement", "true")):
                numbers = (before.get(kind_name, 0), heads.get(kind_name, 0))
                refs = list(_links(con, id_caisse, kind_name, numbers=numbers))
                _write_records(con, w, id_caisse, kind_name, group, columns, table, key,
                               f"{condition} AND {key} IN (SELECT unnest(?::VARCHAR[]))", [refs])
            if "serveur" in detail:  # the server's own journal since the previous month's closing (fiscal core 1.2)
                numbers = (before.get(SERVER_KEY, 0), detail["serveur"][0])
                refs = list(_links(con, SERVER, "jet", numbers=numbers))
                _write_records(con, w, SERVER, "jet", "evenements_serveur", EVENT, "jet", "id_evenement",
                               "id_evenement IN (SELECT unnest(?::VARCHAR[]))", [refs], tag="evenement_serveur")
    w("</archive>\n")


def _write_closings(con, w, id_caisse: int, code: str, kind: str, period: str, date: datetime, public: str,
                    versions: tuple[str, str]) -> None:
    w('<?xml version="1.0" encoding="UTF-8"?>\n')
    w(element("archive", ["format", "logiciel", "version", "noyau", "caisse", "id_caisse", "type", "periode", "date",
                          "cle_publique"],
              [FORMAT, software.SOFTWARE, *versions, code, id_caisse, kind, period, date, public], close=False)
      + "\n")
    closing = con.execute(f"SELECT {PERIOD} FROM cloture_periode WHERE id_cloture = ?",
                          [period_id(kind, id_caisse, period)]).fetchall()[0]
    period_row = dict(zip(_names(PERIOD), closing))
    if kind == MONTH:
        day_filter = "strftime(p.date_comptable, '%Y-%m') = ?", [period]
        periods = [closing]
    else:
        first, last = Calendar(debut_exercice=json.loads(period_row["detail"])["calendrier"]["debut_exercice"]) \
            .year_months(period)
        day_filter = "strftime(p.date_comptable, '%Y-%m') BETWEEN ? AND ?", [first, last]
        periods = con.execute(f"SELECT {PERIOD} FROM cloture_periode WHERE id_caisse = ? AND type = ? AND periode "
                              "BETWEEN ? AND ? ORDER BY periode", [id_caisse, MONTH, first, last]).fetchall()
        periods.append(closing)
    where, params = day_filter
    days = con.execute(f"SELECT {', '.join('j.' + c for c in _names(DAY))}, p.date_comptable FROM t_journee j JOIN "
                       f"journee_periode p USING (id_journee) WHERE j.id_caisse = ? AND j.numero_z IS NOT NULL AND "
                       f"{where} ORDER BY j.numero_z", [id_caisse, *params]).fetchall()
    day_ids = [d[0] for d in days]
    summaries = {ref: record["tickets"] for ref, record in canonical(con, "cloture", id_caisse, day_ids).items()} \
        if day_ids else {}
    links = _links(con, id_caisse, "cloture", day_ids + [p[0] for p in periods])
    counts: dict[str, list] = {}
    for row in con.execute("SELECT id_journee, valeur, nombre, total FROM t_comptage WHERE id_journee IN "
                           "(SELECT unnest(?::VARCHAR[])) ORDER BY id_journee, valeur", [day_ids]).fetchall():
        counts.setdefault(row[0], []).append(row[1:])
    day_columns = _names(DAY) + ["date_comptable", "tickets_nb", "tickets_dernier", "tickets_empreinte"]
    records = [(links[d[0]][0], "journee", d) for d in days] + [(links[p[0]][0], "periode", p) for p in periods]
    w("<clotures>\n")
    for _, what, row in sorted(records, key=lambda r: r[0]):  # in the chain's order
        if what == "journee":
            w(element("journee", day_columns, [*row, *summaries.get(row[0], [0, None, None])], close=False))
            for valeur, nombre, total in counts.get(row[0], []):
                w(element("comptage", ["valeur", "nombre", "total"], [valeur, nombre, total]))
        else:
            names = _names(PERIOD)
            detail = json.loads(row[-1])
            w(element("periode", names[:-1], row[:-1], close=False))
            for rate, ht, ttc in detail["tva"]:
                w(element("tva", ["taux", "ht", "ttc"], [rate, ht, ttc]))
            for code_moyen, amount in detail["moyens"]:
                w(element("moyen", ["code", "montant"], [code_moyen, amount]))
            for chain, (numero, empreinte) in sorted(detail["tetes"].items()):
                w(element("tete", ["chaine", "numero", "empreinte"], [chain, numero, empreinte]))
            w(element("calendrier", ["debut_journee", "debut_exercice"],
                      [detail["calendrier"]["debut_journee"], detail["calendrier"]["debut_exercice"]]))
        w(element("maillon", LINK, links[row[0]]))
        w(f"</{what}>\n")
    w("</clotures>\n")


def _previous_heads(con, id_caisse: int, period: str) -> dict[str, int]:
    """The chain heads the previous month's closing recorded (what the previous archive ends with)."""
    rows = con.execute("SELECT detail FROM cloture_periode WHERE id_caisse = ? AND type = ? AND periode < ? "
                       "ORDER BY periode DESC LIMIT 1", [id_caisse, MONTH, period]).fetchall()
    if not rows:
        return {}
    detail = json.loads(rows[0][0])
    heads = {k: v[0] for k, v in detail["tetes"].items()}
    if "serveur" in detail:
        heads[SERVER_KEY] = detail["serveur"][0]
    return heads


SERVER_KEY = "serveur"  # the server journal's head in a month's closing, where its archive's server events end


def _write_tickets(units, w, id_caisse: int, day_ids: list[str], batch: int = 2000) -> None:
    """The tickets of the days, in the chain's order, a batch (and a unit of work) at a time."""
    w("<tickets>\n")
    with units() as con:
        numbers = con.execute("SELECT min(numero), max(numero) FROM t_ticket WHERE id_caisse = ? AND id_journee IN "
                              "(SELECT unnest(?::VARCHAR[]))", [id_caisse, day_ids]).fetchall()[0]
    if numbers[0] is not None:
        for low in range(numbers[0], numbers[1] + 1, batch):
            with units() as con:
                _write_batch(con, w, id_caisse, day_ids, low, batch)
    w("</tickets>\n")


def _write_batch(con, w, id_caisse: int, day_ids: list[str], low: int, batch: int) -> None:
    ticket_names, payment_names = _names(TICKET) + list(TICKET_MORE), _names(PAYMENT)
    line_names = _names(LINE) + list(LINE_MORE)
    rows = con.execute(f"SELECT {TICKET}, {', '.join(TICKET_MORE)} FROM t_ticket WHERE id_caisse = ? AND "
                       "numero >= ? AND numero < ? AND "
                       "id_journee IN (SELECT unnest(?::VARCHAR[])) ORDER BY numero",
                       [id_caisse, low, low + batch, day_ids]).fetchall()
    refs = [r[0] for r in rows]
    lines: dict[str, list] = {}
    for row in con.execute(f"SELECT id_ticket, {LINE}, {', '.join(LINE_MORE)} FROM t_ligne_ticket WHERE id_ticket IN "
                           "(SELECT unnest(?::VARCHAR[])) ORDER BY id_ticket, num_ligne", [refs]).fetchall():
        lines.setdefault(row[0], []).append(row[1:])
    payments: dict[str, list] = {}
    for row in con.execute(f"SELECT id_ticket, {PAYMENT} FROM t_reglement WHERE id_ticket IN "
                           "(SELECT unnest(?::VARCHAR[])) ORDER BY id_ticket, id_reglement", [refs]).fetchall():
        payments.setdefault(row[0], []).append(row[1:])
    links = _links(con, id_caisse, "ticket", refs)
    parts = []
    for row in rows:
        parts.append(element("ticket", ticket_names, row, close=False))
        parts += [element("ligne", line_names, line) for line in lines.get(row[0], [])]
        parts += [element("reglement", payment_names, p) for p in payments.get(row[0], [])]
        parts.append(element("maillon", LINK, links[row[0]]) + "</ticket>\n")
    w("".join(parts))


def _write_records(con, w, id_caisse: int, kind: str, group: str, columns: str, table: str, key: str, condition: str,
                   params: list, tag: str | None = None) -> None:
    names = _names(columns)
    rows = con.execute(f"SELECT {columns} FROM {table} WHERE {condition}", params).fetchall()
    links = _links(con, id_caisse, kind, [r[0] for r in rows])
    tag = tag or (kind if kind != "jet" else "evenement")
    w(f"<{group}>\n")
    for row in sorted(rows, key=lambda r: links[r[0]][0]):
        w(element(tag, names, row, close=False) + element("maillon", LINK, links[row[0]]) + f"</{tag}>\n")
    w(f"</{group}>\n")


def copy_archive(made: Archive, home: Path, copy: str | Path) -> Path:
    """The archive, its signature and its schema copied into `copy` (another disk), under the same relative path;
    a copy already there identical is kept, one that differs is refused (never overwritten)."""
    root = Path(home) / "archives"
    target = Path(copy).expanduser() / made.path.relative_to(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    for source, dest in ((made.path, target), (made.signature_path, target.with_name(made.signature_path.name)),
                         (SCHEMA, Path(copy).expanduser() / SCHEMA.name)):
        if dest.exists():
            if sha256_file(dest) == sha256_file(source):
                continue
            if source is not SCHEMA:
                raise ArchiveRefused(f"La copie {dest} existe déjà et diffère de l'archive : elle n'est jamais "
                                     "réécrite ; vérifiez-la (caisse verify-archive), déplacez-la si elle est fausse.")
        tmp = dest.with_name(dest.name + ".part")
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    return target


def statement(fichier: str, taille: int, sha256: str) -> bytes:
    return STATEMENT.format(fichier=fichier, taille=taille, sha256=sha256).encode()


def make_archive(store, home: Path, caisse: str, period_text: str, now: datetime, on_record=None) -> Archive:
    """Write (or find identical) the archive of `caisse` for a closed period and record it the first time (its
    record linked in the archives' chain, and `on_record(con, archive)` in the same transaction: the event). The
    period's records are read a unit of work at a time (a month can hold 150,000 tickets: the app and the CLI get
    their turns meanwhile); they are closed, so they no longer change."""
    kind, period = parse_period(period_text)
    with store.transaction() as con:
        rows = con.execute("SELECT id_caisse FROM t_caisse WHERE code = ?", [caisse]).fetchall()
        if not rows:
            raise ArchiveRefused(f"La caisse {caisse} n'existe pas.")
        id_caisse = rows[0][0]
        if not scalar(con, "SELECT count(*) FROM cloture_periode WHERE id_cloture = ?",
                      [period_id(kind, id_caisse, period)]):
            word = "le mois" if kind == MONTH else "l'exercice"
            raise ArchiveRefused(f"La caisse {caisse} n'a pas encore clôturé {word} {period} : une période s'archive "
                                 "après sa clôture, faite par la première fermeture de journée de la période suivante.")
        ident = f"X{id_caisse}-{period}"
        existing = con.execute("SELECT ts, fichier, sha256, cle_publique, purgee, version_logiciel, version_noyau "
                               "FROM archive WHERE id_archive = ?", [ident]).fetchall()
        key = signing_key(con, store.key_path, now)
    folder = Path(home) / "archives" / caisse
    folder.mkdir(parents=True, exist_ok=True)
    stem = archive_stem(caisse, period)
    path, sig_path = folder / f"{stem}.xml", folder / f"{stem}.xml.sig"
    if existing and existing[0][4] is not None:
        if path.exists() and sha256_file(path) == existing[0][2]:
            return Archive(path, sig_path, path.stat().st_size, existing[0][2], existing[0][3], False)
        raise ArchiveRefused(f"L'archive {stem} a été purgée de la base le {existing[0][4]:%d/%m/%Y} : elle ne peut "
                             "pas être refaite, restaurez le fichier depuis votre sauvegarde.")
    public = existing[0][3] if existing else key.public_key().public_bytes_raw().hex()
    date = existing[0][0] if existing else now
    versions = (existing[0][5], existing[0][6]) if existing else (software.VERSION, FISCAL_VERSION)
    shutil.copyfile(SCHEMA, folder.parent / SCHEMA.name)
    tmp = path.with_suffix(f".xml.{os.getpid()}.part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
            _write(store.connect, out, id_caisse, caisse, kind, period, date, public, versions)
        sha, size = sha256_file(tmp), tmp.stat().st_size
        if existing:
            if existing[0][2] != sha:
                raise ArchiveRefused(f"L'archive {stem} refaite ne donne plus le même contenu que celle enregistrée : "
                                     "des enregistrements de la période ont été modifiés. Lancez « caisse verify ».")
            if path.exists():
                if sha256_file(path) != sha:
                    raise ArchiveRefused(f"Le fichier {path} n'est plus l'archive enregistrée (il a été modifié) : il "
                                         "n'est jamais réécrit. Restaurez-le depuis votre sauvegarde, ou déplacez-le "
                                         "pour qu'il soit refait à l'identique.")
                return Archive(path, sig_path, size, sha, public, False)
        signature = key.sign(statement(path.name, size, sha)).hex()
        sig_path.write_text(json.dumps({"fichier": path.name, "taille": size, "sha256": sha, "algorithme": "Ed25519",
                                        "cle_publique": public, "signature": signature}, indent=1) + "\n",
                            encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if existing:
        return Archive(path, sig_path, size, sha, public, False)
    with store.transaction() as con:
        if scalar(con, "SELECT count(*) FROM archive WHERE id_archive = ?", [ident]):  # made meanwhile, elsewhere
            return Archive(path, sig_path, size, sha, public, False)
        con.execute("INSERT INTO archive (id_archive, id_caisse, type, periode, ts, fichier, taille, sha256, "
                    "cle_publique, signature, version_logiciel, version_noyau) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [ident, id_caisse, kind, period, date, f"{caisse}/{path.name}", size, sha, public, signature,
                     *versions])
        chains.link(con, "archive", id_caisse, ident, now)
        made = Archive(path, sig_path, size, sha, public, True)
        if on_record:
            on_record(con, made)
    return made


__all__ = ["Archive", "ArchiveRefused", "copy_archive", "make_archive", "public_key_hex", "public_keys",
           "signing_key", "statement", "MONTH", "YEAR"]
