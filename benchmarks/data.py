"""Deterministic benchmark inputs, written once per size into benchmarks/.data/ (ignored by git).

Two tables, written the way other programs write them (not by our writer):
- `t_article`, one row per line, ISO-8859-1, comma decimals: the largest table the main server sends;
- a 22-column ticket-line table (`LINES`), pretty-printed with indentation, UTF-8, a mix of comma and point
  decimals, empty elements and escaped markup: about 820 bytes a row, as STACK-NOTES measured.
"""

from __future__ import annotations

import random
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.contracts import EXPORTED, Contract, table_contract

DATA = Path(__file__).resolve().parent / ".data"
WORDS = ["Café", "Thé", "Crème", "brûlée", "Pâtes", "bio", "été", "Œuf", "<promo>", "&", "l'été", "XL", "n°2"]

_LINES_SPEC = (
    "*id_ligne_ticket TXT, id_ticket TXT, num_ligne INT, id_article INT, code_article TXT, ean TXT, libelle TXT, "
    "quantite QTY, prix_unitaire_ttc DEC, prix_unitaire_ht DEC, remise DEC, taux_remise DEC, taux_tva DEC, "
    "id_tva INT, montant_ttc DEC, montant_ht DEC, montant_tva DEC, id_vendeur INT, date_ligne TS, "
    "id_famille_art INT, annulee BOOL, commentaire TXT")
LINES = table_contract("t_ligne_ticket", _LINES_SPEC, EXPORTED, description="22-column ticket lines (benchmark)")


def contract_of(kind: str) -> Contract:
    from pipeline import contract_for
    return LINES if kind == "lignes22" else contract_for("t_article")


def input_file(kind: str, rows: int) -> Path:
    if kind == "t_article_mysqldump":
        return article_mysqldump_file(rows)
    return lines_file(rows) if kind == "lignes22" else article_file(rows)


def _cached(name: str, encoding: str, seed: int, write) -> Path:
    """benchmarks/.data/NAME, written once by `write(file, rng)` (then renamed: never half a file)."""
    path = DATA / name
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        tmp = path.with_suffix(".part")
        with open(tmp, "w", encoding=encoding, errors="xmlcharrefreplace") as f:
            write(f, random.Random(seed))
        tmp.rename(path)
    return path


def article_file(rows: int) -> Path:
    """A t_article.xml of `rows` rows in the main server's style (ISO-8859-1, comma decimals)."""
    return _cached(f"t_article_{rows}.xml", "iso-8859-1", rows, lambda f, rng: _articles(f, rng, rows))


def _article_values(rng: random.Random, rows: int):
    for i in range(1, rows + 1):
        label = escape(" ".join(rng.choices(WORDS, k=3)))
        price = f"{rng.randrange(10, 100000) / 100:.2f}"
        yield {"id_article": i, "code": f"ART{i:07d}", "ean": 3760000000000 + i, "libelle": label,
               "id_famille_art": rng.randrange(1, 40), "id_tva": rng.randrange(1, 5), "prix_ttc": price,
               "id_unite": 1, "actif": 1 if i % 50 else 0}


def _articles(f, rng: random.Random, rows: int) -> None:
    f.write('<?xml version="1.0" encoding="ISO-8859-1"?>\n<t_article>\n')
    for row in _article_values(rng, rows):
        row |= {"prix_ttc": row["prix_ttc"].replace(".", ","), "actif": "oui" if row["actif"] else "non"}
        f.write("<row>" + "".join(f"<{k}>{v}</{k}>" for k, v in row.items()) + "</row>\n")
    f.write("</t_article>\n")


def article_mysqldump_file(rows: int) -> Path:
    """The same articles (same seed, same values) as `mysqldump --xml` writes them: UTF-8, tab-indented
    `<field name="...">` children, the table's structure first."""
    return _cached(f"t_article_mysqldump_{rows}.xml", "utf-8", rows, lambda f, rng: _mysqldump(f, rng, rows))


def _mysqldump(f, rng: random.Random, rows: int) -> None:
    f.write('<?xml version="1.0"?>\n<mysqldump xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            '<database name="gespx">\n\t<table_structure name="t_article">\n'
            '\t\t<field Field="id_article" Type="int(11)" Null="NO" Key="PRI" Extra="" Comment="" />\n'
            '\t</table_structure>\n\t<table_data name="t_article">\n')
    for row in _article_values(rng, rows):
        f.write("\t<row>\n" + "".join(f'\t\t<field name="{k}">{v}</field>\n' for k, v in row.items()) + "\t</row>\n")
    f.write("\t</table_data>\n</database>\n</mysqldump>\n")


def lines_file(rows: int) -> Path:
    """A 22-column ticket-line table of `rows` rows (see LINES), pretty-printed, UTF-8."""
    return _cached(f"lignes22_{rows}.xml", "utf-8", rows, lambda f, rng: _lines(f, rng, rows))


def _lines(f, rng: random.Random, rows: int) -> None:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<t_ligne_ticket>\n')
    for i in range(1, rows + 1):
        quantity, price = rng.randrange(1, 5), rng.randrange(50, 20000) / 100
        ttc = quantity * price
        ht = ttc / 1.2
        label = escape(" ".join(rng.choices(WORDS, k=3)))
        f.write(f"  <row>\n    <id_ligne_ticket>C01-{i:09d}</id_ligne_ticket>\n"
                f"    <id_ticket>C01-T{i // 4:08d}</id_ticket>\n    <num_ligne>{i % 4 + 1}</num_ligne>\n"
                f"    <id_article>{rng.randrange(1, 100000)}</id_article>\n"
                f"    <code_article>ART{rng.randrange(1, 100000):07d}</code_article>\n"
                f"    <ean>{3760000000000 + i}</ean>\n    <libelle>{label}</libelle>\n"
                f"    <quantite>{quantity},000</quantite>\n    <prix_unitaire_ttc>{price:.2f}</prix_unitaire_ttc>\n"
                f"    <prix_unitaire_ht>{price / 1.2:.2f}</prix_unitaire_ht>\n    <remise>0,00</remise>\n"
                f"    <taux_remise>0</taux_remise>\n    <taux_tva>20,00</taux_tva>\n    <id_tva>1</id_tva>\n"
                f"    <montant_ttc>{ttc:.2f}</montant_ttc>\n    <montant_ht>{ht:.2f}</montant_ht>\n"
                f"    <montant_tva>{ttc - ht:.2f}</montant_tva>\n"
                f"    <id_vendeur>{rng.randrange(1, 9)}</id_vendeur>\n"
                f"    <date_ligne>2026-11-{rng.randrange(1, 29):02d}T{rng.randrange(8, 20):02d}:"
                f"{rng.randrange(60):02d}:00</date_ligne>\n"
                f"    <id_famille_art>{rng.randrange(1, 40)}</id_famille_art>\n"
                f"    <annulee>{'1' if i % 97 == 0 else '0'}</annulee>\n"
                f"    <commentaire>{'' if i % 5 else 'cadeau'}</commentaire>\n  </row>\n")
    f.write("</t_ligne_ticket>\n")
