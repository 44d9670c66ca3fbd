"""The Inside panel: the trained network opened up (issue 10, section 2).

* Weights: the first Dense layer's units as 28 x 28 templates (all of them, red where ink raises
  the unit's output, blue where it lowers it, on one scale centred on zero), or the first
  convolution layer's filters; they take shape epoch after epoch while training.
* Activations: each layer's output for the digit the learner looks at (the Data panel's, or the
  drawing), as bars or feature maps.
* Embedding: 2,000 test digits in a hidden layer's space, projected onto its two main axes (PCA),
  coloured by label: hover shows a digit, click opens it in the Data panel.
* Histograms: each layer's weights and loss gradients, one curve per epoch (as TensorBoard draws
  them): gradients that shrink towards the input are the vanishing gradient.

Everything is recomputed after each epoch (``state.model_changed``) on a thread of its own
(``background_jobs.LatestJobs``): the UI thread only copies the weights (well under a
millisecond for the chapter's network) and draws. Only what can be seen is computed: the tab that
is shown, when the panel is shown; the histograms are taken at every epoch, shown or not, since
their history cannot be made up later.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from playground.core import inside
from playground.panels.inside_views import ActivationList, ColourLegend, EmbeddingView, HistogramGrid, TemplateGrid
from playground.training.background_jobs import LatestJobs
from playground.widgets import DigitView, hint_label, scroll_area, wrapped_label

TABS = ("weights", "activations", "embedding", "histograms")
NO_MODEL = "Train the network (or load a model) to look inside it."
NOT_TRAINED = " (initial weights: not trained yet)"


def _weights_job(model, initial=None):
    templates = inside.weight_templates(model, initial)
    if templates is None:
        return None
    return templates, inside.diverging(templates.images, templates.scale), initial is not None


def _histograms_job(model, x, y, loss) -> tuple[list, str]:
    """The histograms, or none and why (the entry is filled either way: the history never waits)."""
    try:
        return inside.layer_histograms(model, x, y, loss), ""
    except Exception as error:  # noqa: BLE001 - said in the Histograms tab
        return [], str(error) if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"


class InsidePanel(QWidget):
    """Weights, activations, embedding and histograms of ``state.model``."""

    refreshed = Signal(str)  # a view was redrawn with new results: "weights", "activations"...

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("insidePanel")
        self.state = state
        self.jobs = LatestJobs(self, low_priority=True)  # per-epoch work: training and the window go first
        self.jobs.done.connect(self._on_done)
        self.jobs.failed.connect(self._on_failed)
        self.history = inside.HistogramHistory()
        self._snapshot: inside.Snapshot | None = None  # the weights the views describe
        self._model_key = None  # (id of state.model, its architecture): a new run starts a new history
        self._initial = None  # a copy of this run's initial weights, when the panel saw them
        self._histograms_drawn = None  # (history key, entries drawn): redraw only what changed
        self._histogram_problem = ""
        self._stale = set(TABS)
        self._embedding_images = None

        self.status = wrapped_label(objectName="insideStatus")
        self.tabs = QTabWidget(objectName="insideTabs")
        self.tabs.addTab(self._build_weights_tab(), "Weights")
        self.tabs.addTab(self._build_activations_tab(), "Activations")
        self.tabs.addTab(self._build_embedding_tab(), "Embedding")
        self.tabs.addTab(self._build_histograms_tab(), "Histograms")
        self.tabs.currentChanged.connect(lambda _: self._refresh_shown())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

        state.model_changed.connect(self._on_model_changed)
        state.current_digit_changed.connect(lambda: self._mark_stale("activations"))
        state.dataset_changed.connect(lambda: self._mark_stale("embedding"))
        self._on_model_changed()

    # ----- building ---------------------------------------------------------------------------------
    def _build_weights_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.weights_title = wrapped_label(objectName="weightsTitle")
        self.legend = ColourLegend()
        self.legend.setObjectName("weightsLegend")
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend, 1)
        legend_row.addWidget(hint_label("blue: ink there lowers the unit's output · white: no effect · "
                                        "red: raises it"), 2)
        self.change_check = QCheckBox("Show what training changed (weights − initial weights)",
                                      objectName="weightsChangeCheck")
        self.change_check.setToolTip("The initial weights are random noise that training only nudges: taking them "
                                     "away leaves what training wrote into each unit")
        self.change_check.setEnabled(False)
        self.change_check.toggled.connect(lambda _: self._mark_stale("weights"))
        self.templates = TemplateGrid()
        self.templates.setObjectName("weightTemplates")
        layout.addWidget(self.weights_title)
        layout.addWidget(self.change_check)
        layout.addLayout(legend_row)
        layout.addWidget(scroll_area(self.templates, objectName="weightTemplatesScroll"), 1)
        return tab

    def _build_activations_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.activation_digit = DigitView(objectName="activationDigit")
        self.activation_digit.setFixedSize(84, 84)
        self.activation_caption = wrapped_label(objectName="activationCaption")
        top = QHBoxLayout()
        top.addWidget(self.activation_digit)
        top.addWidget(self.activation_caption, 1)
        self.activations = ActivationList()
        self.activations.setObjectName("layerActivations")
        layout.addLayout(top)
        layout.addWidget(scroll_area(self.activations, objectName="layerActivationsScroll"), 1)
        return tab

    def _build_embedding_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.layer_combo = QComboBox(objectName="embeddingLayerCombo")
        self.layer_combo.setToolTip("The space the digits are taken from: each digit is the list of this "
                                    "layer's outputs for it, projected onto the two directions in which the "
                                    "digits differ most (PCA)")
        self.layer_combo.currentIndexChanged.connect(lambda _: self._mark_stale("embedding"))
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Test digits in the space of"))
        chooser.addWidget(self.layer_combo, 1)
        self.embedding_status = hint_label(objectName="embeddingStatus")
        self.embedding = EmbeddingView()
        self.embedding.setObjectName("embeddingView")
        self.embedding.clicked.connect(lambda index: self.state.request_digit("test", index))
        layout.addLayout(chooser)
        layout.addWidget(self.embedding_status)
        layout.addWidget(self.embedding, 1)
        return tab

    def _build_histograms_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.histograms_title = hint_label(objectName="histogramsTitle")
        self.histograms = HistogramGrid()
        self.histograms.setObjectName("histogramGrid")
        layout.addWidget(self.histograms_title)
        layout.addWidget(scroll_area(self.histograms, objectName="histogramGridScroll"), 1)
        return tab

    # ----- what to compute, and when ----------------------------------------------------------------
    def _on_model_changed(self) -> None:
        model = self.state.model
        if model is None or not getattr(model, "built", False):
            self._snapshot = None
            self._clear(NO_MODEL)
            return
        previous, self._snapshot = self._snapshot, inside.Snapshot(model)  # copies the weights: ~1 ms
        key = (id(model), repr(self._snapshot.config))
        if key != self._model_key:  # another run, design or loaded model: a history of its own
            self._model_key, self._initial, previous = key, None, None
            self.history.reset(key)
            self._fill_layer_combo(model)
        if not self.state.trained and self._initial is None:
            self._initial = self._snapshot
        self.change_check.setEnabled(self._initial is not None and self.state.trained)
        self.status.setText(self.state.model_problem
                            or ("" if self.state.trained else "Not trained yet: these are the initial weights."))
        if not self._snapshot.same_weights(previous):  # the same weights announced again: no new epoch
            self._take_histograms()
        self._stale = set(TABS) - {"histograms"}
        self._refresh_shown()

    def _take_histograms(self) -> None:
        """One set of histograms per new weight snapshot."""
        dataset, loss = self.state.dataset, self.state.settings.loss
        trained_so_far = sum(label != "initial" for label, _ in self.history.entries)
        label = f"epoch {trained_so_far + 1}" if self.state.trained else "initial"
        x = y = None
        if dataset is not None and len(dataset.x_train):
            x, y = inside.gradient_batch(dataset, loss)
        position, key, snapshot = len(self.history.entries), self.history.key, self._snapshot
        self.history.entries.append((label, None))  # its place, filled when computed
        self.jobs.submit("histograms", lambda: (key, position, _histograms_job(snapshot.model, x, y, loss)),
                         coalesce=False)

    def _mark_stale(self, tab: str) -> None:
        self._stale.add(tab)
        self._refresh_shown()

    def _refresh_shown(self) -> None:
        """Compute the shown tab's view if it is out of date (nothing while the panel is hidden)."""
        if self._snapshot is None or not self.isVisible():
            return
        tab = TABS[self.tabs.currentIndex()]
        if tab == "histograms":
            self._show_histograms()
            return
        if tab not in self._stale:
            return
        self._stale.discard(tab)
        snapshot = self._snapshot
        if tab == "weights":
            initial = self._initial if self.change_check.isChecked() and self.change_check.isEnabled() else None
            self.jobs.submit("weights", lambda: _weights_job(snapshot.model, initial and initial.model))
        elif tab == "activations":
            digit = self.state.current_digit
            if digit is None:
                self.activation_caption.setText("Pick a digit in the Data panel, or draw one in the Draw panel.")
                return
            self.jobs.submit("activations", lambda: (digit, inside.layer_activations(snapshot.model, digit[0])))
        elif tab == "embedding":
            self._submit_embedding(snapshot)

    def _submit_embedding(self, snapshot) -> None:
        dataset, choice = self.state.dataset, self.layer_combo.currentData()
        if dataset is None or len(dataset.x_test) == 0 or choice is None:
            self.embedding.set_embedding(None)
            self.embedding_status.setText("No test digits to place." if choice is not None else "")
            return
        images, labels = dataset.x_test[:inside.EMBEDDED_DIGITS], dataset.y_test[:inside.EMBEDDED_DIGITS]
        self.embedding_status.setText(f"Projecting {len(images):,} test digits…")
        self.jobs.submit("embedding", lambda: (images, inside.embed(snapshot.model, images, labels, choice)))

    def _fill_layer_combo(self, model) -> None:
        chosen = self.layer_combo.currentText()
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        choices = inside.embedding_layers(model)
        for choice in choices:
            self.layer_combo.addItem(choice.caption, choice)
        index = self.layer_combo.findText(chosen)
        default = choices.index(inside.default_embedding_layer(choices))
        self.layer_combo.setCurrentIndex(index if index >= 0 else default)
        self.layer_combo.blockSignals(False)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._refresh_shown()

    # ----- results ----------------------------------------------------------------------------------
    def _on_done(self, kind: str, result) -> None:
        if self._snapshot is None:
            return
        if kind == "weights":
            self._show_templates(result)
        elif kind == "activations":
            (image, caption), shown = result
            self.activation_digit.set_image(image)
            self.activation_caption.setText(f"{caption}: each layer's output for it"
                                            + ("" if self.state.trained else NOT_TRAINED))
            self.activations.set_activations(shown)
        elif kind == "embedding":
            images, embedding = result
            self.embedding.set_embedding(embedding, images)
            share = embedding.explained.sum()
            self.embedding_status.setText(
                f"{len(embedding.labels):,} test digits, each a point: its {embedding.layer.features} values "
                f"projected onto the two main axes of their spread ({share:.0%} of it)"
                + ("" if self.state.trained else NOT_TRAINED))
        elif kind == "histograms":
            key, position, (histograms, problem) = result
            if key != self.history.key or position >= len(self.history.entries):
                return  # from an earlier run
            self.history.entries[position] = (self.history.entries[position][0], histograms)
            self._histogram_problem = problem
            if TABS[self.tabs.currentIndex()] == "histograms":
                self._show_histograms()
        self.refreshed.emit(kind)

    def _on_failed(self, kind: str, message: str) -> None:
        text = f"Could not look inside this network: {message}"
        if kind == "embedding":
            self.embedding.set_embedding(None)  # the old points describe other weights
        {"weights": self.weights_title, "activations": self.activation_caption,
         "embedding": self.embedding_status, "histograms": self.histograms_title}[kind].setText(text)

    def _show_templates(self, result) -> None:
        if result is None:
            self.weights_title.setText("Its first layer with weights is neither a Dense layer on the pixels nor "
                                       "a Conv2D layer: there are no templates to show.")
            self.templates.set_templates(None)
            return
        templates, tiles, change = result
        what = "units" if templates.kind == "dense" else "filters"
        h, w = templates.images.shape[1:]
        self.weights_title.setText(
            f"{templates.layer_name}: its {len(templates)} {what}, each a {h} x {w} picture of its weights "
            f"({'one per pixel: what the unit looks for' if templates.kind == 'dense' else 'slid over the image'})"
            + (", minus their initial values" if change else "") + ("" if self.state.trained else NOT_TRAINED))
        self.legend.set_scale(templates.scale)
        low, high = templates.images.min(axis=(1, 2)), templates.images.max(axis=(1, 2))
        name = "unit" if templates.kind == "dense" else "filter"
        self.templates.set_templates(tiles, [f"{name} {i} (R: {i + 1}): weights from {low[i]:+.3f} to {high[i]:+.3f}"
                                             for i in range(len(templates))])

    def _show_histograms(self) -> None:
        done = [(label, found) for label, found in self.history.entries if found]
        drawn = (self.history.key, len(done), self._histogram_problem)
        if drawn == self._histograms_drawn:
            return  # nothing new: the plots stay as they are
        self._histograms_drawn = drawn
        self.histograms.set_history(done)
        if self._histogram_problem:
            self.histograms_title.setText(f"Could not take this epoch's histograms: {self._histogram_problem}")
            return
        if not done:
            self.histograms_title.setText("The histograms appear as the network trains (one curve per epoch).")
            return
        curves = (f"one curve per epoch, from faint ({done[0][0]}) to strong ({done[-1][0]})" if len(done) > 1
                  else f"one curve so far ({done[0][0]}), and another after each epoch")
        self.histograms_title.setText(
            f"Each layer's weights (left) and the gradient of the loss with respect to them (right), on "
            f"{inside.GRADIENT_DIGITS} training digits: {curves}. Gradients that shrink layer after layer "
            "towards the input are vanishing.")

    def _clear(self, message: str) -> None:
        self.status.setText(message)
        self.history.reset()
        self._model_key = self._initial = self._histograms_drawn = None
        self.change_check.setEnabled(False)
        self.templates.set_templates(None)
        self.weights_title.setText("")
        self.activations.set_activations([])
        self.activation_caption.setText("")
        self.activation_digit.set_image(None)
        self.embedding.set_embedding(None)
        self.embedding_status.setText("")
        self.layer_combo.clear()
        self.histograms.set_history([])
        self.histograms_title.setText("")
        self._stale = set(TABS)

    # ----- for tests and the main window ----------------------------------------------------------
    def is_current(self, tab: str) -> bool:
        """Whether ``tab``'s view shows the newest model (nothing left to compute for it)."""
        if tab == "histograms":
            return all(found is not None for _, found in self.history.entries)
        return self._snapshot is not None and tab not in self._stale and not self.jobs.busy(tab)

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(name))

    def shutdown(self) -> None:
        self.jobs.shutdown()
