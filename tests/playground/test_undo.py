"""Undo and redo (issue 11, section 3): every design and recipe change is a step of Qt's undo stack,
named in the learner's words; rapid edits of one field are one step; loading is never a step."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction

import engine
from playground.core import design, persistence
from playground.main_window import MainWindow, shortcuts_text
from playground.panels.network_panel import ACTIVATION, DROPOUT, UNITS, NetworkPanel
from playground.panels.optimizer_panel import FLOAT_FIELDS, INT_FIELDS, OptimizerPanel
from playground.text.undo_text import describe_layers, describe_settings
from playground.training.state import CHAPTER_NETWORK, PRESETS, AppState, LayerSpec, TrainSettings
from playground.training.undo import MERGE_SECONDS, UndoHistory

from tests.playground.test_draw_panel import LOOP, VERTICAL, drag


class Clock:
    """A clock the test moves by hand: merging never depends on how fast the machine is."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def later(self, seconds: float = 10 * MERGE_SECONDS) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def panels(qtbot, clock):
    state = AppState()
    network, optimizer = NetworkPanel(state), OptimizerPanel(state)
    for widget in (network, optimizer):
        qtbot.addWidget(widget)
    history = UndoHistory(state, clock=clock)
    return state, network, optimizer, history


def edit(panel, row, column, text):
    panel.table.item(row, column).setText(text)  # what committing a cell's edit does


def undo_and_redo(history, state, before, after, what="layers"):
    """Undo gives ``before`` back, redo ``after``; neither is recorded as a new step."""
    steps = history.stack.count()
    assert history.undo()
    assert getattr(state, what) == before
    assert history.redo()
    assert getattr(state, what) == after
    assert history.stack.count() == steps


# -- the design -------------------------------------------------------------------------------------
def test_adding_a_layer_is_undone_and_redone_and_the_table_follows(panels):
    state, network, _, history = panels
    network.kind_combo.setCurrentText("Dropout")
    network.add_button.click()
    assert history.texts() == ["Add Dropout layer"]
    assert history.undo_text() == "Add Dropout layer"
    added = state.layers
    undo_and_redo(history, state, CHAPTER_NETWORK, added)
    history.undo()
    assert network.table.rowCount() == len(CHAPTER_NETWORK) + 2  # the panel shows what undo gave back


def test_removing_and_moving_layers_are_steps(panels):
    state, network, _, history = panels
    network._write(PRESETS["Deep: 256-128-64 relu"])
    deep = state.layers
    network.table.selectRow(2)
    network.remove_button.click()
    assert history.undo_text() == "Remove Dense 2"
    undo_and_redo(history, state, deep, (deep[0], deep[2]))
    history.undo()
    network.table.selectRow(3)
    network.up_button.click()
    assert history.undo_text() == "Swap layers 2 and 3"
    assert history.redo_text() == ""  # a new step drops the undone one
    undo_and_redo(history, state, deep, (deep[0], deep[2], deep[1]))


def test_each_setting_of_a_layer_is_a_step(panels, clock):
    state, network, _, history = panels
    edit(network, 1, UNITS, "256")
    clock.later()
    network.table.cellWidget(1, ACTIVATION).setCurrentText("tanh")
    clock.later()
    edit(network, 1, DROPOUT, "0.25")
    assert history.texts() == ["Change units of Dense 1 to 256", "Change activation of Dense 1 to tanh",
                               "Change dropout of Dense 1 to 0.25"]
    for layers in ((LayerSpec(256, "tanh", 0.0),), (LayerSpec(256, "relu", 0.0),), CHAPTER_NETWORK):
        history.undo()
        assert state.layers == layers
        assert network.table.item(1, UNITS).text() == str(layers[0].units)
        assert network.table.cellWidget(1, ACTIVATION).currentText() == layers[0].activation
    assert not history.can_undo
    while history.redo():
        pass
    assert state.layers == (LayerSpec(256, "tanh", 0.25),)


def test_a_convnet_setting_and_a_preset_are_steps(panels, clock):
    state, network, _, history = panels
    index = list(PRESETS).index("Chapter 5: small convnet")
    network.preset_combo.setCurrentIndex(index)
    network.preset_combo.activated.emit(index)  # what a learner's pick emits
    assert history.texts() == ["Use preset Chapter 5: small convnet"]
    convnet = state.layers
    clock.later()
    state.set_layers((design.with_value(convnet[0], "filters", 16),) + convnet[1:])
    assert history.undo_text() == "Change filters of Conv2D 1 to 16"
    history.undo()
    undo_and_redo(history, state, design.normalised(CHAPTER_NETWORK), convnet)
    assert network.preset_combo.currentText() == "Chapter 5: small convnet"


def test_an_invalid_value_the_table_keeps_is_a_step_too(panels):
    state, network, _, history = panels
    edit(network, 1, UNITS, "many")  # kept as typed and marked red: the learner fixes it, or undoes it
    assert history.undo_text() == "Change units of Dense 1 to many"
    history.undo()
    assert state.layers == CHAPTER_NETWORK and not state.network_errors()


# -- the recipe -------------------------------------------------------------------------------------
NEW_VALUES = {"learning_rate": 0.01, "momentum": 0.5, "rho": 0.8, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6,
              "initial_accumulator_value": 0.2, "validation_split": 0.2, "batch_size": 64, "epochs": 3,
              "train_size": 1000, "seed": 7}
WORDS = {"learning_rate": "learning rate to 0.01", "momentum": "momentum to 0.5", "rho": "rho to 0.8",
         "beta_1": "beta_1 to 0.8", "beta_2": "beta_2 to 0.99", "epsilon": "epsilon to 1e-6",
         "initial_accumulator_value": "initial accumulator value to 0.2", "validation_split": "validation split to 0.2",
         "batch_size": "batch size to 64", "epochs": "epochs to 3", "train_size": "training digits to 1,000",
         "seed": "random seed to 7"}


@pytest.mark.parametrize("name", [f[0] for f in FLOAT_FIELDS] + [f[0] for f in INT_FIELDS])
def test_every_number_of_the_recipe_is_a_step(panels, name):
    state, _, optimizer, history = panels
    spin = optimizer._fields[name]
    spin.setValue(NEW_VALUES[name])  # as the learner's typing or arrows commit it
    assert getattr(state.settings, name) == NEW_VALUES[name]
    assert history.texts() == [f"Change {WORDS[name]}"]
    undo_and_redo(history, state, TrainSettings(), state.settings, what="settings")
    history.undo()
    assert spin.value() == getattr(TrainSettings(), name)  # the field shows what undo gave back


def test_optimizer_loss_nesterov_and_keras_defaults_are_steps(panels, clock):
    state, _, optimizer, history = panels
    combo = optimizer.optimizer_combo
    combo.setCurrentIndex(combo.findData("sgd"))
    combo.activated.emit(combo.currentIndex())
    clock.later()
    optimizer.nesterov_check.setChecked(True)
    clock.later()
    optimizer.learning_rate_spin.setValue(0.3)
    clock.later()
    optimizer.defaults_button.click()
    clock.later()
    loss = optimizer.loss_combo
    loss.setCurrentIndex(loss.findData("mean_squared_error"))
    loss.activated.emit(loss.currentIndex())
    assert history.texts() == ["Change optimizer to SGD", "Turn nesterov on", "Change learning rate to 0.3",
                               "Reset SGD's hyperparameters to Keras defaults", "Change loss to mean squared error"]
    history.undo()
    history.undo()
    assert state.settings.learning_rate == 0.3 and state.settings.nesterov
    for _ in range(3):
        history.undo()
    assert state.settings == TrainSettings()
    assert combo.currentData() == "rmsprop" and not optimizer.nesterov_check.isChecked()


def test_text_the_field_refuses_never_reaches_the_history(panels, qtbot):
    state, _, optimizer, history = panels
    spin = optimizer.learning_rate_spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "fast")  # not a number: the field never takes it
    qtbot.keyClick(spin.lineEdit(), Qt.Key_Return)
    assert state.settings == TrainSettings() and history.texts() == []


# -- merging ----------------------------------------------------------------------------------------
def test_pressing_an_arrow_ten_times_is_one_step(panels, clock):
    state, _, optimizer, history = panels
    for _ in range(10):
        optimizer.epochs_spin.stepUp()
        clock.later(0.2)  # each press within a moment of the last
    assert state.settings.epochs == 15
    assert history.texts() == ["Change epochs to 15"]
    history.undo()
    assert state.settings.epochs == 5 and not history.can_undo


def test_typing_a_number_is_one_step(panels, qtbot):
    state, _, optimizer, history = panels
    spin = optimizer.batch_size_spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "256")
    qtbot.keyClick(spin.lineEdit(), Qt.Key_Return)
    assert state.settings.batch_size == 256 and history.texts() == ["Change batch size to 256"]


def test_edits_of_one_field_apart_in_time_or_of_two_fields_stay_apart(panels, clock):
    state, network, optimizer, history = panels
    optimizer.learning_rate_spin.setValue(0.01)
    clock.later()  # a pause: the next edit is another thought
    optimizer.learning_rate_spin.setValue(0.1)
    optimizer.rho_spin.setValue(0.8)  # at once, but another field
    edit(network, 1, UNITS, "128")
    edit(network, 1, UNITS, "64")  # the same cell at once: merged
    assert history.texts() == ["Change learning rate to 0.01", "Change learning rate to 0.1", "Change rho to 0.8",
                               "Change units of Dense 1 to 64"]
    history.undo()
    assert state.layers == CHAPTER_NETWORK


def test_a_field_edited_back_where_it_started_leaves_no_step(panels):
    state, _, optimizer, history = panels
    optimizer.epochs_spin.stepUp()
    optimizer.epochs_spin.stepDown()
    assert state.settings.epochs == 5 and history.texts() == [] and not history.can_undo


def test_an_undone_step_does_not_absorb_the_next_edit(panels):
    state, _, optimizer, history = panels
    optimizer.epochs_spin.setValue(7)
    history.undo()
    optimizer.epochs_spin.setValue(9)
    assert history.texts() == ["Change epochs to 9"]
    history.undo()
    assert state.settings.epochs == 5


# -- never recorded ---------------------------------------------------------------------------------
def test_opening_a_dataset_records_nothing(panels, sample_dataset):
    state, network, optimizer, history = panels
    state.set_settings(train_size=5000)  # the learner's: a step
    state.set_dataset(sample_dataset)
    assert history.texts() == ["Change training digits to 5,000"]
    with state.loading():
        state.set_settings(epochs=2)  # e.g. a panel fitting its range to the new data
    assert history.texts() == [] and not history.can_undo  # the old steps were made on other values


def test_restoring_saved_settings_records_nothing(panels):
    state, _, _, history = panels
    persistence.restore_settings(state, persistence.settings_to_text(TrainSettings(epochs=9)))
    persistence.restore_layers(state, persistence.layers_to_text((LayerSpec(32, "relu"),)))
    assert state.settings.epochs == 9 and state.layers == (LayerSpec(32, "relu"),)
    assert history.texts() == []


@pytest.fixture
def sample_dataset():
    from playground.core.data_loading import load_sample_dataset

    return load_sample_dataset()


@pytest.fixture
def window(qtbot, tmp_path, clock):
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    w.undo_history.clock = clock  # the window's own history (its Edit menu), on the test's clock
    return w


def test_loading_a_model_is_not_a_step_and_starts_the_history_afresh(qtbot, window, tmp_path):
    history = window.undo_history
    window.state.set_settings(epochs=2)
    model = engine.Sequential([engine.layers.Flatten(input_shape=(28, 28)), engine.layers.Dense(32, activation="relu"),
                               engine.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "m.npz")
    with qtbot.waitSignal(window.file_loader.finished, timeout=60_000):
        window.load_model(tmp_path / "m.npz")
    assert window.state.layers == (LayerSpec(32, "relu"),)
    assert history.texts() == [] and not window.findChild(QAction, "undoAction").isEnabled()


def test_nothing_is_undone_while_training_runs(window):
    state, history = window.state, window.undo_history
    state.set_settings(epochs=2)
    undo = window.findChild(QAction, "undoAction")
    assert undo.isEnabled() and undo.text() == "&Undo Change epochs to 2"
    state.set_training(True)
    assert not undo.isEnabled() and not history.can_undo
    undo.trigger()
    assert history.undo() is False and state.settings.epochs == 2
    state.set_training(False, "stopped")
    assert undo.isEnabled()
    undo.trigger()
    assert state.settings.epochs == 5


def show_active(qtbot, window):
    """Shown and active: window shortcuts reach only the active window."""
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)


# -- the Edit menu ----------------------------------------------------------------------------------
def test_the_edit_menu_undoes_and_redoes_with_the_standard_keys(qtbot, window):
    show_active(qtbot, window)
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus.index("&Edit") == menus.index("&File") + 1
    undo, redo = window.findChild(QAction, "undoAction"), window.findChild(QAction, "redoAction")
    assert not undo.isEnabled() and not redo.isEnabled()
    window.state.set_settings(learning_rate=0.01)
    assert undo.text() == "&Undo Change learning rate to 0.01"
    window.panels["Training"].train_button.setFocus()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert window.state.settings.learning_rate == 0.001
    assert redo.isEnabled() and redo.text() == "&Redo Change learning rate to 0.01"
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.state.settings.learning_rate == 0.01
    text = shortcuts_text(window)
    assert "Ctrl+Z\t" in text and ("Ctrl+Shift+Z\t" in text or "Ctrl+Y\t" in text)


def test_ctrl_z_in_the_draw_panel_undoes_a_stroke_not_the_design(qtbot, window):
    show_active(qtbot, window)
    window.state.set_settings(epochs=2)
    draw = window.panels["Draw"]
    window.docks["Draw"].raise_()
    drag(draw.canvas, VERTICAL)
    drag(draw.canvas, LOOP)
    draw.undo_button.setFocus()
    qtbot.keyClick(draw.undo_button, Qt.Key_Z, Qt.ControlModifier)
    assert len(draw.canvas.strokes) == 1  # the stroke went,
    assert window.state.settings.epochs == 2  # the recipe stayed
    window.panels["Training"].train_button.setFocus()
    qtbot.keyClick(window.panels["Training"].train_button, Qt.Key_Z, Qt.ControlModifier)
    assert window.state.settings.epochs == 5 and len(draw.canvas.strokes) == 1


# -- the words, on their own --------------------------------------------------------------------------
def test_words_for_changes_no_panel_names():
    chapter = design.normalised(CHAPTER_NETWORK)
    assert describe_layers(chapter, ()) == "Remove Dense 1"
    assert describe_layers(chapter, design.normalised(PRESETS["Deep: 256-128-64 relu"])) == \
        "Use preset Deep: 256-128-64 relu"
    assert describe_layers(chapter, (LayerSpec(8, "tanh"), LayerSpec(8, "tanh"))) == "Change the network"
    assert describe_settings(TrainSettings(), TrainSettings(epochs=3, batch_size=64)) == "Change batch size and epochs"
    assert describe_settings(TrainSettings(), TrainSettings(train_size=0, seed=3)) == "Change random seed to 3"
    assert describe_settings(TrainSettings(train_size=9), TrainSettings()) == "Change training digits to all"


# -- keyboard shortcuts -----------------------------------------------------------------------------
LONG = 120_000


def test_train_pause_stop_and_step_have_keys_that_work_from_any_panel(qtbot, window):
    from playground.training.training_controller import IDLE, PAUSED

    show_active(qtbot, window)
    window.docks["Training"].hide()  # as if its tab were behind another, or the panel closed
    qtbot.waitUntil(lambda: not window.training_panel.isVisible(), timeout=10_000)
    window.docks["Draw"].show()
    window.panels["Draw"].clear_button.setFocus()
    controller = window.controller
    window.state.set_settings(epochs=1, train_size=512)

    qtbot.keyClick(window, Qt.Key_F10)  # Step one batch
    qtbot.waitUntil(lambda: controller.phase == PAUSED, timeout=LONG)
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        qtbot.keyClick(window, Qt.Key_F6)  # Resume: the rest of the epoch
    assert finished.args == ["completed"]
    qtbot.waitUntil(lambda: controller.phase == IDLE, timeout=LONG)

    window.state.set_settings(epochs=200)
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        qtbot.keyClick(window, Qt.Key_F5)  # Continue
        qtbot.keyClick(window, Qt.Key_F5, Qt.ShiftModifier)  # Stop, after the batch it is in
    assert finished.args == ["stopped"]
    qtbot.waitUntil(lambda: controller.phase == IDLE, timeout=LONG)
    assert window.findChild(QAction, "stopAction").isEnabled() is False  # follows its button

    text = shortcuts_text(window)
    for line in ("F5\tTrain or continue", "F6\tPause or resume training", "Shift+F5\tStop training",
                 "F10\tStep one batch", "Right\tNext digit (Data)", "Left\tPrevious digit (Data)",
                 "Del\tClear the canvas (Draw)"):
        assert line in text
    assert "(F5)" in window.training_panel.train_button.toolTip()


def test_the_arrow_keys_step_through_the_digits_in_the_data_panel(qtbot, sample_dataset):
    from playground.panels.data_panel import DataPanel

    panel = DataPanel(AppState(sample_dataset))
    qtbot.addWidget(panel)
    show_active(qtbot, panel)
    panel.tabs.setCurrentIndex(1)
    qtbot.mouseClick(panel.digit_view, Qt.LeftButton)  # a click on the digit gives the panel the keys
    for key, index in ((Qt.Key_Right, 1), (Qt.Key_Right, 2), (Qt.Key_Left, 1), (Qt.Key_Left, 0), (Qt.Key_Left, 0)):
        qtbot.keyClick(panel.focusWidget() or panel, key)
        assert panel.digit_index.value() == index
    assert panel.tabs.currentIndex() == 0  # the One digit tab shows it


def test_delete_clears_the_canvas(qtbot):
    from playground.panels.draw_panel import DrawPanel

    panel = DrawPanel(AppState())
    qtbot.addWidget(panel)
    show_active(qtbot, panel)
    drag(panel.canvas, VERTICAL)
    panel.clear_button.setFocus()
    qtbot.keyClick(panel.clear_button, Qt.Key_Delete)
    assert panel.canvas.strokes == []
