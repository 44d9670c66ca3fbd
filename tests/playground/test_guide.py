"""The chapter guide: chapter 2's sections in the book's order, each opening the place where it lives."""
import re

from PySide6.QtCore import Qt

from playground.core import guide
from playground.panels.guide_panel import GuidePanel


def test_the_sections_follow_the_books_order_from_2_1_to_2_5():
    numbers = [section.number for section in guide.SECTIONS]
    firsts = [tuple(int(part) for part in re.match(r"[\d.]+", number).group().split(".")) for number in numbers]
    assert numbers[0] == "2.1" and numbers[-1] == "2.5"
    assert firsts == sorted(firsts)
    assert all(section.text and section.places for section in guide.SECTIONS)


def test_the_console_places_name_sections_that_have_listings():
    from playground.core.console.snippets import for_section

    for section in guide.SECTIONS:
        for place in section.places:
            if place.panel == guide.CONSOLE:
                assert place.console_section and for_section(place.console_section), section.number


def test_a_button_opens_its_place_and_no_button_points_at_nothing(qtbot):
    existing = {"dataPanel", "tensorConsole", "trainingPanel"}
    panel = GuidePanel(available=lambda name: name in existing)
    qtbot.addWidget(panel)
    assert panel.objectName() == "chapterGuide"
    assert {button.objectName().split("_", 2)[2] for button in panel.buttons.values()} == existing
    with qtbot.waitSignal(panel.open_requested, timeout=5_000) as opened:
        qtbot.mouseClick(panel.buttons[("2.2.6", "Slice in the console")], Qt.LeftButton)
    place = opened.args[0]
    assert (place.panel, place.console_section) == ("tensorConsole", "2.2.6")


def test_the_window_opens_the_guide_first_and_its_buttons_open_their_places(qtbot, tmp_path):
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QAction

    from playground.main_window import MainWindow, shortcuts_text

    ini = str(tmp_path / "guide.ini")
    window = MainWindow(settings=QSettings(ini, QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    guide_panel = window.panels["Guide"]
    assert window.docks["Guide"].objectName() == "guideDock" and guide_panel.objectName() == "chapterGuide"
    assert window.workspace == "Train"
    window.greet_first_launch()  # the guide, in the Learn workspace
    assert window.workspace == "Learn"
    qtbot.waitUntil(lambda: not window.docks["Guide"].visibleRegion().isEmpty(), timeout=10_000)

    qtbot.mouseClick(guide_panel.buttons[("2.2.6", "Slice in the console")], Qt.LeftButton)
    console = window.panels["Console"]
    qtbot.waitUntil(lambda: not window.docks["Console"].visibleRegion().isEmpty(), timeout=10_000)
    # the book's listing: its first line runs, its last waits in the input for Enter
    qtbot.waitUntil(lambda: any("train_images[10:99,,]" in entry.result.statement for entry in console.entries),
                    timeout=30_000)
    assert console.input.text() == "dim(my_slice)"

    window.switch_workspace("Train")
    window.findChild(QAction, "chapterGuideAction").trigger()  # Help > Chapter guide (F1): back to Learn
    assert window.workspace == "Learn"
    qtbot.waitUntil(lambda: not window.docks["Guide"].visibleRegion().isEmpty(), timeout=10_000)
    text = shortcuts_text(window)
    assert "Open dataset" in text and "Clear the canvas (Draw)" in text
    window.close()

    again = MainWindow(settings=QSettings(ini, QSettings.IniFormat))  # not the first launch any more
    qtbot.addWidget(again)
    again.show()
    assert again.workspace == "Learn"  # where the learner left off
    again.switch_workspace("Train")
    again.greet_first_launch()
    assert window.store.value("guide/shown") is not None
    assert again.workspace == "Train" and again.docks["Guide"].visibleRegion().isEmpty()
    again.close()
