from __future__ import annotations

from pipeline import read_manifest, read_table
from pipeline.demo import DEMO_USERS, RIGHTS, write_demo_shop
from pipeline.manifest import check_files
from pipeline.passwords import check_hash


def test_the_demo_shop_is_deterministic(tmp_path):
    write_demo_shop(tmp_path / "a")
    write_demo_shop(tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_every_demo_file_is_valid_and_matches_its_manifest(tmp_path):
    manifest = write_demo_shop(tmp_path)
    assert read_manifest(tmp_path / "infos_import.xml") == manifest
    check_files(manifest, tmp_path)
    frames = {f.nom: read_table(tmp_path / f.nom) for f in manifest.fichiers}
    assert {n: len(f) for n, f in frames.items()} == {f.nom: f.lignes for f in manifest.fichiers}
    assert list(frames["t_caisse.xml"].code) == ["C01", "C02"]
    assert 1900 <= len(frames["t_article.xml"]) <= 2100
    assert set(frames["tr_moyen_paiement.xml"].code) == {"ESP", "CB", "CHQ", "AVOIR", "CHQCAD"}
    assert set(frames["tr_fonctionnalite.xml"].code) == {code for code, _ in RIGHTS}


def test_demo_passwords_match_their_hashes(tmp_path):
    write_demo_shop(tmp_path)
    users = read_table(tmp_path / "t_utilisateur.xml").set_index("login")
    for user in DEMO_USERS:
        assert check_hash(user.password, users.mot_de_passe[user.login])
        assert not check_hash(user.password + "x", users.mot_de_passe[user.login])


def test_the_demo_uses_the_liberal_styles(tmp_path):
    write_demo_shop(tmp_path)
    assert (tmp_path / "t_article.xml").read_bytes().startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert b"\x80" in (tmp_path / "t_cheque_cadeau.xml").read_bytes()  # the euro sign in Windows-1252
    avoirs = (tmp_path / "t_avoir.xml").read_text(encoding="utf-8")
    assert 'date_validite="31/12/2027"' in avoirs and 'montant="10,00"' in avoirs
