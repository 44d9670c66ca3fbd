"""The learner's design and recipe as plain data: checks that need no window."""
import json
import subprocess
import sys
from dataclasses import replace

from playground.specs import (
    CHAPTER_NETWORK, MAX_PARAMS, SETTING_RANGES, LayerSpec, TrainSettings, network_errors, parameter_count,
    settings_errors,
)


def test_the_pure_modules_do_not_import_qt():
    code = ("import sys, playground.specs, playground.data_loading, playground.training_data, "
            "playground.model_files, playground.drawing, playground.slicing, playground.tensor_text, "
            "playground.network_text, playground.optimizer_text; "
            "assert 'PySide6' not in sys.modules, sorted(m for m in sys.modules if 'PySide6' in m)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_chapter_network_has_407050_parameters():
    assert parameter_count(CHAPTER_NETWORK) == 407_050
    assert network_errors(CHAPTER_NETWORK) == []


def test_a_network_too_big_for_the_app_is_refused_with_its_size():
    huge = (LayerSpec(8192), LayerSpec(8192))
    assert parameter_count(huge) > MAX_PARAMS
    assert "parameters" in network_errors(huge)[0]


def test_the_defaults_are_valid_and_every_range_is_enforced():
    assert settings_errors(TrainSettings()) == []
    for name, (low, high) in SETTING_RANGES.items():
        too_big = high * 2 if isinstance(high, float) else high + 1
        errors = settings_errors(replace(TrainSettings(), **{name: too_big}))
        assert len(errors) == 1, name
    assert "positive" in settings_errors(replace(TrainSettings(), learning_rate=0.0))[0]
    assert "number" in settings_errors(replace(TrainSettings(), rho=float("nan")))[0]


def test_settings_from_a_hand_edited_file_never_stop_the_app(qtbot):
    from playground.persistence import restore_settings
    from playground.state import AppState

    state = AppState()
    text = json.dumps({"seed": 3_000_000_000, "epochs": 10**400, "batch_size": 1e300, "rho": 5.0,
                       "learning_rate": -3.0, "momentum": 0.5})
    assert restore_settings(state, text) == 1  # only momentum is a value the panels can show
    assert state.settings == replace(TrainSettings(), momentum=0.5)
