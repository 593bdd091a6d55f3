"""neuronlab.callbacks: the exponential learning-rate finder and the one-line run summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from neuronlab.callbacks import (LearningRateFinder, RunSummary, exponential_rates, finder_valley, smooth,  # noqa: E402
                                 suggest_learning_rate)


def _regression(n=256, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype("float32")
    y = (X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=n)).astype("float32")
    return X, y


def _model(learning_rate=0.01, momentum=0.0):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate, momentum=momentum))
    return model


# --------------------------------------------------------------------- pure functions
def test_exponential_rates_from_end_and_from_factor_agree():
    by_end = exponential_rates(1e-3, 1.0, steps=4)
    assert np.allclose(by_end, [1e-3, 1e-2, 1e-1, 1.0])
    assert np.allclose(exponential_rates(1e-3, None, steps=4, factor=10.0), by_end)


@pytest.mark.parametrize("kwargs, match", [
    (dict(start=0), "start must be a finite number > 0"),
    (dict(start=-1e-3), "start"),
    (dict(start=1.0, end=0.5), "end must be larger than start"),
    (dict(steps=1), "steps must be >= 2"),
    (dict(factor=2.0), "either end .* or factor"),
    (dict(end=None), "give end"),
    (dict(end=None, factor=0.9), "factor must be > 1"),
])
def test_exponential_rates_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        exponential_rates(**kwargs)


def test_exponential_rates_type_errors_name_the_argument():
    with pytest.raises(TypeError, match="start must be a number"):
        exponential_rates("1e-5")
    with pytest.raises(TypeError, match="steps must be an int"):
        exponential_rates(steps=10.5)


def test_smooth_is_a_bias_corrected_moving_average():
    values = np.array([4.0, 2.0, 6.0])
    out = smooth(values, beta=0.5)
    s1 = 0.5 * 4.0 / (1 - 0.5)
    s2 = (0.25 * 4.0 + 0.5 * 2.0) / (1 - 0.25)
    assert np.allclose(out[:2], [s1, s2]) and out[0] == 4.0  # the first value is never pulled towards 0
    assert np.array_equal(smooth(values, beta=0.0), values)
    constant = smooth(np.full(50, 3.0), 0.98)
    assert np.allclose(constant, 3.0)


@pytest.mark.parametrize("beta", [1.0, -0.1, True, "0.9"])
def test_smooth_rejects_bad_beta(beta):
    with pytest.raises(ValueError, match="beta must be a number in"):
        smooth([1.0, 2.0], beta)


def test_smooth_rejects_bad_values():
    with pytest.raises(ValueError, match="values must be 1-D"):
        smooth(np.ones((2, 2)))
    with pytest.raises(TypeError, match="values must be a 1-D array of numbers"):
        smooth(["a", "b"])


def test_suggestion_is_a_tenth_of_the_rate_where_the_loss_turns_up():
    rates = exponential_rates(1e-4, 10.0, steps=101)
    exponent = np.log10(rates)
    losses = (exponent + 1.0) ** 2 + 1.0                 # lowest at 0.1, within 10 % of it for |x + 1| <= √0.1
    inside = rates[(exponent + 1.0) ** 2 <= 0.1 + 1e-12]
    low, lowest, turn = finder_valley(rates, losses, beta=0.0)
    assert (low, lowest, turn) == pytest.approx((inside.min(), 0.1, inside.max()))
    assert 0.19 < turn < 0.21                            # the valley's upper end, not its minimum
    assert suggest_learning_rate(rates, losses, beta=0.0) == pytest.approx(turn / 10)
    assert suggest_learning_rate(rates, losses, beta=0.0, divisor=2) == pytest.approx(turn / 2)
    # a wider tolerance reaches further up the wall
    assert finder_valley(rates, losses, beta=0.0, tolerance=0.5)[2] > turn
    # a run that blew up at the end: the nan losses are ignored
    losses[-5:] = np.nan
    assert suggest_learning_rate(rates, losses, beta=0.0) == pytest.approx(turn / 10)


def test_a_flat_valley_is_divided_at_its_upper_end_not_at_its_noisy_minimum():
    rates = exponential_rates(1e-5, 1.0, steps=200)
    exponent = np.log10(rates)
    losses = np.where(exponent < -3, 2.0 - 0.5 * (exponent + 5), 1.0)  # falls, then flat from 1e-3 …
    losses = np.where(exponent > -1.5, 1.0 + 5 * (exponent + 1.5), losses)  # … until the wall at 0.03
    losses[np.argmin(np.abs(rates - 2e-3))] = 0.95                    # one lucky batch early in the flat
    low, lowest, turn = finder_valley(rates, losses, beta=0.0)
    assert lowest == pytest.approx(rates[np.argmin(np.abs(rates - 2e-3))])
    assert low < 1.2e-3 and 0.03 < turn < 0.04
    assert suggest_learning_rate(rates, losses, beta=0.0) == pytest.approx(turn / 10)


def test_suggestion_rejects_bad_records():
    with pytest.raises(ValueError, match="same length"):
        suggest_learning_rate([1e-3, 1e-2], [1.0])
    with pytest.raises(ValueError, match="at least two finite losses"):
        suggest_learning_rate([1e-3, 1e-2], [np.nan, 1.0])
    with pytest.raises(ValueError, match="rates must all be finite and > 0"):
        suggest_learning_rate([0.0, 1e-2], [1.0, 2.0])
    with pytest.raises(ValueError, match="divisor"):
        suggest_learning_rate([1e-3, 1e-2], [1.0, 2.0], divisor=0)
    with pytest.raises(ValueError, match="tolerance"):
        finder_valley([1e-3, 1e-2], [1.0, 2.0], tolerance=0)


# --------------------------------------------------------------------- the finder in a real fit
def test_finder_grows_the_rate_exponentially_and_records_each_batch():
    X, y = _regression()
    model = _model()
    finder = LearningRateFinder(1e-4, 1e-1, divergence=math.inf)
    model.fit(X, y, epochs=2, batch_size=32, callbacks=[finder], verbose=0)
    assert len(finder.rates) == len(finder.losses) == 16  # 2 epochs × 8 batches: the sweep spans the whole fit
    assert np.allclose(finder.rates, exponential_rates(1e-4, 1e-1, steps=16))
    assert finder.stopped_by is None and all(np.isfinite(finder.losses))


def test_finder_losses_are_per_batch_losses_not_the_running_mean():
    X, y = _regression(n=64)
    model = _model()
    seen = []

    class Spy(keras.callbacks.Callback):  # the loss of each batch, computed independently
        def on_train_batch_begin(self, batch, logs=None):
            xb, yb = X[batch * 16:(batch + 1) * 16], y[batch * 16:(batch + 1) * 16]
            seen.append(float(keras.ops.mean((self.model(xb)[:, 0] - yb) ** 2)))

    finder = LearningRateFinder(1e-4, 1e-3, restore=False)
    model.fit(X, y, epochs=1, batch_size=16, shuffle=False, callbacks=[finder, Spy()], verbose=0)
    assert np.allclose(finder.losses, seen, rtol=1e-4)


def test_finder_sets_the_optimizers_learning_rate_before_each_batch():
    X, y = _regression(n=64)
    model = _model()
    used = []

    class Spy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            used.append(float(self.model.optimizer.learning_rate.numpy()))

    finder = LearningRateFinder(1e-3, 1.0, restore=False)
    model.fit(X, y, epochs=1, batch_size=16, callbacks=[finder, Spy()], verbose=0)
    assert np.allclose(used, finder.rates, rtol=1e-6)


def test_finder_stops_when_the_loss_diverges_and_restores_the_model():
    X, y = _regression(n=512)
    model = _model(learning_rate=0.005)
    before = [w.copy() for w in model.get_weights()]
    finder = LearningRateFinder(1e-4, 1e3, divergence=4.0)
    model.fit(X, y, epochs=5, batch_size=16, callbacks=[finder], verbose=0)
    assert finder.stopped_by == "divergence"
    assert len(finder.rates) < 5 * 32
    smoothed = smooth(np.asarray(finder.losses), 0.9)
    assert not math.isfinite(smoothed[-1]) or smoothed[-1] > 4.0 * np.nanmin(smoothed[5:-1])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.005)
    suggestion = finder.suggestion()
    assert finder.rates[0] / 10 <= suggestion <= finder.rates[-1] / 10


def test_finder_is_not_stopped_by_one_unlucky_batch():
    finder = LearningRateFinder(1e-4, 1e-3, divergence=4.0, restore=False)
    finder.set_model(_model())
    finder.params = {"steps": 20, "epochs": 1}
    finder.on_train_begin()
    finder.on_epoch_begin(0)
    losses = [1.0] * 8 + [6.0] + [1.0] * 11      # a raw spike of 6× the best
    means = np.cumsum(losses) / np.arange(1, 21)  # what Keras logs: the running mean
    for batch, mean in enumerate(means):
        finder.on_train_batch_begin(batch)
        finder.on_train_batch_end(batch, {"loss": mean})
    assert finder.stopped_by is None and np.allclose(finder.losses, losses)


def test_finder_with_steps_stops_at_the_end_rate_and_factor_keeps_growing():
    X, y = _regression()
    finder = LearningRateFinder(1e-4, 1e-2, steps=5, divergence=math.inf)
    _model().fit(X, y, epochs=3, batch_size=32, callbacks=[finder], verbose=0)
    assert finder.stopped_by == "end" and len(finder.rates) == 5
    assert finder.rates[-1] == pytest.approx(1e-2)
    grower = LearningRateFinder(1e-4, None, factor=2.0, divergence=math.inf)
    _model().fit(X, y, epochs=1, batch_size=32, callbacks=[grower], verbose=0)
    assert np.allclose(grower.rates, 1e-4 * 2.0 ** np.arange(8))


def test_finder_restore_false_leaves_the_trained_weights():
    X, y = _regression()
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    model.fit(X, y, epochs=1, batch_size=32, callbacks=[LearningRateFinder(1e-4, 1e-2, restore=False)], verbose=0)
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_finder_plot_draws_raw_and_smoothed_losses():
    X, y = _regression()
    finder = LearningRateFinder(1e-4, 1.0)
    _model().fit(X, y, epochs=2, batch_size=32, callbacks=[finder], verbose=0)
    ax = finder.plot()
    assert ax.get_xscale() == "log" and len(ax.lines) == 4
    assert "suggestion" in ax.get_legend().get_texts()[-1].get_text()


def test_plot_finder_leaves_out_and_counts_non_finite_losses():
    from neuronlab.callbacks import plot_finder

    rates = np.geomspace(1e-4, 1.0, 40)
    losses = np.r_[np.linspace(2.0, 0.5, 30), np.linspace(0.6, 5.0, 8), np.inf, np.nan]
    ax = plot_finder(rates, losses, show_raw=False)
    assert len(ax.lines) == 3                         # smoothed curve, turning point, suggestion
    assert all(np.isfinite(line.get_ydata()).all() for line in ax.lines[:1])
    assert any(text.get_text() == "2 non-finite losses not shown" for text in ax.texts)
    with pytest.raises(ValueError, match="at least two finite losses"):
        plot_finder(rates[:2], [np.nan, np.inf])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(start=0.0), ValueError, "start must be a finite number > 0"),
    (dict(start=1.0, end=0.1), ValueError, "end must be larger than start"),
    (dict(factor=1.5), ValueError, "either end"),
    (dict(end=None), ValueError, "give end"),
    (dict(end=None, factor=1.0), ValueError, "factor must be > 1"),
    (dict(steps=1), ValueError, "steps must be >= 2"),
    (dict(divergence=1.0), ValueError, "divergence must be > 1"),
    (dict(restore="yes"), TypeError, "restore must be True or False"),
    (dict(beta=1.0), ValueError, "beta must be a number in"),
    (dict(start="small"), TypeError, "start must be a number"),
])
def test_finder_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LearningRateFinder(**kwargs)


def test_finder_refuses_a_schedule_and_an_unrecorded_suggestion():
    X, y = _regression()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(schedule))
    with pytest.raises(TypeError, match="constant learning rate, not a schedule"):
        model.fit(X, y, epochs=1, callbacks=[LearningRateFinder()], verbose=0)
    with pytest.raises(ValueError, match="run fit with it first"):
        LearningRateFinder().suggestion()


def test_finder_needs_at_least_two_batches():
    X, y = _regression(n=16)
    with pytest.raises(ValueError, match="at least 2 batches"):
        _model().fit(X, y, epochs=1, batch_size=32, callbacks=[LearningRateFinder()], verbose=0)


# --------------------------------------------------------------------- the run summary
def test_run_summary_prints_a_short_summary_with_last_and_best_values(capsys):
    X, y = _regression()
    model = _model(learning_rate=0.05)
    model.fit(X, y, epochs=4, batch_size=32, validation_split=0.25, verbose=0,
              callbacks=[RunSummary("toy", digits=3)])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1                              # short enough for one line of 88 characters
    line = out[0]
    assert line.startswith("toy: 4 epochs in ") and " · loss " in line and " · val_loss " in line


def test_run_summary_wraps_at_the_width_of_a_code_cell():
    summary = RunSummary("Fashion-MNIST")
    summary.history = {"accuracy": [0.9, 0.9264], "loss": [0.3, 0.1941], "val_accuracy": [0.8, 0.8954],
                       "val_loss": [0.4, 0.3039], "val_rmse": [0.6, 0.5]}
    text = summary.text(27.0)
    lines = text.splitlines()
    assert len(lines) == 2 and all(len(line) <= 88 for line in lines)
    assert lines[0].startswith("Fashion-MNIST: 2 epochs in 27 s · accuracy 0.9264") and lines[1].startswith("  ")
    assert " · ".join(line.strip() for line in lines) == summary.line(27.0)  # the same parts, in order
    narrow = summary.text(27.0, width=40).splitlines()
    assert len(narrow) > 2 and all(len(line) <= 40 for line in narrow)


def test_run_summary_line_marks_an_earlier_best_epoch():
    summary = RunSummary("run")
    summary.history = {"loss": [1.0, 0.5, 0.4], "val_loss": [0.9, 0.6, 0.7],
                       "accuracy": [0.5, 0.6, 0.7], "val_accuracy": [0.5, 0.8, 0.7]}
    line = summary.line()
    assert line == ("run: 3 epochs · loss 0.4 · val_loss 0.7 (best 0.6 at epoch 2) · accuracy 0.7 · "
                    "val_accuracy 0.7 (best 0.8 at epoch 2)")


def test_run_summary_shows_the_chosen_keys_in_order():
    summary = RunSummary("run", keys=["val_loss", "loss"])
    summary.history = {"loss": [1.0, 0.5], "val_loss": [0.9, 0.6], "accuracy": [0.5, 0.6]}
    assert summary.line(12.3) == "run: 2 epochs in 12 s · val_loss 0.6 · loss 0.5"
    summary.keys = ["rmse"]
    with pytest.raises(ValueError, match="keys \\['rmse'\\] were not logged"):
        summary.line()


def test_run_summary_rejects_bad_arguments():
    with pytest.raises(TypeError, match="keys must be a list of metric names"):
        RunSummary(keys="loss")
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        RunSummary("")
    with pytest.raises(ValueError, match="digits must be >= 1"):
        RunSummary(digits=0)
