"""Self-checks for chapter 05's exercises (tuning an MLP with Keras Tuner; a learning-rate finder callback).

Exercise 1 checks the learner's ``build_model(hp)`` (its search space, through
:func:`neuronlab.tuning.search_space`, and the model it builds), the finished search
(where its trials live, what it optimises, that every trial has a score) and the
retrained model's test accuracy.  Exercise 2 runs the learner's callback class beside
:class:`neuronlab.callbacks.LearningRateFinder` on the same small problem and compares
the two records batch by batch.  A check prints one ✔ line, or raises
:class:`~neuronlab.check.CheckFailed` naming the case, what was expected, what came
back and a hint.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from neuronlab import config
from neuronlab.check import CheckFailed, Verbatim, _require_callable, call_learner, crashed, loss_name, passed

__all__ = ["search_space", "tuner_run", "test_accuracy", "learning_rate_finder", "TARGET_ACCURACY",
           "QUICK_TARGET_ACCURACY", "MIN_TRIALS", "SEARCH_TARGET", "FINDER_START", "FINDER_FACTOR"]

TARGET_ACCURACY = 0.86
"""The test accuracy exercise 1 asks of the retrained model on the full Fashion-MNIST data."""
QUICK_TARGET_ACCURACY = 0.50
"""What the check asks in quick mode (5,500 training images, three epochs, two short trials to choose from)."""
MIN_TRIALS = (4, 2)
"""Trials the search must have run: (full run, quick mode)."""
SEARCH_TARGET = (0.65, 0.20)
"""The best trial's validation accuracy must reach this: (full run, quick mode); chance is 0.10."""
FINDER_START, FINDER_FACTOR = 1e-3, 1.2
"""The sweep exercise 2's check asks the learner's finder for: η = 1e-3 · 1.2**i at batch i."""


# ---------------------------------------------------------------------- exercise 1: the search space
def search_space(build_model: Callable) -> None:
    """Check ``build_model(hp)``: a valid search space with an ``Int``, a log-sampled ``Float`` and a ``Choice``,
    and, for the default values, a compiled Fashion-MNIST classifier (28 × 28 in, 10 softmax outputs, sparse
    categorical cross-entropy)."""
    import keras
    import keras_tuner as kt

    from neuronlab import tuning
    from neuronlab.keras_models import _shape_text

    _require_callable(build_model, "build_model")
    what, case = "your build_model", "build_model(hp) with fresh hyperparameters"
    try:
        space = tuning.search_space(build_model)
    except NotImplementedError:
        raise
    except tuning.SearchSpaceError as error:
        raise CheckFailed(what, "its search space", Verbatim("a valid search space"), Verbatim(str(error)),
                          "fix the hyperparameter the message names: a Choice needs a non-empty list, a range "
                          "needs min_value <= max_value.") from None
    except Exception as error:
        raise crashed(what, case, Verbatim("a compiled keras model"), error,
                       "call build_model(keras_tuner.HyperParameters()) in a cell of your own and read the error.") \
            from error
    kinds = space["kind"].tolist()
    for kind, example in (("Int", 'hp.Int("n_hidden", 1, 3)'), ("Choice", 'hp.Choice("optimizer", ["sgd", "adam"])')):
        if kind not in kinds:
            raise CheckFailed(what, "the kinds of hyperparameters it declares", Verbatim(f"at least one {kind}"),
                              Verbatim(", ".join(f"{n} ({k})" for n, k in space["kind"].items()) or "none"),
                              f"declare one, for example {example}.")
    floats = space[space["kind"] == "Float"]
    if floats.empty or not (floats["sampling"] == "log").any():
        raise CheckFailed(what, "its Float hyperparameters", Verbatim("a Float with sampling=\"log\""),
                          Verbatim(", ".join(f"{n} ({s or 'linear'})" for n, s in floats["sampling"].items())
                                   or "no Float"),
                          "sample the learning rate on a log scale: hp.Float(\"learning_rate\", 1e-4, 1e-2, "
                          "sampling=\"log\").")
    model = call_learner(build_model, (kt.HyperParameters(),), what=what, case=case,
                         expected=Verbatim("a compiled keras model"),
                         hint="call build_model(keras_tuner.HyperParameters()) in a cell of your own and read the "
                              "error.")
    if not isinstance(model, keras.Model):
        raise CheckFailed(what, case, Verbatim("a keras.Model"), Verbatim(type(model).__name__),
                          "return the model itself.")
    if not getattr(model, "inputs", None):
        raise CheckFailed(what, case, Verbatim("a model that knows its input shape"), Verbatim("an unbuilt model"),
                          "start the Sequential list with keras.Input(shape=(28, 28)).")
    if tuple(model.inputs[0].shape) != (None, 28, 28):
        raise CheckFailed(what, f"{case}, the input shape", Verbatim("(None, 28, 28)"),
                          Verbatim(_shape_text(model.inputs[0].shape)),
                          "Fashion-MNIST images are 28 × 28: keras.Input(shape=(28, 28)), then Flatten().")
    if tuple(model.outputs[0].shape) != (None, 10):
        raise CheckFailed(what, f"{case}, the output shape", Verbatim("(None, 10)"),
                          Verbatim(_shape_text(model.outputs[0].shape)), "one output unit per class: Dense(10, ...).")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    activation = getattr(getattr(dense[-1], "activation", None), "__name__", "none") if dense else "none"
    if activation != "softmax":
        raise CheckFailed(what, f"{case}, the output activation", "softmax", activation,
                          "ten exclusive classes: activation=\"softmax\" on the output layer.")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise CheckFailed(what, case, Verbatim("a compiled model"), Verbatim("a model that was never compiled"),
                          "compile it inside build_model: the tuner trains what build_model returns.")
    loss = loss_name(model.loss)
    if loss != "sparse_categorical_crossentropy":
        raise CheckFailed(what, f"{case}, the loss", "sparse_categorical_crossentropy", loss,
                          "integer labels 0–9 and a softmax output: loss=\"sparse_categorical_crossentropy\".")
    names = ", ".join(f"{name} ({kind})" for name, kind in space["kind"].items())
    passed(f"your search space has {len(space)} hyperparameters:\n  {names};\n"
           f"  the default model has {model.count_params():,} parameters and is compiled.")


# ---------------------------------------------------------------------- exercise 1: the search
def _quick_or_full(pair):
    return pair[1] if config.quick_mode() else pair[0]


def tuner_run(tuner) -> None:
    """Check a finished search: trials stored outside the repository, the objective ``val_accuracy`` (maximised),
    at least :data:`MIN_TRIALS` trials, every one with a score, and a best score above :data:`SEARCH_TARGET`."""
    from neuronlab import tuning

    what = "your search"
    if tuner is None:
        raise NotImplementedError("tuner is still None: create the tuner and run its search")
    oracle = getattr(tuner, "oracle", None)
    if oracle is None or not isinstance(getattr(oracle, "trials", None), dict):
        raise CheckFailed(what, None, Verbatim("a Keras Tuner tuner (kt.RandomSearch, …)"),
                          Verbatim(type(tuner).__name__),
                          "pass the tuner itself, not its best model or hyperparameters.")
    folder = Path(tuner.project_dir).resolve()
    try:
        folder.relative_to(config.REPOSITORY)
        inside = True
    except ValueError:
        inside = False
    if inside:
        raise CheckFailed(what, "where its trials are saved", Verbatim("a folder outside the repository"),
                          Verbatim(str(folder)), "pass **tuning.fresh_project(\"ex05\") to the tuner: a fresh folder "
                                                 "in the temporary directory, with overwrite=True.")
    objective = oracle.objective
    if getattr(objective, "name", None) != "val_accuracy" or getattr(objective, "direction", "max") != "max":
        raise CheckFailed(what, "its objective", Verbatim("val_accuracy, maximised"),
                          Verbatim(f"{getattr(objective, 'name', objective)}, {getattr(objective, 'direction', '?')}"),
                          "judge trials on data they do not train on: objective=\"val_accuracy\", and pass "
                          "validation_data to search().")
    minimum = _quick_or_full(MIN_TRIALS)
    if len(oracle.trials) < minimum:
        raise CheckFailed(what, "the number of trials", Verbatim(f"at least {minimum}"), len(oracle.trials),
                          "give the tuner max_trials=tuning.max_trials(5) and run search(...) once.")
    try:
        tuning.check_scores(tuner)
    except tuning.TrialsFailedError as error:
        raise CheckFailed(what, "the trials' scores", Verbatim("a score for every trial"), Verbatim(str(error)),
                          "a trial without a score crashed: read the error above.") from None
    frame = tuning.trials_frame(tuner, check=False)
    best, target = float(frame["score"].iloc[0]), _quick_or_full(SEARCH_TARGET)
    if best < target:
        raise CheckFailed(what, "the best trial's validation accuracy", Verbatim(f"at least {target:.0%}"),
                          Verbatim(f"{best:.2%}"), "scale the pixels to [0, 1], let the learning rate range cover "
                                                   "1e-4 to 1e-2, and train each trial for a few epochs.")
    passed(f"{len(frame)} trials, all scored, saved outside the repository;\n"
           f"  the best reached {best:.2%} validation accuracy.")


def test_accuracy(model, X_test, y_test) -> None:
    """Check the retrained model's accuracy on the test set reaches :data:`TARGET_ACCURACY`."""
    import keras

    what = "your tuned model's test accuracy"
    if model is None:
        raise NotImplementedError("final_model is still None: retrain the best model first")
    if not isinstance(model, keras.Model):
        raise CheckFailed(what, None, Verbatim("a trained keras.Model"), Verbatim(type(model).__name__),
                          "pass the model, not its History or its hyperparameters.")
    X_test, y_test = np.asarray(X_test), np.asarray(y_test)
    if X_test.ndim != 3 or y_test.shape != (len(X_test),):
        raise CheckFailed(what, "the test set", Verbatim("images (n, 28, 28) and labels (n,)"),
                          Verbatim(f"{X_test.shape} and {y_test.shape}"),
                          "pass X_test and y_test as loaded and scaled.")
    if X_test.max() > 1.0:
        raise CheckFailed(what, "the test images", Verbatim("pixels scaled to [0, 1]"),
                          Verbatim(f"values up to {X_test.max():g}"),
                          "scale the test images exactly as the training images.")
    accuracy = float(np.mean(np.asarray(model.predict(X_test, verbose=0)).argmax(axis=1) == y_test))
    target = _quick_or_full((TARGET_ACCURACY, QUICK_TARGET_ACCURACY))
    note = _quick_or_full(("", ", lowered for quick mode's small subset"))
    if accuracy < target:
        raise CheckFailed(what, f"{len(y_test)} test images{note}", Verbatim(f"at least {target:.0%}"),
                          Verbatim(f"{accuracy:.2%}"),
                          "retrain the best hyperparameters on all the training images (not the search's subset), "
                          "for several epochs with early stopping on the validation set.")
    passed(f"test accuracy {accuracy:.2%} (target {target:.0%}{note}).")


# ---------------------------------------------------------------------- exercise 2: the finder
def _finder_problem():
    """A small, fixed classification problem: 1,024 points in 20 dimensions, 3 classes."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1024, 20)).astype("float32")
    y = np.argmax(X @ rng.normal(size=(20, 3)), axis=1).astype("int64")
    return X, y


def _sweep(callback, X, y):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=FINDER_START))
    model.fit(X, y, epochs=2, batch_size=32, shuffle=False, verbose=0, callbacks=[callback])


def _running_means(losses, per_epoch: int) -> np.ndarray:
    """What Keras logs after each batch: the mean of the epoch's batch losses so far."""
    out = np.empty(len(losses))
    for start in range(0, len(losses), per_epoch):
        chunk = np.asarray(losses[start:start + per_epoch], dtype=float)
        out[start:start + len(chunk)] = np.cumsum(chunk) / np.arange(1, len(chunk) + 1)
    return out


def _floats(values):
    try:
        return np.asarray([float(v) for v in values], dtype=float)
    except (TypeError, ValueError):
        return None


def learning_rate_finder(finder_class) -> None:
    """Run ``finder_class(start=1e-3, factor=1.2)`` and :class:`neuronlab.callbacks.LearningRateFinder` on the same
    problem (two epochs of 32 batches, plain SGD) and compare their ``rates`` and ``losses`` batch by batch; then
    run the learner's callback a second time, which must record the same sweep afresh.

    Expected behaviour: before batch ``i`` the optimizer's rate is ``start · factor**i``; after it, that rate and
    the batch's own loss (not Keras's running mean) are appended to ``rates`` and ``losses``; training stops
    (``self.model.stop_training = True``) once a loss is not finite or exceeds 4 × the lowest loss so far.
    """
    import keras

    from neuronlab.callbacks import LearningRateFinder

    what = "your learning-rate finder"
    if finder_class is None:
        raise NotImplementedError("the finder class is still None: write it first")
    _require_callable(finder_class, "finder_class")
    X, y = _finder_problem()
    # beta=0: the reference tests the raw batch losses for divergence, as the exercise asks (its default smooths them)
    reference = LearningRateFinder(FINDER_START, None, factor=FINDER_FACTOR, divergence=4.0, beta=0.0, restore=False)
    _sweep(reference, X, y)
    expected_rates, expected_losses = np.asarray(reference.rates), np.asarray(reference.losses)
    case = f"{getattr(finder_class, '__name__', 'finder_class')}(start={FINDER_START:g}, factor={FINDER_FACTOR:g})"
    try:
        finder = finder_class(start=FINDER_START, factor=FINDER_FACTOR)
    except NotImplementedError:
        raise
    except Exception as error:
        raise crashed(what, case, Verbatim("a callback"), error,
                       "the constructor takes start and factor (keyword arguments) and calls super().__init__().") \
            from error
    if not isinstance(finder, keras.callbacks.Callback):
        raise CheckFailed(what, case, Verbatim("a keras.callbacks.Callback"), Verbatim(type(finder).__name__),
                          "subclass keras.callbacks.Callback: class ExponentialLearningRate(keras.callbacks.Callback).")
    fit_case = f"{case} during two epochs of 32 batches"
    try:
        _sweep(finder, X, y)
    except NotImplementedError:
        raise
    except Exception as error:
        raise crashed(what, fit_case, Verbatim("a run that records rates and losses"), error,
                       "read the error: a method's signature is (self, batch, logs=None), and the loss is "
                       "logs[\"loss\"].") from error
    rates, losses = _floats(getattr(finder, "rates", None) or []), _floats(getattr(finder, "losses", None) or [])
    if rates is None or losses is None or not hasattr(finder, "rates") or not hasattr(finder, "losses"):
        raise CheckFailed(what, fit_case, Verbatim("lists self.rates and self.losses of numbers"),
                          Verbatim(f"rates={getattr(finder, 'rates', 'missing')!r:.60}, "
                                   f"losses={getattr(finder, 'losses', 'missing')!r:.60}"),
                          "create both lists in __init__ (or on_train_begin) and append float(...) values.")
    if len(rates) == 0:
        raise CheckFailed(what, fit_case, Verbatim(f"{len(expected_rates)} recorded batches"), Verbatim("none"),
                          "append the rate and the loss in on_train_batch_end(self, batch, logs=None).")
    if len(rates) != len(losses):
        raise CheckFailed(what, fit_case, Verbatim("as many losses as rates"),
                          Verbatim(f"{len(rates)} rates, {len(losses)} losses"),
                          "append one rate and one loss after every batch.")
    n = min(len(rates), len(expected_rates))
    if not np.allclose(rates[:n], expected_rates[:n], rtol=1e-6):
        first = int(np.argmax(~np.isclose(rates[:n], expected_rates[:n], rtol=1e-6)))
        if np.allclose(rates[:n], expected_rates[:n] * FINDER_FACTOR, rtol=1e-6):
            hint = ("each rate is one step ahead: record the rate the batch was trained with, then multiply "
                    "(or set the rate in on_train_batch_begin, before the batch).")
        elif n > 1 and np.allclose(rates[1:n], expected_rates[:n - 1], rtol=1e-6):
            hint = "each rate is one step behind: the first batch must use start itself, the next start·factor, …"
        else:
            hint = "batch i (counting every batch of the run from 0, across epochs) uses start · factor**i."
        raise CheckFailed(what, f"{fit_case}, the rate of batch {first}", float(expected_rates[first]),
                          float(rates[first]), hint)
    if not np.allclose(losses[:n], expected_losses[:n], rtol=1e-4, atol=1e-6):
        first = int(np.argmax(~np.isclose(losses[:n], expected_losses[:n], rtol=1e-4, atol=1e-6)))
        running = _running_means(expected_losses, 32)
        if np.allclose(losses[:n], running[:n], rtol=1e-4, atol=1e-6):
            hint = ("these are Keras's running means over the epoch, not each batch's loss: after batch k (from 0) "
                    "of an epoch the batch's own loss is (k + 1)·mean_k − k·mean_(k−1).")
        elif first >= 32 and np.allclose(losses[:32], expected_losses[:32], rtol=1e-4, atol=1e-6):
            hint = ("right during the first epoch, wrong from the second: Keras restarts its running mean at every "
                    "epoch, so restart your count too (the batch argument does).")
        elif first > 0:
            hint = ("the first batches agree, later ones do not: set self.model.optimizer.learning_rate before each "
                    "batch (in on_train_batch_begin), so that the model really trains at the rate you record.")
        else:
            hint = "record float(logs[\"loss\"]) turned into the batch's own loss, after each batch."
        raise CheckFailed(what, f"{fit_case}, the loss of batch {first}", round(float(expected_losses[first]), 6),
                          round(float(losses[first]), 6), hint)
    if len(rates) > len(expected_rates):
        raise CheckFailed(what, f"{fit_case}, when it stopped", Verbatim(f"after batch {len(expected_rates) - 1}, "
                                                                          "when the loss blew up"),
                          Verbatim(f"after batch {len(rates) - 1}"),
                          "stop once a loss is not finite (math.isfinite) or exceeds 4 × the lowest loss so far: "
                          "self.model.stop_training = True.")
    if len(rates) < len(expected_rates):
        raise CheckFailed(what, f"{fit_case}, when it stopped", Verbatim(f"after batch {len(expected_rates) - 1}"),
                          Verbatim(f"after batch {len(rates) - 1}"),
                          "it stopped too early: compare each loss with 4 × the lowest loss seen so far, not with "
                          "the previous loss or the first one.")
    # A callback lives on between fits: a second run must start a fresh record.
    second_case = f"{case}, used for a second fit"
    try:
        _sweep(finder, X, y)
    except NotImplementedError:
        raise
    except Exception as error:
        raise crashed(what, second_case, Verbatim("a second run like the first"), error,
                       "on_train_begin must set up everything a run needs (lists, counters, the best loss).") \
            from error
    again_rates = _floats(getattr(finder, "rates", None) or [])
    again_losses = _floats(getattr(finder, "losses", None) or [])
    same = (again_rates is not None and again_losses is not None and len(again_rates) == len(expected_rates)
            and np.allclose(again_rates, expected_rates, rtol=1e-6)
            and np.allclose(again_losses, expected_losses, rtol=1e-4, atol=1e-6))
    if not same:
        got = "nothing" if again_rates is None else (
            f"{len(again_rates)} batches, the first at η = {again_rates[0]:.3g}" if len(again_rates) else "none")
        raise CheckFailed(what, second_case,
                          Verbatim(f"a fresh record: {len(expected_rates)} batches from η = {FINDER_START:g}"),
                          Verbatim(got),
                          "in on_train_begin, empty self.rates and self.losses and reset the batch counter and "
                          "the lowest loss: the same callback object may be passed to several fits.")
    passed(f"your finder swept η from {rates[0]:g} to {rates[-1]:.3g} over {len(rates)} batches, stopped "
           "when the loss\n  blew up and started afresh in a second fit, as LearningRateFinder does.")
