"""The main window: the panels as dock widgets in three workspaces, the menus, and what survives a restart.

Workspaces (``playground.core.workspaces``; the bar at the top, Ctrl+1/2/3, switches them)::

    Train    [Data|Network|Optimizer] | [Training|Evaluate] over [Draw]
    Learn    [Guide] over [Console]   | [Shapes|Reshape|Geometry|Gradient|Backprop]
    Inspect  [Evaluate|My digits]     | [Inside|Runs]

Each workspace keeps its own dock layout (one ``saveState`` each, saved between launches with the
workspace that was current); View > Reset layout puts the current one back, and the chapter
guide's buttons switch to the workspace that holds the panel they open. Every panel stays in the
View menu: one shown from there joins the current workspace. The columns keep their shares of the
width when the window is resized (``widgets.dock_columns``).

The window owns the shared ``AppState`` and the ``TrainingController``; panels only see the
state (and the Training panel the controller). File actions are methods (``open_dataset``,
``save_model``, ``load_model``, ``export_plots``) that the menu calls after a file dialog and
tests call directly. Closing the window stops training cleanly and saves the layouts, the
design, the recipe and the theme (``QSettings``).
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

import engine
from playground.core import data_loading, persistence, workspaces
from playground.core.run_history import RunHistory
from playground.edit_menu import install_edit_menu, install_training_menu
from playground.file_actions import FileActions
from playground.panels.backprop_lab import BackpropLab
from playground.panels.console_panel import ConsolePanel
from playground.panels.data_panel import DataPanel
from playground.panels.draw_panel import DrawPanel
from playground.panels.evaluate_panel import EvaluatePanel
from playground.panels.geometry_lab import GeometryLab
from playground.panels.gradient_lab import GradientLab
from playground.panels.guide_panel import GuidePanel
from playground.panels.handwriting_panel import HandwritingPanel
from playground.panels.inside_panel import InsidePanel
from playground.panels.network_panel import NetworkPanel
from playground.panels.optimizer_panel import OptimizerPanel
from playground.panels.reshape_lab import ReshapeLab
from playground.panels.runs_panel import RunsPanel
from playground.panels.shapes_lab import ShapesLab
from playground.panels.training_panel import TrainingPanel
from playground.training.my_digits import my_digits_for
from playground.training.settings_writer import SettingsWriter
from playground.training.state import AppState
from playground.training.training_controller import TrainingController
from playground.training.undo import UndoHistory
from playground.widgets import scroll_area
from playground.widgets.dock_columns import ColumnShares
from playground.widgets.garbage_collection import collect_on_ui_thread
from playground.widgets.status_bar import StatusBar
from playground.widgets.theme import apply_theme, is_dark
from playground.widgets.theming import follow_theme
from playground.widgets.workspace_bar import WorkspaceBar, arrange

APP_NAME, ORGANISATION = "Neural Playground", "NeuralPlayground"
DOCKS = (  # (title, objectName of the dock), in the View menu's order; workspaces.py places them
    ("Data", "dataDock"), ("Network", "networkDock"), ("Optimizer", "optimizerDock"),  # Train: the set-up
    ("Training", "trainingDock"), ("Evaluate", "evaluateDock"), ("Draw", "drawDock"),  # Train: the results
    ("Guide", "guideDock"),  # Learn: start here, the chapter's sections, each opening its place
    ("Console", "consoleDock"),  # Learn: the book's R and NumPy on the loaded tensors
    ("Shapes", "shapesDock"), ("Reshape", "reshapeDock"), ("Geometry", "geometryDock"),  # Learn: section 2.3
    ("Gradient", "gradientDock"), ("Backprop", "backpropDock"),  # Learn: section 2.4
    ("Inside", "insideDock"), ("My digits", "handwritingDock"), ("Runs", "runsDock"),  # Inspect
)
UNSCROLLED = ("Training", "Console", "Inside")  # panels that scroll (or size) themselves; the others get a scroll area
DEFAULT_SIZE = (1400, 900)  # or the screen's free space, if smaller
LAYOUT_VERSION = 3  # of the saved dock layouts: one saved before the workspaces is not restored
OLD_STATE_KEY = "window/state"  # the single layout saved before the workspaces (removed when the new ones are saved)


def about_html() -> str:
    """Help > About: what this is and whom it stands on."""
    return (
        f"<h3>{APP_NAME} {engine.__version__}</h3>"
        "<p>Do chapter 2 of <i>Deep Learning with R</i> by hand: look at the MNIST tensors, "
        "design the network, choose an optimizer, train with live curves, evaluate, and draw "
        "your own digits.</p>"
        "<p><b>Book:</b> <i>Deep Learning with R</i> by François Chollet and J. J. Allaire "
        "(Manning). The training engine follows the Keras API the book uses.</p>"
        "<p><b>Data:</b> the MNIST database of handwritten digits by Yann LeCun, Corinna Cortes "
        "and Christopher J.C. Burges, available under the Creative Commons Attribution-Share "
        "Alike 3.0 licence (CC BY-SA 3.0); the <code>mnist.npz</code> packaging is Keras's. "
        "Fashion-MNIST, when downloaded, is by Zalando Research (MIT licence).</p>"
        "<p><b>Built with</b> Qt for Python (PySide6), pyqtgraph and NumPy.</p>"
    )


def shortcuts_text(window: QMainWindow) -> str:
    """Help > Keyboard shortcuts: every menu action's and panel's shortcut, read from the window
    itself (so the list is never out of date)."""
    lines = []
    for action in window.findChildren(QAction):
        keys = action.shortcut().toString(QKeySequence.NativeText)
        if keys and action.text():
            lines.append(f"{keys}\t{action.text().replace('&', '')}")
    for shortcut in window.findChildren(QShortcut):
        keys = shortcut.key().toString(QKeySequence.NativeText)
        owner = shortcut.parent()
        where = owner.objectName() if owner is not None else ""
        what = shortcut.whatsThis() or shortcut.objectName()
        if keys:
            lines.append(f"{keys}\t{what or 'in ' + where}")
    return "\n".join(sorted(set(lines), key=str.lower)) or "No keyboard shortcuts."


class MainWindow(FileActions, QMainWindow):
    """The application window. ``MainWindow()`` opens the bundled MNIST sample."""

    training_finished = Signal(str)  # the reason a run ended: "completed", "stopped", "nan"...

    def __init__(self, dataset=None, settings: QSettings | str | None = None, parent: QWidget | None = None,
                 history: RunHistory | None = None):
        super().__init__(parent)
        collect_on_ui_thread()  # Qt objects in garbage cycles must die on this thread (see the module)
        self.setWindowTitle(APP_NAME)
        self.setObjectName("mainWindow")
        if isinstance(settings, QSettings):
            self.store = settings
        else:
            self.store = QSettings(settings or ORGANISATION, APP_NAME)
        problem = None
        if dataset is None:
            try:
                dataset = data_loading.load_sample_dataset()
            except (ValueError, OSError) as exc:  # a broken install: say so, open empty
                problem = f"The bundled MNIST sample could not be loaded: {exc}"
        self.state = AppState(dataset, parent=self)
        restore_note = persistence.restore_layers(self.state, self.store.value(persistence.LAYERS_KEY))
        persistence.restore_settings(self.state, self.store.value(persistence.SETTINGS_KEY))
        my_digits_for(self.state).set_train_with_them(  # before the panels: restored, not announced
            persistence.read_flag(self.store.value(persistence.TRAIN_ON_MY_DIGITS_KEY)))
        self.controller = TrainingController(self.state, parent=self)
        self.panels = {
            "Network": NetworkPanel(self.state), "Optimizer": OptimizerPanel(self.state),
            "Training": TrainingPanel(self.state, self.controller),
            "Data": DataPanel(self.state), "Evaluate": EvaluatePanel(self.state), "Draw": DrawPanel(self.state),
            "My digits": HandwritingPanel(self.state),
            "Console": ConsolePanel(self.state, store=self.store),  # its output scrolls itself
            "Geometry": GeometryLab(self.state),
            "Reshape": ReshapeLab(self.state), "Shapes": ShapesLab(self.state),
            "Gradient": GradientLab(self.state), "Backprop": BackpropLab(self.state),
            "Inside": InsidePanel(self.state),  # its views scroll themselves
        }
        self.panels["Runs"] = RunsPanel(self.state, self.controller, history if history is not None else RunHistory(),
                                        plots=self.panels["Training"].plots)
        self.panels["Guide"] = GuidePanel(available=self._has_panel)
        self.panels["Guide"].open_requested.connect(self.open_place)
        self.training_panel = self.panels["Training"]
        self.docks: dict[str, QDockWidget] = {}
        for title, name in DOCKS:
            dock = QDockWidget(title, self)
            dock.setObjectName(name)
            panel = self.panels[title]
            # the others in a frameless scroll area: a small screen squeezes docks, not the window
            dock.setWidget(panel if title in UNSCROLLED else
                           scroll_area(panel, objectName=panel.objectName() + "Scroll", frameShape=QFrame.NoFrame))
            dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                             | QDockWidget.DockWidgetClosable)
            self.docks[title] = dock
        placeholder = QWidget()  # QMainWindow wants a central widget; the docks fill the space
        self.setCentralWidget(placeholder)
        placeholder.hide()
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowNestedDocks | QMainWindow.AllowTabbedDocks)
        self.setTabPosition(Qt.AllDockWidgetAreas, QTabWidget.North)  # tabs read like a notebook's
        self.setStatusBar(StatusBar(self))  # long messages end in "…" before the dataset's name
        self.workspace_bar = WorkspaceBar(self)
        if self.menuBar().isNativeMenuBar():  # macOS: the menus leave the window, the bar stays in it
            self.addToolBar(Qt.TopToolBarArea, self.workspace_bar)
        else:  # in the menu bar's row: the docks keep the height (Draw's canvas fits under Training at 768)
            self.menuBar().setCornerWidget(self.workspace_bar, Qt.TopRightCorner)
        self.workspace_bar.switched.connect(self.switch_workspace)
        follow_theme(self, self.workspace_bar.restyle)
        self.workspace = workspaces.DEFAULT  # the current workspace's name
        self._layouts: dict[str, QByteArray] = {}  # each workspace's saved dock state, when it has one
        self._known: dict[str, list[str]] = {}  # the docks (objectNames) each saved state knows
        self._shares: dict[str, float | None] = {}  # each workspace's left column share, once known
        screen = self.screen().availableGeometry()
        self.resize(min(DEFAULT_SIZE[0], screen.width()), min(DEFAULT_SIZE[1], screen.height()))
        self.column_shares = ColumnShares(self, None)
        self._arrange(self.workspace)
        self.workspace_bar.show_current(self.workspace)
        self._build_menus()
        self.undo_history = UndoHistory(self.state, parent=self)  # after the restores above: they are no steps
        install_edit_menu(self, self.undo_history)
        install_training_menu(self)
        if self.panels["Runs"].problem:
            self.statusBar().showMessage(self.panels["Runs"].problem, 30000)
        self.dataset_label = QLabel()
        self.dataset_label.setObjectName("datasetStatus")
        self.statusBar().addPermanentWidget(self.dataset_label)
        self._show_dataset_name()
        self.state.dataset_changed.connect(self._show_dataset_name)
        self.state.download_requested.connect(self._show_download)
        self.state.training_finished.connect(self.training_finished)
        self.controller.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.controller.failed.connect(lambda text: self.statusBar().showMessage("Error: " + text, 15000))
        self.state.training_finished.connect(self._on_training_finished)
        self._restore_window()
        self.settings_writer = SettingsWriter.watching(self)  # written soon after each change
        my_digits_for(self.state).train_with_them_changed.connect(self.settings_writer.schedule)
        if restore_note:
            self.statusBar().showMessage(restore_note, 30000)
        if problem:
            self.show_error("No dataset", problem + "\nUse File > Open dataset… to open an mnist.npz.")

    # -- layout and workspaces ----------------------------------------------------------------------
    def _arrange(self, name: str) -> None:
        """Lay workspace ``name`` out as its default says (its columns get their default shares)."""
        workspace = workspaces.named(name)
        arrange(self, workspace, self.docks)
        self.column_shares.share = workspace.columns[0].share if len(workspace.columns) > 1 else None
        self._apply_shares()

    def _enter(self, name: str) -> None:
        """Show workspace ``name`` as it was left (its saved dock state), or as its default."""
        self.workspace = workspaces.named(name).name
        self.workspace_bar.show_current(self.workspace)
        saved = self._layouts.get(self.workspace)
        for dock in self.docks.values():  # a dock the saved state does not know stays out of the way
            dock.hide()
        if saved is not None and self.restoreState(saved, LAYOUT_VERSION):
            self._place_newcomers()
            self.column_shares.share = self._shares.get(self.workspace)  # None: measured at the next resize
            self._apply_shares()
        else:  # never arranged, damaged, or saved by an older version
            self._layouts.pop(self.workspace, None)
            self._arrange(self.workspace)

    def _place_newcomers(self) -> None:
        """Docks added to the app after the current workspace's layout was saved: where the default puts them."""
        known = self._known.get(self.workspace)
        if known is None:
            return
        titles = {dock.objectName(): title for title, dock in self.docks.items()}
        known_titles = [titles[name] for name in known if name in titles]
        for title, partner, column in workspaces.newcomers(self.workspace, known_titles, self.docks):
            dock = self.docks[title]
            dock.setFloating(False)
            dock.show()
            if partner is not None and not self.docks[partner].isHidden():
                self.tabifyDockWidget(self.docks[partner], dock)
            else:
                self.addDockWidget(Qt.LeftDockWidgetArea if column == 0 else Qt.RightDockWidgetArea, dock)
        self._known[self.workspace] = [dock.objectName() for dock in self.docks.values()]

    def _keep_layout(self) -> None:
        """The current workspace's layout as it is now, with the docks it knows."""
        self._layouts[self.workspace] = self.saveState(LAYOUT_VERSION)
        self._known[self.workspace] = [dock.objectName() for dock in self.docks.values()]

    def _apply_shares(self) -> None:
        """The columns' shares now, and again once Qt has laid the workspace's docks out."""
        self.column_shares.apply()
        QTimer.singleShot(0, self.column_shares, self.column_shares.apply)  # a timer that dies with the window

    def switch_workspace(self, name: str) -> None:
        """Keep the current workspace's layout, then show workspace ``name`` as it was left."""
        name = workspaces.named(name).name
        if name == self.workspace:
            self.workspace_bar.show_current(name)
            return
        self._keep_layout()
        self._shares[self.workspace] = self.column_shares.share
        self._enter(name)

    def reset_layout(self) -> None:
        """View > Reset layout: the current workspace as its default says."""
        self._layouts.pop(self.workspace, None)
        self._arrange(self.workspace)

    def show_panel(self, title: str) -> None:
        """Bring panel ``title`` into view: in the current workspace if it is there (or belongs
        there), else in the workspace that holds it."""
        self._go_to(title)
        self.docks[title].show()
        self.docks[title].raise_()

    def _go_to(self, title: str) -> None:
        """Switch to the workspace that holds panel ``title``, unless the current one shows it."""
        dock = self.docks.get(title)
        if dock is not None and dock.isHidden():
            home = workspaces.home_of(title, self.workspace)
            if home is not None and home != self.workspace:
                self.switch_workspace(home)

    # -- menus ---------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        def action(menu, text, slot, shortcut=None, name=None):
            a = QAction(text, self)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            if name:
                a.setObjectName(name)
            a.triggered.connect(slot)
            menu.addAction(a)
            return a

        file_menu = self.menuBar().addMenu("&File")
        action(file_menu, "&Open dataset…", self._ask_open_dataset, QKeySequence.Open, "openDatasetAction")
        action(file_menu, "Open dataset &folder…", self._ask_open_dataset_folder, "Ctrl+Shift+O",
               "openDatasetFolderAction")
        action(file_menu, "Use the bundled &sample", self.use_sample_dataset, None, "useSampleAction")
        file_menu.addSeparator()
        action(file_menu, "&Save model…", self._ask_save_model, QKeySequence.Save, "saveModelAction")
        action(file_menu, "&Load model…", self._ask_load_model, "Ctrl+L", "loadModelAction")
        file_menu.addSeparator()
        action(file_menu, "&Export plots (PNG and CSV)…", self._ask_export_plots, "Ctrl+E", "exportPlotsAction")
        export_menu = file_menu.addMenu("E&xport")
        action(export_menu, "&Keras (R and Python scripts, weights)…", self._ask_export_keras, None, "exportKerasAction")
        import_menu = file_menu.addMenu("&Import")
        action(import_menu, "&Keras weights…", self._ask_import_keras_weights, None, "importKerasAction")
        file_menu.addSeparator()
        action(file_menu, "&Quit", self.close, QKeySequence.Quit, "quitAction")

        view_menu = self.menuBar().addMenu("&View")
        for title, _ in DOCKS:
            view_menu.addAction(self.docks[title].toggleViewAction())
        view_menu.addSeparator()
        self.dark_action = action(view_menu, "&Dark theme", self.set_dark_theme, None, "darkThemeAction")
        self.dark_action.setCheckable(True)
        action(view_menu, "&Reset layout", self.reset_layout, None, "resetLayoutAction")
        view_menu.addSeparator()
        for a in self.workspace_bar.actions_by_name.values():  # the bar's actions, with their shortcuts
            view_menu.addAction(a)

        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "&Chapter guide", self.show_guide, QKeySequence.HelpContents, "chapterGuideAction")
        action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, None, "shortcutsAction")
        help_menu.addSeparator()
        action(help_menu, "&About Neural Playground", self.show_about, None, "aboutAction")

    def set_dark_theme(self, dark: bool) -> None:
        apply_theme(bool(dark))
        self.dark_action.setChecked(bool(dark))

    def show_guide(self) -> None:
        self.show_panel("Guide")

    def greet_first_launch(self) -> None:
        """On the very first launch, open the chapter guide (the app's starting point)."""
        if self.store.value("guide/shown") is None:
            self.show_guide()
            self.store.setValue("guide/shown", True)

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", shortcuts_text(self))

    def _has_panel(self, object_name: str) -> bool:
        return any(panel.objectName() == object_name for panel in self.panels.values())

    def open_place(self, place) -> bool:
        """Show the panel a chapter-guide place names (and, for the console, insert its listing)."""
        title = next((t for t, panel in self.panels.items() if panel.objectName() == place.panel), None)
        if title is None:
            return False
        self.show_panel(title)
        if place.console_section:
            self.panels[title].show_section(place.console_section)
        return True

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", about_html())

    # -- status ----------------------------------------------------------------------------------
    def _show_dataset_name(self) -> None:
        ds = self.state.dataset
        text = "No dataset" if ds is None else f"{ds.name}: {len(ds.x_train):,} train / {len(ds.x_test):,} test"
        self.dataset_label.setText(text)

    def _on_training_finished(self, reason: str) -> None:
        if reason == "nan":  # after the evaluation's message, so this one stays visible
            self.statusBar().showMessage("The loss became NaN: training stopped (the Training panel says why).", 30000)

    def _show_download(self) -> None:
        """Another panel asked for the full MNIST: show the Data panel, whose bar downloads it."""
        self.show_panel("Data")

    # -- persistence -------------------------------------------------------------------------------
    def _restore_window(self) -> None:
        geometry = self.store.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        for name in workspaces.names():
            saved = self.store.value(workspaces.state_key(name))
            if isinstance(saved, QByteArray) and not saved.isEmpty():
                self._layouts[name] = saved  # checked when the workspace is entered
                known = self.store.value(workspaces.docks_key(name))
                self._known[name] = (known.split(",") if isinstance(known, str) and known
                                     else [dock.objectName() for dock in self.docks.values()])
        current = workspaces.named(self.store.value(workspaces.CURRENT_KEY)).name
        if current in self._layouts or current != self.workspace:
            self._enter(current)
        dark = self.store.value("view/dark_theme", False)
        dark = dark is True or (isinstance(dark, str) and dark.lower() == "true")
        if dark or is_dark():
            self.set_dark_theme(dark)

    def save_settings(self) -> None:
        self.store.setValue("window/geometry", self.saveGeometry())
        self._keep_layout()
        for name, layout in self._layouts.items():
            self.store.setValue(workspaces.state_key(name), layout)
            self.store.setValue(workspaces.docks_key(name), ",".join(self._known[name]))
        self.store.setValue(workspaces.CURRENT_KEY, self.workspace)
        self.store.remove(OLD_STATE_KEY)
        self.store.setValue("view/dark_theme", self.dark_action.isChecked())
        self.store.setValue(persistence.SETTINGS_KEY, persistence.settings_to_text(self.state.settings))
        self.store.setValue(persistence.LAYERS_KEY, persistence.layers_to_text(self.state.layers))
        self.store.setValue(persistence.TRAIN_ON_MY_DIGITS_KEY, my_digits_for(self.state).train_with_them)
        self.store.sync()

    def closeEvent(self, event) -> None:
        """Save, then stop training and any download cleanly (no hang, no dangling thread)."""
        self.settings_writer.write_now()
        self.controller.shutdown()
        for panel in self.panels.values():
            shutdown = getattr(panel, "shutdown", None)
            if callable(shutdown):
                shutdown()
        super().closeEvent(event)
