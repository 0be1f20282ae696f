from __future__ import annotations

from pathlib import Path

import numpy as np

from recoup.adapters.models.plots import calibration_plot
from recoup.core.scoring.metrics import calibration_table


def test_the_calibration_plot_is_a_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    probability = rng.random(500)
    labels = (rng.random(500) < probability).astype(int)
    table = calibration_table(labels, probability)
    path = calibration_plot(
        {"scorecard": table, "gbm": table}, tmp_path / "out" / "calibration.png", title="t"
    )
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000  # axes, two lines and a legend, not an empty canvas
