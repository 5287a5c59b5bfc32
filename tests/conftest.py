"""Fixtures that build real things: a CAISSE_HOME under tmp_path, a local drop with the demo shop, a store."""

from __future__ import annotations

import pytest

from caisse.common.config import load_settings
from caisse.services.home import initialise, open_store
from caisse.services.sync import run_import
from pipeline.demo import DEMO_USERS

MANAGER = DEMO_USERS[0]
SELLER = DEMO_USERS[1]


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Settings of a fresh CAISSE_HOME whose drop is a local folder; no caisse.toml."""
    monkeypatch.chdir(tmp_path)
    for name in ("CAISSE_CONFIG", "CAISSE_DROP", "CAISSE_MODE", "CAISSE_PASSWORD", "CAISSE_INTEGRITY_KEY",
                 "CAISSE_IMPORT_DIR", "CAISSE_MAX_FILE_MB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAISSE_HOME", str(tmp_path / "home"))
    return load_settings()


@pytest.fixture
def demo(settings):
    """An initialised store with the demo shop waiting in the local drop."""
    initialise(settings, demo=True)
    return settings


@pytest.fixture
def imported(demo):
    """The demo shop imported for C01 (the drop is empty afterwards)."""
    run_import(open_store(demo), demo, "C01", MANAGER.login, MANAGER.password)
    return demo


def snapshot(settings) -> dict:
    """Every table's rows, to check that a refused operation changed nothing."""
    from pipeline import CONTRACTS
    with open_store(settings).connect() as con:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in CONTRACTS}


def drop_files(settings) -> dict:
    folder = settings.local_drop_dir
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def store(imported):
    return open_store(imported)


@pytest.fixture
def manager(store):
    from caisse.rules.auth import login
    return login(store, MANAGER.login, MANAGER.password)


@pytest.fixture
def seller(store):
    from caisse.rules.auth import login
    return login(store, SELLER.login, SELLER.password)


@pytest.fixture
def opened(store, manager):
    """C01 open with a 150.00 float."""
    from decimal import Decimal

    from caisse.rules.opening import open_day
    open_day(store, "C01", manager, Decimal("150.00"))
    return store


@pytest.fixture
def sshd():
    """A real OpenSSH server on 127.0.0.1 (installed by `make test`; never skipped)."""
    from tests.sshd import SshServer
    server = SshServer()
    yield server
    server.close()


@pytest.fixture
def sftp_settings(settings, sshd, monkeypatch):
    """Settings whose drop is the SFTP server, with key auth and a checked host key."""
    for name, value in sshd.env().items():
        monkeypatch.setenv(name, value)
    return load_settings()


FIRST = ("tests/caisse/test_money.py", "tests/e2e/", "tests/caisse/test_shop_day.py", "tests/caisse/test_day_cli.py",
         "tests/caisse/test_sftp_sync.py", "tests/caisse/test_full_disk.py", "tests/house/")
# the longest files start first (measured with --durations), so that both workers end together


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: next((i for i, first in enumerate(FIRST) if item.nodeid.startswith(first)),
                                     len(FIRST)))
