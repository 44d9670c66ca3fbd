"""``engine.planning.plan``: summary() rows for a design, from the layers themselves, without weights."""
import numpy as np
import pytest

import engine
from engine import examples, layers
from engine.planning import plan


def configs(model):
    rows = []
    for layer in model.layers:
        config = {k: v for k, v in layer.get_config().items() if k not in ("name", "input_shape")}
        rows.append({"class_name": type(layer).__name__, "config": config})
    return rows


def test_the_books_convnet_is_planned_as_summary_prints_it():
    model = examples.convnet()
    planned = plan(configs(model), (28, 28, 1))
    assert [(p.class_name, p.output_shape, p.params) for p in planned] == [
        (cls, shape, params) for _, cls, shape, params in model.summary_rows()]
    assert sum(p.params for p in planned) == 93_322 and not any(p.error for p in planned)


@pytest.mark.parametrize("name", layers.names())
def test_every_registered_layer_is_planned_as_it_builds(name):
    cls = layers.get(name)
    shape = cls.example_input_shape
    built = cls(**cls.example_config)
    built.build(shape)
    planned = plan([cls(**cls.example_config)], shape)[0]
    assert planned.output_shape == (None, *built.compute_output_shape(shape))
    assert planned.params == built.count_params()
    assert planned.trainable_params == built.count_trainable_params()


def test_a_huge_design_is_planned_without_allocating_its_weights():
    planned = plan([layers.Dense(8192), layers.Dense(8192), layers.Dense(8192)], (784,))
    assert [p.params for p in planned] == [785 * 8192, 8193 * 8192, 8193 * 8192]  # 140 M weights, 0 bytes


@pytest.mark.parametrize("stack, shape, failing, words", [
    ([layers.Conv2D(8, 30)], (28, 28, 1), 0, "larger than its input"),
    ([layers.Conv2D(8, 3), layers.MaxPooling2D(2), layers.MaxPooling2D(20)], (28, 28, 1), 2, "leaves nothing"),
    ([layers.Flatten(), layers.Conv2D(8, 3)], (28, 28, 1), 1, "cannot follow Flatten"),
    ([layers.Conv2D(8, 3), layers.Dense(4)], (28, 28, 1), 1, "add a Flatten() layer first"),
    ([layers.Conv2D(8, 3)], (28, 28), 0, "(28, 28, 1)"),
    ([{"class_name": "Conv2D", "config": {"filters": 0, "kernel_size": 3}}], (28, 28, 1), 0, "filters must be"),
])
def test_the_first_layer_that_cannot_be_built_says_why_and_the_rest_are_unknown(stack, shape, failing, words):
    planned = plan(stack + [layers.Dense(10)], shape)
    assert all(p.error is None and p.params is not None for p in planned[:failing])
    assert words in planned[failing].error and planned[failing].output_shape is None
    assert all(p.error is None and p.params is None and p.output_shape is None for p in planned[failing + 1:])
    with pytest.raises((ValueError, TypeError), match=None):
        model = engine.Sequential([layer if not isinstance(layer, dict) else layers.deserialize(layer)
                                   for layer in stack])
        model.build(shape)  # the real build refuses the same stack


def test_plan_leaves_a_real_build_of_new_layers_untouched():
    dense = layers.Dense(3)
    plan([layers.Dense(3)], (4,))
    dense.build((4,))
    assert dense.kernel.flags.writeable and dense.kernel.nbytes == 4 * 3 * 4 and np.any(dense.kernel)
