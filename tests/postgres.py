"""A private PostgreSQL server on a Unix socket in a temporary folder, standing for a main server that reads our
lots with `xmltable` (installed by `make test`). It runs as the `postgres` account, as PostgreSQL requires."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL ({name}) n'est pas installé : make test l'installe (paquet postgresql)")
    return found[-1]


class Postgres:
    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="caisse-postgres-", dir="/tmp"))
        account = pwd.getpwnam("postgres")
        os.chown(self.base, account.pw_uid, account.pw_gid)
        self.data = self.base / "data"
        self._as_postgres([_binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                           "--locale=C.UTF-8"])
        self.proc = subprocess.Popen(["runuser", "-u", "postgres", "--", _binary("postgres"), "-D", str(self.data),
                                      "-k", str(self.base), "-c", "listen_addresses=", "-c", "fsync=off"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres did not start")
            if subprocess.run(self._client() + ["-c", "SELECT 1"], capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("postgres did not answer in 60 s")

    def _as_postgres(self, command: list[str]) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)

    def _client(self) -> list[str]:
        return ["psql", "-h", str(self.base), "-U", "postgres", "-d", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1"]

    def sql(self, statements: str) -> str:
        """Run SQL with `psql`; its unaligned, tab-separated output."""
        done = subprocess.run(self._client() + ["-A", "-t", "-F", "\t"], input=statements, capture_output=True,
                              text=True)
        if done.returncode:
            raise RuntimeError(done.stderr)
        return done.stdout

    def readable(self, path: Path) -> Path:
        """A copy of `path` the server's account can read (pg_read_file reads on the server's side)."""
        copy = self.base / path.name
        shutil.copyfile(path, copy)
        os.chmod(copy, 0o644)
        return copy

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.base, ignore_errors=True)
