"""Every number field in the app takes what is typed as it is, and shows exactly the number used.

Issue 12 found typed numbers cut to the field's width (batch size 99999 became 999, seed -1
became 1, learning rate 0,001 became 1) and tiny ones shown as "0" while another was used. Here
each field of the Optimizer panel is typed into as a learner would, in the whole window: the
value used (``state.settings``), the field's marking and Train's reason must all agree.
"""
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from playground.main_window import MainWindow
from playground.text.number_text import parse_number
from playground.widgets import NumberSpinBox


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert len(w.state.dataset.x_train) == 6000  # the bundled sample
    return w


def field(window, object_name) -> NumberSpinBox:
    spin = window.findChild(NumberSpinBox, object_name)
    assert spin is not None, object_name
    return spin


def type_into(qtbot, spin, text):
    spin.lineEdit().setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key_Return)


def train_reason(window) -> str:
    button = window.findChild(QPushButton, "trainButton")
    reason = window.findChild(QLabel, "trainReason")
    return "" if button.isEnabled() else reason.toolTip()


def shows_what_is_used(spin, used) -> bool:
    if spin.specialValueText() and spin.text() == spin.specialValueText():
        return used == spin.minimum()
    return parse_number(spin.text(), whole=isinstance(used, int)) == used


OUT_OF_RANGE = [  # optimizer, objectName, setting, typed, value used, what the field then shows, the range said
    ("rmsprop", "batchSizeSpin", "batch_size", "99999", 99999, "99,999", "between 1 and 60,000"),
    ("rmsprop", "epochsSpin", "epochs", "5000", 5000, "5,000", "between 1 and 1,000"),
    ("rmsprop", "trainSizeSpin", "train_size", "7000", 7000, "7,000", "between 1 and 6,000"),
    ("rmsprop", "seedSpin", "seed", "-1", -1, "-1", "between 0 and 2,147,483,647"),
    ("rmsprop", "learningRateSpin", "learning_rate", "2e6", 2e6, "2e6", "positive number up to 1e6"),
    ("rmsprop", "rhoSpin", "rho", "1.5", 1.5, "1.5", "between 0 and 1"),
    ("rmsprop", "momentumSpin", "momentum", "-0.1", -0.1, "-0.1", "between 0 and 1"),
    ("rmsprop", "epsilonSpin", "epsilon", "2", 2.0, "2", "at most 1"),
    ("adam", "beta1Spin", "beta_1", "1", 1.0, "1", "between 0 and 0.99999"),
    ("adam", "beta2Spin", "beta_2", "1,5", 1.5, "1.5", "between 0 and 0.99999"),
    ("adagrad", "initialAccumulatorSpin", "initial_accumulator_value", "11", 11.0, "11", "between 0 and 10"),
    ("rmsprop", "validationSplitSpin", "validation_split", "0.95", 0.95, "0.95", "between 0 and 0.9"),
]


@pytest.mark.parametrize("optimizer, object_name, setting, typed, used, shown, allowed", OUT_OF_RANGE,
                         ids=[row[2] for row in OUT_OF_RANGE])
def test_a_typed_value_out_of_range_is_kept_marked_invalid_with_its_range_and_stops_train(
        window, qtbot, optimizer, object_name, setting, typed, used, shown, allowed):
    window.state.set_settings(optimizer=optimizer)
    spin = field(window, object_name)
    type_into(qtbot, spin, typed)
    assert getattr(window.state.settings, setting) == pytest.approx(used)  # never cut or clamped
    assert spin.text() == shown
    assert spin.property("invalid") is True and allowed in spin.toolTip()
    error = window.findChild(QLabel, object_name.removesuffix("Spin") + "Error")
    assert error.isVisible() and allowed in error.text()
    assert allowed in train_reason(window)
    assert shows_what_is_used(spin, getattr(window.state.settings, setting))


@pytest.mark.parametrize("object_name, setting, typed, used, shown", [
    ("learningRateSpin", "learning_rate", "0,001", 0.001, "0.001"),  # once read as 1
    ("validationSplitSpin", "validation_split", "0,2", 0.2, "0.2"),
    ("momentumSpin", "momentum", ",9", 0.9, "0.9"),
])
def test_a_decimal_comma_is_a_decimal_point(window, qtbot, object_name, setting, typed, used, shown):
    spin = field(window, object_name)
    type_into(qtbot, spin, typed)
    assert getattr(window.state.settings, setting) == used
    assert spin.text() == shown and spin.property("invalid") is False
    assert train_reason(window) == ""


def test_whole_number_fields_read_thousands_and_refuse_a_decimal_comma(window, qtbot):
    digits, epochs = field(window, "trainSizeSpin"), field(window, "epochsSpin")
    type_into(qtbot, digits, "5,000")
    assert window.state.settings.train_size == 5000 and digits.text() == "5,000"
    type_into(qtbot, digits, "6000")
    assert window.state.settings.train_size == 6000
    assert digits.text() == "6,000"  # as the dataset bar writes it, never "6000"
    type_into(qtbot, epochs, "0,5")  # not a whole number: the value in use stays, and the field says so
    assert window.state.settings.epochs == 5 and epochs.text() == "5"
    type_into(qtbot, epochs, "2.5")  # the point is refused as it is typed: 25
    assert window.state.settings.epochs == 25 and epochs.text() == "25"


@pytest.mark.parametrize("object_name, setting, typed", [
    ("learningRateSpin", "learning_rate", "1e-20"),
    ("epsilonSpin", "epsilon", "1e-30"),
    ("learningRateSpin", "learning_rate", "0.30000000000000004"),
    ("rhoSpin", "rho", "0.123456789"),
])
def test_a_tiny_or_long_value_is_shown_as_used(window, qtbot, object_name, setting, typed):
    spin = field(window, object_name)
    type_into(qtbot, spin, typed)
    assert getattr(window.state.settings, setting) == float(typed)
    assert spin.text() == typed  # not "0" while another value is used
    assert train_reason(window) == ""


def test_letters_and_unfinished_numbers_leave_the_value_in_use(window, qtbot):
    spin = field(window, "learningRateSpin")
    type_into(qtbot, spin, "fast")
    assert window.state.settings.learning_rate == 0.001 and spin.text() == "0.001"
    type_into(qtbot, spin, "1e-")  # unfinished: the field goes back to what is used
    assert window.state.settings.learning_rate == 0.001 and spin.text() == "0.001"
    type_into(qtbot, spin, "inf")
    assert window.state.settings.learning_rate == 0.001 and spin.text() == "0.001"


def test_every_field_shows_what_is_used_after_any_setting_change(window):
    window.state.set_settings(optimizer="adam", learning_rate=1e-20, beta_1=0.1 + 0.2, epsilon=1e-30,
                              batch_size=7000, train_size=6000, seed=2**31 - 1, validation_split=0.05)
    s = window.state.settings
    for name, setting in (("learningRateSpin", "learning_rate"), ("beta1Spin", "beta_1"),
                          ("epsilonSpin", "epsilon"), ("batchSizeSpin", "batch_size"),
                          ("trainSizeSpin", "train_size"), ("seedSpin", "seed"),
                          ("validationSplitSpin", "validation_split")):
        assert shows_what_is_used(field(window, name), getattr(s, setting)), name
    assert field(window, "seedSpin").text() == "2,147,483,647"


def test_the_arrows_bring_an_out_of_range_value_back_into_range(window, qtbot):
    spin = field(window, "epochsSpin")
    type_into(qtbot, spin, "5000")
    spin.stepBy(1)
    assert window.state.settings.epochs == 1000 and spin.property("invalid") is False
    assert train_reason(window) == ""


def test_a_smaller_dataset_marks_a_training_size_it_does_not_have(window, qtbot):
    from playground.core.specs import Dataset

    field(window, "trainSizeSpin")
    window.state.set_settings(train_size=5000)
    ds = window.state.dataset
    window.state.set_dataset(Dataset("small", "test", ds.x_train[:1000], ds.y_train[:1000], ds.x_test, ds.y_test))
    spin = field(window, "trainSizeSpin")
    assert window.state.settings.train_size == 5000  # kept, not cut to 1,000 without a word
    assert spin.property("invalid") is True and "between 1 and 1,000" in train_reason(window)


def test_an_invalid_fields_tint_follows_the_theme_by_itself(qtbot):
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    spin = NumberSpinBox(whole=True)
    qtbot.addWidget(spin)
    spin.setRange(1, 10)
    spin.setValue(11)
    app = QApplication.instance()
    original = app.palette()
    light_tint = spin.lineEdit().palette().color(QPalette.Base)
    dark = QPalette(original)
    dark.setColor(QPalette.Base, QColor("#1e1f22"))
    try:
        app.setPalette(dark)
        qtbot.waitUntil(lambda: spin.lineEdit().palette().color(QPalette.Base) != light_tint)
        assert spin.lineEdit().palette().color(QPalette.Base).lightness() < 128
    finally:
        app.setPalette(original)


def test_a_recipe_with_nothing_to_train_on_disables_train_before_it_is_pressed(window, qtbot):
    """Training digits 1 with validation split 0.9 once ended in "Something went wrong. ValueError"."""
    type_into(qtbot, field(window, "trainSizeSpin"), "1")
    type_into(qtbot, field(window, "validationSplitSpin"), "0.9")
    assert (window.state.settings.train_size, window.state.settings.validation_split) == (1, 0.9)
    reason = train_reason(window)
    assert "Validation split 0.9 of 1 training digit leaves nothing to train on" in reason
    assert "at least 11 training digits" in reason
    error = window.findChild(QLabel, "validationSplitError")
    assert error.isVisible() and "nothing to train on" in error.text()
    assert field(window, "validationSplitSpin").property("invalid") is True
    type_into(qtbot, field(window, "trainSizeSpin"), "11")
    assert train_reason(window) == "" and not error.isVisible()


# -- the other panels' number fields --------------------------------------------------------------
@pytest.mark.parametrize("object_name, typed, shown, allowed", [
    ("batchNavSize", "99999", "99,999", "1 to 6,000"),  # once cut to 999
    ("batchNavIndex", "99999", "99,999", "0 to 46"),
    ("digitIndex", "-1", "-1", "0 to 5,999"),  # once read as 1
    ("digitIndex", "99999", "99,999", "0 to 5,999"),
])
def test_the_data_panels_fields_mark_a_value_out_of_range_and_keep_the_view(window, qtbot, object_name, typed,
                                                                             shown, allowed):
    panel = window.findChild(QWidget, "dataPanel")
    spin = field(window, object_name)
    panel.tabs.setCurrentIndex(0 if object_name == "digitIndex" else panel.tabs.count() - 1)
    before = (panel.label_text.text(), panel.batch_range_label.text())
    type_into(qtbot, spin, typed)
    assert spin.text() == shown and spin.value() == parse_number(typed, whole=True)
    assert spin.property("invalid") is True and allowed in spin.toolTip()
    assert (panel.label_text.text(), panel.batch_range_label.text()) == before  # nothing else shown instead
    type_into(qtbot, spin, "3")
    assert spin.property("invalid") is False and spin.value() == 3


def test_the_data_panels_batch_size_takes_a_typed_size_with_separators(window, qtbot):
    panel = window.findChild(QWidget, "dataPanel")
    type_into(qtbot, field(window, "batchNavSize"), "1,000")
    assert panel.batch_size.value() == 1000 and "1000" in panel.batch_range_label.text().replace(",", "")


def test_the_pen_width_marks_a_width_out_of_range_and_keeps_drawing_with_the_last_one(window, qtbot):
    spin = field(window, "strokeWidthSpin")
    canvas = window.findChild(QWidget, "drawPanel").canvas
    type_into(qtbot, spin, "12")
    assert canvas.stroke_width == 12 and spin.text() == "12 px"
    type_into(qtbot, spin, "99")  # once cut to 9
    assert spin.text() == "99 px" and spin.property("invalid") is True and "6 to 40" in spin.toolTip()
    assert canvas.stroke_width == 12
    type_into(qtbot, spin, "20 px")
    assert canvas.stroke_width == 20 and spin.property("invalid") is False


def network_cell(window, column: str):
    panel = window.findChild(QWidget, "networkPanel")
    from playground.panels import network_panel

    return panel, panel.table.item(1, getattr(network_panel, column))  # the first hidden layer


def test_a_dropout_cell_reads_a_decimal_comma_like_every_decimal_field(window):
    panel, cell = network_cell(window, "DROPOUT")
    cell.setText("0,5")  # what committing an edit does
    assert window.state.layers[0].dropout == 0.5  # once refused as "got '0,5'"
    assert train_reason(window) == ""


def test_a_units_cell_reads_thousands_separators_as_counts_are_written(window):
    panel, cell = network_cell(window, "UNITS")
    cell.setText("1,024")
    assert window.state.layers[0].units == 1024


def test_a_dropout_cell_and_the_r_code_show_the_rate_used(window):
    from playground.core.specs import LayerSpec

    window.state.set_layers((LayerSpec(512, "relu", 0.123456789),))
    panel, cell = network_cell(window, "DROPOUT")
    assert cell.text() == "0.123456789"  # not 0.123457 while 0.123456789 is used
    assert "layer_dropout(rate = 0.123456789)" in panel.code_label.text()


def test_a_field_is_wide_enough_for_its_range_and_its_value(qtbot):
    spin = NumberSpinBox(whole=True, minimum=1, maximum=60000, value=128)
    qtbot.addWidget(spin)
    widest = spin.fontMetrics().horizontalAdvance("60,000")
    assert spin.sizeHint().width() > widest and spin.minimumSizeHint().width() > widest
    spin.setValue(12_345_678_901)
    assert spin.sizeHint().width() > spin.fontMetrics().horizontalAdvance("12,345,678,901")
