import pytest

from engine import backend
from engine.utils import set_random_seed


@pytest.fixture(autouse=True)
def seeded_float32():
    """Every engine test starts in float32 with seed 0, and leaves float32 behind it."""
    backend.set_floatx("float32")
    set_random_seed(0)
    yield
    backend.set_floatx("float32")
