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
