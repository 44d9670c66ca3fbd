"""The app's package in layers (issue 8, section 4), checked the way ``tests/engine`` checks the engine.

``playground.core`` (the code without Qt) and ``playground.text`` (what the app writes) load no Qt,
directly or through anything they import; they import nothing of the Qt layers above them.
``playground.training`` (the model, the worker and the controller) uses Qt without widgets. The
top level holds only the window, its menus and the entry points.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "playground"
QT = ("PySide6", "pyqtgraph", "shiboken6")
TOP_LEVEL = {"__init__", "__main__", "app", "main_window", "file_actions", "edit_menu", "bench", "bench_torch"}


def modules_of(layer: str) -> list[str]:
    """``playground.core.design``, ``playground.core.console.session``...: every module under a layer."""
    names = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """(line, module) for every import a file of ``package`` makes at run time, in functions too. An
    import under ``if TYPE_CHECKING:`` names a type for annotations only and never runs: left out."""
    found = []

    def visit(node):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package, up level - 1
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            if base == "playground":  # from playground import design: the module is playground.design
                found.extend((node.lineno, f"playground.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, base))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])


def forbidden_imports(layer: str, allowed) -> list[str]:
    return [f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
            for path in sorted((PACKAGE / layer).rglob("*.py"))
            for line, module in imports_in(path.read_text(), package_of(path)) if not allowed(module)]


def test_the_code_without_qt_loads_no_qt_even_through_what_it_imports():
    modules = modules_of("core") + modules_of("text")
    assert {"playground.core.design", "playground.core.console.session", "playground.core.labs.backprop",
            "playground.text.number_text"} <= set(modules)
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT!r}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"Qt loaded by playground.core or playground.text: {done.stdout}"


def test_core_and_text_import_nothing_of_qt_or_of_the_layers_above_them():
    def allowed(module: str) -> bool:
        if module.split(".")[0] in QT:
            return False
        if module.split(".")[0] != "playground":
            return True
        return module.split(".")[1] in ("core", "text")

    assert forbidden_imports("core", allowed) == []
    assert forbidden_imports("text", allowed) == []


def test_the_training_layer_uses_qt_without_widgets():
    def allowed(module: str) -> bool:
        if module.startswith(("PySide6.QtWidgets", "pyqtgraph")):
            return False
        if module.split(".")[0] != "playground":
            return True
        return module.split(".")[1] in ("core", "text", "training")

    assert forbidden_imports("training", allowed) == []


def test_widgets_and_panels_never_import_the_window_and_widgets_never_a_panel():
    def below_the_window(module: str) -> bool:
        return module.split(".")[0] != "playground" or module.split(".")[1] in ("core", "text", "training", "widgets")

    def below_the_window_or_a_panel(module: str) -> bool:
        return below_the_window(module) or module.startswith("playground.panels.")

    assert forbidden_imports("widgets", below_the_window) == []
    assert forbidden_imports("panels", below_the_window_or_a_panel) == []


def test_the_top_level_holds_only_the_window_its_menus_and_the_entry_points():
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert modules == TOP_LEVEL, "a new module belongs in core/, text/, training/, panels/ or widgets/"
    assert packages == {"core", "text", "training", "panels", "widgets"}


def test_the_checks_see_every_import_that_runs_and_only_those():
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from playground.training.state import AppState\n"
              "def later():\n    from PySide6.QtCore import QObject\n"
              "from playground import design, main_window\n"
              "from .. import theme\n"
              "from .specs import LayerSpec\n")
    found = [module for _, module in imports_in(source, "playground.core")]
    assert found == ["typing", "PySide6.QtCore", "playground.design", "playground.main_window", "playground.theme",
                     "playground.core.specs"]
