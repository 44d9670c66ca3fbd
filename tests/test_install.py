"""Install (issue 8, section 5): a wheel built from this checkout, installed without the checkout,
runs the app and loads the bundled MNIST sample from any folder.

The wheel is built offline from a copy of the sources (``pip wheel --no-deps
--no-build-isolation``), installed into a folder of its own (``pip install --target``), and run in
a subprocess whose working folder is elsewhere, with that folder first on ``PYTHONPATH``: what the
subprocess imports comes from the wheel, not from the checkout. (The dependencies come from the
test environment: this is about what the wheel contains.)
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("setuptools")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(site, wheel)``: the folder the wheel was installed into, and the wheel."""
    tmp = tmp_path_factory.mktemp("install")
    sources = tmp / "sources"
    sources.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, sources / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("engine", "playground"):
        shutil.copytree(ROOT / package, sources / package, ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(sources)],
                   check=True, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("neural_playground-*.whl")
    site = tmp / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, cwd=tmp)
    return site, wheel


def run_from_elsewhere(site: Path, code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_wheel_holds_the_sample_every_subpackage_and_the_app_command(installed):
    _, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "engine/datasets/data/mnist_sample.npz" in names
    packages = {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("playground/**/__init__.py")}
    packages |= {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("engine/**/__init__.py")}
    missing = sorted(p for p in packages if f"{p}/__init__.py" not in names)
    assert not missing, f"subpackages left out of the wheel: {missing}"
    assert "neural-playground = playground.app:main" in entry_points
    assert "engine-train = engine.__main__:main" in entry_points


def test_the_installed_engine_loads_the_bundled_sample_from_any_folder(installed, tmp_path):
    site, _ = installed
    done = run_from_elsewhere(site, (
        "import engine, engine.datasets.mnist as mnist\n"
        "(x, y), (xt, yt) = mnist.load_sample()\n"
        "print(engine.__file__); print(x.shape, xt.shape, x.dtype)\n"), tmp_path)
    assert done.returncode == 0, done.stderr
    where, shapes = done.stdout.splitlines()[:2]
    assert Path(where).is_relative_to(site)
    assert shapes.endswith("28, 28) uint8"), shapes


def test_the_installed_app_starts_and_quits(installed, tmp_path):
    site, _ = installed
    done = run_from_elsewhere(site, (
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "import playground, playground.app\n"
        "app = QApplication(['neural-playground'])\n"
        "QTimer.singleShot(1500, app.quit)\n"
        "code = playground.app.main([])\n"
        "print(playground.__file__, code)\n"
        "raise SystemExit(code)\n"), tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    where, code = done.stdout.split()[-2:]
    assert Path(where).is_relative_to(site) and code == "0"
