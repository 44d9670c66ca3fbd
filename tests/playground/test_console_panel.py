"""The tensor console panel (issue 9, section 2), driven as a learner would with pytest-qt."""
import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QScrollArea, QToolButton

from playground.core.console.snippets import for_section
from playground.panels.console_panel import HISTORY_KEY, ConsolePanel
from playground.training.state import AppState, Dataset
from playground.widgets.theme import error_colour


def make_dataset(n_train=300, seed=1, name="Test digits") -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset(
        name, "/tmp/test-digits.npz",
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), (np.arange(n_train) % 10).astype(np.uint8),
        rng.integers(0, 256, (50, 28, 28), dtype=np.uint8), (np.arange(50) % 10).astype(np.uint8),
    )


@pytest.fixture
def store(tmp_path):
    return QSettings(str(tmp_path / "console.ini"), QSettings.IniFormat)


@pytest.fixture
def make_panel(qtbot, store):
    made = []

    def make(state=None):
        panel = ConsolePanel(state or AppState(make_dataset()), store=store)
        qtbot.addWidget(panel)
        panel.resize(700, 700)
        panel.show()
        qtbot.waitExposed(panel)
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.shutdown()


def type_and_enter(qtbot, panel, text):
    """Type ``text`` in the input line and press Enter, as a learner does; wait for the entry."""
    field = panel.findChild(QLineEdit, "consoleInput")
    field.clear()
    with qtbot.waitSignal(panel.evaluated, timeout=10000) as blocker:
        QTest.keyClicks(field, text)
        QTest.keyClick(field, Qt.Key.Key_Return)
    return blocker.args[0]


def test_the_books_slice_shows_its_str_line_its_digits_and_the_numpy_form(qtbot, make_panel):
    panel = make_panel()
    assert panel.objectName() == "tensorConsole"
    assert isinstance(panel.findChild(QScrollArea, "consoleOutput"), QScrollArea)
    result = type_and_enter(qtbot, panel, "train_images[10:99,,]")
    entry = panel.entries[-1]
    assert "train_images[10:99,,]" in entry.statement_label.text()
    assert entry.str_label.text().startswith("3D tensor uint8 (90, 28, 28)")
    assert entry.grid is not None and entry.grid.count() == 90
    assert "In NumPy:" in entry.other_label.text() and "x_train[9:99]" in entry.other_label.text()
    assert result.other_form == "x_train[9:99]"
    assert panel.findChild(QLineEdit, "consoleInput").text() == ""  # ready for the next statement


def test_numpy_shows_the_books_r_and_clicking_it_puts_it_in_the_input(qtbot, make_panel):
    panel = make_panel()
    type_and_enter(qtbot, panel, "x_train[9:99].shape")
    entry = panel.entries[-1]
    assert entry.value_label.text() == "(90, 28, 28)"
    assert "dim(train_images[10:99,,])" in entry.other_label.text()
    entry.other_label.linkActivated.emit("#")
    assert panel.input.text() == "dim(train_images[10:99,,])"


def test_a_small_matrix_is_a_table_and_a_digit_is_an_image(qtbot, make_panel):
    panel = make_panel()
    type_and_enter(qtbot, panel, "x <- 1:6")
    type_and_enter(qtbot, panel, "dim(x) <- c(2, 3)")
    assert panel.entries[-1].value_label.text().splitlines() == ["1 3 5", "2 4 6"]  # column-major, as R
    assert "column-major" in " ".join(label.text() for label in panel.entries[-1].findChildren(type(
        panel.entries[-1].other_label), "consoleNote"))
    type_and_enter(qtbot, panel, "plot(as.raster(train_images[5,,], max = 255))")
    entry = panel.entries[-1]
    assert entry.result.kind == "image" and entry.grid.count() == 1


def test_a_non_conforming_product_is_shown_in_red_with_the_chapters_rule(qtbot, make_panel):
    panel = make_panel()
    type_and_enter(qtbot, panel, "x <- matrix(0, nrow = 128, ncol = 784)")
    type_and_enter(qtbot, panel, "y <- matrix(0, nrow = 512, ncol = 10)")
    type_and_enter(qtbot, panel, "x %*% y")
    entry = panel.entries[-1]
    assert "dim(x)[2] = 784 must equal dim(y)[1] = 512" in entry.error_label.text()
    assert error_colour() in entry.error_label.styleSheet()


def test_up_and_down_walk_the_history_and_it_survives_a_restart(qtbot, make_panel, store):
    panel = make_panel()
    for statement in ("x <- c(12, 3, 6, 14, 10)", "str(x)", "dim(as.array(x))"):
        type_and_enter(qtbot, panel, statement)
    field = panel.input
    QTest.keyClicks(field, "half typed")
    QTest.keyClick(field, Qt.Key.Key_Up)
    assert field.text() == "dim(as.array(x))"
    QTest.keyClick(field, Qt.Key.Key_Up)
    QTest.keyClick(field, Qt.Key.Key_Up)
    QTest.keyClick(field, Qt.Key.Key_Up)  # the oldest stays
    assert field.text() == "x <- c(12, 3, 6, 14, 10)"
    QTest.keyClick(field, Qt.Key.Key_Down)
    assert field.text() == "str(x)"
    for _ in range(3):
        QTest.keyClick(field, Qt.Key.Key_Down)
    assert field.text() == "half typed"  # the draft comes back
    panel.shutdown()
    store.sync()
    later = make_panel()  # the next launch
    QTest.keyClick(later.input, Qt.Key.Key_Up)
    assert later.input.text() == "dim(as.array(x))"
    assert store.value(HISTORY_KEY).startswith('["x <- c(12, 3, 6, 14, 10)"')


def test_a_damaged_history_setting_gives_an_empty_history(qtbot, make_panel, store):
    store.setValue(HISTORY_KEY, "{not json")
    panel = make_panel()
    QTest.keyClick(panel.input, Qt.Key.Key_Up)
    assert panel.input.text() == ""


def test_the_snippets_menu_offers_the_books_listings_and_inserts_one(qtbot, make_panel):
    panel = make_panel()
    button = panel.findChild(QToolButton, "consoleSnippets")
    menu = button.menu()
    sections = [action.text() for action in menu.actions()]
    assert sections[:3] == ["2.1 A first look at a neural network", "2.2 Data representations for neural networks",
                            "2.3 Tensor operations"]
    section_22 = menu.actions()[1].menu()
    batch = next(a for a in section_22.actions() if "train_images[1:128,,]" in a.text())
    batch.trigger()
    assert panel.input.text() == "batch <- train_images[1:128,,]"  # left for the learner to run
    section_23 = menu.actions()[2].menu()
    sweep = next(a for a in section_23.actions() if "sweep" in a.text() and "pmax" in a.text())
    with qtbot.waitSignals([panel.evaluated, panel.evaluated], timeout=10000):
        sweep.trigger()  # the two lines before the last run at once
    assert panel.input.text() == "z <- sweep(x, c(3, 4), y, pmax)"
    type_and_enter(qtbot, panel, panel.input.text())
    assert panel.entries[-1].result.value.shape == (64, 3, 32, 10)
    assert panel.entries[-1].result.other_form == "z = np.maximum(x, y)"


def test_the_guide_can_open_a_sections_snippet(qtbot, make_panel):
    panel = make_panel()
    assert for_section("2.2.6")[0].lines == ("my_slice <- train_images[10:99,,]", "dim(my_slice)")
    with qtbot.waitSignal(panel.evaluated, timeout=10000) as blocker:
        assert panel.show_section("2.2.6")
    assert blocker.args[0].statement == "my_slice <- train_images[10:99,,]"
    assert panel.input.text() == "dim(my_slice)"
    assert not panel.show_section("9.9")


def test_statements_run_off_the_ui_thread(qtbot, make_panel):
    import threading

    panel = make_panel()
    threads = []
    original = panel._session.run
    panel._session.run = lambda text: threads.append(threading.current_thread()) or original(text)
    type_and_enter(qtbot, panel, "max(train_images)")
    assert threads and threads[0] is not threading.main_thread()


def test_loading_another_dataset_reaches_the_console(qtbot, make_panel):
    state = AppState(make_dataset())
    panel = make_panel(state)
    type_and_enter(qtbot, panel, "train_images <- 1:3")
    state.set_dataset(make_dataset(n_train=40, name="Smaller"))
    result = type_and_enter(qtbot, panel, "dim(train_images)")
    assert result.value.tolist() == [40, 28, 28]


def test_entries_keep_what_they_show_not_the_whole_big_result(qtbot, make_panel):
    panel = make_panel()
    result = type_and_enter(qtbot, panel, "train_images / 255")  # 300 digits of doubles: 1.9 MB
    entry = panel.entries[-1]
    assert result.value.nbytes > 1_000_000 and entry.result.value is None
    assert entry.grid.count() == 100 and entry.result.images.shape == (100, 28, 28)
    assert not np.shares_memory(entry.result.images, result.value)


def test_the_input_says_which_language_it_will_read_and_runs_statements_split_by_semicolons(qtbot, make_panel):
    panel = make_panel()
    QTest.keyClicks(panel.input, "x_train[9:99]")
    assert panel.language_label.text().strip() == "NumPy"
    panel.input.clear()
    QTest.keyClicks(panel.input, "train_images[10:99,,]")
    assert panel.language_label.text().strip() == "R"
    panel.input.clear()
    with qtbot.waitSignals([panel.evaluated, panel.evaluated], timeout=10000):
        QTest.keyClicks(panel.input, "x <- c(12, 3, 6, 14, 10); str(x)")
        QTest.keyClick(panel.input, Qt.Key.Key_Return)
    assert [e.result.statement for e in panel.entries[-2:]] == ["x <- c(12, 3, 6, 14, 10)", "str(x)"]
    assert panel.entries[-1].value_label.text().strip() == "num [1:5] 12 3 6 14 10"
    QTest.keyClick(panel.input, Qt.Key.Key_Up)
    assert panel.input.text() == "x <- c(12, 3, 6, 14, 10); str(x)"  # the line as it was typed
    assert panel.history.entries == ["x <- c(12, 3, 6, 14, 10); str(x)"]


def test_the_console_dock_in_the_window_closes_reopens_and_still_runs(qtbot, tmp_path):
    from playground.main_window import MainWindow

    window = MainWindow(dataset=make_dataset(), settings=QSettings(str(tmp_path / "w.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    dock, panel = window.docks["Console"], window.panels["Console"]
    assert dock.objectName() == "consoleDock"
    assert window.findChild(ConsolePanel, "tensorConsole") is panel and dock.widget() is panel
    window.switch_workspace("Learn")  # the console lives in Learn, under the chapter guide
    assert not dock.isHidden() and not window.tabifiedDockWidgets(dock)
    dock.close()
    dock.show()
    dock.raise_()
    result = type_and_enter(qtbot, panel, "dim(train_images[10:99,,])")
    assert result.value.tolist() == [90, 28, 28]
    window.close()  # stops the console's worker thread with the rest
    assert panel._executor is None
