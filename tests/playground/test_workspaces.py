"""Workspaces: Train, Learn and Inspect, each its own arrangement of the panels, switched by a bar.

The first half reads ``playground.core.workspaces`` on its own (no Qt); the second drives the window as
a learner would: the bar and its shortcuts, a layout changed in one workspace and kept there (also
after a restart), View > Reset layout, and the chapter guide's buttons opening the right workspace.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolBar

from playground.core import guide, workspaces
from playground.core.workspaces import LEARN, TRAIN, Column, Stack, Workspace

TITLES = ("Data", "Network", "Optimizer", "Training", "Evaluate", "Draw", "Guide", "Console", "Shapes", "Reshape",
          "Geometry", "Gradient", "Backprop", "Inside", "My digits")  # the window's docks today (checked below)


# -- the workspaces as data ----------------------------------------------------------------------
def test_three_workspaces_with_their_names_actions_and_shortcuts():
    assert workspaces.names() == ("Train", "Learn", "Inspect")
    assert [w.action_name for w in workspaces.WORKSPACES] == [
        "trainWorkspaceAction", "learnWorkspaceAction", "inspectWorkspaceAction"]
    assert [w.shortcut for w in workspaces.WORKSPACES] == ["Ctrl+1", "Ctrl+2", "Ctrl+3"]
    assert workspaces.DEFAULT == "Train"


def test_every_panel_of_the_window_has_a_workspace():
    from playground.main_window import DOCKS

    titles = [title for title, _ in DOCKS]
    assert set(TITLES) <= set(titles)  # a panel added later (Runs) needs one line in DOCKS, none here
    assert workspaces.homeless(titles) == []
    assert workspaces.homeless(["Nowhere"]) == ["Nowhere"]


def test_train_keeps_the_training_layout_with_draw_in_view():
    setup, results = TRAIN.columns
    assert setup.stacks[0].tabs == ("Data", "Network", "Optimizer") and setup.stacks[0].shown_first == "Network"
    assert [stack.tabs for stack in results.stacks] == [("Training", "Evaluate"), ("Draw",)]  # Draw alone: never behind a tab


def test_learn_holds_the_guide_the_console_and_the_labs_in_the_chapters_order():
    assert {"Guide", "Console"} <= set(LEARN.panels())
    labs = LEARN.columns[1].stacks[0].tabs
    lab_names = {"shapesLab": "Shapes", "reshapeLab": "Reshape", "geometryLab": "Geometry",
                 "gradientLab": "Gradient", "backpropLab": "Backprop"}
    in_the_guide = [lab_names[p.panel] for s in guide.SECTIONS for p in s.places if p.panel in lab_names]
    assert labs == tuple(dict.fromkeys(in_the_guide))  # the order the guide (the book) meets them


def test_inspect_lists_the_runs_panel_before_it_exists():
    inspect = workspaces.named("Inspect")
    assert {"Inside", "Evaluate", "My digits", "Runs"} <= set(inspect.panels())
    without = inspect.present(lambda title: title != "Runs")
    assert "Runs" not in without.panels() and without.panels() == tuple(t for t in inspect.panels() if t != "Runs")


def test_the_shares_of_each_workspace_add_up():
    for workspace in workspaces.WORKSPACES:
        assert sum(column.share for column in workspace.columns) == pytest.approx(1.0), workspace.name
        for column in workspace.columns:
            assert sum(stack.share for stack in column.stacks) == pytest.approx(1.0), workspace.name


def test_present_drops_missing_panels_empty_stacks_and_empty_columns():
    workspace = Workspace("Test", "Ctrl+9", "", (
        Column((Stack(("A", "B"), 0.5, front="B"), Stack(("C",), 0.5)), 0.5),
        Column((Stack(("D",)),), 0.5)))
    kept = workspace.present({"A", "C"})
    assert [[stack.tabs for stack in column.stacks] for column in kept.columns] == [[("A",), ("C",)]]
    assert kept.columns[0].stacks[0].shown_first == "A"  # its front tab is gone: the first one
    assert workspace.present({"A", "B"}).columns[0].stacks[0].shown_first == "B"
    assert workspace.present(set()).columns == ()


def test_a_panel_opens_in_the_current_workspace_if_it_is_there_else_in_its_home():
    assert workspaces.home_of("Data") == "Train"
    assert workspaces.home_of("Console", current="Train") == "Learn"
    assert workspaces.home_of("Evaluate", current="Inspect") == "Inspect"  # in both: stay
    assert workspaces.home_of("Evaluate", current="Learn") == "Train"
    assert workspaces.home_of("Nowhere", current="Train") is None


def test_a_panel_added_after_a_layout_was_saved_joins_its_stack():
    known = [t for t in workspaces.named("Inspect").panels() if t not in ("My digits", "Runs")]
    assert workspaces.newcomers("Inspect", known, TITLES) == [("My digits", "Evaluate", 0)]  # Runs: not in the app
    assert workspaces.newcomers("Inspect", known, set(TITLES) | {"Runs"}) == [
        ("My digits", "Evaluate", 0), ("Runs", "Evaluate", 0)]
    assert workspaces.newcomers("Learn", TITLES, TITLES) == []


@pytest.mark.parametrize("stored", [None, "", "learn ", "LEARN", "Garden", 3, b"\x00"])
def test_a_stored_workspace_name_is_read_forgivingly(stored):
    expected = "Learn" if isinstance(stored, str) and stored.strip().lower() == "learn" else "Train"
    assert workspaces.named(stored).name == expected


# -- the window ----------------------------------------------------------------------------------
@pytest.fixture
def ini(tmp_path):
    return str(tmp_path / "workspaces.ini")


@pytest.fixture
def make_window(qtbot, ini):
    from playground.main_window import MainWindow

    def make():
        window = MainWindow(settings=QSettings(ini, QSettings.IniFormat))
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


def in_view(window, title: str) -> bool:
    dock = window.docks[title]
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def shown(window) -> set[str]:
    return {title for title, dock in window.docks.items() if not dock.isHidden()}


def test_the_bar_switches_workspaces_and_each_shows_only_its_panels(make_window, qtbot):
    window = make_window()
    bar = window.findChild(QToolBar, "workspaceBar")
    assert bar is window.workspace_bar and bar.isVisible()
    actions = {name: window.findChild(QAction, f"{name.lower()}WorkspaceAction") for name in workspaces.names()}
    assert all(a.isCheckable() for a in actions.values())
    assert [a.shortcut() for a in actions.values()] == [QKeySequence(f"Ctrl+{n}") for n in (1, 2, 3)]
    assert window.workspace == "Train" and actions["Train"].isChecked()
    for name in ("Learn", "Inspect", "Train"):
        actions[name].trigger()
        expected = workspaces.named(name).present(window.docks).panels()
        assert window.workspace == name and actions[name].isChecked()
        assert shown(window) == set(expected), name
        for stack in (s for column in workspaces.named(name).columns for s in column.stacks):
            qtbot.waitUntil(lambda: in_view(window, stack.shown_first))
    assert sum(a.isChecked() for a in actions.values()) == 1


def test_the_shortcuts_switch_workspaces(make_window, qtbot):
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window, Qt.Key_2, Qt.ControlModifier)
    assert window.workspace == "Learn"
    QTest.keyClick(window, Qt.Key_3, Qt.ControlModifier)
    assert window.workspace == "Inspect"
    QTest.keyClick(window, Qt.Key_1, Qt.ControlModifier)
    assert window.workspace == "Train"


def test_each_workspace_keeps_its_own_layout_and_reset_resets_only_the_current_one(make_window, qtbot):
    window = make_window()
    window.docks["Draw"].close()  # the learner closes Draw in Train
    window.switch_workspace("Learn")
    assert in_view(window, "Guide") and in_view(window, "Console")
    window.docks["Console"].close()  # and the Console in Learn
    window.switch_workspace("Train")
    assert window.docks["Draw"].isHidden() and window.docks["Console"].isHidden()
    window.switch_workspace("Learn")
    assert window.docks["Console"].isHidden() and not window.docks["Guide"].isHidden()
    window.findChild(QAction, "resetLayoutAction").trigger()  # View > Reset layout: Learn as it was
    assert shown(window) == set(LEARN.panels())
    window.switch_workspace("Train")
    assert window.docks["Draw"].isHidden()  # Train's own layout is untouched


def test_the_layouts_and_the_current_workspace_survive_a_restart(make_window, qtbot):
    first = make_window()
    first.switch_workspace("Learn")
    first.docks["Geometry"].raise_()
    first.docks["Console"].close()
    first.switch_workspace("Inspect")
    first.docks["My digits"].raise_()
    first.close()
    assert first.store.value("window/state") is None  # the layout before workspaces is gone

    second = make_window()
    assert second.workspace == "Inspect" and second.workspace_bar.actions_by_name["Inspect"].isChecked()
    qtbot.waitUntil(lambda: in_view(second, "My digits") and in_view(second, "Inside"))
    second.switch_workspace("Learn")
    assert second.docks["Console"].isHidden()
    qtbot.waitUntil(lambda: in_view(second, "Geometry"))
    second.switch_workspace("Train")  # never changed: its default
    assert shown(second) == set(TRAIN.panels())


@pytest.mark.parametrize("saved", ["old version", "garbage"])
def test_an_old_or_damaged_workspace_layout_is_not_restored(make_window, qtbot, ini, saved):
    from playground.main_window import LAYOUT_VERSION

    first = make_window()
    first.splitDockWidget(first.docks["Data"], first.docks["Optimizer"], Qt.Vertical)  # an arrangement of its own
    state = first.saveState(LAYOUT_VERSION - 1) if saved == "old version" else QByteArray(b"\x00garbage")
    first.close()
    store = QSettings(ini, QSettings.IniFormat)
    store.setValue(workspaces.state_key("Train"), state)
    store.setValue(workspaces.CURRENT_KEY, "Train")
    store.sync()
    window = make_window()
    assert window.workspace == "Train"
    assert window.docks["Optimizer"] in window.tabifiedDockWidgets(window.docks["Network"])  # the default
    assert shown(window) == set(TRAIN.panels())


@pytest.mark.parametrize("section, label, workspace, title", [
    ("2.2.5", "Look at the tensors", "Train", "Data"),
    ("2.3.4", "Reshape a digit", "Learn", "Reshape"),
    ("2.2.6", "Slice in the console", "Learn", "Console"),
    ("2.4.1–2.4.3", "Choose the optimizer", "Train", "Optimizer"),
    ("2.4.4", "Walk through one batch", "Learn", "Backprop"),
])
def test_the_guides_buttons_open_the_workspace_that_holds_their_panel(make_window, qtbot, section, label,
                                                                      workspace, title):
    window = make_window()
    window.switch_workspace("Inspect")
    window.show_guide()  # Help > Chapter guide: the guide lives in Learn
    assert window.workspace == "Learn"
    qtbot.waitUntil(lambda: in_view(window, "Guide"))
    qtbot.mouseClick(window.panels["Guide"].buttons[(section, label)], Qt.LeftButton)
    assert window.workspace == workspace
    qtbot.waitUntil(lambda: in_view(window, title))


def test_a_panel_in_the_current_workspace_opens_there(make_window, qtbot):
    window = make_window()
    window.switch_workspace("Inspect")
    window.show_panel("Evaluate")  # Evaluate is in Train and Inspect: no switch
    assert window.workspace == "Inspect" and in_view(window, "Evaluate")
    window.show_panel("Draw")  # Draw only in Train
    assert window.workspace == "Train" and in_view(window, "Draw")


def test_a_digit_opened_from_inspect_shows_there_beside_inside(make_window, qtbot):
    import numpy as np

    window = make_window()
    window.switch_workspace("Inspect")
    window.state.request_digit("test", 42)  # a misclassified digit clicked in Evaluate, or a point in Inside
    assert window.workspace == "Inspect"  # the learner stays where they were looking
    qtbot.waitUntil(lambda: in_view(window, "Data") and in_view(window, "Inside") and in_view(window, "Evaluate"))
    np.testing.assert_array_equal(window.panels["Data"].digit_view.values(), window.state.dataset.x_test[42])


def test_every_panel_stays_in_the_view_menu_and_joins_the_current_workspace(make_window, qtbot):
    window = make_window()
    view = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View")
    toggles = {a.text() for a in view.actions()}
    assert set(window.docks) <= toggles
    assert {"Train workspace", "Learn workspace", "Inspect workspace", "Reset layout"} <= {
        a.text().replace("&", "") for a in view.actions()}
    from playground.main_window import shortcuts_text

    assert "Ctrl+2\tLearn workspace" in shortcuts_text(window)  # Help > Keyboard shortcuts
    assert [window.workspace_bar.widgetForAction(a).text() for a in window.workspace_bar.actions()] == [
        "Train", "Learn", "Inspect"]
    window.switch_workspace("Learn")
    window.docks["Draw"].toggleViewAction().trigger()  # View > Draw while in Learn
    assert window.workspace == "Learn" and not window.docks["Draw"].isHidden()
    window.switch_workspace("Train")
    window.switch_workspace("Learn")
    assert not window.docks["Draw"].isHidden()  # kept in Learn's layout


def test_the_first_launch_opens_the_guide_in_learn_and_the_next_remembers(make_window, qtbot):
    first = make_window()
    first.greet_first_launch()
    assert first.workspace == "Learn"
    qtbot.waitUntil(lambda: in_view(first, "Guide"))
    first.switch_workspace("Train")
    first.close()
    second = make_window()
    second.greet_first_launch()  # not the first launch: the workspace the learner left
    assert second.workspace == "Train" and second.docks["Guide"].isHidden()


def test_a_panel_the_saved_layout_did_not_know_is_placed_where_the_default_puts_it(make_window, qtbot, ini):
    first = make_window()
    first.switch_workspace("Inspect")
    first.docks["My digits"].close()  # as if the app had no My digits when this layout was saved
    first.close()
    store = QSettings(ini, QSettings.IniFormat)
    known = store.value(workspaces.docks_key("Inspect")).split(",")
    assert "handwritingDock" in known and "insideDock" in known
    store.setValue(workspaces.docks_key("Inspect"), ",".join(n for n in known if n != "handwritingDock"))
    store.sync()
    second = make_window()
    assert second.workspace == "Inspect"
    assert not second.docks["My digits"].isHidden()  # the newcomer, beside Evaluate
    assert second.docks["My digits"] in second.tabifiedDockWidgets(second.docks["Evaluate"])
    second.close()
    third = make_window()  # now known: the learner's choice (closed) is kept
    third.docks["My digits"].close()
    third.close()
    fourth = make_window()
    assert fourth.docks["My digits"].isHidden()


def test_the_bar_reads_in_both_themes(make_window, qtbot):
    from collections import Counter

    from playground.widgets.theme import apply_theme

    window = make_window()
    bar = window.workspace_bar

    def reads(name: str, dark: bool) -> bool:
        """The button's background (its commonest colour) and its letters (the farthest from it)
        are dark and light in the dark theme, light and dark in the light one."""
        image = bar.widgetForAction(bar.actions_by_name[name]).grab().toImage()
        values = [image.pixelColor(x, y).lightness() for x in range(image.width()) for y in range(image.height())]
        background = Counter(values).most_common(1)[0][0]
        letters = min(values, key=lambda v: -abs(v - background))
        return (background < 100 and letters > 150) if dark else (background > 150 and letters < 100)

    try:
        window.set_dark_theme(True)
        qtbot.waitUntil(lambda: reads("Learn", dark=True))
        window.set_dark_theme(False)
        qtbot.waitUntil(lambda: reads("Learn", dark=False))
    finally:
        apply_theme(False)  # never leave a dark palette to the next test
