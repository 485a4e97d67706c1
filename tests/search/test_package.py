"""The packages are ours, and the dependency direction holds: search -> ingest.models only, ingest -/-> search."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Return the absolute module names a Python file imports (``from a import b`` gives a and a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def package_files(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize("package", ["search", "ingest"])
def test_package_resolves_to_this_repository_from_anywhere(package, tmp_path):
    code = f"import {package}, pathlib; print(pathlib.Path({package}.__file__).resolve().parent)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()) == REPO / package


def test_ingest_never_imports_search():
    offenders = {
        str(path.relative_to(REPO)): sorted(n for n in imported_modules(path) if is_within(n, "search"))
        for path in package_files("ingest")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# search.normalise maps user queries through the names the structurer knows (design.md: registries are shared by
# the structurer and search); it reads them through ingest.vocabulary, never the structurer's modules directly
ALSO_ALLOWED = {"search/normalise.py": {"ingest.vocabulary"}}


def test_search_imports_only_ingest_models_from_ingest():
    offenders = {}
    for path in package_files("search"):
        allowed = {"ingest", "ingest.models"} | ALSO_ALLOWED.get(str(path.relative_to(REPO)), set())
        names = {n for n in imported_modules(path) if is_within(n, "ingest")}
        # "from ingest.models import Document" yields "ingest.models" and "ingest.models.Document"
        bad = sorted(n for n in names if n not in allowed and not any(is_within(n, a) for a in allowed - {"ingest"}))
        if bad:
            offenders[str(path.relative_to(REPO))] = bad
    assert offenders == {}, (
        "search may import only ingest.models from ingest (design.md: search -> ingest.models only); "
        f"these files reach further: {offenders}"
    )


def test_importing_the_sqlite_backend_loads_no_other_ingest_module(tmp_path):
    code = (
        "import sys, search, search.sqlite, search.reindex, search.text\n"
        "print(sorted(m for m in sys.modules if m == 'ingest' or m.startswith('ingest.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['ingest', 'ingest.models']"
