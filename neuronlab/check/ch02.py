"""Self-checks for chapter 02's exercises (perceptrons).

The expected answers come from :class:`neuronlab.perceptron.Perceptron`, which a
unit test holds equal to scikit-learn's; when an answer is wrong, the check
replays the usual slips (labels left as 0/1, a strict ``<`` for mistakes, the
update ``(y - ŷ)`` with the Heaviside ``ŷ``, no bias update, no learning rate) to
name the one the learner made.

The course's convention at ``z = 0``: in training a mistake is ``t * z <= 0``
(``t = ±1``), so a sample on the boundary is wrong whatever its class; a
prediction is the Heaviside step (1 at ``z = 0``).  A learner's exception is
reported as a failed case (what was tried, what was raised), never as a bare
traceback; ``NotImplementedError`` from an untouched stub passes through.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from neuronlab.check import CheckFailed, Verbatim, _require_callable, expect_equal, passed
from neuronlab.perceptron import Perceptron, linearly_separable, xor_data

_XOR_X, _XOR_Y = xor_data()


_RECIPES = {
    "20 separable points": ["from neuronlab.perceptron import linearly_separable",
                            "X, y, _ = linearly_separable(20, gap=0.6, centre=(1.0, 1.5), random_state=7)"],
    "12 separable points": ["from neuronlab.perceptron import linearly_separable",
                            "X, y, _ = linearly_separable(12, gap=1.0, random_state=3)"],
    "the XOR points ordered": ["from neuronlab.perceptron import xor_data", "X, y = xor_data()",
                               "X, y = X[[0, 3, 1, 2]], y[[0, 3, 1, 2]]"],
    "the XOR points": ["from neuronlab.perceptron import xor_data", "X, y = xor_data()"],
    "XOR shifted by +1 and reordered": ["from neuronlab.perceptron import xor_data", "X, y = xor_data()",
                                        "X, y = X[[3, 0, 2, 1]] + 1, y[[3, 0, 2, 1]]"],
    "XOR shifted by +1": ["from neuronlab.perceptron import xor_data", "X, y = xor_data()", "X = X + 1"],
    "iris petals": ["from sklearn.datasets import load_iris", "iris = load_iris()", "keep = iris.target > 0",
                    "X, y = iris.data[keep][:, 2:4], (iris.target[keep] == 2).astype(int)"],
}
"""Public code that rebuilds the data of a case (its description starts with the key; first match wins)."""


def _call(function: Callable, args: tuple, kwargs: dict, *, what: str, case: str, expected, recipe=None):
    """``function(*args, **kwargs)``, with a crash reported as a failed case (an unfinished stub passes through).

    ``recipe`` (lines of code) rebuilds the case's inputs for the hint; by default it is looked up in ``_RECIPES``.
    """
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:
        if recipe is None:
            recipe = next((lines for start, lines in _RECIPES.items() if case.startswith(start)), None)
        hint = "it raised an error on this case. Call it in a cell of your own to see which line fails"
        hint += (", on these inputs:\n" + "\n".join(f"    {line}" for line in recipe)) if recipe else "."
        raise CheckFailed(what, case, expected, Verbatim(f"{type(error).__name__}: {error}"), hint) from error


def _datasets():
    """(description, X, y, eta, max_epochs): separable and not, centred and not, η = 1 and not."""
    blobs_X, blobs_y, _ = linearly_separable(20, gap=0.6, centre=(1.0, 1.5), random_state=7)
    wide_X, wide_y, _ = linearly_separable(12, gap=1.0, random_state=3)
    order = [3, 0, 2, 1]
    from sklearn.datasets import load_iris  # bundled with scikit-learn

    iris = load_iris()
    not_setosa = iris.target > 0
    petals, virginica = iris.data[not_setosa][:, 2:4], (iris.target[not_setosa] == 2).astype(int)
    return [
        ("20 separable points, eta=1, max_epochs=100", blobs_X, blobs_y, 1.0, 100),
        ("12 separable points, eta=0.25, max_epochs=100", wide_X, wide_y, 0.25, 100),
        ("the XOR points, eta=1, max_epochs=7", _XOR_X, _XOR_Y, 1.0, 7),
        ("XOR shifted by +1 and reordered, eta=0.5, max_epochs=9", _XOR_X[order] + 1, _XOR_Y[order], 0.5, 9),
        # Not separable and no short cycle: a stopping rule other than max_epochs shows in the weights.
        ("iris petals, virginica or versicolor, eta=1, max_epochs=40", petals, virginica, 1.0, 40),
    ]


def _reference(X, y, eta, max_epochs):
    model = Perceptron(eta0=eta, max_iter=max_epochs, shuffle=False, tol=None).fit(X, y)
    return model.coef_[0], model.intercept_[0], list(model.mistakes_per_epoch_)


def _variant(X, y, eta, max_epochs, *, signed=True, strict=False, heaviside=False, bias=True, use_eta=True):
    """The rule with one of the classic slips, to recognise a learner's mistake.

    ``heaviside=True`` is the update ``eta * (y - ŷ) * x`` with ``ŷ = heaviside(z)``:
    the same as the rule except that a positive sample at ``z = 0`` looks right.
    """
    t = np.where(y == 1, 1.0, -1.0) if signed else y.astype(float)
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    step = eta if use_eta else 1.0
    for _ in range(max_epochs):
        count = 0
        for x_i, y_i, t_i in zip(X, y, t):
            z = x_i @ w + b
            margin = np.where(y_i == 1, 1, -1) * z
            if heaviside:
                wrong = int(z >= 0) != y_i
            else:
                wrong = margin < 0 if strict else margin <= 0
            if wrong:
                w, count = w + step * t_i * x_i, count + 1
                b = b + step * t_i if bias else b
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


_SLIPS = [
    (dict(signed=False), "the update must use the target as -1 or +1 (t = 2y - 1): with the 0/1 label y, a "
                         "missed negative sample (y = 0) adds nothing to w and b."),
    (dict(strict=True), "a sample with z = 0 sits on the line and counts as a mistake: test t * z <= 0, not < 0 "
                        "(from zero weights, the very first sample must trigger an update)."),
    (dict(heaviside=True), "with y_hat = heaviside(z), a positive sample at z = 0 gets y_hat = 1 and looks right, "
                           "but a sample on the line is a mistake whatever its class: with t = 2y - 1 (-1 or +1), "
                           "update when t * z <= 0, by eta * t * x and eta * t."),
    (dict(bias=False), "the bias learns too: on a mistake, b += eta * t as well as w += eta * t * x."),
    (dict(use_eta=False), "scale every update by the learning rate eta."),
]


def _unpack(result, case: str):
    if result is None:
        raise CheckFailed("your perceptron_fit", case, "a tuple (w, b, mistakes_per_epoch)", None,
                          "it returned None: did you forget a `return` statement?")
    try:
        w, b, mistakes = result
        w = np.asarray(w, dtype=float).reshape(-1)
        b = float(np.asarray(b, dtype=float).reshape(()))
        mistakes = [int(m) for m in mistakes]
    except (TypeError, ValueError):
        raise CheckFailed("your perceptron_fit", case, Verbatim("a tuple (w, b, mistakes_per_epoch)"),
                          Verbatim(repr(result)[:200]),
                          "return the weights (shape (n_features,)), the bias (a number) and the list of "
                          "mistakes made in each epoch.") from None
    return w, b, mistakes


def perceptron_fit(function: Callable) -> None:
    """Check ``function(X, y, eta, max_epochs) -> (w, b, mistakes_per_epoch)`` against the reference rule."""
    _require_callable(function, "perceptron_fit")
    for case, X, y, eta, max_epochs in _datasets():
        result = _call(function, (X.copy(), y.copy()), dict(eta=eta, max_epochs=max_epochs),
                       what="your perceptron_fit", case=case, expected=Verbatim("a tuple (w, b, mistakes_per_epoch)"))
        w, b, mistakes = _unpack(result, case)
        expected_w, expected_b, expected_mistakes = _reference(X, y, eta, max_epochs)
        if w.shape == expected_w.shape and np.allclose(w, expected_w) and np.isclose(b, expected_b) \
                and mistakes == expected_mistakes:
            continue
        hint = next((text for slip, text in _SLIPS
                     if _matches(_variant(X, y, eta, max_epochs, **slip), (w, b, mistakes))), None)
        if hint is None and mistakes != expected_mistakes:
            if len(mistakes) != len(expected_mistakes) and mistakes[:len(expected_mistakes)] == expected_mistakes:
                hint = ("stop after the first epoch without a mistake (nothing can change after it), and never "
                        "run more than max_epochs epochs.")
            else:
                hint = ("count one mistake per update in each epoch, and visit the samples in the order given "
                        "(no shuffling).")
        raise CheckFailed("your perceptron_fit", case,
                          Verbatim(f"w={np.round(expected_w, 4).tolist()}, b={expected_b:.4g}, "
                                   f"mistakes_per_epoch={expected_mistakes}"),
                          Verbatim(f"w={np.round(w, 4).tolist()}, b={b:.4g}, mistakes_per_epoch={mistakes}"),
                          hint or "compare your loop with the rule: on a mistake (t * z <= 0), "
                                  "w += eta * t * x and b += eta * t.")
    passed(f"perceptron_fit reproduces the perceptron rule on all {len(_datasets())} data sets.")


def _matches(reference, answer) -> bool:
    (rw, rb, rm), (w, b, m) = reference, answer
    return w.shape == rw.shape and np.allclose(w, rw) and np.isclose(b, rb) and m == rm


def perceptron_predict(function: Callable) -> None:
    """Check ``function(X, w, b)`` returns heaviside(X @ w + b), shape (n_samples,)."""
    _require_callable(function, "perceptron_predict")
    rng = np.random.default_rng(2)
    tie = np.array([[1.0, 1.0], [2.0, 0.0], [0.5, 0.5], [3.0, 0.0]])  # z = 0 on rows 0, 1
    cases = [(rng.normal(size=(6, 2)), np.array([1.0, -2.0]), 0.5),
             (rng.normal(size=(5, 3)), np.array([-0.5, 0.25, 2.0]), -1.0),
             (rng.normal(size=(1, 2)), np.array([0.0, 1.0]), 3.0),
             (tie, np.array([1.0, 1.0]), -2.0)]
    for X, w, b in cases:
        z = X @ w + b
        expected = (z >= 0).astype(int)
        case = f"X of shape {X.shape}, w={w.tolist()}, b={b}"
        recipe = ["import numpy as np", f"X = np.random.default_rng(0).normal(size={X.shape})",
                  f"w, b = np.array({w.tolist()}), {b}"]
        if X is tie:
            case = f"X={tie.tolist()} (z = 0 exactly on the first two rows), w={w.tolist()}, b={b}"
            recipe = ["import numpy as np", f"X = np.array({tie.tolist()})", f"w, b = np.array({w.tolist()}), {b}"]
        got = _call(function, (X.copy(), w.copy(), b), {}, what="your perceptron_predict", case=case,
                    expected=expected, recipe=recipe)
        if got is None:
            raise CheckFailed("your perceptron_predict", case, expected, None,
                              "it returned None: did you forget a `return` statement?")
        got = np.asarray(got)
        if got.shape != expected.shape:
            raise CheckFailed("your perceptron_predict", case, f"shape {expected.shape}", f"shape {got.shape}",
                              "return one 0/1 prediction per row of X: X @ w has shape (n_samples,).")
        if np.array_equal(got, 1 - expected):
            hint = "the unit fires (1) where z >= 0: your outputs are the other way round."
        elif np.array_equal(got, (z > 0).astype(int)):
            hint = ("a point exactly on the boundary (z = 0) is predicted 1: the Heaviside step is "
                    "z >= 0, not z > 0 (scikit-learn's predict differs here; this course uses Heaviside).")
        elif set(np.unique(got)) <= {-1, 1} and np.array_equal(got, 2 * expected - 1):
            hint = "predict with 0/1 labels (the Heaviside step), not -1/+1."
        else:
            hint = "compute z = X @ w + b for all rows at once, then apply the Heaviside step."
        expect_equal(expected, got, what="your perceptron_predict", case=case, hint=hint, quiet=True)
    passed(f"perceptron_predict is right on all {len(cases)} cases, z = 0 included.")


# ---------------------------------------------------------------------- exercise 2
_TWIN_CLASSES = ("Perceptron", "SGDClassifier")
"""The classes of ``sklearn.linear_model`` that can run the perceptron rule."""


def _required_settings(model, eta: float, max_epochs: int) -> list[tuple[str, object, str]]:
    """(parameter, the value the rule needs, why) for ``model``'s class."""
    settings = [
        ("eta0", eta, "the learning rate is the eta you were given"),
        ("max_iter", max_epochs, "one epoch per iteration, at most max_epochs of them"),
        ("shuffle", False, "scikit-learn shuffles the samples every epoch unless told not to; your fit visits "
                           "them in the order given"),
        ("tol", None, "scikit-learn stops once its loss stops improving by tol; your fit runs until an epoch "
                      "has no mistake or max_epochs is reached. Turn that stopping rule off"),
        ("penalty", None, "the perceptron rule has no regularisation"),
        ("fit_intercept", True, "the rule learns the bias b"),
        ("early_stopping", False, "early stopping sets part of the data aside and stops on its score"),
        ("class_weight", None, "every mistake moves the weights by the same eta"),
    ]
    if type(model).__name__ == "SGDClassifier":
        settings = [("loss", "perceptron", "SGDClassifier needs the perceptron loss, max(0, -t z)"),
                    ("learning_rate", "constant", "the perceptron rule uses a constant learning rate"),
                    ("average", False, "the rule keeps its last weights, not an average of them"),
                    *settings]
    return settings


def _same_setting(got, needed) -> bool:
    if needed is None or isinstance(needed, bool):
        return got is needed or (isinstance(got, np.bool_) and bool(got) is needed)
    if isinstance(needed, (int, float)):
        return isinstance(got, (int, float, np.number)) and not isinstance(got, bool) and bool(np.isclose(got, needed))
    return got == needed


def _mismatched_settings(model, eta: float, max_epochs: int) -> list[tuple[str, str, str, str]]:
    """(parameter, needed, got, why) for every setting of ``model`` that the rule does not share."""
    params = model.get_params()
    mismatched = []
    for name, needed, why in _required_settings(model, eta, max_epochs):
        if name not in params:
            continue
        got = params[name]
        if name == "penalty" and got is not None and params.get("alpha") == 0:
            continue  # a penalty of strength 0 is no penalty
        if not _same_setting(got, needed):
            mismatched.append((name, repr(needed), repr(got), why))
    return mismatched


def _twin_model(estimator, case: str):
    """The estimator to check: ``estimator`` itself, or the last step of a Pipeline that leaves X alone."""
    from sklearn.base import BaseEstimator
    from sklearn.pipeline import Pipeline

    expected = Verbatim("an unfitted sklearn.linear_model.Perceptron (or an SGDClassifier set up as one)")
    if estimator is None:
        raise CheckFailed("your sklearn_twin", case, Verbatim("an unfitted scikit-learn estimator"), None,
                          "it returned None: did you forget a `return` statement?")
    if isinstance(estimator, type):
        raise CheckFailed("your sklearn_twin", case, expected, Verbatim(f"the class {estimator.__name__} itself"),
                          f"return an instance: call the class with its settings, {estimator.__name__}(...).")
    if isinstance(estimator, Pipeline):
        changing = [name for name, step in estimator.steps[:-1] if step not in (None, "passthrough")]
        if changing:
            raise CheckFailed("your sklearn_twin", case, expected, Verbatim(f"a Pipeline with the steps {changing} "
                              "before the estimator"),
                              "the perceptron rule sees the raw features, and a step that changes X changes the "
                              "weights: return the estimator alone (a Pipeline of just the estimator is fine).")
        estimator = estimator.steps[-1][1]
    name = type(estimator).__name__
    if not isinstance(estimator, BaseEstimator) or not type(estimator).__module__.startswith("sklearn."):
        raise CheckFailed("your sklearn_twin", case, expected, Verbatim(f"{type(estimator).__module__}.{name}"),
                          "return one of scikit-learn's own classes (from sklearn.linear_model), unfitted.")
    if name not in _TWIN_CLASSES or not type(estimator).__module__.startswith("sklearn.linear_model"):
        raise CheckFailed("your sklearn_twin", case, expected, Verbatim(f"scikit-learn's {name}"),
                          f"{name} does not run the perceptron rule: use scikit-learn's Perceptron, or an "
                          "SGDClassifier with loss='perceptron'.")
    return estimator


def sklearn_twin(function: Callable) -> None:
    """Check ``function(eta, max_epochs)`` returns an unfitted scikit-learn estimator that learns the rule's weights.

    The estimator must be scikit-learn's ``Perceptron`` or an ``SGDClassifier``
    (alone, or as the only step of a ``Pipeline``: a step before it would change
    the features).  Its settings are compared with the rule's, all at once, then it
    is fitted on every data set of :func:`perceptron_fit`'s check and must give the
    reference ``coef_`` and ``intercept_`` (``np.allclose``).
    """
    _require_callable(function, "sklearn_twin")
    from sklearn.base import clone

    built = []
    for case, X, y, eta, max_epochs in _datasets():
        call = f"sklearn_twin(eta={eta:g}, max_epochs={max_epochs})"
        estimator = _call(function, (), dict(eta=eta, max_epochs=max_epochs), what="your sklearn_twin", case=call,
                          expected=Verbatim("an unfitted scikit-learn estimator"), recipe=[])
        built.append((case, X, y, eta, max_epochs, estimator, _twin_model(estimator, call)))
    # All the settings to change in one message, from the call where the most of them differ.
    worst = max(built, key=lambda entry: len(_mismatched_settings(entry[6], entry[3], entry[4])))
    mismatched = _mismatched_settings(worst[6], worst[3], worst[4])
    if mismatched:
        count = f"these {len(mismatched)} settings" if len(mismatched) > 1 else "this setting"
        raise CheckFailed(f"the settings of your {type(worst[6]).__name__}",
                          f"sklearn_twin(eta={worst[3]:g}, max_epochs={worst[4]})",
                          Verbatim(", ".join(f"{name}={needed}" for name, needed, _, _ in mismatched)),
                          Verbatim(", ".join(f"{name}={got}" for name, _, got, _ in mismatched)),
                          f"change {count} to run the rule of your perceptron_fit:\n"
                          + "\n".join(f"    - {name}={needed}: {why}." for name, needed, _, why in mismatched))
    for case, X, y, eta, max_epochs, estimator, _ in built:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a ConvergenceWarning is part of a wrong answer, not of the check
                fitted = clone(estimator).fit(X, y)
        except Exception as error:
            raise CheckFailed("fitting your estimator", case, Verbatim("a fitted estimator"),
                              Verbatim(f"{type(error).__name__}: {error}"),
                              "scikit-learn refused to fit it: look at the values of the settings you passed "
                              f"(print your sklearn_twin(eta={eta:g}, max_epochs={max_epochs})).") from error
        fitted = fitted.steps[-1][1] if hasattr(fitted, "steps") else fitted
        expected_w, expected_b, _ = _reference(X, y, eta, max_epochs)
        got_w, got_b = np.asarray(fitted.coef_).reshape(-1), float(np.asarray(fitted.intercept_).reshape(-1)[0])
        if np.allclose(got_w, expected_w) and np.isclose(got_b, expected_b):
            continue
        raise CheckFailed("the weights your estimator learns", case,
                          Verbatim(f"coef_={np.round(expected_w, 4).tolist()}, intercept_={expected_b:.4g}"),
                          Verbatim(f"coef_={np.round(got_w, 4).tolist()}, intercept_={got_b:.4g}"),
                          "match every setting of your perceptron_fit: order, stopping, learning rate, bias.")
    passed(f"your {type(built[-1][6]).__name__} learns the perceptron rule's weights on all "
           f"{len(built)} data sets.")


# ---------------------------------------------------------------------- exercise 3
def _reference_repeat(X, y, max_epochs):
    model = Perceptron(shuffle=False)
    history = [np.zeros(X.shape[1] + 1)]
    for _ in range(max_epochs):
        model.partial_fit(X, y, classes=[0, 1])
        history.append(np.append(model.coef_[0], model.intercept_))
        j = len(history) - 1
        for i in range(j):
            if np.allclose(history[i], history[j]):
                return (i, j)
    return None


def first_repeat(function: Callable) -> None:
    """Check ``function(X, y, max_epochs)`` returns the first (i, j) with equal end-of-epoch weights, or None.

    "First" means the smallest ``j``; epoch 0 is the all-zero start.  The cases
    include convergence (period 1), cycles of period 2 (which comparing only
    consecutive epochs misses), a repeat exactly at ``max_epochs`` (an off-by-one
    misses it), a run long enough to repeat twice (only the first repeat counts),
    and no repeat within ``max_epochs``.
    """
    _require_callable(function, "first_repeat")
    blobs_X, blobs_y, _ = linearly_separable(20, gap=0.6, centre=(1.0, 1.5), random_state=7)
    order = [0, 3, 1, 2]
    line_X, line_y = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]]), np.array([1, 1, 0])
    three_X, three_y = np.array([[0.0], [1.0], [2.0]]), np.array([1, 0, 1])
    cases = [
        ("the XOR points in the usual order, max_epochs=10", _XOR_X, _XOR_Y, 10),
        ("the XOR points ordered (0,0), (1,1), (0,1), (1,0), max_epochs=10", _XOR_X[order], _XOR_Y[order], 10),
        ("XOR shifted by +1, max_epochs=10", _XOR_X + 1, _XOR_Y, 10),
        ("XOR shifted by +1, max_epochs=4", _XOR_X + 1, _XOR_Y, 4),
        ("20 separable points, max_epochs=20", blobs_X, blobs_y, 20),
        # Cycles of period 2: (1, 3) and (2, 4), each repeat at exactly max_epochs.
        ("X=[[0, 0], [2, 0], [1, 0]], y=[1, 1, 0], max_epochs=3", line_X, line_y, 3),
        ("X=[[0], [1], [2]], y=[1, 0, 1], max_epochs=4", three_X, three_y, 4),
        # The same cycle comes round again at epochs 6 and 8: the answer is still the first repeat.
        ("X=[[0], [1], [2]], y=[1, 0, 1], max_epochs=9", three_X, three_y, 9),
    ]
    for case, X, y, max_epochs in cases:
        expected = _reference_repeat(X, y, max_epochs)
        got = _call(function, (X.copy(), y.copy()), dict(max_epochs=max_epochs), what="your first_repeat",
                    case=case, expected=expected)
        if got is not None:
            try:
                got = tuple(int(k) for k in got)
                if len(got) != 2:
                    raise ValueError
            except (TypeError, ValueError):
                raise CheckFailed("your first_repeat", case, expected, got,
                                  "return a pair of epoch numbers (i, j), or None.") from None
        if got == expected:
            continue
        raise CheckFailed("your first_repeat", case, expected, got, _repeat_hint(expected, got))
    passed(f"first_repeat finds the cycles (and the convergences) in all {len(cases)} cases.")


def _repeat_hint(expected, got) -> str:
    if expected is None:
        return "within max_epochs the weights never repeat here: return None."
    if got is None:
        return ("the weights do repeat within max_epochs. Compare the weights after every pair of epochs, not "
                "only neighbours (a cycle may take several epochs), from epoch 0 (the starting zeros) up to and "
                "including epoch max_epochs, with np.allclose.")
    if got[0] > got[1]:
        return "give the earlier epoch first: (i, j) with i < j."
    if expected[0] == 0 and got[0] != 0:
        return "include epoch 0, the all-zero starting weights, in the comparison."
    if got[0] == expected[0] and got[1] > expected[1]:
        return (f"the weights after epoch {got[0]} come back every {expected[1] - expected[0]} epoch(s); return "
                "the first time they do, the repeat with the smallest j: stop searching at the first match.")
    return ("the weights after i epochs are those of perceptron_fit(X, y, max_epochs=i): compare all pairs, "
            "and return the first repeat, the one with the smallest j.")


# ---------------------------------------------------------------------- exercise 4
_SHAPES = {"X": (32, 784), "W": (784, 10), "b": (10,), "XW": (32, 10), "XW + b": (32, 10), "H": (32, 10)}
_SHAPE_HINTS = {
    "X": "one row per image, one column per pixel: a 28 × 28 image is flattened to 784 inputs.",
    "W": "W has one row per input and one column per TLU.",
    "b": "one bias per TLU, as a 1-D vector.",
    "XW": "a (m, n) matrix times a (n, k) matrix gives (m, k).",
    "XW + b": "adding b, broadcast over the rows, does not change the shape.",
    "H": "the step applies entry by entry: it keeps the shape.",
}


def layer_shapes(shapes) -> None:
    """Check the dictionary of shapes for a batch of 32 images of 28 × 28 pixels and 10 TLUs."""
    if not isinstance(shapes, dict):
        raise CheckFailed("your shapes", None, Verbatim("a dict like {'X': (32, 784), ...}"),
                          Verbatim(type(shapes).__name__), "fill in the dictionary given in the exercise.")
    missing = [name for name in _SHAPES if name not in shapes]
    if missing:
        raise CheckFailed("your shapes", None, Verbatim(f"keys {list(_SHAPES)}"), Verbatim(f"keys {list(shapes)}"),
                          f"add the missing term(s) {missing}.")
    unfilled = [name for name in _SHAPES if shapes[name] is None]
    if unfilled:
        raise NotImplementedError(f"fill in the shape of {', '.join(unfilled)}: still None")
    for name, expected in _SHAPES.items():
        got = shapes[name]
        try:
            got = tuple(int(n) for n in got)
        except (TypeError, ValueError):
            raise CheckFailed("your shapes", f"the term {name}", expected, got,
                              "write each shape as a tuple of integers, like (3, 4) or (5,).") from None
        expect_equal(expected, got, what="your shapes", case=f"the term {name}", hint=_SHAPE_HINTS[name], quiet=True)
    passed("every shape is right: X (32, 784) @ W (784, 10) + b (10,) → H (32, 10).")


def parameter_count(count) -> None:
    """Check the number of trainable parameters of a perceptron with 784 inputs and 10 TLUs."""
    if count is None:
        raise NotImplementedError("set n_parameters to the number of parameters: it is still None")
    expected = 784 * 10 + 10
    hint = None
    if count == 784 * 10:
        hint = "each TLU also has a bias."
    elif count == 785 * 11 or count == 784 + 10:
        hint = "count one weight per (input, TLU) pair, plus one bias per TLU."
    expect_equal(expected, count, what="the number of parameters", case="784 inputs, 10 TLUs",
                 hint=hint or "weights: one per input per TLU; biases: one per TLU.", quiet=True)
    passed(f"the layer has {expected} parameters: 7840 weights and 10 biases.")


def layer_forward(function: Callable) -> None:
    """Check ``function(X, W, b)`` computes heaviside(X @ W + b) with shape (m, k)."""
    _require_callable(function, "layer_forward")
    rng = np.random.default_rng(5)
    tie = (np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([-1.0, 0.0]))
    for m, n, k in [(4, 3, 2), (1, 5, 3), (32, 784, 10), (None, None, None)]:
        if m is None:  # z = 0 exactly in two of the four entries
            X, W, b = tie
            case = f"X={X.tolist()}, W={W.tolist()}, b={b.tolist()} (z = 0 in two entries)"
            recipe = ["import numpy as np", f"X, W = np.array({X.tolist()}), np.array({W.tolist()})",
                      f"b = np.array({b.tolist()})"]
        else:
            X, W, b = rng.normal(size=(m, n)), rng.normal(size=(n, k)), rng.normal(size=k)
            case = f"X {X.shape}, W {W.shape}, b {b.shape}"
            recipe = ["import numpy as np", "rng = np.random.default_rng(0)",
                      f"X, W = rng.normal(size=({m}, {n})), rng.normal(size=({n}, {k}))",
                      f"b = rng.normal(size={k})"]
        expected = (X @ W + b >= 0).astype(int)
        got = _call(function, (X.copy(), W.copy(), b.copy()), {}, what="your layer_forward", case=case,
                    expected=Verbatim(f"an array of shape {expected.shape}"), recipe=recipe)
        if got is None:
            raise CheckFailed("your layer_forward", case, f"an array of shape {expected.shape}", None,
                              "it returned None: did you forget a `return` statement?")
        got = np.asarray(got)
        if got.shape != expected.shape:
            hint = "the output has one row per sample and one column per TLU: (m, k)."
        elif np.array_equal(got, (X @ W + b > 0).astype(int)):
            hint = "a TLU with z = 0 exactly outputs 1: the Heaviside step is z >= 0, not z > 0."
        else:
            hint = "compute X @ W + b, then the Heaviside step (1 where z >= 0)."

        if got.shape != expected.shape:
            raise CheckFailed("your layer_forward", case, f"shape {expected.shape}", f"shape {got.shape}", hint)
        expect_equal(expected, got, what="your layer_forward", case=case, hint=hint, quiet=True)
    passed("layer_forward computes heaviside(X @ W + b) on every batch, z = 0 included.")
