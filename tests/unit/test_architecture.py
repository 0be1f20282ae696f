"""The dependency rule: the core does no I/O and knows nothing of the layers around it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "recoup"
FORBIDDEN_IN_CORE = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "requests",
    "urllib",
    "http",
    "smtplib",
    "socket",
    "sqlite3",
    "psycopg",
    "adbc_driver_sqlite",
    "adbc_driver_postgresql",
    "aiosmtpd",
    "subprocess",
    "recoup.adapters",
    "recoup.services",
    "recoup.entrypoints",
    "recoup.bootstrap",
    "recoup.config",
)
FORBIDDEN_IN_SERVICES = ("recoup.entrypoints", "fastapi", "typer")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((SRC / folder).rglob("*.py")):
        for name in _imports(path):
            if any(name == bad or name.startswith(bad + ".") for bad in forbidden):
                found.append(f"{path.relative_to(SRC)} imports {name}")
    return found


def test_core_imports_no_io_library_and_no_outer_layer() -> None:
    assert _violations("core", FORBIDDEN_IN_CORE) == []


def test_services_do_not_reach_entry_points() -> None:
    assert _violations("services", FORBIDDEN_IN_SERVICES) == []


@pytest.mark.parametrize(
    "banned", [r"(?<![\w.])open\(", r"\.write_text\(", r"\.write_bytes\(", r"os\.system"]
)
def test_core_opens_no_files(banned: str) -> None:
    """Package data may be read through importlib.resources; nothing in the core opens or writes files."""
    offenders = [
        str(path.relative_to(SRC))
        for path in (SRC / "core").rglob("*.py")
        if re.search(banned, path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
