"""Drops written by the programs a XAMPP-era main server runs (issue 11, point 6): the demo shop is put into
a real MariaDB, written out by `mysqldump --xml`, `mysql --xml`, PHP (a latin1 hand-built script and
DOMDocument), pandas `to_xml` and .NET's `DataSet.WriteXml` (Mono), and each drop imports with exactly the
values of the demo. An exported lot is loaded back into MariaDB with `LOAD XML` and compared value by value."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from caisse.common.config import load_settings
from caisse.rules.closing import close_day
from caisse.rules.corrections import cash_move
from caisse.rules.opening import open_day
from caisse.services.export import run_export
from caisse.services.home import initialise, open_store
from caisse.services.open_register import open_day_auto
from caisse.services.sync import run_import
from pipeline import CONTRACTS, EXPORT_TABLES, read_arrow, write_table
from pipeline.demo import write_demo_shop
from tests.caisse.helpers import sell, users
from tests.conftest import MANAGER
from tests.mariadb import DATABASE, MariaDb

WRITERS = Path(__file__).resolve().parents[1] / "writers"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MARIADB_TYPES = {"INT": "BIGINT", "DEC": "DECIMAL(18,2)", "QTY": "DECIMAL(18,3)", "TXT": "VARCHAR(255)",
                 "DATE": "DATE", "TS": "DATETIME(6)", "BOOL": "TINYINT(1)"}


@pytest.fixture(scope="module")
def mariadb():
    server = MariaDb()
    yield server
    server.close()


def home(tmp_path: Path, name: str, monkeypatch):
    """A fresh CAISSE_HOME with its own local drop, made empty."""
    monkeypatch.setenv("CAISSE_HOME", str(tmp_path / name))
    settings = load_settings()
    initialise(settings)
    settings.local_drop_dir.mkdir(parents=True, exist_ok=True)
    return settings


def contents(settings, tables) -> dict[str, list[dict]]:
    """Every row of the tables, as dicts, in key order: what "the same values" means."""
    out = {}
    with open_store(settings).connect() as con:
        for table in tables:
            key = ", ".join(CONTRACTS[table].primary_key)
            cursor = con.execute(f"SELECT * FROM {table} ORDER BY {key}")
            names = [d[0] for d in cursor.description]
            out[table] = [dict(zip(names, row)) for row in cursor.fetchall()]
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory, mariadb):
    """The demo shop imported from its own drop, and the same tables put into MariaDB (through our export
    format and LOAD XML); {table: extra columns}."""
    base = tmp_path_factory.mktemp("reference")
    os.environ["CAISSE_HOME"] = str(base / "home")
    try:
        settings = load_settings()
        initialise(settings, demo=True)
        run_import(open_store(settings), settings, "C01", MANAGER.login, MANAGER.password)
    finally:
        del os.environ["CAISSE_HOME"]
    tables = [f.stem for f in sorted((base / "home" / "echanges" / "recu").glob("*/*.xml"))
              if f.stem in CONTRACTS]
    extras = {}
    with open_store(settings).connect() as con:
        for table in tables:
            data = con.sql(f"SELECT * FROM {table}").to_arrow_table()
            extras[table] = [n for n in data.schema.names if n not in CONTRACTS[table].by_name]
            path = base / f"{table}.xml"
            write_table(data, path, table)
            columns = [f"`{c.name}` {MARIADB_TYPES[c.type]}" for c in CONTRACTS[table].columns]
            columns += [f"`{name}` VARCHAR(255)" for name in extras[table]]
            key = ", ".join(f"`{k}`" for k in CONTRACTS[table].primary_key)
            mariadb.sql(f"CREATE TABLE `{table}` ({', '.join(columns)}, PRIMARY KEY ({key})) CHARACTER SET utf8mb4;"
                        f"LOAD XML LOCAL INFILE '{path}' INTO TABLE `{table}` CHARACTER SET utf8mb4 "
                        "ROWS IDENTIFIED BY '<row>';")
    return settings, tables, extras


def import_and_compare(settings, reference_settings, tables):
    run_import(open_store(settings), settings, "C01", MANAGER.login, MANAGER.password)
    assert contents(settings, tables) == contents(reference_settings, tables)


def test_a_whole_database_dumped_by_mysqldump_xml_in_one_file(tmp_path, monkeypatch, mariadb, reference):
    ref, tables, _ = reference
    settings = home(tmp_path, "dump", monkeypatch)
    (settings.local_drop_dir / "gespx.xml").write_bytes(mariadb.dump_xml())
    import_and_compare(settings, ref, tables)


def test_one_mysqldump_xml_file_per_table(tmp_path, monkeypatch, mariadb, reference):
    ref, tables, _ = reference
    settings = home(tmp_path, "dumps", monkeypatch)
    for table in tables:
        (settings.local_drop_dir / f"{table}.xml").write_bytes(mariadb.dump_xml(table))
    import_and_compare(settings, ref, tables)


def test_one_mysql_xml_query_per_table(tmp_path, monkeypatch, mariadb, reference):
    ref, tables, _ = reference
    settings = home(tmp_path, "queries", monkeypatch)
    for table in tables:
        (settings.local_drop_dir / f"{table}.xml").write_bytes(mariadb.query_xml(f"SELECT * FROM {table}"))
    import_and_compare(settings, ref, tables)


@pytest.mark.parametrize("script", ["php_latin1.php", "php_dom.php"])
def test_php_writers(tmp_path, monkeypatch, mariadb, reference, script):
    ref, tables, _ = reference
    settings = home(tmp_path, script, monkeypatch)
    for table in tables:
        subprocess.run(["php", str(WRITERS / script), str(mariadb.socket), DATABASE, table,
                        str(settings.local_drop_dir / f"{table}.xml")], check=True)
    if script == "php_latin1.php":  # the Windows-1252 bytes under an ISO-8859-1 declaration, and padded values
        data = (settings.local_drop_dir / "t_article.xml").read_bytes()
        assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>') and b"\r\n      ART00001\r\n" in data
        assert "cadeau 30 €".encode("cp1252") in (settings.local_drop_dir / "t_cheque_cadeau.xml").read_bytes()
    import_and_compare(settings, ref, tables)


def test_pandas_to_xml_as_a_script_of_the_main_server_writes_it(tmp_path, monkeypatch, reference):
    """Frames as pandas gets them from SQL: NULL integers make float columns (`12.0`), money is float."""
    ref, tables, _ = reference
    settings = home(tmp_path, "pandas", monkeypatch)
    with open_store(ref).connect() as con:
        for table in tables:
            frame = con.execute(f"SELECT * FROM {table}").df()
            frame.to_xml(settings.local_drop_dir / f"{table}.xml", index=False, root_name=table, row_name="row",
                         parser="lxml")
    text = (settings.local_drop_dir / "t_famille_art.xml").read_text(encoding="utf-8")
    assert "<id_parent/>" in text
    text = (settings.local_drop_dir / "t_avoir.xml").read_text(encoding="utf-8")
    assert "<id_tiers>101.0</id_tiers>" in text or "<id_tiers>101</id_tiers>" in text
    import_and_compare(settings, ref, tables)


@pytest.fixture(scope="module")
def dataset_writer(tmp_path_factory):
    exe = tmp_path_factory.mktemp("mono") / "dataset.exe"
    subprocess.run(["mcs", "-r:System.Data.dll", "-r:System.Xml.dll", str(WRITERS / "dataset.cs"), f"-out:{exe}"],
                   check=True, capture_output=True)
    return exe


def _tsv(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_dataset(exe: Path, path: Path, table: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
    lines = [table, "\t".join(f"{name}:{kind}" for name, kind in columns)]
    lines += ["\t".join(map(_tsv, row)) for row in rows]
    subprocess.run(["mono", str(exe), str(path)], input="\n".join(lines) + "\n", text=True, check=True,
                   env={**os.environ, "TZ": "America/Sao_Paulo"})  # another offset than the register server's


def test_dotnet_dataset_write_xml_with_its_inline_schema(tmp_path, monkeypatch, reference, dataset_writer):
    ref, tables, extras = reference
    settings = home(tmp_path, "dotnet", monkeypatch)
    with open_store(ref).connect() as con:
        for table in tables:
            columns = [(c.name, c.type) for c in CONTRACTS[table].columns] + [(n, "TXT") for n in extras[table]]
            rows = con.execute(f"SELECT {', '.join(name for name, _ in columns)} FROM {table}").fetchall()
            write_dataset(dataset_writer, settings.local_drop_dir / f"{table}.xml", table, columns, rows)
    text = (settings.local_drop_dir / "t_avoir.xml").read_text(encoding="utf-8")
    assert "<xs:schema" in text and "<date_emission>2026-10-15T00:00:00-03:00</date_emission>" in text
    import_and_compare(settings, ref, tables)


def test_a_dataset_timestamp_with_its_offset_is_the_register_servers_local_time(tmp_path, dataset_writer):
    from pipeline import read_table
    path = tmp_path / "t_avoir_utilise.xml"
    write_dataset(dataset_writer, path, "t_avoir_utilise", [("id_avoir_utilise", "TXT"), ("montant", "DEC"),
                                                            ("date_utilisation", "TS")],
                  [("U1", Decimal("5.00"), datetime(2026, 11, 22, 10, 15, 30))])
    assert "2026-11-22T10:15:30-03:00" in path.read_text(encoding="utf-8")
    value = read_table(path).date_utilisation[0]
    expected = datetime.fromisoformat("2026-11-22T10:15:30-03:00").astimezone().replace(tzinfo=None)
    assert value == expected


# The other way: an exported lot loaded back into MariaDB.

def test_an_exported_lot_loads_into_mariadb_with_every_value(tmp_path, monkeypatch, mariadb, demo):
    store = open_store(demo)
    run_import(store, demo, "C01", MANAGER.login, MANAGER.password)
    lot = a_day_with_line_breaks(store, demo)
    db = f"lot_{os.getpid()}"
    mariadb.sql(f"CREATE DATABASE {db} CHARACTER SET utf8mb4", database=None)
    for table in EXPORT_TABLES:
        contract = CONTRACTS[table]
        columns = ", ".join(f"`{c.name}` {MARIADB_TYPES[c.type]}" for c in contract.columns)
        mariadb.sql(f"CREATE TABLE `{table}` ({columns}) CHARACTER SET utf8mb4;"
                    f"LOAD XML LOCAL INFILE '{lot / (table + '.xml')}' INTO TABLE `{table}` CHARACTER SET utf8mb4 "
                    "ROWS IDENTIFIED BY '<row>';", database=db)
        shown = subprocess.run(mariadb._client("mariadb") + ["--xml", db, "-e", f"SELECT * FROM `{table}`"],
                               check=True, capture_output=True).stdout
        loaded = sorted(tuple(None if f.get(f"{{{XSI}}}nil") else (f.text or "") for f in row)
                        for row in etree.fromstring(shown))
        ours = [tuple(r.values()) for r in read_arrow(lot / f"{table}.xml", contract).to_pylist()]
        expected = sorted(tuple(_mariadb_text(v, c.type) for v, c in zip(row, contract.columns)) for row in ours)
        assert loaded == expected, table
        assert loaded or table in ("t_avoir", "t_avoir_utilise", "t_cheque_cadeau"), table
    texts = mariadb.sql("SELECT HEX(libelle), HEX(commentaire) FROM t_livre_de_caisse l LEFT JOIN t_journee j USING "
                        "(id_journee) WHERE l.type = 'SORTIE'", database=db)
    wanted = ["Fleurs « Œillets » 10 € & co\r\nreçu n°4", "Pièce de 10 cts « trouvée »\r\nsous le tiroir"]
    assert texts.splitlines()[1].split("\t") == [w.encode().hex().upper() for w in wanted]  # CR LF kept


def a_day_with_line_breaks(store, demo) -> Path:
    """A day whose cash move and closing comment hold line breaks as a browser's text area sends them (CR LF),
    closed and exported; its lot's folder."""
    manager, seller = users(store)
    open_day(store, "C01", manager, Decimal("150.00"))
    sell(store, seller, articles=(("ART00001", 2), ("ART00084", "1.5")))  # sugar, sold by the kg
    sell(store, seller, articles=(("ART00002", 1),))
    cash_move(store, "C01", manager, "SORTIE", Decimal("12.30"), "Fleurs « Œillets » 10 € & co\r\nreçu n°4")
    close_day(store, "C01", manager, count={Decimal("100"): 1, Decimal("50"): 1, Decimal("0.10"): 3},
              accept_difference=True, comment="Pièce de 10 cts « trouvée »\r\nsous le tiroir")
    return demo.sent_dir / run_export(store, demo, "C01", manager).lot


PG_TYPES = {"INT": "bigint", "DEC": "numeric(18,2)", "QTY": "numeric(18,3)", "TXT": "text", "DATE": "date",
            "TS": "timestamp", "BOOL": "boolean"}


def test_an_exported_lot_loads_into_postgresql_with_xmltable_nulls_as_null(tmp_path, demo):
    """docs/format.md's way of loading a lot into PostgreSQL: every value as our reader reads it, NULL as NULL
    (an empty element was '' and refused by the typed columns), line breaks kept."""
    from tests.postgres import Postgres
    store = open_store(demo)
    run_import(store, demo, "C01", MANAGER.login, MANAGER.password)
    lot = a_day_with_line_breaks(store, demo)
    server = Postgres()
    try:
        for table in EXPORT_TABLES:
            contract = CONTRACTS[table]
            path = server.readable(lot / f"{table}.xml")
            columns = ", ".join(f"{c.name} {PG_TYPES[c.type]} PATH '{c.name}'" for c in contract.columns)
            out = server.sql(f"SELECT to_json(x) FROM xmltable('/{table}/row' PASSING xmlparse(DOCUMENT convert_from("
                             f"pg_read_binary_file('{path}'), 'UTF8')) COLUMNS {columns}) AS x;")
            loaded = sorted(({c.name: _typed(row[c.name], c.type) for c in contract.columns}
                             for row in (json.loads(line) for line in out.splitlines() if line)), key=repr)
            ours = sorted(({c.name: _typed(v, c.type) for v, c in zip(row.values(), contract.columns)}
                           for row in read_arrow(lot / f"{table}.xml", contract).to_pylist()), key=repr)
            assert loaded == ours, table
    finally:
        server.close()


def _typed(value, kind: str):
    """A value from PostgreSQL's to_json or from our reader, as one comparable value."""
    if value is None:
        return None
    if kind in ("DEC", "QTY"):
        return Decimal(str(value)).normalize()
    if kind == "TS":
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if kind == "DATE":
        return value if isinstance(value, date) else date.fromisoformat(value)
    return value


def _mariadb_text(value, kind: str) -> str | None:
    """A DuckDB value as MariaDB shows it back (`mysql --xml`)."""
    if value is None:
        return None
    if kind == "BOOL":
        return "1" if value else "0"
    if kind == "TS":
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if kind in ("DEC", "QTY"):
        return f"{value:f}"
    return str(value)


def test_a_new_shop_opens_its_first_day_in_auto_mode_from_a_mysqldump(tmp_path, monkeypatch, mariadb, reference):
    ref, tables, _ = reference
    monkeypatch.setenv("CAISSE_MODE", "auto")
    settings = home(tmp_path, "auto", monkeypatch)
    write_demo_shop(settings.local_drop_dir)
    opened = open_day_auto(open_store(settings), settings, "C01", MANAGER.login, MANAGER.password, Decimal("50"))
    assert opened.imported and opened.user.login == MANAGER.login
    imported = [t for t in tables if t != "t_livre_de_caisse"]  # the opening wrote its float there
    assert contents(settings, imported) == contents(ref, imported)
