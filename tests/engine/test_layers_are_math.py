"""Chapter 2's layers are their math: a layer or optimizer file imports no threads, processes or
strategies; speed enters only through ``engine.ops`` (issue 8, section 1)."""
import ast
import pathlib

import pytest

ENGINE = pathlib.Path(__file__).resolve().parents[2] / "engine"
MATH_FILES = sorted([*(ENGINE / "layers").glob("*.py"), *(ENGINE / "optimizers").glob("*.py"),
                     ENGINE / "activations.py", ENGINE / "losses.py"])
SCHEDULING = ("threading", "multiprocessing", "concurrent", "queue", "signal", "mmap", "os",
              "engine.strategies", "engine.blas")


def imported_modules(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_math_files_are_found():
    names = {p.name for p in MATH_FILES}
    assert {"dense.py", "base.py", "convolutional.py", "rmsprop.py", "activations.py"} <= names


@pytest.mark.parametrize("path", MATH_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_layer_or_optimizer_file_holds_math_and_imports_no_scheduling(path):
    scheduling = sorted(name for name in imported_modules(path)
                        if any(name == s or name.startswith(s + ".") for s in SCHEDULING))
    assert not scheduling, f"{path.name} imports {scheduling}: speed belongs behind engine.ops"


def test_the_check_catches_a_layer_that_imports_threading(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("import numpy as np\nfrom threading import Thread\n")
    assert "threading" in imported_modules(sneaky)
