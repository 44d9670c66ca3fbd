"""Optimizer panel: how the network learns (the ``compile`` and ``fit`` arguments of chapter 2).

The chapter compiles with ``optimizer = "rmsprop"`` and ``loss = "categorical_crossentropy"``
and fits with ``epochs = 5, batch_size = 128``. Here the learner picks the optimizer and sees
ONLY the hyperparameters that optimizer really has, with Keras's defaults, a one-line reminder
of its update rule, and the equivalent Keras call in R and Python.

Each optimizer keeps its own hyperparameters: the first time one is chosen it starts from Keras's
defaults (SGD's learning rate 0.01, the others 0.001), and coming back to it brings back what was
set. "Keras defaults" resets every hyperparameter of the chosen optimizer. Every number field
shows exactly the value used and takes what is typed as it is: a value outside its range, or one
that cannot train (epsilon 0 for RMSprop, a split that leaves no digits to train on), is marked
on its field with the reason and the range, and Train is disabled (``state.training_errors()``).
The panel writes ``state.set_settings(...)``; it is locked while training runs. The words and the
code it shows come from ``playground.text.optimizer_text``, the checks from ``playground.core.specs``.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.specs import checked_settings, setting_error, setting_range
from playground.text.number_text import number_text
from playground.text.optimizer_text import (
    ALL_HYPERPARAMETERS, DEFAULT_LEARNING_RATE, HYPERPARAMETERS, LABELS, LOSS_LABELS, RULES, OptimizerMemory,
    keras_code, keras_defaults,
)
from playground.training.state import LOSSES, OPTIMIZERS, SETTING_RANGES, AppState
from playground.widgets import LocksWhileTraining, NumberSpinBox
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

FLOAT_FIELDS = (  # settings field, objectName, range (shared with state), arrow step (None: 1-2-5 log steps), tooltip
    ("learning_rate", "learningRateSpin", *SETTING_RANGES["learning_rate"], None, "Size of each step down the gradient"),
    ("momentum", "momentumSpin", *SETTING_RANGES["momentum"], 0.05, "Fraction of the previous step carried into the next"),
    ("rho", "rhoSpin", *SETTING_RANGES["rho"], 0.01, "Decay of the running average of squared gradients"),
    ("beta_1", "beta1Spin", *SETTING_RANGES["beta_1"], 0.01, "Decay of the running mean of gradients"),
    ("beta_2", "beta2Spin", *SETTING_RANGES["beta_2"], 0.001, "Decay of the running mean of squared gradients"),
    ("epsilon", "epsilonSpin", *SETTING_RANGES["epsilon"], None, "Tiny number added so nothing is divided by zero"),
    ("initial_accumulator_value", "initialAccumulatorSpin", *SETTING_RANGES["initial_accumulator_value"], 0.05,
     "Starting value of each weight's sum of squared gradients"),
    ("validation_split", "validationSplitSpin", *SETTING_RANGES["validation_split"], 0.05,
     "Fraction of training digits held out to validate"),
)
INT_FIELDS = (  # settings field, objectName, label, range (shared with state), tooltip
    ("batch_size", "batchSizeSpin", "Batch size", *SETTING_RANGES["batch_size"], "Digits per weight update (the chapter uses 128)"),
    ("epochs", "epochsSpin", "Epochs", *SETTING_RANGES["epochs"], "Passes over the training digits (the chapter uses 5)"),
    ("train_size", "trainSizeSpin", "Training digits", *SETTING_RANGES["train_size"],
     "How many training digits to use (All = every one)"),
    ("seed", "seedSpin", "Random seed", *SETTING_RANGES["seed"], "Same seed, same initial weights and shuffling"),
)


class OptimizerPanel(LocksWhileTraining, QWidget):
    """Optimizer, its hyperparameters, loss and the fit() recipe; writes ``state.set_settings``."""

    def __init__(self, state: AppState, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("optimizerPanel")
        self.state = state
        self.memory = OptimizerMemory()  # each optimizer's own hyperparameters
        self._build_ui()
        state.settings_changed.connect(self._sync_from_state)
        state.dataset_changed.connect(self._sync_dataset)
        self._sync_dataset()
        follow_theme(self, self._restyle)
        self._sync_lock()

    # ----- layout -----------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.optimizer_combo = self._combo("optimizerCombo", {n: LABELS.get(n, n) for n in OPTIMIZERS})
        self.optimizer_combo.activated.connect(self._on_optimizer_chosen)
        self.rule_label = QLabel(self)
        self.rule_label.setObjectName("optimizerExplanation")
        self.rule_label.setWordWrap(True)
        self.nesterov_check = QCheckBox("nesterov", self)
        self.nesterov_check.setObjectName("nesterovCheck")
        self.nesterov_check.setToolTip("Nesterov momentum: look ahead along the velocity, then take the gradient")
        self.defaults_button = QPushButton("Keras defaults", self)
        self.defaults_button.setObjectName("kerasDefaultsButton")
        self.defaults_button.setToolTip("Reset every hyperparameter of this optimizer to Keras's default")
        self.defaults_button.clicked.connect(self.reset_to_keras_defaults)

        self._fields: dict[str, QWidget] = {}  # TrainSettings field -> its widget
        self._errors: dict[str, QLabel] = {}  # TrainSettings field -> the label under it saying what is wrong
        self.hyper_form = QFormLayout()
        self.hyper_form.addRow("Optimizer", self.optimizer_combo)
        self.hyper_form.addRow(self.rule_label)
        for name, object_name, low, high, step, tip in FLOAT_FIELDS[:-1]:
            self._add_row(self.hyper_form, name, self._float_spin(object_name, low, high, step, tip), name)
            self.hyper_form.addRow("", self._field_error(name, object_name))
            if name == "momentum":
                self._add_row(self.hyper_form, "", self.nesterov_check, "nesterov")
        self.hyper_form.addRow("", self.defaults_button)

        self.loss_combo = self._combo("lossCombo", {n: LOSS_LABELS.get(n, n) for n in LOSSES})
        self.loss_combo.setToolTip("What training minimises; the chapter uses categorical cross-entropy")
        self.loss_combo.activated.connect(lambda _: self._write(loss=self.loss_combo.currentData()))
        recipe = QGridLayout()  # two label/field pairs per row: the recipe fits without scrolling
        recipe.addWidget(QLabel("Loss", self), 0, 0)
        recipe.addWidget(self.loss_combo, 0, 1, 1, 3)
        name, object_name, low, high, step, tip = FLOAT_FIELDS[-1]
        split = ("Validation split", self._float_spin(object_name, low, high, step, tip), name, object_name)
        pairs = [(label, self._int_spin(object_name, low, high, tip), name, object_name)
                 for name, object_name, label, low, high, tip in INT_FIELDS]
        for i, (label, widget, name, object_name) in enumerate(pairs[:2] + [split] + pairs[2:]):
            row, column = 1 + 2 * (i // 2), 2 * (i % 2)  # each pair's reasons go on the row below it
            recipe.addWidget(QLabel(label, self), row, column)
            recipe.addWidget(widget, row, column + 1)
            recipe.addWidget(self._field_error(name, object_name), row + 1, column, 1, 2)
            self._connect_field(widget, name)
        recipe.setColumnStretch(1, 1)
        recipe.setColumnStretch(3, 1)
        recipe.setHorizontalSpacing(10)
        f = self._fields
        self.learning_rate_spin, self.momentum_spin, self.rho_spin = f["learning_rate"], f["momentum"], f["rho"]
        self.beta_1_spin, self.beta_2_spin, self.epsilon_spin = f["beta_1"], f["beta_2"], f["epsilon"]
        self.accumulator_spin, self.validation_spin = f["initial_accumulator_value"], f["validation_split"]
        self.batch_size_spin, self.epochs_spin = f["batch_size"], f["epochs"]
        self.train_size_spin, self.seed_spin = f["train_size"], f["seed"]
        self.learning_rate_error = self._errors["learning_rate"]
        self.train_size_spin.setSpecialValueText("All")
        self.train_size_spin.setSingleStep(1000)

        self.error_label = self._error_label("settingsErrorLabel")
        self.code_label = QLabel(self)
        self.code_label.setObjectName("kerasCodeLabel")
        self.code_label.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.code_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.code_label.setWordWrap(True)
        self.code_label.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self._lock_label("optimizerLockLabel")

        self.form_box = QWidget(self)  # everything editable: disabled as one while training
        inner = QVBoxLayout(self.form_box)
        inner.setContentsMargins(0, 0, 0, 0)
        for title, form in (("Optimizer and its hyperparameters", self.hyper_form), ("Loss and training recipe", recipe)):
            group = QGroupBox(title, self.form_box)
            group.setLayout(form)
            inner.addWidget(group)
        code_box = QGroupBox("As Keras code", self)
        QVBoxLayout(code_box).addWidget(self.code_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        for widget in (self.lock_label, self.form_box, self.error_label, code_box):
            layout.addWidget(widget)
        layout.addStretch(1)

    def _combo(self, object_name: str, labels: dict) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(object_name)
        for data, label in labels.items():
            combo.addItem(label, data)
        return combo

    def _error_label(self, object_name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(object_name)
        label.setWordWrap(True)
        show_error_style(label)
        return label

    def _field_error(self, name: str, spin_name: str) -> QLabel:
        """The label under field ``name`` that says why its value cannot be used (hidden when it can)."""
        label = self._error_label(spin_name.removesuffix("Spin") + "Error")  # learningRateSpin -> learningRateError
        label.setVisible(False)
        self._errors[name] = label
        return label

    def _float_spin(self, object_name: str, low: float, high: float, step, tip: str) -> NumberSpinBox:
        spin = NumberSpinBox(self, log_steps=step is None)
        spin.setSingleStep(step or 1.0)
        self._spin_common(spin, object_name, low, high, tip)
        return spin

    def _int_spin(self, object_name: str, low: int, high: int, tip: str) -> NumberSpinBox:
        spin = NumberSpinBox(self, whole=True)
        self._spin_common(spin, object_name, low, high, tip)
        return spin

    def _spin_common(self, spin: NumberSpinBox, object_name: str, low, high, tip: str) -> None:
        spin.setObjectName(object_name)
        spin.setToolTip(tip)
        spin.setRange(low, high)
        spin.setKeyboardTracking(False)  # write on Enter / focus out, not on every keystroke
        spin.setMinimumWidth(90)

    def _add_row(self, form: QFormLayout, label: str, widget: QWidget, name: str) -> None:
        form.addRow(label, widget)
        self._connect_field(widget, name)

    def _connect_field(self, widget: QWidget, name: str) -> None:
        """``widget`` edits settings field ``name``: its changes go straight to state."""
        self._fields[name] = widget
        signal = widget.toggled if isinstance(widget, QCheckBox) else widget.valueChanged
        signal.connect(lambda value: self._write(**{name: value}))

    # ----- widgets -> state -------------------------------------------------------------
    def _write(self, **changes) -> None:
        self.state.set_settings(**changes)

    def _on_optimizer_chosen(self, index: int) -> None:
        name = self.optimizer_combo.itemData(index)
        if name != self.state.settings.optimizer:
            self._write(**self.memory.switch(self.state.settings, name))

    def reset_to_keras_defaults(self) -> None:
        """Every hyperparameter of the chosen optimizer back to Keras's default."""
        self._write(**keras_defaults(self.state.settings.optimizer))

    # ----- state -> widgets -------------------------------------------------------------
    def _train_count(self) -> int | None:
        ds = self.state.dataset
        return None if ds is None else len(ds.x_train)

    def _sync_dataset(self) -> None:
        self.train_size_spin.setRange(*setting_range("train_size", self._train_count()))  # beyond: marked
        self._sync_from_state()

    def _sync_from_state(self) -> None:
        s = self.state.settings
        widgets = [self.optimizer_combo, self.loss_combo, *self._fields.values()]
        for widget in widgets:
            widget.blockSignals(True)
        self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(s.optimizer))
        self.loss_combo.setCurrentIndex(self.loss_combo.findData(s.loss))
        for name, widget in self._fields.items():
            value = getattr(s, name)
            widget.setChecked(bool(value)) if isinstance(widget, QCheckBox) else self._show_value(widget, value)
        for widget in widgets:
            widget.blockSignals(False)
        shown = HYPERPARAMETERS.get(s.optimizer, ("learning_rate",))
        for name in ALL_HYPERPARAMETERS:
            self.hyper_form.setRowVisible(self._fields[name], name in shown)
        self.rule_label.setText(RULES.get(s.optimizer, ""))
        self._show_errors()
        self._show_code()

    @staticmethod
    def _show_value(spin: NumberSpinBox, value) -> None:
        try:
            spin.setValue(value)
        except (TypeError, ValueError, OverflowError):  # not a number at all: its error says so
            pass

    def _show_errors(self) -> None:
        """Each used field's problem on the field (tint, tooltip) and under it; the rest below."""
        s, count = self.state.settings, self._train_count()
        used = set(checked_settings(s))
        for name, label in self._errors.items():
            problem = setting_error(s, name, count) if name in used else None
            if problem and name == "learning_rate":
                problem += f" (Keras default for {LABELS.get(s.optimizer, s.optimizer)}: " \
                           f"{number_text(DEFAULT_LEARNING_RATE.get(s.optimizer, 0.001))})"
            self._fields[name].set_problem(problem)
            label.setText(problem or "")
            label.setVisible(bool(problem))
            if name in ALL_HYPERPARAMETERS:
                self.hyper_form.setRowVisible(label, bool(problem))
        on_fields = {setting_error(s, name, count) for name in used}
        others = [e for e in self.state.settings_errors() if e not in on_fields]
        self.error_label.setText("\n".join(others))
        self.error_label.setVisible(bool(others))

    def _show_code(self) -> None:
        self.code_label.setText(keras_code(self.state.settings, self._train_count()))

    def _restyle(self) -> None:
        """Light <-> dark: the error labels' red and the invalid fields' tint follow."""
        refresh_error_styles(self)
        self._show_errors()

    def _set_locked(self, training: bool) -> None:
        self.form_box.setEnabled(not training)
