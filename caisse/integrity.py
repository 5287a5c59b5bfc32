"""Integrity (DESIGN section 9): the key, the HMAC-SHA256 chains of tickets and days, and `verify`.

Each validated ticket and each closed day is a link: HMAC(key, previous link + canonical record), the
record read back from the store with its lines, VAT breakdown and payments. A day's link covers its
totals, its ticket count and its last ticket's link, so deleting a closed day's tickets breaks it.
The chain heads are also written, authenticated, outside the store (`chaines/<caisse>.json` beside the
key), so that a deleted tail is seen too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .errors import CaisseError

GENESIS = "0" * 64


def ensure_key(path: Path) -> bool:
    """Create the key file if it does not exist; True when it was created. An existing key is never replaced."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return True


def load_key(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        raise CaisseError(f"La clé d'intégrité {path} est introuvable : sans elle, les tickets ne peuvent "
                          "être ni chaînés ni vérifiés. Restaurez-la depuis votre sauvegarde.") from None
    except ValueError:
        raise CaisseError(f"La clé d'intégrité {path} est illisible. Restaurez-la depuis votre sauvegarde.") from None


def _mac(key: bytes, previous: str, payload: dict) -> str:
    message = previous.encode() + b"\n" + json.dumps(payload, sort_keys=True, separators=(",", ":"),
                                                     default=str).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


TICKET_COLUMNS = ("id_ticket, numero, id_caisse, id_journee, id_utilisateur, date_creation, date_validation, "
                  "total_ttc, total_ht")
LINE_COLUMNS = ("num_ligne, id_article, code_article, libelle, quantite, prix_unitaire_ttc, remise, taux_tva, "
                "montant_ttc, montant_ht")
PAYMENT_COLUMNS = "id_reglement, code_moyen, montant, rendu, numero_piece"


def canonical_ticket(header: tuple, lines: list[tuple], payments: list[tuple]) -> dict:
    """The ticket as hashed: header (TICKET_COLUMNS), lines (LINE_COLUMNS, by num_ligne), VAT breakdown, payments
    (PAYMENT_COLUMNS, by id). Built from Python values at validation and from the store's rows by `verify`:
    both give the same Decimals (2 or 3 places) and microsecond timestamps. The statut is left out: a void
    is recorded apart and checked through the day's link."""
    lines = sorted(lines, key=lambda line: line[0])
    vat: dict = {}
    for line in lines:
        ttc, ht = vat.get(line[7], (0, 0))
        vat[line[7]] = (ttc + line[8], ht + line[9])
    return {"ticket": list(header), "lignes": [list(line) for line in lines],
            "tva": [[rate, ttc, ht] for rate, (ttc, ht) in sorted(vat.items())],
            "reglements": [list(p) for p in sorted(payments, key=lambda p: p[0])]}


def mac_ticket(key: bytes, previous: str, header: tuple, lines: list[tuple], payments: list[tuple]) -> str:
    return _mac(key, previous, canonical_ticket(header, lines, payments))


def day_payload(con: duckdb.DuckDBPyConnection, id_journee: str) -> dict:
    """The canonical day: its closing figures, its count, and the link of its last ticket."""
    columns = ("id_journee, id_caisse, numero_z, date_ouverture, date_fermeture, id_utilisateur_ouverture, "
               "id_utilisateur_fermeture, fond_caisse, nb_tickets, total_ttc, especes_theorique, especes_compte, "
               "ecart, ecart_valide_par, fermeture_forcee, commentaire, grand_total")
    row = con.execute(f"SELECT {columns} FROM t_journee WHERE id_journee = ?", [id_journee]).fetchall()[0]
    payload = dict(zip(columns.split(", "), row))
    payload["comptage"] = con.execute("SELECT valeur, nombre, total FROM t_comptage WHERE id_journee = ? "
                                      "ORDER BY valeur", [id_journee]).fetchall()
    last = con.execute("SELECT empreinte FROM t_ticket WHERE id_journee = ? AND numero IS NOT NULL "
                       "ORDER BY numero DESC LIMIT 1", [id_journee]).fetchall()
    payload["dernier_ticket"] = last[0][0] if last else None
    return payload


def last_link(con: duckdb.DuckDBPyConnection, kind: str, id_caisse: int) -> tuple[int, str]:
    """(number, link) of the register's last ticket or last closed day; (0, GENESIS) when there is none."""
    if kind == "ticket":
        sql = ("SELECT numero, empreinte FROM t_ticket WHERE id_caisse = ? AND numero IS NOT NULL "
               "ORDER BY numero DESC LIMIT 1")
    else:
        sql = ("SELECT numero_z, empreinte FROM t_journee WHERE id_caisse = ? AND numero_z IS NOT NULL "
               "ORDER BY numero_z DESC LIMIT 1")
    rows = con.execute(sql, [id_caisse]).fetchall()
    return rows[0] if rows else (0, GENESIS)


def link_day(con, key: bytes, id_journee: str, previous: str) -> str:
    return _mac(key, previous, day_payload(con, id_journee))


# Chain heads, kept outside the store.

def _head_path(key_path: Path, caisse: str) -> Path:
    return key_path.parent / "chaines" / f"{caisse}.json"


def write_head(key_path: Path, con: duckdb.DuckDBPyConnection, caisse: str, id_caisse: int, *,
               ticket: tuple[int, str] | None = None, day: tuple[int, str] | None = None) -> None:
    """Record the register's chain heads beside the key (atomically; never moves backwards). A head not
    given is kept from the current file, or read from the store."""
    key = load_key(key_path)
    current = read_head(key_path, caisse)
    if ticket is None:
        ticket = (current["ticket"], current["ticket_empreinte"]) if current else last_link(con, "ticket", id_caisse)
    if day is None:
        day = (current["numero_z"], current["journee_empreinte"]) if current else last_link(con, "journee", id_caisse)
    if current and (current["ticket"] > ticket[0] or current["numero_z"] > day[0]):
        return
    head = {"caisse": caisse, "ticket": ticket[0], "ticket_empreinte": ticket[1], "numero_z": day[0],
            "journee_empreinte": day[1]}
    head["mac"] = _mac(key, "", head)
    path = _head_path(key_path, caisse)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(head, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_head(key_path: Path, caisse: str) -> dict | None:
    path = _head_path(key_path, caisse)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Broken:
    """The first broken link of a chain, in a sentence."""

    caisse: str
    kind: str
    numero: int
    reason: str

    def __str__(self) -> str:
        what = f"ticket n°{self.numero}" if self.kind == "ticket" else f"journée Z n°{self.numero}"
        return f"Caisse {self.caisse}, {what} : {self.reason}"


def verify(con: duckdb.DuckDBPyConnection, key_path: Path) -> list[Broken]:
    """Recompute every register's chains; the first broken link of each chain (empty: all honest)."""
    key = load_key(key_path)
    registers = con.execute("SELECT DISTINCT c.id_caisse, c.code FROM t_caisse c UNION "
                            "SELECT DISTINCT t.id_caisse, coalesce(c.code, 'id ' || t.id_caisse) FROM t_ticket t "
                            "LEFT JOIN t_caisse c USING (id_caisse) ORDER BY 2").fetchall()
    broken = []
    for id_caisse, code in registers:
        for kind in ("ticket", "journee"):
            found = _verify_chain(con, key, kind, id_caisse, code) or _verify_head(con, key, key_path, kind,
                                                                                    id_caisse, code)
            if found:
                broken.append(found)
    return broken


def _ticket_records(con, id_caisse: int):
    """(numero, link, previous, canonical record) of every numbered ticket of a register, read in bulk."""
    where = "id_ticket IN (SELECT id_ticket FROM t_ticket WHERE id_caisse = ? AND numero IS NOT NULL)"
    lines: dict[str, list] = {}
    for row in con.execute(f"SELECT id_ticket, {LINE_COLUMNS} FROM t_ligne_ticket WHERE {where}",
                           [id_caisse]).fetchall():
        lines.setdefault(row[0], []).append(row[1:])
    payments: dict[str, list] = {}
    for row in con.execute(f"SELECT id_ticket, {PAYMENT_COLUMNS} FROM t_reglement WHERE {where}",
                           [id_caisse]).fetchall():
        payments.setdefault(row[0], []).append(row[1:])
    for row in con.execute(f"SELECT {TICKET_COLUMNS}, empreinte, empreinte_precedente FROM t_ticket "
                           "WHERE id_caisse = ? AND numero IS NOT NULL ORDER BY numero", [id_caisse]).fetchall():
        header = row[:-2]
        yield header[1], row[-2], row[-1], canonical_ticket(header, lines.get(header[0], []),
                                                            payments.get(header[0], []))


def _day_records(con, id_caisse: int):
    for numero, id_journee, link, previous, stored in con.execute(
            "SELECT numero_z, id_journee, empreinte, empreinte_precedente, nb_tickets FROM t_journee "
            "WHERE id_caisse = ? AND numero_z IS NOT NULL ORDER BY numero_z", [id_caisse]).fetchall():
        yield numero, link, previous, day_payload(con, id_journee), (id_journee, stored)


def _verify_chain(con, key, kind, id_caisse, code) -> Broken | None:
    records = _ticket_records(con, id_caisse) if kind == "ticket" else _day_records(con, id_caisse)
    previous = GENESIS
    for expected, (numero, link, stored_previous, payload, *day) in enumerate(records, 1):
        if numero != expected:
            return Broken(code, kind, expected, "manquant dans la numérotation (enregistrement supprimé)")
        if stored_previous != previous:
            return Broken(code, kind, numero, "le lien vers l'enregistrement précédent ne correspond pas")
        if not hmac.compare_digest(_mac(key, previous, payload), link or ""):
            return Broken(code, kind, numero, "son contenu a été modifié après validation")
        if day:
            id_journee, stored = day[0]
            counted = con.execute("SELECT count(*) FROM t_ticket WHERE id_journee = ? AND statut = 'VALIDE'",
                                  [id_journee]).fetchall()[0][0]
            if counted != stored:
                return Broken(code, kind, numero, f"{stored} tickets enregistrés à la fermeture, {counted} trouvés")
        previous = link
    return None


def _verify_head(con, key, key_path, kind, id_caisse, code) -> Broken | None:
    head = read_head(key_path, code)
    if head is None:
        return None
    claimed = dict(head)
    mac = claimed.pop("mac", "")
    if not hmac.compare_digest(_mac(key, "", claimed), mac):
        return Broken(code, kind, 0, "le fichier de tête de chaîne a été modifié")
    number, link = (head["ticket"], head["ticket_empreinte"]) if kind == "ticket" else (head["numero_z"],
                                                                                          head["journee_empreinte"])
    last, _ = last_link(con, kind, id_caisse)
    if last < number:
        return Broken(code, kind, last + 1, f"manquant : la chaîne s'arrête au n°{last} alors que le n°{number} "
                                            "avait été enregistré (fin de chaîne supprimée)")
    if number and kind == "ticket":
        rows = con.execute("SELECT empreinte FROM t_ticket WHERE id_caisse = ? AND numero = ?", [id_caisse, number])
    elif number:
        rows = con.execute("SELECT empreinte FROM t_journee WHERE id_caisse = ? AND numero_z = ?", [id_caisse, number])
    else:
        return None
    stored = rows.fetchall()
    if not stored or stored[0][0] != link:
        return Broken(code, kind, number, "ne correspond plus à la tête de chaîne enregistrée")
    return None
