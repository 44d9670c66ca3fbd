"""The tensor console: type the book's R (or NumPy) on the loaded MNIST and see what it gives.

Issue 9, section 2. Each statement becomes an entry in the output: the statement, the str()
line the Data panel uses, the value (a small table, a grid of digits, or one image) and the
same statement in the other language (``train_images[10:99,,]`` <-> ``x_train[9:99]``); a
mistake shows the console's message in red. Up and down walk the history, which is kept in
the window's QSettings between launches. The Snippets button offers the book's listings of
sections 2.1-2.3.

A thin view over ``playground.core.console.Session`` (no Qt there). Statements run one after
another on a worker thread (a product of large matrices can take a moment), so the window
stays responsive; the results come back through a mailbox the panel reads (the worker holds
no Qt object: ``playground.core.mailbox``). Call ``shutdown()`` before
the application closes (the main window does; it also runs on ``aboutToQuit``).
"""
from __future__ import annotations

import dataclasses
import html
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from PySide6.QtCore import QCoreApplication, QEvent, QSettings, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QLineEdit, QMenu, QScrollArea, QToolButton, QVBoxLayout, QWidget,
)

from playground.core.console import Result, Session, detect_language, split_statements
from playground.core.console.history import History
from playground.core.console.snippets import SECTIONS, SNIPPETS, Snippet, for_section
from playground.core.mailbox import Mailbox
from playground.training.mailbox_reader import MailboxReader
from playground.widgets import DigitGrid, hint_label, wrapped_label
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

HISTORY_KEY = "console/history"
MAX_ENTRIES_SHOWN = 60  # older entries leave the output (the history keeps them)
MAX_VALUE_KEPT = 1_000_000  # bytes of a result's value an entry keeps (what it shows is kept regardless)
GRID_CELL, IMAGE_CELL = 28, 140
PLACEHOLDER = "R or NumPy: train_images[10:99,,] · x_train[9:99] · dim(x) <- c(2, 3)   (Enter runs, ↑/↓ history)"



class HistoryLineEdit(QLineEdit):
    """A line edit whose up and down keys walk a ``History``."""

    def __init__(self, history: History, **qt_properties):
        super().__init__(**qt_properties)
        self.history = history

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.key() == Qt.Key.Key_Up:
            self.setText(self.history.previous(self.text()))
        elif event.key() == Qt.Key.Key_Down:
            self.setText(self.history.next())
        else:
            super().keyPressEvent(event)


class ConsoleEntry(QFrame):
    """One statement and what it gave."""

    def __init__(self, result: Result, mono, parent: QWidget | None = None):
        super().__init__(parent, objectName="consoleEntry")
        self.result = result
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        self.statement_label = QLabel(f"<b>{result.language}</b>&nbsp;&gt;&nbsp;{html.escape(result.statement)}",
                                      objectName="consoleStatement", textFormat=Qt.TextFormat.RichText)
        self.statement_label.setFont(mono)
        self.statement_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.statement_label)
        self.error_label = self.str_label = self.value_label = self.grid = self.other_label = None
        if result.error:
            self.error_label = wrapped_label(result.error, objectName="consoleError")
            show_error_style(self.error_label)
            layout.addWidget(self.error_label)
            return
        if result.str_line:
            self.str_label = wrapped_label(result.str_line, objectName="consoleStr")
            self.str_label.setFont(mono)
            layout.addWidget(self.str_label)
        if result.view in ("grid", "image") and result.images is not None:
            self.grid = DigitGrid(objectName="consoleImages", cell_size=GRID_CELL if result.view == "grid" else IMAGE_CELL)
            images = result.images if result.view == "grid" else [result.images]
            self.grid.set_items(images)
            layout.addWidget(self.grid)
            if result.view == "grid" and result.value is not None and len(result.value) > len(images):
                layout.addWidget(hint_label(f"the first {len(images)} of {len(result.value):,}"))
        elif result.text and result.view in ("table", "text", "none"):
            self.value_label = QLabel(result.text, objectName="consoleValue")
            self.value_label.setFont(mono)
            self.value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(self.value_label)
        other = result.other_language
        if result.other_form:
            self.other_label = hint_label(f'In {other}: <a href="#">{html.escape(result.other_form)}</a>',
                                          objectName="consoleOtherForm")
            self.other_label.setToolTip(f"Click to put the {other} form in the input line")
        else:
            self.other_label = hint_label(f"({other} has no short form for this)", objectName="consoleOtherForm")
        layout.addWidget(self.other_label)
        for note in result.notes:
            layout.addWidget(hint_label(note, objectName="consoleNote"))


class ConsolePanel(QWidget):
    """R and NumPy on the loaded tensors; ``run_statement(text)`` is what Enter does."""

    evaluated = Signal(object)  # the Result, once its entry is shown

    def __init__(self, state, store: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("tensorConsole")
        self.state = state
        self.store = store
        self.history = History.from_text(store.value(HISTORY_KEY, "") if store is not None else "")
        self.entries: list[ConsoleEntry] = []
        self.pending = 0
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._session = Session(self._tensors())
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console")
        self._results = MailboxReader(self._show_result, lambda: self.pending > 0, self)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        intro = hint_label("The book's R as written (1-based, inclusive, column-major), or NumPy on "
                           "x_train, y_train, x_test, y_test. Each result shows the other language's form.")
        top.addWidget(intro, 1)
        self.snippets_button = QToolButton(objectName="consoleSnippets", text="Snippets")
        self.snippets_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.snippets_button.setMenu(self._build_snippets_menu())
        self.snippets_button.setToolTip("The book's listings of sections 2.1-2.3")
        top.addWidget(self.snippets_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)

        self.output = QScrollArea(objectName="consoleOutput", widgetResizable=True)
        self.output.setMinimumHeight(80)
        holder = QWidget()
        self._entries_layout = QVBoxLayout(holder)
        self._entries_layout.setContentsMargins(2, 2, 2, 2)
        self._entries_layout.addStretch(1)
        self.output.setWidget(holder)
        self.output.verticalScrollBar().rangeChanged.connect(self._follow_output)
        layout.addWidget(self.output, 1)

        self.status = hint_label("", objectName="consoleStatus")
        layout.addWidget(self.status)
        self.input = HistoryLineEdit(self.history, objectName="consoleInput", placeholderText=PLACEHOLDER,
                                     clearButtonEnabled=True)
        self.input.setFont(self._mono)
        self.input.returnPressed.connect(self._on_return)
        self.language_label = QLabel("R", objectName="consoleLanguage")
        self.language_label.setFont(self._mono)
        self.language_label.setToolTip("The language the line will be read in: R when it has R's signs "
                                       "(train_images, <-, [10:99,,], %*%), NumPy when it has NumPy's "
                                       "(x_train, np., .reshape), else the language used last")
        self.input.textChanged.connect(self._show_language)
        row = QHBoxLayout()
        row.addWidget(self.language_label)
        row.addWidget(self.input, 1)
        layout.addLayout(row)

        state.dataset_changed.connect(self._on_dataset_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        follow_theme(self, lambda: refresh_error_styles(self))

    # ----- building ---------------------------------------------------------------------------------
    def _build_snippets_menu(self) -> QMenu:
        menu = QMenu(self, objectName="consoleSnippetsMenu")
        for chapter, title in SECTIONS.items():
            section_menu = menu.addMenu(f"{chapter} {title}")
            for snippet in for_section(chapter):
                action = section_menu.addAction(f"{snippet.label}:  {snippet.lines[0]}")
                action.setData(SNIPPETS.index(snippet))
                action.triggered.connect(lambda _=False, s=snippet: self.insert_snippet(s))
        return menu

    def _tensors(self) -> dict:
        ds = self.state.dataset
        return ds.tensors() if ds is not None else {}

    # ----- running ----------------------------------------------------------------------------------
    def _on_return(self) -> None:
        text = self.input.text().strip()
        if text:
            self.input.clear()
            for statement in split_statements(text):  # each statement gets its own entry
                self.run_statement(statement, remember=False)
            self._remember(text)  # the history keeps the line as typed

    def _show_language(self, text: str) -> None:
        self.language_label.setText(f"{detect_language(text, self._session.language):>5}")

    def run_statement(self, text: str, remember: bool = True) -> None:
        """Run one statement (on the worker thread); its entry appears when ``evaluated`` is emitted."""
        text = text.strip()
        if not text:
            return
        if self._executor is None:  # shut down earlier (the panel was closed on its own): start again
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console")
        if remember:
            self._remember(text)
        self.pending += 1
        self.status.setText(f"Running {text[:60]}…")
        self._executor.submit(_run_statement, self._session, self._results.mailbox, text)
        self._results.wake()

    def _remember(self, text: str) -> None:
        self.history.add(text)
        if self.store is not None:
            self.store.setValue(HISTORY_KEY, self.history.to_text())

    def _show_result(self, result: Result) -> None:
        self.pending = max(self.pending - 1, 0)
        if not self.pending:
            self.status.setText("")
        entry = ConsoleEntry(result, self._mono)
        if isinstance(result.value, np.ndarray) and result.value.nbytes > MAX_VALUE_KEPT:
            entry.result = dataclasses.replace(result, value=None)  # 60 entries must not pin gigabytes
        if entry.other_label is not None and result.other_form:
            entry.other_label.linkActivated.connect(lambda _=None, t=result.other_form: self._put_in_input(t))
        self.entries.append(entry)
        self._entries_layout.insertWidget(self._entries_layout.count() - 1, entry)
        while len(self.entries) > MAX_ENTRIES_SHOWN:
            old = self.entries.pop(0)
            old.setParent(None)
            old.deleteLater()
        self.evaluated.emit(result)

    def _follow_output(self, _minimum: int, maximum: int) -> None:
        self.output.verticalScrollBar().setValue(maximum)  # the newest entry stays in view

    def _put_in_input(self, text: str) -> None:
        self.input.setText(text)
        self.input.setFocus()

    def _on_dataset_changed(self) -> None:
        if self._executor is not None:
            self._executor.submit(self._session.set_dataset, self._tensors())

    # ----- snippets ---------------------------------------------------------------------------------
    def insert_snippet(self, snippet: Snippet) -> None:
        """Run the listing's lines but the last, and leave the last in the input line to run."""
        for line in snippet.lines[:-1]:
            self.run_statement(line)
        self._put_in_input(snippet.lines[-1])

    def show_section(self, section: str) -> bool:
        """Insert the first snippet of ``section`` (the chapter guide's "2.2.6" button); False if it has none."""
        found = for_section(section)
        if found:
            self.insert_snippet(found[0])
        return bool(found)

    # ----- closing ----------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Let the running statement finish and stop the worker thread (call before the app closes)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._results.read_now()  # the statement that was running has finished: show it
        self._results.stop()  # cancelled statements post nothing: stop waiting for them
        self.pending = 0

    def closeEvent(self, event: QEvent) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


def _run_statement(session: Session, mailbox: Mailbox, text: str) -> None:  # on the worker thread
    try:
        result = session.run(text)
    except Exception as exc:  # noqa: BLE001 - a bug must not leave the console waiting forever
        result = Result(text, "R", error=f"The console failed on this statement: {exc!r}")
    mailbox.post(result)
