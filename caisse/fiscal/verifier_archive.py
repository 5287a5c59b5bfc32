#!/usr/bin/env python3
"""Vérifie une archive de Caisse web (FISCAL.md R21-R22), sans rien d'autre que Python et `cryptography`.

    python3 verifier_archive.py C01-2026-11.xml [C01-2026-12.xml ...] [--cle-publique HEX] [--xsd archive.xsd]

Pour chaque fichier : la signature Ed25519 de son fichier .sig (taille et SHA-256 du fichier, clé publique :
celle imprimée sur la clôture mensuelle, à donner avec --cle-publique ; sans elle, la clé écrite dans
l'archive, ce qui est dit), le schéma (archive.xsd, cherché à côté de l'archive), chaque chaîne de
l'archive (numéros qui se suivent, chaque maillon lié au précédent ; d'un fichier au suivant quand plusieurs
sont donnés dans l'ordre), et les totaux : les lignes et les règlements font chaque ticket, les tickets font
chaque journée, les journées font la clôture mensuelle (TVA, moyens de paiement, nombres), les mois font
l'année, et le grand total perpétuel s'additionne. Affiche ce qui a été vérifié et sort avec 0, ou nomme le
premier enregistrement rompu et sort avec 1 (2 : fichier introuvable ou arguments incorrects).

Ce script n'importe rien du logiciel : il se lit et se garde avec les archives.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from pathlib import Path

try:  # the one dependency of a script kept with the archives: said in French when it is missing
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - said in a sentence
    sys.exit("Le paquet Python « cryptography » est nécessaire : pip install cryptography")

XS = "{http://www.w3.org/2001/XMLSchema}"
STATEMENT = "caisse-web-archive\n{fichier}\n{taille}\n{sha256}\n"
CHAINS = {"ticket": "ticket", "journee": "cloture", "periode": "cloture", "mouvement": "mouvement",
          "duplicata": "duplicata", "evenement": "jet", "evenement_serveur": "jet-serveur"}
CHAIN_WORDS = {"ticket": "la chaîne des tickets", "cloture": "la chaîne des clôtures",
               "mouvement": "la chaîne des mouvements d'espèces", "duplicata": "la chaîne des duplicatas",
               "jet": "le journal des événements techniques",
               "jet-serveur": "le journal des événements du serveur"}
PERIOD_WORDS = {"MOIS": "clôture mensuelle", "ANNEE": "clôture annuelle"}
ZERO = Decimal("0")


class Broken(Exception):
    """The first broken record, in a sentence."""


# The schema: the subset of XSD that archive.xsd uses (global elements, sequences and choices of references,
# attributes of built-in types or of the two named simple types), checked while the file is read.

def _builtin(kind: str):
    patterns = {"xs:integer": r"-?\d+", "xs:decimal": r"-?\d+(\.\d+)?", "xs:boolean": r"true|false|1|0",
                "xs:date": r"\d{4}-\d{2}-\d{2}", "xs:dateTime": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?"}
    pattern = patterns.get(kind)
    return (lambda v: True) if pattern is None else re.compile(pattern).fullmatch


def load_schema(path: Path) -> dict:
    root = ET.parse(path).getroot()
    simple = {}
    for st in root.findall(f"{XS}simpleType"):
        restriction = st.find(f"{XS}restriction")
        values = [e.get("value") for e in restriction.findall(f"{XS}enumeration")]
        pattern = restriction.find(f"{XS}pattern")
        if values:
            simple[st.get("name")] = values.__contains__
        elif pattern is not None:
            simple[st.get("name")] = re.compile(pattern.get("value")).fullmatch
    elements = {}
    for el in root.findall(f"{XS}element"):
        ctype = el.find(f"{XS}complexType")
        attributes = {a.get("name"): (simple.get(a.get("type")) or _builtin(a.get("type")), a.get("use") == "required")
                      for a in ctype.findall(f"{XS}attribute")}
        children, ordered = {}, True
        for group in (ctype.find(f"{XS}sequence"), ctype.find(f"{XS}choice")):
            if group is None:
                continue
            ordered = group.tag == f"{XS}sequence"
            for child in group.findall(f"{XS}element"):
                low = int(child.get("minOccurs", group.get("minOccurs", "1")))
                high = child.get("maxOccurs", group.get("maxOccurs", "1"))
                children[child.get("ref")] = (low, None if high == "unbounded" else int(high))
        elements[el.get("name")] = (attributes, children, ordered)
    return elements


def check_element(schema: dict, el: ET.Element, child_names: list[str], where: str) -> None:
    rule = schema.get(el.tag)
    if rule is None:
        raise Broken(f"{where} : l'élément <{el.tag}> n'est pas prévu par le schéma")
    attributes, children, ordered = rule
    for name, value in el.attrib.items():
        if name not in attributes:
            raise Broken(f"{where} : l'attribut {name} n'est pas prévu par le schéma")
        if not attributes[name][0](value):
            raise Broken(f"{where} : l'attribut {name}=\"{value}\" n'a pas le type du schéma")
    for name, (_, required) in attributes.items():
        if required and name not in el.attrib:
            raise Broken(f"{where} : l'attribut obligatoire {name} manque")
    counts: dict[str, int] = {}
    order = list(children)
    last = -1
    for name in child_names:
        if name not in children:
            raise Broken(f"{where} : <{name}> n'est pas prévu dans <{el.tag}>")
        if ordered:
            position = order.index(name)
            if position < last:
                raise Broken(f"{where} : <{name}> n'est pas à sa place dans <{el.tag}>")
            last = position
        counts[name] = counts.get(name, 0) + 1
    for name, (low, high) in children.items():
        n = counts.get(name, 0)
        if n < low or (high is not None and n > high):
            raise Broken(f"{where} : <{el.tag}> doit contenir {low} à {high or 'n'} <{name}>, il en a {n}")


# The signature.

def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_signature(path: Path, wanted_keys: list[str]) -> tuple[str, str]:
    """(public key used, sentence); Broken when the file is not the one signed."""
    sig_path = path.with_name(path.name + ".sig")
    try:
        sig = json.loads(sig_path.read_text(encoding="utf-8"))
        public, signature = sig["cle_publique"], bytes.fromhex(sig["signature"])
    except FileNotFoundError:
        raise Broken(f"la signature {sig_path.name} est absente (elle doit être à côté de l'archive)") from None
    except OSError as e:
        raise Broken(f"la signature {sig_path.name} est illisible (erreur système {e.errno})") from None
    except (ValueError, KeyError, TypeError):
        raise Broken(f"la signature {sig_path.name} est illisible (ce n'est pas une signature d'archive "
                     "complète)") from None
    sha, size = sha256_of(path)
    if sig.get("fichier") != path.name:
        raise Broken(f"la signature {sig_path.name} est celle du fichier {sig.get('fichier')}, pas de {path.name}")
    if size != sig.get("taille") or sha != sig.get("sha256"):
        raise Broken(f"le fichier n'est plus celui qui a été signé ({size} octets, SHA-256 {sha[:16]}… ; signé : "
                     f"{sig.get('taille')} octets, {str(sig.get('sha256'))[:16]}…) : il a été modifié ou tronqué")
    if wanted_keys and public not in wanted_keys:
        raise Broken(f"l'archive est signée par la clé {public[:16]}…, qui n'est pas la clé publique attendue "
                     f"({', '.join(k[:16] + '…' for k in wanted_keys)}) : elle a été signée à nouveau par un autre")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public)).verify(
            signature, STATEMENT.format(fichier=path.name, taille=size, sha256=sha).encode())
    except (InvalidSignature, ValueError):
        raise Broken("la signature Ed25519 ne correspond pas au fichier") from None
    said = "clé attendue" if wanted_keys else "clé écrite dans la signature : comparez-la à celle imprimée sur la " \
                                              "clôture mensuelle, ou donnez-la avec --cle-publique"
    octets = f"{size:,}".replace(",", " ")
    return public, f"Signature Ed25519 : valide ({octets} octets, SHA-256 {sha[:16]}…, clé {public[:16]}…, {said})"


# The records.

def dec(el: ET.Element, name: str) -> Decimal:
    try:
        return Decimal(el.get(name) or "0")
    except InvalidOperation:
        raise Broken(f"<{el.tag}> : {name} n'est pas un nombre") from None


class Reader:
    """Follows the chains and adds up the totals while the file is read once."""

    def __init__(self, previous_heads: dict[str, tuple[int, str]]):
        self.last: dict[str, tuple[int, str]] = dict(previous_heads)  # chain -> (number, link) of the last seen
        self.first: dict[str, int] = {}
        self.days: dict[str, dict] = {}  # id_journee -> what its tickets add up to
        self.day_rows: list[ET.Element] = []
        self.periods: list[tuple[ET.Element, dict, dict]] = []
        self.vat: dict[Decimal, list[Decimal]] = {}
        self.methods: dict[str, Decimal] = {}
        self.tickets = 0

    def link(self, record: ET.Element, name: str) -> None:
        chain = CHAINS[record.tag]
        link = record.find("maillon")
        numero, empreinte, precedente = int(link.get("numero")), link.get("empreinte"), link.get("precedente")
        where = f"{CHAIN_WORDS[chain]}, n°{numero} ({name})"
        if chain in self.last:
            last_number, last_link = self.last[chain]
            if numero != last_number + 1:
                raise Broken(f"{where} : attendu n°{last_number + 1}, des maillons manquent ou ont été déplacés")
            if precedente != last_link:
                raise Broken(f"{where} : son lien ne suit pas le maillon précédent (enregistrement inséré, supprimé "
                             "ou modifié)")
        elif numero == 1 and precedente != "0" * 64:
            raise Broken(f"{where} : le premier maillon d'une chaîne part de zéro")
        self.first.setdefault(chain, numero)
        self.last[chain] = (numero, empreinte)

    def ticket(self, el: ET.Element) -> None:
        name = f"ticket n°{el.get('numero')}"
        lines = el.findall("ligne")
        ttc = sum((dec(line, "montant_ttc") for line in lines), ZERO)
        ht = sum((dec(line, "montant_ht") for line in lines), ZERO)
        paid = sum((dec(p, "montant") - dec(p, "rendu") for p in el.findall("reglement")), ZERO)
        if ttc != dec(el, "total_ttc") or ht != dec(el, "total_ht"):
            raise Broken(f"{name} : ses lignes font {ttc} TTC / {ht} HT, le ticket dit {el.get('total_ttc')} / "
                         f"{el.get('total_ht')}")
        if paid != ttc:
            raise Broken(f"{name} : ses règlements font {paid}, son total {ttc}")
        day = self.days.setdefault(el.get("id_journee"), {"nb": 0, "ttc": ZERO, "dernier": None, "empreinte": None})
        day["nb"] += 1
        day["ttc"] += ttc
        day["dernier"] = int(el.get("numero"))
        day["empreinte"] = el.find("maillon").get("empreinte")
        for line in lines:
            sums = self.vat.setdefault(dec(line, "taux_tva"), [ZERO, ZERO])
            sums[0] += dec(line, "montant_ht")
            sums[1] += dec(line, "montant_ttc")
        for p in el.findall("reglement"):
            code = p.get("code_moyen")
            self.methods[code] = self.methods.get(code, ZERO) + dec(p, "montant") - dec(p, "rendu")
        self.tickets += 1

    def finish(self, kind: str) -> list[str]:
        """The totals' checks once every record has been read; what was checked, in sentences."""
        said = []
        if kind == "MOIS":
            for day in self.day_rows:
                z = f"Z n°{day.get('numero_z')}"
                found = self.days.get(day.get("id_journee"), {"nb": 0, "ttc": ZERO, "dernier": None, "empreinte": None})
                if found["nb"] != int(day.get("tickets_nb")):
                    raise Broken(f"{z} : {day.get('tickets_nb')} ticket(s) enregistrés, {found['nb']} dans l'archive")
                if found["ttc"] != dec(day, "total_ttc"):
                    raise Broken(f"{z} : ses tickets font {found['ttc']}, le Z dit {day.get('total_ttc')}")
                if found["nb"] and (str(found["dernier"]) != day.get("tickets_dernier")
                                    or found["empreinte"] != day.get("tickets_empreinte")):
                    raise Broken(f"{z} : son dernier ticket n'est pas celui que le Z a signé")
            said.append(f"Totaux : {self.tickets} ticket(s) font leurs {len(self.day_rows)} journée(s)")
        months = [p for p in self.periods if p[0].get("type") == "MOIS"]
        for period, vat, methods in self.periods:
            what = f"{PERIOD_WORDS[period.get('type')]} {period.get('periode')}"
            if period.get("type") == "MOIS":
                days = [d for d in self.day_rows if d.get("date_comptable", "")[:7] == period.get("periode")]
                self._add_up(what, period, days, "total_ttc", "nb_tickets", "nb_annulations", "nb_retours")
                if kind == "MOIS":
                    self._same(what, "TVA", vat, {k: v for k, v in self.vat.items()})
                    self._same(what, "moyens de paiement", methods, self.methods)
            else:
                self._add_up(what, period, months_of := [m[0] for m in months], "total_ttc", "nb_tickets",
                             "nb_annulations", "nb_retours", "nb_journees", "total_ht")
                if months_of and dec(months_of[-1], "grand_total") != dec(period, "grand_total"):
                    raise Broken(f"{what} : son grand total perpétuel n'est pas celui de son dernier mois")
            said.append(f"Totaux : la {what} est la somme de ses "
                        + ("journées" if period.get("type") == "MOIS" else "mois"))
        if self.day_rows:
            first, last = self.day_rows[0], self.day_rows[-1]
            running = dec(first, "grand_total") - dec(first, "total_ttc")
            for day in self.day_rows:
                running += dec(day, "total_ttc")
                if running != dec(day, "grand_total"):
                    raise Broken(f"Z n°{day.get('numero_z')} : le grand total perpétuel ({day.get('grand_total')}) "
                                 f"n'est pas le précédent plus la journée ({running})")
            said.append(f"Grand total perpétuel : s'additionne du Z n°{first.get('numero_z')} au Z "
                        f"n°{last.get('numero_z')} ({last.get('grand_total')})")
        return said

    def _add_up(self, what: str, period: ET.Element, parts: list[ET.Element], *fields: str) -> None:
        if not parts:
            raise Broken(f"{what} : aucune des journées ou des mois qu'elle résume n'est dans l'archive")
        for name in fields:
            total = sum((dec(p, name) for p in parts), ZERO)
            if total != dec(period, name):
                raise Broken(f"{what} : {name} vaut {period.get(name)}, ses parties font {total}")
        if period.get("type") == "MOIS" and len(parts) != int(period.get("nb_journees")):
            raise Broken(f"{what} : {period.get('nb_journees')} journée(s) annoncées, {len(parts)} dans l'archive")
        if dec(parts[-1], "grand_total") != dec(period, "grand_total"):
            raise Broken(f"{what} : son grand total perpétuel n'est pas celui de sa dernière journée")

    @staticmethod
    def _same(what: str, words: str, recorded: dict, found: dict) -> None:
        found = {k: v for k, v in found.items() if v != ZERO and v != [ZERO, ZERO]}
        recorded = {k: v for k, v in recorded.items() if v != ZERO and v != [ZERO, ZERO]}
        if recorded != found:
            raise Broken(f"{what} : les {words} enregistrés ne sont pas ceux des tickets")


def verify(path: Path, wanted_keys: list[str] | None = None, schema_path: Path | None = None,
           previous_heads: dict | None = None) -> tuple[list[str], dict]:
    """What was checked (sentences) and the chains' last links; Broken at the first broken record."""
    wanted_keys = [k.lower() for k in wanted_keys or []]
    said = []
    _, sentence = check_signature(path, wanted_keys)
    said.append(sentence)
    schema_path = schema_path or next((p for p in (path.parent / "archive.xsd", path.parent.parent / "archive.xsd",
                                                   Path(__file__).resolve().parent.parent / "caisse" / "fiscal" /
                                                   "archive.xsd") if p.exists()), None)
    if schema_path is None:
        raise Broken("le schéma archive.xsd est introuvable à côté de l'archive : donnez-le avec --xsd")
    schema = load_schema(schema_path)
    reader = Reader(previous_heads or {})
    stack: list[tuple[ET.Element, list[str]]] = []
    count, root_el = 0, None
    try:
        for event, el in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                if stack:
                    stack[-1][1].append(el.tag)
                else:
                    root_el = el
                stack.append((el, []))
                continue
            _, children = stack.pop()
            count += 1
            name = el.get("numero") or el.get("numero_z") or el.get("periode") or ""
            check_element(schema, el, children, f"<{el.tag}{' n°' + name if name else ''}>")
            if el.tag in CHAINS:
                reader.link(el, f"{el.tag} {name}".strip())
                if el.tag == "ticket":
                    reader.ticket(el)
                elif el.tag == "journee":
                    reader.day_rows.append(_shallow(el))
                elif el.tag == "periode":
                    vat = {dec(t, "taux"): [dec(t, "ht"), dec(t, "ttc")] for t in el.findall("tva")}
                    methods = {m.get("code"): dec(m, "montant") for m in el.findall("moyen")}
                    reader.periods.append((_shallow(el), vat, methods))
                if stack and stack[-1][0].tag in ("tickets", "mouvements", "duplicatas", "evenements",
                                                  "evenements_serveur"):
                    stack[-1][0].remove(el)  # a month holds 150,000 tickets: each is let go once checked
    except ET.ParseError as e:
        line, column = getattr(e, "position", (0, 0))
        raise Broken(f"le fichier XML est illisible ou tronqué (ligne {line}, colonne {column})") from None
    elements = f"{count:,}".replace(",", " ")
    said.append(f"Schéma {schema_path.name} : conforme ({elements} éléments)")
    for chain, (numero, _) in reader.last.items():
        if chain in reader.first:
            said.append(f"Chaîne : {CHAIN_WORDS[chain]}, n°{reader.first[chain]} à n°{numero}, chaque maillon lié au "
                        "précédent")
    said += reader.finish(root_el.get("type"))
    return said, reader.last


def _shallow(el: ET.Element) -> ET.Element:
    """The element without its children (a day's or a closing's attributes are what the totals need)."""
    return ET.Element(el.tag, el.attrib)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verifier_archive.py", description="Vérifie des archives de Caisse web.")
    parser.add_argument("archives", nargs="+", type=Path, metavar="ARCHIVE.xml")
    parser.add_argument("--cle-publique", action="append", default=[], metavar="HEX",
                        help="la clé publique des archives, imprimée sur la clôture mensuelle (plusieurs possibles)")
    parser.add_argument("--xsd", type=Path, help="le schéma (par défaut : archive.xsd à côté des archives)")
    args = parser.parse_args(argv)
    heads: dict = {}
    for path in args.archives:
        if not path.is_file():
            print(f"Erreur : {path} est introuvable.", file=sys.stderr)
            return 2
        print(f"Archive {path.name}")
        try:
            said, heads = verify(path, args.cle_publique, args.xsd, heads)
        except Broken as e:
            print(f"ROMPUE : {e}.")
            return 1
        for sentence in said:
            print(f"  {sentence}")
        print("  Intacte.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
