"""Multilayer perceptrons trained with :mod:`neuronlab.autodiff`, scikit-learn style (chapter 03).

:class:`MLPClassifier` (softmax output and cross-entropy; for two classes one
logistic output and the binary cross-entropy, as scikit-learn's) and :class:`MLPRegressor`
(MSE, MAE or Huber, an optional output activation for positive or bounded
targets) share one engine: dense layers ``H = activation(H @ W + b)``, minibatch
stochastic gradient descent with momentum, one backward pass per minibatch.

:func:`matmul_floor_seconds` times the matrix products alone (the same shapes,
dtype and batch size), the floor no NumPy implementation of an epoch can beat,
so a notebook can print how close the engine comes to it.

>>> import numpy as np
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 25, dtype=float)
>>> y = (X[:, 0] != X[:, 1]).astype(int)                                     # XOR
>>> model = MLPClassifier((8,), "tanh", learning_rate=0.1, batch_size=4, epochs=60,
...                       random_state=0).fit(X, y)
>>> model.predict([[0, 0], [0, 1], [1, 0], [1, 1]]).tolist()
[0, 1, 1, 0]
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from neuronlab import autodiff as ad
from neuronlab.autodiff import Tensor

__all__ = ["ACTIVATIONS", "OUTPUT_ACTIVATIONS", "REGRESSION_LOSSES",
           "MLPClassifier", "MLPRegressor", "matmul_floor_seconds"]

ACTIVATIONS = {"relu": ad.relu, "sigmoid": ad.sigmoid, "tanh": ad.tanh, "softplus": ad.softplus,
               "step": ad.step, "identity": lambda z: z}
"""Hidden-layer activations by name ("step" trains nothing: its gradient is zero)."""

OUTPUT_ACTIVATIONS = {"identity": ((-np.inf, np.inf), lambda z: z), "relu": ((0, np.inf), ad.relu),
                      "softplus": ((0, np.inf), ad.softplus), "sigmoid": ((0, 1), ad.sigmoid),
                      "tanh": ((-1, 1), ad.tanh)}
"""Regression output activations by name, with the range of targets each can reach."""

REGRESSION_LOSSES = {"mse": ad.mse, "mae": ad.mae, "huber": ad.huber}

_FLUSH_EVERY = 8  # SGD steps between two flushes of subnormal velocities


def _positive_int(value, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument} must be an int, got {type(value).__name__}: {value!r}")
    if value < 1:
        raise ValueError(f"{argument} must be >= 1, got {value}")
    return int(value)


def _number(value, argument: str, low: float, high: float = np.inf, *, low_inclusive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{argument} must be a number, got {type(value).__name__}: {value!r}")
    if not (low <= value if low_inclusive else low < value) or not value < high:
        bounds = f"{'>=' if low_inclusive else '>'} {low:g}" + ("" if high == np.inf else f" and < {high:g}")
        raise ValueError(f"{argument} must be {bounds}, got {value!r}")
    return float(value)


def _choice(value, argument: str, accepted) -> str:
    if value not in accepted:
        raise ValueError(f"{argument} must be one of {sorted(accepted)}, got {value!r}")
    return value


class _BaseMLP:
    """What the classifier and the regressor share: layers, validation, minibatch SGD."""

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,), activation: str = "relu", *,
                 learning_rate: float = 0.1, momentum: float = 0.9, batch_size: int = 128, epochs: int = 10,
                 dtype: str | type = "float32", random_state: int | None = None, verbose: bool = False) -> None:
        sizes = (hidden_layer_sizes,) if isinstance(hidden_layer_sizes, (int, np.integer)) else hidden_layer_sizes
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(f"hidden_layer_sizes must be an int or a sequence of ints, "
                            f"got {type(hidden_layer_sizes).__name__}") from None
        self.hidden_layer_sizes = tuple(_positive_int(n, f"hidden_layer_sizes[{i}]") for i, n in enumerate(sizes))
        self.activation = _choice(activation, "activation", ACTIVATIONS)
        self.learning_rate = _number(learning_rate, "learning_rate", 0)
        self.momentum = _number(momentum, "momentum", 0, 1, low_inclusive=True)
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.epochs = _positive_int(epochs, "epochs")
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            self.dtype = None
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        if random_state is not None and (isinstance(random_state, bool)
                                         or not isinstance(random_state, (int, np.integer))):
            raise TypeError(f"random_state must be an int or None, got {type(random_state).__name__}")
        self.random_state = random_state
        self.verbose = bool(verbose)

    # --- input checks ---------------------------------------------------------------------------
    def _check_X(self, X, argument: str = "X") -> np.ndarray:
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{argument} must hold numbers, got dtype {X.dtype}")
        if X.ndim < 2:
            raise ValueError(f"{argument} must have shape (n_samples, n_features), got {X.shape}; "
                             "reshape a single sample to (1, n_features)")
        X = X.reshape(len(X), -1).astype(self.dtype, copy=False)  # images (n, 28, 28) become (n, 784)
        if not np.isfinite(X).all():
            raise ValueError(f"{argument} contains NaN or infinite values; remove or impute them first")
        if hasattr(self, "n_features_in_") and X.shape[1] != self.n_features_in_:
            raise ValueError(f"{argument} has {X.shape[1]} features, "
                             f"but this model was fitted with {self.n_features_in_}")
        return X

    def _check_lengths(self, X, y, names=("X", "y")) -> None:
        if len(X) != len(y):
            raise ValueError(f"{names[0]} and {names[1]} must have the same number of samples, "
                             f"got {len(X)} and {len(y)}")
        if len(X) == 0:
            raise ValueError(f"{names[0]} must hold at least one sample")

    # --- the network ----------------------------------------------------------------------------
    def _initialize(self, n_features: int, n_outputs: int) -> None:
        """He-normal weights before ReLU-like units, Glorot-uniform otherwise; zero biases."""
        self._rng = np.random.default_rng(self.random_state)
        self.layer_sizes_ = (n_features, *self.hidden_layer_sizes, n_outputs)
        self.n_features_in_ = n_features
        self._params, self._velocity = [], []
        for i, (fan_in, fan_out) in enumerate(zip(self.layer_sizes_[:-1], self.layer_sizes_[1:])):
            if self.activation in ("relu", "softplus") and i < len(self.layer_sizes_) - 2:
                W = self._rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            else:
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                W = self._rng.uniform(-limit, limit, (fan_in, fan_out))
            for value in (W, np.zeros(fan_out)):
                self._params.append(Tensor(value.astype(self.dtype), requires_grad=True))
                self._velocity.append(np.zeros_like(self._params[-1].data))
        self.coefs_ = [W.data for W in self._params[0::2]]        # views: SGD updates them in place
        self.intercepts_ = [b.data for b in self._params[1::2]]
        self.history_ = {name: [] for name in self._history_names}
        self.n_iter_ = 0
        self._steps = 0

    def _forward(self, X: np.ndarray) -> Tensor:
        """The output layer's pre-activation, shape (n_samples, n_outputs)."""
        act, p = ACTIVATIONS[self.activation], self._params
        h = X
        for i in range(0, len(p) - 2, 2):
            h = act(ad.linear(h, p[i], p[i + 1]))  # the same as h @ W + b, as one node
        return ad.linear(h, p[-2], p[-1])

    def _sgd_step(self) -> None:
        """Momentum SGD: v ← μ·v − η·g, then θ ← θ + v (plain SGD when μ = 0), in place.

        The backward pass was seeded with η instead of 1 (see :meth:`_epoch`), so each
        ``grad`` already holds η·g: the gradient of η·L, scaled at the loss for free
        rather than with one more pass over every weight matrix.

        A weight that stops receiving gradient (a pixel that is almost always blank, a
        dead ReLU) keeps a velocity that shrinks by μ every step until it reaches the
        subnormal floats, on which CPUs compute many times slower.  Every
        ``_FLUSH_EVERY`` steps, velocities that decay alone could take there before the
        next check are set to exactly 0 (what TensorFlow gets by switching the CPU to
        flush-to-zero); they are far too small to move a weight.
        """
        mu = self.momentum
        self._steps += 1
        flush = bool(mu) and self._steps % _FLUSH_EVERY == 0
        threshold = np.finfo(self.dtype).tiny / mu ** _FLUSH_EVERY if flush else 0.0
        for p, v in zip(self._params, self._velocity):
            if p.grad is None:
                continue
            if mu:
                v *= mu
                v -= p.grad
                if flush:
                    np.copyto(v, 0, where=np.abs(v) < threshold)
                p.data += v
            else:
                p.data -= p.grad
            p.grad = None

    def _epoch(self, X: np.ndarray, T: np.ndarray) -> dict:
        """One pass over shuffled minibatches; returns the mean loss, the batch metric and the seconds."""
        start = time.perf_counter()
        seed = np.asarray(self.learning_rate, dtype=self.dtype)  # backward from η: every gradient comes out × η
        order = self._rng.permutation(len(X))
        loss_sum, metric_sum = 0.0, 0.0
        for i in range(0, len(X), self.batch_size):
            index = order[i:i + self.batch_size]
            out = self._forward(X[index])
            loss = self._loss(out, T[index])
            loss.backward(seed)
            self._sgd_step()
            loss_sum += float(loss.data) * len(index)
            metric_sum += self._batch_metric(out.data, T[index])
        seconds = time.perf_counter() - start
        if not np.isfinite(loss_sum):
            raise FloatingPointError(
                f"training diverged: the loss became {loss_sum / len(X)} in epoch {self.n_iter_ + 1}; "
                f"lower learning_rate (now {self.learning_rate:g}) or scale X (e.g. pixels / 255)")
        return {"loss": loss_sum / len(X), "metric": metric_sum / len(X), "seconds": seconds}

    def _run(self, X, T, epochs, validation, on_epoch_end=None) -> None:
        if on_epoch_end is not None and not callable(on_epoch_end):
            raise TypeError(f"on_epoch_end must be a function taking the model, got {type(on_epoch_end).__name__}")
        for _ in range(epochs):
            result = self._epoch(X, T)
            self.n_iter_ += 1
            self._record(result, validation)
            if self.verbose:
                print(f"epoch {self.n_iter_:3d}: " + ", ".join(
                    f"{k} {v[-1]:.4f}" for k, v in self.history_.items() if v and k != "epoch_seconds")
                    + f" ({result['seconds']:.2f} s)")
            if on_epoch_end is not None:
                on_epoch_end(self)

    def _fitted(self) -> None:
        if not hasattr(self, "coefs_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit(X, y) first")

    @property
    def loss_curve_(self) -> list[float]:
        """The mean training loss of every epoch (scikit-learn's name)."""
        self._fitted()
        return self.history_["loss"]

    def loss_and_gradients(self, X, y) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """The loss on (X, y) and its gradient for every weight matrix and bias, without a step.

        Returns
        -------
        loss : float
        coef_grads : list of ndarray, shapes like ``coefs_``
        intercept_grads : list of ndarray, shapes like ``intercepts_``
        """
        self._fitted()
        X, T = self._check_X(X), self._targets(y)
        self._check_lengths(X, T)
        for p in self._params:
            p.grad = None
        loss = self._loss(self._forward(X), T)
        loss.backward()
        grads = [p.grad for p in self._params]
        for p in self._params:
            p.grad = None
        return float(loss.data), grads[0::2], grads[1::2]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(hidden_layer_sizes={self.hidden_layer_sizes}, "
                f"activation={self.activation!r}, learning_rate={self.learning_rate:g}, "
                f"batch_size={self.batch_size}, epochs={self.epochs})")


class MLPClassifier(_BaseMLP):
    """A multilayer perceptron for classes: hidden layers, a softmax output, cross-entropy loss.

    With exactly two classes the output is one logistic unit, σ(z) = p(second class),
    trained on the binary cross-entropy (as in scikit-learn's ``MLPClassifier``); a
    sample with z = 0 is predicted as the second class, as the Heaviside step says.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int >= 1, default (100,)
        Units in each hidden layer; () gives softmax regression.
    activation : {"relu", "sigmoid", "tanh", "softplus", "step", "identity"}, default "relu"
    learning_rate : float > 0, default 0.1
    momentum : float in [0, 1), default 0.9
    batch_size : int >= 1, default 128
    epochs : int >= 1, default 10
        Passes over the training data in :meth:`fit`.
    dtype : "float32" or "float64", default "float32"
    random_state : int or None
        Seeds the initial weights and the shuffling: the same seed gives the same model.
    verbose : bool, default False
        Print one line per epoch.

    Attributes
    ----------
    coefs_ : list of ndarray, shapes (layer_sizes_[i], layer_sizes_[i + 1])
    intercepts_ : list of ndarray, shapes (layer_sizes_[i + 1],)
    classes_ : ndarray of shape (n_classes,)
    layer_sizes_ : tuple of int, (n_features, *hidden_layer_sizes, n_outputs)
        n_outputs is n_classes, or 1 for two classes.
    history_ : dict of lists, one entry per epoch
        "loss" (mean minibatch cross-entropy), "train_accuracy" (on the minibatches as
        they were seen, as Keras reports it), "val_loss", "val_accuracy" (when
        validation data is given) and "epoch_seconds" (the training pass alone).
    n_iter_ : int
        Epochs run so far.
    """

    _history_names = ("loss", "train_accuracy", "val_loss", "val_accuracy", "epoch_seconds")

    def _targets(self, y) -> np.ndarray:
        """Class labels → indices into ``classes_``."""
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must have shape (n_samples,) (one label per sample), got {y.shape}")
        index = np.searchsorted(self.classes_, y)
        unknown = (index >= len(self.classes_)) | (self.classes_[np.minimum(index, len(self.classes_) - 1)] != y)
        if unknown.any():
            raise ValueError(f"y has labels {np.unique(y[unknown])[:5].tolist()} not among the classes "
                             f"{self.classes_.tolist()}")
        return index

    @property
    def _binary(self) -> bool:
        return len(self.classes_) == 2

    def _n_outputs(self) -> int:
        """Output units: one per class, or a single logistic unit for two classes."""
        return 1 if self._binary else len(self.classes_)

    def _loss(self, logits, targets: np.ndarray) -> Tensor:
        if self._binary:
            return ad.sigmoid_cross_entropy(logits, targets.reshape(-1, 1).astype(self.dtype))
        return ad.softmax_cross_entropy(logits, targets)

    def _class_index(self, logits: np.ndarray) -> np.ndarray:
        """Index into ``classes_`` of each row's prediction (z >= 0 → second class when binary)."""
        if logits.shape[1] == 1:
            return (logits[:, 0] >= 0).astype(int)
        return logits.argmax(axis=1)

    def _batch_metric(self, logits: np.ndarray, targets: np.ndarray) -> float:
        return float(np.count_nonzero(self._class_index(logits) == targets))

    def _record(self, result: dict, validation) -> None:
        h = self.history_
        h["loss"].append(result["loss"])
        h["train_accuracy"].append(result["metric"])
        h["epoch_seconds"].append(result["seconds"])
        if validation is not None:
            X_val, T_val = validation
            logits = self._forward(X_val).data
            h["val_loss"].append(float(self._loss(logits, T_val).data))
            h["val_accuracy"].append(float(np.mean(self._class_index(logits) == T_val)))

    def _prepare(self, X, y, X_val=None, y_val=None):
        X = self._check_X(X)
        y = np.asarray(y)
        self._check_lengths(X, y)
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val, or neither")
        if X_val is not None:
            X_val = self._check_X(X_val, "X_val")
            self._check_lengths(X_val, y_val, ("X_val", "y_val"))
        return X, y, X_val, y_val

    def fit(self, X, y, X_val=None, y_val=None, *, on_epoch_end=None) -> MLPClassifier:
        """Start from fresh weights and train for ``epochs`` epochs.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            (or (n_samples, height, width): images are flattened).
        y : array_like of shape (n_samples,)
            Class labels, any type that sorts (ints, strings).
        X_val, y_val : optional
            Validation data, scored after every epoch.
        on_epoch_end : callable, optional
            Called as ``on_epoch_end(model)`` after every epoch, outside the epoch's timing.
        """
        for name in ("n_features_in_", "coefs_"):
            self.__dict__.pop(name, None)
        X, y, X_val, y_val = self._prepare(X, y, X_val, y_val)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y must hold at least two classes, got only {self.classes_.tolist()}")
        self._initialize(X.shape[1], self._n_outputs())
        validation = None if X_val is None else (X_val, self._targets(y_val))
        self._run(X, self._targets(y), self.epochs, validation, on_epoch_end)
        return self

    def partial_fit(self, X, y, classes=None) -> MLPClassifier:
        """One more epoch on (X, y); the first call initialises (``classes`` lists every label, else y's)."""
        X, y, _, _ = self._prepare(X, y)
        if not hasattr(self, "coefs_"):
            self.classes_ = np.unique(y if classes is None else classes)
            if len(self.classes_) < 2:
                raise ValueError(f"classes must hold at least two labels, got {self.classes_.tolist()}")
            self._initialize(X.shape[1], self._n_outputs())
        self._run(X, self._targets(y), 1, None)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in the order of ``classes_``."""
        self._fitted()
        logits = self._forward(self._check_X(X)).data
        if self._binary:
            p = ad.sigmoid(logits[:, 0]).data
            return np.column_stack([1 - p, p])
        return ad.softmax(logits)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample, shape (n_samples,)."""
        self._fitted()
        return self.classes_[self._class_index(self._forward(self._check_X(X)).data)]

    def score(self, X, y) -> float:
        """Accuracy: the fraction of samples whose predicted class is y."""
        y = np.asarray(y)
        prediction = self.predict(X)
        self._check_lengths(prediction, y)
        return float(np.mean(prediction == y))


class MLPRegressor(_BaseMLP):
    """A multilayer perceptron for numbers: hidden layers, one linear output unit per target.

    Parameters
    ----------
    hidden_layer_sizes, activation, learning_rate, momentum, batch_size, epochs, dtype, random_state, verbose
        As for :class:`MLPClassifier` (default learning_rate 0.01).
    output_activation : {"identity", "relu", "softplus", "sigmoid", "tanh"}, default "identity"
        "relu"/"softplus" for positive targets, "sigmoid" for targets in [0, 1],
        "tanh" for targets in [−1, 1] (scale the labels first).
    loss : {"mse", "mae", "huber"}, default "mse"
    huber_delta : float > 0, default 1.0

    Attributes
    ----------
    coefs_, intercepts_, layer_sizes_, n_iter_
        As for :class:`MLPClassifier`.
    history_ : dict of lists
        "loss", "val_loss" (when validation data is given) and "epoch_seconds".
    """

    _history_names = ("loss", "val_loss", "epoch_seconds")

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,), activation: str = "relu", *,
                 output_activation: str = "identity", loss: str = "mse", huber_delta: float = 1.0,
                 learning_rate: float = 0.01, momentum: float = 0.9, batch_size: int = 128, epochs: int = 10,
                 dtype: str | type = "float32", random_state: int | None = None, verbose: bool = False) -> None:
        super().__init__(hidden_layer_sizes, activation, learning_rate=learning_rate, momentum=momentum,
                         batch_size=batch_size, epochs=epochs, dtype=dtype, random_state=random_state,
                         verbose=verbose)
        self.output_activation = _choice(output_activation, "output_activation", OUTPUT_ACTIVATIONS)
        self.loss = _choice(loss, "loss", REGRESSION_LOSSES)
        self.huber_delta = _number(huber_delta, "huber_delta", 0)

    def _targets(self, y) -> np.ndarray:
        y = np.asarray(y)
        if y.dtype.kind not in "biuf":
            raise TypeError(f"y must hold numbers, got dtype {y.dtype}")
        if y.ndim not in (1, 2):
            raise ValueError(f"y must have shape (n_samples,) or (n_samples, n_outputs), got {y.shape}")
        T = y.reshape(len(y), -1).astype(self.dtype)
        if not np.isfinite(T).all():
            raise ValueError("y contains NaN or infinite values")
        if hasattr(self, "_n_outputs") and T.shape[1] != self._n_outputs:
            raise ValueError(f"y has {T.shape[1]} outputs, but this model was fitted with {self._n_outputs}")
        (low, high), _ = OUTPUT_ACTIVATIONS[self.output_activation]
        if T.min() < low or T.max() > high:
            raise ValueError(f"y ranges from {T.min():g} to {T.max():g}, but output_activation="
                             f"{self.output_activation!r} only reaches [{low:g}, {high:g}]; scale y first")
        return T

    def _forward(self, X):
        return OUTPUT_ACTIVATIONS[self.output_activation][1](super()._forward(X))

    def _loss(self, prediction: Tensor, targets: np.ndarray) -> Tensor:
        if self.loss == "huber":
            return ad.huber(prediction, targets, self.huber_delta)
        return REGRESSION_LOSSES[self.loss](prediction, targets)

    @staticmethod
    def _batch_metric(prediction, targets) -> float:
        return 0.0

    def _record(self, result: dict, validation) -> None:
        self.history_["loss"].append(result["loss"])
        self.history_["epoch_seconds"].append(result["seconds"])
        if validation is not None:
            X_val, T_val = validation
            self.history_["val_loss"].append(float(self._loss(self._forward(X_val), T_val).data))

    def fit(self, X, y, X_val=None, y_val=None, *, on_epoch_end=None) -> MLPRegressor:
        """Start from fresh weights and train for ``epochs`` epochs.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)
        X_val, y_val : optional
            Validation data, scored after every epoch.
        on_epoch_end : callable, optional
            Called as ``on_epoch_end(model)`` after every epoch, outside the epoch's timing.
        """
        for name in ("n_features_in_", "coefs_", "_n_outputs"):
            self.__dict__.pop(name, None)
        X = self._check_X(X)
        T = self._targets(y)
        self._check_lengths(X, T)
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val, or neither")
        validation = None
        if X_val is not None:
            validation = (self._check_X(X_val, "X_val"), self._targets(y_val))
            self._check_lengths(*validation, ("X_val", "y_val"))
        self._initialize(X.shape[1], T.shape[1])
        self._n_outputs, self._y_ndim = T.shape[1], np.ndim(y)
        self._run(X, T, self.epochs, validation, on_epoch_end)
        return self

    def partial_fit(self, X, y) -> MLPRegressor:
        """One more epoch on (X, y); the first call initialises."""
        X, T = self._check_X(X), self._targets(y)
        self._check_lengths(X, T)
        if not hasattr(self, "coefs_"):
            self._initialize(X.shape[1], T.shape[1])
            self._n_outputs, self._y_ndim = T.shape[1], np.ndim(y)
        self._run(X, T, 1, None)
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted targets, shape (n_samples,) if y was 1-D at fit, else (n_samples, n_outputs)."""
        self._fitted()
        out = self._forward(self._check_X(X)).data
        return out[:, 0] if self._y_ndim == 1 else out

    def score(self, X, y) -> float:
        """R², the coefficient of determination, averaged over the outputs (1 is perfect)."""
        prediction = self.predict(X).reshape(len(X), -1).astype(np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(len(prediction), -1)
        residual = ((y - prediction) ** 2).sum(axis=0)
        total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        return float(np.mean(1 - residual / np.where(total == 0, 1, total)))


def matmul_floor_seconds(layer_sizes: Sequence[int], n_samples: int, batch_size: int, *,
                         dtype: str | type = "float32", input_gradient: bool = False,
                         repeats: int = 3, random_state: int = 0) -> float:
    """Seconds NumPy needs for one epoch's matrix products alone: the floor for a training epoch.

    For every minibatch (the last one may be smaller) and every layer l with
    weights W of shape (layer_sizes[l], layer_sizes[l + 1]) it times the forward
    product ``A @ W``, the weight gradient ``A.T @ G`` and the input gradient
    ``G @ W.T`` (the last one not for the first layer unless ``input_gradient``:
    backpropagation never needs the gradient of the data).  Those are exactly the
    products the engine computes, at the same shapes and dtype.

    Parameters
    ----------
    layer_sizes : sequence of int
        (n_features, *hidden, n_outputs), as a fitted model's ``layer_sizes_``.
    n_samples, batch_size : int >= 1
    dtype : "float32" or "float64"
    input_gradient : bool, default False
    repeats : int >= 1
        The best of this many timed epochs is returned.

    Returns
    -------
    float
        Seconds per epoch.
    """
    sizes = [_positive_int(n, f"layer_sizes[{i}]") for i, n in enumerate(layer_sizes)]
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes must hold at least 2 sizes (inputs and outputs), got {list(layer_sizes)}")
    n_samples, batch_size = _positive_int(n_samples, "n_samples"), _positive_int(batch_size, "batch_size")
    repeats = _positive_int(repeats, "repeats")
    rng = np.random.default_rng(random_state)
    dtype = np.dtype(dtype)
    W = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    full, rest = divmod(n_samples, batch_size)
    batches = [(batch_size, full)] + ([(rest, 1)] if rest else [])
    best = np.inf
    for _ in range(repeats):
        seconds = 0.0
        for rows, count in batches:
            if count == 0:
                continue
            A = [rng.standard_normal((rows, n)).astype(dtype) for n in sizes]  # activations and their gradients
            start = time.perf_counter()
            for _ in range(count):
                for l, w in enumerate(W):
                    A[l] @ w
                    A[l].T @ A[l + 1]
                    if l > 0 or input_gradient:
                        A[l + 1] @ w.T
            seconds += time.perf_counter() - start
        best = min(best, seconds)
    return best
