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


def test_an_import_inside_a_function_says_why():
    """Imports live at the top of a module; the few kept inside a function (a command's start kept fast, a
    cycle inside one layer) carry a comment saying so, on their line or the line above."""
    import ast
    silent = []
    for path in sorted((ROOT / "caisse").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").split("\n")
        tree = ast.parse("\n".join(lines))
        typing_only = {id(m) for n in ast.walk(tree) if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)
                       for m in ast.walk(n)}
        inside = [n for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for n in ast.walk(f)]
        for node in inside:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in typing_only:
                here, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                if "#" not in here and not above.startswith("#"):
                    silent.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert silent == []
