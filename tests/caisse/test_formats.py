"""One way to write money, dates and files for people (issue 13, point 3): the CSV French Excel opens, safe from
formulas; the drop's password never shown."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal

from caisse.common.csvfile import french_csv
from caisse.common.dates import parse_day
from caisse.common.money import eur
from caisse.services.backoffice import reconciliation, reconciliation_csv
from pipeline.drop import masked_url
from tests.caisse.helpers import close_exact, sell, users


def test_amounts_are_written_one_way():
    assert eur(Decimal("1234567.5")) == "1 234 567,50 €" and eur(Decimal("-40.6")) == "-40,60 €"


def test_the_csv_is_for_french_excel_and_never_a_formula():
    data = french_csv([{"Montant": Decimal("1234.5"), "Fermeture": datetime(2026, 12, 2, 14, 5, 9, 123456),
                        "Jour": date(2026, 12, 2), "Commentaire": '=HYPERLINK("http://x")', "Autre": "+33 6",
                        "Négatif": Decimal("-2.5"), "Vide": None, "Forcée": True}])
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["1234,50", "02/12/2026 14:05:09", "02/12/2026", "'=HYPERLINK(\"http://x\")", "'+33 6",
                       "-2,50", "", "oui"]


def test_the_reconciliation_csv_says_who_validated_the_difference_and_why(opened):
    manager, seller = users(opened)
    sell(opened, seller)
    close_exact(opened, manager)
    from caisse.rules.closing import close_day, read_summary
    from caisse.rules.opening import open_day
    open_day(opened, "C01", manager, Decimal("100"))
    close_day(opened, "C01", manager, especes=read_summary(opened, "C01").especes_theorique - Decimal("3"),
              accept_difference=True, comment="@SUM(A1)")
    days = reconciliation(opened, date(2020, 1, 1), date(2100, 1, 1))
    text = reconciliation_csv(days).decode("utf-8-sig")
    head, *lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert head[:4] == ["Caisse", "Z", "Fermeture", "Attendu"] and "Écart validé par" in head
    row = dict(zip(head, lines[0]))
    assert row["Écart"] == "-3,00" and row["Écart validé par"] == "Claire Martin" and row["Commentaire"] == "'@SUM(A1)"
    assert len(row["Fermeture"]) == 19 and row["Fermeture"][2] == "/"  # dd/mm/yyyy hh:mm:ss, no microseconds


def test_a_date_is_typed_the_french_way():
    assert parse_day("2/12/26") == date(2026, 12, 2) and parse_day("02-12-2026") == date(2026, 12, 2)


def test_the_drops_password_is_masked_in_status_and_messages(settings, monkeypatch):
    assert masked_url("sftp://caisse:s3cret@srv:2222/depot") == "sftp://caisse:***@srv:2222/depot"
    assert masked_url("file:///tmp/x") == "file:///tmp/x"
    for secret in ("pa#ss", "pa/ss", "pa?ss", "p@ss", "a:b#c/d?e"):  # urlparse ended the address early on these
        shown = masked_url(f"sftp://caisse:{secret}@srv:2222/depot")
        assert shown == "sftp://caisse:***@srv:2222/depot" and "ss" not in shown.replace("caisse", ""), shown
    assert masked_url("sftp://caisse@srv/depot@2026") == "sftp://caisse@srv/depot@2026"  # no password: as it is
    env = {"CAISSE_HOME": str(settings.home), "CAISSE_DROP": "sftp://caisse:s3cret@127.0.0.1:9/depot"}
    subprocess.run([sys.executable, "-m", "caisse", "init"], env=env, check=True, capture_output=True)
    status = subprocess.run([sys.executable, "-m", "caisse", "status"], env=env, capture_output=True, text=True)
    assert "sftp://caisse:***@127.0.0.1:9/depot" in status.stdout and "s3cret" not in status.stdout + status.stderr
    imported = subprocess.run([sys.executable, "-m", "caisse", "import", "--caisse", "C01", "--user", "x"],
                              env={**env, "CAISSE_PASSWORD": "x"}, capture_output=True, text=True)
    assert "s3cret" not in imported.stdout + imported.stderr
    kept = [f for f in settings.home.rglob("*") if f.is_file() and b"s3cret" in f.read_bytes()]
    assert kept == []  # nor in the store, the journal or the exchange logs
