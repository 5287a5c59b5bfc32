"""`caisse verify` and the Journal's check (R10, R11): every chain recomputed, compared with what witnessed
the store from outside (the heads beside the key, the last archived receipt and Z of each register, the
last lot sent: its local copy and, when the main server answers, the drop's), and the result recorded in
the JET (95 passed, 90 broken)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import EXPORT_MANIFEST, PipelineError, open_drop, read_manifest

from .auth import User
from .config import Settings
from .fiscal.jet import record_event
from .fiscal.keys import load_keys
from .fiscal.verify import Witness, printed_witnesses, registers, verify_chains
from .store import Store

_LOT = re.compile(r"^(?P<caisse>.+)-Z(?P<first>\d{6})-Z(?P<last>\d{6})$")


@dataclass
class Verified:
    broken: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was compared, and what could not be

    @property
    def intact(self) -> bool:
        return not self.broken


def _newest_lot(names: list[str], code: str) -> str | None:
    lots = [(int(m["last"]), n) for n in names if (m := _LOT.match(n)) and m["caisse"] == code]
    return max(lots)[1] if lots else None


def _lot_witnesses(manifest_path: Path, source: str) -> list[Witness]:
    manifest = read_manifest(manifest_path)
    return [Witness(source, kind, numero, empreinte) for kind, (numero, empreinte) in manifest.chaines.items()]


def witnesses(settings: Settings, codes: list[str], use_drop: bool, notes: list[str]) -> dict[str, list[Witness]]:
    out: dict[str, list[Witness]] = {}
    sent = sorted(p.name for p in settings.sent_dir.glob("*") if p.is_dir()) if settings.sent_dir.exists() else []
    drop = None
    if use_drop:
        try:
            drop = open_drop(settings.drop, **settings.drop_options())
        except PipelineError as e:
            notes.append(f"Le serveur principal ne répond pas ({e.message}) : les lots sont comparés à leur copie "
                         "locale seulement.")
    try:
        for code in codes:
            found = printed_witnesses(settings.home, code)
            lot = _newest_lot(sent, code)
            if lot and (settings.sent_dir / lot / EXPORT_MANIFEST).exists():
                found += _lot_witnesses(settings.sent_dir / lot / EXPORT_MANIFEST, f"le lot {lot} (copie locale)")
            if drop is not None:
                found += _drop_witnesses(drop, settings, code, notes)
            out[code] = found
    finally:
        if drop is not None:
            drop.close()
    return out


def _drop_witnesses(drop, settings: Settings, code: str, notes: list[str]) -> list[Witness]:
    folder = settings.export_dir.replace("{caisse}", code)
    try:
        lot = _newest_lot(drop.folders(folder), code)
        if lot is None:
            return []
        with tempfile.TemporaryDirectory(prefix="caisse-verify-") as tmp:
            drop.fetch(f"{folder}/{lot}", EXPORT_MANIFEST, Path(tmp) / EXPORT_MANIFEST)
            return _lot_witnesses(Path(tmp) / EXPORT_MANIFEST, f"le lot {lot} reçu par le serveur principal")
    except PipelineError as e:
        notes.append(f"Le dernier lot de la caisse {code} n'a pas pu être relu sur le serveur principal "
                     f"({e.message}).")
        return []


def run_verify(store: Store, settings: Settings, user: User | None = None, *, use_drop: bool = True) -> Verified:
    """Verify everything, record the result in the JET; the breaks in sentences (none: intact)."""
    keys = load_keys(store.key_path)
    result = Verified()
    with store.connect() as con:
        codes = [code for _, code in registers(con)]
    found = witnesses(settings, codes, use_drop, result.notes)
    with store.transaction() as con:
        result.broken = [str(b) for b in verify_chains(con, keys, store.key_path, found)]
        checked = sum(len(v) for v in found.values())
        detail = (f"{len(result.broken)} rupture(s) : " + " ; ".join(result.broken[:5])) if result.broken else \
            f"toutes les chaînes intactes ({len(codes)} caisse(s), {checked} témoin(s) extérieur(s))"
        record_event(con, 90 if result.broken else 95, login=user.login if user else None, detail=detail[:2000])
    return result
