"""The book's listings from sections 2.1-2.3, as the Snippets menu offers them.

Each snippet is the lines of one listing of *Deep Learning with R*, chapter 2, as printed
(only 2.1's ``c(60000, 28 * 28)`` reads ``nrow(train_images)`` so that it also fits the
bundled sample of 6,000 digits). The console runs all lines but the last and leaves the last
in the input line for the learner to run.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    section: str  # "2.2.6"
    title: str
    lines: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.section} {self.title}"


SNIPPETS = (
    Snippet("2.1", "Preparing the image data", (
        "train_images <- array_reshape(train_images, c(nrow(train_images), 28 * 28))",
        "train_images <- train_images / 255",
        "str(train_images)")),
    Snippet("2.1", "Back to the loaded tensors", ("rm(train_images)", "dim(train_images)")),
    Snippet("2.2.2", "Vectors (1D tensors)", ("x <- c(12, 3, 6, 14, 10)", "str(x)", "dim(as.array(x))")),
    Snippet("2.2.3", "Matrices (2D tensors)", ("x <- matrix(rep(0, 3*5), nrow = 3, ncol = 5)", "x", "dim(x)")),
    Snippet("2.2.4", "3D tensors", ("x <- array(rep(0, 2*3*2), dim = c(2,3,2))", "str(x)", "dim(x)")),
    Snippet("2.2.5", "Key attributes", ("length(dim(train_images))", "dim(train_images)", "typeof(train_images)")),
    Snippet("2.2.5", "Plotting the fifth digit", ("digit <- train_images[5,,]", "plot(as.raster(digit, max = 255))")),
    Snippet("2.2.6", "Digits 10 to 99", ("my_slice <- train_images[10:99,,]", "dim(my_slice)")),
    Snippet("2.2.6", "The same, every position written", ("my_slice <- train_images[10:99,1:28,1:28]", "dim(my_slice)")),
    Snippet("2.2.6", "The bottom-right corner of every digit", ("my_slice <- train_images[, 15:28, 15:28]",)),
    Snippet("2.2.7", "The first batch", ("batch <- train_images[1:128,,]",)),
    Snippet("2.2.7", "The second batch", ("batch <- train_images[129:256,,]",)),
    Snippet("2.3.1", "Element-wise: add, then relu with pmax", (
        "x <- matrix(runif(6, -1, 1), nrow = 2)", "y <- matrix(runif(6, -1, 1), nrow = 2)", "z <- x + y",
        "z <- pmax(z, 0)")),
    Snippet("2.3.2", "Broadcasting: sweep a vector over the rows", (
        "x <- matrix(runif(32 * 10), nrow = 32)", "y <- runif(10)", "sweep(x, 2, y, `+`)")),
    Snippet("2.3.2", "sweep with pmax over two dimensions", (
        "x <- array(round(runif(1000, 0, 9)), dim = c(64, 3, 32, 10))", "y <- array(5, dim = c(32, 10))",
        "z <- sweep(x, c(3, 4), y, pmax)")),
    Snippet("2.3.3", "Tensor dot: %*%", (
        "x <- matrix(runif(128 * 784), nrow = 128)", "y <- matrix(runif(784 * 512), nrow = 784)", "z <- x %*% y",
        "dim(z)")),
    Snippet("2.3.3", "Shapes that do not conform", (
        "x <- matrix(0, nrow = 128, ncol = 784)", "y <- matrix(0, nrow = 512, ncol = 10)", "x %*% y")),
    Snippet("2.3.4", "Reshaping with array_reshape", (
        "x <- matrix(c(0, 1, 2, 3, 4, 5), nrow = 3, ncol = 2, byrow = TRUE)", "x <- array_reshape(x, dim = c(6, 1))",
        "x <- array_reshape(x, dim = c(2, 3))")),
    Snippet("2.3.4", "dim<- fills column by column", ("x <- 1:6", "dim(x) <- c(2, 3)")),
    Snippet("2.3.4", "Transposition", ("x <- matrix(0, nrow = 300, ncol = 20)", "x <- t(x)", "dim(x)")),
)

SECTIONS = {"2.1": "A first look at a neural network", "2.2": "Data representations for neural networks",
            "2.3": "Tensor operations"}


def for_section(section: str) -> tuple[Snippet, ...]:
    """The snippets of ``section`` and its subsections (``"2.2"`` gives 2.2.2 ... 2.2.7)."""
    return tuple(s for s in SNIPPETS if s.section == section or s.section.startswith(section + "."))
