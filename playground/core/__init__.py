"""The app's code without Qt: the learner's design and recipe (``design``, ``specs``), datasets and
model files (``data_loading``, ``training_data``, ``model_files``, ``persistence``), runs and their
history (``runs``, ``run_history``, ``loss_watch``), what the Inspect panels compute (``inside``,
``why``, ``robustness``, ``handwriting``, ``drawing``), the Learn workspace (``guide``,
``workspaces``, ``slicing``, ``labs/``, ``console/``), and ``system_check`` and ``error_messages``.
Modules here may import the engine, NumPy, the standard library and ``playground.text``, never
PySide6, pyqtgraph or the Qt layers (``playground.training``, ``panels``, ``widgets``, the window):
``tests/playground/test_package_layers.py`` checks it. Import the modules directly; this package
imports nothing.
"""
