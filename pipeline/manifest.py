"""Manifests of a lot: `infos_import.xml` (main server -> register) and `infos_export.xml` (back)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .errors import BadTableFile, ManifestMismatch, PipelineError
from .names import ascii_digits, check_identifier
from .xmlread import check_prolog

IMPORT_MANIFEST = "infos_import.xml"
EXPORT_MANIFEST = "infos_export.xml"
MANIFESTS = (IMPORT_MANIFEST, EXPORT_MANIFEST)
_FIELDS = ("lot", "date_creation", "serveur", "caisse", "empreinte")
_LOT_FIELDS = ("id_caisse", "identite", "sequence", "precedent")  # an export lot's place (read as text)


@dataclass(frozen=True)
class FileEntry:
    nom: str
    lignes: int
    sha256: str


@dataclass
class Manifest:
    lot: str
    date_creation: str = ""
    serveur: str = ""
    caisse: str = ""
    fichiers: list[FileEntry] = field(default_factory=list)
    journees: list[tuple[str, int]] = field(default_factory=list)
    empreinte: str = ""
    chaines: dict[str, tuple[int, str]] = field(default_factory=dict)  # the register's chain heads (number, link)
    id_caisse: str = ""  # an export lot: its register's id and identity (its first link), its place in the
    identite: str = ""  # register's sequence of lots and the lot before it, the server journal's head, and a MAC
    sequence: str = ""  # over all of it under the register's integrity key (`cle` names the key)
    precedent: str = ""
    journal_serveur: tuple[int, str] | None = None
    mac: str = ""
    cle: str = ""

    def signed_body(self) -> bytes:
        """What an export lot's MAC covers: every field and entry but the MAC itself, in a fixed order."""
        parts = [self.lot, self.date_creation, self.serveur, self.caisse, self.empreinte, self.id_caisse,
                 self.identite, self.sequence, self.precedent, self.cle,
                 "|".join(f"{f.nom}:{f.lignes}:{f.sha256}" for f in self.fichiers),
                 "|".join(f"{j}:{z}" for j, z in self.journees),
                 "|".join(f"{k}:{n}:{e}" for k, (n, e) in sorted(self.chaines.items())),
                 "" if self.journal_serveur is None else f"{self.journal_serveur[0]}:{self.journal_serveur[1]}"]
        return "\n".join(parts).encode()

    def entry(self, name: str) -> FileEntry | None:
        """The file's entry, its name compared without case (a Windows server writes T_ARTICLE.XML)."""
        return next((f for f in self.fichiers if f.nom.lower() == name.lower()), None)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(path: Path) -> Manifest:
    """Read a manifest, liberal as the tables are: fields as elements or as attributes of the root. Each file
    it lists must have a safe name (a manifest entry is checked like a file of the drop)."""
    prolog = check_prolog(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                             encoding=prolog.encoding)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as e:
        raise BadTableFile(path.name, f"le manifeste est mal formé ({e.msg})") from None
    if tree.docinfo.doctype:
        raise BadTableFile(path.name, "il contient une déclaration DTD (<!DOCTYPE), interdite pour des raisons de "
                                      "sécurité")
    root = tree.getroot()

    def value(name: str) -> str:  # an element or an attribute of the root, in a namespace or not
        found = root.find("{*}" + name)
        text = found.text if found is not None else root.get(name)
        return (text or "").strip()

    m = Manifest(**{name: value(name) for name in _FIELDS + _LOT_FIELDS})
    for name, what in (("lot", "le nom du lot"), ("caisse", "le code de caisse du lot")):
        if getattr(m, name):
            try:
                check_identifier(getattr(m, name), what)
            except PipelineError as e:
                raise BadTableFile(path.name, e.message.rstrip(".")) from None
    for f in root.iter("{*}fichier"):
        name = f.get("nom") or (f.findtext("{*}nom") or "").strip()
        lines = f.get("lignes") or f.findtext("{*}lignes") or ""
        digest = f.get("sha256") or f.findtext("{*}sha256") or ""
        if not name or not ascii_digits(lines.strip()):
            raise BadTableFile(path.name, "une entrée <fichier> n'a pas de nom ou de nombre de lignes valide")
        try:
            check_identifier(name.strip(), "le nom de fichier annoncé")
        except PipelineError as e:
            raise BadTableFile(path.name, e.message.rstrip(".")) from None
        m.fichiers.append(FileEntry(name.strip(), int(lines), digest.strip().lower()))
    for j in root.iter("{*}journee"):
        m.journees.append((j.get("id_journee", ""), int(j.get("numero_z", "0"))))
    for c in root.iter("{*}chaine"):
        if c.get("nom") and ascii_digits(c.get("numero") or ""):
            m.chaines[c.get("nom")] = (int(c.get("numero")), c.get("empreinte", ""))
    journal = root.find("{*}journal_serveur")
    if journal is not None and ascii_digits(journal.get("numero") or ""):
        m.journal_serveur = (int(journal.get("numero")), journal.get("empreinte", ""))
    mac = root.find("{*}mac")
    if mac is not None:
        m.mac, m.cle = (mac.text or "").strip(), mac.get("cle", "")
    return m


def write_manifest(m: Manifest, path: Path) -> None:
    root = etree.Element(path.stem)
    for name in _FIELDS + _LOT_FIELDS:
        if getattr(m, name):
            etree.SubElement(root, name).text = getattr(m, name)
    files = etree.SubElement(root, "fichiers")
    for f in m.fichiers:
        etree.SubElement(files, "fichier", nom=f.nom, lignes=str(f.lignes), sha256=f.sha256)
    if m.journees:
        days = etree.SubElement(root, "journees")
        for id_journee, numero_z in m.journees:
            etree.SubElement(days, "journee", id_journee=id_journee, numero_z=str(numero_z))
    if m.chaines:
        heads = etree.SubElement(root, "chaines")
        for name, (numero, empreinte) in sorted(m.chaines.items()):
            etree.SubElement(heads, "chaine", nom=name, numero=str(numero), empreinte=empreinte)
    if m.journal_serveur is not None:
        etree.SubElement(root, "journal_serveur", numero=str(m.journal_serveur[0]), empreinte=m.journal_serveur[1])
    if m.mac:
        etree.SubElement(root, "mac", cle=m.cle).text = m.mac
    etree.ElementTree(root).write(str(path), encoding="UTF-8", xml_declaration=True, pretty_print=True)


def check_files(m: Manifest, folder: Path, manifest_name: str = IMPORT_MANIFEST,
                digests: dict[str, str] | None = None) -> None:
    """Every listed file is there and has the listed sha256 (when one is given); `digests`, the sha256 of
    the files already computed by the caller, spares reading them again."""
    digests = {k.lower(): v for k, v in (digests or {}).items()}
    present = {p.name.lower(): p for p in folder.iterdir()} if folder.exists() else {}
    for f in m.fichiers:
        path = present.get(f.nom.lower())
        if path is None:
            raise ManifestMismatch(manifest_name, f.nom, "fichier annoncé mais absent du lot")
        if f.sha256 and (digests.get(f.nom.lower()) or sha256_file(path)) != f.sha256:
            raise ManifestMismatch(manifest_name, f.nom, "l'empreinte sha256 ne correspond pas")


def check_rows(m: Manifest, counts: dict[str, int], manifest_name: str = IMPORT_MANIFEST) -> None:
    """The row counts read equal the counts listed."""
    counts = {k.lower(): v for k, v in counts.items()}
    for f in m.fichiers:
        if f.nom.lower() in counts and counts[f.nom.lower()] != f.lignes:
            raise ManifestMismatch(manifest_name, f.nom,
                                   f"{counts[f.nom.lower()]} lignes lues pour {f.lignes} annoncées")
