"""`caisse verify` and the Journal's check (R10, R11): every chain recomputed, compared with what witnessed
the store from outside (the heads beside the key, the last archived receipt and Z of each register, the
last lot sent: its local copy and, when the main server answers, the drop's), and the result recorded in
the JET (95 passed, 90 broken)."""

from __future__ import annotations

import hmac
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from caisse.common.config import Settings
from caisse.common.money import plural
from caisse.fiscal import chains
from caisse.fiscal.chains import SERVER
from caisse.fiscal.jet import record_event
from caisse.fiscal.keys import Keys, load_keys
from caisse.fiscal.registry import record_survey
from caisse.fiscal.verify import SERVER_WITNESS, Witness, codes_of, printed_witnesses, registers, verify_chains
from caisse.rules.auth import User
from caisse.storage.store import Store
from pipeline import EXPORT_MANIFEST, PipelineError, open_drop, read_manifest
from pipeline.manifest import Manifest

_LOT = re.compile(r"^(?P<caisse>.+)-Z(?P<first>\d{6})-Z(?P<last>\d{6})$")


@dataclass
class Verified:
    broken: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was compared, and what could not be

    @property
    def intact(self) -> bool:
        return not self.broken


@dataclass
class Lots:
    """The lots of a register found in one place (its local copies, or the drop), checked one by one."""

    where: str
    found: list[tuple[str, Manifest]] = field(default_factory=list)

    def check(self, keys: Keys, id_caisse: int, known: dict[str, int]) -> tuple[list[str], list[Witness]]:
        """(breaks in sentences, the witness of the newest authentic lot). Each lot must carry a valid MAC under a
        key of the register, name this register, and take its place: numbered in sequence after the lot it names
        as previous, as the store recorded it (`known`: lot -> sequence of the lots the store sent)."""
        out: list[str] = []
        authentic: list[tuple[int, str, Manifest]] = []
        legacy: list[tuple[str, Manifest]] = []
        for name, m in self.found:
            signer = keys.by_id(m.cle) if m.cle else None
            if not m.mac:
                if m.id_caisse:  # written by this version, its MAC removed
                    out.append(f"le lot {name} ({self.where}) n'a plus son MAC")
                else:
                    legacy.append((name, m))  # a lot sent before lots were authenticated
                continue
            if signer is None or not hmac.compare_digest(chains.mac(signer, m.signed_body()), m.mac):
                out.append(f"le lot {name} ({self.where}) n'est pas authentique : son manifeste ne porte pas le MAC "
                           "de la caisse (lot déposé ou modifié hors du logiciel)")
                continue
            if m.id_caisse != str(id_caisse):
                continue  # another register's lot under the same code
            authentic.append((int(m.sequence or 0), name, m))
        days = {name: {j for j, _ in m.journees} for _, name, m in authentic}
        newest_known = max(known.values(), default=0)
        for sequence, name, _ in authentic:
            if name in known and known[name] != sequence:
                out.append(f"le lot {name} ({self.where}) est hors de sa place : n°{sequence} pour n°{known[name]} "
                           "selon la base")
            elif name not in known and sequence != newest_known + 1 and not any(
                    known.get(other) == sequence and days[name] <= days[other] for other in days):
                out.append(f"le lot {name} ({self.where}) prend la place n°{sequence} alors que la base ne l'a "
                           "jamais envoyé (lot hors de sa place)")
        names = {name: sequence for sequence, name, _ in authentic}
        for sequence, name, m in authentic:
            if m.precedent and m.precedent in names and names[m.precedent] != sequence - 1:
                out.append(f"le lot {name} ({self.where}) ne suit pas le lot {m.precedent} qu'il nomme")
        if not authentic:
            if not legacy:
                return out, []
            name, newest = max(legacy, key=lambda lot: int(_LOT.match(lot[0])["last"]))
            return out, [Witness(f"le lot {name} ({self.where})", kind, numero, empreinte)
                         for kind, (numero, empreinte) in newest.chaines.items()]
        sequence, name, newest = max(authentic, key=lambda a: (a[0], a[2].journees[-1][1] if a[2].journees else 0))
        witnesses = [Witness(f"le lot {name} ({self.where})", kind, numero, empreinte)
                     for kind, (numero, empreinte) in newest.chaines.items()]
        if newest.journal_serveur:
            witnesses.append(Witness(f"le lot {name} ({self.where})", SERVER_WITNESS, *newest.journal_serveur))
        return out, witnesses


def _local_lots(settings: Settings, codes: list[str]) -> Lots:
    lots = Lots("copie locale")
    folder = settings.sent_dir
    for path in sorted(folder.glob("*")) if folder.exists() else []:
        match = _LOT.match(path.name)
        if match and match["caisse"] in codes and (path / EXPORT_MANIFEST).exists():
            try:
                lots.found.append((path.name, read_manifest(path / EXPORT_MANIFEST)))
            except PipelineError:
                continue  # verify says the lot is not authentic below only when it can read a MAC
    return lots


def _drop_lots(drop, settings: Settings, codes: list[str], notes: list[str]) -> Lots:
    lots = Lots("reçu par le serveur principal")
    for code in codes:
        folder = settings.export_folder(code)
        try:
            names = [n for n in drop.folders(folder) if (m := _LOT.match(n)) and m["caisse"] == code]
            with tempfile.TemporaryDirectory(prefix="caisse-verify-") as tmp:
                for name in names:
                    try:
                        drop.fetch(f"{folder}/{name}", EXPORT_MANIFEST, Path(tmp) / name)
                    except PipelineError:
                        continue  # a lot whose manifest is not there yet is not complete
                    lots.found.append((name, read_manifest(Path(tmp) / name)))
        except PipelineError as e:
            notes.append(f"Les lots de la caisse {code} n'ont pas pu être relus sur le serveur principal "
                         f"({e.message}).")
    return lots


def check_outside(settings: Settings, keys: Keys, registers: list[tuple[int, str, list[str], dict[str, int]]],
                  use_drop: bool, notes: list[str]) -> tuple[dict[int, list[Witness]], list[str]]:
    """({register id: witnesses}, breaks in sentences) of what saw the store from outside: the last receipt and Z
    archived and the lots sent (local copies, and the drop's when it answers), for every code a register had."""
    out: dict[int, list[Witness]] = {}
    broken: list[str] = []
    drop = None
    if use_drop:
        try:
            drop = open_drop(settings.drop, **settings.drop_options())
        except PipelineError as e:
            notes.append(f"Le serveur principal ne répond pas ({e.message}) : les lots sont comparés à leur copie "
                         "locale seulement.")
    try:
        for id_caisse, code, codes, known in registers:
            if id_caisse == SERVER:
                continue
            found = printed_witnesses(settings.home, codes, id_caisse)
            places = [_local_lots(settings, codes)]
            if drop is not None:
                places.append(_drop_lots(drop, settings, codes, notes))
            for lots in places:
                said, seen = lots.check(keys, id_caisse, known)
                broken += [f"Caisse {code} : {sentence}" for sentence in said]
                found += seen
            out.setdefault(SERVER, []).extend(w for w in found if w.kind == SERVER_WITNESS)
            out[id_caisse] = [w for w in found if w.kind != SERVER_WITNESS]
    finally:
        if drop is not None:
            drop.close()
    out[SERVER] = [Witness(w.source, "jet", w.numero, w.empreinte) for w in out.get(SERVER, [])]
    return out, broken


def run_verify(store: Store, settings: Settings, user: User | None = None, *, use_drop: bool = True) -> Verified:
    """Verify everything, record the result in the JET with a relevé of the heads; the breaks in sentences
    (none: intact)."""
    keys = load_keys(store.key_path)
    result = Verified()
    with store.connect() as con:
        known = registers(con, store.key_path)
        described = [(ident, code, codes_of(con, ident) or [code], _sent(con, ident)) for ident, code in known]
    found, outside = check_outside(settings, keys, described, use_drop, result.notes)
    with store.transaction() as con:
        result.broken = [str(b) for b in verify_chains(con, keys, store.key_path, found,
                                                       archives=settings.home / "archives")] + outside
        checked = sum(len(v) for v in found.values())
        codes = [code for ident, code in known if ident != SERVER]
        if result.broken:
            detail = f"{plural(len(result.broken), 'rupture')} : " + " ; ".join(result.broken[:5])
        else:
            witnesses = plural(checked, "témoin extérieur", "témoins extérieurs")
            detail = f"toutes les chaînes intactes ({plural(len(codes), 'caisse')}, {witnesses})"
        record_event(con, 90 if result.broken else 95, login=user.login if user else None, detail=detail[:2000])
        record_survey(con, "vérification", login=user.login if user else None)
    return result


def _sent(con, id_caisse: int) -> dict[str, int]:
    """{lot: its place} of the lots the store sent for a register, in the order they were sent."""
    names = [lot for lot, in con.execute(
        "SELECT l.lot FROM lot_envoye l JOIN t_journee j USING (id_journee) WHERE j.id_caisse = ? GROUP BY l.lot "
        "ORDER BY min(l.ts)", [id_caisse]).fetchall()]
    return {name: n for n, name in enumerate(names, 1)}
