"""How fast training goes, for the Training panel's caption: samples per second and the time left."""
from __future__ import annotations

TIMED_BATCHES = 5  # speed and ETA are shown once this many batches after the first were timed


def pace(timed_batches: int, timed_seconds: float, timed_samples: int, remaining_batches: int):
    """``(samples per second, ETA in seconds)`` from the batches timed so far, or ``(None, None)``.

    The first batch of a fit is never timed: it pays for warming up (memory, threads), so one
    Step one batch on full MNIST would otherwise promise an ETA of a minute. Until
    ``TIMED_BATCHES`` batches were timed the pace is unknown, and the caption shows a dash.
    """
    if timed_batches < TIMED_BATCHES or timed_seconds <= 0:
        return None, None
    return timed_samples / timed_seconds, remaining_batches * timed_seconds / timed_batches
