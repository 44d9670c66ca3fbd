"""What the app writes for the learner, as plain strings: numbers (``number_text``), tensors
(``tensor_text``), a design and an optimizer in words (``network_text``, ``optimizer_text``), the
Keras-style training log (``keras_log``), the R and Python Keras code beside a design
(``keras_code``) and the Edit menu's undo labels (``undo_text``). No Qt: modules here may import the
engine, NumPy, the standard library and ``playground.core``, never PySide6, pyqtgraph or the Qt
layers (``tests/playground/test_package_layers.py`` checks it). Import the modules directly; this
package imports nothing.
"""
