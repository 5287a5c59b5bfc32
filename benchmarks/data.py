"""Deterministic benchmark inputs, written once per size into benchmarks/.data/ (ignored by git)."""

from __future__ import annotations

import random
from pathlib import Path
from xml.sax.saxutils import escape

DATA = Path(__file__).resolve().parent / ".data"
WORDS = ["Café", "Thé", "Crème", "brûlée", "Pâtes", "bio", "été", "Œuf", "<promo>", "&", "l'été", "XL", "n°2"]


def article_file(rows: int) -> Path:
    """A t_article.xml of `rows` rows in the main server's style (ISO-8859-1, comma decimals)."""
    path = DATA / f"t_article_{rows}.xml"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    rng = random.Random(rows)
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="iso-8859-1", errors="xmlcharrefreplace") as f:
        f.write('<?xml version="1.0" encoding="ISO-8859-1"?>\n<t_article>\n')
        for i in range(1, rows + 1):
            label = escape(" ".join(rng.choices(WORDS, k=3)))
            price = f"{rng.randrange(10, 100000) / 100:.2f}".replace(".", ",")
            f.write(f"<row><id_article>{i}</id_article><code>ART{i:07d}</code><ean>{3760000000000 + i}</ean>"
                    f"<libelle>{label}</libelle><id_famille_art>{rng.randrange(1, 40)}</id_famille_art>"
                    f"<id_tva>{rng.randrange(1, 5)}</id_tva><prix_ttc>{price}</prix_ttc><id_unite>1</id_unite>"
                    f"<actif>{'oui' if i % 50 else 'non'}</actif></row>\n")
        f.write("</t_article>\n")
    tmp.rename(path)
    return path
