"""The six panels the main window shows as docks. Each takes ``AppState`` as its first argument.

``data_panel.DataPanel`` (tensors), ``network_panel.NetworkPanel`` (layers),
``optimizer_panel.OptimizerPanel`` (compile and fit arguments), ``training_panel.TrainingPanel``
(fit, live curves), ``evaluate_panel.EvaluatePanel`` (test set), ``draw_panel.DrawPanel``
(your own digits). Import them from their modules; this package stays light.
"""
