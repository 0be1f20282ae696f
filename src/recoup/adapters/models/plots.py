"""The calibration plot of a validation report, drawn with matplotlib's Agg backend into a PNG file.

The figure is built on its own Agg canvas (no pyplot, no global backend switch), so plotting works on
a server with no display and never disturbs another user of matplotlib in the same process.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def calibration_plot(tables: Mapping[str, pl.DataFrame], path: Path, *, title: str) -> Path:
    """Observed against predicted rate per bin, one line per model; the diagonal is perfect calibration.

    ``tables`` maps a model name to its calibration table (mean_predicted, observed_rate).
    """
    figure = Figure(figsize=(6, 6), dpi=100)
    FigureCanvasAgg(figure)  # attaches the Agg canvas that savefig draws on
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    for name, table in tables.items():
        axes.plot(
            table.get_column("mean_predicted").to_list(),
            table.get_column("observed_rate").to_list(),
            marker="o",
            linewidth=1.5,
            label=name,
        )
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("predicted probability (mean per bin)")
    axes.set_ylabel("observed rate")
    axes.set_title(title)
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", bbox_inches="tight")
    return path
