"""File > Export plots: the training curves as PNG images and their numbers as CSV tables.

``export_png`` renders each pyqtgraph plot at least 1000 px wide (``loss.png``,
``accuracy.png``); ``write_runs_csv`` writes one row per batch or epoch, prefixed with the run's
number and label, with NaN (a gap in the curve) as an empty cell.
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers ImageExporter)

from engine.serialization import atomic_write_bytes


def export_png(plots: Mapping[str, pg.PlotWidget], folder: str | Path) -> list[Path]:
    """``<metric>.png`` in ``folder`` for every plot, twice the on-screen width (1000 px at least)."""
    paths = []
    for metric, plot in plots.items():
        exporter = pg.exporters.ImageExporter(plot.getPlotItem())
        exporter.parameters()["width"] = max(1000, plot.width() * 2)
        path = Path(folder) / f"{metric}.png"
        partial = path.with_name(f".{path.name}.partial.png")  # renamed into place when whole
        try:
            exporter.export(str(partial))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        paths.append(path)
    return paths


def write_runs_csv(path: str | Path, columns: Sequence[str],
                   runs: Iterable[tuple[int, str, np.ndarray]]) -> Path:
    """A CSV of ``run, label, *columns``: every row of each ``(number, label, rows)`` run."""
    path = Path(path)
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(("run", "label", *columns))
    for number, label, rows in runs:
        for row in rows:
            writer.writerow((number, label, *(csv_number(v) for v in row)))
    atomic_write_bytes(path, text.getvalue().encode("utf-8"))
    return path


def csv_number(value: float) -> str:
    """Six significant digits; NaN and infinities (gaps in the curves) as an empty cell."""
    return "" if not np.isfinite(value) else f"{value:.6g}"
