"""engine.inspect: each layer's output, and the saliency of the input (issue 10, the engine side).

Saliency is checked against finite differences for every registered layer (each in the small
model the conformance suite builds from its example), and activations against a plain forward
pass. Neither may disturb the model it looks at, nor the engine's random numbers.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import backend, examples, gradcheck, inspect, layers
from engine.layers import Dense, Dropout, Flatten
from engine.utils import set_random_seed
from tests.engine.test_conformance import example_batch, example_model


@pytest.fixture
def float64():
    backend.set_floatx("float64")
    yield
    backend.set_floatx("float32")


def with_last_activation(model, activation):
    """The same network and weights with another last activation ("linear": its logits)."""
    config = model.get_config()
    config["layers"][-1]["config"]["activation"] = activation
    twin = engine.Sequential.from_config(config)
    twin.set_weights(model.get_weights())
    return twin


def finite_difference(f, x, h=1e-6):
    """d f(x) / d x, one input value at a time (central differences)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def class_output(model, x, chosen):
    """The sum over samples of each sample's chosen output: its gradient is each sample's own."""
    return float(model.predict(x, batch_size=len(x))[np.arange(len(x)), chosen].sum())


@pytest.mark.parametrize("layer", layers.names())
def test_saliency_is_the_gradient_of_the_class_logit_for_every_layer(layer, float64):
    set_random_seed(1)
    model = example_model(layers.get(layer))
    x = np.random.default_rng(2).normal(size=(3, *layers.get(layer).example_input_shape))
    chosen = np.argmax(model.predict(x), axis=1)
    logits = with_last_activation(model, "linear")
    expected = finite_difference(lambda v: class_output(logits, v, chosen), x)
    np.testing.assert_allclose(inspect.saliency(model, x), expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("layer", ["Dense", "Conv2D", "MaxPooling2D", "BatchNormalization"])
def test_saliency_of_a_probability_and_of_a_chosen_class(layer, float64):
    set_random_seed(3)
    model = example_model(layers.get(layer))
    x = np.random.default_rng(4).normal(size=(2, *layers.get(layer).example_input_shape))
    chosen = np.array([2, 0])
    expected = finite_difference(lambda v: class_output(model, v, chosen), x)
    np.testing.assert_allclose(inspect.saliency(model, x, class_index=chosen, logit=False), expected,
                               rtol=1e-5, atol=1e-8)


def test_saliency_of_one_drawing_has_the_drawings_shape():
    set_random_seed(0)
    network = examples.dense_network()
    drawing = np.random.default_rng(0).random((28, 28), dtype=np.float32)
    what_makes_it_a_nine = inspect.saliency(network, drawing, class_index=9)
    assert what_makes_it_a_nine.shape == (28, 28)
    assert what_makes_it_a_nine.dtype == np.float32
    np.testing.assert_allclose(what_makes_it_a_nine.reshape(1, 784),
                               inspect.saliency(network, drawing.reshape(1, 784), class_index=9), rtol=1e-6)


def test_a_class_that_does_not_exist_is_refused():
    network = examples.dense_network(8)
    with pytest.raises(ValueError, match="from 0 to 9"):
        inspect.saliency(network, np.zeros((1, 784)), class_index=10)
    with pytest.raises(ValueError, match="shape"):
        inspect.saliency(network, np.zeros((1, 27, 27)))


def test_activations_are_each_layers_output_of_a_plain_forward_pass():
    set_random_seed(5)
    network = examples.convnet()
    digits = np.random.default_rng(6).random((4, 28, 28, 1), dtype=np.float32)
    outputs = inspect.activations(network, digits)
    assert [(None, *out.shape[1:]) for out in outputs] == [row[2] for row in network.summary_rows()]
    x = digits
    for layer, out in zip(network.layers, outputs):
        x = layer(x)
        np.testing.assert_array_equal(out, x)
    np.testing.assert_allclose(outputs[-1], network.predict(digits), rtol=1e-6)


def test_activations_leave_dropout_out_as_inference_does():
    set_random_seed(7)
    model = engine.Sequential([Flatten(input_shape=(4, 4)), Dense(8, activation="relu"), Dropout(0.5),
                               Dense(3, activation="softmax")])
    x = np.random.default_rng(8).random((5, 4, 4))
    outputs = inspect.activations(model, x)
    np.testing.assert_array_equal(outputs[2], outputs[1])


def test_looking_inside_disturbs_neither_the_model_nor_a_seeded_run():
    def seeded_run(look: bool):
        set_random_seed(11)
        model = examples.dense_network(16)
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
        x = backend.rng().random((32, 784), dtype=np.float32)
        y = np.eye(10, dtype=np.float32)[backend.rng().integers(0, 10, 32)]
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        weights, grads = model.get_weights(), [g.copy() for g in model._grads]
        if look:
            inspect.saliency(model, x[:3])
            inspect.activations(model, x[:3])
            for before, after in zip(weights, model.get_weights()):
                np.testing.assert_array_equal(before, after)
            for before, after in zip(grads, model._grads):
                np.testing.assert_array_equal(before, after)
            assert model.layers[0].need_input_grad is False  # still skips the 784-wide product
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        return model.get_weights()

    for plain, looked in zip(seeded_run(False), seeded_run(True)):
        np.testing.assert_array_equal(plain, looked)


def test_an_unbuilt_model_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="no weights yet"):
        inspect.activations(engine.Sequential([Dense(3)]), np.zeros((1, 4)))


def test_units_times_their_gradient_add_up_to_the_class_logit():
    """In the chapter's network the logit of class c is h . W2[:, c] + b2[c]: each hidden unit's
    share is its activation times its gradient, and the shares add up to the logit."""
    set_random_seed(9)
    network = examples.dense_network(32)
    digits = np.random.default_rng(10).random((3, 784), dtype=np.float32)
    hidden = inspect.activations(network, digits)[0]
    gradient = inspect.output_gradients(network, digits, class_index=7)[0]
    kernel, bias = network.layers[1].get_weights()
    np.testing.assert_allclose(gradient, np.broadcast_to(kernel[:, 7], gradient.shape), rtol=1e-6)
    logits = with_last_activation(network, "linear").predict(digits)[:, 7]
    np.testing.assert_allclose((hidden * gradient).sum(axis=1) + bias[7], logits, rtol=1e-5)


def test_layer_output_batch_by_batch_equals_the_layer_by_layer_pass():
    set_random_seed(12)
    network = examples.convnet()
    digits = np.random.default_rng(13).random((7, 28, 28, 1), dtype=np.float32)
    everything = inspect.activations(network, digits)
    for layer in (0, 3, -2, -1):
        np.testing.assert_allclose(inspect.layer_output(network, digits, layer, batch_size=3), everything[layer],
                                   rtol=1e-5, atol=1e-6)  # other batch sizes: other float32 rounding
    assert inspect.layer_output(network, digits[:0]).shape == (0, 64)
    with pytest.raises(IndexError):
        inspect.layer_output(network, digits, layer=8)


def test_loss_gradients_are_the_slope_of_the_loss_for_every_weight(float64):
    """An uncompiled model (as the app's weight snapshots are) with the loss named: each weight's
    gradient is the slope of the batch's mean loss, measured by central differences."""
    set_random_seed(12)
    model = engine.Sequential([Dense(5, activation="tanh", input_shape=(4,)), Dense(3, activation="softmax")])
    rng = np.random.default_rng(13)
    x, y = rng.normal(size=(6, 4)), np.eye(3)[rng.integers(0, 3, 6)]
    loss = engine.losses.get("categorical_crossentropy")

    def loss_with(weights):
        model.set_weights(weights)
        return float(loss(y, model.predict(x, batch_size=len(x))))

    before = model.get_weights()
    analytic = inspect.loss_gradients(model, x, y, loss="categorical_crossentropy")
    for weights_before, weights_after in zip(before, model.get_weights()):
        np.testing.assert_array_equal(weights_before, weights_after)  # looked at, not trained
    assert [g.shape for g in analytic] == [w.shape for w in before]
    for k, weight in enumerate(before):
        def f(value, k=k):
            return loss_with([value if j == k else w for j, w in enumerate(before)])
        np.testing.assert_allclose(analytic[k], finite_difference(f, weight), rtol=1e-5, atol=1e-9)
    model.set_weights(before)


def test_loss_gradients_need_a_loss():
    set_random_seed(14)
    model = engine.Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="needs a loss"):
        inspect.loss_gradients(model, np.zeros((1, 3)), np.zeros((1, 2)))


# ----- the Backprop walkthrough's trace and the Gradient lab's check (issue 9, sections 6-7) -----
def chapter_network(units=16, seed=21):
    """Chapter 2's network, small: Flatten, Dense relu, Dense softmax, and a batch of digits."""
    set_random_seed(seed)
    model = engine.Sequential([Flatten(input_shape=(28, 28)), Dense(units, activation="relu"),
                               Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    rng = np.random.default_rng(seed)
    x = rng.random((12, 28, 28)).astype(np.float32)
    return model, x, engine.utils.to_categorical(rng.integers(0, 10, 12), 10)


def test_the_trace_holds_the_chapters_backward_pass_tensor_by_tensor():
    """dL/dz2 = (p - y) / n, dW2 = a1^T . dz2, da1 = dz2 . W2^T, the relu mask, dz1 = da1 * mask,
    dW1 = x^T . dz1: each tensor the trace kept is the chapter's formula of the ones before it."""
    model, x, y = chapter_network()
    seen = inspect.backprop_trace(model, x, y)
    flatten, first, last = seen.layers
    n, x_flat, p = len(x), first.input, last.output
    assert seen.fused and seen.loss == pytest.approx(engine.losses.get("categorical_crossentropy")(y, p))
    np.testing.assert_array_equal(flatten.output, x.reshape(n, -1))
    np.testing.assert_allclose(first.pre_activation, x_flat @ first.weights["kernel"] + first.weights["bias"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(first.output, np.maximum(first.pre_activation, 0))
    np.testing.assert_allclose(last.output_gradient, (p - y) / n, rtol=1e-6, atol=1e-8)
    dz2 = last.output_gradient
    np.testing.assert_allclose(last.weight_gradients["kernel"], first.output.T @ dz2, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(last.input_gradient, dz2 @ last.weights["kernel"].T, rtol=1e-5, atol=1e-8)
    np.testing.assert_array_equal(first.activation_derivative, (first.pre_activation > 0).astype(np.float32))
    np.testing.assert_allclose(first.pre_activation_gradient, last.input_gradient * first.activation_derivative)
    np.testing.assert_allclose(first.weight_gradients["kernel"], x_flat.T @ first.pre_activation_gradient,
                               rtol=1e-5, atol=1e-8)
    assert first.input_gradient.shape == (n, 784) and flatten.input_gradient.shape == (n, 28, 28)


def test_the_traces_gradients_are_a_training_steps_for_every_layer():
    """For every registered layer (with dropout, in training mode): the weight gradients the trace
    kept are those of a training step without the update, and the model is left as it was."""
    for name in layers.names():
        cls = layers.get(name)
        model = example_model(cls)
        if name == "Dropout":
            model.layers[0].seed = None
        x, y = example_batch(cls)
        before = model.get_weights()
        state = engine.backend.rng().bit_generator.state
        seen = inspect.backprop_trace(model, x, y)
        assert engine.backend.rng().bit_generator.state == state, name  # no random number drawn
        for kept, now in zip(before, model.get_weights()):
            np.testing.assert_array_equal(kept, now)
        traced = [g for each in seen.layers for g in each.weight_gradients.values()]
        if name == "Dropout":  # the mask differs: compare the layers after it, given its output
            continue
        for a, b in zip(traced, gradcheck.model_gradients(model, x, y)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=name)


def test_a_weights_backprop_derivative_agrees_with_central_differences_on_float64_copies():
    model, x, y = chapter_network()
    for layer, weight, index in ((1, "kernel", (300, 5)), (1, "bias", (3,)), (2, "kernel", (4, 7))):
        check = inspect.weight_gradient_check(model, x, y, layer, weight, index)
        assert check.backprop != 0 and check.relative_error < 1e-6, check
    assert model.layers[1].kernel.dtype == np.float32  # the check ran on a copy
    convnet = example_model(layers.get("Conv2D"))
    cx, cy = example_batch(layers.get("Conv2D"))
    check = inspect.weight_gradient_check(convnet, cx, cy, 0, "kernel", (0, 1, 0, 1))
    assert check.relative_error < 1e-6, check


def test_a_weight_that_does_not_exist_is_refused_with_its_shape():
    model, x, y = chapter_network()
    with pytest.raises(ValueError, match=r"shape \(784, 16\)"):
        inspect.weight_gradient_check(model, x, y, 1, "kernel", (784, 0))
    with pytest.raises(ValueError, match="no trainable weight 'gamma'"):
        inspect.weight_gradient_check(model, x, y, 1, "gamma", (0,))


@pytest.mark.parametrize("layer", layers.names())
def test_activations_follow_a_plain_forward_pass_for_every_layer(layer):
    """Each registered layer, in the conformance suite's small model: one output per layer, in
    order, each the previous one pushed through that layer as inference does."""
    set_random_seed(7)
    model = example_model(layers.get(layer))
    digits = np.random.default_rng(8).normal(size=(3, *layers.get(layer).example_input_shape)).astype(np.float32)
    outputs = inspect.activations(model, digits)
    assert len(outputs) == len(model.layers)
    x = digits
    for each, out in zip(model.layers, outputs):
        x = each(x)
        np.testing.assert_allclose(out, x, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(outputs[-1], model.predict(digits), rtol=1e-6, atol=1e-7)


def test_loss_gradients_of_weights_that_diverged_are_nan_without_warnings():
    import warnings

    model = engine.Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2, activation="softmax")])
    model.set_weights([w + 3e38 for w in model.get_weights()])  # what a learning rate of 1e6 leaves
    x, y = np.ones((5, 3), np.float32), np.eye(2, dtype=np.float32)[[0, 1, 0, 1, 0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradients = inspect.loss_gradients(model, x, y, loss="categorical_crossentropy")
    assert not all(np.isfinite(g).all() for g in gradients)
