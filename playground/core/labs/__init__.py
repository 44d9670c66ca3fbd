"""The chapter's ideas as labs (issue 9, sections 3-7): the code without Qt behind each lab panel.

One module per lab, each tested on its own; the panels in ``playground.panels`` only draw
what these modules compute. Import the modules directly (``from playground.core.labs import shapes``):
this package imports nothing, so one lab never loads another.
"""
