"""The public surface and the direction of imports."""

from __future__ import annotations

import ast
from pathlib import Path

import oversight

SRC = Path(oversight.__file__).parent


def test_all_is_sorted_and_matches_the_exported_names():
    assert list(oversight.__all__) == sorted(oversight.__all__)
    public = {n for n in vars(oversight) if not n.startswith("_") and n[0].isupper()}
    assert public == set(oversight.__all__)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_stats_imports_neither_the_database_nor_other_stages():
    for path in (SRC / "stats").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("duckdb", "oversight.warehouse", "oversight.sources", "oversight.web",
                                        "oversight.report", "oversight.cli")), f"{path.name} imports {name}"


def test_sources_and_warehouse_do_not_import_the_cli():
    for folder in ("sources", "warehouse"):
        for path in (SRC / folder).rglob("*.py"):
            assert "oversight.cli" not in _imports(path), path
