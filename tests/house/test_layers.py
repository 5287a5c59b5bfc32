"""The house's plan is kept by the linter (issue 23): `lint-imports` passes on the tree as it is, and fails on a
copy of it where one arrow points back up (a rule importing a service, the fiscal core importing a rule, the
pipeline importing the register). Each test runs the linter the README's commands run, on a real copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINTER = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINTER), "--no-cache", "--no-logo", "--config", str(tree / "pyproject.toml")],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree(tmp_path):
    copy = tmp_path / "arbre"
    copy.mkdir()
    for name in ("caisse", "pipeline"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_house_as_it_is_keeps_every_contract(tree):
    done = lint(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, planted, broken", [
    ("caisse/common/money.py", "from caisse.services import till",
     "caisse.common is not allowed to import caisse.services"),
    ("caisse/rules/sales.py", "from caisse.paper import receipts",
     "caisse.rules is not allowed to import caisse.paper"),
    ("caisse/fiscal/chains.py", "from caisse.rules import auth", "the fiscal core imports only common and storage"),
    ("caisse/storage/store.py", "from caisse.fiscal import keys",
     "caisse.storage is not allowed to import caisse.fiscal"),
    ("pipeline/drop.py", "import caisse.common.errors", "the pipeline never imports the register"),
])
def test_a_planted_back_arrow_breaks_a_contract(tree, module, planted, broken):
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n\ndef _planted():\n    {planted}  # noqa\n",
                    encoding="utf-8")
    done = lint(tree)
    assert done.returncode != 0 and broken in done.stdout, done.stdout + done.stderr


def test_every_package_init_is_empty():
    inits = sorted((ROOT / "caisse").rglob("__init__.py"))
    assert len(inits) >= 8 and all(p.read_text(encoding="utf-8") == "" for p in inits), \
        [str(p) for p in inits if p.read_text(encoding="utf-8")]
