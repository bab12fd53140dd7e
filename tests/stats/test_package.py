"""The stats package: its public surface, its import boundary and its documentation."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import oversight.stats as stats

PACKAGE = Path(stats.__file__).parent
METHODS = Path(__file__).parents[2] / "docs" / "methods.md"
ALLOWED_IMPORTS = {"__future__", "collections", "dataclasses", "math", "typing", "numpy", "pandas", "scipy"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module)
    return roots


def test_all_is_sorted_and_matches_the_exported_names() -> None:
    assert stats.__all__ == sorted(stats.__all__)
    exported = {
        name
        for name, value in vars(stats).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert set(stats.__all__) == exported


def test_stats_imports_only_numpy_pandas_scipy_and_itself() -> None:
    for module in sorted(PACKAGE.glob("*.py")):
        for name in imported_roots(module):
            if name.startswith("oversight"):
                assert name.startswith("oversight.stats"), f"{module.name} imports {name}"
            else:
                root = name.split(".")[0]
                assert root in ALLOWED_IMPORTS, f"{module.name} imports {name}"


def test_every_public_function_is_in_docs_methods() -> None:
    text = METHODS.read_text(encoding="utf-8")
    missing = [name for name in stats.__all__ if f"`{name}" not in text]
    assert missing == []


def test_modules_stay_short() -> None:
    lengths = {m.name: len(m.read_text("utf-8").splitlines()) for m in PACKAGE.glob("*.py")}
    assert max(lengths.values()) <= 300, lengths
