"""The tensor console (issue 9, section 2): the book's R and NumPy, on the loaded MNIST tensors.

No Qt here. ``Session.run(text)`` is the whole API; the parts, one job each:

* ``tokens``, ``parsing``, ``r_parser``, ``numpy_parser``: text to a tree of ``nodes``;
* ``r_eval`` + ``r_functions``, ``numpy_eval``: the tree evaluated with each language's meaning;
* ``r_index``: R's indexing (1-based, inclusive, empty positions, drop), shared with the Data
  panel's slice box (``playground.core.slicing``);
* ``translate``: the same statement in the other language;
* ``describe``: the str() line and the value for the view;
* ``limits``: no tensor over 200 MB, refused from its shape before it is computed.
"""
from playground.core.console.errors import ConsoleError
from playground.core.console.session import Result, Session, detect_language, split_statements

__all__ = ["ConsoleError", "Result", "Session", "detect_language", "split_statements"]
