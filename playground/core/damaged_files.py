"""A file the app cannot read is kept, never deleted: it is renamed beside itself with the time
(``runs.damaged-20261203-041500.sqlite``), so that a fresh one can start and nothing is lost."""
from __future__ import annotations

import os
import time
from pathlib import Path


def move_aside(path: Path) -> Path:
    """Rename ``path`` to a free ``<stem>.damaged-<time>[-n]<suffix>`` beside it; returns the new
    path. Raises ``OSError`` when it cannot be renamed."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
    os.replace(path, aside)
    return aside
