"""Self-checks for chapter 07's exercise: a 20-hidden-layer network on CIFAR-10, step by step.

The checks read the learner's Keras models layer by layer (Dense layers and their
activations, initialisers, batch normalisation, alpha dropout), run the learner's
training function on a tiny problem whose validation labels are noise (so that
early stopping must stop it, and restoring the best weights shows), compare MC-dropout
predictions with a reference average (and a single pass), compare the learner's 1cycle schedule
with the formula, and train a tiny model with the learner's 1cycle callback to read its rates back.
Each check prints one ✔ line, or raises :class:`CheckFailed` saying which case
failed, what was expected, what came back, and a hint.

Keras is imported inside the checks (after ``neuronlab.setup()``, as always).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from neuronlab.check import CheckFailed, Verbatim, _require_callable, call_learner, loss_name, passed

__all__ = ["build_dnn", "build_dnn_batch_norm", "build_dnn_selu", "build_dnn_alpha_dropout", "standardise",
           "fit_model", "mc_predict_proba", "one_cycle_rate", "one_cycle_callback", "results_table", "RESULT_ROWS", "RESULT_COLUMNS"]

N_HIDDEN, N_UNITS, N_CLASSES, INPUT_SHAPE = 20, 100, 10, (32, 32, 3)
RESULT_ROWS = ("Swish + He", "batch norm", "SELU", "SELU + alpha dropout", "MC dropout", "1cycle")
RESULT_COLUMNS = ("epochs", "seconds", "validation accuracy", "test accuracy")


# ---------------------------------------------------------------------- reading a model
def _activation_name(function) -> str:
    name = getattr(function, "__name__", type(function).__name__).lower()
    return {"silu": "swish", "swish": "swish"}.get(name, name)


def _initializer_name(initializer) -> str:
    """"he_normal", "lecun_normal", "glorot_uniform" … from a Keras initializer (any equivalent spelling)."""
    import keras

    if isinstance(initializer, keras.initializers.VarianceScaling):
        family = {(2.0, "fan_in"): "he", (1.0, "fan_in"): "lecun", (1.0, "fan_avg"): "glorot"}.get(
            (float(initializer.scale), initializer.mode))
        kind = "uniform" if initializer.distribution == "uniform" else "normal"
        if family:
            return f"{family}_{kind}"
    return type(initializer).__name__


def _layers(model) -> list[dict]:
    """One entry per Dense layer: units, activation (its own or the Activation layer after it), initializer,
    and whether a BatchNormalization layer sits next to it (before its activation or after it)."""
    import keras

    layers = list(model.layers)
    dense = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, keras.layers.Dense):
            continue
        activation = _activation_name(layer.activation)
        batch_norm = False
        for follower in layers[i + 1:]:
            if isinstance(follower, keras.layers.Dense):
                break
            if isinstance(follower, keras.layers.BatchNormalization):
                batch_norm = True
            elif isinstance(follower, keras.layers.Activation) and activation == "linear":
                activation = _activation_name(follower.activation)
        dense.append({"units": layer.units, "activation": activation,
                      "initializer": _initializer_name(layer.kernel_initializer), "batch_norm": batch_norm})
    return dense


def _model(function, what: str, case: str, **kwargs):
    import keras

    model = call_learner(function, (), kwargs, what=what, case=case, expected=Verbatim("a Keras model"),
                         hint="build it layer by layer; call your function in a cell of your own to see the error.")
    if not isinstance(model, keras.Model):
        raise CheckFailed(what, case, Verbatim("a keras.Model (e.g. keras.Sequential)"),
                          Verbatim(type(model).__name__), "return the model you built.")
    try:
        shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        shape = None
    if shape != (None, *INPUT_SHAPE):
        raise CheckFailed(what, case, Verbatim(f"input shape (None, {', '.join(map(str, INPUT_SHAPE))})"),
                          Verbatim(f"input shape {shape}" if shape else "a model with no input shape"),
                          "start the model with keras.Input(shape=(32, 32, 3)), then a Flatten layer.")
    return model


def _check_stack(model, what: str, case: str, activation: str, initializer: str, batch_norm: bool) -> None:
    dense = _layers(model)
    hidden, output = dense[:-1], dense[-1:]
    if len(hidden) != N_HIDDEN:
        raise CheckFailed(what, case, f"{N_HIDDEN} hidden Dense layers", f"{len(hidden)} hidden Dense layers",
                          "a loop such as `for _ in range(20):` adding one Dense layer each time keeps count.")
    if not output or output[0]["units"] != N_CLASSES or output[0]["activation"] != "softmax":
        got = f"{output[0]['units']} units, {output[0]['activation']}" if output else "none"
        raise CheckFailed(what, case, Verbatim("an output Dense layer of 10 units with softmax"), Verbatim(got),
                          "CIFAR-10 has 10 exclusive classes: Dense(10, activation='softmax') last.")
    for index, layer in enumerate(hidden, start=1):
        where = f"{case}, hidden layer {index}"
        if layer["units"] != N_UNITS:
            raise CheckFailed(what, where, f"{N_UNITS} units", f"{layer['units']} units",
                              "every hidden layer has 100 units.")
        if layer["activation"] != activation:
            hint = (f"pass activation={activation!r} to each hidden Dense layer (or put an Activation layer after "
                    "it); use the function's argument rather than a fixed name.")
            raise CheckFailed(what, where, activation, layer["activation"], hint)
        if layer["initializer"] != initializer:
            raise CheckFailed(what, where, initializer, layer["initializer"],
                              f"pass kernel_initializer={initializer!r}, taken from the function's argument.")
        if layer["batch_norm"] != batch_norm:
            hint = ("add a BatchNormalization layer after each hidden Dense layer (before or after its activation)."
                    if batch_norm else "no batch normalisation unless batch_norm=True.")
            raise CheckFailed(what, where, "batch normalisation" if batch_norm else "no batch normalisation",
                              "batch normalisation" if layer["batch_norm"] else "none", hint)


def _count(model, layer_type) -> int:
    return sum(isinstance(layer, layer_type) for layer in model.layers)


def build_dnn(function: Callable) -> None:
    """Check ``function()`` builds 32×32×3 → Flatten → 20 × Dense(100, swish, He normal) → Dense(10, softmax)."""
    import keras

    _require_callable(function, "build_dnn")
    what = "your build_dnn"
    model = _model(function, what, "build_dnn()")
    _check_stack(model, what, "build_dnn()", "swish", "he_normal", batch_norm=False)
    extra = [type(layer).__name__ for layer in model.layers
             if isinstance(layer, (keras.layers.Dropout, keras.layers.AlphaDropout))]
    if extra:
        raise CheckFailed(what, "build_dnn()", Verbatim("no dropout by default"), Verbatim(", ".join(extra)),
                          "add alpha dropout only when alpha_dropout > 0.")
    passed(f"build_dnn(): 20 hidden layers of 100 Swish units, He init "
           f"({model.count_params():,} parameters).")


def build_dnn_batch_norm(function: Callable) -> None:
    """Check ``function(batch_norm=True)``: the same stack with batch normalisation next to each hidden layer."""
    import keras

    _require_callable(function, "build_dnn")
    what = "your build_dnn with batch normalisation"
    model = _model(function, what, "build_dnn(batch_norm=True)", batch_norm=True)
    _check_stack(model, what, "build_dnn(batch_norm=True)", "swish", "he_normal", batch_norm=True)
    count = _count(model, keras.layers.BatchNormalization)
    if count > N_HIDDEN + 1:
        raise CheckFailed(what, "build_dnn(batch_norm=True)", Verbatim("20 (or 21) BatchNormalization layers"),
                          f"{count} BatchNormalization layers", "one per hidden layer (plus, optionally, one on "
                          "the inputs) is enough.")
    passed(f"build_dnn(batch_norm=True) normalises every hidden layer ({count} BN layers).")


def build_dnn_selu(function: Callable) -> None:
    """Check ``function(activation="selu", kernel_initializer="lecun_normal")``: SELU and LeCun normal throughout."""
    _require_callable(function, "build_dnn")
    what = "your build_dnn with SELU"
    case = "build_dnn(activation='selu', kernel_initializer='lecun_normal')"
    model = _model(function, what, case, activation="selu", kernel_initializer="lecun_normal")
    _check_stack(model, what, case, "selu", "lecun_normal", batch_norm=False)
    passed("build_dnn('selu', 'lecun_normal') is a self-normalising stack.")


def build_dnn_alpha_dropout(function: Callable, rate: float = 0.1) -> None:
    """Check ``function(activation="selu", kernel_initializer="lecun_normal", alpha_dropout=rate)`` adds AlphaDropout
    (no plain Dropout, which would break self-normalisation)."""
    import keras

    _require_callable(function, "build_dnn")
    what = "your build_dnn with alpha dropout"
    case = f"build_dnn(activation='selu', kernel_initializer='lecun_normal', alpha_dropout={rate})"
    model = _model(function, what, case, activation="selu", kernel_initializer="lecun_normal", alpha_dropout=rate)
    _check_stack(model, what, case, "selu", "lecun_normal", batch_norm=False)
    alpha = [layer for layer in model.layers if isinstance(layer, keras.layers.AlphaDropout)]
    plain = [layer for layer in model.layers
             if isinstance(layer, keras.layers.Dropout) and not isinstance(layer, keras.layers.AlphaDropout)]
    if plain:
        raise CheckFailed(what, case, Verbatim("AlphaDropout layers only"), Verbatim(f"{len(plain)} Dropout layer(s)"),
                          "plain Dropout changes the activations' mean and variance and breaks SELU's "
                          "self-normalisation: use keras.layers.AlphaDropout.")
    if not alpha:
        raise CheckFailed(what, case, Verbatim("at least one AlphaDropout layer"), Verbatim("none"),
                          "when alpha_dropout > 0, add keras.layers.AlphaDropout(alpha_dropout), for instance just "
                          "before the output layer.")
    rates = sorted({float(layer.rate) for layer in alpha})
    if rates != [rate]:
        raise CheckFailed(what, case, Verbatim(f"rate {rate}"), Verbatim(f"rate(s) {rates}"),
                          "use the alpha_dropout argument as the layers' rate.")
    passed(f"{len(alpha)} AlphaDropout layer(s) with rate {rate} in a SELU stack.")


# ---------------------------------------------------------------------- standardisation
def standardise(function: Callable) -> None:
    """Check ``function(X_train, X_valid, X_test)`` returns the three sets standardised with the training set's
    per-feature mean and standard deviation (shapes kept)."""
    _require_callable(function, "standardise")
    what = "your standardise"
    rng = np.random.default_rng(5)
    shape = (4, 4, 3)
    scale = rng.uniform(0.5, 3.0, size=shape)
    offset = rng.uniform(-2.0, 5.0, size=shape)
    X_train = (rng.normal(size=(200, *shape)) * scale + offset).astype("float32")
    X_valid = (rng.normal(size=(50, *shape)) * scale * 1.5 + offset + 1).astype("float32")
    X_test = (rng.normal(size=(30, *shape)) * scale + offset - 1).astype("float32")
    case = "images of shape (4, 4, 3): train (200, ...), valid (50, ...), test (30, ...)"
    result = call_learner(function, (X_train.copy(), X_valid.copy(), X_test.copy()), what=what, case=case,
                          expected=Verbatim("three arrays"), hint="call it yourself on small arrays to see the error.")
    try:
        got = [np.asarray(array, dtype=np.float64) for array in result]
    except TypeError:
        got = []
    if len(got) != 3:
        raise CheckFailed(what, case, Verbatim("a tuple (X_train, X_valid, X_test)"), Verbatim(repr(result)[:80]),
                          "return the three standardised sets, in this order.")
    mean, std = X_train.mean(axis=0, dtype=np.float64), X_train.std(axis=0, dtype=np.float64)
    for name, original, array in zip(("X_train", "X_valid", "X_test"), (X_train, X_valid, X_test), got):
        if array.shape != original.shape:
            raise CheckFailed(what, f"{case}, {name}", f"shape {original.shape}", f"shape {array.shape}",
                              "keep each set's shape: standardise every feature (pixel and channel) in place, "
                              "with NumPy broadcasting.")
        expected = (original - mean) / std
        if np.allclose(array, expected, atol=1e-3):
            continue
        if name != "X_train" and np.allclose(array, (original - original.mean(axis=0)) / original.std(axis=0),
                                             atol=1e-3):
            hint = (f"{name} was standardised with its own statistics: use the *training* set's mean and standard "
                    "deviation for every set, as a model in production only knows the training data.")
        elif np.allclose(array, (original - X_train.mean()) / X_train.std(), atol=1e-3):
            hint = "one mean and one std for all pixels: take them per feature, X_train.mean(axis=0)."
        else:
            hint = "compute mean = X_train.mean(axis=0) and std = X_train.std(axis=0), then (X - mean) / std."
        raise CheckFailed(what, f"{case}, {name}", Verbatim(f"mean {expected.mean():.3f}, std {expected.std():.3f}"),
                          Verbatim(f"mean {array.mean():.3f}, std {array.std():.3f}"), hint)
    passed("the three sets are standardised with the training set's per-feature mean and std.")


# ---------------------------------------------------------------------- training with Nadam and early stopping
def _noise_problem():
    """A small problem whose training labels can be learnt and whose validation labels are noise."""
    rng = np.random.default_rng(2)
    X_train = rng.normal(size=(240, 6)).astype("float32")
    y_train = X_train[:, :3].argmax(axis=1)
    X_valid = rng.normal(size=(120, 6)).astype("float32")
    y_valid = rng.integers(0, 3, size=120)
    return X_train, y_train, X_valid, y_valid


def fit_model(function: Callable, learning_rate: float = 0.003, max_epochs: int = 40) -> None:
    """Check ``function(model, X_train, y_train, X_valid, y_valid, learning_rate, epochs, callbacks=())``.

    It must compile with Nadam at ``learning_rate``, sparse categorical cross-entropy and accuracy, train with
    early stopping that restores the best weights, use the extra ``callbacks``, and return the History.
    """
    import keras

    _require_callable(function, "fit_model")
    what = "your fit_model"
    X_train, y_train, X_valid, y_valid = _noise_problem()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])

    class Probe(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            Probe.epochs += 1

    case = (f"a 6-32-3 network, learning_rate={learning_rate}, epochs={max_epochs}, validation labels that are "
            "pure noise")
    history = call_learner(function, (model, X_train, y_train, X_valid, y_valid),
                           dict(learning_rate=learning_rate, epochs=max_epochs, callbacks=[Probe()]),
                           what=what, case=case, expected=Verbatim("a keras History"),
                           hint="the labels are class numbers, so the loss must be 'sparse_categorical_crossentropy' "
                                "(a shape error often means another loss); otherwise call it on the exercise's data "
                                "to see the error.")
    logs = history.history if isinstance(history, keras.callbacks.History) else history
    if not isinstance(logs, dict) or "loss" not in logs:
        raise CheckFailed(what, case, Verbatim("the History returned by model.fit"), Verbatim(type(history).__name__),
                          "return what model.fit returns.")
    optimizer = model.optimizer
    if not isinstance(optimizer, keras.optimizers.Nadam):
        raise CheckFailed(what, case, "Nadam", type(optimizer).__name__,
                          "compile with optimizer=keras.optimizers.Nadam(learning_rate=learning_rate).")
    if not math.isclose(float(optimizer.learning_rate), learning_rate, rel_tol=1e-5):
        raise CheckFailed(what, case, f"learning rate {learning_rate}",
                          f"learning rate {float(optimizer.learning_rate):g}",
                          "pass the function's learning_rate argument to Nadam.")
    loss = loss_name(model.loss)
    if "sparse" not in loss:
        raise CheckFailed(what, case, "sparse_categorical_crossentropy", Verbatim(loss),
                          "the labels are class numbers 0–9: use loss='sparse_categorical_crossentropy'.")
    if "val_accuracy" not in logs:
        raise CheckFailed(what, case, Verbatim("val_loss and val_accuracy in the history"),
                          Verbatim(f"keys {sorted(logs)}"),
                          "compile with metrics=['accuracy'] and pass validation_data=(X_valid, y_valid) to fit.")
    epochs = len(logs["loss"])
    if Probe.epochs != epochs:
        raise CheckFailed(what, case, Verbatim("the callbacks given to fit_model used too"),
                          Verbatim("they were not called"),
                          "pass callbacks=[early_stopping, *callbacks] to model.fit.")
    if epochs >= max_epochs:
        raise CheckFailed(what, case, Verbatim(f"training stopped early (fewer than {max_epochs} epochs)"),
                          Verbatim(f"all {epochs} epochs"),
                          "add keras.callbacks.EarlyStopping(patience=..., restore_best_weights=True) to the "
                          "callbacks of fit.")
    val_loss, val_accuracy = model.evaluate(X_valid, y_valid, verbose=0)[:2]
    restored = (math.isclose(val_loss, min(logs["val_loss"]), rel_tol=1e-4)
                or math.isclose(val_accuracy, max(logs["val_accuracy"]), abs_tol=1e-6))
    if not restored:
        raise CheckFailed(what, case, Verbatim(f"the best epoch's weights (val_loss {min(logs['val_loss']):.4f})"),
                          Verbatim(f"the last epoch's (val_loss {val_loss:.4f})"),
                          "EarlyStopping(..., restore_best_weights=True) puts the best weights back at the end.")
    passed(f"Nadam at η = {learning_rate:g}, early stopping after {epochs} epochs with the best weights restored.")


# ---------------------------------------------------------------------- MC dropout
def mc_predict_proba(function: Callable, n_samples: int = 200) -> None:
    """Check ``function(model, X, n_samples)`` returns the mean of ``n_samples`` predictions with dropout on.

    It is called twice: with ``n_samples`` passes its answer must be close to a 400-pass
    reference, and with a single pass it must be much farther from it (an answer that
    ignores ``n_samples`` and always averages the same number of passes fails).
    """
    import keras

    _require_callable(function, "mc_predict_proba")
    what = "your mc_predict_proba"
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, activation="selu",
                                                                     kernel_initializer="lecun_normal"),
                              keras.layers.AlphaDropout(0.3), keras.layers.Dense(4, activation="softmax")])
    X = np.random.default_rng(4).normal(size=(50, 8)).astype("float32")
    reference = np.mean([keras.ops.convert_to_numpy(model(X, training=True)) for _ in range(400)], axis=0)
    deterministic = model.predict(X, verbose=0)
    gaps = {}
    for n in (n_samples, 1):
        case = f"a SELU network with AlphaDropout(0.3), X of shape (50, 8), n_samples={n}"
        result = call_learner(function, (model, X, n), what=what, case=case,
                              expected=Verbatim("an array of shape (50, 4)"),
                              hint="call it on a few test images to see the error.")
        got = np.asarray(result, dtype=np.float64)
        if got.shape != (50, 4):
            hint = ("that is one prediction per pass: average them over the passes, axis 0."
                    if got.shape == (n, 50, 4) else "return one row of class probabilities per sample.")
            raise CheckFailed(what, case, "shape (50, 4)", f"shape {got.shape}", hint)
        if not np.allclose(got.sum(axis=1), 1.0, atol=1e-4):
            raise CheckFailed(what, case, Verbatim("rows that sum to 1"),
                              Verbatim(f"row sums {got.sum(axis=1)[:3]}…"),
                              "average the probabilities themselves (not their logarithms or argmax).")
        if np.abs(got - deterministic).mean() < 1e-4:
            raise CheckFailed(what, case, Verbatim("stochastic predictions (dropout on)"),
                              Verbatim("the deterministic predictions"),
                              "these are the deterministic predictions: dropout is off at inference. Call "
                              "model(X, training=True) in each pass (or use MC dropout layers).")
        gaps[n] = np.abs(got - reference).mean()
        if n == n_samples and gaps[n] > 0.02:
            raise CheckFailed(what, case, Verbatim("close to the mean of many passes (mean gap ≤ 0.02)"),
                              Verbatim(f"mean gap {gaps[n]:.3f}"),
                              f"far from the average of many stochastic passes: average all {n} passes.")
    if gaps[1] < 2 * gaps[n_samples]:
        case = "the same network and X, n_samples=1"
        raise CheckFailed(what, case, Verbatim("one stochastic pass, far from the 400-pass mean"),
                          Verbatim(f"mean gap {gaps[1]:.3f}, as close as with {n_samples} passes"),
                          "make exactly n_samples passes: the number of passes is the function's argument, "
                          "not a constant.")
    passed(f"n_samples passes averaged (gap to a 400-pass mean: {gaps[n_samples]:.3f} with "
           f"{n_samples}, {gaps[1]:.3f} with 1).")


# ---------------------------------------------------------------------- 1cycle
def _one_cycle_hint(step: int, total_steps: int) -> str:
    peak = 0.45 * total_steps
    if step == 0:
        return "at step 0 the rate is max_rate / 10."
    if step <= peak:
        return "the rate climbs linearly from max_rate / 10 at step 0 to max_rate at step 0.45 × total_steps."
    if step <= 2 * peak:
        return ("after the peak the rate comes back down linearly, to max_rate / 10 at step "
                "0.9 × total_steps.")
    return ("over the last tenth of training the rate falls linearly to max_rate / 10,000 at the last step, "
            "total_steps − 1, and stays there.")


def one_cycle_rate(function: Callable) -> None:
    """Check ``function(step, total_steps, max_rate)`` against :func:`neuronlab.schedules.one_cycle`."""
    from neuronlab import schedules

    _require_callable(function, "one_cycle_rate")
    what = "your one_cycle_rate"
    for total_steps, max_rate in ((1000, 0.01), (420, 0.05), (99, 0.002)):
        peak, last = 0.45 * total_steps, total_steps - 1
        steps = sorted({0, round(peak / 2), round(peak), round(1.5 * peak), round(2 * peak),
                        round((2 * peak + last) / 2), last, last + 10})
        for step in steps:
            case = f"step={step}, total_steps={total_steps}, max_rate={max_rate}"
            expected = float(schedules.one_cycle(step, total_steps, max_rate))
            result = call_learner(function, (step, total_steps, max_rate), what=what, case=case,
                                  expected=f"{expected:.6g}", hint="call it yourself with these arguments.")
            try:
                got = float(np.asarray(result, dtype=np.float64))
            except (TypeError, ValueError):
                raise CheckFailed(what, case, f"{expected:.6g}", Verbatim(repr(result)[:60]),
                                  "return one number, the learning rate at that step.") from None
            if not math.isclose(got, expected, rel_tol=1e-6):
                raise CheckFailed(what, case, f"{expected:.6g}", f"{got:.6g}", _one_cycle_hint(step, total_steps))
    passed("one_cycle_rate follows the 1cycle schedule at every corner and in between.")


def _held_rates(callback, n_train: int, batch_size: int, epochs: int) -> list[float]:
    """Train a tiny model with ``callback`` and record the learning rate the optimizer holds in each batch."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=0.123))
    held: list[float] = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: held.append(float(model.optimizer.learning_rate)))
    X = np.random.default_rng(0).normal(size=(n_train, 2)).astype("float32")
    model.fit(X, X[:, :1], epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[callback, record])
    return held


def one_cycle_callback(function: Callable) -> None:
    """Check ``function(n_train, batch_size, epochs, max_rate)`` returns a Keras callback that sets the
    optimizer's learning rate before every batch by the 1cycle schedule over the whole run
    (epochs × ⌈n_train / batch_size⌉ steps): a tiny model is trained with it and the rates read back."""
    import keras

    from neuronlab import schedules

    _require_callable(function, "one_cycle_callback")
    what = "your one_cycle_callback"
    for n_train, batch_size, epochs, max_rate in ((1000, 64, 3, 0.01), (100, 25, 3, 0.05)):
        case = f"n_train={n_train}, batch_size={batch_size}, epochs={epochs}, max_rate={max_rate}"
        per_epoch = math.ceil(n_train / batch_size)
        total = epochs * per_epoch
        callback = call_learner(function, (n_train, batch_size, epochs, max_rate), what=what, case=case,
                                expected=Verbatim("a keras.callbacks.Callback"),
                                hint="call it yourself to see the error.")
        if not isinstance(callback, keras.callbacks.Callback):
            raise CheckFailed(what, case, Verbatim("a keras.callbacks.Callback"), Verbatim(type(callback).__name__),
                              "return an instance of your callback class (a subclass of keras.callbacks.Callback).")
        try:
            held = np.array(_held_rates(callback, n_train, batch_size, epochs))
        except Exception as error:  # the learner's callback crashed during fit
            raise CheckFailed(what, case, Verbatim("a callback that trains"),
                              Verbatim(f"{type(error).__name__}: {error}"[:120]),
                              "set self.model.optimizer.learning_rate in on_train_batch_begin.") from None
        expected = schedules.one_cycle(np.arange(total), total, max_rate)
        if np.allclose(held, expected, rtol=1e-5):
            continue
        floor_total = epochs * (n_train // batch_size)
        if np.allclose(held, 0.123):
            hint = "the rate never changed: set self.model.optimizer.learning_rate in on_train_batch_begin."
        elif floor_total >= 2 and np.allclose(held[:floor_total],
                                              schedules.one_cycle(np.arange(floor_total), floor_total, max_rate),
                                              rtol=1e-5):
            hint = ("the last, smaller batch of each epoch is a step too: round the batches per epoch up, "
                    "math.ceil(n_train / batch_size).")
        elif np.allclose(held[:per_epoch], schedules.one_cycle(np.arange(per_epoch), per_epoch, max_rate),
                         rtol=1e-5):
            hint = "the schedule spans the whole run: epochs × batches per epoch, not one epoch."
        else:
            hint = ("before batch k (counting from 0 over the whole run) the rate must be "
                    "one_cycle_rate(k, total_steps, max_rate).")
        raise CheckFailed(what, case, Verbatim(f"rates {np.round(expected[:4], 5).tolist()}…"),
                          Verbatim(f"rates {np.round(held[:4], 5).tolist()}…"), hint)
    passed("the callback sets the 1cycle rate before every batch of the whole run.")


# ---------------------------------------------------------------------- the results table
def results_table(table) -> None:
    """Check the comparison table: one row per configuration of :data:`RESULT_ROWS`, the columns of
    :data:`RESULT_COLUMNS`, accuracies as fractions, epochs and seconds that make sense."""
    import pandas as pd

    what = "your results table"
    if table is None:
        raise NotImplementedError("fill in the results table: still None")
    if not isinstance(table, pd.DataFrame):
        raise CheckFailed(what, None, Verbatim("a pandas DataFrame"), Verbatim(type(table).__name__),
                          "build it with pd.DataFrame(...) from the runs.")
    rows, columns = [str(r) for r in table.index], [str(c) for c in table.columns]
    missing_rows = [r for r in RESULT_ROWS if r not in rows]
    if missing_rows:
        raise CheckFailed(what, "its rows", Verbatim(f"rows {list(RESULT_ROWS)}"), Verbatim(f"rows {rows}"),
                          f"add the missing row(s) {missing_rows}; the index holds the configurations.")
    missing_columns = [c for c in RESULT_COLUMNS if c not in columns]
    if missing_columns:
        raise CheckFailed(what, "its columns", Verbatim(f"columns {list(RESULT_COLUMNS)}"),
                          Verbatim(f"columns {columns}"), f"add the missing column(s) {missing_columns}.")
    for row in RESULT_ROWS:
        for column in ("validation accuracy", "test accuracy"):
            value = table.loc[row, column]
            if not (isinstance(value, (int, float, np.number)) and 0 <= float(value) <= 1):
                raise CheckFailed(what, f"row {row!r}, {column}", Verbatim("a fraction between 0 and 1"), value,
                                  "write accuracies as fractions (0.42), not percentages (42).")
        seconds = table.loc[row, "seconds"]
        if not (isinstance(seconds, (int, float, np.number)) and float(seconds) > 0):
            raise CheckFailed(what, f"row {row!r}, seconds", Verbatim("a time in seconds > 0"), seconds,
                              "record time.perf_counter() before and after each fit (or MC prediction).")
        epochs = table.loc[row, "epochs"]
        trained = row != "MC dropout"
        if not (isinstance(epochs, (int, float, np.number)) and float(epochs) == int(epochs)
                and (int(epochs) >= 1 if trained else int(epochs) >= 0)):
            raise CheckFailed(what, f"row {row!r}, epochs", Verbatim("a whole number of epochs"), epochs,
                              "len(history.history['loss']) counts the epochs a run took; MC dropout trains "
                              "nothing (0).")
    best = max(RESULT_ROWS, key=lambda r: float(table.loc[r, "validation accuracy"]))
    passed(f"the table compares the six configurations; best validation accuracy: {best}.")
