"""`recoup compliance check --in FILE --out FILE`: the stateless check of contracts/compliance-check.md.

Reads attempts as JSON Lines (one object per line; blank lines skipped), writes one decision per line in
the same order. All or nothing: a bad line stops the command (exit 1) with one line on stderr naming the
file, the line and the field, and no output file is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from recoup.core.compliance import RulebookSet, load_rulebooks, parse_attempt
from recoup.core.compliance.check import decide
from recoup.core.errors import ValidationError
from recoup.entrypoints.cli.common import fail

app = typer.Typer(help="Check proposed contacts against the rulebooks.", no_args_is_help=True)


@app.callback()
def compliance() -> None:
    """Check proposed contacts against the rulebooks (contracts/compliance-check.md)."""


@app.command("check")
def check(
    in_file: Annotated[Path, typer.Option("--in", help="attempts, one JSON object per line")],
    out_file: Annotated[Path, typer.Option("--out", help="where to write the decisions (JSON Lines)")],
    overrides: Annotated[
        Path | None, typer.Option("--overrides", help="a creditor's rulebook overrides (YAML; stricter only)")
    ] = None,
) -> None:
    """Decide every attempt: allowed or not, which rules, and when it next could be."""
    rulebooks = _rulebooks(overrides)
    attempts = []
    for line_number, obj in _objects(in_file):
        try:
            attempt = parse_attempt(obj)
            rulebooks.get(attempt.jurisdiction)
        except ValidationError as problem:
            raise fail(f"{in_file}, line {line_number}, field {problem.field}: {problem.message}") from None
        attempts.append(attempt)
    _write_atomically(out_file, decide(attempts, rulebooks))


def _rulebooks(overrides: Path | None) -> RulebookSet:
    rulebooks = load_rulebooks()
    if overrides is None:
        return rulebooks
    try:
        return rulebooks.with_overrides(overrides.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as problem:
        raise fail(f"{overrides}: cannot read ({problem})") from None
    except ValidationError as problem:
        raise fail(f"{overrides}, field {problem.field}: {problem.message}") from None


def _objects(path: Path) -> list[tuple[int, Any]]:
    try:
        text = path.read_bytes()
    except OSError as problem:
        raise fail(f"{path}: {problem.strerror or problem}") from None
    objects = []
    for line_number, raw in enumerate(text.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            objects.append((line_number, json.loads(raw.decode("utf-8"))))
        except UnicodeDecodeError:
            raise fail(f"{path}, line {line_number}: not UTF-8 (convert GBK files to UTF-8 first)") from None
        except json.JSONDecodeError as problem:
            raise fail(
                f"{path}, line {line_number}, column {problem.colno}: not JSON ({problem.msg})"
            ) from None
    return objects


def _write_atomically(path: Path, decisions: list[dict[str, Any]]) -> None:
    """Write beside ``path`` and rename into place, so a failed run leaves no half-written file."""
    directory = path.resolve().parent
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as problem:
        raise fail(f"{path}: cannot write ({problem.strerror or problem})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            for decision in decisions:
                stream.write(json.dumps(decision, ensure_ascii=False) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
