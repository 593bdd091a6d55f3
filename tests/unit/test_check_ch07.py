"""Chapter 07's self-checks: right answers pass with one ✔ line; wrong ones name the case, what was expected
and a hint."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")

from neuronlab import schedules  # noqa: E402
from neuronlab.check import CheckFailed, ch07  # noqa: E402


# --------------------------------------------------------------------- reference answers
def good_build(activation="swish", kernel_initializer="he_normal", batch_norm=False, alpha_dropout=0.0):
    model = keras.Sequential([keras.Input(shape=(32, 32, 3)), keras.layers.Flatten()])
    for _ in range(20):
        model.add(keras.layers.Dense(100, kernel_initializer=kernel_initializer))
        if batch_norm:
            model.add(keras.layers.BatchNormalization())
        model.add(keras.layers.Activation(activation))
    if alpha_dropout > 0:
        model.add(keras.layers.AlphaDropout(alpha_dropout))
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model


def inline_build(activation="swish", kernel_initializer="he_normal", batch_norm=False, alpha_dropout=0.0):
    """Another right answer: activations inside Dense, BN after the activation, initialisers as objects."""
    initializer = {"he_normal": keras.initializers.HeNormal, "lecun_normal": keras.initializers.LecunNormal}[
        kernel_initializer]
    layers = [keras.Input(shape=(32, 32, 3)), keras.layers.Flatten()]
    for _ in range(20):
        layers.append(keras.layers.Dense(100, activation=keras.activations.get(activation),
                                         kernel_initializer=initializer()))
        if batch_norm:
            layers.append(keras.layers.BatchNormalization())
    if alpha_dropout:
        layers.append(keras.layers.AlphaDropout(alpha_dropout))
    return keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])


def good_standardise(X_train, X_valid, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return tuple((X - mean) / std for X in (X_train, X_valid, X_test))


def good_fit(model, X_train, y_train, X_valid, y_valid, learning_rate=1e-3, epochs=30, callbacks=(),
             early_stopping=True):
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Nadam(learning_rate=learning_rate),
                  metrics=["accuracy"])
    callbacks = list(callbacks)
    if early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=5, restore_best_weights=True))
    return model.fit(X_train, y_train, epochs=epochs, batch_size=32, validation_data=(X_valid, y_valid),
                     callbacks=callbacks, verbose=0)


def good_mc(model, X, n_samples=100):
    return np.mean([keras.ops.convert_to_numpy(model(X, training=True)) for _ in range(n_samples)], axis=0)


def good_rate(step, total_steps, max_rate):
    peak = 0.45 * total_steps
    return float(np.interp(step, [0, peak, 2 * peak, total_steps - 1],
                           [max_rate / 10, max_rate, max_rate / 10, max_rate / 10_000]))


class LearnerOneCycle(keras.callbacks.Callback):
    """A learner's callback: the rate of good_rate before every batch, over `total_steps` steps."""

    def __init__(self, total_steps, max_rate, per_epoch=None):
        super().__init__()
        self.total_steps, self.max_rate, self.per_epoch, self.step = total_steps, max_rate, per_epoch, 0

    def on_train_batch_begin(self, batch, logs=None):
        step = self.step % self.per_epoch if self.per_epoch else self.step
        self.model.optimizer.learning_rate = good_rate(step, self.total_steps, self.max_rate)
        self.step += 1


def good_one_cycle(n_train, batch_size, epochs, max_rate):
    return LearnerOneCycle(epochs * math.ceil(n_train / batch_size), max_rate)


def good_results():
    rows = {name: {"epochs": 12, "seconds": 30.5, "validation accuracy": 0.33, "test accuracy": 0.31}
            for name in ch07.RESULT_ROWS}
    rows["MC dropout"]["epochs"] = 0
    return pd.DataFrame(rows).T


def failure(call) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        call()
    return info.value


# --------------------------------------------------------------------- right answers pass
def test_right_answers_print_one_tick_line_each(capsys):
    ch07.build_dnn(good_build)
    ch07.build_dnn_batch_norm(good_build)
    ch07.build_dnn_selu(good_build)
    ch07.build_dnn_alpha_dropout(good_build)
    ch07.standardise(good_standardise)
    ch07.fit_model(good_fit)
    ch07.mc_predict_proba(good_mc)
    ch07.one_cycle_rate(good_rate)
    ch07.one_cycle_callback(good_one_cycle)
    ch07.results_table(good_results())
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 10 and all(line.startswith("✔") for line in lines), lines
    assert all(len(line) <= 88 for line in lines), [line for line in lines if len(line) > 88]


def test_the_packaged_scheduler_passes_the_callback_check(capsys):
    ch07.one_cycle_callback(
        lambda n, b, e, r: schedules.OneCycleScheduler(e * math.ceil(n / b), max_rate=r))
    assert capsys.readouterr().out.startswith("✔ the callback")


def test_other_spellings_of_the_same_network_pass(capsys):
    ch07.build_dnn(inline_build)
    ch07.build_dnn_batch_norm(inline_build)
    ch07.build_dnn_selu(inline_build)
    ch07.build_dnn_alpha_dropout(inline_build)
    assert capsys.readouterr().out.count("✔") == 4


def test_fit_model_watching_the_validation_loss_also_passes(capsys):
    def fit(model, X_train, y_train, X_valid, y_valid, learning_rate=1e-3, epochs=30, callbacks=()):
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(),
                      optimizer=keras.optimizers.Nadam(learning_rate), metrics=["accuracy"])
        stop = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
        return model.fit(X_train, y_train, epochs=epochs, validation_data=(X_valid, y_valid),
                         callbacks=[stop, *callbacks], verbose=0)

    ch07.fit_model(fit)
    assert capsys.readouterr().out.startswith("✔ Nadam")


# --------------------------------------------------------------------- build_dnn mistakes
def variant(**changes):
    """good_build with one thing changed."""
    def build(activation="swish", kernel_initializer="he_normal", batch_norm=False, alpha_dropout=0.0):
        n_hidden = changes.get("n_hidden", 20)
        units = changes.get("units", 100)
        model = keras.Sequential([keras.Input(shape=changes.get("input_shape", (32, 32, 3))), keras.layers.Flatten()])
        for _ in range(n_hidden):
            model.add(keras.layers.Dense(units, kernel_initializer=changes.get("initializer", kernel_initializer)))
            if batch_norm and not changes.get("forget_bn"):
                model.add(keras.layers.BatchNormalization())
            model.add(keras.layers.Activation(changes.get("activation", activation)))
        if alpha_dropout > 0 or changes.get("always_dropout"):
            layer = keras.layers.Dropout if changes.get("plain_dropout") else keras.layers.AlphaDropout
            model.add(layer(changes.get("rate", alpha_dropout or 0.2)))
        model.add(keras.layers.Dense(10, activation=changes.get("output", "softmax")))
        return model
    return build


@pytest.mark.parametrize(("changes", "check", "fragment"), [
    ({"n_hidden": 19}, ch07.build_dnn, "got      '19 hidden Dense layers'"),
    ({"units": 64}, ch07.build_dnn, "hidden layer 1:\n    expected '100 units'"),
    ({"activation": "relu"}, ch07.build_dnn, "expected 'swish'\n    got      'relu'"),
    ({"initializer": "glorot_uniform"}, ch07.build_dnn, "expected 'he_normal'\n    got      'glorot_uniform'"),
    ({"output": "sigmoid"}, ch07.build_dnn, "an output Dense layer of 10 units with softmax"),
    ({"input_shape": (3072,)}, ch07.build_dnn, "keras.Input(shape=(32, 32, 3))"),
    ({"always_dropout": True}, ch07.build_dnn, "no dropout by default"),
    ({"forget_bn": True}, ch07.build_dnn_batch_norm, "add a BatchNormalization layer after each hidden Dense"),
    ({"activation": "swish"}, ch07.build_dnn_selu, "use the function's argument rather than a fixed name"),
    ({"initializer": "he_normal"}, ch07.build_dnn_selu, "expected 'lecun_normal'"),
    ({"plain_dropout": True}, ch07.build_dnn_alpha_dropout, "breaks SELU's self-normalisation"),
    ({"rate": 0.3}, ch07.build_dnn_alpha_dropout, "use the alpha_dropout argument as the layers' rate"),
])
def test_build_dnn_mistakes_are_named(changes, check, fragment):
    error = failure(lambda: check(variant(**changes)))
    assert fragment in str(error), str(error)
    assert str(error).startswith("✘ your build_dnn")


def test_missing_alpha_dropout_is_reported():
    def no_dropout(activation="swish", kernel_initializer="he_normal", batch_norm=False, alpha_dropout=0.0):
        return good_build(activation, kernel_initializer, batch_norm)

    assert "at least one AlphaDropout layer" in str(failure(lambda: ch07.build_dnn_alpha_dropout(no_dropout)))


def test_build_dnn_that_returns_nothing_or_crashes_or_is_unfinished():
    assert "did you forget a `return`" in str(failure(lambda: ch07.build_dnn(lambda **kw: None)))
    assert "ZeroDivisionError" in str(failure(lambda: ch07.build_dnn(lambda **kw: 1 / 0)))
    assert "keras.Model" in str(failure(lambda: ch07.build_dnn(lambda **kw: "model")))

    def stub(**kwargs):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        ch07.build_dnn(stub)
    with pytest.raises(TypeError, match="build_dnn must be a function"):
        ch07.build_dnn(None)


# --------------------------------------------------------------------- standardise mistakes
@pytest.mark.parametrize(("function", "fragment"), [
    (lambda a, b, c: tuple((X - X.mean(axis=0)) / X.std(axis=0) for X in (a, b, c)),
     "use the *training* set's mean and standard deviation"),
    (lambda a, b, c: tuple((X - a.mean()) / a.std() for X in (a, b, c)), "per feature, X_train.mean(axis=0)"),
    (lambda a, b, c: tuple((X - a.mean(axis=0)) for X in (a, b, c)), "(X - mean) / std"),
    (lambda a, b, c: tuple(X.reshape(len(X), -1) for X in (a, b, c)), "keep each set's shape"),
    (lambda a, b, c: good_standardise(a, b, c)[:2], "return the three standardised sets"),
])
def test_standardise_mistakes_get_their_hint(function, fragment):
    assert fragment in str(failure(lambda: ch07.standardise(function)))


# --------------------------------------------------------------------- fit_model mistakes
def fit_variant(**changes):
    def fit(model, X_train, y_train, X_valid, y_valid, learning_rate=1e-3, epochs=30, callbacks=(),
            early_stopping=True):
        optimizer = changes.get("optimizer", lambda: keras.optimizers.Nadam(learning_rate=learning_rate))()
        model.compile(loss=changes.get("loss", "sparse_categorical_crossentropy"), optimizer=optimizer,
                      metrics=changes.get("metrics", ["accuracy"]))
        stops = [] if changes.get("no_stop") else [keras.callbacks.EarlyStopping(
            patience=3, restore_best_weights=not changes.get("no_restore"))]
        extra = [] if changes.get("drop_callbacks") else list(callbacks)
        return model.fit(X_train, y_train, epochs=epochs, validation_data=(X_valid, y_valid), callbacks=stops + extra,
                         verbose=0)
    return fit


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"optimizer": lambda: keras.optimizers.Adam()}, "expected 'Nadam'\n    got      'Adam'"),
    ({"optimizer": lambda: keras.optimizers.Nadam(learning_rate=0.01)}, "pass the function's learning_rate"),
    ({"loss": "mse"}, "the loss must be 'sparse_categorical_crossentropy' (a shape error"),
    ({"metrics": []}, "compile with metrics=['accuracy']"),
    ({"drop_callbacks": True}, "pass callbacks=[early_stopping, *callbacks] to model.fit"),
    ({"no_stop": True}, "add keras.callbacks.EarlyStopping"),
    ({"no_restore": True}, "restore_best_weights=True) puts the best weights back"),
])
def test_fit_model_mistakes_are_named(changes, fragment):
    error = failure(lambda: ch07.fit_model(fit_variant(**changes)))
    assert fragment in str(error), str(error)


def test_a_crash_inside_keras_is_reported_in_one_line():
    message = str(failure(lambda: ch07.fit_model(fit_variant(loss="mse"))))
    got = next(line for line in message.splitlines() if line.startswith("    got"))
    assert got.startswith("    got      InvalidArgumentError: ") and "Incompatible shapes" in got
    assert len(message.splitlines()) == 4 and "File " not in message


def test_fit_model_must_return_the_history():
    def fit(model, *args, **kwargs):
        good_fit(model, *args, **kwargs)

    assert "did you forget a `return`" in str(failure(lambda: ch07.fit_model(fit)))


def test_fit_model_accepts_the_loss_as_a_function(capsys):
    ch07.fit_model(fit_variant(loss=keras.losses.sparse_categorical_crossentropy))
    assert capsys.readouterr().out.startswith("✔ Nadam")


# --------------------------------------------------------------------- MC dropout mistakes
@pytest.mark.parametrize(("function", "fragment"), [
    (lambda model, X, n: model.predict(X, verbose=0), "dropout is off at inference"),
    (lambda model, X, n: np.stack([keras.ops.convert_to_numpy(model(X, training=True)) for _ in range(n)]),
     "average them over the passes, axis 0"),
    (lambda model, X, n: keras.ops.convert_to_numpy(model(X, training=True)), "average all 200 passes"),
    (lambda model, X, n: np.log(good_mc(model, X, n)), "rows that sum to 1"),
    (lambda model, X, n: good_mc(model, X, 150), "not a constant"),
])
def test_mc_predict_proba_mistakes_get_their_hint(function, fragment):
    assert fragment in str(failure(lambda: ch07.mc_predict_proba(function)))


# --------------------------------------------------------------------- 1cycle mistakes
def test_one_cycle_rate_mistakes_get_their_hint():
    assert "at step 0 the rate is max_rate / 10" in str(
        failure(lambda: ch07.one_cycle_rate(lambda s, t, r: good_rate(s, t, r) if s else r)))
    assert "0.45 × total_steps" in str(failure(lambda: ch07.one_cycle_rate(
        lambda s, t, r: float(np.interp(s, [0, t / 2, t - 1], [r / 10, r, r / 10_000])))))
    assert "max_rate / 10,000 at the last step" in str(failure(lambda: ch07.one_cycle_rate(
        lambda s, t, r: float(np.interp(s, [0, 0.45 * t, 0.9 * t, t - 1], [r / 10, r, r / 10, r / 1000])))))
    assert "return one number" in str(failure(lambda: ch07.one_cycle_rate(lambda s, t, r: "fast")))


@pytest.mark.parametrize(("function", "fragment"), [
    (lambda n, b, e, r: LearnerOneCycle(e * (n // b), r), "round the batches per epoch up"),
    (lambda n, b, e, r: LearnerOneCycle(math.ceil(n / b), r, per_epoch=math.ceil(n / b)),
     "epochs × batches per epoch"),
    (lambda n, b, e, r: keras.callbacks.Callback(), "the rate never changed"),
    (lambda n, b, e, r: LearnerOneCycle(e * math.ceil(n / b), 0.1), "one_cycle_rate(k, total_steps, max_rate)"),
    (lambda n, b, e, r: good_rate, "a keras.callbacks.Callback"),
])
def test_one_cycle_mistakes_get_their_hint(function, fragment):
    error = failure(lambda: ch07.one_cycle_callback(function))
    assert fragment in str(error) and "n_train=1000, batch_size=64, epochs=3" in str(error)


# --------------------------------------------------------------------- the results table
def test_results_table_mistakes_are_named():
    table = good_results()
    assert "add the missing row(s) ['1cycle']" in str(failure(lambda: ch07.results_table(table.drop("1cycle"))))
    assert "add the missing column(s) ['seconds']" in str(
        failure(lambda: ch07.results_table(table.drop(columns="seconds"))))
    percent = table.copy()
    percent["test accuracy"] = 31.0
    assert "fractions (0.42), not percentages (42)" in str(failure(lambda: ch07.results_table(percent)))
    fractional = table.copy()
    fractional.loc["SELU", "epochs"] = 12.5
    assert "a whole number of epochs" in str(failure(lambda: ch07.results_table(fractional)))
    assert "a pandas DataFrame" in str(failure(lambda: ch07.results_table({"a": 1})))
    with pytest.raises(NotImplementedError):
        ch07.results_table(None)


def test_a_failure_message_has_case_expected_got_and_hint():
    message = str(failure(lambda: ch07.build_dnn(variant(activation="relu"))))
    assert re.match(r"✘ your build_dnn, for build_dnn\(\), hidden layer 1:\n    expected 'swish'\n    got      'relu'\n"
                    r"  Hint: ", message), message
