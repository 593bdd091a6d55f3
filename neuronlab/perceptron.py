"""Rosenblatt's perceptron from scratch, in scikit-learn's style (chapter 02).

A perceptron is one layer of threshold logic units (TLUs).  For a batch ``X`` of
shape (n_samples, n_features) the layer computes ``H = step(X @ W + b)`` with
``W`` of shape (n_features, n_outputs) and ``b`` of shape (n_outputs,).

Training follows the perceptron learning rule, one sample at a time: when output
*k* gets sample *x* wrong, ``W[:, k] += eta0 * t * x`` and ``b[k] += eta0 * t``,
where ``t`` is the target as -1 or +1.

The course's one convention for ``z = 0``:

- a unit's output is the Heaviside step, 1 at ``z = 0`` (:func:`heaviside`,
  :meth:`Perceptron.predict`, and every exercise);
- in training, a mistake is ``t * z <= 0`` (as in scikit-learn and in the
  convergence proof): a sample exactly on the boundary is wrong whichever its
  class, so learning can start from all-zero weights.

scikit-learn's ``predict`` sends ``z = 0`` the other way, to the negative class;
the fitted weights are the same, and only points exactly on the line differ.

:class:`Perceptron` follows scikit-learn's :class:`sklearn.linear_model.Perceptron`
closely enough to reproduce its weights: with ``shuffle=False`` on both and the
same ``eta0``, ``max_iter``, ``tol`` and ``n_iter_no_change``, the fitted
``coef_`` and ``intercept_`` agree (a unit test checks it).  Several outputs are
trained side by side, each on its own 0/1 target column, which is exactly what
scikit-learn's one-versus-the-rest scheme does for several classes.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import numpy as np

__all__ = [
    "NotFittedError",
    "Perceptron",
    "heaviside",
    "sign",
    "linearly_separable",
    "xor_data",
    "margin",
    "radius",
]


class NotFittedError(ValueError, AttributeError):
    """``predict`` (or a fitted attribute) was used before ``fit``."""


def _check_z(z) -> np.ndarray:
    try:
        z = np.asarray(z, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"z must be a number or an array of numbers, got {type(z).__name__}") from None
    if np.isnan(z).any():
        raise ValueError("z contains NaN, which has no sign: check the inputs and weights that produced it")
    return z


def heaviside(z):
    """The Heaviside step: 1 where ``z >= 0``, else 0 (same shape as ``z``, dtype int).

    ``-inf`` and ``inf`` give 0 and 1; NaN raises ``ValueError`` (it is neither side of the step).
    """
    return (_check_z(z) >= 0).astype(int)


def sign(z):
    """The sign function: -1, 0 or +1 (same shape as ``z``, dtype int).

    ``-inf`` and ``inf`` give -1 and +1; NaN raises ``ValueError`` instead of turning
    into a meaningless integer.
    """
    return np.sign(_check_z(z)).astype(int)


def _check_X(X, argument: str = "X") -> np.ndarray:
    try:
        array = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{argument} must be an array of numbers, got {type(X).__name__}") from None
    if array.ndim != 2:
        raise ValueError(f"{argument} must be 2-D, shape (n_samples, n_features); got shape {array.shape}. "
                         "For one sample use X.reshape(1, -1), for one feature X.reshape(-1, 1).")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{argument} must hold at least one sample and one feature; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(f"{argument} contains NaN or infinity (first at row {bad[0]}, column {bad[1]}); "
                         "a perceptron needs finite numbers: drop or impute those values first.")
    return array


def _check_positive(value, argument: str, kind=numbers.Real) -> None:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{argument} must be a {'positive integer' if kind is numbers.Integral else 'positive number'}, "
                        f"got {type(value).__name__}: {value!r}")
    if not value > 0:
        raise ValueError(f"{argument} must be > 0, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{argument} must be finite, got {value!r}")


@dataclass(eq=False)  # compare estimators by identity, as scikit-learn does
class Perceptron:
    """A perceptron: one layer of TLUs trained with Rosenblatt's learning rule.

    Parameters
    ----------
    eta0 : float > 0, default 1.0
        The learning rate η: how far one mistake moves the weights.
    max_iter : int > 0, default 1000
        The most epochs (passes over the training set) ``fit`` makes.
    tol : float >= 0 or None, default 1e-3
        scikit-learn's stopping rule: stop once the mean perceptron loss
        ``max(0, -t z)`` over an epoch has failed ``n_iter_no_change`` times in a
        row to drop ``tol`` below the best so far.  ``None`` turns it off.
    n_iter_no_change : int > 0, default 5
        See ``tol``.
    shuffle : bool, default True
        Visit the samples in a new random order every epoch.
    random_state : int, numpy Generator or None, default None
        Seeds the shuffling, so that two fits give the same weights.
    fit_intercept : bool, default True
        Learn the bias ``b`` (otherwise it stays 0).

    Attributes
    ----------
    coef_ : ndarray of shape (n_outputs, n_features)
        The weights, one row per TLU (scikit-learn's layout; ``W`` is ``coef_.T``).
    intercept_ : ndarray of shape (n_outputs,)
        The biases.
    classes_ : ndarray of shape (2,)
        The two labels of a 1-D target, negative class first.
    n_iter_ : int
        Epochs run (the most over all outputs).
    mistakes_per_epoch_ : list of int
        Mistakes (``t * z <= 0``) in each epoch of the last ``fit``, counted over
        *all* outputs: a sample that two TLUs get wrong counts twice.  With one
        output (or ``tol=None``) this is the number of updates.
    converged_ : bool
        Whether the last epoch made no mistake on any output (the training set is
        then separated with every sample strictly on its side, for every TLU).

    Notes
    -----
    A mistake is ``t * z <= 0`` (a sample on the boundary is wrong), as in
    scikit-learn, while :meth:`predict` applies the Heaviside step (``z = 0`` gives
    the positive class; scikit-learn's ``predict`` gives the negative one).

    An output stops learning after its first epoch without a mistake: no sample
    can ever trigger an update again, so scikit-learn's extra ``n_iter_no_change``
    epochs could not change the weights (only ``n_iter_`` differs).  ``tol`` stops
    each output on its own too, as scikit-learn's one-versus-the-rest does.  A
    stopped output is no longer updated but its mistakes still count, and ``fit``
    ends once every output has stopped (or after ``max_iter`` epochs); so each
    output gets exactly the weights of a single-TLU fit on its column.
    """

    eta0: float = 1.0
    max_iter: int = 1000
    tol: float | None = 1e-3
    n_iter_no_change: int = 5
    shuffle: bool = True
    random_state: int | np.random.Generator | None = None
    fit_intercept: bool = True

    # ---------------------------------------------------------------- parameters
    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters by name (for :func:`sklearn.base.clone` and grid searches)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def set_params(self, **params) -> Perceptron:
        """Set constructor parameters by name; returns ``self``.  Fitted attributes are kept until the next fit."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for Perceptron; valid parameters are {sorted(valid)}")
            setattr(self, name, value)
        return self

    # ---------------------------------------------------------------- validation
    def _validate_params(self) -> None:
        _check_positive(self.eta0, "eta0")
        _check_positive(self.max_iter, "max_iter", numbers.Integral)
        _check_positive(self.n_iter_no_change, "n_iter_no_change", numbers.Integral)
        if self.tol is not None:
            if isinstance(self.tol, bool) or not isinstance(self.tol, numbers.Real) or not self.tol >= 0:
                raise ValueError(f"tol must be None or a number >= 0, got {self.tol!r}")
        for name in ("shuffle", "fit_intercept"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not (self.random_state is None or isinstance(self.random_state, np.random.Generator)
                or (isinstance(self.random_state, numbers.Integral) and not isinstance(self.random_state, bool))):
            raise TypeError("random_state must be None, an int or a numpy Generator, "
                            f"got {type(self.random_state).__name__}")

    def _targets(self, y, n_samples: int) -> np.ndarray:
        """Targets as -1/+1, shape (n_samples, n_outputs); sets ``classes_`` and ``multi_output_``."""
        y = np.asarray(y)
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D (one TLU) or 2-D (one column per TLU); got shape {y.shape}")
        if y.shape[0] != n_samples:
            raise ValueError(f"X and y must have the same number of samples: X has {n_samples}, y has {y.shape[0]}")
        if y.ndim == 1:
            if y.dtype.kind in "fc" and np.isnan(y).any():
                raise ValueError("y contains NaN: every sample needs a label (drop the unlabelled samples first)")
            classes = np.unique(y)
            if len(classes) != 2:
                raise ValueError(
                    f"y must hold exactly two classes for a single TLU (a binary classifier); it holds "
                    f"{len(classes)}: {classes.tolist()[:10]}. For several classes, train one TLU per class: "
                    "pass a 0/1 matrix of shape (n_samples, n_classes), e.g. y[:, None] == classes.")
            self.classes_, self.multi_output_ = classes, False
            return np.where(y == classes[1], 1.0, -1.0)[:, None]
        values = np.unique(y)
        if not np.isin(values, [0, 1]).all():
            raise ValueError("a 2-D y must hold 0/1 (or False/True) targets, one column per TLU; "
                             f"found the values {values.tolist()[:10]}")
        self.classes_, self.multi_output_ = np.array([0, 1]), True
        return np.where(y.astype(bool), 1.0, -1.0)

    # ---------------------------------------------------------------- learning
    def _init_weights(self, n_features: int, n_outputs: int, coef_init, intercept_init) -> None:
        self.W_ = np.zeros((n_features, n_outputs))
        self.b_ = np.zeros(n_outputs)
        if coef_init is not None:
            coef = np.asarray(coef_init, dtype=float)
            if coef.shape not in ((n_outputs, n_features), (n_features,) if n_outputs == 1 else (n_outputs, n_features)):
                raise ValueError(f"coef_init must have shape ({n_outputs}, {n_features}), got {coef.shape}")
            self.W_[:] = coef.reshape(n_outputs, n_features).T
        if intercept_init is not None:
            intercept = np.asarray(intercept_init, dtype=float).reshape(-1)
            if intercept.shape != (n_outputs,):
                raise ValueError(f"intercept_init must have {n_outputs} value(s), got shape {np.shape(intercept_init)}")
            self.b_[:] = intercept

    def _epoch(self, X: np.ndarray, T: np.ndarray, order: np.ndarray,
               active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One pass in ``order``, updating only the ``active`` outputs that are wrong.

        Returns the mean loss and the number of mistakes, per output (active or not).
        """
        loss = np.zeros(T.shape[1])
        mistakes = np.zeros(T.shape[1], dtype=int)
        for i in order:
            z = X[i] @ self.W_ + self.b_                  # (n_outputs,)
            margin = T[i] * z
            loss -= np.minimum(margin, 0.0)
            wrong = margin <= 0                           # on the boundary counts as wrong
            mistakes += wrong
            update = wrong & active
            if update.any():
                step = np.where(update, self.eta0 * T[i], 0.0)
                self.W_ += np.outer(X[i], step)           # (n_features, n_outputs)
                if self.fit_intercept:
                    self.b_ += step
        return loss / len(order), mistakes

    def fit(self, X, y, coef_init=None, intercept_init=None) -> Perceptron:
        """Learn the weights from scratch.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        y : array of shape (n_samples,) with two distinct labels (one TLU), or
            a 0/1 array of shape (n_samples, n_outputs) (one TLU per column).
        coef_init : array of shape (n_outputs, n_features), optional
            Starting weights (default zeros).
        intercept_init : array of shape (n_outputs,), optional
            Starting biases (default zeros).

        Returns
        -------
        self
        """
        self._validate_params()
        X = _check_X(X)
        T = self._targets(y, X.shape[0])
        self._init_weights(X.shape[1], T.shape[1], coef_init, intercept_init)
        self._rng = np.random.default_rng(self.random_state)
        self.mistakes_per_epoch_: list[int] = []
        n_outputs = T.shape[1]
        active = np.ones(n_outputs, dtype=bool)           # outputs still learning (not converged, not stopped)
        best = np.full(n_outputs, np.inf)
        no_improvement = np.zeros(n_outputs, dtype=int)
        epochs_run = np.zeros(n_outputs, dtype=int)
        for _ in range(self.max_iter):
            loss, mistakes = self._epoch(X, T, self._order(len(X)), active)
            self.mistakes_per_epoch_.append(int(mistakes.sum()))
            epochs_run += active
            active &= mistakes > 0                        # an output without a mistake can never change again
            if self.tol is not None:
                no_improvement = np.where(loss > best - self.tol, no_improvement + 1, 0)
                best = np.minimum(best, loss)
                active &= no_improvement < self.n_iter_no_change
            if not active.any():
                break
        self.n_iter_ = int(epochs_run.max())
        self.converged_ = self.mistakes_per_epoch_[-1] == 0
        return self

    def partial_fit(self, X, y, classes=None, coef_init=None, intercept_init=None) -> Perceptron:
        """One epoch of the learning rule on ``X``, ``y``, continuing from the current weights.

        Called with one sample at a time, it is the learning rule's single step.
        The first call fixes the outputs: pass ``classes`` (the two labels) when a
        1-D ``y`` of this batch may hold only one of them; ``coef_init`` and
        ``intercept_init`` (first call only) set the starting weights as in
        :meth:`fit`.  Shapes as in :meth:`fit`; ``mistakes_per_epoch_`` gets one
        entry per call.
        """
        self._validate_params()
        X = _check_X(X)
        first = not hasattr(self, "W_")
        if first:
            if classes is not None and np.asarray(y).ndim == 1:
                classes = np.asarray(classes)
                if classes.ndim != 1 or len(np.unique(classes)) != 2:
                    raise ValueError(f"classes must be the two labels, e.g. classes=[0, 1]; got {classes.tolist()}")
                self._targets(classes, len(classes))     # sets classes_
            elif np.asarray(y).ndim == 1 and len(np.unique(y)) < 2:
                raise ValueError(f"the first partial_fit batch holds one class only ({np.unique(y).tolist()}), "
                                 "so the other label is unknown: pass both labels, e.g. classes=[0, 1]")
            else:
                self._targets(y, X.shape[0])
        elif coef_init is not None or intercept_init is not None:
            raise ValueError("coef_init and intercept_init only apply to the first partial_fit call")
        T = self._targets_like_fitted(y, X.shape[0])
        if first:
            self._init_weights(X.shape[1], T.shape[1], coef_init, intercept_init)
            self._rng = np.random.default_rng(self.random_state)
            self.mistakes_per_epoch_ = []
        self._check_n_features(X)
        _, mistakes = self._epoch(X, T, self._order(len(X)), np.ones(T.shape[1], dtype=bool))
        self.mistakes_per_epoch_.append(int(mistakes.sum()))
        self.n_iter_ = len(self.mistakes_per_epoch_)
        self.converged_ = not mistakes.any()
        return self

    def _targets_like_fitted(self, y, n_samples: int) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim != (2 if self.multi_output_ else 1) or y.shape[0] != n_samples:
            expected = f"({n_samples}, n_outputs)" if self.multi_output_ else f"({n_samples},)"
            raise ValueError(f"y must have shape {expected}, like the first batch's targets; got {y.shape}")
        if self.multi_output_:
            if hasattr(self, "W_") and y.shape[1] != self.W_.shape[1]:
                raise ValueError(f"y must have {self.W_.shape[1]} columns (one per TLU), like the first batch; "
                                 f"got {y.shape[1]}")
            if not np.isin(np.unique(y), [0, 1]).all():
                raise ValueError("a 2-D y must hold 0/1 (or False/True) targets, one column per TLU")
            return np.where(y.astype(bool), 1.0, -1.0)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y holds labels {unknown.tolist()} not among classes_ {self.classes_.tolist()}")
        return np.where(y == self.classes_[1], 1.0, -1.0)[:, None]

    def _order(self, n: int) -> np.ndarray:
        return self._rng.permutation(n) if self.shuffle else np.arange(n)

    # ---------------------------------------------------------------- using it
    def _check_fitted(self) -> None:
        if not hasattr(self, "W_"):
            raise NotFittedError("this Perceptron is not fitted yet: call fit(X, y) first")

    def _check_n_features(self, X: np.ndarray) -> None:
        if X.shape[1] != self.W_.shape[0]:
            raise ValueError(f"X has {X.shape[1]} features, but this Perceptron was fitted with {self.W_.shape[0]}")

    @property
    def coef_(self) -> np.ndarray:
        self._check_fitted()
        return self.W_.T.copy()

    @property
    def intercept_(self) -> np.ndarray:
        self._check_fitted()
        return self.b_.copy()

    def decision_function(self, X) -> np.ndarray:
        """The weighted sums ``z = X @ W + b``: shape (n_samples,) for one TLU, else (n_samples, n_outputs)."""
        self._check_fitted()
        X = _check_X(X)
        self._check_n_features(X)
        Z = X @ self.W_ + self.b_
        return Z if self.multi_output_ else Z[:, 0]

    def predict(self, X) -> np.ndarray:
        """Labels (n_samples,) from ``classes_`` for one TLU, or 0/1 outputs (n_samples, n_outputs).

        The Heaviside step: a point with ``z = 0`` goes to the positive class, as
        :func:`heaviside` says (scikit-learn sends it to the negative class; in
        training it counts as a mistake for either class: ``t * z <= 0``).
        """
        Z = self.decision_function(X)
        if self.multi_output_:
            return (Z >= 0).astype(int)
        return self.classes_[(Z >= 0).astype(int)]

    def score(self, X, y) -> float:
        """Accuracy: the fraction of samples (for several outputs, of entries) predicted right."""
        return float(np.mean(self.predict(X) == np.asarray(y)))


# -------------------------------------------------------------------- demo data and the theorem
def linearly_separable(n_samples: int = 60, gap: float = 0.5, *, centre=(0.0, 0.0), random_state=None):
    """Two classes in the plane, separated by a line with a gap of at least ``gap``.

    Points are drawn uniformly in the square of side 6 around ``centre`` and
    labelled by the side of a random line through the square; points closer than
    ``gap / 2`` to the line are redrawn, so the margin of that line is at least
    ``gap / 2``.  Moving ``centre`` away from the origin makes the data harder for a
    perceptron that starts at zero (the bias has further to go).

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,) of 0/1 labels (both present)
    separator : ndarray of shape (3,)
        ``(w1, w2, b)`` of the generating line, with ``(w1, w2)`` a unit vector.
    """
    _check_positive(n_samples, "n_samples", numbers.Integral)
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2 (one per class), got {n_samples}")
    _check_positive(gap, "gap")
    if gap >= 3:
        raise ValueError(f"gap must be below 3 (the points live in [-3, 3]²), got {gap}")
    try:
        centre = np.asarray(centre, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"centre must be two numbers (x, y), got {centre!r}") from None
    if centre.shape != (2,) or not np.all(np.isfinite(centre)):
        raise ValueError(f"centre must be two finite numbers (x, y), got {centre!r}")
    rng = np.random.default_rng(random_state)
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    offset = rng.uniform(-0.5, 0.5)
    points: list[np.ndarray] = []
    while len(points) < n_samples:
        candidates = rng.uniform(-3, 3, size=(4 * n_samples, 2))
        distance = candidates @ normal + offset
        points.extend(candidates[np.abs(distance) >= gap / 2])
    X = np.array(points[:n_samples])
    y = (X @ normal + offset > 0).astype(int)
    y[:2] = [0, 1]  # both classes present: move the first two points to the matching sides
    X[:2] = [-(gap / 2 + 0.5 + offset) * normal, (gap / 2 + 0.5 - offset) * normal]
    # Shift everything by ``centre``; the separating line moves with it: w·(x - c) + offset = 0.
    return X + centre, y, np.append(normal, offset - normal @ centre)


def xor_data():
    """The four XOR points: X of shape (4, 2) and y of shape (4,), 1 where exactly one input is 1."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    return X, np.array([0, 1, 1, 0])


def _augmented(X) -> np.ndarray:
    X = _check_X(X)
    return np.hstack([X, np.ones((len(X), 1))])


def radius(X) -> float:
    """R in the convergence theorem: the largest norm of a sample with the constant 1 appended for the bias."""
    return float(np.linalg.norm(_augmented(X), axis=1).max())


def margin(X, y, separator) -> float:
    """γ: the smallest signed distance ``t (w·x + b) / ‖(w, b)‖`` of a sample to a separator.

    Parameters
    ----------
    X : array (n_samples, n_features)
    y : array (n_samples,) of two labels (the larger one is the positive class)
    separator : array (n_features + 1,)
        The weights followed by the bias.

    Positive when ``separator`` separates the data; the convergence theorem then
    bounds the perceptron's mistakes by ``(radius(X) / margin(...)) ** 2``.
    """
    Xa = _augmented(X)
    y = np.asarray(y)
    if y.shape != (len(Xa),):
        raise ValueError(f"y must have shape ({len(Xa)},) to match X, got {y.shape}")
    classes = np.unique(y)
    if len(classes) != 2:
        raise ValueError(f"y must hold exactly two classes, got {classes.tolist()[:10]}")
    u = np.asarray(separator, dtype=float)
    if u.shape != (Xa.shape[1],):
        raise ValueError(f"separator must have {Xa.shape[1]} values (weights then bias), got shape {u.shape}")
    if not np.linalg.norm(u) > 0:
        raise ValueError("separator must not be all zeros")
    t = np.where(y == classes[1], 1.0, -1.0)
    return float((t * (Xa @ u)).min() / np.linalg.norm(u))
