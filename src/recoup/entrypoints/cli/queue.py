"""`recoup queue --date D`: the agents' work queues of a day, each call or visit with its allowed window."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Final

import polars as pl
import typer
from rich.table import Table

from recoup.entrypoints.cli.common import globals_of, out, parse_date, user_errors
from recoup.services.work_queues import QUEUE_CHANNELS, as_text, day_queue

FORMATS: Final = ("table", "csv", "json")


def _choice(value: str | None, known: tuple[str, ...], option: str) -> str | None:
    if value is not None and value not in known:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(known)}", param_hint=option)
    return value


HEADERS: Final = {
    "priority": "#",
    "window_local": "window (local)",
    "zone": "zone",
    "window_utc": "window (UTC)",
    "debtor_name": "debtor",
    "account_id": "account",
    "balance": "balance",
    "expected_recovery": "expected",
    "segment": "segment",
    "status": "status",
}
_RIGHT: Final = ("priority", "balance", "expected_recovery")
_WHOLE: Final = (
    "priority",
    "window_local",
    "zone",
    "window_utc",
    "account_id",
    "balance",
    "expected_recovery",
)


def print_queues(queue: pl.DataFrame, day: date) -> None:
    """One table per creditor and channel, in priority order."""
    for (creditor, channel), rows in queue.group_by("creditor_id", "channel", maintain_order=True):
        table = Table(title=f"{creditor} {channel} queue {day} ({rows.height})")
        for column, header in HEADERS.items():
            table.add_column(
                header,
                justify="right" if column in _RIGHT else "left",
                no_wrap=column in _WHOLE,
                overflow="fold",
            )
        for row in rows.select(list(HEADERS)).iter_rows():
            table.add_row(*("" if value is None else str(value) for value in row))
        out.print(table)


@user_errors
def queue(
    ctx: typer.Context,
    run_date: Annotated[str, typer.Option("--date", help="run date YYYY-MM-DD")],
    creditor: Annotated[str | None, typer.Option("--creditor", help="one creditor's queue")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="call or visit (default: both)")] = None,
    output: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="the first N of each queue")] = None,
) -> None:
    """The calls (and visits) of a run date per creditor, by expected value, with each debtor's window."""
    day = parse_date(run_date)
    assert day is not None
    _choice(channel, QUEUE_CHANNELS, "--channel")
    _choice(output, FORMATS, "--format")
    app = globals_of(ctx).app()
    try:
        found = day_queue(app.db, day, creditor=creditor, channel=channel, limit=limit)
    finally:
        app.close()
    shown = as_text(found)
    if output == "table" and found.height == 0:
        out.print(
            f"no {channel or 'call or visit'} queued for {day}" + (f" ({creditor})" if creditor else "")
        )
    elif output == "csv":
        print(shown.write_csv(), end="")
    elif output == "json":
        print(json.dumps(shown.to_dicts(), ensure_ascii=False))
    else:
        print_queues(shown, day)
