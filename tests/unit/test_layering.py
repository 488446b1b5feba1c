"""Dependencies point inward: domain knows nothing of the web, SQL or projections."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN = {
    "flask", "marshmallow", "psycopg", "web", "projections", "flask_smorest",
    "flask_babel", "babel",
}  # fmt: skip


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


def _domain_imports(path: Path) -> set[str]:
    """The domain modules ``path`` imports, anywhere in it (functions and
    ``TYPE_CHECKING`` blocks too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found.update(
            name.split(".")[1]
            for name in names
            if name.startswith("domain.")
            and (DOMAIN / f"{name.split('.')[1]}.py").exists()
        )
    return found - {path.stem}


def test_no_two_domain_modules_import_each_other_even_indirectly():
    graph = {path.stem: _domain_imports(path) for path in DOMAIN.glob("*.py")}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None
