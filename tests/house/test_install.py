"""The package installs (issue 23): `pip install .`, not editable, in a fresh virtual environment, gives a `caisse`
whose `serve` shows the app's opening screen in Chromium, and whose `verify-archive` and `purge` find their
verifier, run from a folder that is not the project (last round `serve` ran app.py from the checkout's parent and
the purge loaded tools/verifier_archive.py by path: both failed once installed).

The fresh environment takes its dependencies from the suite's own (a path in a .pth file, whose own .pth files,
the editable install's among them, are not read), so that nothing is fetched: what is installed from the project
is the wheel alone."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import MANAGER
from tests.e2e.test_journey import ARGS, CHROMIUM, VIEWPORT, wait_healthy
from tests.sshd import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("installe")
    wheels, env_dir = base / "roues", base / "venv"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
    (Path(own_site) / "dependances.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    wheel = next(wheels.glob("caisse_web-*.whl"))
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=300)
    where = subprocess.run([str(python), "-c", "import caisse, caisse_web; print(caisse.__file__)"],
                           check=True, capture_output=True, text=True, cwd=base).stdout
    assert where.startswith(own_site), where  # the installed copy, not the checkout
    return env_dir / "bin" / "caisse", base


def run(caisse: Path, base: Path, home: Path, *args, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "CAISSE_HOME": str(home), "CAISSE_PASSWORD": MANAGER.password,
           "CAISSE_ARCHIVE_COPY": str(home.parent / "copie")}
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(caisse), *args], cwd=base, env=env, capture_output=True, text=True, timeout=120, **kw)


def test_the_installed_package_serves_the_app(installed, tmp_path):
    caisse, base = installed
    home = tmp_path / "home"
    assert run(caisse, base, home, "init", "--demo").returncode == 0
    port = free_port()
    env = {**os.environ, "CAISSE_HOME": str(home)}
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen([str(caisse), "serve", "--port", str(port)], cwd=base, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            expect(page.get_by_text("Ouverture de la caisse", exact=True)).to_be_visible(timeout=30_000)
            expect(page.get_by_role("button", name="Importer")).to_be_visible()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_installed_package_verifies_an_archive_and_purges_with_its_own_verifier(installed, tmp_path):
    caisse, base = installed
    home = tmp_path / "home"
    assert run(caisse, base, home, "init", "--demo").returncode == 0
    assert run(caisse, base, home, "import", "--caisse", "C01", "--user", MANAGER.login).returncode == 0
    forged = tmp_path / "C01-2026-11.xml"
    forged.write_text("<archive/>", encoding="utf-8")
    archive = run(caisse, base, home, "verify-archive", str(forged))
    assert archive.returncode == 1 and "ROMPUE : la signature C01-2026-11.xml.sig est absente" in archive.stdout, \
        archive.stdout + archive.stderr
    purge = run(caisse, base, home, "purge", "--avant", "2020-01", "--user", MANAGER.login)
    assert purge.returncode == 0 and "Rien à purger avant 2020-01" in purge.stdout, purge.stderr
