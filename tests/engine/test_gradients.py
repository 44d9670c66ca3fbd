"""Backpropagation checked against finite differences (chapter 2.4, "the engine of neural networks").

Every analytic gradient the engine computes -- of each activation, each layer (weights and inputs),
each loss, the fused softmax/sigmoid + cross-entropy shortcuts and whole models -- must match the
central difference ``(L(w + eps) - L(w - eps)) / (2 eps)``. The checks run in float64
(``engine.backend.set_floatx("float64")``), where the agreement is ~1e-9; the tests demand 1e-6.

Points are chosen away from the kinks of relu / leaky_relu / elu, where the numeric slope is
meaningless.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import activations, backend, gradcheck, losses
from engine.layers import Activation, Dense, Dropout, Flatten
from engine.utils import set_random_seed, to_categorical

TOL = 1e-6
EPS = 1e-6
ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "linear", "leaky_relu", "elu"]
KINKED = {"relu", "leaky_relu", "elu"}


@pytest.fixture(autouse=True)
def float64_check_mode():
    """Gradient checks need double precision; always go back to the engine's float32."""
    backend.set_floatx("float64")
    set_random_seed(1234)
    try:
        yield
    finally:
        backend.set_floatx("float32")


def away_from_zero(shape, seed=0, low=0.1, high=1.5):
    """Random numbers with |value| in [low, high]: no kink of relu & co. is within eps."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def assert_away_from_kinks(model, x, margin=1e-4):
    for layer, z in zip([l for l in model.layers if isinstance(l, Dense)], gradcheck.pre_activations(model, x)):
        if layer.activation.name in KINKED:
            assert np.abs(z).min() > margin, f"{layer.name}: a pre-activation is at a kink; pick another seed"


def small_classification(n=5, features=3, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    labels = np.arange(n) % classes
    return x, labels


# ----- the checker itself ---------------------------------------------------------------------
def test_check_mode_builds_float64_weights():
    model = engine.Sequential([Dense(2, input_shape=(3,))])
    assert all(w.dtype == np.float64 for w in model.get_weights())


def test_relative_error_is_zero_for_equal_and_large_for_wrong_gradients():
    g = np.array([1.0, -2.0, 3.0])
    assert gradcheck.relative_error(g, g) == 0.0
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gradcheck.relative_error(g, -g) == pytest.approx(1.0)
    assert gradcheck.relative_error(g, g * (1 + 1e-9)) < 1e-9
    with pytest.raises(ValueError, match="shapes"):
        gradcheck.relative_error(g, g[:2])


def test_numeric_gradient_of_a_known_function():
    # L(w) = sum(w^3): dL/dw = 3 w^2, and the weights come back unchanged
    w = np.array([[0.5, -1.0], [2.0, 0.25]])
    before = w.copy()
    numeric = gradcheck._central_difference(lambda: float(np.sum(w**3)), w, EPS)
    np.testing.assert_allclose(numeric, 3 * before**2, rtol=1e-9)
    np.testing.assert_array_equal(w, before)


def test_checker_catches_a_wrong_backward():
    """A deliberately broken activation derivative must be caught (the check can fail)."""

    class BrokenTanh(activations.Tanh):
        def backward(self, g, y):
            g *= 1 - y  # forgot the square
            return g

    x, up = away_from_zero((3, 4)), away_from_zero((3, 4), seed=1)
    broken = BrokenTanh()
    err = gradcheck.relative_error(gradcheck.activation_gradient(broken, x, up),
                                   gradcheck.numeric_activation_gradient(broken, x, up))
    assert err > 1e-2


# ----- activations ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradient_matches_finite_differences(name):
    activation = activations.get(name)
    x = away_from_zero((4, 5), seed=2)
    upstream = away_from_zero((4, 5), seed=3)
    analytic = gradcheck.activation_gradient(activation, x, upstream)
    numeric = gradcheck.numeric_activation_gradient(activation, x, upstream, EPS)
    assert analytic.dtype == np.float64
    assert gradcheck.relative_error(analytic, numeric) < TOL


@pytest.mark.parametrize("name, x, expected", [
    ("relu", [-2.0, 0.0, 3.0], [0.0, 0.0, 3.0]),
    ("leaky_relu", [-2.0, 0.0, 3.0], [-0.4, 0.0, 3.0]),  # Keras 3's negative_slope=0.2
    ("elu", [-1.0, 0.0, 2.0], [np.expm1(-1.0), 0.0, 2.0]),
    ("sigmoid", [0.0, np.log(3.0)], [0.5, 0.75]),
    ("tanh", [0.0, 1.0], [0.0, np.tanh(1.0)]),
    ("linear", [-1.5, 2.0], [-1.5, 2.0]),
    ("softmax", [np.log(1.0), np.log(3.0)], [0.25, 0.75]),
])
def test_activation_values(name, x, expected):
    np.testing.assert_allclose(activations.get(name)(np.array([x])), [expected], rtol=1e-12)


def test_softmax_is_stable_for_huge_scores():
    y = activations.softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(y, [[0.5, 0.5, 0.0]])


# ----- layers on their own ----------------------------------------------------------------------
@pytest.mark.parametrize("use_bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_dense_gradients_match_finite_differences(activation, use_bias):
    layer = Dense(3, activation=activation, use_bias=use_bias)
    layer.build((4,))
    if use_bias:
        layer.bias[...] = np.array([0.1, -0.2, 0.05])
    x = away_from_zero((5, 4), seed=4)
    z = x @ layer.kernel + (layer.bias if use_bias else 0)
    assert np.abs(z).min() > 1e-4  # not on a kink
    upstream = away_from_zero((5, 3), seed=5)

    weight_grads, input_grad = gradcheck.layer_gradients(layer, x, upstream)
    num_weight_grads, num_input_grad = gradcheck.numeric_layer_gradients(layer, x, upstream, EPS)

    assert [g.shape for g in weight_grads] == [(4, 3), (3,)][: 1 + use_bias]
    assert gradcheck.max_relative_error(weight_grads, num_weight_grads) < TOL
    assert gradcheck.relative_error(input_grad, num_input_grad) < TOL


def test_flatten_gradient_is_the_reshaped_upstream():
    layer = Flatten()
    x = away_from_zero((2, 3, 4), seed=6)
    upstream = away_from_zero((2, 12), seed=7)
    weight_grads, input_grad = gradcheck.layer_gradients(layer, x, upstream)
    _, numeric = gradcheck.numeric_layer_gradients(layer, x, upstream, EPS)
    assert weight_grads == []
    assert input_grad.shape == (2, 3, 4)
    np.testing.assert_allclose(input_grad, upstream.reshape(2, 3, 4))
    assert gradcheck.relative_error(input_grad, numeric) < TOL


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation_layer_gradient_matches_finite_differences(activation):
    layer = Activation(activation)
    x = away_from_zero((3, 4), seed=8)
    upstream = away_from_zero((3, 4), seed=9)
    _, analytic = gradcheck.layer_gradients(layer, x, upstream)
    _, numeric = gradcheck.numeric_layer_gradients(layer, x, upstream, EPS)
    assert gradcheck.relative_error(analytic, numeric) < TOL


def test_dropout_in_training_mode_with_a_fixed_mask():
    layer = Dropout(0.4, seed=3)
    x = away_from_zero((6, 5), seed=10)
    upstream = away_from_zero((6, 5), seed=11)
    layer.build(x.shape[1:])
    with gradcheck.fixed_dropout_masks(layer):
        y = np.array(layer.forward(x, training=True))
        _, analytic = gradcheck.layer_gradients(layer, x, upstream, training=True)
        _, numeric = gradcheck.numeric_layer_gradients(layer, x, upstream, EPS, training=True)
        np.testing.assert_array_equal(layer.forward(x, training=True), y)  # the mask is fixed
    kept = y != 0
    assert 0 < kept.sum() < kept.size  # some units dropped, some kept
    np.testing.assert_allclose(y[kept], x[kept] / (1 - 0.4))  # inverted dropout scaling
    np.testing.assert_allclose(analytic, np.where(kept, upstream / (1 - 0.4), 0.0))
    assert gradcheck.relative_error(analytic, numeric) < TOL


def test_dropout_does_nothing_at_inference():
    layer = Dropout(0.5, seed=0)
    x = away_from_zero((4, 3), seed=12)
    upstream = away_from_zero((4, 3), seed=13)
    np.testing.assert_array_equal(layer(x, training=False), x)
    _, analytic = gradcheck.layer_gradients(layer, x, upstream, training=False)
    np.testing.assert_array_equal(analytic, upstream)


def test_seeded_dropout_draws_the_same_masks():
    x = np.ones((4, 10))
    a, b = Dropout(0.5, seed=42), Dropout(0.5, seed=42)
    np.testing.assert_array_equal(a(x, training=True), b(x, training=True))


# ----- losses ---------------------------------------------------------------------------------
def _probabilities(n, k, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.1, 1.0, (n, k))
    return p / p.sum(axis=1, keepdims=True)


def _loss_case(name, seed=14):
    n, k = 4, 3
    rng = np.random.default_rng(seed)
    labels = np.array([0, 2, 1, 2])
    if name in ("categorical_crossentropy", "crossentropy", "CategoricalCrossentropy"):
        return to_categorical(labels, k).astype(np.float64), _probabilities(n, k, seed)
    if name in ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"):
        return labels, _probabilities(n, k, seed)
    if name in ("binary_crossentropy", "BinaryCrossentropy"):
        return rng.integers(0, 2, (n, k)).astype(np.float64), rng.uniform(0.1, 0.9, (n, k))
    return rng.normal(size=(n, k)), rng.normal(size=(n, k))  # mean squared error


@pytest.mark.parametrize("name", [
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "mean_squared_error", "mse", "MSE", "crossentropy", "MeanSquaredError", "BinaryCrossentropy",
])
def test_loss_gradient_matches_finite_differences(name):
    loss = losses.get(name)
    y_true, y_pred = _loss_case(name)
    analytic = gradcheck.loss_gradient(loss, y_true, y_pred)
    numeric = gradcheck.numeric_loss_gradient(loss, y_true, y_pred, EPS)
    assert analytic.shape == y_pred.shape
    assert gradcheck.relative_error(analytic, numeric) < TOL


@pytest.mark.parametrize("alias, name", [
    ("mse", "mean_squared_error"), ("MSE", "mean_squared_error"),
    ("crossentropy", "categorical_crossentropy"), ("CategoricalCrossentropy", "categorical_crossentropy"),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"),
    ("BinaryCrossentropy", "binary_crossentropy"), ("MeanSquaredError", "mean_squared_error"),
])
def test_keras_aliases_resolve_to_the_loss(alias, name):
    assert losses.get(alias).name == name


def test_loss_values_by_hand():
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])
    expected = -(np.log(0.7) + np.log(0.5)) / 2
    assert losses.get("categorical_crossentropy")(y, p) == pytest.approx(expected, rel=1e-12)
    assert losses.get("sparse_categorical_crossentropy")(np.array([1, 0]), p) == pytest.approx(expected, rel=1e-12)
    yb, pb = np.array([[1.0], [0.0]]), np.array([[0.8], [0.4]])
    assert losses.get("binary_crossentropy")(yb, pb) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2, rel=1e-12)
    assert losses.get("mse")(np.array([[1.0, 2.0]]), np.array([[2.0, 4.0]])) == pytest.approx(2.5)


@pytest.mark.parametrize("name", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_fused_softmax_cross_entropy_gradient(name):
    """d CE(softmax(z)) / dz = (softmax(z) - y) / batch: the shortcut the model uses."""
    loss = losses.get(name)
    labels = np.array([0, 2, 1, 1])
    y = labels if name.startswith("sparse") else to_categorical(labels, 3).astype(np.float64)
    z = away_from_zero((4, 3), seed=15)
    analytic = loss.logit_gradient(y, activations.softmax(z))
    numeric = gradcheck._central_difference(lambda: loss(y, activations.softmax(z)), z, EPS)
    assert gradcheck.relative_error(analytic, numeric) < TOL
    # the out= buffer form the training step uses gives the same numbers
    out = np.empty_like(z)
    np.testing.assert_allclose(loss.logit_gradient(y, activations.softmax(z), out=out), analytic, rtol=0, atol=0)


def test_fused_sigmoid_binary_crossentropy_gradient():
    loss = losses.get("binary_crossentropy")
    y = np.random.default_rng(16).integers(0, 2, (4, 2)).astype(np.float64)
    z = away_from_zero((4, 2), seed=17)
    analytic = loss.logit_gradient(y, activations.sigmoid(z))
    numeric = gradcheck._central_difference(lambda: loss(y, activations.sigmoid(z)), z, EPS)
    assert gradcheck.relative_error(analytic, numeric) < TOL


# ----- whole models ---------------------------------------------------------------------------
# (hidden activation, last layers, loss, fused?)
MODEL_CASES = {
    "softmax+categorical_crossentropy(fused)": (lambda: [Dense(3, activation="softmax")], "categorical_crossentropy", True),
    "softmax+sparse_categorical_crossentropy(fused)": (lambda: [Dense(3, activation="softmax")], "sparse_categorical_crossentropy", True),
    "sigmoid+binary_crossentropy(fused)": (lambda: [Dense(3, activation="sigmoid")], "binary_crossentropy", True),
    # the base Layer owns the activation: a last Activation("softmax") gets the fused gradient too
    "Activation(softmax)+categorical_crossentropy(fused)": (lambda: [Dense(3), Activation("softmax")], "categorical_crossentropy", True),
    "Activation(softmax)+sparse_categorical_crossentropy(fused)": (lambda: [Dense(3), Activation("softmax")], "sparse_categorical_crossentropy", True),
    "Activation(sigmoid)+binary_crossentropy(fused)": (lambda: [Dense(3), Activation("sigmoid")], "binary_crossentropy", True),
    "softmax+mse": (lambda: [Dense(3, activation="softmax")], "mse", False),
    "linear+mean_squared_error": (lambda: [Dense(3)], "mean_squared_error", False),
    "tanh+MSE": (lambda: [Dense(3, activation="tanh")], "MSE", False),
    "sigmoid+mse": (lambda: [Dense(3, activation="sigmoid")], "mse", False),
    "tanh+binary_crossentropy(fused)": (lambda: [Dense(3, activation="tanh"), Activation("sigmoid")], "binary_crossentropy", True),
}


def _targets_for(loss_name, labels, x):
    if loss_name.startswith("sparse"):
        return labels
    if "crossentropy" in loss_name:
        return to_categorical(labels, 3).astype(np.float64)
    return np.random.default_rng(18).uniform(0.05, 0.95, (len(x), 3))


@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_model_gradients_match_finite_differences(case):
    last_layers, loss_name, fused = MODEL_CASES[case]
    model = engine.Sequential([Dense(4, activation="tanh", input_shape=(3,)), *last_layers()])
    model.compile(optimizer="sgd", loss=loss_name)
    assert model._fused is fused
    x, labels = small_classification()
    y = _targets_for(loss_name, labels, x)
    weights_before = model.get_weights()

    analytic, analytic_x = gradcheck.model_gradients(model, x, y, wrt_inputs=True)
    numeric, numeric_x = gradcheck.numeric_gradients(model, x, y, EPS, wrt_inputs=True)

    assert [g.shape for g in analytic] == [w.shape for w in model.get_weights()]
    assert gradcheck.max_relative_error(analytic, numeric) < TOL
    assert gradcheck.relative_error(analytic_x, numeric_x) < TOL
    for before, after in zip(weights_before, model.get_weights()):
        np.testing.assert_array_equal(before, after)  # checking does not train


@pytest.mark.parametrize("hidden", ACTIVATIONS)
def test_model_gradients_for_every_hidden_activation(hidden):
    model = engine.Sequential([
        Dense(4, activation=hidden, input_shape=(3,)),
        Dense(4, activation=hidden, use_bias=False),
        Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    for i, layer in enumerate(model.layers):  # non-zero biases: a dead row of relus must not sit at 0
        if layer.use_bias:
            layer.bias[...] = 0.3 * away_from_zero(layer.bias.shape, seed=30 + i)
    x, labels = small_classification(seed=19)
    y = to_categorical(labels, 3).astype(np.float64)
    assert_away_from_kinks(model, x)
    analytic, analytic_x = gradcheck.model_gradients(model, x, y, wrt_inputs=True)
    numeric, numeric_x = gradcheck.numeric_gradients(model, x, y, EPS, wrt_inputs=True)
    assert gradcheck.max_relative_error(analytic, numeric) < TOL
    assert gradcheck.relative_error(analytic_x, numeric_x) < TOL


def test_model_gradients_non_fused_sigmoid_with_categorical_crossentropy():
    """Keras allows sigmoid outputs with categorical cross-entropy; the gradient must still be right."""
    model = engine.Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(3, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert not model._fused
    x, labels = small_classification(seed=20)
    y = to_categorical(labels, 3).astype(np.float64)
    analytic = gradcheck.model_gradients(model, x, y)
    numeric = gradcheck.numeric_gradients(model, x, y, EPS)
    assert gradcheck.max_relative_error(analytic, numeric) < TOL


def test_model_with_flatten_and_dropout_in_training_mode():
    model = engine.Sequential([
        Flatten(input_shape=(2, 3)),
        Dense(5, activation="relu"),
        Dropout(0.3, seed=7),
        Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(21)
    x, labels = rng.normal(size=(4, 2, 3)), np.array([0, 1, 2, 1])
    with gradcheck.fixed_dropout_masks(model):
        assert_away_from_kinks(model, x)
        analytic, analytic_x = gradcheck.model_gradients(model, x, labels, wrt_inputs=True)
        numeric, numeric_x = gradcheck.numeric_gradients(model, x, labels, EPS, wrt_inputs=True)
        dropped = model.layers[2]._mask.view(4, (5,)) == 0
    assert dropped.any() and not dropped.all()
    assert analytic_x.shape == (4, 2, 3)
    assert gradcheck.max_relative_error(analytic, numeric) < TOL
    assert gradcheck.relative_error(analytic_x, numeric_x) < TOL


def test_binary_classifier_with_one_output_and_flat_labels():
    """The IMDB-style head: Dense(1, sigmoid) with labels of shape (n,)."""
    model = engine.Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    x, _ = small_classification(n=6, seed=22)
    y = np.array([0, 1, 1, 0, 1, 0])
    assert model._fused
    assert_away_from_kinks(model, x)
    analytic = gradcheck.model_gradients(model, x, y)
    numeric = gradcheck.numeric_gradients(model, x, y, EPS)
    assert gradcheck.max_relative_error(analytic, numeric) < TOL


def test_one_sgd_step_moves_the_weights_by_minus_lr_times_the_checked_gradient():
    """What ``train_on_batch`` does is exactly ``w -= lr * model_gradients(...)``."""
    model = engine.Sequential([Dense(4, activation="elu", input_shape=(3,)), Dense(3, activation="softmax")])
    model.compile(optimizer=engine.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy")
    x, labels = small_classification(seed=23)
    y = to_categorical(labels, 3).astype(np.float64)
    before = model.get_weights()
    grads = gradcheck.model_gradients(model, x, y)
    model.train_on_batch(x, y)
    for w0, g, w1 in zip(before, grads, model.get_weights()):
        np.testing.assert_allclose(w1, w0 - 0.1 * g, rtol=1e-14, atol=1e-15)


def test_float32_gradients_agree_with_float64_ones():
    """The engine trains in float32; its gradients are the float64 ones, rounded."""
    set_random_seed(5)
    model64 = engine.Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(3, activation="softmax")])
    model64.compile(optimizer="sgd", loss="categorical_crossentropy")
    backend.set_floatx("float32")
    model32 = engine.Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(3, activation="softmax")])
    model32.compile(optimizer="sgd", loss="categorical_crossentropy")
    model32.set_weights(model64.get_weights())
    x, labels = small_classification(seed=24)
    y = to_categorical(labels, 3)
    g64 = gradcheck.model_gradients(model64, x, y)
    g32 = gradcheck.model_gradients(model32, x, y)
    assert all(g.dtype == np.float32 for g in g32)
    assert gradcheck.max_relative_error(g32, g64) < 1e-5


def test_recompiling_or_adding_a_layer_keeps_the_gradient_right():
    """The fused shortcut follows the current loss and the current last layer."""
    x, labels = small_classification(seed=25)
    y = to_categorical(labels, 3).astype(np.float64)
    model = engine.Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert model._fused
    model.compile(optimizer="sgd", loss="mse")  # softmax + mse: no shortcut any more
    assert not model._fused and not model.layers[-1].loss_gives_logit_grad
    assert gradcheck.max_relative_error(gradcheck.model_gradients(model, x, y),
                                        gradcheck.numeric_gradients(model, x, y, EPS)) < TOL
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.add(Dense(3, activation="softmax"))  # the old last layer is now a hidden softmax
    assert [getattr(layer, "loss_gives_logit_grad") for layer in model.layers] == [False, False, True]
    assert gradcheck.max_relative_error(gradcheck.model_gradients(model, x, y),
                                        gradcheck.numeric_gradients(model, x, y, EPS)) < TOL


def test_model_compiled_before_it_is_built():
    model = engine.Sequential([Dense(4, activation="elu"), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, labels = small_classification(seed=26)
    analytic = gradcheck.model_gradients(model, x, labels)  # builds from the data
    assert model.built and model._fused
    assert gradcheck.max_relative_error(analytic, gradcheck.numeric_gradients(model, x, labels, EPS)) < TOL
