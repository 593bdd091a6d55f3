"""neuronlab.optimizers: the from-scratch update rules follow keras.optimizers, and reject bad settings."""

import math
import re

import numpy as np
import pytest

from neuronlab import optimizers
from neuronlab.optimizers import (OPTIMIZERS, SURFACES, AdaGrad, Adam, AdaMax, AdamW, Momentum, Nadam, Nesterov,
                                  RMSProp, SGD, make_optimizer, surface)

# Hyperparameters that a 32-bit float stores exactly: Keras turns each into a float32 before using it, so with
# these (and 64-bit variables) both sides compute the same numbers.
EXACT = {"learning_rate": 2 ** -6, "momentum": 0.875, "rho": 0.875, "beta_1": 0.875, "beta_2": 1 - 2 ** -10,
         "epsilon": 2 ** -20, "initial_accumulator_value": 0.125, "weight_decay": 2 ** -5}
EXACT_TOLERANCE = 1e-12
NADAM_TOLERANCE = 1e-8  # Keras computes Nadam's momentum-schedule constant 0.96 partly in 32-bit floats
FLOAT32_RTOL = 1e-5  # Keras's default hyperparameters, everything in 32-bit floats on Keras's side
STEPS = 50

_rng = np.random.default_rng(0)
_A, _TARGETS = _rng.normal(size=(64, 3)), _rng.normal(size=64)


def regression_gradients(w, b):
    """Gradients of the mean squared error of a small linear regression: a weight vector and a bias."""
    residual = _A @ w + b - _TARGETS
    return [2 * _A.T @ residual / len(_A), np.array([2 * residual.mean()])]


def run_both(ours, dtype, steps=STEPS):
    """Run ``ours`` and its Keras twin side by side; return both parameter histories (steps, 4)."""
    import keras

    theirs = ours.to_keras()
    params = [np.array([0.5, -1.0, 2.0]), np.array([0.3])]
    variables = [keras.Variable(p, dtype=dtype) for p in params]
    ours_path, theirs_path = [], []
    for _ in range(steps):
        params = ours.step(params, regression_gradients(*params))
        grads = regression_gradients(*(v.numpy().astype(np.float64) for v in variables))
        theirs.apply_gradients(zip([g.astype(dtype) for g in grads], variables))
        ours_path.append(np.concatenate(params))
        theirs_path.append(np.concatenate([v.numpy() for v in variables]).astype(np.float64))
    return np.array(ours_path), np.array(theirs_path)


# --- against Keras -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_takes_the_same_steps_as_keras_in_float64(name):
    cls = OPTIMIZERS[name]
    ours = cls(**{k: v for k, v in EXACT.items() if k in cls().get_params()})
    mine, keras_path = run_both(ours, "float64")
    tolerance = NADAM_TOLERANCE if name == "Nadam" else EXACT_TOLERANCE
    assert np.max(np.abs(mine - keras_path)) < tolerance
    assert np.max(np.abs(mine[-1] - mine[0])) > 0.01  # the parameters really moved


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_matches_keras_defaults_in_float32(name):
    ours = OPTIMIZERS[name](learning_rate=0.01)
    mine, keras_path = run_both(ours, "float32", steps=20)
    np.testing.assert_allclose(mine, keras_path, rtol=FLOAT32_RTOL, atol=FLOAT32_RTOL)


def test_to_keras_builds_the_mirrored_keras_class_with_the_same_settings():
    import keras

    assert isinstance(Nesterov(0.1, 0.8).to_keras(), keras.optimizers.SGD)
    keras_nesterov = Nesterov(0.1, 0.8).to_keras()
    assert keras_nesterov.nesterov and keras_nesterov.momentum == 0.8
    assert not Momentum().to_keras().nesterov
    keras_adamw = AdamW(learning_rate=0.002, weight_decay=0.01).to_keras()
    assert isinstance(keras_adamw, keras.optimizers.AdamW) and keras_adamw.weight_decay == 0.01
    assert float(keras_adamw.learning_rate) == pytest.approx(0.002)
    assert AdaGrad(initial_accumulator_value=0.3).to_keras().initial_accumulator_value == 0.3


# --- the rules themselves ------------------------------------------------------------------------------------

def test_momentum_reaches_a_terminal_velocity_of_one_over_one_minus_beta():
    opt = Momentum(learning_rate=0.01, momentum=0.9)
    theta = np.zeros(1)
    for _ in range(300):
        theta = opt.step(theta, np.ones(1))
    assert opt.slots_[0]["m"][0] == pytest.approx(-0.1, rel=1e-6)


def test_adam_bias_correction_makes_the_first_steps_exactly_eta():
    opt = Adam(learning_rate=0.001, epsilon=0.0)
    theta = np.zeros(2)
    for t in range(1, 6):
        theta = opt.step(theta, np.array([1.0, -3.0]))
        np.testing.assert_allclose(theta, [-0.001 * t, 0.001 * t])


def test_adagrad_steps_shrink_while_rmsprop_steps_do_not():
    adagrad, rmsprop = AdaGrad(learning_rate=0.01), RMSProp(learning_rate=0.01)
    steps = {}
    for opt in (adagrad, rmsprop):
        theta, sizes = np.zeros(1), []
        for _ in range(2000):
            new = opt.step(theta, np.ones(1))
            sizes.append(abs(new - theta)[0])
            theta = new
        steps[type(opt).__name__] = sizes
    assert steps["AdaGrad"][-1] < steps["AdaGrad"][99] / 4  # ~ 1/√t
    assert steps["RMSProp"][-1] == pytest.approx(steps["RMSProp"][99], rel=1e-3)


def test_adamw_decays_weights_by_eta_lambda_even_without_gradient():
    opt = AdamW(learning_rate=0.01, weight_decay=0.1)
    theta = opt.step(np.array([2.0, -4.0]), np.zeros(2))
    np.testing.assert_allclose(theta, [2.0 * 0.999, -4.0 * 0.999])


def test_adamax_uses_the_decayed_maximum_of_gradient_sizes():
    opt = AdaMax(learning_rate=0.1, beta_1=0.5, beta_2=0.5, epsilon=0.0)
    opt.step(np.zeros(1), np.array([4.0]))
    opt.step(np.zeros(1), np.array([1.0]))
    assert opt.slots_[0]["u"][0] == 2.0  # max(0.5 · 4, |1|)


def test_nadam_keeps_the_product_of_its_momentum_schedule():
    opt = Nadam(beta_1=0.9)
    for _ in range(3):
        opt.step(np.zeros(1), np.ones(1))
    expected = math.prod(0.9 * (1 - 0.5 * 0.96 ** t) for t in (1, 2, 3))
    assert opt.mu_product_ == pytest.approx(expected)
    assert opt.reset().mu_product_ == 1.0 and opt.iterations_ == 0 and opt.slots_ is None


# --- the step API ------------------------------------------------------------------------------------------

def test_step_accepts_one_array_or_a_list_and_does_not_modify_its_inputs():
    params, grads = [np.ones((2, 3)), np.zeros(3)], [np.ones((2, 3)), np.ones(3)]
    new = SGD(0.5).step(params, grads)
    assert isinstance(new, list) and [p.shape for p in new] == [(2, 3), (3,)]
    np.testing.assert_allclose(new[0], 0.5)
    assert params[0][0, 0] == 1.0
    single = SGD(0.5).step(np.ones(2), np.ones(2))
    assert isinstance(single, np.ndarray) and single.tolist() == [0.5, 0.5]


def test_step_counts_iterations_and_reset_forgets():
    opt = Adam()
    for _ in range(3):
        opt.step(np.ones(2), np.ones(2))
    assert opt.iterations_ == 3 and set(opt.slots_[0]) == {"m", "v"}
    opt.reset()
    assert opt.iterations_ == 0 and opt.slots_ is None


@pytest.mark.parametrize(("params", "grads", "message"), [
    ([np.ones(2), np.ones(3)], [np.ones(2)], "grads must match params: 2 array(s) expected, got 1"),
    (np.ones(2), np.ones(3), "grads[0] has shape (3,) but params[0] has shape (2,)"),
    ([np.ones(2)], np.ones(2), "grads must match params: 1 array(s) expected, got ndarray"),
])
def test_step_rejects_gradients_that_do_not_match(params, grads, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        SGD().step(params, grads)


def test_step_rejects_parameters_that_changed_shape_since_the_first_step():
    opt = Momentum()
    opt.step(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match=r"call reset\(\) to start afresh"):
        opt.step(np.ones(3), np.ones(3))


def test_minimize_returns_the_path_and_stops_when_it_diverges():
    bowl = surface("bowl")
    path = SGD(0.01).minimize(bowl.gradient, bowl.start, 10)
    assert path.shape == (11, 2) and tuple(path[0]) == bowl.start
    diverging = SGD(0.2).minimize(bowl.gradient, bowl.start, 1000, limit=100.0)  # 1 − 25·0.2 = −4 per step
    assert len(diverging) < 10 and np.all(np.abs(diverging) <= 100)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"gradient": 3, "start": [0.0], "n_steps": 1}, TypeError, "gradient must be a function, got int"),
    ({"gradient": np.sin, "start": [0.0], "n_steps": -1}, ValueError, "n_steps must be an integer >= 0, got -1"),
    ({"gradient": np.sin, "start": [0.0], "n_steps": 2.5}, ValueError, "n_steps must be an integer >= 0, got 2.5"),
    ({"gradient": np.sin, "start": [[0.0]], "n_steps": 1}, ValueError, "start must be a vector, got shape (1, 1)"),
    ({"gradient": np.sin, "start": [0.0], "n_steps": 1, "limit": 0}, ValueError,
     "limit must be a finite number > 0, got 0.0"),
])
def test_minimize_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        SGD().minimize(**kwargs)


# --- validated constructors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("rate", [0, -0.01, float("inf")])
def test_every_optimizer_rejects_a_non_positive_or_infinite_learning_rate(name, rate):
    message = f"learning_rate must be a finite number > 0, got {float(rate)!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        OPTIMIZERS[name](learning_rate=rate)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_rejects_a_learning_rate_that_is_not_a_number(name):
    for bad in ("0.01", None, True, float("nan")):
        with pytest.raises(TypeError, match="^learning_rate must be a number, got "):
            OPTIMIZERS[name](learning_rate=bad)


@pytest.mark.parametrize(("cls", "argument"), [(Momentum, "momentum"), (Nesterov, "momentum"), (RMSProp, "rho"),
                                               (Adam, "beta_1"), (Adam, "beta_2"), (AdaMax, "beta_1"),
                                               (Nadam, "beta_2"), (AdamW, "beta_1")])
@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5])
def test_decay_rates_outside_zero_to_one_are_rejected_naming_the_argument(cls, argument, value):
    with pytest.raises(ValueError, match=rf"^{argument} must be in \[0, 1\) .*got {re.escape(repr(value))}$"):
        cls(**{argument: value})


@pytest.mark.parametrize(("cls", "argument"), [(AdaGrad, "epsilon"), (AdaGrad, "initial_accumulator_value"),
                                               (Adam, "epsilon"), (AdamW, "weight_decay")])
def test_negative_epsilons_accumulators_and_decays_are_rejected(cls, argument):
    with pytest.raises(ValueError, match=f"^{argument} must be a finite number >= 0, got -1.0$"):
        cls(**{argument: -1.0})


def test_zero_momentum_and_zero_decay_are_allowed_and_reduce_to_simpler_rules():
    grads = np.array([1.0, -2.0])
    np.testing.assert_allclose(Momentum(0.1, 0.0).step(np.zeros(2), grads), SGD(0.1).step(np.zeros(2), grads))
    np.testing.assert_allclose(AdamW(weight_decay=0.0).step(np.ones(2), grads), Adam().step(np.ones(2), grads))


def test_repr_and_get_params_show_the_settings_like_scikit_learn():
    assert repr(Adam(learning_rate=0.01)) == "Adam(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-07)"
    assert Momentum(0.1, 0.5).get_params() == {"learning_rate": 0.1, "momentum": 0.5}
    assert repr(SGD()) == "SGD(learning_rate=0.01)"


def test_make_optimizer_builds_by_name_and_rejects_unknown_names():
    assert isinstance(make_optimizer("Nadam", learning_rate=0.1), Nadam)
    with pytest.raises(ValueError, match=r"^name must be one of \['SGD', 'momentum', .*'AdamW'\], got 'Adadelta'$"):
        make_optimizer("Adadelta")


# --- surfaces ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_gradients_match_central_differences(name):
    chosen = surface(name)
    for point in ([0.3, -0.7], [1.2, 0.4], list(chosen.start)):
        point = np.array(point)
        numerical = [(chosen(point + e) - chosen(point - e)) / 2e-6 for e in np.eye(2) * 1e-6]
        np.testing.assert_allclose(chosen.gradient(point), numerical, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_minimum_has_zero_gradient_and_lies_in_the_window(name):
    chosen = surface(name)
    np.testing.assert_allclose(chosen.gradient(chosen.minimum), 0.0, atol=1e-12)
    assert chosen.xlim[0] <= chosen.minimum[0] <= chosen.xlim[1]
    assert chosen.ylim[0] <= chosen.start[1] <= chosen.ylim[1]
    assert chosen(chosen.start) > chosen(chosen.minimum)
    assert chosen.values(np.array([chosen.start, chosen.minimum])).shape == (2,)


def test_the_saddle_has_a_flat_point_at_the_origin_that_is_not_a_minimum():
    saddle = surface("saddle")
    assert np.all(saddle.gradient([0.0, 0.0]) == 0.0)
    assert saddle([0.0, 0.0]) > saddle(saddle.minimum)


def test_an_unknown_surface_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=re.escape("unknown surface 'beale': choose one of "
                                                   "['bowl', 'rosenbrock', 'saddle']")):
        surface("beale")


def test_module_does_not_import_keras_by_itself():
    import subprocess
    import sys

    code = "import sys, neuronlab.optimizers; print('keras' in sys.modules or 'tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert optimizers.__all__
