"""Closings by period (FISCAL.md R12-R14): months and years made by the day's closing, from their signed days,
with perpetual totals that add up; the business day (`debut_journee`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from caisse.common.dates import Calendar
from caisse.common.errors import CaisseError
from caisse.fiscal.periods import MONTH, YEAR, period_report
from caisse.rules.closing import close_day, read_summary
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest
from caisse.rules.sales import LineRequest, connect_seller, disconnect_seller, ring_ticket
from caisse.storage.store import Store
from tests.caisse.helpers import breaks

D = Decimal


def day_at(store, manager, seller, opened: datetime, tickets: int = 2, hours: int = 9, caisse: str = "C01"):
    """A whole day that opens at `opened`: tickets rung during it, closed `hours` later with the exact cash."""
    open_day(store, caisse, manager, D("150.00"), now=opened)
    connection = connect_seller(store, caisse, seller, now=opened + timedelta(minutes=1))
    for n in range(tickets):
        ring_ticket(store, caisse, seller, [LineRequest("ART00001", D(str(n % 3 + 1)))],
                    [PaymentRequest("ESP", D("100.00"))], now=opened + timedelta(minutes=2 + n))
    disconnect_seller(store, connection, now=opened + timedelta(minutes=3 + tickets))
    return close_day(store, caisse, manager, especes=read_summary(store, caisse).especes_theorique,
                     now=opened + timedelta(hours=hours))


def periods_of(store, caisse="C01"):
    with store.connect() as con:
        return con.execute("SELECT type, periode, numero, nb_journees, nb_tickets, total_ttc, grand_total, "
                           "grand_total_absolu FROM cloture_periode ORDER BY date_cloture, type DESC").fetchall()


def test_r12_first_closing_of_a_month_closes_the_month_before(store, manager, seller):
    nov = [day_at(store, manager, seller, datetime(2027, 1, d, 9)) for d in (4, 5, 29)]
    assert all(not c.periodes for c in nov) and periods_of(store) == []
    first_feb = day_at(store, manager, seller, datetime(2027, 2, 1, 9))
    assert first_feb.periodes == [(MONTH, "2027-01", 1)]
    day_at(store, manager, seller, datetime(2027, 2, 2, 9))
    march = day_at(store, manager, seller, datetime(2027, 3, 1, 9))
    assert march.periodes == [(MONTH, "2027-02", 2)]
    rows = periods_of(store)
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [(MONTH, "2027-01", 3, 6), (MONTH, "2027-02", 2, 4)]
    assert breaks(store) == []


def test_r13_perpetual_totals_add_up_across_months(store, manager, seller):
    for when in (datetime(2027, 1, 4, 9), datetime(2027, 1, 5, 9), datetime(2027, 2, 1, 9),
                 datetime(2027, 2, 2, 9), datetime(2027, 3, 1, 9)):
        day_at(store, manager, seller, when, tickets=3)
    jan, feb = periods_of(store)
    with store.connect() as con:
        days = con.execute("SELECT total_ttc, grand_total FROM t_journee ORDER BY numero_z").fetchall()
    assert jan[5] == days[0][0] + days[1][0] and jan[6] == days[1][1]
    assert feb[6] == jan[6] + feb[5] == days[3][1]  # the perpetual total after February is January's plus February
    assert jan[7] >= jan[6]  # absolute grand total: voids would add, here equal


def refund_day(store, manager, seller, opened: datetime, numero: int):
    """A day whose only ticket is the cash refund of the whole ticket n°`numero` (a net-negative day)."""
    from caisse.rules.returns import return_goods
    open_day(store, "C01", manager, D("150.00"), now=opened)
    connection = connect_seller(store, "C01", seller, now=opened + timedelta(minutes=1))
    with store.connect() as con:
        lines = {n: q for n, q in con.execute("SELECT l.num_ligne, l.quantite FROM t_ligne_ticket l JOIN t_ticket t "
                                              "USING (id_ticket) WHERE t.numero = ?", [numero]).fetchall()}
    return_goods(store, "C01", seller, refund="ESP", reason="Taille", sale=str(numero), quantities=lines,
                 now=opened + timedelta(minutes=2))
    disconnect_seller(store, connection, now=opened + timedelta(minutes=3))
    return close_day(store, "C01", manager, especes=read_summary(store, "C01").especes_theorique,
                     now=opened + timedelta(hours=9))


def test_r13_grand_totals_chain_from_the_last_z_through_a_day_of_refunds(store, manager, seller):
    day_at(store, manager, seller, datetime(2027, 1, 4, 9), tickets=1)  # one sale
    refund_day(store, manager, seller, datetime(2027, 1, 5, 9), numero=1)  # its cash refund: the day is negative
    day_at(store, manager, seller, datetime(2027, 1, 6, 9), tickets=1)  # the same sale again
    with store.connect() as con:
        days = con.execute("SELECT total_ttc, grand_total, grand_total_absolu FROM t_journee ORDER BY numero_z")\
            .fetchall()
    sale = days[0][0]
    assert days[1][0] == -sale
    assert [d[1] for d in days] == [sale, 0, sale]  # perpetual: 21,40, then 0,00, then 21,40 (never 42,80)
    assert [d[2] for d in days] == [sale, 2 * sale, 3 * sale]  # absolute: every amount adds, whatever its sign
    february = day_at(store, manager, seller, datetime(2027, 2, 1, 9), tickets=1)  # the next month's first closing
    assert february.periodes == [(MONTH, "2027-01", 1)] and february.en_attente == []
    (kind, period, numero, nb_days, nb, total, grand, absolute), = [r for r in periods_of(store) if r[1] == "2027-01"]
    assert (nb_days, total, grand, absolute) == (3, sale, sale, 3 * sale)
    day_at(store, manager, seller, datetime(2027, 2, 2, 9), tickets=1)  # and every later closing goes through
    assert breaks(store) == []


def test_r14_a_month_that_does_not_add_up_waits_and_the_day_still_closes(store, manager, seller, imported, capsys):
    from caisse.cli.main import main
    day_at(store, manager, seller, datetime(2027, 1, 4, 9))
    with store.transaction() as con:  # behind the program's back: a ticket's amount lowered
        con.execute("UPDATE t_ticket SET total_ttc = total_ttc - 1 WHERE numero = 1")
    closed = day_at(store, manager, seller, datetime(2027, 2, 1, 9))
    assert closed.numero_z == 2 and closed.periodes == []
    assert len(closed.en_attente) == 1 and "2027-01 attend" in closed.en_attente[0] and "Z n°1" in closed.en_attente[0]
    assert periods_of(store) == []
    again = day_at(store, manager, seller, datetime(2027, 2, 2, 9))  # the register keeps closing, the month waits
    assert again.numero_z == 3 and again.en_attente == closed.en_attente
    with store.connect() as con:  # the wait is an event, recorded once
        assert con.execute("SELECT count(*) FROM jet WHERE code = 57").fetchall()[0][0] == 1
    capsys.readouterr()
    assert main(["status"]) == 0
    assert "2027-01 attend" in capsys.readouterr().out
    assert main(["status", "--json"]) == 0
    assert "2027-01 attend" in json.loads(capsys.readouterr().out)["caisses"][0]["periodes_en_attente"][0]


def test_r12_year_closing_at_the_first_closing_of_the_next_fiscal_year(store, manager, seller):
    for when in (datetime(2027, 11, 2, 9), datetime(2027, 12, 1, 9), datetime(2028, 1, 3, 9)):
        closed = day_at(store, manager, seller, when)
    assert closed.periodes == [(MONTH, "2027-12", 2), (YEAR, "2027", 1)]
    rows = periods_of(store)
    year = next(r for r in rows if r[0] == YEAR)
    months = [r for r in rows if r[0] == MONTH]
    assert year[4] == sum(m[4] for m in months) and year[5] == sum(m[5] for m in months) and year[6] == months[-1][6]
    with store.connect() as con:
        report = period_report(con, "C01", YEAR, "2027")
    assert report.nb_journees == 2 and report.premier_z == 1 and report.dernier_z == 2


def test_business_day_counts_a_night_for_its_evening():
    bar = Calendar(time(4, 0))
    assert bar.business_date(datetime(2027, 2, 1, 3, 30)).isoformat() == "2027-01-31"
    assert bar.business_date(datetime(2027, 2, 1, 4, 0)).isoformat() == "2027-02-01"
    assert Calendar(debut_exercice=7).fiscal_year("2027-06") == "2026"
    assert Calendar(debut_exercice=7).year_months("2026") == ("2026-07", "2027-06")


# Archives (R21-R24) and the standalone verifier.

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from caisse.fiscal.archive import ArchiveRefused, public_key_hex  # noqa: E402
from caisse.services.workflow import archive_period, finish_day  # noqa: E402

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verifier_archive.py"


def verifier(*args) -> subprocess.CompletedProcess:
    """The standalone script, run as someone would run it: a bare interpreter, no project on the path."""
    return subprocess.run([sys.executable, "-I", str(VERIFIER), *map(str, args)], capture_output=True, text=True,
                          cwd="/")


def two_months(store, manager, seller):
    for when in (datetime(2027, 1, 4, 9), datetime(2027, 1, 5, 9), datetime(2027, 2, 1, 9), datetime(2027, 2, 2, 9),
                 datetime(2027, 3, 1, 9)):
        day_at(store, manager, seller, when, tickets=3)


def test_r21_monthly_archive_is_made_after_the_closing_and_verifies_standalone(settings, store, manager, seller):
    day_at(store, manager, seller, datetime(2027, 1, 4, 9))
    open_day(store, "C01", manager, D("150.00"), now=datetime(2027, 2, 1, 9))
    end = finish_day(store, settings, "C01", manager, especes=read_summary(store, "C01").especes_theorique)
    assert end.closed.periodes == [(MONTH, "2027-01", 1)] and not end.warnings
    archive = settings.home / "archives" / "C01" / "C01-2027-01.xml"
    with store.connect() as con:
        key = public_key_hex(con)
    done = verifier(archive, "--cle-publique", key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Intacte" in done.stdout and "la chaîne des tickets, n°1 à n°2" in done.stdout
    month = (settings.home / "tickets").glob("*/C01-M2027-01.txt")
    text = next(month).read_text(encoding="utf-8")
    assert "CLÔTURE MENSUELLE n°1" in text and key[:32] in text and "noyau fiscal" in text
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM jet WHERE code = 20").fetchall()[0][0] == 1
        assert con.execute("SELECT count(*) FROM maillon WHERE chaine = 'archive'").fetchall()[0][0] == 1
    assert breaks(store) == []


def test_r22_archives_of_two_months_verify_in_sequence_and_again_give_the_same_bytes(settings, store, manager,
                                                                                     seller):
    two_months(store, manager, seller)
    paths = [archive_period(store, settings, "C01", period, manager).path for period in ("2027-01", "2027-02")]
    done = verifier(*paths)
    assert done.returncode == 0, done.stdout
    first = paths[0].read_bytes()
    paths[0].unlink()
    again = archive_period(store, settings, "C01", "2027-01", manager)
    assert again.path.read_bytes() == first and not again.made  # made again: the same bytes, no new record
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM archive").fetchall()[0][0] == 2
    with pytest.raises(ArchiveRefused, match="pas encore clôturé"):
        archive_period(store, settings, "C01", "2027-03", manager)


def test_r22_altered_truncated_and_resigned_archives_fail_the_standalone_verifier(settings, store, manager, seller,
                                                                                 tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from caisse.fiscal.archive import statement
    two_months(store, manager, seller)
    made = archive_period(store, settings, "C01", "2027-01", manager)
    original = made.path.read_bytes()
    with store.connect() as con:
        key = public_key_hex(con)

    def broken(content: bytes, resign: bool = False) -> str:
        folder = tmp_path / f"try{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        path = folder / made.path.name
        path.write_bytes(content)
        (folder / "archive.xsd").write_bytes((made.path.parent.parent / "archive.xsd").read_bytes())
        sig = json.loads(made.signature_path.read_text())
        if resign:  # someone alters it and signs it again with a key of their own
            import hashlib
            other = Ed25519PrivateKey.generate()
            sig.update(taille=len(content), sha256=hashlib.sha256(content).hexdigest(),
                       cle_publique=other.public_key().public_bytes_raw().hex())
            sig["signature"] = other.sign(statement(path.name, len(content), sig["sha256"])).hex()
        (folder / (path.name + ".sig")).write_text(json.dumps(sig))
        done = verifier(path, "--cle-publique", key) if resign != "nokey" else verifier(path)
        assert done.returncode == 1, done.stdout
        return done.stdout

    altered = original.replace(b'montant_ttc="', b'montant_ttc="1', 1)
    assert "modifié ou tronqué" in broken(altered)
    assert "modifié ou tronqué" in broken(original[: len(original) // 2])
    assert "signée à nouveau" in broken(altered, resign=True)
    out = broken(altered, resign="nokey")  # without the printed key, the totals still catch the change
    assert "ticket n°1" in out or "Z n°1" in out
    cut = broken(original[: len(original) // 2], resign="nokey")  # signed again: the reading itself fails
    assert "illisible ou tronqué (ligne " in cut, cut
    (tmp_path / "seule.xml").write_bytes(original)  # an archive copied without its signature
    done = verifier(tmp_path / "seule.xml")
    assert done.returncode == 1 and "la signature seule.xml.sig est absente" in done.stdout, done.stdout
    for english in ("Errno", "No such file", "no element found", "unclosed token", "mismatched"):
        assert english not in cut + done.stdout


def test_r24_purge_only_after_a_verified_archive_and_its_second_copy_keeps_closings_totals_and_chains(
        settings, store, manager, seller, tmp_path):
    from caisse.fiscal.archive import copy_archive
    from caisse.services.archives import purge_months as purge
    two_months(store, manager, seller)
    with pytest.raises(CaisseError, match="seconde copie hors du dossier de données"):
        purge(store, settings.home, "2027-02", manager)  # no second place set: after a purge the archive is all
    with pytest.raises(CaisseError, match="est dans le dossier de données"):
        purge(store, settings.home, "2027-02", manager, copy=settings.home / "copie")
    usb = tmp_path / "cle-usb"
    with pytest.raises(CaisseError, match="2027-01 de la caisse C01 n'a pas d'archive"):
        purge(store, settings.home, "2027-02", manager, copy=usb)
    made = archive_period(store, settings, "C01", "2027-01", manager)
    with pytest.raises(CaisseError, match="seconde copie de l'archive C01-2027-01.xml manque"):
        purge(store, settings.home, "2027-02", manager, copy=usb)
    copied = copy_archive(made, settings.home, usb)
    with store.connect() as con:
        before = con.execute("SELECT numero_z, total_ttc, grand_total FROM t_journee ORDER BY numero_z").fetchall()
    altered = made.path.read_bytes()
    for path in (made.path, copied):  # the archive, then its copy, altered: each refuses the purge
        path.write_bytes(altered.replace(b'total_ttc="', b'total_ttc="9', 1))
        with pytest.raises(CaisseError, match="n'est plus celle que la base a enregistrée"):
            purge(store, settings.home, "2027-02", manager, copy=usb)
        path.write_bytes(altered)
    done = purge(store, settings.home, "2027-02", manager, copy=usb)
    assert [(p.caisse, p.periode, p.tickets) for p in done] == [("C01", "2027-01", 6)]
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM t_ticket t JOIN journee_periode p USING (id_journee) WHERE "
                           "p.date_comptable < DATE '2027-02-01'").fetchall()[0][0] == 0
        assert con.execute("SELECT numero_z, total_ttc, grand_total FROM t_journee ORDER BY numero_z").fetchall() \
            == before  # closings and perpetual totals stay online
        assert con.execute("SELECT count(*) FROM jet WHERE code = 215").fetchall()[0][0] == 1
    assert breaks(store) == []  # the chains follow on over what was purged on purpose
    assert verifier(made.path).returncode == 0  # the archive is now the only copy, and intact
    with store.transaction() as con:  # a ticket of a month not purged, removed behind the program's back
        con.execute("DELETE FROM t_reglement WHERE id_ticket = (SELECT id_ticket FROM t_ticket ORDER BY numero "
                    "LIMIT 1)")
        con.execute("DELETE FROM t_ligne_ticket WHERE id_ticket = (SELECT id_ticket FROM t_ticket ORDER BY numero "
                    "LIMIT 1)")
        con.execute("DELETE FROM t_ticket WHERE numero = (SELECT min(numero) FROM t_ticket)")
    assert any("supprimé de la base" in b for b in breaks(store))
    with pytest.raises(ArchiveRefused, match="purgée"):
        made.path.unlink()
        archive_period(store, settings, "C01", "2027-01", manager)


def test_r28_the_fiscal_core_version_is_on_archives_and_period_closings(settings, store, manager, seller):
    from caisse.fiscal.version import FISCAL_VERSION
    from caisse.services.workflow import period_document
    two_months(store, manager, seller)
    made = archive_period(store, settings, "C01", "2027-01", manager)
    head = made.path.read_text(encoding="utf-8")[:400]
    assert f'noyau="{FISCAL_VERSION}"' in head and 'logiciel="Caisse web"' in head
    lines = period_document(store, settings, "C01", MONTH, "2027-01").lines
    assert lines[-1].endswith(f"noyau fiscal {FISCAL_VERSION}") and "Empreinte de la clôture" in lines


def test_r22_the_shipped_schema_is_a_real_xsd_that_archives_follow(settings, store, manager, seller):
    from lxml import etree

    from caisse.fiscal.archive import SCHEMA
    two_months(store, manager, seller)
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    for period in ("2027-01", "2027-02"):
        made = archive_period(store, settings, "C01", period, manager)
        assert schema.validate(etree.parse(str(made.path))), schema.error_log
        assert (made.path.parent.parent / "archive.xsd").read_bytes() == SCHEMA.read_bytes()


def test_cli_report_month_archive_verify_archive_and_purge(settings, store, manager, seller):
    from tests.caisse.test_cli import caisse
    from tests.conftest import MANAGER
    two_months(store, manager, seller)
    store.release()
    env = {"CAISSE_HOME": str(settings.home), "CAISSE_ARCHIVE_COPY": str(settings.home.parent / "copie")}
    month = caisse("report", "month", "--caisse", "C01", "--periode", "2027-01", env=env)
    assert month.returncode == 0 and "CLÔTURE MENSUELLE n°1" in month.stdout and "Clé publique" in month.stdout
    missing = caisse("report", "year", "--caisse", "C01", "--periode", "2027", env=env)
    assert missing.returncode == 1 and "première fermeture de journée" in missing.stderr
    bad = caisse("report", "month", "--caisse", "C01", "--periode", "2027-13", env=env)
    assert bad.returncode == 2 and "AAAA-MM" in bad.stderr
    made = caisse("archive", "--caisse", "C01", "--periode", "2027-02", "--user", MANAGER.login,
                  password=MANAGER.password, env=env)
    assert made.returncode == 0 and "écrite" in made.stdout, made.stderr
    path = settings.home / "archives" / "C01" / "C01-2027-02.xml"
    checked = caisse("verify-archive", str(path), env=env)
    assert checked.returncode == 0 and "Intacte" in checked.stdout and "même SHA-256" in checked.stdout
    refused = caisse("purge", "--avant", "2027-03", "--user", MANAGER.login, password=MANAGER.password, env=env)
    assert refused.returncode == 1 and "2027-01" in refused.stderr and "rien n'a été supprimé" in refused.stderr
    path.write_bytes(path.read_bytes().replace(b"<tickets>", b"<tickets>\n", 1))
    broken = caisse("verify-archive", str(path), env=env)
    assert broken.returncode == 1 and "ROMPUE" in broken.stdout


PERIOD_TAMPERING = {
    "monthly total raised": ("UPDATE cloture_periode SET total_ttc = total_ttc + 1 WHERE periode = '2027-01'",
                             "la chaîne des clôtures, clôture n°3 : son contenu a été modifié"),
    "day moved to another month": ("UPDATE journee_periode SET date_comptable = DATE '2027-02-03' WHERE "
                                   "date_comptable = DATE '2027-01-05'",
                                   "la chaîne des clôtures, clôture n°2 : son contenu a été modifié"),
    "archive record changed": ("UPDATE archive SET sha256 = repeat('0', 64)",
                               "la chaîne des archives, archive n°1 : son contenu a été modifié"),
    "monthly closing deleted": ("DELETE FROM cloture_periode WHERE periode = '2027-01'",
                                "clôture n°3 : l'enregistrement a été supprimé"),
    "a purge faked to hide a deleted ticket": (
        "INSERT INTO purge_journee SELECT t.id_journee, t.id_caisse, 3, 3, m.empreinte, 1, 'X1-2027-01', now() FROM "
        "t_ticket t JOIN maillon m ON m.ref = t.id_ticket WHERE t.numero = 3; DELETE FROM t_reglement WHERE id_ticket "
        "= (SELECT id_ticket FROM t_ticket WHERE numero = 1); DELETE FROM t_ligne_ticket WHERE id_ticket = (SELECT "
        "id_ticket FROM t_ticket WHERE numero = 1); DELETE FROM t_ticket WHERE numero = 1",
        "ticket n°1 : l'enregistrement a été supprimé"),
}


@pytest.mark.parametrize("change", PERIOD_TAMPERING)
def test_r07_verify_sees_every_change_to_periods_and_archives(settings, store, manager, seller, change):
    two_months(store, manager, seller)
    archive_period(store, settings, "C01", "2027-01", manager)
    assert breaks(store) == []
    sql, expected = PERIOD_TAMPERING[change]
    with store.transaction() as con:
        for statement in sql.split("; "):
            con.execute(statement)
    found = breaks(store)
    assert any(expected in b for b in found), found


def test_r12_a_year_archive_verifies_standalone(settings, store, manager, seller):
    for when in (datetime(2027, 11, 2, 9), datetime(2027, 12, 1, 9), datetime(2028, 1, 3, 9)):
        day_at(store, manager, seller, when)
    year = archive_period(store, settings, "C01", "2027", manager)
    done = verifier(year.path)
    assert done.returncode == 0, done.stdout
    assert "clôture annuelle 2027 est la somme de ses mois" in done.stdout


def test_business_day_a_night_counts_for_its_evening_and_closes_no_month(settings, monkeypatch, manager, seller,
                                                                         store):
    bar = Store(store.path, key_path=store.key_path, calendar=Calendar(time(4, 0)))
    first = day_at(bar, manager, seller, datetime(2027, 1, 31, 18), hours=9)  # closed 1 Feb 03:00
    assert first.periodes == []
    with bar.connect() as con:
        assert con.execute("SELECT date_comptable FROM journee_periode").fetchall()[0][0].isoformat() == "2027-01-31"
    second = day_at(bar, manager, seller, datetime(2027, 2, 1, 18), hours=9)
    assert second.periodes == [(MONTH, "2027-01", 1)]
    monkeypatch.setenv("CAISSE_DEBUT_JOURNEE", "25:00")
    from caisse.common.config import load_settings
    from caisse.common.errors import ConfigError
    with pytest.raises(ConfigError, match="HH:MM"):
        load_settings()
    monkeypatch.setenv("CAISSE_DEBUT_JOURNEE", "04:00")
    monkeypatch.setenv("CAISSE_DEBUT_EXERCICE", "13")
    with pytest.raises(ConfigError, match="de 1 \\(janvier\\) à 12"):
        load_settings()


def test_r21_a_month_closed_by_a_closing_cut_short_is_archived_and_printed_at_the_next_start(settings, store,
                                                                                              manager, seller):
    from caisse.services.workflow import start
    two_months(store, manager, seller)  # closings only: as if each process had stopped right after its commit
    assert not (settings.home / "archives" / "C01" / "C01-2027-01.xml").exists()
    assert start(store, settings) == []
    for period in ("2027-01", "2027-02"):
        assert verifier(settings.home / "archives" / "C01" / f"C01-{period}.xml").returncode == 0
        assert len(list((settings.home / "tickets").glob(f"*/C01-M{period}.txt"))) == 1
    start(store, settings)  # once only: a later start prints nothing more
    assert len(list((settings.home / "tickets").glob("*/C01-M2027-01*.txt"))) == 1


def test_r22_an_archive_made_again_after_an_upgrade_keeps_its_bytes(settings, store, manager, seller, monkeypatch):
    import caisse.common.version
    two_months(store, manager, seller)
    first = archive_period(store, settings, "C01", "2027-01", manager)
    original = first.path.read_bytes()
    first.path.unlink()
    monkeypatch.setattr(caisse.common.version, "VERSION", "9.9.9")  # the software was upgraded since
    again = archive_period(store, settings, "C01", "2027-01", manager)
    assert again.path.read_bytes() == original
