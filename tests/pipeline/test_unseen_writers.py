"""Files from writers the reader was not written for (issue 27): each is read right, or refused in one French
sentence naming the file and saying the likely cause. Silently wrong is the worst outcome: the cases below are
those that were imported wrong (a table emptied, a column's last value kept, 1,200 read as 1,20, mojibake, US
dates read the French way) or refused in libxml's English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipeline import BadTableFile, contract_for, read_arrow
from tests.pipeline.test_xmlread import write

A1 = "<id_article>1</id_article><code>A1</code><prix_ttc>12.50</prix_ttc><id_tva>1</id_tva>"
A2 = "<id_article>2</id_article><code>A2</code><prix_ttc>3.00</prix_ttc><id_tva>2</id_tva>"
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'

# (file, bytes, {column: values read}) for the files read right.
READ_RIGHT = {
    "PHP XMLWriter, indented": ("t_article.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n<t_article>\n <row>\n  '
                                f"{A1}\n </row>\n <row>\n  {A2}\n </row>\n</t_article>\n".encode(),
                                {"code": ["A1", "A2"]}),
    "SimpleXML asXML, no encoding declared": ("t_article.xml", f'<?xml version="1.0"?>\n<t_article><row>{A1}'
                                              "<libelle>Crème</libelle></row></t_article>".encode(),
                                              {"libelle": ["Crème"]}),
    "PostgreSQL table_to_xml with nulls": ("t_article.xml", f"<t_article {XSI}>\n\n<row>\n  {A1}\n  <libelle "
                                           'xsi:nil="true"/>\n  <actif>true</actif>\n</row>\n\n</t_article>\n'.encode(),
                                           {"libelle": [None], "actif": [True]}),
    "Java Transformer, standalone=no, one line": ("t_article.xml", '<?xml version="1.0" encoding="UTF-8" '
                                                  f'standalone="no"?><t_article><row>{A1}</row><row>{A2}</row>'
                                                  "</t_article>".encode(), {"id_article": [1, 2]}),
    "Perl XML::Simple, attributes under opt": ("t_article.xml", b'<opt>\n  <anon id_article="1" code="A1" '
                                               b'prix_ttc="12.50" id_tva="1" />\n</opt>\n', {"code": ["A1"]}),
    "Node xmlbuilder2": ("t_article.xml", f'<?xml version="1.0"?><t_article><row>{A1}</row></t_article>'.encode(),
                         {"prix_ttc": [Decimal("12.50")]}),
    "SQL Server FOR XML PATH, ROOT, ELEMENTS XSINIL": ("t_article.xml", f"<t_article {XSI}><row>{A1}<libelle "
                                                       'xsi:nil="true" /></row></t_article>'.encode(),
                                                       {"libelle": [None]}),
    "SQL Server FOR XML RAW, ROOT": ("t_article.xml", b'<t_article><row id_article="1" code="A1" prix_ttc="12.50" '
                                     b'id_tva="1"/><row id_article="2" code="A2" prix_ttc="3.00" id_tva="2"/>'
                                     b"</t_article>", {"code": ["A1", "A2"]}),
    "Access export, dataroot": ("t_article.xml", '<?xml version="1.0" encoding="UTF-8"?>\r\n<dataroot xmlns:od='
                                '"urn:schemas-microsoft-com:officedata" generated="2026-11-22T10:00:00">\r\n'
                                f"<t_article>\r\n{A1}\r\n<actif>1</actif>\r\n</t_article>\r\n</dataroot>".encode(),
                                {"actif": [True]}),
    "Windows: BOM, CRLF, windows-1252 with the euro as 0x80": (
        "t_article.xml", b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\r\n<t_article>\r\n<row>'
        + A1.encode() + "<libelle>Prix en €</libelle></row>\r\n</t_article>\r\n".encode(), {"libelle": ["Prix en €"]}),
    "Windows: windows-1252 declared, € as 0x80": ("t_article.xml", b'<?xml version="1.0" encoding="windows-1252"?>'
                                                  b"<t_article><row>" + A1.encode() + b"<libelle>5 \x80</libelle>"
                                                  b"</row></t_article>", {"libelle": ["5 €"]}),
    "Windows: upper-case file and table name": ("T_ARTICLE.XML", f'<mysqldump {XSI}><database name="g"><table_data '
                                                'name="T_ARTICLE"><row><field name="id_article">1</field><field name='
                                                '"code">A1</field><field name="prix_ttc">12.50</field><field name='
                                                '"id_tva">1</field></row></table_data></database></mysqldump>'.encode(),
                                                {"code": ["A1"]}),
    "grouped thousands the value says": ("t_article.xml", b'<t_article><row><id_article>1</id_article><code>A1</code>'
                                         b"<prix_ttc>1 234,56</prix_ttc><id_tva>1</id_tva></row><row><id_article>2"
                                         b"</id_article><code>A2</code><prix_ttc>1.234,50</prix_ttc><id_tva>1</id_tva>"
                                         b"</row><row><id_article>3</id_article><code>A3</code><prix_ttc>1,234.00"
                                         b"</prix_ttc><id_tva>1</id_tva></row></t_article>",
                                         {"prix_ttc": [Decimal("1234.56"), Decimal("1234.50"), Decimal("1234.00")]}),
    "an integer written 12.0 by pandas": ("t_article.xml", b"<t_article><row><id_article>12.0</id_article><code>A"
                                          b"</code><prix_ttc>1</prix_ttc><id_tva>1.0</id_tva></row></t_article>",
                                          {"id_article": [12], "id_tva": [1]}),
    "French dates, every day <= 12": ("t_avoir.xml", b"<t_avoir><row><id_avoir>A</id_avoir><numero>1</numero>"
                                      b"<montant>10</montant><montant_utilise>0</montant_utilise><date_emission>"
                                      b"11/02/2026</date_emission></row></t_avoir>",
                                      {"date_emission": [date(2026, 2, 11)]}),
}

# (file, bytes, what the sentence must say) for the files refused.
ENGLISH = ("Extra content", "PCDATA", "StartTag", "Sequence", "xmlParse", "EntityRef", "not allowed", "invalid ")
REFUSED = {
    "SQL Server FOR XML RAW without ROOT": ("t_cheque_cadeau.xml", b'<row id_cheque_cadeau="C1" numero="CC1" '
                                           b'montant="30.00"/><row id_cheque_cadeau="C2" numero="CC2" '
                                           b'montant="20.00"/>', "sans élément racine autour"),
    "SQL Server FOR XML RAW, one row, no ROOT": ("t_cheque_cadeau.xml", b'<row id_cheque_cadeau="C1" numero="CC1" '
                                                 b'montant="30.00"/>', "sans élément racine autour"),
    "SQL Server FOR XML PATH without ROOT": ("t_article.xml", f"<row>{A1}</row><row>{A2}</row>".encode(),
                                             "sans aucune colonne"),
    "two roots written end to end": ("t_article.xml", b"<t_article/><t_article/>", "plusieurs éléments racines"),
    "mysql --xml of a JOIN: code twice": ("t_article.xml", f'<resultset {XSI}><row><field name="id_article">1'
                                          '</field><field name="code">A1</field><field name="prix_ttc">1</field>'
                                          '<field name="id_tva">1</field><field name="code">EPI</field></row>'
                                          "</resultset>".encode(), "colonne code apparaît deux fois"),
    "one label per language": ("t_article.xml", f'<t_article><row>{A1}<libelle xml:lang="fr">Pain</libelle>'
                               '<libelle xml:lang="en">Bread</libelle></row></t_article>'.encode(),
                               "xml:lang 'fr' et 'en'"),
    "number_format: 1,990 among dotted amounts": ("t_article.xml", b"<t_article><row><id_article>1</id_article><code>A"
                                                  b"</code><prix_ttc>12.50</prix_ttc><id_tva>1</id_tva></row><row>"
                                                  b"<id_article>2</id_article><code>B</code><prix_ttc>1,990</prix_ttc>"
                                                  b"<id_tva>1</id_tva></row></t_article>",
                                                  "« 1,990 » est ambiguë : 1990"),
    "number_format of an id: 1.000": ("t_article.xml", b"<t_article><row><id_article>1.000</id_article><code>A</code>"
                                      b"<prix_ttc>1</prix_ttc><id_tva>1</id_tva></row></t_article>",
                                      "séparateur de milliers"),
    "an amount of 17 digits": ("t_article.xml", b"<t_article><row><id_article>1</id_article><code>A</code><prix_ttc>"
                               b"12345678901234567</prix_ttc><id_tva>1</id_tva></row></t_article>", "trop grande"),
    "utf8_encode(): a C1 control for the euro": ("t_article.xml", f"<t_article><row>{A1}<libelle>5 \u0080</libelle>"
                                                 "</row></t_article>".encode(), "utf8_encode()"),
    "windows-1252 bytes declared ISO-8859-15": ("t_article.xml", b'<?xml version="1.0" encoding="ISO-8859-15"?>'
                                                b"<t_article><row>" + A1.encode() + b"<libelle>5 \x80</libelle></row>"
                                                b"</t_article>", "U+0080"),
    "htmlspecialchars on latin1: U+FFFD": ("t_article.xml", f"<t_article><row>{A1}<libelle>Cr\ufffdme</libelle></row>"
                                           "</t_article>".encode(), "caractère de remplacement"),
    "UTF-8 bytes declared windows-1252": ("t_article.xml", b'<?xml version="1.0" encoding="windows-1252"?>'
                                          b"<t_article><row>" + A1.encode() + "<libelle>Bœuf 5 €</libelle>"
                                          .encode() + b"</row></t_article>", "il fallait lire « Bœuf 5 € »"),
    "a latin1 table holding UTF-8, read again": ("t_article.xml", f"<t_article><row>{A1}<libelle>CrÃ¨me brÃ»lÃ©e"
                                                 "</libelle></row></t_article>".encode(),
                                                 "il fallait lire « Crème brûlée »"),
    "the word null in a number column": ("t_article.xml", f"<t_article><row>{A1}<id_famille_art>null</id_famille_art>"
                                         "</row></t_article>".encode(), "le mot 'null'"),
    "date('m/d/Y'): a US date proves the column": ("t_avoir.xml", b"<t_avoir><row><id_avoir>A</id_avoir><numero>1"
                                                   b"</numero><montant>10</montant><montant_utilise>0</montant_utilise>"
                                                   b"<date_emission>11/02/2026</date_emission></row><row><id_avoir>B"
                                                   b"</id_avoir><numero>2</numero><montant>10</montant>"
                                                   b"<montant_utilise>0</montant_utilise><date_emission>12/25/2026"
                                                   b"</date_emission></row></t_avoir>", "format américain"),
    "a raw control character": ("t_article.xml", f"<t_article><row>{A1}<libelle>a\x01b</libelle></row></t_article>"
                                .encode(), "caractère de contrôle n°1"),
    "a character reference to a control": ("t_article.xml", f"<t_article><row>{A1}<libelle>a&#1;b</libelle></row>"
                                           "</t_article>".encode(), "caractère de contrôle n°1"),
    "a < in a text": ("t_article.xml", f"<t_article><row>{A1}<libelle>a < b</libelle></row></t_article>".encode(),
                      "s'écrit &lt;"),
    "]]> in a text": ("t_article.xml", f"<t_article><row>{A1}<libelle>a ]]> b</libelle></row></t_article>".encode(),
                      "« ]]> » est interdite"),
    "SimpleXML addChild and a lone &": ("t_article.xml", f"<t_article><row>{A1}<libelle>a & b</libelle></row>"
                                        "</t_article>".encode(), "s'écrit &amp;"),
}


@pytest.mark.parametrize("name,body,expected", READ_RIGHT.values(), ids=READ_RIGHT.keys())
def test_a_file_of_a_writer_not_seen_before_is_read_right(tmp_path, name, body, expected):
    table = read_arrow(write(tmp_path, body, name=name), contract_for(name.split(".")[0]))
    for column, values in expected.items():
        assert table.column(column).to_pylist() == values


@pytest.mark.parametrize("name,body,words", REFUSED.values(), ids=REFUSED.keys())
def test_a_file_nobody_could_mean_is_refused_in_one_french_sentence(tmp_path, name, body, words):
    with pytest.raises(BadTableFile) as refused:
        read_arrow(write(tmp_path, body, name=name), contract_for(name.split(".")[0]))
    said = str(refused.value)
    assert words in said and name in said, said
    assert not any(english in said for english in ENGLISH), said
