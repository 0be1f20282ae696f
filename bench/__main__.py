"""Run the benchmarks: `python -m bench [--only NAME ...] [--scale S] [--json FILE]`.

Each bench/bench_<area>.py exposes run(scale) -> list of rows. Rows carry their own baseline measured
in the same run, so the ratios stay meaningful on a noisy machine.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent


def _areas() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def _machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def _print(rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"Recoup benchmarks {datetime.now(UTC):%Y-%m-%d} ({_machine()})")
    for column in ("benchmark", "n", "seconds", "rate_per_s", "baseline", "ratio", "target"):
        table.add_column(
            column, justify="right" if column in ("n", "seconds", "rate_per_s", "ratio") else "left"
        )
    for row in rows:
        table.add_row(
            str(row.get("benchmark")),
            f"{row['n']:,}" if isinstance(row.get("n"), int) else str(row.get("n", "")),
            f"{row['seconds']:.3f}" if isinstance(row.get("seconds"), (int, float)) else "",
            f"{row['rate_per_s']:,.0f}" if isinstance(row.get("rate_per_s"), (int, float)) else "",
            str(row.get("baseline", "")),
            f"{row['ratio']:.2f}" if isinstance(row.get("ratio"), (int, float)) else "",
            str(row.get("target", "")),
        )
    Console(width=170).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=_areas(), help="areas to run (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (1.0 = the issue's sizes)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for area in args.only or _areas():
        started = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{area}")
        print(f"running {area} ...", file=sys.stderr, flush=True)
        for row in module.run(args.scale):
            rows.append({"area": area, **row})
        print(f"  {area} done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    _print(rows)
    if args.json:
        args.json.write_text(json.dumps({"machine": _machine(), "rows": rows}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
