from __future__ import annotations

import pytest

from pipeline import DropUnavailable, PipelineError, open_drop


def test_the_local_drop_lists_fetches_puts_and_removes(tmp_path):
    root = tmp_path / "serveur"
    (root / "export").mkdir(parents=True)
    (root / "t_caisse.xml").write_text("<t_caisse/>")
    (root / "notes.txt").write_text("ignored")
    drop = open_drop(root.as_uri())
    assert drop.list("") == ["t_caisse.xml"]
    drop.fetch("", "t_caisse.xml", tmp_path / "copie.xml")
    assert (tmp_path / "copie.xml").read_text() == "<t_caisse/>"
    drop.put(tmp_path / "copie.xml", "export/C01/lot1", "t_ticket.xml")
    assert sorted(p.name for p in (root / "export/C01/lot1").iterdir()) == ["t_ticket.xml"]
    drop.remove("", "t_caisse.xml")
    assert drop.list("") == []


@pytest.mark.parametrize("name", ["../etc/passwd", ".cache.xml", "a/b.xml", "t x.xml"])
def test_names_that_could_leave_the_folder_are_refused(tmp_path, name):
    drop = open_drop(tmp_path.as_uri())
    with pytest.raises(PipelineError, match="refusé"):
        drop.fetch("", name, tmp_path / "x")


def test_a_folder_climbing_out_of_the_drop_is_refused(tmp_path):
    with pytest.raises(PipelineError, match="Dossier refusé"):
        open_drop(tmp_path.as_uri()).list("../..")


def test_a_missing_drop_folder_is_unavailable(tmp_path):
    with pytest.raises(DropUnavailable, match="n'existe pas"):
        open_drop((tmp_path / "absent").as_uri())


@pytest.mark.parametrize("actual, words", [(b"x" * 150, "plus de 100 reçus"), (b"x" * 60, "60 reçus")])
def test_a_file_whose_size_changed_since_the_listing_is_not_taken(actual, words):
    """What a drop copies is the size it announced: a file still growing stops one byte past it, a file cut short
    is refused too (both drops copy through copy_announced)."""
    import io

    from pipeline.drop import SizeChanged, copy_announced
    target = io.BytesIO()
    with pytest.raises(SizeChanged, match=f"100 octets annoncés, {words}"):
        copy_announced(io.BytesIO(actual), target, 100, "t_article.xml", chunk=32)
    assert len(target.getvalue()) <= 101


def test_an_unchanged_file_is_copied_whole():
    import io

    from pipeline.drop import copy_announced
    target = io.BytesIO()
    copy_announced(io.BytesIO(b"<t/>" * 1000), target, 4000, "t.xml", chunk=999)
    assert target.getvalue() == b"<t/>" * 1000
