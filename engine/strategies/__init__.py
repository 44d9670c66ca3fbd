"""Strategies: how ``fit`` runs a step and the named operations of ``engine.ops`` (``serial``,
``blas_threads``, ``two_threads``, ``split_batch``, and the opt-in ``two_processes``).

``choose(model)`` picks the fastest strategy that supports the model on this machine, unless the
environment variable ``ENGINE_STRATEGY`` names one (``ENGINE_STRATEGY=serial``). It returns the
strategy and the reason, which ``fit(verbose=1)`` prints and hands to callbacks in
``params["strategy"]`` and ``params["strategy_reason"]``.
"""
from __future__ import annotations

import contextlib
import os

from engine.strategies.base import Strategy
from engine.strategies.blas_threads import BlasThreads
from engine.strategies.serial import SERIAL, Serial
from engine.strategies.split_batch import SplitBatch
from engine.strategies.two_processes import TwoProcesses
from engine.strategies.two_threads import TwoThreads

_STRATEGIES = {"serial": Serial, "blas_threads": BlasThreads, "two_threads": TwoThreads, "split_batch": SplitBatch,
               "two_processes": TwoProcesses}
PREFERENCE = ("split_batch", "two_threads", "serial")  # fastest first, as measured by ``python -m engine.bench``


def names() -> list[str]:
    return list(_STRATEGIES)


def get(name: str) -> Strategy:
    """A new strategy from its name (``"serial"``, ``"two_threads"``)."""
    cls = _STRATEGIES.get(str(name).strip().lower())
    if cls is None:
        raise ValueError(f"Unknown strategy {name!r}; expected one of: {', '.join(_STRATEGIES)}")
    return cls()


@contextlib.contextmanager
def named(name: str | None):
    """Within the block, ``fit`` uses the strategy ``name`` (None: the one it chooses), as
    ``ENGINE_STRATEGY=name`` would; the variable is put back afterwards."""
    before = os.environ.get("ENGINE_STRATEGY")
    if name:
        get(name)  # an unknown name fails here, with the list of names
        os.environ["ENGINE_STRATEGY"] = name
    try:
        yield
    finally:
        if name:
            if before is None:
                del os.environ["ENGINE_STRATEGY"]
            else:
                os.environ["ENGINE_STRATEGY"] = before


def choose(model) -> tuple[Strategy, str]:
    """The strategy ``fit`` uses for ``model`` here, and why."""
    wanted = os.environ.get("ENGINE_STRATEGY", "").strip()
    if wanted:
        strategy = get(wanted)
        ok, why = strategy.supports(model)
        if ok:
            return strategy, f"ENGINE_STRATEGY={wanted}: {why}"
        return SERIAL, f"ENGINE_STRATEGY={wanted} is not possible here ({why}); using serial"
    reasons = []
    for name in PREFERENCE:
        strategy = get(name)
        ok, why = strategy.supports(model)
        if ok:
            return strategy, "; ".join([*reasons, why])
        reasons.append(f"not {name}: {why}")
    return SERIAL, "; ".join(reasons)  # pragma: no cover - serial supports every model


__all__ = ["Strategy", "Serial", "BlasThreads", "TwoThreads", "SplitBatch", "TwoProcesses", "SERIAL", "get", "choose", "names", "named"]
