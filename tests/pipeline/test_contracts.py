from pathlib import Path

from pipeline import CONTRACTS
from pipeline.contracts import LOAD_ORDER, REFERENCE_TABLES, table_reference_markdown

DESIGN_TABLES = {
    "t_caisse", "t_emplacement", "t_utilisateur", "t_utilisateur_groupe", "tr_fonctionnalite", "tr_groupe_droit",
    "tr_parametre", "tr_moyen_paiement", "tr_tva", "t_famille_art", "t_article", "t_unite", "tr_societe",
    "t_avoir", "t_avoir_utilise", "t_cheque_cadeau", "t_livre_de_caisse", "t_journee", "t_ticket",
    "t_ligne_ticket", "t_reglement", "t_comptage", "t_declinaison", "t_grille_declinaison", "t_code_barre",
    "tr_motif_remise", *REFERENCE_TABLES}


def test_every_table_of_the_design_has_a_contract():
    assert set(CONTRACTS) == DESIGN_TABLES
    assert sorted(LOAD_ORDER) == sorted(CONTRACTS)


def test_reference_tables_are_keyed_by_id_and_their_name_without_prefix():
    assert CONTRACTS["tr_gestion_stock"].primary_key == ("id_gestion_stock",)
    assert CONTRACTS["t_pays"].primary_key == ("id_pays",)


def test_the_documented_table_reference_is_up_to_date():
    docs = Path(__file__).resolve().parents[2] / "docs" / "tables.md"
    assert docs.read_text(encoding="utf-8") == table_reference_markdown() + "\n", "run: make docs"
