"""Optimizer panel: each control writes state.settings; only the chosen optimizer's knobs show."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

import engine
from playground.panels.optimizer_panel import OptimizerPanel
from playground.text.optimizer_text import (
    ALL_HYPERPARAMETERS, DEFAULT_LEARNING_RATE, HYPERPARAMETERS, keras_calls, keras_defaults,
)
from playground.training.state import LOSSES, AppState, TrainSettings


@pytest.fixture
def panel(qtbot):
    widget = OptimizerPanel(AppState())
    qtbot.addWidget(widget)
    return widget


def choose(combo, data):
    index = combo.findData(data)
    assert index >= 0
    combo.setCurrentIndex(index)
    combo.activated.emit(index)  # what a user's pick emits


def shown_hyperparameters(panel):
    return {name for name in ALL_HYPERPARAMETERS if not panel._fields[name].isHidden()}


def type_into(qtbot, spin, text):
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key_Return)


def test_combo_has_friendly_labels_and_engine_names(panel):
    combo = panel.optimizer_combo
    assert combo.objectName() == "optimizerCombo"
    items = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
    assert items == [("RMSprop", "rmsprop"), ("SGD", "sgd"), ("Adam", "adam"), ("Adagrad", "adagrad")]
    assert combo.currentData() == "rmsprop"  # the chapter's optimizer
    assert panel.learning_rate_spin.value() == pytest.approx(0.001)


@pytest.mark.parametrize("name", ["sgd", "adam", "adagrad", "rmsprop"])
def test_switching_shows_only_that_optimizers_hyperparameters(panel, name):
    other = "adam" if name == "rmsprop" else "rmsprop"
    panel.state.set_settings(optimizer=other, learning_rate=0.3)  # switching resets the rate
    choose(panel.optimizer_combo, name)
    assert panel.state.settings.optimizer == name
    assert panel.state.settings.learning_rate == DEFAULT_LEARNING_RATE[name]
    assert panel.learning_rate_spin.value() == pytest.approx(DEFAULT_LEARNING_RATE[name])
    assert shown_hyperparameters(panel) == set(HYPERPARAMETERS[name])
    assert set(HYPERPARAMETERS[name]) == set(TrainSettings(optimizer=name).optimizer_kwargs())
    assert panel.state.build_model()  # the engine accepts exactly these keyword arguments


def test_rules_explain_each_optimizer(panel):
    assert "running average of recent gradient magnitudes" in panel.rule_label.text()
    choose(panel.optimizer_combo, "sgd")
    assert "momentum" in panel.rule_label.text()
    choose(panel.optimizer_combo, "adam")
    assert "beta_2" in panel.rule_label.text()


@pytest.mark.parametrize(
    "attribute, field, value",
    [
        ("learning_rate_spin", "learning_rate", 0.05),
        ("momentum_spin", "momentum", 0.9),
        ("rho_spin", "rho", 0.95),
        ("beta_1_spin", "beta_1", 0.8),
        ("beta_2_spin", "beta_2", 0.99),
        ("epsilon_spin", "epsilon", 1e-5),
        ("accumulator_spin", "initial_accumulator_value", 0.2),
        ("batch_size_spin", "batch_size", 32),
        ("epochs_spin", "epochs", 12),
        ("validation_spin", "validation_split", 0.2),
        ("train_size_spin", "train_size", 5000),
        ("seed_spin", "seed", 42),
    ],
)
def test_each_spin_writes_its_setting(panel, qtbot, attribute, field, value):
    with qtbot.waitSignal(panel.state.settings_changed):
        getattr(panel, attribute).setValue(value)
    assert getattr(panel.state.settings, field) == pytest.approx(value)


def test_nesterov_and_loss_write_settings(panel):
    choose(panel.optimizer_combo, "sgd")
    panel.nesterov_check.setChecked(True)
    assert panel.state.settings.nesterov is True
    for loss in LOSSES:
        choose(panel.loss_combo, loss)
        assert panel.state.settings.loss == loss


def test_zero_learning_rate_is_refused_with_an_inline_message(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    type_into(qtbot, panel.learning_rate_spin, "0")
    assert panel.state.settings.learning_rate == 0
    assert panel.state.training_errors()  # Train stays disabled
    assert panel.learning_rate_error.isVisible()
    assert "learning rate must be a positive number" in panel.learning_rate_error.text().lower()
    type_into(qtbot, panel.learning_rate_spin, "2e-4")  # scientific notation is fine
    assert panel.state.settings.learning_rate == pytest.approx(2e-4)
    assert not panel.learning_rate_error.isVisible()
    assert panel.state.settings_errors() == []


def test_letters_cannot_be_typed_into_a_rate(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    type_into(qtbot, panel.learning_rate_spin, "fast")
    assert panel.state.settings.learning_rate == pytest.approx(0.001)


def test_other_settings_errors_are_shown_under_their_fields(panel):
    panel.state.set_settings(validation_split=1.0, batch_size=0)
    split, batch = panel.findChild(QLabel, "validationSplitError"), panel.findChild(QLabel, "batchSizeError")
    assert not split.isHidden() and "Validation split must be between 0 and 0.9" in split.text()
    assert not batch.isHidden() and "Batch size must be between 1 and 60,000" in batch.text()
    assert panel.validation_spin.property("invalid") and panel.batch_size_spin.property("invalid")
    assert panel.error_label.isHidden()  # said once, on the field
    panel.state.set_settings(validation_split=0.1, batch_size=64)
    assert split.isHidden() and batch.isHidden() and panel.error_label.isHidden()
    assert not panel.validation_spin.property("invalid")


def test_learning_rate_arrows_step_on_a_log_scale(panel):
    spin = panel.learning_rate_spin
    spin.stepBy(1)
    assert spin.value() == pytest.approx(0.002)
    spin.stepBy(2)
    assert spin.value() == pytest.approx(0.01)
    spin.stepBy(-3)
    assert spin.value() == pytest.approx(0.001)
    spin.setValue(1e-10)
    spin.stepBy(-1)
    assert spin.value() == 0  # the bottom of the range: an invalid rate, reported inline


@pytest.mark.parametrize("name", ["rmsprop", "sgd", "adam", "adagrad"])
def test_keras_defaults_match_the_engine_and_the_button_restores_them(panel, name):
    engine_defaults = engine.optimizers.get(name).get_config()
    ours = keras_defaults(name)
    for key in HYPERPARAMETERS[name]:
        assert ours[key] == pytest.approx(engine_defaults[key]), key
    choose(panel.optimizer_combo, name)
    panel.state.set_settings(learning_rate=0.5, momentum=0.5, rho=0.5, beta_1=0.5, beta_2=0.5,
                             epsilon=0.5, initial_accumulator_value=0.5, nesterov=True)
    panel.defaults_button.click()
    s = panel.state.settings
    for key in HYPERPARAMETERS[name]:
        assert getattr(s, key) == pytest.approx(engine_defaults[key]), key


def test_keras_code_in_r_and_python(panel):
    text = panel.code_label.text()
    assert "optimizer_rmsprop(learning_rate = 0.001)" in text
    assert "keras.optimizers.RMSprop(learning_rate=0.001)" in text
    assert "epochs = 5, batch_size = 128" in text
    choose(panel.optimizer_combo, "sgd")
    panel.momentum_spin.setValue(0.9)
    panel.nesterov_check.setChecked(True)
    text = panel.code_label.text()
    assert "optimizer_sgd(learning_rate = 0.01, momentum = 0.9, nesterov = TRUE)" in text
    assert "keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)" in text
    assert keras_calls(TrainSettings(optimizer="adam", epsilon=1e-8))[1] == (
        "keras.optimizers.Adam(learning_rate=0.001, epsilon=1e-8)"
    )


def test_follows_settings_changed_elsewhere(panel):
    panel.state.set_settings(optimizer="adam", learning_rate=0.003, beta_1=0.85, epochs=7, seed=9,
                             loss="sparse_categorical_crossentropy", train_size=1000)
    assert panel.optimizer_combo.currentData() == "adam"
    assert panel.learning_rate_spin.value() == pytest.approx(0.003)
    assert panel.beta_1_spin.value() == pytest.approx(0.85)
    assert panel.epochs_spin.value() == 7 and panel.seed_spin.value() == 9
    assert panel.loss_combo.currentData() == "sparse_categorical_crossentropy"
    assert panel.train_size_spin.value() == 1000
    assert shown_hyperparameters(panel) == {"learning_rate", "beta_1", "beta_2", "epsilon"}


def test_training_size_spans_the_dataset(qtbot):
    from playground.core.data_loading import load_sample_dataset

    widget = OptimizerPanel(AppState(load_sample_dataset()))
    qtbot.addWidget(widget)
    assert widget.train_size_spin.maximum() == 6000
    assert widget.train_size_spin.text() == "All"  # 0 means every training digit


def test_locked_while_training(panel):
    panel.state.set_training(True)
    assert not panel.optimizer_combo.isEnabled() and not panel.learning_rate_spin.isEnabled()
    assert not panel.epochs_spin.isEnabled() and not panel.lock_label.isHidden()
    panel.state.set_training(False, "stopped")
    assert panel.optimizer_combo.isEnabled() and panel.epochs_spin.isEnabled()
    assert panel.lock_label.isHidden()


def test_contract_object_names(panel):
    from PySide6.QtWidgets import QWidget

    for name in ("optimizerCombo", "learningRateSpin", "batchSizeSpin", "epochsSpin", "lossCombo",
                 "validationSplitSpin", "trainSizeSpin", "seedSpin", "kerasDefaultsButton"):
        assert panel.findChild(QWidget, name) is not None, name


def test_invalid_tint_follows_a_theme_switch(panel, qtbot):
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    original = app.palette()
    panel.state.set_settings(learning_rate=0.0)
    light_tint = panel.learning_rate_spin.lineEdit().palette().color(QPalette.Base)
    assert light_tint != panel.palette().color(QPalette.Base)
    dark = QPalette(original)
    dark.setColor(QPalette.Base, QColor("#1e1f22"))
    try:
        app.setPalette(dark)
        qtbot.waitUntil(lambda: panel.learning_rate_spin.lineEdit().palette().color(QPalette.Base) != light_tint)
        assert panel.learning_rate_spin.lineEdit().palette().color(QPalette.Base).lightness() < 128  # dark red
        panel.state.set_settings(learning_rate=0.01)
        assert panel.learning_rate_spin.lineEdit().palette().color(QPalette.Base) == QColor("#1e1f22")
    finally:
        app.setPalette(original)


# -- each optimizer keeps its own hyperparameters (issue 12, item 3) ---------------------------
def test_sgd_momentum_does_not_follow_the_learner_to_rmsprop_and_comes_back_with_sgd(panel):
    choose(panel.optimizer_combo, "sgd")
    panel.momentum_spin.setValue(0.9)
    panel.learning_rate_spin.setValue(0.05)
    choose(panel.optimizer_combo, "rmsprop")
    rmsprop = engine.optimizers.RMSprop().get_config()
    assert panel.state.settings.momentum == rmsprop["momentum"] == 0.0  # once carried over as 0.9
    assert panel.momentum_spin.value() == 0.0
    assert panel.state.settings.learning_rate == rmsprop["learning_rate"]
    assert panel.state.settings.optimizer_kwargs() == {k: v for k, v in rmsprop.items() if k != "name"}
    panel.rho_spin.setValue(0.8)
    choose(panel.optimizer_combo, "sgd")
    assert (panel.state.settings.momentum, panel.state.settings.learning_rate) == (0.9, 0.05)
    choose(panel.optimizer_combo, "rmsprop")
    assert panel.state.settings.rho == 0.8  # RMSprop kept its own too


@pytest.mark.parametrize("name", ["sgd", "adam", "adagrad"])
def test_an_optimizer_chosen_first_starts_from_the_engines_keras_defaults(panel, name):
    panel.state.set_settings(momentum=0.5, epsilon=0.5, rho=0.5, learning_rate=0.5)  # RMSprop's, changed
    choose(panel.optimizer_combo, name)
    config = engine.optimizers.get(name).get_config()
    assert panel.state.settings.optimizer_kwargs() == {k: v for k, v in config.items() if k != "name"}


# -- epsilon 0 where it divides 0 by 0 (issue 12, item 19) --------------------------------------
@pytest.mark.parametrize("name, accumulator, refused", [
    ("rmsprop", 0.1, True), ("adam", 0.1, True), ("adagrad", 0.0, True), ("adagrad", 0.1, False),
])
def test_epsilon_zero_is_refused_where_it_divides_zero_by_zero(panel, qtbot, name, accumulator, refused):
    panel.show()
    qtbot.waitExposed(panel)
    choose(panel.optimizer_combo, name)
    panel.state.set_settings(initial_accumulator_value=accumulator)
    type_into(qtbot, panel.epsilon_spin, "0")
    assert panel.state.settings.epsilon == 0.0
    error = panel.findChild(QLabel, "epsilonError")
    assert bool(panel.state.settings_errors()) is refused
    assert error.isVisible() is refused and bool(panel.epsilon_spin.property("invalid")) is refused
    if refused:
        assert "above 0 and at most 1" in error.text() and "0 / 0" in error.text()
        assert "No code until the recipe can train" in panel.code_label.text()
