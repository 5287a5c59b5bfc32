"""`caisse verify` (R10, R11): every chain of every register recomputed from what is stored, to its end,
every break reported (not only the first), and the store compared with what witnessed it outside: the
heads beside the key, the last archived receipt and Z, the last lot sent (its local copy, and the drop's
when it is reachable). A store and head file put back together from an older copy are seen there.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .chains import GENESIS, SERVER, heads, read_heads, sign
from .keys import Keys, load_keys
from .purge import purged_ranges
from .records import KINDS, canonical, record_numbers

HEAD_LABELS = {"ticket": "Tickets", "cloture": "Clôtures", "mouvement": "Mouvements", "duplicata": "Duplicatas",
               "jet": "Événements", "archive": "Archives"}
EXCERPT = 16  # hex characters of a link printed on paper
_HEAD_LINE = re.compile(r"^(" + "|".join(HEAD_LABELS.values()) + r")\s+(\d+)\s+([0-9a-f]{16}|-)$")
_RECEIPT_LINK = re.compile(r"^Empreinte ([0-9a-f]{16})")


@dataclass(frozen=True)
class Broken:
    """One broken record of a chain, in a sentence that names the register, the chain and the record."""

    caisse: str
    chaine: str
    numero: int | None
    raison: str

    def __str__(self) -> str:
        kind = KINDS[self.chaine]
        record = f", {kind.record.format(self.numero)}" if self.numero is not None else ""
        return f"Caisse {self.caisse}, {kind.words}{record} : {self.raison}"


@dataclass(frozen=True)
class Witness:
    """What a document outside the store says of a chain: its number and link (or link excerpt) then."""

    source: str
    kind: str
    numero: int
    empreinte: str


def registers(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """Every register that has records or links, with its code (the server's own chain as « serveur »)."""
    rows = con.execute("""
        SELECT id, coalesce(c.code, CASE WHEN id = 0 THEN 'serveur' ELSE 'n°' || id END) FROM (
            SELECT id_caisse AS id FROM maillon UNION SELECT id_caisse FROM t_ticket
            UNION SELECT id_caisse FROM t_journee WHERE date_fermeture IS NOT NULL UNION SELECT id_caisse FROM jet)
        LEFT JOIN t_caisse c ON c.id_caisse = id ORDER BY id""").fetchall()
    return [(ident, code) for ident, code in rows if ident is not None]


def verify_chains(con: duckdb.DuckDBPyConnection, keys: Keys, key_path: Path,
                  witnesses: dict[str, list[Witness]] | None = None) -> list[Broken]:
    """Every break of every chain, then every disagreement with the heads and the witnesses (by code)."""
    broken: list[Broken] = []
    for id_caisse, code in registers(con):
        for kind in KINDS:
            broken += _verify_chain(con, keys, kind, id_caisse, code)
        broken += _verify_heads(con, keys, key_path, id_caisse, code)
        store_heads = heads(con, id_caisse)
        for witness in (witnesses or {}).get(code, []):
            broken += _compare(con, id_caisse, code, store_heads, witness)
    return broken


def _verify_chain(con, keys: Keys, kind: str, id_caisse: int, code: str) -> list[Broken]:
    out = []
    links = con.execute("SELECT numero, ref, version, cle, empreinte, empreinte_precedente FROM maillon "
                        "WHERE id_caisse = ? AND chaine = ? ORDER BY numero", [id_caisse, kind]).fetchall()
    payloads = canonical(con, kind, id_caisse)
    purged = purged_ranges(con, id_caisse) if kind == "ticket" else []
    expected, previous = 1, GENESIS
    for numero, ref, version, key_name, empreinte, stored_previous in links:
        if numero != expected:
            gap = f"n°{expected}" if numero == expected + 1 else f"n°{expected} à {numero - 1}"
            out.append(Broken(code, kind, expected, f"manquant : les maillons {gap} ont été supprimés"))
        if stored_previous != previous:
            out.append(Broken(code, kind, numero, "son lien ne suit pas le maillon précédent (maillons supprimés, "
                                                  "insérés ou échangés)"))
        key = keys.by_id(key_name)
        payload = payloads.pop(ref, None)
        if key is None:
            out.append(Broken(code, kind, numero, f"signé par une clé inconnue ({key_name}) : restaurez le fichier "
                                                  "de clés complet"))
        elif payload is None:
            if not any(low <= numero <= high for low, high in purged):  # a purge after archive removes on purpose
                out.append(Broken(code, kind, numero, "l'enregistrement a été supprimé de la base"))
        elif not hmac.compare_digest(sign(key, kind, id_caisse, numero, stored_previous, payload, version),
                                     empreinte or ""):
            out.append(Broken(code, kind, numero, "son contenu a été modifié après son enregistrement"))
        expected, previous = numero + 1, empreinte
    numbers = record_numbers(con, kind, id_caisse) if payloads else {}
    for ref in sorted(payloads, key=lambda r: (numbers.get(r) or 0, r)):
        out.append(Broken(code, kind, numbers.get(ref), f"enregistrement {ref[:8]} sans maillon : il a été écrit hors "
                                                        "du logiciel"))
    return out


def _verify_heads(con, keys: Keys, key_path: Path, id_caisse: int, code: str) -> list[Broken]:
    found, problem = read_heads(keys, key_path, id_caisse)
    store_heads = heads(con, id_caisse)
    if problem:
        return [Broken(code, kind, None, problem) for kind in sorted(store_heads) or ["ticket"]]
    if found is None:
        if not store_heads:
            return []
        return [Broken(code, kind, None, f"la chaîne a {numero} maillon(s) mais son fichier de têtes a disparu "
                                         f"({Path(key_path).parent / 'chaines'})")
                for kind, (numero, _) in sorted(store_heads.items())]
    out = []
    for kind, (numero, empreinte) in sorted(found.items()):
        out += _compare(con, id_caisse, code, store_heads, Witness("le fichier des têtes de chaîne", kind, numero,
                                                                   empreinte))
    return out


def _compare(con, id_caisse: int, code: str, store_heads: dict, witness: Witness) -> list[Broken]:
    """The store must hold the witnessed link: a shorter chain was cut (or put back from an older copy)."""
    last_number = store_heads.get(witness.kind, (0, GENESIS))[0]
    if witness.numero > last_number:
        return [Broken(code, witness.kind, last_number + 1,
                       f"manquant : la chaîne s'arrête au n°{last_number} alors que {witness.source} montre le "
                       f"n°{witness.numero} (fin de chaîne supprimée, ou base remise d'une copie plus ancienne)")]
    if witness.numero == 0:
        return []
    rows = con.execute("SELECT empreinte FROM maillon WHERE id_caisse = ? AND chaine = ? AND numero = ?",
                       [id_caisse, witness.kind, witness.numero]).fetchall()
    if not rows or not (rows[0][0] or "").startswith(witness.empreinte):
        return [Broken(code, witness.kind, witness.numero, f"ne correspond plus à {witness.source}")]
    return []


# Witnesses outside the store.

def printed_witnesses(home: Path, code: str) -> list[Witness]:
    """The last original receipt and Z archived for a register (they came out on paper, or could have)."""
    out = []
    folders = sorted((p for p in (Path(home) / "tickets").glob("*") if p.is_dir()), reverse=True)
    for prefix, reader in ((f"{code}-T", _receipt_witness), (f"{code}-Z", _z_witnesses)):
        for folder in folders:
            originals = sorted(p for p in folder.glob(f"{prefix}*.txt") if "DUPLICATA" not in p.name)
            if originals:
                out += reader(originals[-1])
                break
    return out


def _receipt_witness(path: Path) -> list[Witness]:
    numero = int(path.stem.rsplit("T", 1)[1])
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _RECEIPT_LINK.match(line.strip()):
            return [Witness(f"le ticket archivé {path.name}", "ticket", numero, match.group(1))]
    return []


def _z_witnesses(path: Path) -> list[Witness]:
    labels = {label: kind for kind, label in HEAD_LABELS.items()}
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _HEAD_LINE.match(line.strip()):
            label, numero, excerpt = match.groups()
            out.append(Witness(f"le ticket Z archivé {path.name}", labels[label], int(numero),
                               "" if excerpt == "-" else excerpt))
    return out


def load(path: Path) -> Keys:
    return load_keys(path)


__all__ = ["Broken", "Witness", "verify_chains", "printed_witnesses", "HEAD_LABELS", "EXCERPT", "SERVER"]
