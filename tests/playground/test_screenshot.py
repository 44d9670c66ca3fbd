"""The README's screenshot comes from the real window, rendered by scripts/make_screenshot.py."""
import importlib.util
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def load_script():
    spec = importlib.util.spec_from_file_location("make_screenshot", ROOT / "scripts" / "make_screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_renders_the_trained_window(qapp, tmp_path):
    out = tmp_path / "shot.png"
    assert load_script().main(["--out", str(out), "--size", "1000x700"]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 700)
    colours = {image.pixel(x, y) for x in range(0, 1000, 25) for y in range(0, 700, 25)}
    assert len(colours) > 20  # a real window, not a blank grab


def test_the_readme_shows_the_committed_screenshot():
    assert "](assets/screenshot.png)" in (ROOT / "README.md").read_text()
    assert QImage(str(ROOT / "assets" / "screenshot.png")).width() >= 1000


def test_the_script_can_show_other_tabs(qapp, tmp_path):
    out = tmp_path / "draw.png"
    assert load_script().main(["--out", str(out), "--size", "1024x700", "--epochs", "1",
                               "--left", "Network", "--right", "Draw"]) == 0
    assert QImage(str(out)).size().toTuple() == (1024, 700)
