"""A deterministic demo shop, written as the main server would drop it (`caisse init --demo`).

Several files use the liberal styles the reader accepts (ISO-8859-1 and Windows-1252, comma decimals,
French and compact dates, rows as attributes, another row tag), so the demo exercises the reader.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .manifest import IMPORT_MANIFEST, FileEntry, Manifest, sha256_file, write_manifest
from .passwords import make_hash

SERVEUR = "srv-appli2"
LOT = "GESPX-DEMO-0001"


@dataclass(frozen=True)
class DemoUser:
    login: str
    password: str
    nom: str
    prenom: str
    groupe: int


DEMO_USERS = [
    DemoUser("responsable", "resp2026", "Martin", "Claire", 1),
    DemoUser("vendeur1", "vente2026", "Durand", "Paul", 2),
    DemoUser("vendeur2", "vente2026", "Petit", "Julie", 2),
]

RIGHTS = [
    ("CAISSE_IMPORTER", "Importer les données du serveur principal"),
    ("CAISSE_OUVRIR", "Ouvrir la caisse"),
    ("CAISSE_VENDRE", "Vendre (se connecter à la caisse)"),
    ("CAISSE_FERMER", "Fermer la caisse"),
    ("CAISSE_FORCER_FERMETURE", "Forcer la fermeture (vendeurs connectés)"),
    ("CAISSE_VALIDER_ECART", "Valider un écart de caisse"),
    ("CAISSE_EXPORTER", "Exporter les données vers le serveur principal"),
    ("CAISSE_MOUVEMENT", "Entrées et sorties d'espèces"),
    ("CAISSE_ANNULER", "Annuler un ticket"),
    ("BACKOFFICE", "Rapprochement, journaux, réglages"),
    ("CAISSE_RETOUR", "Reprendre des articles vendus (retour sur ticket)"),
    ("CAISSE_RETOUR_LIBRE", "Reprendre des articles sans ticket"),
    ("CAISSE_TIROIR", "Ouvrir le tiroir-caisse hors vente"),
    ("CAISSE_REMISE", "Faire une remise (dans les plafonds du groupe)"),
    ("CAISSE_REMISE_LIBRE", "Remise sans plafond, et l'autoriser à un vendeur"),
    ("CAISSE_PRIX_FORCE", "Forcer le prix d'un article"),
]
SELLER_RIGHTS = {"CAISSE_VENDRE", "CAISSE_MOUVEMENT", "CAISSE_RETOUR", "CAISSE_REMISE"}

FAMILIES = [
    ("EPI", "Épicerie", ["Pâtes", "Riz", "Farine", "Sucre", "Café moulu", "Thé vert", "Chocolat noir",
                         "Confiture", "Miel", "Biscuits"], 2),
    ("BOI", "Boissons", ["Jus d'orange", "Eau gazeuse", "Limonade", "Sirop", "Cidre", "Bière blonde",
                         "Vin rouge", "Vin blanc"], 1),
    ("FRA", "Frais", ["Crème fraîche", "Yaourt", "Beurre", "Fromage", "Œufs", "Lait"], 2),
    ("HYG", "Hygiène", ["Savon", "Shampooing", "Dentifrice", "Gel douche", "Coton"], 1),
    ("MAI", "Maison", ["Éponge", "Bougie", "Torchon", "Vase", "Cadre photo", "Panier"], 1),
    ("PAP", "Papeterie", ["Cahier", "Stylo", "Crayon", "Gomme", "Classeur", "Agenda"], 1),
    ("JOU", "Jouets", ["Puzzle", "Ballon", "Peluche", "Jeu de cartes", "Toupie"], 1),
    ("LIB", "Librairie", ["Roman", "Bande dessinée", "Guide", "Livre de cuisine"], 4),
]
BULK = {"Riz", "Farine", "Sucre", "Fromage"}  # sold by weight (t_unite KG): any quantity; the rest by the piece
VARIANTS = ["bio", "nature", "classique", "premium", "familial", "mini", "maxi", "artisanal", "vanille",
            "citron", "framboise", "bleu", "rouge", "vert", "été", "hiver", "n°1", "n°2", "éco", "luxe",
            "découverte", "tradition", "fruité", "doux", "intense", "léger", "XL", "duo", "trio", "lot de 3",
            "édition limitée", "coffret", "recharge", "voyage", "géant", "petit format", "grand format",
            "sans sucre", "épicé", "fumé", "salé"]
TVA = [(1, "N", "20.00", "Taux normal"), (2, "R", "5.50", "Taux réduit"), (3, "I", "10.00", "Taux intermédiaire"),
       (4, "SR", "2.10", "Taux super réduit")]
PAYMENTS = [  # code, libellé, espèces, rendu monnaie, numéro nécessaire, ordre
    ("ESP", "Espèces", True, True, False, 1), ("CB", "Carte Bancaire", False, False, False, 2),
    ("CHQ", "Chèque", False, False, False, 3), ("AVOIR", "Avoir", False, False, True, 4),
    ("CHQCAD", "Chèque cadeau", False, False, True, 5),
]
# The clothing corner: a shirt in S to XL and two colours, shoes in 36 to 45, each size and colour a variant with its
# own EAN (a variant may have its own price: the XL costs more), grids of sizes in their order.
CLOTHES = [  # code, label, price, grid, sizes, colours, {size: price}
    ("CHEM-OXF", "Chemise Oxford", "49,90", 1, ["S", "M", "L", "XL"], ["Bleu ciel", "Blanc"], {"XL": "54,90"}),
    ("BASK-CUIR", "Baskets cuir", "89,00", 2, [str(n) for n in range(36, 46)], ["Noir"], {}),
]
COUPURES = "0.01;0.02;0.05;0.10;0.20;0.50;1;2;5;10;20;50;100;200;500"


def _ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _xml(path: Path, table: str, rows: list[dict], encoding: str = "UTF-8", row_tag: str = "row",
         attributes: bool = False) -> None:
    lines = [f'<?xml version="1.0" encoding="{encoding}"?>', f"<{table}>"]
    for row in rows:
        if attributes:
            attrs = " ".join(f"{k}={quoteattr(str(v))}" for k, v in row.items() if v is not None)
            lines.append(f"  <{row_tag} {attrs}/>")
        else:
            cells = "".join(f"<{k}/>" if v is None else f"<{k}>{escape(str(v))}</{k}>" for k, v in row.items())
            lines.append(f"  <{row_tag}>{cells}</{row_tag}>")
    lines.append(f"</{table}>\n")
    path.write_bytes("\n".join(lines).encode(encoding, "xmlcharrefreplace"))


def _b(value: bool) -> str:
    return "1" if value else "0"


def demo_tables(seed: int = 2026, articles: int = 2000) -> dict[str, tuple[list[dict], dict]]:
    """Every table of the demo shop: name -> (rows, how the file is written); `articles` sets the size of the
    catalogue (a benchmark's shop has 100,000)."""
    rng = random.Random(seed)
    t: dict[str, tuple[list[dict], dict]] = {}
    t["tr_societe"] = ([{"id_societe": 1, "raison_sociale": "Épicerie Fine du Marché SARL",
                         "adresse": "12 rue de la République", "code_postal": "69002", "ville": "Lyon",
                         "siret": "81234567800015", "tva_intracom": "FR45812345678",
                         "telephone": "04 78 00 00 00"}], {})
    t["t_emplacement"] = ([{"id_emplacement": 1, "code": "MAG01", "libelle": "Magasin de Lyon"}], {})
    t["t_caisse"] = ([{"id_caisse": 1, "code": "C01", "libelle": "Caisse principale", "id_emplacement": 1,
                       "actif": "1"},
                      {"id_caisse": 2, "code": "C02", "libelle": "Caisse accueil", "id_emplacement": 1,
                       "actif": "1"}], {})
    t["t_utilisateur_groupe"] = ([{"id_utilisateur_groupe": 1, "libelle": "Responsables"},
                                  {"id_utilisateur_groupe": 2, "libelle": "Vendeurs"}], {})
    t["tr_fonctionnalite"] = ([{"id_fonctionnalite": i, "code": c, "libelle": lib}
                               for i, (c, lib) in enumerate(RIGHTS, 1)], {})
    grants = []
    for i, (code, _) in enumerate(RIGHTS, 1):
        grants.append({"id_utilisateur_groupe": 1, "id_fonctionnalite": i, "autorise": "oui"})
        grants.append({"id_utilisateur_groupe": 2, "id_fonctionnalite": i,
                       "autorise": "oui" if code in SELLER_RIGHTS else "non"})
    t["tr_groupe_droit"] = (grants, {"attributes": True, "row_tag": "droit"})
    t["t_utilisateur"] = ([{"id_utilisateur": i, "login": u.login, "nom": u.nom, "prenom": u.prenom,
                            "mot_de_passe": make_hash(u.password, f"demo{rng.getrandbits(48):012x}"),
                            "id_utilisateur_groupe": u.groupe, "actif": "true"}
                           for i, u in enumerate(DEMO_USERS, 1)], {})
    t["tr_parametre"] = ([{"cle": "devise", "valeur": "EUR"}, {"cle": "coupures", "valeur": COUPURES},
                          {"cle": "tolerance_ecart", "valeur": "0.00"},
                          {"cle": "ticket_entete", "valeur": "Bienvenue à l'Épicerie Fine du Marché"},
                          {"cle": "ticket_pied", "valeur": "Merci de votre visite, à bientôt !"},
                          {"cle": "remise_max_ligne_pct", "valeur": "20"},
                          {"cle": "remise_max_ligne_eur", "valeur": "30,00"},
                          {"cle": "remise_max_ticket_pct", "valeur": "10"},
                          {"cle": "remise_max_ticket_eur", "valeur": "20,00"}], {})
    t["tr_motif_remise"] = ([{"id_motif_remise": i, "code": code, "libelle": label, "actif": "1"}
                             for i, (code, label) in enumerate([("SOLDES", "Soldes"), ("FIDELITE", "Fidélité"),
                                                                ("DEFAUT", "Article défectueux"),
                                                                ("GESTE", "Geste commercial")], 1)], {})
    t["tr_moyen_paiement"] = ([{"id_moyen_paiement": i, "code": c, "libelle": lib, "especes": _b(e),
                                "rendu_monnaie": _b(r), "necessite_numero": _b(n), "actif": "1", "ordre": o}
                               for i, (c, lib, e, r, n, o) in enumerate(PAYMENTS, 1)], {})
    t["tr_tva"] = ([{"id_tva": i, "code": c, "taux": taux.replace(".", ","), "libelle": lib}
                    for i, c, taux, lib in TVA], {"encoding": "ISO-8859-1"})
    t["t_unite"] = ([{"id_unite": 1, "code": "U", "libelle": "Unité"}, {"id_unite": 2, "code": "KG",
                     "libelle": "Kilogramme"}, {"id_unite": 3, "code": "L", "libelle": "Litre"}], {})
    t["t_famille_art"] = ([{"id_famille_art": i, "code": code, "libelle": lib, "id_parent": None}
                           for i, (code, lib, _, _) in enumerate(FAMILIES, 1)], {})
    catalogue = []
    for n in range(1, articles + 1):
        fam = rng.randrange(len(FAMILIES))
        code, _, items, tva = FAMILIES[fam]
        label = f"{rng.choice(items)} {rng.choice(VARIANTS)}"
        price = rng.choice([0.5, 0.9, 1.2, 1.5, 2.3, 2.9, 3.5, 4.9, 6.5, 9.9, 12.5, 19.9, 24.9, 39.9])
        price += rng.randrange(0, 10) / 10
        catalogue.append({"id_article": n, "code": f"ART{n:05d}", "ean": _ean13(f"376{n:09d}"),
                         "libelle": label, "id_famille_art": fam + 1, "id_tva": tva,
                         "prix_ttc": f"{price:.2f}".replace(".", ","), "id_unite": 2 if label.split()[0] in BULK else 1,
                         "actif": "oui" if n % 97 else "non"})
    t["t_famille_art"][0].append({"id_famille_art": len(FAMILIES) + 1, "code": "TEX", "libelle": "Textile et "
                                  "chaussures", "id_parent": None})
    variants, grids = [], []
    for n, (code, label, price, grid, sizes, colours, dearer) in enumerate(CLOTHES, articles + 1):
        catalogue.append({"id_article": n, "code": code, "ean": _ean13(f"379{n:09d}"), "libelle": label,
                          "id_famille_art": len(FAMILIES) + 1, "id_tva": 1, "prix_ttc": price, "id_unite": 1,
                          "actif": "oui", "id_collection": 1, "id_grille_declinaison": grid, "id_etiquette": 1})
        grids += [{"id_grille_declinaison": grid, "ordre": i, "code": f"G{grid}", "libelle": f"Tailles {label}",
                   "taille": size} for i, size in enumerate(sizes, 1)]
        for colour in colours:
            for size in sizes:
                ident = 10000 + len(variants) + 1
                variants.append({"id_declinaison": ident, "id_article": n, "ean": _ean13(f"378{ident:09d}"),
                                 "taille": size, "couleur": colour, "prix_ttc": dearer.get(size), "actif": "1",
                                 "code": f"{code}-{size}-{colour[:4].upper()}"})
    t["t_article"] = (catalogue, {"encoding": "ISO-8859-1", "row_tag": "article"})
    t["t_declinaison"] = (variants, {})
    t["t_grille_declinaison"] = (grids, {"attributes": True, "row_tag": "taille"})
    t["t_code_barre"] = ([{"code_barre": _ean13(f"400{variants[1]['id_declinaison']:09d}"), "id_article": None,
                           "id_declinaison": variants[1]["id_declinaison"], "libelle": "EAN du fournisseur"}], {})
    t["tr_collection"] = ([{"id_collection": 1, "code": "AH26", "libelle": "Automne-hiver 2026"}], {})
    t["tr_etiquette"] = ([{"id_etiquette": 1, "code": "TEXT", "libelle": "Étiquette textile"}], {})
    t["t_avoir"] = ([{"id_avoir": f"AV-DEMO-{n:04d}", "numero": f"AV{n:06d}", "id_tiers": 100 + n,
                      "date_emission": "15/10/2026", "date_validite": "31/12/2027",
                      "montant": f"{10 * n},00", "montant_utilise": "0,00", "id_caisse": None,
                      "statut": "EMIS"} for n in range(1, 11)], {"attributes": True})
    t["t_avoir_utilise"] = ([], {})
    vouchers = []
    for n in range(1, 11):
        statut = "VENDU" if n <= 7 else ("EMIS" if n <= 9 else "UTILISE")
        vouchers.append({"id_cheque_cadeau": f"CC-DEMO-{n:04d}", "numero": f"CC{n:06d}",
                         "montant": f"{20 + 10 * (n % 4)}.00", "date_emission": "20261001",
                         "date_validite": "20271231", "date_utilisation": None, "id_ticket": None,
                         "statut": statut, "commentaire": f"Chèque cadeau {20 + 10 * (n % 4)} €"})
    t["t_cheque_cadeau"] = (vouchers, {"encoding": "Windows-1252"})
    t["t_livre_de_caisse"] = ([], {})
    t["t_pays"] = ([{"id_pays": i, "code": c, "libelle": lib, "code_iso3": iso}
                    for i, (c, lib, iso) in enumerate([("FR", "France", "FRA"), ("BE", "Belgique", "BEL"),
                                                       ("CH", "Suisse", "CHE"), ("ES", "Espagne", "ESP")], 1)],
                   {})
    t["tr_gestion_stock"] = ([{"id_gestion_stock": 1, "code": "STD", "libelle": "Gestion standard"},
                              {"id_gestion_stock": 2, "code": "SANS", "libelle": "Sans stock"}], {})
    return t


def write_demo_shop(folder: Path, seed: int = 2026, today: date | None = None, articles: int = 2000,
                    tables: dict | None = None, lot: str = LOT) -> Manifest:
    """Write the demo shop's files and their manifest into `folder`; the same seed gives the same bytes.
    `tables` (as demo_tables returns them, changed) writes other rows in the same files; `lot` names the lot (a
    lot is applied once: a new demo lot has a new name)."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(lot=lot, date_creation=(today or date(2026, 11, 23)).isoformat(), serveur=SERVEUR)
    for table, (rows, style) in (tables or demo_tables(seed, articles)).items():
        path = folder / f"{table}.xml"
        _xml(path, table, rows, **style)
        manifest.fichiers.append(FileEntry(path.name, len(rows), sha256_file(path)))
    write_manifest(manifest, folder / IMPORT_MANIFEST)
    return manifest
