"""Dependencies point inward: domain knows nothing of the web, SQL or projections."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN = {"flask", "marshmallow", "psycopg", "web", "projections", "flask_smorest"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_domain_module_imports_an_outer_layer_or_a_framework():
    offenders = {
        str(path.relative_to(DOMAIN.parent)): sorted(_imported_roots(path) & FORBIDDEN)
        for path in DOMAIN.rglob("*.py")
        if _imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_importing_the_whole_domain_loads_no_outer_layer():
    modules = [f"domain.{p.stem}" for p in DOMAIN.glob("*.py") if p.stem != "__init__"]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "loaded = {m.split('.')[0] for m in sys.modules}\n"
        + f"print(sorted(loaded & set({sorted(FORBIDDEN)!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
