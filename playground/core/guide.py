"""The chapter guide's contents: chapter 2's sections, a sentence or two each, and where in the app
each one lives (no Qt: the guide panel draws these, and tests read them).

A place is a panel's objectName (``dataPanel``, ``shapesLab``...: the window raises the dock that
holds it) and, for the console, the section whose listing it should insert. The window shows a section's button only when its place
exists, so the guide never points at nothing.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    panel: str  # the panel's objectName
    label: str  # the button's text
    console_section: str | None = None  # for the console: the section whose listing it inserts


@dataclass(frozen=True)
class Section:
    number: str  # "2.2.6"
    title: str
    text: str
    places: tuple[Place, ...] = ()


CONSOLE = "tensorConsole"

SECTIONS = (
    Section("2.1", "A first look at a neural network",
            "MNIST's 60,000 training digits, a network of two dense layers, compile, then fit for five "
            "epochs: about 98.9 % right on the training digits and 97.8 % on the test digits.",
            (Place("trainingPanel", "Train it"), Place("networkPanel", "See the network"),
             Place(CONSOLE, "The listing in the console", "2.1"))),
    Section("2.2.1–2.2.4", "Scalars, vectors, matrices and 3D tensors",
            "A tensor is a container of numbers with a number of axes (its rank): a vector has one, a "
            "matrix two, and MNIST's images three.",
            (Place(CONSOLE, "Make tensors in the console", "2.2.2"),)),
    Section("2.2.5", "Key attributes",
            "Rank, shape and data type: train_images is a 3D tensor of integers, 60,000 matrices of "
            "28 x 28 grey levels from 0 to 255.",
            (Place("dataPanel", "Look at the tensors"), Place(CONSOLE, "Ask the console", "2.2.5"))),
    Section("2.2.6", "Manipulating tensors in R",
            "Slicing selects digits and parts of digits: train_images[10:99,,] takes digits 10 to 99, "
            "train_images[, 15:28, 15:28] the bottom-right corner of every digit.",
            (Place(CONSOLE, "Slice in the console", "2.2.6"), Place("dataPanel", "Slice in the Data panel"))),
    Section("2.2.7", "The notion of data batches",
            "Networks learn from small batches of samples, 128 at a time: the first axis becomes the "
            "batch axis.",
            (Place("dataPanel", "Walk through the batches"), Place(CONSOLE, "Batches in the console", "2.2.7"))),
    Section("2.3.1–2.3.3", "Element-wise operations, broadcasting and tensor dot",
            "relu and addition act on each number; a smaller tensor is repeated over a bigger one; dot "
            "combines the rows of one tensor with the columns of the other, if their shapes agree.",
            (Place("shapesLab", "Try shapes"), Place(CONSOLE, "In the console", "2.3.1"))),
    Section("2.3.4", "Tensor reshaping",
            "Reshaping rearranges the same numbers into another shape: row by row with array_reshape, "
            "column by column with R's dim<-, and a digit scrambled if the two are mixed.",
            (Place("reshapeLab", "Reshape a digit"), Place(CONSOLE, "In the console", "2.3.4"))),
    Section("2.3.5–2.3.6", "Geometric interpretation",
            "A dense layer moves points: it rotates, stretches and shifts them, then relu folds them. "
            "A deep network uncrumples tangled classes one layer at a time.",
            (Place("geometryLab", "See a layer move points"),)),
    Section("2.4.1–2.4.3", "Gradient-based optimization",
            "The derivative says which way the loss goes down; gradient descent steps that way, with a "
            "step size that can be too small or too large; momentum and its cousins help.",
            (Place("gradientLab", "Descend a loss surface"), Place("optimizerPanel", "Choose the optimizer"))),
    Section("2.4.4", "Backpropagation",
            "The chain rule, layer by layer from the loss back to the first weights: every gradient the "
            "optimizer needs, in one backward pass.",
            (Place("backpropLab", "Walk through one batch"),)),
    Section("2.5", "Looking back at our first example",
            "The input tensors, the layers, the loss and the optimizer: each piece of the first example, "
            "now understood. Evaluate the trained network and draw your own digits.",
            (Place("evaluatePanel", "Evaluate"), Place("drawPanel", "Draw a digit"))),
)
