from __future__ import annotations

import subprocess
import sys
import time

import pytest

from caisse import open_store
from caisse.errors import CaisseError, StoreBusy
from caisse.store import SCHEMA_VERSION, Store

HOLD = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
        "time.sleep(float(sys.argv[2]))")


def hold_lock(path, seconds):
    """Another process holding the store open for writing, as the app or a script would."""
    Store(path).release()  # this process lets the file go first, as it does after its linger
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ok"
    return proc


def test_migrate_is_idempotent_and_versioned(demo):
    store = open_store(demo)
    assert store.migrate() == SCHEMA_VERSION == store.schema_version()


def test_a_store_locked_by_another_process_is_waited_for(demo):
    holder = hold_lock(demo.store_path, 1.0)
    started = time.monotonic()
    with Store(demo.store_path, lock_timeout=15).connect() as con:
        assert con.execute("SELECT 1").fetchall() == [(1,)]
    assert time.monotonic() - started >= 0.3
    holder.wait()


def test_a_store_locked_too_long_is_reported_busy_in_a_sentence(demo):
    holder = hold_lock(demo.store_path, 5)
    try:
        with pytest.raises(StoreBusy, match="occupée par un autre programme"):
            with Store(demo.store_path, lock_timeout=0.5).connect():
                pass
    finally:
        holder.kill()


def test_a_missing_store_says_to_run_init(settings):
    with pytest.raises(CaisseError, match="caisse init"):
        with open_store(settings).connect():
            pass
