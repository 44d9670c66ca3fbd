"""Robustness: how test accuracy falls as the test digits are damaged more and more (no Qt here).

Chapter 2's 97.8% is measured on digits written and scanned like the training digits. Real
digits are noisier, tilted, off-centre, written with a thicker or finer pen. Each damage below
works on a batch of images ``(n, 28, 28)`` float in [0, 1] with NumPy alone, and ``curves``
measures the accuracy at a handful of levels of each, level 0 being the clean test set (so
every curve starts at the same, clean accuracy).

- noise: Gaussian noise of standard deviation ``level`` (grey levels in [0, 1]), clipped;
- rotation: by ``level`` degrees about the image centre (bilinear);
- shift: ``level`` pixels right and ``level`` down (the ink that leaves the frame is lost);
- thicker / thinner: ``level`` steps of grey dilation / erosion with a 3x3 cross (each step
  widens / narrows a stroke by about one pixel on each side).

``hardest(probabilities, labels)`` sorts digits by the probability the network gives their
true label, lowest first: the hardest digits for this network.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from playground.core.training_data import EVALUATION_BATCH_SIZE, shaped_for

MAX_DIGITS = 1_000  # test digits damaged per curve: a smooth curve, and 26 predictions stay quick for a convnet
NOISE_SEED = 0


# ----- damage, on (n, 28, 28) float images in [0, 1] -------------------------------------------
def add_noise(images: np.ndarray, sigma: float, seed: int = NOISE_SEED) -> np.ndarray:
    """Gaussian noise of standard deviation ``sigma``, clipped to [0, 1] (``sigma`` 0: the images)."""
    images = np.asarray(images, dtype=np.float32)
    if sigma == 0:
        return images.copy()
    noise = np.random.default_rng(seed).normal(0.0, sigma, size=images.shape).astype(np.float32)
    return np.clip(images + noise, 0.0, 1.0)


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate each image by ``degrees`` (clockwise as seen on screen) about its centre, bilinear, zeros outside."""
    images = np.asarray(images, dtype=np.float32)
    if degrees % 360 == 0:
        return images.copy()
    n, h, w = images.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    angle = np.deg2rad(degrees)
    cos, sin = np.cos(angle), np.sin(angle)
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    # where each output pixel comes from: the inverse rotation (rows grow downwards, so the
    # picture turns clockwise on screen for a positive angle)
    y, x = rows - cy, cols - cx
    source_y = cos * y - sin * x + cy
    source_x = sin * y + cos * x + cx
    return _sample_bilinear(images, source_y, source_x)


def _sample_bilinear(images: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """images[:, y, x] at fractional positions (h, w); zero outside the frame."""
    n, h, w = images.shape
    padded = np.zeros((n, h + 2, w + 2), dtype=np.float32)
    padded[:, 1:-1, 1:-1] = images
    y0, x0 = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
    fy, fx = (y - y0).astype(np.float32), (x - x0).astype(np.float32)
    out = np.zeros_like(images)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            yy, xx = y0 + dy, x0 + dx
            inside = (yy >= -1) & (yy <= h) & (xx >= -1) & (xx <= w)
            yy, xx = np.clip(yy, -1, h) + 1, np.clip(xx, -1, w) + 1  # the padding's zeros stand for outside
            out += padded[:, yy, xx] * (wy * wx * inside)
    return out


def shift(images: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move the ink ``dx`` pixels right and ``dy`` down (negative: left / up); what leaves is lost."""
    images = np.asarray(images, dtype=np.float32)
    n, h, w = images.shape
    out = np.zeros_like(images)
    dx, dy = int(dx), int(dy)
    if abs(dx) >= w or abs(dy) >= h:
        return out
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        images[:, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def _cross_neighbours(images: np.ndarray, fill: float) -> list[np.ndarray]:
    """Each pixel and its four neighbours (up, down, left, right); ``fill`` beyond the frame."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)), constant_values=fill)
    return [padded[:, 1:-1, 1:-1], padded[:, :-2, 1:-1], padded[:, 2:, 1:-1], padded[:, 1:-1, :-2], padded[:, 1:-1, 2:]]


def thicken(images: np.ndarray, steps: int = 1) -> np.ndarray:
    """Grey dilation with a 3x3 cross, ``steps`` times: each pixel takes its brightest neighbour."""
    out = np.asarray(images, dtype=np.float32).copy()
    for _ in range(int(steps)):
        out = np.maximum.reduce(_cross_neighbours(out, 0.0))
    return out


def thin(images: np.ndarray, steps: int = 1) -> np.ndarray:
    """Grey erosion with a 3x3 cross, ``steps`` times: each pixel takes its darkest neighbour."""
    out = np.asarray(images, dtype=np.float32).copy()
    for _ in range(int(steps)):
        out = np.minimum.reduce(_cross_neighbours(out, 0.0))
    return out


@dataclass(frozen=True)
class Damage:
    """One kind of damage: its name, the unit of its levels, the levels, and what it does."""

    name: str
    unit: str
    levels: tuple
    apply: Callable[[np.ndarray, float], np.ndarray]


DAMAGES = (
    Damage("noise", "standard deviation", (0, 0.1, 0.2, 0.3, 0.45, 0.6), add_noise),
    Damage("rotation", "degrees", (0, 10, 20, 30, 45, 60), rotate),
    Damage("shift", "pixels right and down", (0, 1, 2, 3, 4, 5), lambda x, k: shift(x, k, k)),
    Damage("thicker", "dilation steps", (0, 1, 2, 3, 4, 5), thicken),
    Damage("thinner", "erosion steps", (0, 1, 2, 3, 4, 5), thin),
)
LEVEL_COUNT = 6  # every damage has this many levels, so the curves share one axis (0 = clean)


# ----- measuring -------------------------------------------------------------------------------
@dataclass
class Curves:
    """Accuracy at each level of each damage (``accuracy[name][0]`` is the clean accuracy)."""

    digits: int  # test digits used
    clean_accuracy: float
    accuracy: dict  # name -> list of floats, one per level of that damage
    levels: dict  # name -> tuple of levels


def accuracy_of(model, images: np.ndarray, labels: np.ndarray) -> float:
    """The share of ``images`` (n, 28, 28) in [0, 1] that ``model`` classifies as ``labels``."""
    x = shaped_for(model, images.reshape(len(images), -1))
    probabilities = np.asarray(model.predict(x, batch_size=EVALUATION_BATCH_SIZE, verbose=0))
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def curves(model, images: np.ndarray, labels: np.ndarray, damages=DAMAGES, max_digits: int = MAX_DIGITS,
           progress: Callable[[float], None] | None = None,
           cancelled: Callable[[], bool] | None = None) -> Curves | None:
    """Accuracy of ``model`` on the first ``max_digits`` test images at every level of every damage.

    ``images``: (n, 28, 28) uint8 (0..255) or float in [0, 1]; ``labels``: (n,) ints.
    ``progress(done)`` gets the share done (0..1) after each level; ``cancelled()`` is asked
    between levels, and a True answer returns None. Plain NumPy: safe on any thread, for a
    model no other thread is using.
    """
    images, labels = np.asarray(images)[:max_digits], np.asarray(labels, dtype=np.int64)[:max_digits]
    x = images.astype(np.float32) / 255 if images.dtype == np.uint8 else images.astype(np.float32)
    x = x.reshape(len(x), 28, 28)
    clean = accuracy_of(model, x, labels)
    steps = sum(len(d.levels) - 1 for d in damages)
    done = 0
    result = Curves(len(x), clean, {}, {})
    for damage in damages:
        accuracy = [clean]
        for level in damage.levels[1:]:
            if cancelled is not None and cancelled():
                return None
            accuracy.append(accuracy_of(model, damage.apply(x, level), labels))
            done += 1
            if progress is not None:
                progress(done / steps)
        result.accuracy[damage.name], result.levels[damage.name] = accuracy, damage.levels
    return result


def hardest(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Indices sorted by the probability given to the true label, lowest (hardest) first."""
    probabilities, labels = np.asarray(probabilities), np.asarray(labels, dtype=np.int64)
    confidence = probabilities[np.arange(len(labels)), labels]
    return np.argsort(confidence, kind="stable")
