"""neuronlab.schedules: the formulas agree with keras.optimizers.schedules and ReduceLROnPlateau; 1cycle's
callback sets exactly the rates of its formula during a real fit."""

import math
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

from neuronlab import schedules
from neuronlab.schedules import exponential, one_cycle, one_cycle_knots, piecewise_constant, plateau, power

FLOAT32_RTOL = 1e-6  # Keras computes schedules in 32-bit floats
STEPS = np.arange(0, 3001, 7)


def keras_rates(schedule, steps=STEPS):
    import keras

    return np.array(keras.ops.convert_to_numpy(schedule(steps)), dtype=np.float64)


# --- formulas against Keras ----------------------------------------------------------------------------------

def test_exponential_is_keras_exponential_decay_with_rate_one_tenth():
    import keras

    expected = keras_rates(keras.optimizers.schedules.ExponentialDecay(0.02, decay_steps=500, decay_rate=0.1))
    np.testing.assert_allclose(exponential(STEPS, 0.02, 500), expected, rtol=FLOAT32_RTOL)


def test_power_with_c_one_is_keras_inverse_time_decay():
    import keras

    expected = keras_rates(keras.optimizers.schedules.InverseTimeDecay(0.05, decay_steps=300, decay_rate=1.0))
    np.testing.assert_allclose(power(STEPS, 0.05, 300), expected, rtol=FLOAT32_RTOL)


@pytest.mark.parametrize("c", [0.5, 1.0, 2.0])
def test_power_decay_is_a_keras_schedule_for_any_c(c):
    import keras

    schedule = schedules.PowerDecay(0.01, 200, c)
    assert isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule)
    np.testing.assert_allclose(keras_rates(schedule), power(STEPS, 0.01, 200, c), rtol=FLOAT32_RTOL)
    assert schedule.get_config() == {"initial_rate": 0.01, "s": 200.0, "c": c}


def test_power_decay_drives_a_keras_optimizer():
    import keras

    optimizer = keras.optimizers.SGD(learning_rate=schedules.PowerDecay(0.1, 10, 1.0))
    variable = keras.Variable([1.0])
    for _ in range(10):
        optimizer.apply_gradients([(keras.ops.ones(1), variable)])
    assert float(optimizer.learning_rate) == pytest.approx(0.05)


def test_piecewise_constant_follows_keras_boundary_convention():
    import keras

    boundaries, values = [1000, 2000], [0.1, 0.01, 0.001]
    expected = keras_rates(keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values))
    np.testing.assert_allclose(piecewise_constant(STEPS, boundaries, values), expected, rtol=FLOAT32_RTOL)
    # values[i] up to and including boundaries[i]
    assert piecewise_constant([999, 1000, 1001, 2000, 2001], boundaries, values).tolist() == [
        0.1, 0.1, 0.01, 0.01, 0.001]


def test_formulas_have_their_defining_values():
    assert power(0, 0.1, 10) == 0.1 and power(10, 0.1, 10) == pytest.approx(0.05)
    assert power(10, 0.1, 10, c=2) == pytest.approx(0.025)
    assert exponential(20, 0.1, 10) == pytest.approx(0.001)
    assert isinstance(power(3, 0.1, 10), float) and power([1, 2], 0.1, 10).shape == (2,)


# --- performance scheduling against ReduceLROnPlateau ---------------------------------------------------------

def keras_plateau_rates(losses, initial, **kwargs):
    """Drive keras.callbacks.ReduceLROnPlateau by hand over ``losses``; return the rate of each epoch."""
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=initial), loss="mse")
    callback = keras.callbacks.ReduceLROnPlateau(**kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    rates = []
    for epoch, loss in enumerate(losses):
        rates.append(float(model.optimizer.learning_rate))
        with warnings.catch_warnings():  # Keras 3.15 converts the rate variable with a NumPy 2 deprecation
            warnings.simplefilter("ignore", DeprecationWarning)
            callback.on_epoch_end(epoch, {"val_loss": float(loss)})
    return np.array(rates)


@pytest.mark.parametrize(("factor", "patience", "min_lr"), [(0.5, 2, 0.0), (0.1, 0, 0.0), (0.2, 3, 1e-3)])
def test_plateau_replays_keras_reduce_lr_on_plateau(factor, patience, min_lr):
    losses = 1.0 + np.exp(-np.arange(40) / 6) + 0.03 * np.random.default_rng(3).standard_normal(40)
    expected = keras_plateau_rates(losses, 0.1, factor=factor, patience=patience, min_lr=min_lr)
    got = plateau(losses, 0.1, factor=factor, patience=patience, min_rate=min_lr)
    np.testing.assert_allclose(got, expected, rtol=FLOAT32_RTOL)
    assert got[0] == 0.1 and np.all(np.diff(got) <= 0)


def test_plateau_cuts_after_patience_epochs_without_improvement():
    losses = [1.0, 0.9, 0.95, 0.96, 0.97, 0.8, 0.81, 0.82]
    assert plateau(losses, 1.0, factor=0.5, patience=2).tolist() == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5]


# --- 1cycle -------------------------------------------------------------------------------------------------

def test_one_cycle_rises_falls_and_anneals_linearly_between_its_knots():
    steps, rates = one_cycle_knots(1000, 0.1)
    assert steps == (0.0, 450.0, 900.0, 999.0)
    assert rates == (0.01, 0.1, 0.01, 0.01 / 1000)
    t = np.arange(1000)
    eta = one_cycle(t, 1000, 0.1)
    assert eta[0] == 0.01 and eta[450] == pytest.approx(0.1) and eta[900] == pytest.approx(0.01)
    assert eta[999] == pytest.approx(1e-5) and one_cycle(5000, 1000, 0.1) == pytest.approx(1e-5)
    assert np.argmax(eta) == 450
    # linear pieces: constant slope inside each
    for a, b in ((0, 450), (450, 900), (900, 999)):
        assert np.allclose(np.diff(eta[a:b + 1], 2), 0.0, atol=1e-15)


def test_one_cycle_honours_its_options():
    steps, rates = one_cycle_knots(200, 1.0, start_rate=0.5, last_rate=0.01, final_fraction=0.0)
    assert steps == (0.0, 100.0, 199.0, 199.0) and rates == (0.5, 1.0, 0.5, 0.01)


def test_one_cycle_callback_sets_the_formulas_rate_before_every_batch_of_a_fit():
    import keras

    keras.utils.set_random_seed(0)
    X = np.random.default_rng(0).normal(size=(100, 3)).astype("float32")
    y = X.sum(axis=1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(momentum=0.9), loss="mse")
    epochs, batch_size = 3, 16
    total = epochs * math.ceil(len(X) / batch_size)
    callback = schedules.OneCycleScheduler(total, max_rate=0.05)
    held = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: held.append(float(model.optimizer.learning_rate)))
    model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[callback, record])
    formula = one_cycle(np.arange(total), total, 0.05)
    assert len(held) == total == callback.step
    np.testing.assert_allclose(held, formula, rtol=FLOAT32_RTOL)
    np.testing.assert_allclose(callback.rates, formula, rtol=1e-12)
    assert callback.rate(0) == pytest.approx(0.005)


# --- bad input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: power(-1, 0.1, 10), ValueError, "t must hold finite numbers >= 0 (steps or epochs), got -1"),
    (lambda: power("ten", 0.1, 10), TypeError, "t must be a number or an array of numbers, got str: 'ten'"),
    (lambda: power(1, 0, 10), ValueError, "initial_rate must be a finite number > 0, got 0"),
    (lambda: power(1, 0.1, 0), ValueError, "s must be a finite number > 0, got 0"),
    (lambda: power(1, 0.1, 10, c=-1), ValueError, "c must be a finite number > 0, got -1"),
    (lambda: exponential(1, 0.1, -5), ValueError, "s must be a finite number > 0, got -5"),
    (lambda: piecewise_constant(1, [5, 10], [0.1, 0.01]), ValueError,
     "values must hold one more number than boundaries: got 2 values for 2 boundaries"),
    (lambda: piecewise_constant(1, [10, 5], [0.1, 0.01, 0.001]), ValueError, "boundaries must increase, got [10, 5]"),
    (lambda: piecewise_constant(1, [5], [0.1, 0]), ValueError, "values must be finite numbers > 0, got [0.1, 0]"),
    (lambda: plateau([], 0.1), ValueError, "losses must be a non-empty sequence of finite numbers, got []"),
    (lambda: plateau([1.0], 0.1, factor=1.0), ValueError, "factor must be in (0, 1), got 1.0"),
    (lambda: plateau([1.0], 0.1, patience=-1), ValueError, "patience must be an integer >= 0, got -1"),
    (lambda: one_cycle(0, 1, 0.1), ValueError, "total_steps must be an integer >= 2, got 1"),
    (lambda: one_cycle(0, 100, -0.1), ValueError, "max_rate must be a finite number > 0, got -0.1"),
    (lambda: one_cycle(0, 100, 0.1, start_rate=0.2), ValueError, "start_rate must not exceed max_rate (0.1), got 0.2"),
    (lambda: one_cycle(0, 100, 0.1, last_rate=0.5), ValueError, "last_rate must not exceed start_rate (0.01), got 0.5"),
    (lambda: one_cycle(0, 100, 0.1, final_fraction=1.0), ValueError, "final_fraction must be in [0, 1), got 1.0"),
    (lambda: schedules.OneCycleScheduler(10.5, 0.1), ValueError, "total_steps must be an integer >= 2, got 10.5"),
    (lambda: schedules.PowerDecay(0.1, 0), ValueError, "s must be a finite number > 0, got 0"),
])
def test_bad_arguments_are_rejected_naming_them(call, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


def test_unknown_attributes_are_still_attribute_errors():
    with pytest.raises(AttributeError, match="has no attribute 'OneCycle'"):
        schedules.OneCycle  # noqa: B018


def test_the_formulas_do_not_import_keras():
    code = ("import sys, neuronlab.schedules as s; s.one_cycle(3, 10, 0.1); "
            "print('keras' in sys.modules or 'tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
