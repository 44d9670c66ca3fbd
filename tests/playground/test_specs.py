"""The learner's design and recipe as plain data: checks that need no window."""
import json
from dataclasses import replace

from playground.core.specs import (
    CHAPTER_NETWORK, MAX_PARAMS, SETTING_RANGES, LayerSpec, TrainSettings, network_errors, parameter_count,
    setting_error, setting_range, settings_errors, split_sizes,
)
from playground.text.number_text import number_text


def test_the_chapter_network_has_407050_parameters():
    assert parameter_count(CHAPTER_NETWORK) == 407_050
    assert network_errors(CHAPTER_NETWORK) == []


def test_a_network_too_big_for_the_app_is_refused_with_its_size():
    huge = (LayerSpec(8192), LayerSpec(8192))
    assert parameter_count(huge) > MAX_PARAMS
    assert "parameters" in network_errors(huge)[0]


def test_the_defaults_are_valid_and_every_range_is_enforced():
    assert settings_errors(TrainSettings()) == []
    users = {"beta_1": "adam", "beta_2": "adam", "initial_accumulator_value": "adagrad"}  # RMSprop has none
    for name, (low, high) in SETTING_RANGES.items():
        too_big = high * 2 if isinstance(high, float) else high + 1
        errors = settings_errors(replace(TrainSettings(), optimizer=users.get(name, "rmsprop"), **{name: too_big}))
        assert len(errors) == 1, name
        assert f"{number_text(high)}" in errors[0], errors  # the message gives the range
    assert "positive" in settings_errors(replace(TrainSettings(), learning_rate=0.0))[0]
    assert "0 in float32" in settings_errors(replace(TrainSettings(), learning_rate=1e-50))[0]  # never trains
    assert settings_errors(replace(TrainSettings(), learning_rate=1e-20)) == []  # tiny but used as shown
    assert "number" in settings_errors(replace(TrainSettings(), rho=float("nan")))[0]


def test_the_chapters_defaults_are_the_engines_rmsprop_defaults():
    import engine

    config = engine.optimizers.RMSprop().get_config()
    assert TrainSettings().optimizer_kwargs() == {k: v for k, v in config.items() if k != "name"}


def test_a_hidden_hyperparameter_never_stops_training():
    """Adam's beta_1 is not used by RMSprop: whatever it holds, RMSprop trains."""
    assert settings_errors(TrainSettings(optimizer="rmsprop", beta_1=7.0)) == []
    assert "Beta 1" in settings_errors(TrainSettings(optimizer="adam", beta_1=7.0))[0]


def test_training_digits_go_up_to_the_datasets_size():
    assert setting_range("train_size", 6000) == (0, 6000)
    assert setting_range("train_size") == SETTING_RANGES["train_size"]
    assert setting_range("batch_size", 100) == SETTING_RANGES["batch_size"]  # one batch of them all, as Keras
    sample = replace(TrainSettings(), train_size=7000)
    assert settings_errors(sample) == []  # no dataset: the fixed ranges
    assert settings_errors(sample, 6000) == ["Training digits must be between 1 and 6,000 (0 for all of them), got 7,000"]


# -- a recipe that cannot train is caught before Train (issue 12, item 4) --------------------
def test_a_split_that_leaves_no_digit_to_train_on_is_refused_with_what_would_work():
    errors = settings_errors(TrainSettings(train_size=1, validation_split=0.9), 6000)
    assert errors == ["Validation split 0.9 of 1 training digit leaves nothing to train on: "
                      "use at least 11 training digits or a different split"]
    assert settings_errors(TrainSettings(train_size=11, validation_split=0.9), 6000) == []
    assert settings_errors(TrainSettings(train_size=0, validation_split=0.9), 6000) == []  # all 6,000


def test_a_split_that_leaves_no_digit_to_validate_on_is_refused():
    errors = settings_errors(TrainSettings(validation_split=1e-17), 6000)  # 1 - 1e-17 is 1.0
    assert errors and "leaves nothing to validate on" in errors[0]


def test_the_split_rule_is_the_engines_fit():
    """For every small training set and split, the rule refuses exactly what ``fit`` would raise on."""
    import numpy as np

    import engine
    from engine.layers import Dense

    model = engine.Sequential([Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    for split in (0.05, 0.1, 0.3, 0.5, 0.9):
        for n in range(1, 25):
            refused = bool(settings_errors(TrainSettings(train_size=n, validation_split=split), 60))
            x, y = np.zeros((n, 3), np.float32), np.eye(2, dtype=np.float32)[np.zeros(n, int)]
            try:
                model.fit(x, y, epochs=0, verbose=0, validation_split=split)
                raised = False
            except ValueError:
                raised = True
            assert refused == raised, (n, split)
            assert split_sizes(n, split)[0] + split_sizes(n, split)[1] == n


# -- epsilon 0 where it divides 0 by 0 (issue 12, item 19) ------------------------------------
def test_epsilon_zero_is_refused_where_it_divides_zero_by_zero():
    def error(**changes):
        return setting_error(TrainSettings(**changes), "epsilon")

    assert "0 / 0" in error(optimizer="rmsprop", epsilon=0.0)
    assert "0 / 0" in error(optimizer="adam", epsilon=0.0)
    assert "float32" in error(optimizer="adam", epsilon=1e-50)  # 0 in the engine's float32
    assert error(optimizer="adam", epsilon=1e-30) is None
    assert error(optimizer="adagrad", epsilon=0.0) is None  # its accumulator starts at 0.1
    assert "0 / 0" in error(optimizer="adagrad", epsilon=0.0, initial_accumulator_value=0.0)
    assert error(optimizer="sgd", epsilon=0.0) is None  # SGD has no epsilon


def test_zero_epsilon_really_divides_zero_by_zero_in_the_engine():
    """What the rule guards against: a weight whose gradient is always 0 turns NaN."""
    import numpy as np

    import engine

    for name, kwargs in (("rmsprop", {}), ("adam", {}), ("adagrad", {"initial_accumulator_value": 0.0})):
        try:
            optimizer = engine.optimizers.get(name, epsilon=0.0, **kwargs)
        except ValueError:  # the engine refuses it itself: nothing to show
            continue
        weight = np.ones(3, np.float32)
        optimizer.apply([weight], [np.zeros(3, np.float32)])
        assert np.isnan(weight).all(), name


def test_settings_from_a_hand_edited_file_never_stop_the_app(qtbot):
    from playground.core.persistence import restore_settings
    from playground.training.state import AppState

    state = AppState()
    text = json.dumps({"seed": 3_000_000_000, "epochs": 10**400, "batch_size": 1e300, "rho": 5.0,
                       "learning_rate": -3.0, "momentum": 0.5})
    assert restore_settings(state, text) == 1  # only momentum is a value the panels can show
    assert state.settings == replace(TrainSettings(), momentum=0.5)
