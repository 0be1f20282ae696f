"""What every command shares: building the app from the global options, clear errors, progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from recoup.bootstrap import App, build
from recoup.config import Settings
from recoup.core.errors import RecoupError

P = ParamSpec("P")
R = TypeVar("R")

err = Console(stderr=True)
# Piped output keeps tables whole instead of squeezing them into 80 columns.
out = Console() if sys.stdout.isatty() else Console(width=140)


@dataclass
class Globals:
    database_url: str | None = None
    quiet: bool = False

    def app(self, *, init: bool = True) -> App:
        return build(Settings(), database_url=self.database_url, init=init)

    @property
    def show_progress(self) -> bool:
        return not self.quiet and err.is_terminal


def globals_of(ctx: typer.Context) -> Globals:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Globals) else Globals()


def fail(message: str) -> typer.Exit:
    """Print one clear line (or a few, for file problems) on stderr and exit 1: a user error."""
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code=1)


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn Recoup's own errors and unreadable files into exit code 1 with a message naming what and where."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except RecoupError as exc:
            location = getattr(exc, "located", None)
            raise fail(location() if callable(location) else exc.message) from None
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            raise fail(f"{exc.filename}: {exc.strerror}") from None

    return wrapper


def parse_date(value: str | None, option: str = "--date") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


@contextmanager
def progress(enabled: bool, total: int | None = None, description: str = "") -> Iterator[Callable[..., Any]]:
    """A Rich progress bar on a terminal; silent when piped or --quiet. Yields advance(description=...)."""
    if not enabled:
        yield lambda *args, **kwargs: None
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(description, total=total)

        def advance(step: float = 1, **fields: Any) -> None:
            bar.update(task, advance=step, **fields)

        yield advance
