"""The row shapes of the main server's writers, the encodings as browsers read them, and values normalised
once for every table (docs/format.md). Files written by the real programs are in tests/caisse/test_writers.py;
these are the same shapes, byte for byte, in small files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import BadTableFile, contract_for, read_arrow
from pipeline.shapes import detect
from pipeline.xmlparts import PartFailed, expected_table, plan, read_parts
from pipeline.xmlread import iter_tables
from tests.pipeline.test_xmlread import write

MYSQLDUMP = """<?xml version="1.0"?>
<mysqldump xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<database name="gespx">
	<table_structure name="t_article">
		<field Field="id_article" Type="int(11)" Null="NO" Key="PRI" Extra="" Comment="" />
		<options Name="t_article" Engine="InnoDB" />
	</table_structure>
	<table_data name="t_article">
	<row>
		<field name="id_article">1</field>
		<field name="code">ART1</field>
		<field name="libelle">Crème &amp; €</field>
		<field name="prix_ttc">12.50</field>
		<field name="id_tva">1</field>
	</row>
	<row>
		<field name="id_article">2</field>
		<field name="code">ART2</field>
		<field name="libelle" xsi:nil="true" />
		<field name="prix_ttc">3.00</field>
		<field name="id_tva">2</field>
	</row>
	</table_data>
	<table_structure name="tr_tva">
		<field Field="id_tva" Type="int(11)" Null="NO" Key="PRI" Extra="" Comment="" />
	</table_structure>
	<table_data name="tr_tva">
	<row>
		<field name="id_tva">1</field>
		<field name="taux">20.00</field>
	</row>
	</table_data>
</database>
</mysqldump>
"""

RESULTSET = """<?xml version="1.0"?>

<resultset statement="SELECT * FROM t_article
" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <row>
	<field name="id_article">1</field>
	<field name="code">ART1</field>
	<field name="libelle">Crème &amp; €</field>
	<field name="prix_ttc">12.50</field>
	<field name="id_tva">1</field>
  </row>

  <row>
	<field name="id_article">2</field>
	<field name="code">ART2</field>
	<field name="libelle" xsi:nil="true" />
	<field name="prix_ttc">3.00</field>
	<field name="id_tva">2</field>
  </row>
</resultset>
"""

PHPMYADMIN = """<?xml version="1.0" encoding="utf-8"?>
<pma_xml_export version="1.0" xmlns:pma="https://www.phpmyadmin.net/some_doc_url/">
    <pma:structure_schemas>
        <pma:database name="gespx" collation="utf8mb4_general_ci" charset="utf8mb4">
            <pma:table name="t_article">
                CREATE TABLE `t_article` (`id_article` int(11) NOT NULL);
            </pma:table>
        </pma:database>
    </pma:structure_schemas>
    <!--
    - Base de données : 'gespx'
    -->
    <database name="gespx">
        <!-- Table t_article -->
        <table name="t_article">
            <column name="id_article">1</column>
            <column name="code">ART1</column>
            <column name="libelle">Crème &amp; €</column>
            <column name="prix_ttc">12.50</column>
            <column name="id_tva">1</column>
        </table>
        <table name="t_article">
            <column name="id_article">2</column>
            <column name="code">ART2</column>
            <column name="libelle">NULL</column>
            <column name="prix_ttc">3.00</column>
            <column name="id_tva">2</column>
        </table>
        <!-- Table tr_tva -->
        <table name="tr_tva">
            <column name="id_tva">1</column>
            <column name="taux">20.00</column>
        </table>
    </database>
</pma_xml_export>"""

DATASET = """<?xml version="1.0" standalone="yes"?>
<NewDataSet>
  <xs:schema id="NewDataSet" xmlns="" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:msdata="urn:schemas-microsoft-com:xml-msdata">
    <xs:element name="NewDataSet" msdata:IsDataSet="true" msdata:UseCurrentLocale="true">
      <xs:complexType>
        <xs:choice minOccurs="0" maxOccurs="unbounded">
          <xs:element name="t_article">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="id_article" type="xs:int" minOccurs="0" />
                <xs:element name="code" type="xs:string" minOccurs="0" />
              </xs:sequence>
            </xs:complexType>
          </xs:element>
        </xs:choice>
      </xs:complexType>
    </xs:element>
  </xs:schema>
  <t_article>
    <id_article>1</id_article>
    <code>ART1</code>
    <libelle>Crème &amp; €</libelle>
    <prix_ttc>12.50</prix_ttc>
    <id_tva>1</id_tva>
  </t_article>
  <t_article>
    <id_article>2</id_article>
    <code>ART2</code>
    <prix_ttc>3</prix_ttc>
    <id_tva>2</id_tva>
  </t_article>
</NewDataSet>"""

EXPECTED = [(1, "ART1", "Crème & €", Decimal("12.50"), 1), (2, "ART2", None, Decimal("3.00"), 2)]


def articles(path: Path) -> list[tuple]:
    table = read_arrow(path, contract_for("t_article"))
    return list(zip(*(table.column(c).to_pylist() for c in ("id_article", "code", "libelle", "prix_ttc", "id_tva"))))


@pytest.mark.parametrize("body", [MYSQLDUMP, RESULTSET, PHPMYADMIN, DATASET],
                         ids=["mysqldump --xml", "mysql --xml", "phpMyAdmin", "DataSet.WriteXml"])
def test_every_writers_shape_reads_the_same_rows(tmp_path, body):
    path = tmp_path / "t_article.xml"
    path.write_text(body if body is not MYSQLDUMP else body.replace(MYSQLDUMP[MYSQLDUMP.index("\t<table_structure "
                    'name="tr_tva"'):MYSQLDUMP.index("</database>")], ""), encoding="utf-8")
    if body is PHPMYADMIN:
        path.write_text(body.replace(body[body.index("        <!-- Table tr_tva"):body.index("    </database>")], ""),
                        encoding="utf-8")
    assert articles(path) == EXPECTED


@pytest.mark.parametrize("body", [MYSQLDUMP, PHPMYADMIN], ids=["mysqldump --xml", "phpMyAdmin"])
def test_a_whole_database_in_one_file_gives_each_of_its_tables(tmp_path, body):
    path = tmp_path / "gespx.xml"
    path.write_text(body, encoding="utf-8")
    tables = {}
    for table, _, batch in iter_tables(path, contract_for):
        tables[table] = tables.get(table, 0) + batch.num_rows
    assert tables == {"t_article": 2, "tr_tva": 1}


def test_a_file_named_after_a_table_may_not_carry_another(tmp_path):
    path = tmp_path / "t_article.xml"
    path.write_text(MYSQLDUMP, encoding="utf-8")
    with pytest.raises(BadTableFile, match="lignes de la table tr_tva .mysqldump --xml. alors qu'il porte le nom"):
        read_arrow(path)


@pytest.mark.parametrize("body,seen", [
    ('<mysqldump><database name="g"><table_structure name="t"><field Field="a"/></table_structure></database>'
     "</mysqldump>", "sans aucune <table_data>"),
    ("<t><lot><row><id_article>1</id_article></row></lot></t>", "imbriqués sur plus de deux niveaux : <t><lot><row>"),
    ('<t><row><field name="id_article">1</field><code>A</code></row></t>', 'mêle <field name="..."> et <code>'),
    ("<t><row><field>1</field></row></t>", "sans attribut name"),
])
def test_an_unrecognised_shape_is_named_with_the_accepted_ones(tmp_path, body, seen):
    with pytest.raises(BadTableFile) as refused:
        read_arrow(write(tmp_path, body))
    assert "forme n'est pas reconnue" in str(refused.value) and seen in str(refused.value)
    assert "mysqldump --xml" in str(refused.value) and "colonne" not in str(refused.value).split(":")[0]


def test_a_large_mysqldump_file_read_in_parts_reads_what_one_process_reads(tmp_path):
    rows = "".join(f'\t<row>\n\t\t<field name="id_article">{i}</field>\n\t\t<field name="code">A{i}</field>\n'
                   f'\t\t<field name="prix_ttc">1.50</field>\n\t\t<field name="id_tva">1</field>\n'
                   f'\t\t<field name="libelle" xsi:nil="true" />\n\t</row>\n' for i in range(1, 3001))
    body = MYSQLDUMP.replace(MYSQLDUMP[MYSQLDUMP.index("\t<row>"):MYSQLDUMP.index("\t</table_data>")], rows, 1)
    body = body[:body.index('\t<table_structure name="tr_tva"')] + "</database>\n</mysqldump>\n"
    path = tmp_path / "t_article.xml"
    path.write_text(body, encoding="utf-8")
    whole = read_arrow(path, contract_for("t_article"), parts=1)
    assert read_arrow(path, contract_for("t_article"), parts=3).equals(whole) and whole.num_rows == 3000
    shape = detect(path, "utf-8")  # and the parts alone did it: the cut mysqldump wrapper was trusted
    cuts = plan(path, "utf-8", shape, 3)
    batches = read_parts(path, contract_for("t_article"), shape, "utf-8", cuts, 1000, expect=expected_table(shape))
    assert sum(batch.num_rows for batch in batches) == 3000


def test_a_part_holding_rows_of_another_table_hands_over_to_one_process(tmp_path):
    rows = "".join(f'	<row><field name="id_article">{i}</field><field name="code">A{i}</field>'
                   f'<field name="prix_ttc">1</field><field name="id_tva">1</field></row>\n' for i in range(1, 2001))
    body = MYSQLDUMP.replace(MYSQLDUMP[MYSQLDUMP.index("\t<row>"):MYSQLDUMP.index("\t</table_data>")], rows, 1)
    path = tmp_path / "gespx.xml"
    path.write_text(body, encoding="utf-8")
    shape = detect(path, "utf-8")
    with pytest.raises(PartFailed):
        list(read_parts(path, contract_for("t_article"), shape, "utf-8", plan(path, "utf-8", shape, 2), 500,
                        expect=expected_table(shape)))
    counts = {}
    for table, _, batch in iter_tables(path, contract_for, parts=2):
        counts[table] = counts.get(table, 0) + batch.num_rows
    assert counts == {"t_article": 2000, "tr_tva": 1}


# Encodings (the WHATWG encoding standard).

def test_iso_8859_1_is_read_as_windows_1252_as_browsers_do(tmp_path):
    body = '<?xml version="1.0" encoding="ISO-8859-1"?><t><row id_article="1" code="A" prix_ttc="1" id_tva="1" ' \
           'libelle="10 € Œuf « été »"/></t>'
    path = tmp_path / "t_article.xml"
    path.write_bytes(body.encode("cp1252"))
    assert read_arrow(path).column("libelle")[0].as_py() == "10 € Œuf « été »"


@pytest.mark.parametrize("label", ["latin1", "US-ASCII", "iso8859-1", "l1"])
def test_other_labels_of_windows_1252(tmp_path, label):
    path = tmp_path / "t_article.xml"
    path.write_bytes(f'<?xml version="1.0" encoding="{label}"?><t><row id_article="1" code="A" prix_ttc="1" '
                     'id_tva="1" libelle="€"/></t>'.encode("cp1252"))
    assert read_arrow(path).column("libelle")[0].as_py() == "€"


def test_a_byte_order_mark_wins_over_the_declaration(tmp_path):
    path = tmp_path / "t_article.xml"
    path.write_bytes(b"\xef\xbb\xbf" + '<?xml version="1.0" encoding="ISO-8859-1"?><t><row id_article="1" '
                     'code="A" prix_ttc="1" id_tva="1" libelle="€ été"/></t>'.encode())
    assert read_arrow(path).column("libelle")[0].as_py() == "€ été"


def test_undeclared_bytes_that_are_not_utf8_are_refused_saying_what_to_declare(tmp_path):
    path = tmp_path / "t_article.xml"
    path.write_bytes('<t><row id_article="1" code="A" prix_ttc="1" id_tva="1" libelle="été"/></t>'.encode("cp1252"))
    with pytest.raises(BadTableFile) as refused:
        read_arrow(path)
    message = str(refused.value)
    assert "ne déclare pas son encodage, UTF-8 a donc été supposé" in message
    assert '<?xml version="1.0" encoding="windows-1252"?>' in message


@pytest.mark.parametrize("data", ["<t/>".encode("utf-16"), "<t/>".encode("utf-16-le")], ids=["bom", "no bom"])
def test_utf16_is_refused_clearly(tmp_path, data):
    path = tmp_path / "t_article.xml"
    path.write_bytes(data)
    with pytest.raises(BadTableFile, match="UTF-16, que le serveur caisse ne lit pas"):
        read_arrow(path)


# Values normalised once, for every table.

def test_values_padded_with_white_space_are_trimmed_and_blank_is_null(tmp_path):
    body = ("<t_caisse>\n  <row>\n    <id_caisse> 1 </id_caisse>\n    <code>  C01  </code>\n"
            "    <libelle>\tCaisse  principale\r\n</libelle>\n    <id_emplacement>\n    </id_emplacement>\n"
            "    <actif> oui </actif>\n  </row>\n</t_caisse>")
    row = read_arrow(write(tmp_path, body, name="t_caisse.xml")).to_pylist()[0]
    assert row == {"id_caisse": 1, "code": "C01", "libelle": "Caisse  principale", "id_emplacement": None,
                   "actif": True}


def test_extra_columns_are_trimmed_too(tmp_path):
    body = '<t><row id_article="1" code="A" prix_ttc="1" id_tva="1" couleur="  rouge " vide="  "/></t>'
    row = read_arrow(write(tmp_path, body)).to_pylist()[0]
    assert (row["couleur"], row["vide"]) == ("rouge", None)


@pytest.mark.parametrize("text,expected", [
    ("2026-11-22T10:15:00+02:00", datetime(2026, 11, 22, 8, 15, tzinfo=UTC)),
    ("2026-11-22T10:15:00Z", datetime(2026, 11, 22, 10, 15, tzinfo=UTC)),
    ("2026-11-22T10:15:00.1234567+01:00", datetime(2026, 11, 22, 9, 15, 0, 123456, tzinfo=UTC)),
    ("2026-11-22 10:15:00-0500", datetime(2026, 11, 22, 15, 15, tzinfo=UTC)),
])
def test_timestamps_with_an_offset_become_the_register_servers_local_time(tmp_path, text, expected):
    body = f'<t><row id_avoir_utilise="U1" montant="1" date_utilisation="{text}"/></t>'
    value = read_arrow(write(tmp_path, body, name="t_avoir_utilise.xml")).column("date_utilisation")[0].as_py()
    assert value == expected.astimezone().replace(tzinfo=None)


def test_seven_fraction_digits_without_an_offset_are_cut_to_microseconds(tmp_path):
    body = '<t><row id_avoir_utilise="U1" montant="1" date_utilisation="2026-11-22T10:15:00.1234567"/></t>'
    value = read_arrow(write(tmp_path, body, name="t_avoir_utilise.xml")).column("date_utilisation")[0].as_py()
    assert value == datetime(2026, 11, 22, 10, 15, 0, 123456)


@pytest.mark.parametrize("text", ["2026-11-22T00:00:00+01:00", "2026-11-22T00:00:00Z", "2026-11-22T00:00:00.0000000"
                                                                                        "-05:00"])
def test_a_date_written_as_midnight_with_an_offset_is_the_date_written(tmp_path, text):
    body = f'<t><row id_avoir="A" numero="1" montant="1" montant_utilise="0" date_validite="{text}"/></t>'
    assert read_arrow(write(tmp_path, body, name="t_avoir.xml")).column("date_validite")[0].as_py() == \
        date(2026, 11, 22)


def test_mysql_zero_dates_are_null(tmp_path):
    body = ('<t><row id_avoir="A" numero="1" montant="1" montant_utilise="0" date_emission="0000-00-00"/></t>')
    assert read_arrow(write(tmp_path, body, name="t_avoir.xml")).column("date_emission")[0].as_py() is None
    body = '<t><row id_avoir_utilise="U1" montant="1" date_utilisation="0000-00-00 00:00:00"/></t>'
    assert read_arrow(write(tmp_path, body, name="t_avoir_utilise.xml")).column("date_utilisation")[0].as_py() is None


def test_a_zero_date_where_a_value_is_required_is_refused_as_empty(tmp_path):
    body = '<t><row id_article="1" code="A" prix_ttc="1" id_tva="1"/><row id_article="0000-00-00"/></t>'
    with pytest.raises(BadTableFile, match="ligne 2, colonne id_article"):
        read_arrow(write(tmp_path, body))


def test_an_integer_written_12_0_is_12_but_12_5_is_refused(tmp_path):
    body = '<t><row id_article="12.0" code="A" prix_ttc="1" id_tva="1,00"/></t>'
    assert read_arrow(write(tmp_path, body)).column("id_article")[0].as_py() == 12
    body = '<t><row id_article="12.0" code="A" prix_ttc="1" id_tva="1"/><row id_article="12.5" code="B" ' \
           'prix_ttc="1" id_tva="1"/></t>'
    with pytest.raises(BadTableFile, match="ligne 2, colonne id_article.*« 12.5 » n'est pas un nombre entier"):
        read_arrow(write(tmp_path, body))


@pytest.mark.parametrize("text,expected", [("-1", True), ("t", True), ("f", False), ("T", True)])
def test_booleans_of_access_and_postgresql(tmp_path, text, expected):
    body = f'<t><row id_caisse="1" code="C01" actif="{text}"/></t>'
    assert read_arrow(write(tmp_path, body, name="t_caisse.xml")).column("actif")[0].as_py() is expected


@pytest.mark.parametrize("code", ["../../x", "C/01", ".cache", "a..b", "C 01"])
def test_a_register_code_that_could_climb_out_of_a_folder_is_refused(tmp_path, code):
    body = f'<t><row id_caisse="1" code="{code}"/></t>'
    with pytest.raises(BadTableFile, match="ligne 1, colonne code.*n'est pas un identifiant valide"):
        read_arrow(write(tmp_path, body, name="t_caisse.xml"))


@pytest.mark.parametrize("rate", ["-100", "100.01", "250"])
def test_a_vat_rate_outside_0_100_is_refused(tmp_path, rate):
    with pytest.raises(BadTableFile, match="colonne taux.*n'est pas un taux entre 0 et 100"):
        read_arrow(write(tmp_path, f'<t><row id_tva="1" taux="{rate}"/></t>', name="tr_tva.xml"))


def test_a_dtd_after_a_long_comment_is_still_refused(tmp_path):
    body = "<!--" + "x" * 70_000 + '--><!DOCTYPE t [<!ENTITY a "b">]><t><row id_article="1"/></t>'
    with pytest.raises(BadTableFile, match="DTD"):
        read_arrow(write(tmp_path, body))
