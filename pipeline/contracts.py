"""The table contracts: the single source of truth for parsing, DuckDB DDL, writing and the docs.

Each table of DESIGN section 7 is declared once here. The reader (`xmlread`), the writer
(`xmlwrite`), the store's schema (`caisse.storage.store`) and `docs/tables.md` all read these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Arrow is loaded by what reads or writes frames, not by what only reads the store
    import pyarrow as pa

# Contract types -> DuckDB column type; their Arrow types in `arrow_types`.
SQL_TYPES = {"INT": "BIGINT", "DEC": "DECIMAL(18,2)", "QTY": "DECIMAL(18,3)", "TXT": "VARCHAR", "DATE": "DATE",
             "TS": "TIMESTAMP", "BOOL": "BOOLEAN"}


@cache
def arrow_types() -> dict[str, pa.DataType]:
    """Contract types -> the Arrow type of a frame column."""
    import pyarrow as pa
    return {"INT": pa.int64(), "DEC": pa.decimal128(18, 2), "QTY": pa.decimal128(18, 3), "TXT": pa.string(),
            "DATE": pa.date32(), "TS": pa.timestamp("us"), "BOOL": pa.bool_()}


IMPORTED = "importée"
REFERENCE = "référence"
EXPORTED = "exportée"


RULES = ("identifiant", "taux")  # checks by meaning, made by the reader (pipeline.values)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    rule: str | None = None  # one of RULES

    @property
    def arrow_type(self) -> pa.DataType:
        return arrow_types()[self.type]

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Contract:
    """One table: its columns in file order, its primary key, and which way it travels."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    role: str
    description: str = ""
    exported: bool = False
    max_extras: int = 20  # columns outside the contract a file may bring (kept as text); more is refused
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def arrow_schema(self, extras: list[str] = ()) -> pa.Schema:
        import pyarrow as pa
        fields = [pa.field(c.name, c.arrow_type) for c in self.columns]
        fields += [pa.field(name, pa.string()) for name in extras]
        return pa.schema(fields)

    def ddl(self) -> str:
        cols = [f"{c.name} {c.sql_type}" for c in self.columns]
        cols.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  " + ",\n  ".join(cols) + "\n)"


def _parse_columns(spec: str, required: set[str], rules: dict[str, str]) -> tuple[tuple[Column, ...], tuple[str, ...]]:
    """Parse 'name TYPE, *pk TYPE, ...' where a leading * marks a primary key column."""
    columns, pk = [], []
    for part in spec.split(","):
        name, type_ = part.split()
        if name.startswith("*"):
            name = name[1:]
            pk.append(name)
        columns.append(Column(name, type_, required=name in pk or name in required, rule=rules.get(name)))
    return tuple(columns), tuple(pk)


def table_contract(name, spec, role, required=(), description="", exported=False, rules=None) -> Contract:
    """A contract from a spec such as "*id INT, code TXT" (a leading * marks the primary key); `rules` maps
    a column to a check by meaning (RULES)."""
    columns, pk = _parse_columns(spec, set(required), rules or {})
    return Contract(name, columns, pk, role, description, exported)


_CONTRACTS = [
    # Imported, used by the rules.
    table_contract("t_caisse", "*id_caisse INT, code TXT, libelle TXT, id_emplacement INT, actif BOOL",
           IMPORTED, ["code"], "Les caisses du magasin.", rules={"code": "identifiant"}),
    table_contract("t_emplacement", "*id_emplacement INT, code TXT, libelle TXT", IMPORTED,
           description="Emplacements (magasins, sites)."),
    table_contract("t_utilisateur", "*id_utilisateur INT, login TXT, nom TXT, prenom TXT, mot_de_passe TXT, "
           "id_utilisateur_groupe INT, actif BOOL, pin TXT", IMPORTED,
           ["login", "mot_de_passe", "id_utilisateur_groupe"],
           "Utilisateurs ; mot_de_passe (et pin, le code qui reprend une session en pause, facultatif) au format "
           "pbkdf2_sha256$iterations$sel$hash.", rules={"login": "identifiant"}),
    table_contract("t_utilisateur_groupe", "*id_utilisateur_groupe INT, libelle TXT", IMPORTED,
           description="Groupes d'utilisateurs."),
    table_contract("tr_fonctionnalite", "*id_fonctionnalite INT, code TXT, libelle TXT", IMPORTED, ["code"],
           "Droits (CAISSE_OUVRIR, CAISSE_FERMER...)."),
    table_contract("tr_groupe_droit", "*id_utilisateur_groupe INT, *id_fonctionnalite INT, autorise BOOL",
           IMPORTED, ["autorise"], "Droits accordés aux groupes."),
    table_contract("tr_parametre", "*cle TXT, valeur TXT", IMPORTED,
           description="Paramètres : devise, coupures, tolerance_ecart, ticket_entete, ticket_pied."),
    table_contract("tr_moyen_paiement", "*id_moyen_paiement INT, code TXT, libelle TXT, especes BOOL, "
           "rendu_monnaie BOOL, necessite_numero BOOL, actif BOOL, ordre INT", IMPORTED,
           ["code", "especes", "rendu_monnaie", "necessite_numero", "actif"], "Moyens de paiement."),
    table_contract("tr_tva", "*id_tva INT, code TXT, taux DEC, libelle TXT", IMPORTED, ["taux"], "Taux de TVA.",
           rules={"taux": "taux"}),
    table_contract("t_famille_art", "*id_famille_art INT, code TXT, libelle TXT, id_parent INT", IMPORTED,
           description="Familles d'articles."),
    table_contract("t_article", "*id_article INT, code TXT, ean TXT, libelle TXT, id_famille_art INT, id_tva INT, "
           "prix_ttc DEC, id_unite INT, actif BOOL, id_collection INT, id_grille_declinaison INT, id_etiquette INT",
           IMPORTED, ["code", "prix_ttc", "id_tva"], "Articles (un modèle, quand il a des déclinaisons : "
           "id_grille_declinaison nomme sa grille de tailles ; id_collection sa collection (tr_collection), "
           "id_etiquette son type d'étiquette (tr_etiquette))."),
    table_contract("t_declinaison", "*id_declinaison INT, id_article INT, ean TXT, taille TXT, couleur TXT, "
           "prix_ttc DEC, actif BOOL, code TXT", IMPORTED, ["id_article"],
           "Déclinaisons d'un modèle (une ligne par taille et couleur) : id_article nomme le modèle ; ean le "
           "code-barres de la déclinaison ; prix_ttc, s'il est donné, remplace celui du modèle."),
    table_contract("t_grille_declinaison", "*id_grille_declinaison INT, *ordre INT, code TXT, libelle TXT, taille TXT",
           IMPORTED, ["taille"], "Grilles de tailles : une ligne par taille, dans l'ordre de la grille (ordre 1, 2, "
           "3…), par exemple S, M, L, XL ou 36 à 45."),
    table_contract("t_code_barre", "*code_barre TXT, id_article INT, id_declinaison INT, libelle TXT", IMPORTED,
           description="Codes-barres supplémentaires (EAN d'un fournisseur, ancien code) : chacun désigne un "
           "article (id_article) ou une déclinaison (id_declinaison)."),
    table_contract("tr_motif_remise", "*id_motif_remise INT, code TXT, libelle TXT, actif BOOL", IMPORTED, ["code"],
           "Motifs de remise proposés à la caisse (SOLDES, FIDELITE, DEFAUT...). Sans cette table, le paramètre "
           "motifs_remise de tr_parametre, ou la liste par défaut."),
    table_contract("t_unite", "*id_unite INT, code TXT, libelle TXT", IMPORTED, description="Unités de vente."),
    table_contract("tr_societe", "*id_societe INT, raison_sociale TXT, adresse TXT, code_postal TXT, ville TXT, "
           "siret TXT, tva_intracom TXT, telephone TXT", IMPORTED, description="La société (en-tête des tickets)."),
    table_contract("t_avoir", "*id_avoir TXT, numero TXT, id_tiers INT, date_emission DATE, date_validite DATE, "
           "montant DEC, montant_utilise DEC, id_caisse INT, statut TXT, id_ticket_emission TXT", IMPORTED,
           ["numero", "montant", "montant_utilise"], "Avoirs (id_ticket_emission : le ticket de retour qui a émis "
           "un avoir à la caisse).", exported=True),
    table_contract("t_avoir_utilise", "*id_avoir_utilise TXT, id_avoir TXT, date_utilisation TS, montant DEC, "
           "id_caisse INT, id_ticket TXT", IMPORTED, ["montant"], "Utilisations d'avoirs.", exported=True),
    table_contract("t_cheque_cadeau", "*id_cheque_cadeau TXT, numero TXT, montant DEC, date_emission DATE, "
           "date_validite DATE, date_utilisation TS, id_ticket TXT, statut TXT", IMPORTED,
           ["numero", "montant"], "Chèques cadeaux (EMIS, VENDU, UTILISE, ANNULE).", exported=True),
    table_contract("t_livre_de_caisse", "*id_mouvement TXT, id_caisse INT, id_journee TXT, date_mouvement TS, "
           "type TXT, montant DEC, libelle TXT, id_utilisateur INT", IMPORTED,
           description="Livre de caisse (FOND, ENTREE, SORTIE, REMISE, ECART).", exported=True),
    # Created at the register and exported.
    table_contract("t_journee", "*id_journee TXT, id_caisse INT, numero_z INT, date_ouverture TS, date_fermeture TS, "
           "id_utilisateur_ouverture INT, id_utilisateur_fermeture INT, fond_caisse DEC, nb_tickets INT, "
           "nb_annulations INT, nb_retours INT, total_ttc DEC, especes_theorique DEC, especes_compte DEC, ecart DEC, "
           "ecart_valide_par INT, fermeture_forcee BOOL, commentaire TXT, grand_total DEC, grand_total_absolu DEC, "
           "empreinte TXT, empreinte_precedente TXT, lot_export TXT", EXPORTED,
           description="Journées de caisse (un Z chacune) : nb_tickets compte les ventes, total_ttc est net des "
           "annulations et retours ; grand_total perpétuel et grand_total_absolu (somme des valeurs absolues) "
           "depuis le premier jour de la caisse ; empreinte : le maillon de la chaîne des clôtures.", exported=True),
    table_contract("t_ticket", "*id_ticket TXT, numero INT, type_ticket TXT, id_caisse INT, id_journee TXT, "
           "id_utilisateur INT, date_creation TS, date_validation TS, total_ttc DEC, total_ht DEC, "
           "id_ticket_origine TXT, motif TXT, empreinte TXT, empreinte_precedente TXT, remise_ticket DEC, "
           "taux_remise_ticket DEC, motif_remise TXT",
           EXPORTED, description="Tickets validés, écrits une fois : VENTE, ANNULATION (l'opposé d'une vente, qui "
           "la désigne par id_ticket_origine, avec son motif) et RETOUR (reprise de marchandise, montants "
           "négatifs). Numérotés sans trou par caisse, tous types confondus ; empreinte : le maillon de la chaîne "
           "des tickets. remise_ticket : la remise sur le ticket (répartie sur ses lignes), taux_remise_ticket "
           "le pourcentage saisi, motif_remise son motif.", exported=True),
    table_contract("t_ligne_ticket", "*id_ligne_ticket TXT, id_ticket TXT, num_ligne INT, id_article INT, "
           "code_article TXT, libelle TXT, quantite QTY, prix_unitaire_ttc DEC, remise DEC, taux_tva DEC, "
           "montant_ttc DEC, montant_ht DEC, id_ligne_origine TXT, id_declinaison INT, taille TXT, couleur TXT, "
           "id_vendeur INT, prix_force DEC, taux_remise DEC, motif_remise TXT, remise_ticket DEC, prix_reference DEC",
           EXPORTED, description="Lignes de ticket (quantités et montants négatifs dans une annulation ou un retour, "
           "qui désignent la ligne reprise par id_ligne_origine). prix_unitaire_ttc est le prix du catalogue ; "
           "remise, toute la remise de la ligne en euros (la sienne, sa part de la remise du ticket remise_ticket, et "
           "l'écart d'un prix forcé prix_force) ; taux_remise le pourcentage saisi, motif_remise son motif ; "
           "id_vendeur le vendeur de la ligne ; prix_reference le prix de référence (le plus bas des 30 jours avant "
           "la remise) imprimé sur le ticket.", exported=True),
    table_contract("t_reglement", "*id_reglement TXT, id_ticket TXT, id_moyen_paiement INT, code_moyen TXT, "
           "montant DEC, numero_piece TXT, rendu DEC", EXPORTED,
           description="Règlements (montant remis, rendu monnaie).", exported=True),
    table_contract("t_comptage", "*id_journee TXT, *valeur DEC, nombre INT, total DEC", EXPORTED,
           description="Comptage du tiroir par coupure.", exported=True),
]

REFERENCE_TABLES = [
    "tr_code_comptable", "tr_section_comptable", "tr_type_art", "tr_nature_art", "tr_etiquette",
    "tr_collection", "tr_classification", "t_compta",
    "t_classification_tiers", "t_pays", "tr_famille_tiers", "tr_gestion_stock", "t_tiers",
]


def _reference(name: str) -> Contract:
    key = "id_" + name.split("_", 1)[1]
    return table_contract(name, f"*{key} INT, code TXT, libelle TXT", REFERENCE,
                  description="Table de référence (colonnes supplémentaires gardées en texte).")


CONTRACTS: dict[str, Contract] = {c.name: c for c in _CONTRACTS + [_reference(n) for n in REFERENCE_TABLES]}

EXPORT_TABLES = ["t_journee", "t_ticket", "t_ligne_ticket", "t_reglement", "t_comptage",
                 "t_livre_de_caisse", "t_avoir", "t_avoir_utilise", "t_cheque_cadeau"]

# The order tables are emptied and loaded in, the seed's log order first.
_SEED_ORDER = ["t_caisse", "t_utilisateur", "t_utilisateur_groupe", "tr_fonctionnalite", "tr_groupe_droit",
               "tr_parametre", "t_emplacement", "tr_code_comptable", "tr_section_comptable", "tr_type_art",
               "tr_nature_art", "tr_etiquette", "tr_collection", "tr_moyen_paiement", "t_declinaison",
               "t_grille_declinaison", "tr_classification", "t_unite", "t_compta", "t_classification_tiers",
               "t_pays", "tr_famille_tiers", "t_famille_art", "tr_gestion_stock"]
LOAD_ORDER = _SEED_ORDER + [name for name in CONTRACTS if name not in _SEED_ORDER]

# A register cannot be opened until these hold data (DESIGN section 5).
CORE_TABLES = ["t_caisse", "t_utilisateur", "tr_fonctionnalite", "tr_groupe_droit",
               "tr_moyen_paiement", "t_article", "tr_tva"]


def contract_for(table: str) -> Contract | None:
    """The contract of a table name (case-insensitive), or None for a table we do not know."""
    return CONTRACTS.get(table.lower())


def table_reference_markdown() -> str:
    """The generated table reference of docs/tables.md."""
    out = ["# Tables échangées avec le serveur principal", "",
           "Généré depuis `pipeline/contracts.py` (`caisse docs`). **Gras** : clé primaire ; "
           "`*` : obligatoire (présente et jamais vide).", ""]
    for role in (IMPORTED, REFERENCE, EXPORTED):
        out += [f"## Tables {role}s", ""]
        for c in CONTRACTS.values():
            if c.role != role:
                continue
            sens = " Exportée aussi." if c.exported and role == IMPORTED else ""
            out += [f"### `{c.name}`", "", f"{c.description}{sens}", "", "| colonne | type | DuckDB |",
                    "| --- | --- | --- |"]
            for col in c.columns:
                name = f"**{col.name}**" if col.name in c.primary_key else col.name
                star = " *" if col.required else ""
                out.append(f"| {name}{star} | {col.type} | {col.sql_type} |")
            out.append("")
    return "\n".join(out)
