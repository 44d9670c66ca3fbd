"""The panels the main window shows as docks; each takes ``AppState`` as its first argument.

The Train workspace's ``data_panel.DataPanel`` (tensors), ``network_panel.NetworkPanel`` (layers),
``optimizer_panel.OptimizerPanel`` (compile and fit arguments), ``training_panel.TrainingPanel``
(fit, live curves), ``evaluate_panel.EvaluatePanel`` (test set) and ``draw_panel.DrawPanel`` (your
own digits); the Inspect workspace's (inside, why, handwriting, runs) and the Learn workspace's
(guide, console, the labs). A panel is a thin view: it draws what ``playground.core`` computes and
edits ``playground.training.state``; it may import every layer below it (core, text, training,
widgets), never the window. Import them from their modules; this package stays light.
"""
