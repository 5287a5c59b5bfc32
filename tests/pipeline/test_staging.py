"""A validated table waits on disk for the load: same rows as a read in memory, extras included."""

from __future__ import annotations

import duckdb
import pytest

from caisse.storage.store import replace_table
from pipeline import BadTableFile, contract_for, read_arrow
from pipeline.staging import stage
from tests.pipeline.test_xmlread import ARTICLE, article_rows, write


def test_a_staged_table_holds_what_a_read_gives_even_when_columns_appear_midway(tmp_path):
    later = "".join(f"<row>{ARTICLE.format(id=i, prix='1')}<couleur>bleu</couleur></row>" for i in range(6, 9))
    path = write(tmp_path, f"<t>{article_rows(*['1,5'] * 5)}{later}</t>")
    staged = stage(path, contract_for("t_article"), tmp_path / "validees")
    assert len(staged.files) >= 1 and staged.rows == 8
    assert staged.read_all().equals(read_arrow(path))
    assert [row["id_article"] for row in staged.preview] == [1, 2, 3, 4, 5]
    assert staged.columns[-1] == "couleur"


def test_staged_batches_with_different_columns_are_loaded_together(tmp_path):
    later = "".join(f"<row>{ARTICLE.format(id=i, prix='1')}<couleur>bleu</couleur></row>" for i in range(6, 9))
    path = write(tmp_path, f"<t>{article_rows(*['1,5'] * 5)}{later}</t>")
    staged = stage(path, contract_for("t_article"), tmp_path / "validees", batch_rows=2)
    assert len(staged.files) == 2  # a new Arrow stream where the extra column appears
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    con.execute(contract_for("t_article").ddl())
    assert replace_table(con, "t_article", staged) == 8
    assert con.execute("SELECT count(*), count(couleur), sum(prix_ttc) FROM t_article").fetchall() == [
        (8, 3, __import__("decimal").Decimal("10.50"))]


def test_a_refused_file_leaves_nothing_staged(tmp_path):
    path = write(tmp_path, f"<t>{article_rows('1', '2', 'douze')}</t>")
    with pytest.raises(BadTableFile, match="ligne 3"):
        stage(path, contract_for("t_article"), tmp_path / "validees")
    assert list((tmp_path / "validees").iterdir()) == []
