"""Self-checks for chapter 04's exercises (a deep MLP on MNIST with Keras).

Exercise 1 builds a fresh model from the learner's function and inspects it
(input and output shapes, output activation, hidden layers, loss, learning rate,
metric); exercise 2 reads the learning-rate finder's record and judges the rate the
learner picked from it; exercise 3 calls the learner's ``make_callbacks`` with a
temporary folder and inspects the three callbacks; exercise 4 measures the test
accuracy and reloads the best checkpoint; exercise 5 compares the learner's reading
of the TensorBoard logs with the training history.  A check prints one ✔ line, or
raises :class:`CheckFailed` naming the case, what was expected, what came back and a hint.
"""

from __future__ import annotations

import math
import numbers
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from neuronlab import config
from neuronlab.check import CheckFailed, Verbatim, _require_callable, array_text, call_learner, loss_name, passed

__all__ = ["build_mlp", "learning_rate_sweep", "chosen_learning_rate", "make_callbacks", "test_accuracy",
           "checkpoint", "best_epoch", "TARGET_ACCURACY", "QUICK_TARGET_ACCURACY", "CHECKPOINT_NAME", "LOGS_NAME"]

TARGET_ACCURACY = 0.98
"""The test accuracy exercise 4 asks for on the full MNIST data."""
QUICK_TARGET_ACCURACY = 0.85
"""What the check asks for in quick mode (6000 training images, 2 epochs)."""

CHECKPOINT_NAME, LOGS_NAME = "best.keras", "logs"
"""Where exercise 3 puts the best model and the TensorBoard logs, inside the run's folder."""
_PROBE_RATE = 0.002


# ---------------------------------------------------------------------- exercise 1: the model
def _activation_name(layer) -> str:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", str(activation)) if activation is not None else "none"


def build_mlp(function: Callable) -> None:
    """Check ``function(learning_rate)`` returns a fresh, compiled MNIST classifier.

    Expected: input (None, 28, 28), output (None, 10) with softmax, at least two hidden
    Dense layers with a non-linear activation, sparse categorical cross-entropy, the
    learning rate it is given, and the accuracy metric.
    """
    import keras

    from neuronlab.keras_models import _shape_text

    _require_callable(function, "build_mlp")
    what, case = "your build_mlp", f"build_mlp({_PROBE_RATE})"
    model = call_learner(function, (_PROBE_RATE,), what=what, case=case, expected=Verbatim("a compiled keras model"),
                         hint="call build_mlp(0.002) in a cell of your own and read the error.")
    if not isinstance(model, keras.Model):
        raise CheckFailed(what, case, Verbatim("a keras.Model"), Verbatim(type(model).__name__),
                          "return the model itself (keras.Sequential([...])), not its summary or history.")
    if not model.built or not getattr(model, "inputs", None):
        raise CheckFailed(what, case, Verbatim("a model that knows its input shape"), Verbatim("an unbuilt model"),
                          "start the Sequential list with keras.Input(shape=(28, 28)).")
    input_shape = tuple(model.inputs[0].shape)
    if input_shape != (None, 28, 28):
        raise CheckFailed(what, f"{case}, the input shape", Verbatim("(None, 28, 28)"),
                          Verbatim(_shape_text(input_shape)),
                          "MNIST images are 28 × 28 arrays: keras.Input(shape=(28, 28)), then a Flatten layer.")
    output_shape = tuple(model.outputs[0].shape)
    if output_shape != (None, 10):
        hint = ("the output still has the image's rows: put a keras.layers.Flatten() right after the input."
                if len(output_shape) == 3 else "the output layer needs one unit per digit: Dense(10, ...).")
        raise CheckFailed(what, f"{case}, the output shape", Verbatim("(None, 10)"),
                          Verbatim(_shape_text(output_shape)), hint)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    output_activation = _activation_name(dense[-1]) if dense else "none"
    if output_activation != "softmax":
        raise CheckFailed(what, f"{case}, the output layer's activation", "softmax", output_activation,
                          "ten exclusive classes: the output layer turns its scores into probabilities with "
                          "activation=\"softmax\".")
    hidden = dense[:-1]
    if len(hidden) < 2:
        raise CheckFailed(what, f"{case}, the hidden layers", Verbatim("at least 2 hidden Dense layers"),
                          Verbatim(f"{len(hidden)}"), "a deep MLP: put two or more Dense layers (e.g. 300 and 100 "
                                                      "ReLU units) between the Flatten layer and the output.")
    linear = [layer.name for layer in hidden if _activation_name(layer) in ("linear", "none")]
    if linear:
        raise CheckFailed(what, f"{case}, hidden layer(s) {linear}", Verbatim("a non-linear activation such as relu"),
                          Verbatim("no activation (linear)"),
                          "without an activation, stacked Dense layers collapse into one linear layer: "
                          "pass activation=\"relu\".")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise CheckFailed(what, case, Verbatim("a compiled model"), Verbatim("a model that was never compiled"),
                          "call model.compile(loss=..., optimizer=..., metrics=[...]) before returning it.")
    loss = loss_name(model.loss)
    if loss != "sparse_categorical_crossentropy":
        hints = {
            "categorical_crossentropy": "MNIST's labels are integers 0–9, not one-hot vectors: use "
                                        "\"sparse_categorical_crossentropy\".",
            "binary_crossentropy": "binary cross-entropy is for yes/no outputs; ten exclusive classes with integer "
                                   "labels call for \"sparse_categorical_crossentropy\".",
        }
        raise CheckFailed(what, f"{case}, the loss", "sparse_categorical_crossentropy", loss,
                          hints.get(loss, "a classifier with integer labels 0–9 and a softmax output minimises "
                                          "\"sparse_categorical_crossentropy\"."))
    if getattr(model.loss, "from_logits", False):
        raise CheckFailed(what, f"{case}, the loss", Verbatim("from_logits=False (the model outputs probabilities)"),
                          Verbatim("from_logits=True"), "the softmax already turns scores into probabilities: "
                                                        "drop from_logits=True.")
    schedule = keras.optimizers.schedules.LearningRateSchedule
    if isinstance(getattr(model.optimizer, "_learning_rate", None), schedule):
        raise CheckFailed(what, f"{case}, the learning rate", _PROBE_RATE, Verbatim("a schedule"),
                          "use a constant learning rate here: the finder of exercise 2 needs to set it.")
    rate = float(model.optimizer.learning_rate.numpy())
    if not math.isclose(rate, _PROBE_RATE, rel_tol=1e-5):
        raise CheckFailed(what, f"{case}, the optimizer's learning rate", _PROBE_RATE, rate,
                          "pass the function's argument on: e.g. keras.optimizers.Adam(learning_rate=learning_rate).")
    metrics = model.get_compile_config().get("metrics") or []
    names = {str(getattr(m, "name", m) if not isinstance(m, dict) else m.get("config", {}).get("name", "")).lower()
             for m in (metrics if isinstance(metrics, (list, tuple)) else [metrics])}
    if not names & {"accuracy", "acc", "sparse_categorical_accuracy"}:
        raise CheckFailed(what, f"{case}, the metrics", ["accuracy"], sorted(names),
                          "compile with metrics=[\"accuracy\"] so that fit and evaluate report it.")
    again = call_learner(function, (_PROBE_RATE,), what=what, case=f"a second call of {case}",
                         expected=Verbatim("a new model"), hint=None)
    if again is model or any(a is b for a, b in zip(again.weights, model.weights)):
        raise CheckFailed(what, f"two calls of {case}", Verbatim("two separate models"), Verbatim("the same model"),
                          "build the model inside the function, so that each call starts from fresh weights "
                          "(the finder of exercise 2 ruins the weights of the model it runs on).")
    probabilities = np.asarray(model.predict(np.zeros((2, 28, 28), dtype="float32"), verbose=0))
    if probabilities.shape != (2, 10) or not np.allclose(probabilities.sum(axis=1), 1, atol=1e-4):
        raise CheckFailed(what, f"{case} on two blank images", Verbatim("rows of 10 probabilities summing to 1"),
                          array_text(probabilities, indent=False),
                          "the output layer must be Dense(10, activation=\"softmax\").")
    widths = " → ".join(f"{layer.units} {_activation_name(layer)}" for layer in dense)
    passed(f"your MLP is 28×28 → Flatten → {widths}, {model.count_params():,} parameters;\n"
           f"  sparse categorical cross-entropy, {type(model.optimizer).__name__} with η = {_PROBE_RATE}, "
           "accuracy.")


# ---------------------------------------------------------------------- exercise 2: the learning rate
def learning_rate_sweep(finder) -> None:
    """Check a :class:`neuronlab.callbacks.LearningRateFinder` ran: many batches, rates growing over 3+ decades."""
    from neuronlab.callbacks import LearningRateFinder

    what = "your learning-rate sweep"
    if finder is None:
        raise NotImplementedError("lr_finder is still None: create the LearningRateFinder and run fit with it")
    if not isinstance(finder, LearningRateFinder):
        raise CheckFailed(what, None, Verbatim("a neuronlab.callbacks.LearningRateFinder"),
                          Verbatim(type(finder).__name__), "pass the finder itself (the callback object).")
    rates, losses = np.asarray(finder.rates, dtype=float), np.asarray(finder.losses, dtype=float)
    if len(rates) < 30:
        raise CheckFailed(what, "the batches recorded", Verbatim("at least 30"), len(rates),
                          "run model.fit(..., epochs=1, callbacks=[lr_finder]) on the whole training set, with a "
                          "batch size such as 128, so the sweep has hundreds of steps.")
    ratios = rates[1:] / rates[:-1]
    if not np.all(ratios > 1) or not np.allclose(ratios, ratios[0], rtol=1e-6):
        raise CheckFailed(what, "the rates", Verbatim("growing by the same factor at every batch"),
                          array_text(rates[:5], indent=False),
                          "let the finder set the rate alone: no other callback or schedule.")
    if rates[-1] / rates[0] < 1e3 and finder.stopped_by != "divergence":
        raise CheckFailed(what, "the range of rates tried", Verbatim("at least 3 decades (e.g. 1e-5 to 10)"),
                          Verbatim(f"{rates[0]:.1e} to {rates[-1]:.1e}"),
                          "start low (1e-5) and end high (10): the loss curve must show both the slow start and "
                          "the blow-up.")
    if not np.isfinite(losses[:5]).all():
        raise CheckFailed(what, "the first losses", Verbatim("finite numbers"), array_text(losses[:5], indent=False),
                          "the loss was already nan at the start: scale the pixels to [0, 1] and start from 1e-5.")
    how = "until the loss blew up" if finder.stopped_by == "divergence" else "to the end of the sweep"
    passed(f"the sweep ran {len(rates)} batches, η from {rates[0]:.1e} to {rates[-1]:.2g}, {how}.")


def chosen_learning_rate(learning_rate, finder) -> None:
    """Check the learning rate picked from the sweep: a few times (2 to 30) below where the loss turns up.

    The turning point is the upper end of the curve's valley, where the smoothed loss
    leaves the band within 10 % of its lowest value (:func:`neuronlab.callbacks.finder_valley`).
    """
    from neuronlab.callbacks import finder_valley

    what = "your learning rate"
    if learning_rate is None:
        raise NotImplementedError("learning_rate is still None: pick it from the finder's curve")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise CheckFailed(what, None, Verbatim("a number"), Verbatim(type(learning_rate).__name__),
                          "a single float, like 1e-3.")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise CheckFailed(what, None, Verbatim("a number > 0"), learning_rate, "a learning rate is positive.")
    turn = finder_valley(finder.rates, finder.losses)[2]
    low, high = turn / 30, turn / 2
    case = f"the loss turning up at η = {turn:.2g}"
    if learning_rate > high:
        raise CheckFailed(what, case, Verbatim(f"between {low:.2g} and {high:.2g}"), learning_rate,
                          "that is too close to where the loss shoots up: training would be unstable. Take about "
                          "a tenth of the rate where the loss starts to climb (the right end of the valley).")
    if learning_rate < low:
        raise CheckFailed(what, case, Verbatim(f"between {low:.2g} and {high:.2g}"), learning_rate,
                          "that is safe but needlessly slow: take about a tenth of the rate where the loss "
                          "starts to climb (the right end of the valley), not of the curve's lowest point.")
    passed(f"η = {learning_rate:.2g} is {turn / learning_rate:.0f} times below where the loss turns up "
           f"(η = {turn:.2g}).")


# ---------------------------------------------------------------------- exercise 3: callbacks
def _inside(path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder.resolve())
        return True
    except (ValueError, TypeError, OSError):
        return False


def make_callbacks(function: Callable) -> None:
    """Check ``function(run_dir)`` returns a best-only ModelCheckpoint, an EarlyStopping that restores the best
    weights, and a TensorBoard callback, all writing inside ``run_dir``."""
    import keras

    _require_callable(function, "make_callbacks")
    what = "your make_callbacks"
    with tempfile.TemporaryDirectory(prefix="neuronlab-check-") as folder:
        run_dir = Path(folder) / "run"
        run_dir.mkdir()
        case = "make_callbacks(run_dir) with a fresh run_dir"
        callbacks = call_learner(function, (run_dir,), what=what, case=case,
                                 expected=Verbatim("a list of three callbacks"),
                                 expected_if_none=Verbatim("a list of callbacks"),
                                 hint="call it in a cell of your own and read the error.")
        if not isinstance(callbacks, (list, tuple)):
            raise CheckFailed(what, case, Verbatim("a list of callbacks"), Verbatim(type(callbacks).__name__),
                              "return [checkpoint, early_stopping, tensorboard].")
        kinds = {"ModelCheckpoint": keras.callbacks.ModelCheckpoint, "EarlyStopping": keras.callbacks.EarlyStopping,
                 "TensorBoard": keras.callbacks.TensorBoard}
        found = {}
        for name, kind in kinds.items():
            matching = [c for c in callbacks if isinstance(c, kind)]
            if len(matching) != 1:
                raise CheckFailed(what, case, Verbatim(f"one {name}"), Verbatim(f"{len(matching)}"),
                                  f"the list needs exactly one keras.callbacks.{name}.")
            found[name] = matching[0]
        checkpoint, stopping, board = found["ModelCheckpoint"], found["EarlyStopping"], found["TensorBoard"]
        if checkpoint.save_weights_only:
            raise CheckFailed(what, "the checkpoint", Verbatim("the whole model"), Verbatim("weights only"),
                              "drop save_weights_only=True: the .keras file should hold the whole model.")
        if Path(checkpoint.filepath) != run_dir / CHECKPOINT_NAME:
            saved = Path(checkpoint.filepath)
            hint = ("name the file run_dir / \"best.keras\": exercise 4 reloads it from there."
                    if _inside(saved, run_dir) else
                    "build the path from the argument: run_dir / \"best.keras\" (never a folder of the repository).")
            raise CheckFailed(what, "the checkpoint's file", Verbatim("run_dir / \"best.keras\""), Verbatim(str(saved)),
                              hint)
        if not checkpoint.save_best_only:
            raise CheckFailed(what, "the checkpoint", Verbatim("save_best_only=True"), Verbatim("save_best_only=False"),
                              "keep only the best model seen so far, not the last one.")
        for name, callback in (("ModelCheckpoint", checkpoint), ("EarlyStopping", stopping)):
            if not str(callback.monitor).startswith("val_"):
                raise CheckFailed(what, f"the {name}'s monitor", Verbatim("a validation metric, e.g. \"val_accuracy\""),
                                  callback.monitor,
                                  "judge the model on the validation set, which it does not train on.")
        if checkpoint.monitor != stopping.monitor:
            raise CheckFailed(what, "the two monitors", Verbatim("the same quantity"),
                              Verbatim(f"{checkpoint.monitor!r} and {stopping.monitor!r}"),
                              "monitor the same metric in both, so that the restored weights and the checkpoint "
                              "are the same model.")
        if not stopping.restore_best_weights:
            raise CheckFailed(what, "the early stopping", Verbatim("restore_best_weights=True"),
                              Verbatim("restore_best_weights=False"),
                              "without it the model keeps the weights of the last epoch, past its best.")
        if not 2 <= stopping.patience <= 30:
            raise CheckFailed(what, "the early stopping's patience", Verbatim("between 2 and 30 epochs"),
                              stopping.patience, "patience=0 stops at the first wobble; a few epochs (5 or 10) let "
                                                 "noise pass.")
        if Path(board.log_dir) != run_dir / LOGS_NAME:
            raise CheckFailed(what, "the TensorBoard log_dir", Verbatim("run_dir / \"logs\""),
                              Verbatim(str(board.log_dir)), "log into run_dir / \"logs\": exercise 5 reads it there.")
    passed(f"checkpoint {Path(checkpoint.filepath).name} (best only, {checkpoint.monitor}),\n"
           f"  early stopping (patience {stopping.patience}, restores the best weights),\n"
           "  TensorBoard logs, all inside run_dir.")


# ---------------------------------------------------------------------- exercise 4: the result
def _target() -> tuple[float, str]:
    if config.quick_mode():
        return QUICK_TARGET_ACCURACY, " (quick mode: a small subset and 2 epochs, so a lower bar)"
    return TARGET_ACCURACY, ""


def test_accuracy(model, X_test, y_test) -> None:
    """Check the model's accuracy on the test set reaches :data:`TARGET_ACCURACY` (98 %)."""
    import keras

    what = "your model's test accuracy"
    if model is None:
        raise NotImplementedError("model is still None: train it first")
    if not isinstance(model, keras.Model):
        raise CheckFailed(what, None, Verbatim("a trained keras.Model"), Verbatim(type(model).__name__),
                          "pass the model, not its History.")
    X_test, y_test = np.asarray(X_test), np.asarray(y_test)
    if X_test.ndim != 3 or y_test.shape != (len(X_test),):
        raise CheckFailed(what, "the test set", Verbatim("images (n, 28, 28) and labels (n,)"),
                          Verbatim(f"{X_test.shape} and {y_test.shape}"), "pass X_test and y_test as loaded.")
    if X_test.max() > 1.0:
        raise CheckFailed(what, "the test images", Verbatim("pixels scaled to [0, 1]"),
                          Verbatim(f"values up to {X_test.max():g}"),
                          "scale the test images exactly as the training images: X_test / 255.")
    predicted = np.asarray(model.predict(X_test, verbose=0)).argmax(axis=1)
    accuracy = float(np.mean(predicted == y_test))
    target, note = _target()
    if accuracy < target:
        raise CheckFailed(what, f"{len(y_test)} test images{note}", Verbatim(f"at least {target:.1%}"),
                          Verbatim(f"{accuracy:.2%}"),
                          "check the learning rate (exercise 2), train for more epochs (early stopping will stop "
                          "in time), and make sure the model you evaluate is the trained one.")
    passed(f"test accuracy {accuracy:.2%} (target {target:.0%}{note}).")


def checkpoint(path, model, X) -> None:
    """Check the ``.keras`` file at ``path`` reloads into a model that predicts exactly as ``model`` on ``X``."""
    from neuronlab.keras_models import load_model

    what = "your best checkpoint"
    if path is None or model is None:
        raise NotImplementedError("the checkpoint path or the model is still None")
    try:
        loaded = load_model(path)
    except (FileNotFoundError, ValueError) as error:
        raise CheckFailed(what, "loading it", Verbatim("a .keras file written by ModelCheckpoint"),
                          Verbatim(str(error)), "pass the checkpoint's filepath, and train with the callbacks "
                                                "of exercise 3.") from None
    X = np.asarray(X)[:256]
    mine, theirs = np.asarray(model.predict(X, verbose=0)), np.asarray(loaded.predict(X, verbose=0))
    if mine.shape != theirs.shape or not np.allclose(mine, theirs, rtol=0, atol=1e-6):
        gap = float(np.max(np.abs(mine - theirs))) if mine.shape == theirs.shape else math.inf
        raise CheckFailed(what, f"predictions on {len(X)} test images", Verbatim("identical to the model's"),
                          Verbatim(f"differences up to {gap:.3g}"),
                          "the model in memory is not the best checkpoint: give EarlyStopping "
                          "restore_best_weights=True, and monitor the same quantity in both callbacks.")
    passed(f"{Path(path).name} reloads into a model that predicts exactly as yours does\n"
           f"  on {len(X)} test images.")


# ---------------------------------------------------------------------- exercise 5: the logs
def best_epoch(function: Callable, logdir, history) -> None:
    """Check ``function(logdir)`` returns (epoch counted from 1, value) of the best validation accuracy in the logs."""
    _require_callable(function, "best_epoch")
    what = "your best_epoch"
    if history is None:
        raise NotImplementedError("history is still None: train the model in exercise 4 first")
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "val_accuracy" not in logs:
        raise CheckFailed(what, "the history", Verbatim("the History of the training run, with val_accuracy"),
                          Verbatim(type(history).__name__), "pass what model.fit returned.")
    values = np.asarray(logs["val_accuracy"], dtype=float)
    expected = (int(np.argmax(values)) + 1, float(values.max()))
    case = f"best_epoch({os.fspath(logdir)!r})"
    got = call_learner(function, (logdir,), what=what, case=case,
                       expected=Verbatim(f"{expected[0]}, {expected[1]:.4f}"), expected_if_none=expected,
                       hint="read the logs with neuronlab.tensorboard.scalars(logdir) and look at the rows of run "
                            "\"validation\" and tag \"epoch_accuracy\".")
    try:
        epoch, value = got
        epoch, value = int(epoch), float(value)
    except (TypeError, ValueError):
        raise CheckFailed(what, case, Verbatim("a pair (epoch, accuracy)"), Verbatim(repr(got)[:80]),
                          "return two numbers: return epoch, accuracy.") from None
    if epoch == expected[0] - 1 and math.isclose(value, expected[1], abs_tol=1e-6):
        raise CheckFailed(what, case, expected, (epoch, value),
                          "TensorBoard counts steps from 0, Keras prints epochs from 1: add 1 to the step.")
    train = np.asarray(logs.get("accuracy", []), dtype=float)
    from_training = train.size and (epoch, value) != expected and epoch == int(np.argmax(train)) + 1 and \
        math.isclose(value, float(train.max()), abs_tol=1e-6)
    if from_training or not math.isclose(value, expected[1], abs_tol=1e-6):
        hint = ("that is the training accuracy: read the run \"validation\", not \"train\"."
                if from_training or np.any(np.isclose(train, value, atol=1e-6)) else
                "take the largest value of tag \"epoch_accuracy\" in the run \"validation\".")
        raise CheckFailed(what, case, expected, (epoch, value), hint)
    if epoch != expected[0]:
        raise CheckFailed(what, case, expected, (epoch, value), "the epoch is the step of the best row, plus 1.")
    passed(f"the logs' best validation accuracy is {value:.4f}, at epoch {epoch}, as the History says.")
