"""A full disk never lies (issue 16, point 2): the day's commands run on a small filesystem of their own (a
tmpfs mounted for the test: store, WAL, received files, archived documents, logs and the local drop all on
it), filled to several levels before each command. Whatever a command says is true of the store afterwards,
nothing is half done, no traceback, no `.part` left; once space is freed, the day ends and verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from caisse.storage.disk import RESERVE_NAME
from tests.conftest import MANAGER, SELLER

LEVELS = [0, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024]
FULL = "Le disque du serveur caisse est plein"


def mount_tmpfs(folder, size: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True,
                          text=True)
    if done.returncode:
        pytest.fail(f"this test mounts a tmpfs of its own and needs root: {done.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "petit-disque"
    mount_tmpfs(mount, "48m")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-R", "-l", str(mount)], check=False)


class Day:
    """The CLI on a home folder inside the small disk, and a filler that leaves `level` bytes free."""

    def __init__(self, mount):
        self.mount, self.home, self.filler = mount, mount / "home", mount / "remplissage"

    def run(self, *args, password=MANAGER.password):
        env = {**os.environ, "CAISSE_HOME": str(self.home), "CAISSE_PASSWORD": password}
        env.pop("CAISSE_DROP", None)
        done = subprocess.run([sys.executable, "-m", "caisse", *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert "Traceback" not in done.stderr + done.stdout, done.stderr
        return done

    def fill(self, level: int) -> None:
        self.free()
        room = os.statvfs(self.mount)
        size = room.f_bavail * room.f_frsize - level
        if size > 0:
            with open(self.filler, "wb") as f:
                os.posix_fallocate(f.fileno(), 0, size)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def state(self, caisse="C01") -> str:
        done = self.run("status", "--json")
        assert done.returncode == 0, done.stderr
        return next(r["etat"] for r in json.loads(done.stdout)["caisses"] if r["code"] == caisse)

    def parts(self) -> list:
        return [p for p in self.mount.rglob("*.part")]


@pytest.mark.parametrize("level", LEVELS)
def test_the_days_commands_on_a_full_disk_say_what_is_true(small_disk, level):
    day = Day(small_disk)
    assert day.run("init", "--demo").returncode == 0
    assert day.run("import", "--caisse", "C01", "--user", MANAGER.login).returncode == 0
    assert (day.home / RESERVE_NAME).exists()  # the reserve that lets a failure be recorded
    assert day.run("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "100").returncode == 0
    sold = 0

    day.fill(level)
    sale = day.run("sell", "--caisse", "C01", "--user", SELLER.login, "--article", "ART00001", "--pay", "CB=10.70",
                   password=SELLER.password)
    assert sale.returncode in (0, 4), sale.stderr
    if sale.returncode == 4:
        assert FULL in sale.stderr
    sold += sale.returncode == 0

    day.fill(level)
    close = day.run("close", "--caisse", "C01", "--user", MANAGER.login, "--especes", "100")
    assert close.returncode in (0, 4), close.stderr
    if close.returncode == 4:  # refused whole: the day is still open
        assert FULL in close.stderr and "Rien n'a été enregistré" in close.stderr
        day.free()
        assert day.state() == "ouverte"
        close = day.run("close", "--caisse", "C01", "--user", MANAGER.login, "--especes", "100")
        assert close.returncode == 0, close.stderr
    assert day.state() == "a_exporter"  # exit 0 means closed, whatever was printed or not
    z_archived = "Z non archivé" not in close.stderr
    if not z_archived:
        assert "caisse report z --caisse C01 --numero 1 --print" in close.stderr

    day.fill(level)
    export = day.run("export", "--caisse", "C01", "--user", MANAGER.login)
    state = day.state()
    if export.returncode == 0:
        assert state == "a_importer"
    else:
        assert export.returncode == 4, export.stderr
        assert FULL.lower() in export.stderr.lower()
        # recorded as failed when the store could still take the record, else nothing at all was done
        assert state == ("echec_export" if "a échoué" in export.stderr else "a_exporter"), export.stderr
    assert day.parts() == []

    day.free()
    if not z_archived:
        reprint = day.run("report", "z", "--caisse", "C01", "--numero", "1", "--print", "--user", MANAGER.login)
        assert reprint.returncode == 0, reprint.stderr
    assert list((day.home / "tickets").rglob("C01-Z000001.txt"))  # the original, archived
    if export.returncode:
        export = day.run("export", "--caisse", "C01", "--user", MANAGER.login)
        assert export.returncode == 0, export.stderr
    assert day.parts() == []
    verify = day.run("verify", "--local")
    assert verify.returncode == 0, verify.stderr
    lot = next((day.home / "serveur_principal" / "export" / "C01").iterdir())
    tickets = (lot / "t_ticket.xml").read_text(encoding="utf-8")
    assert tickets.count("<numero>") == sold


def test_a_closing_that_committed_says_so_when_its_z_cannot_be_archived(small_disk):
    """The printed documents' folder is full (a disk of its own here, so that the store still has room): the
    day is closed, exit 0, "Z non archivé" with the command that archives it; that command makes the original."""
    day = Day(small_disk)
    assert day.run("init", "--demo").returncode == 0
    assert day.run("import", "--caisse", "C01", "--user", MANAGER.login).returncode == 0
    assert day.run("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "100").returncode == 0
    tickets = day.home / "tickets"
    mount_tmpfs(tickets, "64k")
    filler = tickets / "remplissage"
    with open(filler, "wb") as f:
        room = os.statvfs(tickets)
        os.posix_fallocate(f.fileno(), 0, room.f_bavail * room.f_frsize)
    close = day.run("close", "--caisse", "C01", "--user", MANAGER.login, "--especes", "100")
    assert close.returncode == 0, close.stderr
    assert "Caisse C01 fermée : Z n°1" in close.stdout
    assert "Z non archivé" in close.stderr and "caisse report z --caisse C01 --numero 1 --print" in close.stderr
    assert day.state() == "a_exporter"
    filler.unlink()
    reprint = day.run("report", "z", "--caisse", "C01", "--numero", "1", "--print", "--user", MANAGER.login)
    assert reprint.returncode == 0, reprint.stderr
    original = next(tickets.rglob("C01-Z000001.txt")).read_text(encoding="utf-8")
    assert "TICKET Z n°1" in original and "DUPLICATA" not in original
    assert day.run("verify", "--local").returncode == 0


def test_a_full_disk_under_a_local_drop_of_its_own_is_the_main_servers_not_the_registers(small_disk, tmp_path):
    """Last round a local drop on another disk (a share of the main server mounted here) that was full made the
    export say « le disque du serveur caisse est plein », exit 4: the manager freed room on the wrong machine.
    It is the drop's disk: said so, exit 3, no half lot left there; the register's own full disk keeps exit 4
    (above, where the drop shares the home's disk)."""
    day = Day(small_disk)
    day.home = tmp_path / "home"
    drop = small_disk / "partage"
    drop.mkdir()

    def run(*args):
        env = {**os.environ, "CAISSE_HOME": str(day.home), "CAISSE_PASSWORD": MANAGER.password,
               "CAISSE_DROP": f"file://{drop}"}
        done = subprocess.run([sys.executable, "-m", "caisse", *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert "Traceback" not in done.stderr + done.stdout, done.stderr
        return done
    assert run("init", "--demo").returncode == 0
    assert run("import", "--caisse", "C01", "--user", MANAGER.login).returncode == 0
    assert run("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "100").returncode == 0
    assert run("close", "--caisse", "C01", "--user", MANAGER.login, "--especes", "100").returncode == 0
    day.fill(4096)
    export = run("export", "--caisse", "C01", "--user", MANAGER.login)
    assert export.returncode == 3, export.stderr
    assert "Le dossier de dépôt local refuse l'opération : son disque est plein" in export.stderr
    assert "serveur caisse" not in export.stderr
    assert [p.name for p in (drop / "export").rglob("*") if p.is_file()] == []
    day.free()
    assert run("export", "--caisse", "C01", "--user", MANAGER.login).returncode == 0
    assert len(list((drop / "export" / "C01" / "C01-Z000001-Z000001").iterdir())) == 10
