"""Chapter 04's self-checks: right answers pass with one ✔ line, each classic slip gets its own hint."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from neuronlab.callbacks import LearningRateFinder, exponential_rates  # noqa: E402
from neuronlab.check import CheckFailed, ch04  # noqa: E402


# --------------------------------------------------------------------- reference answers and slips
def mlp(learning_rate=0.002, *, hidden=(32, 16), activation="relu", output="softmax",
        loss="sparse_categorical_crossentropy", flatten=True, metrics=("accuracy",), compile=True, inputs=(28, 28)):
    keras.utils.set_random_seed(0)
    layers = [keras.Input(shape=inputs)] if inputs else []
    layers += [keras.layers.Flatten()] if flatten else []
    layers += [keras.layers.Dense(units, activation=activation) for units in hidden]
    layers += [keras.layers.Dense(10, activation=output)]
    model = keras.Sequential(layers)
    if compile:
        model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate), metrics=list(metrics))
    return model


def failure(check, *args) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        check(*args)
    return info.value


def test_build_mlp_passes_a_right_model(capsys):
    ch04.build_mlp(mlp)
    out = capsys.readouterr().out.strip()
    assert out.startswith("✔ your MLP is 28×28 → Flatten → 32 relu → 16 relu → 10 softmax")
    assert all(len(line) <= 88 for line in out.splitlines())


@pytest.mark.parametrize("builder, case, hint", [
    (lambda lr: None, "build_mlp(0.002)", "forget a `return`"),
    (lambda lr: mlp(lr).summary, "build_mlp(0.002)", "return the model itself"),
    (lambda lr: mlp(lr, inputs=None), "build_mlp(0.002)", "keras.Input(shape=(28, 28))"),
    (lambda lr: mlp(lr, inputs=(784,), flatten=False), "the input shape", "28 × 28 arrays"),
    (lambda lr: mlp(lr, flatten=False), "the output shape", "Flatten"),
    (lambda lr: mlp(lr, output=None), "the output layer's activation", "softmax"),
    (lambda lr: mlp(lr, hidden=(32,)), "the hidden layers", "two or more Dense layers"),
    (lambda lr: mlp(lr, activation=None), "hidden layer(s)", "collapse into one linear layer"),
    (lambda lr: mlp(lr, compile=False), "build_mlp(0.002)", "call model.compile"),
    (lambda lr: mlp(lr, loss="categorical_crossentropy"), "the loss", "not one-hot"),
    (lambda lr: mlp(lr, loss="mse"), "the loss", "sparse_categorical_crossentropy"),
    (lambda lr: mlp(lr, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)), "the loss",
     "drop from_logits=True"),
    (lambda lr: mlp(0.01), "the optimizer's learning rate", "pass the function's argument on"),
    (lambda lr: mlp(lr, metrics=()), "the metrics", 'metrics=["accuracy"]'),
])
def test_build_mlp_names_each_slip(builder, case, hint):
    error = failure(ch04.build_mlp, builder)
    assert case in str(error) and hint in str(error)


def test_build_mlp_accepts_loss_objects_and_named_metrics(capsys):
    ch04.build_mlp(lambda lr: mlp(lr, loss=keras.losses.SparseCategoricalCrossentropy(),
                                  metrics=("sparse_categorical_accuracy",)))
    assert capsys.readouterr().out.startswith("✔")


def test_build_mlp_wants_a_new_model_per_call():
    shared = mlp()
    error = failure(ch04.build_mlp, lambda lr: shared)
    assert "two separate models" in str(error) and "fresh weights" in str(error)


def test_build_mlp_names_a_second_call_that_returns_nothing():
    calls = []

    def once(lr):
        calls.append(lr)
        return mlp(lr) if len(calls) == 1 else None

    error = failure(ch04.build_mlp, once)
    assert "a second call of build_mlp(0.002)" in str(error) and "forget a `return`" in str(error)


def test_make_callbacks_and_best_epoch_name_a_missing_return():
    error = failure(ch04.make_callbacks, lambda run_dir: None)
    assert error.expected == "a list of callbacks" and "forget a `return`" in error.hint
    error = failure(ch04.best_epoch, lambda logdir: None, "logs", {"val_accuracy": [0.5, 0.75, 0.625]})
    assert error.expected == (2, 0.75) and "forget a `return`" in error.hint
    error = failure(ch04.best_epoch, lambda logdir: 1 / 0, "logs", {"val_accuracy": [0.5, 0.75, 0.625]})
    assert error.expected == "2, 0.7500" and error.got == "ZeroDivisionError: division by zero"


def test_build_mlp_rejects_a_schedule_and_reports_a_crash():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.002, 10, 0.5)

    def scheduled(lr):
        model = mlp(compile=False)
        model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(schedule),
                      metrics=["accuracy"])
        return model

    assert "constant learning rate" in str(failure(ch04.build_mlp, scheduled))

    def crashing(lr):
        raise KeyError("units")

    assert "KeyError: 'units'" in str(failure(ch04.build_mlp, crashing))


def test_stubs_raise_not_implemented_error():
    def stub(*args):
        raise NotImplementedError()

    for check, args in ((ch04.build_mlp, (stub,)), (ch04.make_callbacks, (stub,)),
                        (ch04.learning_rate_sweep, (None,)), (ch04.chosen_learning_rate, (None, None)),
                        (ch04.test_accuracy, (None, None, None)), (ch04.checkpoint, (None, None, None)),
                        (ch04.best_epoch, (stub, "logs", None))):
        with pytest.raises(NotImplementedError):
            check(*args)


# --------------------------------------------------------------------- the learning-rate finder
def finder_record(rates, losses, stopped_by="divergence"):
    finder = LearningRateFinder()
    finder.rates, finder.losses, finder.stopped_by = list(rates), list(losses), stopped_by
    return finder


RATES = exponential_rates(1e-5, 10.0, steps=200)
LOSSES = 2.3 - 2.0 / (1 + np.exp(-2 * (np.log10(RATES) + 3.5)))   # falls around 3e-4, flat, ...
LOSSES = LOSSES + np.where(RATES > 1e-2, 30 * (np.log10(RATES) + 2) ** 2, 0)  # ... and blows up past 1e-2


def test_learning_rate_sweep_passes_a_real_record(capsys):
    ch04.learning_rate_sweep(finder_record(RATES, LOSSES))
    assert capsys.readouterr().out.startswith("✔ the sweep ran 200 batches")


def test_learning_rate_sweep_slips():
    assert "LearningRateFinder" in str(failure(ch04.learning_rate_sweep, [1e-3, 1e-2]))
    assert "at least 30" in str(failure(ch04.learning_rate_sweep, finder_record(RATES[:10], LOSSES[:10])))
    narrow = exponential_rates(1e-3, 1e-2, steps=100)
    assert "3 decades" in str(failure(ch04.learning_rate_sweep, finder_record(narrow, np.ones(100), None)))
    bumpy = RATES.copy()
    bumpy[50] *= 3
    assert "same factor" in str(failure(ch04.learning_rate_sweep, finder_record(bumpy, LOSSES)))
    nan_start = LOSSES.copy()
    nan_start[0] = np.nan
    assert "scale the pixels" in str(failure(ch04.learning_rate_sweep, finder_record(RATES, nan_start)))


def test_chosen_learning_rate_accepts_a_few_times_below_the_turning_point(capsys):
    from neuronlab.callbacks import finder_valley

    finder = finder_record(RATES, LOSSES)
    low, lowest, turn = finder_valley(RATES, LOSSES)
    assert finder.suggestion() == pytest.approx(turn / 10)
    ch04.chosen_learning_rate(turn / 10, finder)
    out = capsys.readouterr().out
    assert out.startswith("✔ η = ") and "below where the loss turns up" in out
    ch04.chosen_learning_rate(turn / 3, finder)
    too_high = failure(ch04.chosen_learning_rate, turn, finder)
    assert "too close to where the loss shoots up" in str(too_high)
    too_low = failure(ch04.chosen_learning_rate, turn / 100, finder)
    assert "needlessly slow" in str(too_low)
    assert "a number" in str(failure(ch04.chosen_learning_rate, "0.001", finder))
    assert "positive" in str(failure(ch04.chosen_learning_rate, -0.001, finder))


def test_every_tick_message_fits_a_code_cell_line(capsys):
    finder = finder_record(RATES, LOSSES)
    ch04.learning_rate_sweep(finder)
    ch04.chosen_learning_rate(finder.suggestion(), finder)
    assert all(len(line) <= 88 for line in capsys.readouterr().out.splitlines())


# --------------------------------------------------------------------- callbacks
def good_callbacks(run_dir):
    return [keras.callbacks.ModelCheckpoint(run_dir / "best.keras", monitor="val_accuracy", save_best_only=True),
            keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=5, restore_best_weights=True),
            keras.callbacks.TensorBoard(run_dir / "logs")]


def test_make_callbacks_passes_the_right_list(capsys):
    ch04.make_callbacks(good_callbacks)
    assert capsys.readouterr().out.startswith("✔ checkpoint best.keras (best only, val_accuracy)")


def _changed(index, **changes):
    def function(run_dir):
        callbacks = good_callbacks(run_dir)
        kinds = [keras.callbacks.ModelCheckpoint, keras.callbacks.EarlyStopping, keras.callbacks.TensorBoard]
        arguments = [dict(filepath=run_dir / "best.keras", monitor="val_accuracy", save_best_only=True),
                     dict(monitor="val_accuracy", patience=5, restore_best_weights=True),
                     dict(log_dir=run_dir / "logs")][index]
        arguments.update({k: (v(run_dir) if callable(v) else v) for k, v in changes.items()})
        callbacks[index] = kinds[index](**arguments)
        return callbacks
    return function


@pytest.mark.parametrize("function, hint", [
    (lambda run_dir: None, "forget a `return`"),
    (lambda run_dir: good_callbacks(run_dir)[0], "return [checkpoint, early_stopping, tensorboard]"),
    (lambda run_dir: good_callbacks(run_dir)[:2], "exactly one keras.callbacks.TensorBoard"),
    (_changed(0, filepath="best.keras"), "build the path from the argument"),
    (_changed(0, filepath=lambda d: d / "model.keras"), 'name the file run_dir / "best.keras"'),
    (_changed(0, filepath=lambda d: d / "best.weights.h5", save_weights_only=True), "drop save_weights_only"),
    (_changed(0, save_best_only=False), "keep only the best model"),
    (_changed(0, monitor="accuracy"), "validation set"),
    (_changed(0, monitor="val_loss"), "monitor the same metric in both"),
    (_changed(1, restore_best_weights=False), "weights of the last epoch"),
    (_changed(1, patience=0), "first wobble"),
    (_changed(2, log_dir="logs"), 'log into run_dir / "logs"'),
])
def test_make_callbacks_names_each_slip(function, hint):
    assert hint in str(failure(ch04.make_callbacks, function))


# --------------------------------------------------------------------- accuracy, checkpoint and logs
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small model trained on separable fake 'images', with the exercise's callbacks."""
    run_dir = tmp_path_factory.mktemp("run")
    rng = np.random.default_rng(0)
    y = np.arange(300) % 10
    X = rng.uniform(0, 0.2, size=(300, 28, 28))
    X[np.arange(300), 2 * y, :] = 1.0         # each class lights up its own row of pixels
    y_valid = y[240:].copy()
    y_valid[::4] = (y_valid[::4] + 1) % 10    # a quarter of the validation labels wrong: val accuracy < 1
    model = mlp(0.01)
    history = model.fit(X[:240], y[:240], epochs=10, validation_data=(X[240:], y_valid), verbose=0,
                        callbacks=good_callbacks(run_dir))
    return run_dir, model, history, X[:240], y[:240]


def test_test_accuracy_passes_a_good_model_and_fails_a_weak_one(trained, capsys, full):
    _, model, _, X, y = trained
    ch04.test_accuracy(model, X, y)
    assert capsys.readouterr().out.startswith("✔ test accuracy 100.00% (target 98%)")
    weak = failure(ch04.test_accuracy, mlp(), X, y)
    assert "at least 98.0%" in str(weak) and "check the learning rate" in str(weak)


def test_test_accuracy_lowers_the_bar_in_quick_mode(trained, quick):
    _, _, _, X, y = trained
    error = failure(ch04.test_accuracy, mlp(), X, y)
    assert "at least 85.0%" in str(error) and "quick mode" in str(error)


def test_test_accuracy_input_slips(trained):
    _, model, history, X, y = trained
    assert "not its History" in str(failure(ch04.test_accuracy, history, X, y))
    assert "X_test / 255" in str(failure(ch04.test_accuracy, model, X * 255, y))
    assert "as loaded" in str(failure(ch04.test_accuracy, model, X, y[:10]))


def test_checkpoint_round_trip_gives_identical_predictions(trained, capsys):
    run_dir, model, _, X, _ = trained
    ch04.checkpoint(run_dir / "best.keras", model, X)
    assert capsys.readouterr().out.startswith("✔ best.keras reloads into a model that predicts exactly as")
    reloaded = keras.saving.load_model(run_dir / "best.keras")
    assert np.array_equal(reloaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_checkpoint_slips(trained, tmp_path):
    run_dir, model, _, X, _ = trained
    other = mlp(0.01)
    assert "restore_best_weights=True" in str(failure(ch04.checkpoint, run_dir / "best.keras", other, X))
    assert "no model file" in str(failure(ch04.checkpoint, tmp_path / "best.keras", model, X))


def good_best_epoch(logdir):
    from neuronlab import tensorboard as tb

    scalars = tb.scalars(logdir, run="validation", tag="epoch_accuracy")
    best = scalars.loc[scalars["value"].idxmax()]
    return int(best["step"]) + 1, float(best["value"])


def test_best_epoch_matches_the_history(trained, capsys):
    run_dir, _, history, _, _ = trained
    ch04.best_epoch(good_best_epoch, run_dir / "logs", history)
    assert capsys.readouterr().out.startswith("✔ the logs' best validation accuracy is")


def test_best_epoch_slips(trained):
    run_dir, _, history, _, _ = trained
    logs = run_dir / "logs"
    off_by_one = failure(ch04.best_epoch, lambda d: (good_best_epoch(d)[0] - 1, good_best_epoch(d)[1]), logs, history)
    assert "counts steps from 0" in str(off_by_one)

    def training_run(logdir):
        from neuronlab import tensorboard as tb

        scalars = tb.scalars(logdir, run="train", tag="epoch_accuracy")
        best = scalars.loc[scalars["value"].idxmax()]
        return int(best["step"]) + 1, float(best["value"])

    assert 'that is the training accuracy' in str(failure(ch04.best_epoch, training_run, logs, history))
    assert "forget a `return`" in str(failure(ch04.best_epoch, lambda d: None, logs, history))
    assert "return two numbers" in str(failure(ch04.best_epoch, lambda d: 3, logs, history))
    crash = failure(ch04.best_epoch, good_best_epoch, run_dir / "nowhere", history)
    assert "FileNotFoundError" in str(crash)
    assert "what model.fit returned" in str(failure(ch04.best_epoch, good_best_epoch, logs, {"loss": [1.0]}))
