"""A large file read in parts on several processes gives exactly what one process gives, and its errors
name the file's own rows; a cut in the wrong place is noticed and the file read in one process."""

from __future__ import annotations

import pytest

from pipeline import BadTableFile, contract_for, read_arrow
from pipeline.shapes import detect
from pipeline.textcodec import encode_text
from pipeline.xmlparts import PartFailed, plan, read_parts
from pipeline.xmlread import check_prolog
from tests.pipeline.test_xmlread import ARTICLE, write


def rows(first: int, last: int, price="2,50", extra="") -> str:
    # a control character, as the format carries it (by references, which ISO-8859-1 files need)
    label = "Crème &amp; l'été" + "".join(f"&#{ord(c)};" for c in encode_text("\u001d"))
    return "".join(f"<row>{ARTICLE.format(id=i, prix=price)}<libelle>{label}</libelle>{extra}</row>\n"
                   for i in range(first, last + 1))


def assert_same_as_one_process(path, parts, *, cut_trusted=True):
    """Read in parts equals read whole; and the parts alone did it (or, for a bad cut, noticed it)."""
    one = read_arrow(path, parts=1, batch_rows=7)
    encoding = check_prolog(path).encoding
    shape = detect(path, encoding)
    cuts = plan(path, encoding, shape, parts)
    assert len(cuts) == parts
    assert read_arrow(path, parts=parts, batch_rows=7).equals(one)
    if cut_trusted:
        assert len(list(read_parts(path, contract_for("t_article"), shape, encoding, cuts, 7))) >= parts
    else:
        with pytest.raises(PartFailed):
            list(read_parts(path, contract_for("t_article"), shape, encoding, cuts, 7))
    return one


@pytest.mark.parametrize("parts", [2, 3, 5])
def test_parts_read_what_one_process_reads(tmp_path, parts):
    body = f"<t_article>\n{rows(1, 150)}</t_article>\n<!-- fin -->\n"
    one = assert_same_as_one_process(write(tmp_path, body, encoding="ISO-8859-1"), parts)
    assert one.num_rows == 150 and one.column("libelle")[0].as_py() == "Crème & l'été\u001d"


def test_extra_columns_in_a_later_part_are_kept(tmp_path):
    body = f"<t>{rows(1, 60)}{rows(61, 120, extra='<couleur>bleu</couleur>')}</t>"
    one = assert_same_as_one_process(write(tmp_path, body), 2)
    assert one.column("couleur").null_count == 60


def test_a_bad_value_in_a_later_part_is_refused_with_the_files_row(tmp_path):
    body = f"<t>{rows(1, 99)}{rows(100, 100, price='douze')}{rows(101, 120)}</t>"
    with pytest.raises(BadTableFile, match="ligne 100, colonne prix_ttc"):
        read_arrow(write(tmp_path, body), parts=3, batch_rows=7)


def test_a_key_repeated_across_parts_is_refused_at_its_second_row(tmp_path):
    body = f"<t>{rows(1, 100)}{rows(3, 3)}</t>"
    with pytest.raises(BadTableFile, match="ligne 101.*deux fois"):
        read_arrow(write(tmp_path, body), parts=2, batch_rows=7)


@pytest.mark.parametrize("trap", [
    "<!-- {rows} -->",  # the cut falls in a comment full of <row
    "<row><id_article>0</id_article><code>C</code><prix_ttc>1</prix_ttc><id_tva>1</id_tva>"
    "<libelle><![CDATA[{rows}]]></libelle></row>",  # in a CDATA section
    "<row><id_article>0</id_article><code>C</code><prix_ttc>1</prix_ttc><id_tva>1</id_tva>"
    "<notes>{nested}</notes></row>",  # on a column named like the rows
])
def test_a_cut_in_the_wrong_place_is_noticed_and_the_file_read_whole(tmp_path, trap):
    middle = trap.format(rows=rows(500, 560), nested="".join(f"<row>{i}</row>" for i in range(300)))
    body = f"<t>{rows(1, 20)}{middle}{rows(21, 40)}</t>"
    one = assert_same_as_one_process(write(tmp_path, body), 2, cut_trusted=False)
    assert one.num_rows in (40, 41)


def test_rows_of_another_tag_in_a_later_part_are_read_in_order(tmp_path):
    other = "".join(f"<ligne>{ARTICLE.format(id=i, prix='1')}</ligne>" for i in range(61, 70))
    body = f"<t>{rows(1, 60)}{other}{rows(70, 120)}</t>"
    one = assert_same_as_one_process(write(tmp_path, body), 2, cut_trusted=False)
    assert one.column("id_article").to_pylist() == list(range(1, 121))


def test_an_xml_error_in_a_later_part_names_its_line_in_the_file(tmp_path):
    body = "<t>\n" + rows(1, 100) + "<row><id_article>101</id_article></rw>\n" + rows(102, 110) + "</t>"
    # lines 1-2 of the file: <?xml, <t>
    with pytest.raises(BadTableFile, match="ligne 101\\).*ligne 103 est fermée par </rw> .ligne de texte 103"):
        read_arrow(write(tmp_path, body), parts=2, batch_rows=7)


def test_small_files_and_single_core_machines_read_in_one_process(tmp_path):
    path = write(tmp_path, f"<t>{rows(1, 50)}</t>")
    assert plan(path, "utf-8", detect(path, "utf-8")) is None
    assert plan(path, "utf-8", detect(path, "utf-8"), parts=1) is None
