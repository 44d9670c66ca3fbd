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
from typing import TYPE_CHECKING

from playground.core import design
from playground.core.model_files import MAX_HIDDEN_LAYERS
from playground.core.specs import LayerSpec, TrainSettings

if TYPE_CHECKING:  # only named in annotations: this module never loads Qt
    from playground.training.state import AppState

SETTINGS_KEY = "state/settings"
LAYERS_KEY = "state/layers"
TRAIN_ON_MY_DIGITS_KEY = "myDigits/trainWithThem"  # My digits' "Add my digits to the training data"
MAX_SAVED_TEXT = 4_000_000  # characters: 20,000 layers take 1 MB; json reads 4 MB in ~50 ms


def settings_to_text(settings: TrainSettings) -> str:
    return json.dumps(asdict(settings), sort_keys=True)


def layers_to_text(layers) -> str:
    """Dense rows as they always were (``{"units", "activation", "dropout"}``, so an older version
    reads them); any other kind as ``{"kind": "Conv2D", "settings": {"filters": 32, ...}}``."""
    return json.dumps([asdict(spec) if isinstance(spec, LayerSpec) else {"kind": spec.kind, "settings": dict(spec.settings)}
                       for spec in layers])


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


def read_flag(value) -> bool:
    """A saved yes/no: True only for a real True or the text "true" (how an .ini file keeps it)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


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
    with state.loading():  # restored, not edited: nothing for the undo history
        return _restore_settings(state, data)


def _restore_settings(state: AppState, data: dict) -> int:
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
        spec = _layer_from(item)
        if spec is None:
            return unreadable
        specs.append(spec)
    before = state.layers
    with state.loading():  # restored, not edited: nothing for the undo history
        state.set_layers(specs)  # checked by the engine as a whole below
        if state.network_errors():
            state.set_layers(before)
            return unreadable
    return note


def _layer_from(item):
    """One saved row, or None when it is not one: a Dense row (``units``, ``activation``,
    ``dropout``: every version wrote these) or a row of a kind the playground offers, with only
    the settings that kind shows (pairs written as JSON lists come back as tuples)."""
    if not isinstance(item, dict):
        return None
    if "kind" not in item:
        units = _coerce(item.get("units"), 1)
        activation = _coerce(item.get("activation"), "")
        dropout = _coerce(item.get("dropout", 0.0), 0.0)
        if units is None or activation is None or dropout is None:
            return None
        return LayerSpec(units, activation, dropout)
    kind, settings = item.get("kind"), item.get("settings", {})
    if kind not in design.kinds() or kind == "Dense" or not isinstance(settings, dict):
        return None
    if set(settings) - set(design.settings_of(kind)):
        return None
    values = {name: _setting_value(value) for name, value in settings.items()}
    if any(value is _UNREADABLE for value in values.values()):
        return None
    return design.layer_row(kind, **values)


_UNREADABLE = object()


def _setting_value(value):
    """A saved setting: a number, a name, null, or a pair of whole numbers (a JSON list)."""
    if isinstance(value, list):
        pair = tuple(_coerce(v, 1) for v in value)
        return pair if len(pair) == 2 and None not in pair else _UNREADABLE
    if value is None or isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value if not isinstance(value, float) or math.isfinite(value) else _UNREADABLE
    return _UNREADABLE
