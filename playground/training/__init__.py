"""The app's model and its work off the UI thread, in Qt but without widgets: ``state.AppState``
(the one model the panels view), ``training_controller`` and ``training_worker`` (fit on a worker
thread), ``run_recorder`` and ``race``, ``my_digits``, ``undo``, and the helpers that load, download
and save without blocking (``background_jobs``, ``download_worker``, ``file_loading_worker``,
``settings_writer``, ``session_memory``). Modules here may import QtCore (objects, signals,
threads, settings), QtGui's undo stack, ``playground.core`` and ``playground.text``; never QtWidgets,
pyqtgraph, ``panels``, ``widgets`` or the window (``tests/playground/test_package_layers.py`` checks
it). Import the modules directly; this package imports nothing.
"""
