"""Remember the learner's design and recipe between launches (QSettings), safely.

Settings files get edited by hand, truncated, or written by an older version. Everything here
is read defensively: a value of the wrong type is skipped, a value that would make the design
invalid is skipped, and in the worst case the chapter's defaults stay. Nothing raises.

What is restored is capped: a value longer than ``MAX_SAVED_TEXT`` characters is ignored, and at
most ``MAX_HIDDEN_LAYERS`` hidden layers come back (a settings file with 20,000 layers once froze
start-up for 30 s while the Network panel built its table); the learner is told what was dropped.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, fields

from playground.model_files import MAX_HIDDEN_LAYERS
from playground.state import AppState, LayerSpec, TrainSettings

SETTINGS_KEY = "state/settings"
LAYERS_KEY = "state/layers"
MAX_SAVED_TEXT = 4_000_000  # characters: 20,000 layers take 1 MB; json reads 4 MB in ~50 ms


def settings_to_text(settings: TrainSettings) -> str:
    return json.dumps(asdict(settings), sort_keys=True)


def layers_to_text(layers) -> str:
    return json.dumps([asdict(spec) for spec in layers])


def _coerce(value, like):
    """``value`` as the type of ``like`` (bool, int, float, str), or None if it is not one."""
    if isinstance(like, bool):
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if isinstance(like, int):
        if isinstance(value, int):
            return value
        return int(value) if isinstance(value, float) and value.is_integer() else None
    if isinstance(like, float):
        try:
            number = float(value) if isinstance(value, (int, float)) else None
        except OverflowError:  # an int too large for a float (10**400)
            return None
        return number if number is not None and math.isfinite(number) else None
    if isinstance(like, str):
        return value if isinstance(value, str) else None
    return None


def _loads(text):
    if not isinstance(text, str) or len(text) > MAX_SAVED_TEXT:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def restore_settings(state: AppState, text) -> int:
    """Apply each saved field that is well-typed and keeps the settings valid; returns how many."""
    data = _loads(text)
    if not isinstance(data, dict):
        return 0
    defaults = TrainSettings()
    applied = 0
    for f in fields(TrainSettings):
        if f.name not in data:
            continue
        value = _coerce(data[f.name], getattr(defaults, f.name))
        if value is None or (f.name in ("seed", "train_size") and value < 0):
            continue
        before = state.settings
        errors_before = len(state.settings_errors())
        state.set_settings(**{f.name: value})
        if len(state.settings_errors()) > errors_before:
            state.set_settings(before)
        else:
            applied += 1
    return applied


def restore_layers(state: AppState, text) -> str | None:
    """Apply the saved hidden layers if every one of them is valid, at most ``MAX_HIDDEN_LAYERS``.

    Returns a sentence for the learner when a saved design could not be restored as it was saved
    (too many layers: the first ``MAX_HIDDEN_LAYERS`` are kept; unreadable or invalid: the
    current design stays), or None when it was (or nothing was saved).
    """
    if text is None:
        return None
    unreadable = "The saved network could not be read, so the chapter's network is open."
    data = _loads(text)
    if not isinstance(data, list):
        return unreadable
    note = None
    if len(data) > MAX_HIDDEN_LAYERS:
        note = (f"The saved network had {len(data):,} hidden layers; the playground restores at most "
                f"{MAX_HIDDEN_LAYERS}, so the first {MAX_HIDDEN_LAYERS} are open.")
        data = data[:MAX_HIDDEN_LAYERS]
    specs = []
    for item in data:
        if not isinstance(item, dict):
            return unreadable
        units = _coerce(item.get("units"), 1)
        activation = _coerce(item.get("activation"), "")
        dropout = _coerce(item.get("dropout", 0.0), 0.0)
        if units is None or activation is None or dropout is None:
            return unreadable
        specs.append(LayerSpec(units, activation, dropout))
    before = state.layers
    state.set_layers(specs)
    if state.network_errors():
        state.set_layers(before)
        return unreadable
    return note
