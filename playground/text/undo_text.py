"""What an undo step is called, read from the values before and after it (no Qt: tested on its own).

The undo history sees only the state's values, never which button made them, so the words are
worked out from the difference, the way the learner would say it:

    settings: "Change learning rate to 0.01", "Change optimizer to Adam",
              "Reset Adam's hyperparameters to Keras defaults", "Change epochs and batch size"
    layers:   "Add Dense layer", "Remove Conv2D 1", "Swap layers 1 and 2",
              "Change units of Dense 1 to 256", "Use preset Chapter 5: small convnet"

``settings_key`` and ``layer_key`` name what a one-field edit touched (``None`` for anything
bigger): two edits with the same key in quick succession become one undo step.
"""
from __future__ import annotations

from dataclasses import fields

from playground.core import design
from playground.core.specs import PRESETS, TrainSettings
from playground.text.network_text import setting_text
from playground.text.number_text import number_text
from playground.text.optimizer_text import LABELS, LOSS_LABELS, keras_defaults

SETTING_WORDS = {  # TrainSettings field -> how a sentence names it
    "optimizer": "optimizer", "learning_rate": "learning rate", "momentum": "momentum", "nesterov": "nesterov",
    "rho": "rho", "beta_1": "beta_1", "beta_2": "beta_2", "epsilon": "epsilon",
    "initial_accumulator_value": "initial accumulator value", "loss": "loss", "batch_size": "batch size",
    "epochs": "epochs", "validation_split": "validation split", "train_size": "training digits", "seed": "random seed",
}
SETTING_NAMES = tuple(f.name for f in fields(TrainSettings))


def changed_settings(old: TrainSettings, new: TrainSettings) -> list[str]:
    """The fields whose values differ, in the settings' own order."""
    return [name for name in SETTING_NAMES if getattr(old, name) != getattr(new, name)]


def setting_value_text(name: str, value) -> str:
    if name == "optimizer":
        return LABELS.get(value, str(value))
    if name == "loss":
        label = LOSS_LABELS.get(value, str(value)).split(" (")[0]
        return label[:1].lower() + label[1:]  # "mean squared error", mid-sentence
    if name == "train_size" and value == 0:
        return "all"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value)
    return str(value)


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_settings(old: TrainSettings, new: TrainSettings) -> str:
    changed = changed_settings(old, new)
    if not changed:
        return "Change nothing"
    if "optimizer" in changed:  # switching brings the new optimizer's own hyperparameters with it
        return f"Change optimizer to {setting_value_text('optimizer', new.optimizer)}"
    if len(changed) == 1:
        name = changed[0]
        if name == "nesterov":
            return f"Turn nesterov {'on' if new.nesterov else 'off'}"
        return f"Change {SETTING_WORDS[name]} to {setting_value_text(name, getattr(new, name))}"
    defaults = keras_defaults(new.optimizer)
    if all(name in defaults and getattr(new, name) == defaults[name] for name in changed):
        return f"Reset {LABELS.get(new.optimizer, new.optimizer)}'s hyperparameters to Keras defaults"
    return "Change " + _listed([SETTING_WORDS[name] for name in changed])


def settings_key(old: TrainSettings, new: TrainSettings):
    """The one field a change touched, or None when it touched several."""
    changed = changed_settings(old, new)
    return ("settings", changed[0]) if len(changed) == 1 else None


def _name(row, index: int) -> str:
    """A row as the Network panel's Layer column names it: "Dense 1" (1 is the first hidden layer)."""
    return f"{row.kind} {index + 1}"


def _one_setting(old: tuple, new: tuple):
    """(row index, setting name) when exactly one setting of one row differs, else None."""
    if len(old) != len(new) or [r.kind for r in old] != [r.kind for r in new]:
        return None
    differences = [(i, name) for i, (a, b) in enumerate(zip(old, new))
                   for name in sorted(set(design.values_of(a)) | set(design.values_of(b)))
                   if design.values_of(a).get(name) != design.values_of(b).get(name)]
    return differences[0] if len(differences) == 1 else None


def describe_layers(old: tuple, new: tuple) -> str:
    old, new = tuple(old), tuple(new)
    if len(new) == len(old) + 1:
        for i in range(len(new)):
            if new[:i] + new[i + 1:] == old:
                return f"Add {new[i].kind} layer"
    if len(new) == len(old) - 1:
        for i in range(len(old)):
            if old[:i] + old[i + 1:] == new:
                return f"Remove {_name(old[i], i)}"
    if len(new) == len(old) and sorted(map(repr, old)) == sorted(map(repr, new)):
        moved = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
        if len(moved) == 2 and moved[1] == moved[0] + 1 and new[moved[0]] == old[moved[1]]:
            # moving row 2 up is moving row 1 down: say what happened to both
            return f"Swap layers {moved[0] + 1} and {moved[1] + 1}"
    edit = _one_setting(old, new)
    if edit is not None:
        i, name = edit
        value = design.values_of(new[i]).get(name)
        shown = setting_text(name, value) if not isinstance(value, str) else value
        return f"Change {name.replace('_', ' ')} of {_name(new[i], i)} to {shown or 'default'}"
    for preset_name, preset in PRESETS.items():
        if design.normalised(preset) == new:
            return f"Use preset {preset_name}"
    return "Change the network"


def layer_key(old: tuple, new: tuple):
    """(row, setting) when a change edited one setting of one row, else None."""
    edit = _one_setting(tuple(old), tuple(new))
    return ("layers", *edit) if edit is not None else None
