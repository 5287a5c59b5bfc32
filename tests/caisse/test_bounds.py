"""Every input has a bound (issue 16, point 3): column names compared without case, unknown columns capped and
dropped once a lot no longer sends them, VAT rates between 0 and 100, file sizes checked before a byte is
copied, refused receptions removed; every bad argument of the CLI a French sentence and exit 2."""

from __future__ import annotations

import pytest

from caisse import open_store
from tests.caisse.test_cli import caisse
from tests.caisse.test_hostile_drop import refused_unchanged
from tests.caisse.test_import import do_import, redeliver

ARTICLE = ("<t_article><row><id_article>1</id_article><code>ART00001</code><ean>3760000000017</ean>"
           "<{libelle}>Sirop</{libelle}>{more}<id_famille_art>2</id_famille_art><id_tva>1</id_tva>"
           "<prix_ttc>10,70</prix_ttc><id_unite>1</id_unite><actif>1</actif>{extra}</row></t_article>")


def article(libelle="libelle", more="", extra="") -> bytes:
    return ARTICLE.format(libelle=libelle, more=more, extra=extra).encode()


def columns(store, table):
    with store.connect() as con:
        return [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                          "ORDER BY ordinal_position", [table]).fetchall()]


def test_a_column_name_in_capitals_is_the_known_column(imported):
    """`<LIBELLE>` crashed the import unrecorded (DuckDB names have no case): it is the contract's libelle."""
    redeliver(imported, **{"t_article.xml": article("LIBELLE")})
    do_import(imported)
    store = open_store(imported)
    with store.connect() as con:
        assert con.execute("SELECT libelle FROM t_article WHERE code = 'ART00001'").fetchall() == [("Sirop",)]
    assert "LIBELLE" not in columns(store, "t_article")


def test_a_case_only_twin_is_refused_naming_both(imported):
    redeliver(imported, **{"t_article.xml": article(more="<LIBELLE>Autre</LIBELLE>")})
    message = refused_unchanged(imported, "LIBELLE et libelle ne diffèrent que par les majuscules")
    assert "t_article.xml" in message


def test_unknown_columns_are_capped(imported):
    """3,000 distinct unknown tags added 3,000 permanent columns: more than max_unknown_columns is refused."""
    extra = "".join(f"<col{i}>x</col{i}>" for i in range(3000))
    redeliver(imported, **{"t_article.xml": article(extra=extra)})
    refused_unchanged(imported, r"3000 colonnes inconnues .*au plus 20 .*max_unknown_columns")
    assert len(columns(open_store(imported), "t_article")) < 20


def test_an_unknown_column_is_kept_then_dropped_when_a_later_lot_no_longer_sends_it(imported):
    redeliver(imported, **{"t_article.xml": article(extra="<couleur>rouge</couleur>")})
    do_import(imported)
    store = open_store(imported)
    assert "couleur" in columns(store, "t_article")
    redeliver(imported, **{"t_article.xml": article()})
    do_import(imported)
    assert "couleur" not in columns(store, "t_article")


def test_an_unknown_column_whose_name_could_break_out_of_sql_is_refused(imported):
    """mysqldump's shape names columns in an attribute, where any character fits."""
    row = ('<row><field name="id_article">1</field><field name="code">ART00001</field><field name="libelle">S'
           '</field><field name="id_tva">1</field><field name="prix_ttc">1</field><field name="actif">1</field>'
           '<field name="a&quot;b) VARCHAR; DROP TABLE t_ticket; --">x</field></row>')
    redeliver(imported, **{"t_article.xml": f"<t_article>{row}</t_article>".encode()})
    refused_unchanged(imported, "nom de colonne .* est refusé")


def test_a_vat_rate_outside_0_to_100_is_refused_with_a_sentence(imported):
    tva = (b"<tr_tva><row><id_tva>1</id_tva><code>N</code><taux>-100</taux><libelle>Normal</libelle></row>"
           b"</tr_tva>")
    redeliver(imported, **{"tr_tva.xml": tva})
    refused_unchanged(imported, "n'est pas un taux entre 0 et 100")


def test_a_file_over_the_size_limit_is_refused_before_any_byte_is_copied(imported, monkeypatch):
    monkeypatch.setenv("CAISSE_MAX_FILE_MB", "1")
    from caisse import load_settings
    limited = load_settings()
    redeliver(limited, **{"t_article.xml": article(extra=f"<note>{'x' * 1_200_000}</note>")})
    for _ in range(2):  # each refused attempt leaves nothing behind
        refused_unchanged(limited, "t_article.xml.*Mo")
    assert all(p.stat().st_size < 1024 * 1024 for p in limited.received_dir.rglob("t_article.xml"))


@pytest.mark.parametrize("args, words", [
    (["status", "--runs", "-1"], "nombre d'échanges"),
    (["status", "--runs", "x"], "nombre d'échanges"),
    (["status", "--runs", "100000000"], "nombre d'échanges"),
    (["report", "z", "--caisse", "C01", "--numero", "0"], "numéro du Z"),
    (["report", "z", "--caisse", "../x"], "code de caisse"),
    (["import", "--caisse", "a/b", "--user", "responsable"], "code de caisse"),
    (["void", "--caisse", "C01", "--user", "responsable", "--ticket", "-2", "--reason", "x"], "numéro du ticket"),
    (["open", "--caisse", "C01", "--user", "x" * 200, "--fond", "10"], "identifiant"),
    (["serve", "--port", "99999"], "port"),
    (["open"], "Arguments obligatoires manquants"),
    (["bogus"], "choix possibles"),
    (["close", "--caisse", "C01", "--user", "responsable", "--count", "20=-3"], "nombre"),
])
def test_every_bad_argument_gets_a_french_sentence_and_exit_2(imported, args, words):
    done = caisse(*args, password="resp2026", env={"CAISSE_HOME": str(imported.home)})
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert words in done.stderr
    for english in ("usage:", "error:", "invalid", "required", "choose from", "expected"):
        assert english not in done.stderr


def test_help_is_in_french(imported):
    done = caisse("--help", env={"CAISSE_HOME": str(imported.home)})
    assert done.returncode == 0
    assert "usage" not in done.stdout.lower() and "show this help" not in done.stdout
    assert "Utilisation" in done.stdout and "afficher cette aide" in done.stdout


def test_every_commands_help_is_french_and_writes_amounts_the_french_way():
    """The help's examples are what a manager types: `150,00`, not `150.00` (the CLI reads both); every option
    says what it is for, under a French placeholder (it said `--reason REASON` and nothing)."""
    import re

    from caisse.arguments import build_parser
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in commands.items():
        text = sub.format_help()
        assert not re.search(r"\d\.\d\d\b", text), (name, text)
        assert "usage" not in text.lower() and "show this help" not in text, name
        for action in sub._actions:  # each option says what it is for, with a French placeholder
            assert action.help, (name, action.option_strings or action.dest)
        for english in ("REASON", "AMOUNT", "COMMENT", "OUTPUT", "ADDRESS", "RUNS", " TICKET", " LOT"):
            assert english not in text, (name, english)
