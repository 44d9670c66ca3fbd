"""Optimizers: Keras 3's update rules, step for step, and Keras's defaults.

In the style of ``keras/src/optimizers/*_test.py``: ``test_config`` (defaults and a
``get_config`` round trip), ``test_single_step`` with Keras's own exact numbers (learning rate 0.5,
gradients ``[1, 6, 7, 2]`` on weights ``[1, 2, 3, 4]``), and a few steps compared with the rule
written out in plain float64 NumPy, as Keras 3 publishes it.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine import optimizers, strategies
from engine.layers import Dense
from engine.optimizers import SGD, Adagrad, Adam, RMSprop


# ----- the reference rules (Keras 3), in plain float64 NumPy ------------------------------------
def sgd_reference(ws, grads_per_step, learning_rate=0.01, momentum=0.0, nesterov=False):
    ws = [w.astype(np.float64).copy() for w in ws]
    ms = [np.zeros_like(w) for w in ws]
    for grads in grads_per_step:
        for w, m, g in zip(ws, ms, grads):
            if momentum == 0:
                w -= learning_rate * g
                continue
            m[...] = momentum * m - learning_rate * g
            if nesterov:
                w += momentum * m - learning_rate * g
            else:
                w += m
    return ws


def rmsprop_reference(ws, grads_per_step, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7):
    ws = [w.astype(np.float64).copy() for w in ws]
    vs = [np.zeros_like(w) for w in ws]
    ms = [np.zeros_like(w) for w in ws]
    for grads in grads_per_step:
        for w, v, m, g in zip(ws, vs, ms, grads):
            v[...] = rho * v + (1 - rho) * g**2
            increment = learning_rate * g / np.sqrt(v + epsilon)
            if momentum > 0:
                m[...] = momentum * m + increment
                w -= m
            else:
                w -= increment
    return ws


def adam_reference(ws, grads_per_step, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    ws = [w.astype(np.float64).copy() for w in ws]
    ms = [np.zeros_like(w) for w in ws]
    vs = [np.zeros_like(w) for w in ws]
    for t, grads in enumerate(grads_per_step, start=1):
        alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        for w, m, v, g in zip(ws, ms, vs, grads):
            m += (g - m) * (1 - beta_1)
            v += (g**2 - v) * (1 - beta_2)
            w -= alpha * m / (np.sqrt(v) + epsilon)
    return ws


def adagrad_reference(ws, grads_per_step, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    ws = [w.astype(np.float64).copy() for w in ws]
    accs = [np.full_like(w, initial_accumulator_value) for w in ws]
    for grads in grads_per_step:
        for w, acc, g in zip(ws, accs, grads):
            acc += g**2
            w -= learning_rate * g / np.sqrt(acc + epsilon)
    return ws


CASES = {
    "sgd": (SGD, dict(learning_rate=0.1), sgd_reference),
    "sgd_momentum": (SGD, dict(learning_rate=0.1, momentum=0.9), sgd_reference),
    "sgd_nesterov": (SGD, dict(learning_rate=0.05, momentum=0.8, nesterov=True), sgd_reference),
    "rmsprop": (RMSprop, dict(learning_rate=0.01), rmsprop_reference),
    "rmsprop_rho": (RMSprop, dict(learning_rate=0.01, rho=0.5, epsilon=1e-3), rmsprop_reference),
    "rmsprop_momentum": (RMSprop, dict(learning_rate=0.01, momentum=0.7), rmsprop_reference),
    "adam": (Adam, dict(learning_rate=0.02), adam_reference),
    "adam_betas": (Adam, dict(learning_rate=0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-4), adam_reference),
    "adagrad": (Adagrad, dict(learning_rate=0.1), adagrad_reference),
    "adagrad_accumulator": (Adagrad, dict(learning_rate=0.1, initial_accumulator_value=0.5), adagrad_reference),
}


def fixed_problem(steps=5):
    """A (2, 3) kernel, a (3,) bias and ``steps`` gradients for each: small fixed tensors."""
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=(2, 3)), rng.normal(size=(3,))]
    grads = [[rng.normal(size=(2, 3)), rng.normal(size=(3,))] for _ in range(steps)]
    grads[2][0][0, 0] = 0.0  # a zero gradient must be handled too
    return weights, grads


def run(optimizer, weights, grads_per_step, dtype):
    variables = [w.astype(dtype) for w in weights]
    for grads in grads_per_step:
        optimizer.apply(variables, [g.astype(dtype) for g in grads])
    return variables


@pytest.mark.parametrize("case", list(CASES))
def test_several_steps_follow_the_keras_rule_float64(case):
    cls, kwargs, reference = CASES[case]
    weights, grads = fixed_problem()
    optimizer = cls(**kwargs)
    result = run(optimizer, weights, grads, np.float64)
    expected = reference(weights, grads, **kwargs)
    for got, want in zip(result, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert optimizer.iterations == len(grads)


@pytest.mark.parametrize("case", list(CASES))
def test_several_steps_follow_the_keras_rule_float32(case):
    cls, kwargs, reference = CASES[case]
    weights, grads = fixed_problem()
    result = run(cls(**kwargs), weights, grads, np.float32)
    expected = reference(weights, grads, **kwargs)
    for got, want in zip(result, expected):
        assert got.dtype == np.float32  # updates stay in the weights' type
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_each_step_is_checked_not_only_the_last():
    """Step by step, RMSprop with momentum equals the reference after 1, 2, 3... steps."""
    weights, grads = fixed_problem(steps=4)
    optimizer = RMSprop(learning_rate=0.01, momentum=0.5)
    variables = [w.copy() for w in weights]
    for k in range(1, 5):
        optimizer.apply(variables, grads[k - 1])
        for got, want in zip(variables, rmsprop_reference(weights, grads[:k], learning_rate=0.01, momentum=0.5)):
            np.testing.assert_allclose(got, want, rtol=1e-12)


# ----- Keras's single-step numbers ----------------------------------------------------------
KERAS_GRADS = np.array([1.0, 6.0, 7.0, 2.0], dtype=np.float32)
KERAS_VARS = [1.0, 2.0, 3.0, 4.0]


def single_step(optimizer):
    variable = np.array(KERAS_VARS, dtype=np.float32)
    optimizer.apply([variable], [KERAS_GRADS.copy()])
    return variable


def test_sgd_single_step():
    np.testing.assert_allclose(single_step(SGD(learning_rate=0.5)), [0.5, -1.0, -0.5, 3.0], rtol=1e-4, atol=1e-4)


def test_sgd_momentum_two_steps():
    optimizer = SGD(learning_rate=0.5, momentum=0.5)
    variable = np.array(KERAS_VARS, dtype=np.float32)
    optimizer.apply([variable], [KERAS_GRADS.copy()])
    np.testing.assert_allclose(variable, [0.5, -1.0, -0.5, 3.0], rtol=1e-6)  # m = -lr g
    optimizer.apply([variable], [KERAS_GRADS.copy()])
    # m = 0.5 * (-0.5 g) - 0.5 g = -0.75 g
    np.testing.assert_allclose(variable, [-0.25, -5.5, -5.75, 1.5], rtol=1e-6)


def test_sgd_nesterov_single_step():
    # m = -lr g; w += momentum * m - lr g = -(momentum + 1) lr g
    np.testing.assert_allclose(
        single_step(SGD(learning_rate=0.5, momentum=0.5, nesterov=True)), [0.25, -2.5, -2.25, 2.5], rtol=1e-6
    )


def test_rmsprop_single_step():
    np.testing.assert_allclose(
        single_step(RMSprop(learning_rate=0.5)), [-0.5811, 0.4189, 1.4189, 2.4189], rtol=1e-4, atol=1e-4
    )


def test_adam_single_step():
    np.testing.assert_allclose(single_step(Adam(learning_rate=0.5)), [0.5, 1.5, 2.5, 3.5], rtol=1e-4, atol=1e-4)


def test_adagrad_single_step():
    np.testing.assert_allclose(
        single_step(Adagrad(learning_rate=0.5)), [0.5233, 1.5007, 2.5005, 3.5061], rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("cls", [SGD, RMSprop, Adam, Adagrad])
def test_zero_learning_rate_changes_nothing(cls):
    variable = single_step(cls(learning_rate=0.0))
    np.testing.assert_array_equal(variable, KERAS_VARS)


# ----- defaults and configs ---------------------------------------------------------------------
KERAS_DEFAULTS = {
    "sgd": (SGD, {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}),
    "rmsprop": (RMSprop, {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7}),
    "adam": (Adam, {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
    "adagrad": (Adagrad, {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}),
}


@pytest.mark.parametrize("name", list(KERAS_DEFAULTS))
def test_get_by_name_gives_keras_defaults(name):
    cls, defaults = KERAS_DEFAULTS[name]
    for spelling in (name, name.upper(), cls.__name__):
        optimizer = optimizers.get(spelling)
        assert type(optimizer) is cls
        config = optimizer.get_config()
        for key, value in defaults.items():
            assert config[key] == value, (spelling, key)
            assert getattr(optimizer, key) == value


def test_compile_with_a_name_uses_the_defaults():
    model = engine.Sequential([Dense(2, input_shape=(3,))])
    model.compile(optimizer="rmsprop", loss="mse")
    assert isinstance(model.optimizer, RMSprop)
    assert model.optimizer.learning_rate == 0.001 and model.optimizer.rho == 0.9


def test_get_passes_keyword_arguments_and_accepts_instances():
    assert optimizers.get("sgd", learning_rate=0.1, momentum=0.9).get_config() == {
        "name": "SGD", "learning_rate": 0.1, "momentum": 0.9, "nesterov": False}
    adam = Adam(learning_rate=0.01)
    assert optimizers.get(adam) is adam
    with pytest.raises(TypeError, match="keyword"):
        optimizers.get(adam, learning_rate=0.1)


@pytest.mark.parametrize("optimizer", [
    SGD(learning_rate=0.5, momentum=0.2, nesterov=True),
    RMSprop(learning_rate=0.5, rho=0.8, momentum=0.3, epsilon=1e-5),
    Adam(learning_rate=0.5, beta_1=0.8, beta_2=0.99, epsilon=1e-5),
    Adagrad(learning_rate=0.5, initial_accumulator_value=0.3, epsilon=1e-5),
], ids=lambda o: type(o).__name__)
def test_config(optimizer):
    config = optimizer.get_config()
    assert config["name"] == type(optimizer).__name__
    restored = type(optimizer).from_config(config)
    assert type(restored) is type(optimizer)
    assert restored.get_config() == config
    revived = optimizers.deserialize(config)
    assert revived.get_config() == config
    assert config == optimizers.deserialize(dict(config)).get_config()  # config is not consumed
    # a restored optimizer takes the same steps
    np.testing.assert_array_equal(single_step(restored), single_step(type(optimizer).from_config(config)))


def test_deserialize_unknown_name():
    with pytest.raises(ValueError, match="Unknown optimizer"):
        optimizers.deserialize({"name": "Adadelta", "learning_rate": 1.0})


def test_learning_rate_can_be_changed_between_steps():
    optimizer = SGD(learning_rate=0.5)
    variable = np.array([1.0])
    optimizer.apply([variable], [np.array([1.0])])
    optimizer.learning_rate = 0.25
    optimizer.apply([variable], [np.array([1.0])])
    np.testing.assert_allclose(variable, [0.25])
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.learning_rate = -1.0


def test_state_restarts_for_new_weights():
    """Momentum from one set of weights must not leak into another (e.g. a rebuilt model)."""
    optimizer = SGD(learning_rate=0.5, momentum=0.9)
    a = np.array([1.0])
    optimizer.apply([a], [np.array([1.0])])
    b = np.array([1.0])
    optimizer.apply([b], [np.array([1.0])])
    np.testing.assert_allclose(b, a)  # the first step on b has no momentum


def test_apply_updates_in_place():
    """The model's weight arrays are updated in place (the optimizer keeps references to them)."""
    variable = np.array([1.0, 2.0])
    same = variable
    Adam(learning_rate=0.1).apply([variable], [np.array([1.0, 1.0])])
    assert same is variable and not np.array_equal(variable, [1.0, 2.0])


# ----- invalid hyperparameters ------------------------------------------------------------------
@pytest.mark.parametrize("make, error, argument", [
    (lambda: SGD(learning_rate=-0.1), ValueError, "learning_rate"),
    (lambda: SGD(learning_rate=float("nan")), ValueError, "learning_rate"),
    (lambda: SGD(learning_rate=float("inf")), ValueError, "learning_rate"),
    (lambda: RMSprop(learning_rate=-1), ValueError, "learning_rate"),
    (lambda: Adam(learning_rate=float("nan")), ValueError, "learning_rate"),
    (lambda: Adagrad(learning_rate=-1e-3), ValueError, "learning_rate"),
    (lambda: SGD(learning_rate="0.1"), TypeError, "learning_rate"),
    (lambda: Adam(learning_rate=None), TypeError, "learning_rate"),
    (lambda: SGD(learning_rate=True), TypeError, "learning_rate"),
    (lambda: SGD(momentum=1.5), ValueError, "momentum"),
    (lambda: SGD(momentum=-0.1), ValueError, "momentum"),
    (lambda: SGD(momentum="high"), TypeError, "momentum"),
    (lambda: RMSprop(momentum=2.0), ValueError, "momentum"),
    (lambda: RMSprop(rho=1.5), ValueError, "rho"),
    (lambda: RMSprop(epsilon=-1.0), ValueError, "epsilon"),
    (lambda: Adam(beta_1=1.0), ValueError, "beta_1"),
    (lambda: Adam(beta_2=-0.5), ValueError, "beta_2"),
    (lambda: Adam(epsilon=float("nan")), ValueError, "epsilon"),
    (lambda: Adagrad(initial_accumulator_value=-0.1), ValueError, "initial_accumulator_value"),
    (lambda: optimizers.get("rmsprop", learning_rate=-0.01), ValueError, "learning_rate"),
])
def test_invalid_hyperparameters_name_the_argument(make, error, argument):
    with pytest.raises(error, match=argument):
        make()


@pytest.mark.parametrize("make", [
    lambda: RMSprop(epsilon=0), lambda: RMSprop(epsilon=0.0), lambda: Adam(epsilon=0),
    lambda: RMSprop(epsilon=1e-50), lambda: Adam(epsilon=1e-60),  # 0 once in float32
    lambda: Adagrad(initial_accumulator_value=0, epsilon=0),
    lambda: Adagrad(initial_accumulator_value=1e-50, epsilon=0),
], ids=["rmsprop", "rmsprop-float", "adam", "rmsprop-float32-zero", "adam-float32-zero", "adagrad", "adagrad-tiny"])
def test_an_epsilon_that_would_divide_zero_by_zero_is_refused(make):
    with pytest.raises(ValueError, match=r"epsilon must be .*> 0"):
        make()


@pytest.mark.parametrize("cls, kwargs", [
    (RMSprop, {"epsilon": 1e-30}), (Adam, {"epsilon": 1e-30}),
    (Adagrad, {"initial_accumulator_value": 0.1, "epsilon": 0}), (Adagrad, {"initial_accumulator_value": 0.0}),
])
def test_weights_whose_gradient_is_always_zero_stay_finite(cls, kwargs):
    """MNIST's always-black pixels: their kernel rows get a zero gradient on every step."""
    weights = [np.ones((3, 2), np.float32)]
    zero_grads = [[np.zeros((3, 2), np.float32)] for _ in range(3)]
    (after,) = run(cls(learning_rate=0.1, **kwargs), weights, zero_grads, np.float32)
    np.testing.assert_array_equal(after, weights[0])


def test_epsilon_range_message_is_plain():
    with pytest.raises(ValueError, match=r"^epsilon must be a finite number > 0, got 0.0$"):
        RMSprop(epsilon=0)
    with pytest.raises(ValueError, match=r"^learning_rate must be a finite number >= 0, got -1.0$"):
        SGD(learning_rate=-1)
    with pytest.raises(ValueError, match=r"^momentum must be a finite number in \[0, 1\], got 1.5$"):
        SGD(momentum=1.5)


@pytest.mark.parametrize("name", ["adadelta", "", "sgd2", None, 3])
def test_unknown_optimizer(name):
    with pytest.raises(ValueError, match="Unknown optimizer"):
        optimizers.get(name)


@pytest.mark.parametrize("case", ["sgd_nesterov", "rmsprop_momentum", "adam", "adagrad"])
def test_large_weights_follow_the_rule_too(case):
    """Big weights (like the chapter's 784 x 512 kernel) may be updated in pieces, on two
    threads; the result must be the rule's, and bit-identical to a single-threaded update."""
    cls, kwargs, reference = CASES[case]
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(400, 400)).astype(np.float32), rng.normal(size=(7,)).astype(np.float32)]
    grads = [[rng.normal(size=w.shape).astype(np.float32) for w in weights] for _ in range(3)]
    results = {}
    for name in ("two_threads", "serial"):
        with strategies.get(name).running():  # two threads: the 400 x 400 weight in two halves of rows
            results[name] = run(cls(**kwargs), weights, grads, np.float32)
    for a, b in zip(results["two_threads"], results["serial"]):
        np.testing.assert_array_equal(a, b)
    for got, want in zip(results["two_threads"], reference(weights, grads, **kwargs)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
