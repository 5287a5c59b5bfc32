"""A private MariaDB server on a Unix socket in a temporary folder, standing for the main server's database
(installed by `make test`). The main server's tools write our import files from it (`mysqldump --xml`,
`mysql --xml`), and it loads our exported lots back (`LOAD XML LOCAL INFILE`)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

MARIADBD = "/usr/sbin/mariadbd"
DATABASE = "gespx"


class MariaDb:
    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="caisse-mariadb-", dir="/tmp"))
        self.data = self.base / "data"
        self.socket = self.base / "mysqld.sock"
        mysql = pwd.getpwnam("mysql")
        os.chown(self.base, mysql.pw_uid, mysql.pw_gid)
        subprocess.run(["mariadb-install-db", "--user=mysql", f"--datadir={self.data}",
                        "--auth-root-authentication-method=socket", "--skip-test-db"],
                       check=True, capture_output=True)
        cnf = self.base / "my.cnf"
        cnf.write_text("\n".join([
            "[mariadbd]", f"datadir={self.data}", f"socket={self.socket}", f"pid-file={self.base / 'mysqld.pid'}",
            f"log-error={self.base / 'error.log'}", "skip-networking", "local_infile=1", "user=mysql",
            "character-set-server=utf8mb4", "collation-server=utf8mb4_unicode_ci", "innodb_buffer_pool_size=32M",
            "skip-log-bin", ""]))
        self.proc = subprocess.Popen([MARIADBD, f"--defaults-file={cnf}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mariadbd did not start: {(self.base / 'error.log').read_text()}")
            if self.socket.exists() and subprocess.run(self._client("mariadb") + ["-e", "SELECT 1"],
                                                       capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("mariadbd did not answer in 60 s")
        self.sql(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4", database=None)

    def _client(self, program: str) -> list[str]:
        return [program, f"--socket={self.socket}", "--user=root"]

    def sql(self, statements: str, database: str | None = DATABASE) -> str:
        """Run SQL with the `mariadb` client; its output (tab-separated)."""
        command = self._client("mariadb") + ["--local-infile=1", "--batch", "--default-character-set=utf8mb4"]
        if database:
            command.append(database)
        done = subprocess.run(command, input=statements, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(done.stderr)
        return done.stdout

    def dump_xml(self, *tables: str) -> bytes:
        """`mysqldump --xml` of the tables (all of them when none is named)."""
        return subprocess.run(self._client("mysqldump") + ["--xml", "--default-character-set=utf8mb4", DATABASE,
                                                           *tables], check=True, capture_output=True).stdout

    def query_xml(self, query: str) -> bytes:
        """`mysql --xml -e QUERY`."""
        return subprocess.run(self._client("mariadb") + ["--xml", "--default-character-set=utf8mb4", DATABASE, "-e",
                                                         query], check=True, capture_output=True).stdout

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.base, ignore_errors=True)
