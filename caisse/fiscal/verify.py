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

from caisse.common.money import eur, plural
from caisse.fiscal.chains import (
    GENESIS,
    SERVER,
    SERVER_HEAD,
    head_path,
    heads,
    heads_dir,
    read_head_file,
    registers_with_files,
    set_aside_files,
    sign,
    surveyed,
)
from caisse.fiscal.jet import CLOCK_TOLERANCE
from caisse.fiscal.keys import Keys, key_id, load_keys
from caisse.fiscal.purge import purged_ranges
from caisse.fiscal.records import KINDS, canonical, record_numbers
from pipeline.manifest import sha256_file

HEAD_LABELS = {"ticket": "Tickets", "cloture": "Clôtures", "mouvement": "Mouvements", "duplicata": "Duplicatas",
               "jet": "Événements", "archive": "Archives"}
EXCERPT = 16  # hex characters of a link printed on paper
_HEAD_LINE = re.compile(r"^(" + "|".join(HEAD_LABELS.values()) + r")\s+(\d+)\s+([0-9a-f]{16}|-)$")
SERVER_LABEL = "Journal serveur"
_SERVER_LINE = re.compile(r"^" + SERVER_LABEL + r"\s+(\d+)\s+([0-9a-f]{16}|-)$")
_RECEIPT_LINK = re.compile(r"^Empreinte ([0-9a-f]{16})")


@dataclass(frozen=True)
class Broken:
    """One broken record of a chain (or a whole register's, `chaine` None), in a sentence that names the register,
    the chain and the record."""

    caisse: str
    chaine: str | None
    numero: int | None
    raison: str

    def __str__(self) -> str:
        if self.chaine is None:
            return f"Caisse {self.caisse} : {self.raison}"
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


def registers(con: duckdb.DuckDBPyConnection, key_path: Path | None = None) -> list[tuple[int, str]]:
    """Every register that ever existed, with its code: those of the store (registers, records, links, events),
    those that have a heads file beside the key, and those the server's relevés name (the server's own chain as
    « serveur »). A register wiped from the store is still listed by the two others."""
    ids = {ident for ident, in con.execute(
        "SELECT id_caisse FROM maillon UNION SELECT id_caisse FROM t_ticket UNION SELECT id_caisse FROM t_journee "
        "WHERE date_fermeture IS NOT NULL UNION SELECT id_caisse FROM jet UNION SELECT id_caisse FROM t_caisse")
        .fetchall() if ident is not None}
    surveys = surveyed(con)
    ids |= set(surveys)
    if key_path is not None:
        ids |= set(registers_with_files(key_path))
    codes = dict(con.execute("SELECT id_caisse, code FROM t_caisse").fetchall())
    signed = dict(con.execute("SELECT id_caisse, arg_max(caisse, ts) FROM jet WHERE caisse IS NOT NULL GROUP BY "
                              "id_caisse").fetchall())

    def code(ident: int) -> str:
        if ident == SERVER:
            return "serveur"
        return codes.get(ident) or signed.get(ident) or (surveys[ident].code if ident in surveys else "") \
            or f"n°{ident}"
    return sorted((ident, code(ident)) for ident in ids)


def codes_of(con: duckdb.DuckDBPyConnection, id_caisse: int) -> list[str]:
    """Every code a register has had (its events signed them), the current one first: documents and lots are
    named by code, and a code can be changed by an import or by hand."""
    current = [c for c, in con.execute("SELECT code FROM t_caisse WHERE id_caisse = ?", [id_caisse]).fetchall() if c]
    signed = [c for c, in con.execute("SELECT DISTINCT caisse FROM jet WHERE id_caisse = ? AND caisse IS NOT NULL "
                                      "ORDER BY 1", [id_caisse]).fetchall()]
    return list(dict.fromkeys(current + signed))


def verify_chains(con: duckdb.DuckDBPyConnection, keys: Keys, key_path: Path,
                  witnesses: dict[int, list[Witness]] | None = None, archives: Path | None = None) -> list[Broken]:
    """Every break of every chain, then every disagreement with the heads files, the server's relevés, the
    witnesses (by register id), the days' signed openings, and the archives recorded (when `archives`, the
    folder they live in, is given)."""
    broken: list[Broken] = []
    surveys = surveyed(con)
    introduced = introduced_keys(con, keys)
    for id_caisse, code in registers(con, key_path):
        for kind in KINDS:
            broken += _verify_chain(con, keys, kind, id_caisse, code, introduced)
        broken += _verify_heads(con, keys, key_path, id_caisse, code)
        store_heads = heads(con, id_caisse)
        if id_caisse in surveys:
            survey = surveys[id_caisse]
            for kind, (numero, empreinte) in sorted(survey.heads.items()):
                source = f"le relevé n°{survey.numero} du journal du serveur"
                broken += _compare(con, id_caisse, code, store_heads, Witness(source, kind, numero, empreinte))
        for witness in (witnesses or {}).get(id_caisse, []):
            broken += _compare(con, id_caisse, code, store_heads, witness)
        broken += _verify_openings(con, id_caisse, code)
    for path in set_aside_files(key_path):
        how = "modifié" if ".rejete-" in path.name else "absent"
        broken.append(Broken(_file_register(path), None, None,
                             f"son fichier de têtes de chaîne a été trouvé {how} et gardé de côté ({path.name}) : "
                             "la base ou ce fichier a été touché hors du logiciel"))
    if archives is not None:
        broken += verify_archives(con, archives)
    return broken


def _file_register(path: Path) -> str:
    stem = path.name.split(".json", 1)[0]
    return "serveur" if stem == "serveur" else f"n°{stem.removeprefix('caisse-')}"


def introduced_keys(con: duckdb.DuckDBPyConnection, keys: Keys) -> dict[str, object]:
    """{key id: when it started to count} from the signed events that created (250) or renewed (255) a key; a
    store older than those events counts its file's first key from the start."""
    found: dict[str, object] = {}
    for detail, ts in con.execute("SELECT detail, ts FROM jet WHERE code IN (250, 255) ORDER BY ts").fetchall():
        match = _KEY_EVENT.search(detail or "")
        if match:
            found.setdefault(match.group(1), ts)
    if not con.execute("SELECT count(*) FROM jet WHERE code = 250").fetchall()[0][0]:
        found.setdefault(key_id(keys.keys[0]), None)
    return found


_KEY_EVENT = re.compile(r"(?:clé|par) ([0-9a-f]{16})(?: \(|$| ;)")


def _verify_chain(con, keys: Keys, kind: str, id_caisse: int, code: str, introduced: dict | None = None) \
        -> list[Broken]:
    out = []
    links = con.execute("SELECT numero, ref, version, cle, empreinte, empreinte_precedente, ts FROM maillon "
                        "WHERE id_caisse = ? AND chaine = ? ORDER BY numero", [id_caisse, kind]).fetchall()
    payloads = canonical(con, kind, id_caisse)
    purged = purged_ranges(con, id_caisse) if kind == "ticket" else []
    expected, previous = 1, GENESIS
    for numero, ref, version, key_name, empreinte, stored_previous, ts in links:
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
        elif introduced is not None and (key_name not in introduced or (
                introduced[key_name] is not None and ts < introduced[key_name] - CLOCK_TOLERANCE)):
            out.append(Broken(code, kind, numero, f"signé par la clé {key_name}, qu'aucun événement signé de création "
                                                  "ou de renouvellement n'a introduite (clé ajoutée hors du logiciel)"))
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
    """The heads file against the store: the store's head of each chain is the file's committed one, or the one
    of a commit that was under way when the file was written; behind it the chain was cut, beyond it the file was
    put back from an older copy."""
    found, problem = read_head_file(keys, key_path, id_caisse)
    store_heads = heads(con, id_caisse)
    if problem:
        return [Broken(code, kind, None, problem) for kind in sorted(store_heads) or ["ticket"]]
    if found is None:
        if not store_heads:
            return []
        return [Broken(code, kind, None, f"la chaîne a {plural(numero, 'maillon')} mais son fichier de têtes a disparu "
                                         f"({heads_dir(key_path)})")
                for kind, (numero, _) in sorted(store_heads.items())]
    out = []
    pending = found.en_cours or {}
    source = f"le fichier des têtes de chaîne ({head_path(key_path, id_caisse).name})"
    if SERVER_HEAD in found.chaines:  # what this register's file knew of the server's journal: it must be there
        out += _compare(con, SERVER, "serveur", heads(con, SERVER),
                        Witness(source, "jet", *found.chaines[SERVER_HEAD]))
    for kind in sorted((set(store_heads) | set(found.chaines) | set(pending)) - {SERVER_HEAD}):
        numero, empreinte = store_heads.get(kind, (0, GENESIS))
        committed = found.chaines.get(kind, (0, GENESIS))
        under_way = pending.get(kind, committed)
        if numero < committed[0]:
            out += _compare(con, id_caisse, code, store_heads, Witness(source, kind, *committed))
        elif numero > max(committed[0], under_way[0]):
            out.append(Broken(code, kind, committed[0] + 1,
                              f"{source} s'arrête au n°{max(committed[0], under_way[0])} alors que la base va jusqu'au "
                              f"n°{numero} : ce fichier a été remis d'une copie plus ancienne (maillons supprimés "
                              "puis fichier remplacé ?)"))
        elif (numero, empreinte) not in (committed, under_way) and numero:
            out.append(Broken(code, kind, numero, f"ne correspond plus à {source}"))
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


def _verify_openings(con, id_caisse: int, code: str) -> list[Broken]:
    """Each day's float, opening time and opener are those its signed FOND move recorded when it opened."""
    out = []
    for numero_z, fond, opened, by, moved, amount, when, who in con.execute("""
            SELECT j.numero_z, j.fond_caisse, j.date_ouverture, j.id_utilisateur_ouverture, m.id_mouvement,
                   m.montant, m.date_mouvement, m.id_utilisateur
            FROM t_journee j LEFT JOIN (SELECT * FROM t_livre_de_caisse WHERE type = 'FOND') m USING (id_journee)
            WHERE j.id_caisse = ? ORDER BY j.date_ouverture""", [id_caisse]).fetchall():
        day = f"le Z n°{numero_z}" if numero_z else f"la journée ouverte le {opened:%d/%m/%Y %H:%M}"
        if moved is None:
            if fond:
                out.append(Broken(code, "mouvement", None, f"{day} n'a pas de fond de caisse signé à l'ouverture"))
        elif (fond, opened, by) != (amount, when, who):
            out.append(Broken(code, "mouvement", None,
                              f"{day} ne dit plus ce que son ouverture a signé (fond {eur(amount)}, ouverte le "
                              f"{when:%d/%m/%Y %H:%M:%S}) : la journée a été modifiée hors du logiciel"))
    return out


def verify_archives(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Broken]:
    """Each archive the store recorded is there, with the SHA-256 recorded (after a purge it is the only copy)."""
    out = []
    for code, kind, period, fichier, sha in con.execute(
            "SELECT coalesce(c.code, 'n°' || a.id_caisse), a.type, a.periode, a.fichier, a.sha256 FROM archive a "
            "LEFT JOIN t_caisse c USING (id_caisse) ORDER BY a.ts").fetchall():
        path = Path(folder) / fichier
        what = f"l'archive {'du mois' if kind == 'MOIS' else 'de l’exercice'} {period} ({path})"
        if not path.is_file():
            out.append(Broken(code, "archive", None, f"{what} a disparu : restaurez-la depuis sa copie"))
        elif sha256_file(path) != sha:
            out.append(Broken(code, "archive", None, f"{what} n'est plus celle enregistrée (SHA-256 différent)"))
    return out


# Witnesses outside the store.

def printed_witnesses(home: Path, codes: list[str], id_caisse: int) -> list[Witness]:
    """The last original receipt and Z archived for a register under each code it has had (they came out on
    paper, or could have); a document that names another register's identity is not this one's."""
    out = []
    folders = sorted((p for p in (Path(home) / "tickets").glob("*") if p.is_dir()), reverse=True)
    for code in codes:
        for prefix, reader in ((f"{code}-T", _receipt_witness), (f"{code}-Z", _z_witnesses)):
            for folder in folders:
                originals = sorted(p for p in folder.glob(f"{prefix}*.txt") if "DUPLICATA" not in p.name
                                   and _identity_of(p) in (None, id_caisse))
                if originals:
                    out += reader(originals[-1])
                    break
    return out


IDENTITY = "Identité caisse n°{id_caisse} {identite}"
_IDENTITY_LINE = re.compile(r"^Identité caisse n°(\d+) ([0-9a-f]{0,16})$")


def identity_line(id_caisse: int, identite: str) -> str:
    """The line every receipt and Z prints: which register made it, whatever its code."""
    return IDENTITY.format(id_caisse=id_caisse, identite=identite)


def _identity_of(path: Path) -> int | None:
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _IDENTITY_LINE.match(line.strip()):
            return int(match.group(1))
    return None


def _receipt_witness(path: Path) -> list[Witness]:
    numero = int(path.stem.rsplit("T", 1)[1])
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _RECEIPT_LINK.match(line.strip()):
            return [Witness(f"le ticket archivé {path.name}", "ticket", numero, match.group(1))]
    return []


def _z_witnesses(path: Path) -> list[Witness]:
    """The register's heads a Z printed, and the server journal's (as the kind « serveur »)."""
    labels = {label: kind for kind, label in HEAD_LABELS.items()}
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _HEAD_LINE.match(line.strip()):
            label, numero, excerpt = match.groups()
            out.append(Witness(f"le ticket Z archivé {path.name}", labels[label], int(numero),
                               "" if excerpt == "-" else excerpt))
        elif match := _SERVER_LINE.match(line.strip()):
            numero, excerpt = match.groups()
            out.append(Witness(f"le ticket Z archivé {path.name}", SERVER_WITNESS, int(numero),
                               "" if excerpt == "-" else excerpt))
    return out


SERVER_WITNESS = "serveur"  # a witness of the server journal's head, found on a register's Z or lot


def load(path: Path) -> Keys:
    return load_keys(path)


__all__ = ["Broken", "Witness", "verify_chains", "printed_witnesses", "HEAD_LABELS", "EXCERPT", "SERVER"]
