"""Chapter 05's self-checks: right answers pass with one ✔ line, each classic slip gets its own hint."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

kt = pytest.importorskip("keras_tuner")
keras = pytest.importorskip("keras")

from neuronlab import config, tuning  # noqa: E402
from neuronlab.check import CheckFailed, ch05  # noqa: E402


# --------------------------------------------------------------------- reference answers
def good_build_model(hp):
    n_hidden = hp.Int("n_hidden", 1, 2)
    rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    optimizer = hp.Choice("optimizer", ["sgd", "adam"])
    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten()])
    for _ in range(n_hidden):
        model.add(keras.layers.Dense(16, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    chosen = keras.optimizers.SGD(rate, momentum=0.9) if optimizer == "sgd" else keras.optimizers.Adam(rate)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"], optimizer=chosen)
    return model


class GoodFinder(keras.callbacks.Callback):
    def __init__(self, start=1e-5, factor=1.05):
        super().__init__()
        self.start, self.factor = start, factor
        self.rates, self.losses = [], []

    def on_train_begin(self, logs=None):
        self.rates, self.losses = [], []
        self.step, self.best, self.previous = 0, math.inf, 0.0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate = self.start * self.factor**self.step

    def record(self, batch, loss):
        self.rates.append(self.start * self.factor**self.step)
        self.losses.append(loss)
        self.step += 1
        if not math.isfinite(loss) or loss > 4 * self.best:
            self.model.stop_training = True
        self.best = min(self.best, loss)

    def batch_loss(self, batch, logs):
        mean = float(logs["loss"])
        loss = (batch + 1) * mean - batch * self.previous
        self.previous = mean
        return loss

    def on_train_batch_end(self, batch, logs=None):
        self.record(batch, self.batch_loss(batch, logs))


def _easy_data(n=240, classes=3, seed=0, shuffle_labels=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype("float32")
    y = np.argmax(X[:, :classes], axis=1)
    if shuffle_labels:
        y = rng.integers(0, 10, n)
    return X, y


def _tiny_build(hp):
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(hp.Int("units", 4, 8), activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(0.01), metrics=["accuracy"])
    return model


def _tuner(tmp_path, *, trials=2, objective="val_accuracy", build=_tiny_build, shuffle_labels=False, **search):
    X, y = _easy_data(shuffle_labels=shuffle_labels)
    keras.utils.set_random_seed(0)
    tuner = kt.RandomSearch(build, objective=objective, max_trials=trials, seed=0,
                            **tuning.fresh_project("check", root=tmp_path))
    with tuning.quiet_search():
        tuner.search(X, y, epochs=3, validation_split=0.25, verbose=0, **search)
    return tuner


def _stub(*args, **kwargs):
    raise NotImplementedError()


# --------------------------------------------------------------------- right answers pass
def test_right_answers_print_one_tick_line_each(capsys, tmp_path, quick):
    ch05.search_space(good_build_model)
    ch05.tuner_run(_tuner(tmp_path))
    ch05.learning_rate_finder(GoodFinder)
    lines = capsys.readouterr().out.strip().splitlines()
    ticks = [line for line in lines if line.startswith("✔")]
    assert len(ticks) == 3 and all(line.startswith(("✔", "  ")) for line in lines), lines
    assert all(len(line) <= 88 for line in lines), lines
    assert "n_hidden (Int), learning_rate (Float), optimizer (Choice)" in "\n".join(lines)


# --------------------------------------------------------------------- the search space
def _failure(check, *args):
    with pytest.raises(CheckFailed) as caught:
        check(*args)
    return str(caught.value)


def _variant(**changes):
    """good_build_model with one slip: a different declaration or model."""
    def build(hp):
        if "declare" in changes:
            changes["declare"](hp)
        else:
            hp.Int("n_hidden", 1, 2)
            hp.Float("learning_rate", 1e-4, 1e-2, sampling=changes.get("sampling", "log"))
            hp.Choice("optimizer", ["sgd", "adam"])
        layers = [keras.Input(shape=changes.get("input", (28, 28))), keras.layers.Flatten(),
                  keras.layers.Dense(16, activation="relu"),
                  keras.layers.Dense(changes.get("outputs", 10), activation=changes.get("activation", "softmax"))]
        model = keras.Sequential(layers)
        if changes.get("compile", True):
            model.compile(loss=changes.get("loss", "sparse_categorical_crossentropy"), optimizer="adam")
        return None if changes.get("none") else model
    return build


@pytest.mark.parametrize("changes, expected", [
    (dict(declare=lambda hp: (hp.Int("units", 8, 16), hp.Float("lr", 1e-4, 1e-2, sampling="log"))),
     "at least one Choice"),
    (dict(declare=lambda hp: (hp.Float("lr", 1e-4, 1e-2, sampling="log"), hp.Choice("act", ["relu"]))),
     "at least one Int"),
    (dict(sampling="linear"), 'a Float with sampling="log"'),
    (dict(declare=lambda hp: hp.Choice("activation", [])), "'activation': Choice needs at least one value"),
    (dict(declare=lambda hp: hp.Int("n_hidden", 3, 1)), "'n_hidden': min_value 3 is greater than max_value 1"),
    (dict(input=(784,)), "the input shape"),
    (dict(outputs=1), "the output shape"),
    (dict(activation="sigmoid"), "activation=\"softmax\""),
    (dict(compile=False), "never compiled"),
    (dict(loss="categorical_crossentropy"), "integer labels 0–9"),
    (dict(none=True), "did you forget a `return`"),
])
def test_search_space_names_each_slip(changes, expected):
    assert expected in _failure(ch05.search_space, _variant(**changes))


def test_search_space_reports_a_crash_and_lets_a_stub_through():
    def crashes(hp):
        hp.Int("n_hidden", 1, 2)
        raise KeyError("units")

    message = _failure(ch05.search_space, crashes)
    assert "KeyError" in message and "keras_tuner.HyperParameters()" in message
    with pytest.raises(NotImplementedError):
        ch05.search_space(_stub)
    with pytest.raises(TypeError, match="build_model must be a function"):
        ch05.search_space("build_model")


# --------------------------------------------------------------------- the search
def test_search_space_reports_a_crash_when_it_builds_the_default_model():
    calls = []

    def crashes_the_second_time(hp):
        calls.append(hp)
        if len(calls) > 1:
            raise KeyError("units")
        return good_build_model(hp)

    message = _failure(ch05.search_space, crashes_the_second_time)
    assert "KeyError: 'units'" in message and "keras_tuner.HyperParameters()" in message


def test_tuner_run_insists_on_a_folder_outside_the_repository(tmp_path, quick):
    tuner = _tuner(tmp_path)
    tuner.directory = str(config.REPOSITORY)  # as if the learner had left directory="." in the repository
    message = _failure(ch05.tuner_run, tuner)
    assert "outside the repository" in message and "tuning.fresh_project" in message


def test_tuner_run_wants_validation_accuracy_maximised(tmp_path, quick):
    message = _failure(ch05.tuner_run, _tuner(tmp_path, objective="val_loss"))
    assert "val_accuracy, maximised" in message and "val_loss, min" in message


def test_tuner_run_counts_the_trials(tmp_path, full):
    message = _failure(ch05.tuner_run, _tuner(tmp_path, trials=2))
    assert f"at least {ch05.MIN_TRIALS[0]}" in message and "got      2" in message


def test_tuner_run_catches_trials_that_crashed(tmp_path, quick, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard.plugins.hparams", None)  # tensorboard "not installed"
    tuner = _tuner(tmp_path, callbacks=[keras.callbacks.TensorBoard(tmp_path / "logs")])
    message = _failure(ch05.tuner_run, tuner)
    assert "a score for every trial" in message and "2 of 2 trials have no score" in message


def test_tuner_run_wants_a_useful_best_trial(tmp_path, quick):
    message = _failure(ch05.tuner_run, _tuner(tmp_path, shuffle_labels=True))
    assert "best trial's validation accuracy" in message and f"at least {ch05.SEARCH_TARGET[1]:.0%}" in message


def test_tuner_run_wants_a_tuner():
    with pytest.raises(NotImplementedError):
        ch05.tuner_run(None)
    assert "Keras Tuner tuner" in _failure(ch05.tuner_run, keras.Sequential())


# --------------------------------------------------------------------- the test accuracy
def _reader_model():
    """A model that reads the label off the image: class k lights pixel (0, k)."""
    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    weights = np.zeros((784, 10), dtype="float32")
    weights[np.arange(10), np.arange(10)] = 20
    model.layers[-1].set_weights([weights, np.zeros(10, dtype="float32")])
    return model


def _images(labels):
    X = np.zeros((len(labels), 28, 28), dtype="float32")
    X[np.arange(len(labels)), 0, labels] = 1.0
    return X


def test_test_accuracy_passes_a_good_model_and_fails_a_bad_one(capsys, full):
    labels = np.arange(200) % 10
    ch05.test_accuracy(_reader_model(), _images(labels), labels)
    assert capsys.readouterr().out.startswith("✔ test accuracy 100.00%")
    wrong = (labels + 1) % 10
    message = _failure(ch05.test_accuracy, _reader_model(), _images(labels), wrong)
    assert "at least 86%" in message and "0.00%" in message and "all the training images" in message


def test_test_accuracy_has_a_lower_bar_in_quick_mode(capsys, quick):
    labels = np.arange(100) % 10
    mostly = labels.copy()
    mostly[:40] = (mostly[:40] + 1) % 10  # 60 % right: enough in quick mode only
    ch05.test_accuracy(_reader_model(), _images(labels), mostly)
    assert "quick mode" in capsys.readouterr().out


def test_test_accuracy_names_each_slip():
    labels = np.arange(20) % 10
    assert "pixels scaled to [0, 1]" in _failure(ch05.test_accuracy, _reader_model(), 255 * _images(labels), labels)
    assert "images (n, 28, 28)" in _failure(ch05.test_accuracy, _reader_model(), _images(labels)[:, 0], labels)
    assert "not its History" in _failure(ch05.test_accuracy, object(), _images(labels), labels)
    with pytest.raises(NotImplementedError):
        ch05.test_accuracy(None, _images(labels), labels)


# --------------------------------------------------------------------- the finder
class RunningMean(GoodFinder):
    def batch_loss(self, batch, logs):
        return float(logs["loss"])


class NeverSetsTheRate(GoodFinder):
    def on_train_batch_begin(self, batch, logs=None):
        pass


class NeverStops(GoodFinder):
    def record(self, batch, loss):
        self.rates.append(self.start * self.factor**self.step)
        self.losses.append(loss)
        self.step += 1


class OneStepAhead(GoodFinder):
    def record(self, batch, loss):
        self.step += 1
        self.rates.append(self.start * self.factor**self.step)
        self.losses.append(loss)
        if not math.isfinite(loss) or loss > 4 * self.best:
            self.model.stop_training = True
        self.best = min(self.best, loss)


class CountsAcrossEpochs(GoodFinder):
    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.k = 0

    def batch_loss(self, batch, logs):
        self.k += 1
        mean = float(logs["loss"])
        loss = self.k * mean - (self.k - 1) * self.previous
        self.previous = mean
        return loss


class ComparesWithTheFirstLoss(GoodFinder):
    def record(self, batch, loss):
        self.rates.append(self.start * self.factor**self.step)
        self.losses.append(loss)
        self.step += 1
        if self.step > 1 and loss > 1.05 * self.losses[0]:
            self.model.stop_training = True


class NeverResets(GoodFinder):
    """Sets up its record once, in __init__: right for one fit, wrong for the next."""

    def __init__(self, start=1e-5, factor=1.05):
        super().__init__(start, factor)
        self.step, self.best, self.previous = 0, math.inf, 0.0

    def on_train_begin(self, logs=None):
        pass


class ResetsOnlyTheLists(GoodFinder):
    def on_train_begin(self, logs=None):
        self.rates, self.losses = [], []
        if not hasattr(self, "step"):
            self.step, self.best, self.previous = 0, math.inf, 0.0


@pytest.mark.parametrize("finder, expected", [
    (RunningMean, "Keras's running means"),
    (NeverResets, "the same callback object may be passed to several fits"),
    (ResetsOnlyTheLists, "reset the batch counter"),
    (NeverSetsTheRate, "set self.model.optimizer.learning_rate before each batch"),
    (NeverStops, "self.model.stop_training = True"),
    (OneStepAhead, "one step ahead"),
    (CountsAcrossEpochs, "wrong from the second"),
    (ComparesWithTheFirstLoss, "stopped too early"),
])
def test_learning_rate_finder_names_each_slip(finder, expected):
    assert expected in _failure(ch05.learning_rate_finder, finder)


def test_learning_rate_finder_reports_construction_and_type_problems():
    class NotACallback:
        def __init__(self, start, factor):
            pass

    class NoRecord(keras.callbacks.Callback):
        def __init__(self, start, factor):
            super().__init__()

    class BadSignature(GoodFinder):
        def __init__(self, begin, growth):
            super().__init__()

    assert "keras.callbacks.Callback" in _failure(ch05.learning_rate_finder, NotACallback)
    assert "self.rates and self.losses" in _failure(ch05.learning_rate_finder, NoRecord)
    assert "TypeError" in _failure(ch05.learning_rate_finder, BadSignature)


def test_learning_rate_finder_lets_a_stub_through():
    class Stub(keras.callbacks.Callback):
        def __init__(self, start=1e-5, factor=1.05):
            raise NotImplementedError()

    class StubMethods(GoodFinder):
        def on_train_batch_end(self, batch, logs=None):
            raise NotImplementedError()

    for finder in (Stub, StubMethods):
        with pytest.raises(NotImplementedError):
            ch05.learning_rate_finder(finder)
    with pytest.raises(NotImplementedError):
        ch05.learning_rate_finder(None)


def test_the_finder_problem_diverges_in_the_second_epoch():
    from neuronlab.callbacks import LearningRateFinder

    finder = LearningRateFinder(ch05.FINDER_START, None, factor=ch05.FINDER_FACTOR, beta=0.0, restore=False)
    ch05._sweep(finder, *ch05._finder_problem())
    assert finder.stopped_by == "divergence" and 32 < len(finder.rates) < 64  # so the epoch restart is tested
