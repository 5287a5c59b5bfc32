"""Each reading rule of DESIGN section 6, and each way a file can be refused."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from pipeline import BadTableFile, contract_for, read_table

ARTICLE = "<id_article>{id}</id_article><code>A{id}</code><prix_ttc>{prix}</prix_ttc><id_tva>1</id_tva>"


def write(tmp_path, body: str | bytes, name="t_article.xml", encoding="UTF-8", declaration=True):
    path = tmp_path / name
    data = body if isinstance(body, bytes) else body.encode(encoding)
    if declaration and not isinstance(body, bytes):
        data = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode() + data
    path.write_bytes(data)
    return path


def article_rows(*prices):
    return "".join(f"<row>{ARTICLE.format(id=i, prix=p)}</row>" for i, p in enumerate(prices, 1))


def test_any_row_tag_and_any_root_name_are_read(tmp_path):
    body = (f"<export><article>{ARTICLE.format(id=1, prix='1.00')}</article>"
            f"<ligne>{ARTICLE.format(id=2, prix='2')}</ligne></export>")
    frame = read_table(write(tmp_path, body))
    assert list(frame.id_article) == [1, 2]


def test_rows_written_as_attributes_are_read(tmp_path):
    body = '<t_article><row id_article="7" code="A7" prix_ttc="3,20" id_tva="2" actif="oui"/></t_article>'
    row = read_table(write(tmp_path, body)).iloc[0]
    assert (row.id_article, row.code, row.prix_ttc, row.id_tva, row.actif) == (7, "A7", Decimal("3.20"), 2, True)


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1", "Windows-1252"])
def test_the_declared_encoding_is_honoured(tmp_path, encoding):
    body = f"<t_article><row>{ARTICLE.format(id=1, prix='1')}<libelle>Crème brûlée</libelle></row></t_article>"
    assert read_table(write(tmp_path, body, encoding=encoding)).libelle[0] == "Crème brûlée"


def test_windows_1252_euro_sign_is_read(tmp_path):
    body = "<t_article><row>" + ARTICLE.format(id=1, prix="1") + "<libelle>Bon 10 €</libelle></row></t_article>"
    assert read_table(write(tmp_path, body, encoding="Windows-1252")).libelle[0] == "Bon 10 €"


def test_a_byte_order_mark_is_accepted(tmp_path):
    body = (b"\xef\xbb\xbf<t_article><row>" + ARTICLE.format(id=1, prix="1").encode()
            + b"<libelle>\xc3\xa9t\xc3\xa9</libelle></row></t_article>")
    assert read_table(write(tmp_path, body)).libelle[0] == "été"


@pytest.mark.parametrize("text,expected", [("12.50", "12.50"), ("12,50", "12.50"), ("12", "12.00"),
                                           (" 1 234,56 ", "1234.56"), ("-3,5", "-3.50")])
def test_decimals_with_a_point_or_a_comma(tmp_path, text, expected):
    assert read_table(write(tmp_path, f"<t>{article_rows(text)}</t>")).prix_ttc[0] == Decimal(expected)


@pytest.mark.parametrize("text", ["2026-11-22", "22/11/2026", "20261122", "2026-11-22T00:00:00"])
def test_dates_in_every_accepted_style(tmp_path, text):
    body = (f'<t_avoir><row id_avoir="A" numero="1" montant="1" montant_utilise="0" '
            f'date_validite="{text}"/></t_avoir>')
    assert read_table(write(tmp_path, body, name="t_avoir.xml")).date_validite[0] == date(2026, 11, 22)


@pytest.mark.parametrize("text", ["2026-11-22T10:15:00", "2026-11-22 10:15:00", "20261122101500",
                                  "2026-11-22T10:15:00Z"])
def test_timestamps_iso_or_compact(tmp_path, text):
    body = f'<t><row id_avoir_utilise="U1" montant="1" date_utilisation="{text}"/></t>'
    frame = read_table(write(tmp_path, body, name="t_avoir_utilise.xml"))
    assert frame.date_utilisation[0] == datetime(2026, 11, 22, 10, 15)


@pytest.mark.parametrize("text,expected", [("1", True), ("0", False), ("true", True), ("False", False),
                                           ("oui", True), ("NON", False), ("", None)])
def test_booleans(tmp_path, text, expected):
    body = f'<t><row id_caisse="1" code="C01" actif="{text}"/></t>'
    value = read_table(write(tmp_path, body, name="t_caisse.xml")).actif[0]
    assert (None if value is None or value is __import__("pandas").NA else bool(value)) == expected


def test_an_empty_or_missing_element_is_null(tmp_path):
    body = f"<t><row>{ARTICLE.format(id=1, prix='1')}<libelle/><ean></ean></row></t>"
    row = read_table(write(tmp_path, body)).iloc[0]
    assert row.isna()[["libelle", "ean", "id_famille_art"]].all()


def test_columns_outside_the_contract_are_kept_as_text(tmp_path):
    body = f"<t><row>{ARTICLE.format(id=1, prix='1')}<couleur>rouge</couleur><poids>0012</poids></row></t>"
    frame = read_table(write(tmp_path, body))
    assert (frame.couleur[0], frame.poids[0]) == ("rouge", "0012")
    assert str(frame.poids.dtype) == "string[pyarrow]"


def test_extra_columns_appearing_only_in_a_later_batch_are_kept(tmp_path):
    rows = article_rows(*["1"] * 5) + f"<row>{ARTICLE.format(id=9, prix='1')}<couleur>bleu</couleur></row>"
    frame = read_table(write(tmp_path, f"<t>{rows}</t>"), batch_rows=2)
    assert list(frame.couleur.isna()) == [True] * 5 + [False]


def test_zero_rows_give_an_empty_frame_with_the_contract_columns(tmp_path):
    frame = read_table(write(tmp_path, "<t_article/>"))
    assert len(frame) == 0 and list(frame.columns) == contract_for("t_article").column_names


def test_leading_zeros_of_codes_are_kept(tmp_path):
    body = '<t><row id_caisse="1" code="007"/></t>'
    assert read_table(write(tmp_path, body, name="t_caisse.xml")).code[0] == "007"


def test_a_large_file_is_read_in_batches_with_the_same_result(tmp_path):
    rows = article_rows(*[f"{i},5" for i in range(1, 1001)])
    path = write(tmp_path, f"<t>{rows}</t>")
    assert read_table(path, batch_rows=7).equals(read_table(path))


HOSTILE = {
    "malformed": ("<t><row><id_article>1</id_article></t>", "est fermée par", None),
    "empty_file": (b"", "vide", None),
    "undeclared_entity": ("<t><row>" + ARTICLE.format(id=1, prix="1") + "<libelle>&x;</libelle></row></t>",
                          "entité", None),
    "billion_laughs_dtd": ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                           "<t><row><libelle>&b;</libelle></row></t>", "DTD", None),
    "external_entity": ('<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><t><row><libelle>&x;</libelle>'
                        "</row></t>", "DTD", None),
    "bad_utf8_bytes": (b'<?xml version="1.0" encoding="UTF-8"?><t><row><libelle>\xe9</libelle></row></t>',
                       "encodage déclaré UTF-8", None),
    "bad_windows_1252_bytes": (b'<?xml version="1.0" encoding="windows-1252"?><t><row><libelle>\x81</libelle>'
                               b"</row></t>", "encodage déclaré WINDOWS-1252", None),
    "utf16": ("<t/>".encode("utf-16"), "UTF-16", None),
    "unsupported_encoding": ('<?xml version="1.0" encoding="EBCDIC-FR"?><t/>', "pas pris en charge", None),
    "missing_required_column": ("<t><row><id_article>1</id_article><code>A</code><id_tva>1</id_tva></row></t>",
                                "absente", ("1", "prix_ttc")),
    "empty_required_value": (f"<t>{article_rows('1')}<row>{ARTICLE.format(id=2, prix='')}</row></t>", "vide",
                             ("2", "prix_ttc")),
    "wrong_integer": (f"<t><row>{ARTICLE.format(id='un', prix='1')}</row></t>", "nombre entier",
                      ("1", "id_article")),
    "wrong_decimal": (f"<t>{article_rows('1', '2', 'douze')}</t>", "montant", ("3", "prix_ttc")),
    "too_many_decimals": (f"<t>{article_rows('1,255')}</t>", "montant", ("1", "prix_ttc")),
    "wrong_boolean": (f"<t><row>{ARTICLE.format(id=1, prix='1')}<actif>peut-être</actif></row></t>", "booléen",
                      ("1", "actif")),
    "duplicate_primary_key": (f"<t>{article_rows('1', '2')}<row>{ARTICLE.format(id=2, prix='1')}</row></t>",
                              "deux fois", ("3", "id_article")),
}


@pytest.mark.parametrize("content,words,where", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_is_refused_with_its_name_row_and_column(tmp_path, content, words, where):
    path = write(tmp_path, content, declaration=False)
    with pytest.raises(BadTableFile) as refused:
        read_table(path)
    message = str(refused.value)
    assert "t_article.xml" in message and words in message
    if where:
        row, column = where
        assert f"ligne {row}" in message and f"colonne {column}" in message


def test_an_impossible_date_is_refused(tmp_path):
    body = '<t><row id_avoir="A" numero="1" montant="1" montant_utilise="0" date_validite="31/02/2026"/></t>'
    with pytest.raises(BadTableFile, match="ligne 1, colonne date_validite"):
        read_table(write(tmp_path, body, name="t_avoir.xml"))


def test_a_duplicate_composite_key_is_refused(tmp_path):
    body = ('<t><d id_utilisateur_groupe="1" id_fonctionnalite="2" autorise="1"/>'
            '<d id_utilisateur_groupe="1" id_fonctionnalite="2" autorise="0"/></t>')
    with pytest.raises(BadTableFile, match="ligne 2"):
        read_table(write(tmp_path, body, name="tr_groupe_droit.xml"))


def test_a_duplicate_key_across_batches_is_refused(tmp_path):
    rows = article_rows(*["1"] * 5) + f"<row>{ARTICLE.format(id=1, prix='1')}</row>"
    with pytest.raises(BadTableFile, match="ligne 6"):
        read_table(write(tmp_path, f"<t>{rows}</t>"), batch_rows=2)


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    path = write(tmp_path, f"<t>{article_rows(*['1'] * 200)}</t>")
    with pytest.raises(BadTableFile, match="limite"):
        read_table(path, max_mb=0.001)


def test_an_unknown_table_is_refused(tmp_path):
    with pytest.raises(BadTableFile, match="t_inconnue"):
        read_table(write(tmp_path, "<t/>", name="t_inconnue.xml"))


def test_rows_of_mixed_tags_are_all_read_in_order(tmp_path):
    rows = [f"<{tag}>{ARTICLE.format(id=i, prix='1')}</{tag}>" for i, tag in
            enumerate(["row", "row", "article", "row", "autre"], 1)]
    frame = read_table(write(tmp_path, f"<t>{''.join(rows)}</t>"), batch_rows=2)
    assert list(frame.id_article) == [1, 2, 3, 4, 5]


def test_a_column_named_like_the_rows_is_a_column(tmp_path):
    body = f"<t><row>{ARTICLE.format(id=1, prix='1')}<row>x</row></row></t>"
    frame = read_table(write(tmp_path, body))
    assert len(frame) == 1 and frame["row"][0] == "x"
