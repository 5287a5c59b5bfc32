from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from caisse.common.errors import CaisseError, StoreBusy
from caisse.services.home import open_store
from caisse.storage import turns
from caisse.storage.store import SCHEMA_VERSION, Store

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


BUSY_APP = """
import sys, threading, time
from caisse.storage.store import Store
store, until = Store(sys.argv[1], lock_timeout=30), time.monotonic() + float(sys.argv[2])
def seller():
    while time.monotonic() < until:
        with store.connect() as con:
            con.execute("SELECT count(*) FROM t_article").fetchall()
        time.sleep(0.002)
threads = [threading.Thread(target=seller) for _ in range(3)]
[t.start() for t in threads]
print("ok", flush=True)
[t.join() for t in threads]
"""


def test_a_cli_command_beside_a_busy_app_gets_its_turn(imported):
    """Three threads of another process use the store without a pause (an app with sellers): each CLI call
    still gets the file in its turn, well within a short lock_timeout (before turns: refused "base occupée")."""
    open_store(imported).release()
    app = subprocess.Popen([sys.executable, "-c", BUSY_APP, str(imported.store_path), "60"], stdout=subprocess.PIPE,
                           text=True)
    try:
        assert app.stdout.readline().strip() == "ok"
        env = {**os.environ, "CAISSE_HOME": str(imported.home), "CAISSE_LOCK_TIMEOUT": "3"}
        for _ in range(12):
            done = subprocess.run([sys.executable, "-m", "caisse", "status"], env=env, capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            assert "C01" in done.stdout
        assert app.poll() is None  # the app went on all along
    finally:
        app.kill()
        app.wait()


def test_the_place_of_a_process_killed_in_the_queue_is_taken_over(demo):
    """A process killed while it holds its turn leaves a place in the queue: the next one sees its lock gone,
    removes it, and takes the file."""
    Store(demo.store_path).release()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom caisse.storage.store import Store\n"
                               "with Store(sys.argv[1]).connect():\n    print('ok', flush=True)\n    time.sleep(60)",
                               str(demo.store_path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ok"
    queue = turns.queue_folder(demo.store_path)
    assert [n for n in os.listdir(queue) if n != turns.COUNTER]  # its place
    holder.kill()
    holder.wait()
    with Store(demo.store_path, lock_timeout=5).connect() as con:
        assert con.execute("SELECT 1").fetchall() == [(1,)]
        assert [n.split(".")[1] for n in os.listdir(queue) if n != turns.COUNTER] == [str(os.getpid())]


@pytest.mark.parametrize("counter", [b"garbage\n", b"\0\0\0\0\0\0\0\0", b"-3"])
def test_a_damaged_queue_counter_or_a_stray_file_in_the_queue_does_not_stop_the_store(demo, counter):
    """The queue's counter damaged (a power cut leaves zeros, a hand writes in it) and a file that is no place
    (a note, an editor's copy) ended every command in a ValueError traceback. A place of a living process keeps
    its rank: the next number follows the highest place in the queue."""
    Store(demo.store_path).release()
    done = demo.home / "holder-done"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom caisse.storage.store import Store\n"
                               "with Store(sys.argv[1]).connect():\n    print('ok', flush=True)\n    time.sleep(2)\n"
                               "    open(sys.argv[2], 'w').close()", str(demo.store_path), str(done)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ok"
    queue = turns.queue_folder(demo.store_path)
    (queue / turns.COUNTER).write_bytes(counter)
    (queue / "lisez-moi.txt").write_text("à ne pas effacer")
    held = [n for n in os.listdir(queue) if turns.PLACE.fullmatch(n)]
    try:
        with Store(demo.store_path, lock_timeout=10).connect() as con:  # waits for the holder, then has its turn
            assert con.execute("SELECT 1").fetchall() == [(1,)]
            assert done.exists()  # it came after the living place, not before (that one had finished its unit)
            mine = [n for n in os.listdir(queue) if turns.PLACE.fullmatch(n)]
            assert int(mine[0].split(".")[0]) > int(held[0].split(".")[0])
    finally:
        holder.kill()
        holder.wait()
    assert (queue / "lisez-moi.txt").read_text() == "à ne pas effacer"
