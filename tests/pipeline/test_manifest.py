from __future__ import annotations

import pytest

from pipeline import FileEntry, Manifest, ManifestMismatch, read_manifest, write_manifest
from pipeline.manifest import check_files, check_rows, sha256_file


def test_a_written_manifest_reads_back_the_same(tmp_path):
    m = Manifest(lot="C01-Z000001-Z000002", date_creation="2026-11-23T20:00:00", serveur="caisse-lyon",
                 caisse="C01", fichiers=[FileEntry("t_ticket.xml", 12, "ab" * 32)],
                 journees=[("J1", 1), ("J2", 2)], empreinte="cd" * 32)
    write_manifest(m, tmp_path / "infos_export.xml")
    assert read_manifest(tmp_path / "infos_export.xml") == m


def test_a_manifest_with_attributes_on_its_root_is_read(tmp_path):
    (tmp_path / "infos_import.xml").write_text(
        '<infos_import lot="L1" serveur="srv"><fichier><nom>t_caisse.xml</nom><lignes>2</lignes></fichier>'
        "</infos_import>")
    m = read_manifest(tmp_path / "infos_import.xml")
    assert (m.lot, m.serveur, m.fichiers) == ("L1", "srv", [FileEntry("t_caisse.xml", 2, "")])


def test_checks_refuse_a_missing_file_a_wrong_checksum_and_a_wrong_row_count(tmp_path):
    (tmp_path / "t_caisse.xml").write_text("<t_caisse/>")
    good = FileEntry("t_caisse.xml", 0, sha256_file(tmp_path / "t_caisse.xml"))
    check_files(Manifest("L", fichiers=[good]), tmp_path)
    with pytest.raises(ManifestMismatch, match="absent"):
        check_files(Manifest("L", fichiers=[FileEntry("t_article.xml", 1, "")]), tmp_path)
    with pytest.raises(ManifestMismatch, match="sha256"):
        check_files(Manifest("L", fichiers=[FileEntry("t_caisse.xml", 0, "00" * 32)]), tmp_path)
    with pytest.raises(ManifestMismatch, match="3 lignes lues pour 0"):
        check_rows(Manifest("L", fichiers=[good]), {"t_caisse.xml": 3})
