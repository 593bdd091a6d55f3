"""Self-checks for chapter 03's exercises (multilayer perceptrons and backpropagation).

Exercise 1 runs the learner's XOR weights through a network of step units and
asks for more than the chapter shows: whole-number weights, every unit's weighted
sum at least 1 away from 0, and the construction (A AND NOT B) OR (B AND NOT A);
exercise 2 holds the learner's shapes and forward pass against the formula
``Y = φ(φ(X W_h + b_h) W_o + b_o)``; exercise 3 reads the output-layer choices for
three tasks and accepts every sound alternative; exercise 5 compares the backward
pass of a dense layer fused with softmax and cross-entropy with the reference
(and names the usual slips: no one-hot subtraction, a missing 1/m, an overflowing
softmax), and hands the learner's gradient checker losses it cannot know in
advance, so only finite differences can pass.  A check prints one ✔ line, or
raises :class:`CheckFailed`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from neuronlab.check import CheckFailed, Verbatim, _require_callable, array_text, call_learner, passed
from neuronlab.mcp import name_two_input_function

__all__ = ["xor_weights", "mlp_shapes", "mlp_forward", "output_layer", "softmax_layer_backward",
           "gradient_errors", "sigmoid_backward", "TASKS"]


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # 1 / (1 + e^-z) without overflow


def _shape_text(shape: tuple) -> str:
    return f"shape {tuple(int(n) for n in shape)}"


# ---------------------------------------------------------------------- exercise 1: XOR by hand
_XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
_XOR_T = (0, 1, 1, 0)


def _as_float_array(value, name: str, what: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(what, f"the array {name}", Verbatim("an array of numbers"), Verbatim(repr(value)[:80]),
                          "write each array with np.array([...]) holding numbers.") from None
    if not np.all(np.isfinite(array)):
        raise CheckFailed(what, f"the array {name}", Verbatim("finite numbers"), array,
                          "every weight and bias must be a finite number (no nan or inf).")
    return array


def _xor_shapes(W1, b1, W2, b2) -> None:
    """Validate the four arrays' shapes (W1's columns set the number of hidden units)."""
    what = "the shapes of your XOR network"
    if W1.ndim != 2 or W1.shape[0] != 2:
        transposed = W1.ndim == 2 and W1.shape[1] == 2
        hint = ("W1 looks transposed: it needs one row per input (2 rows) and one column per hidden unit."
                if transposed else "W1 is a matrix with one row per input (2) and one column per hidden unit.")
        raise CheckFailed(what, "W1", Verbatim("shape (2, 2): 2 inputs × 2 hidden units"),
                          Verbatim(_shape_text(W1.shape)), hint)
    h = W1.shape[1]
    if b1.shape != (h,):
        hint = (f"b1 is a 1-D vector of {h} biases, shape ({h},), not a row or a column."
                if b1.size == h else f"one bias per hidden unit: W1 has {h} columns, so b1 has shape ({h},).")
        raise CheckFailed(what, "b1", Verbatim(f"shape ({h},)"), Verbatim(_shape_text(b1.shape)), hint)
    if W2.shape not in ((h, 1), (h,)):
        hint = ("W2 looks transposed: one row per hidden unit and one column per output, shape (h, 1)."
                if W2.shape == (1, h) else
                f"W2 has one row per hidden unit ({h}) and one column for the single output: shape ({h}, 1).")
        raise CheckFailed(what, "W2", Verbatim(f"shape ({h}, 1)"), Verbatim(_shape_text(W2.shape)), hint)
    if b2.size != 1 or b2.ndim > 1:
        raise CheckFailed(what, "b2", Verbatim("shape (1,)"), Verbatim(_shape_text(b2.shape)),
                          "one bias for the single output unit: b2 = np.array([value]).")


def _xor_table(W1, b1, W2, b2, fires=lambda z: z >= 0):
    hidden = fires(_XOR_X @ W1 + b1).astype(float)
    return tuple(int(v) for v in fires(hidden @ W2.reshape(-1, 1) + b2.reshape(1)).ravel())


def _xor_hint(table: tuple, W1, b1, W2, b2) -> str:
    name = name_two_input_function(table)
    said = f"on the four rows your network gives {list(table)}, which is {name}. "
    if W1.shape == (2, 2) and _xor_table(W1.T, b1, W2, b2) == _XOR_T:
        return said + ("W1 looks transposed: row i of W1 holds the weights *from* input i, column j the weights "
                       "*into* hidden unit j (the layer computes X @ W1).")
    if _xor_table(W1, b1, W2, b2, fires=lambda z: z > 1e-9) == _XOR_T:
        return said + ("some unit's weighted sum z is exactly 0 on a row, and the step fires at z >= 0; this "
                       "exercise wants every z at least 1 away from 0 anyway.")
    if name == "A OR B":
        return said + ("XOR is OR *except* when both inputs are on: add a hidden unit that fires only for (1, 1) "
                       "and let it pull the output down (a negative weight).")
    if name == "A AND B":
        return said + "XOR is 1 when exactly one input is on, and 0 when both are."
    if name == "XNOR":
        return said + "that is XOR upside down: negate the output unit's weights and bias."
    if name in ("always 0", "always 1"):
        return said + ("the output never changes: compare the output bias b2 with the weights W2 that feed it. "
                       "Work out each hidden unit's output on the four rows first.")
    return said + ("decide what each hidden unit should detect (chapter 01 built XOR from OR, AND and a veto), "
                   "then choose the output unit's weights to combine them.")


def _hidden_names(W1, b1) -> list[str]:
    hidden = (_XOR_X @ W1 + b1 >= 0).astype(int)
    return [name_two_input_function(tuple(column)) for column in hidden.T]


def xor_weights(W1, b1, W2, b2) -> None:
    """Check a 2-2-1 step network for XOR built as (A AND NOT B) OR (B AND NOT A), with a margin.

    ``W1`` has shape (2, 2), ``b1`` (2,), ``W2`` (2, 1) (or (2,)), ``b2`` (1,) (or a
    number); the step is 1 where its input is >= 0.  Beyond computing XOR, every
    weight and bias must be a whole number, every unit's weighted sum z must be at
    least 1 away from 0 on each of the four rows, the hidden units must compute
    A AND NOT B and B AND NOT A (the output unit is then an OR of the two: a threshold
    unit that fires for (1, 0) and (0, 1) but not (0, 0) also fires for (1, 1)).
    """
    given = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    unfilled = [name for name, value in given.items() if value is None]
    if unfilled:
        raise NotImplementedError(f"set {', '.join(unfilled)}: still None")
    what = "your XOR network"
    W1, b1, W2, b2 = (_as_float_array(value, name, what) for name, value in given.items())
    _xor_shapes(W1, b1, W2, b2)
    if W1.shape[1] != 2:
        raise CheckFailed("the shapes of your XOR network", "W1", Verbatim("shape (2, 2): 2 hidden units"),
                          Verbatim(_shape_text(W1.shape)), "the exercise asks for exactly two hidden units.")
    table = _xor_table(W1, b1, W2, b2)
    if table != _XOR_T:
        row = next(i for i in range(4) if table[i] != _XOR_T[i])
        a, b = (int(v) for v in _XOR_X[row])
        raise CheckFailed(what, f"inputs (A, B) = ({a}, {b})", _XOR_T[row], table[row],
                          _xor_hint(table, W1, b1, W2, b2))
    fractional = [name for name, value in zip(given, (W1, b1, W2, b2)) if not np.all(value == np.round(value))]
    if fractional:
        raise CheckFailed(what, ", ".join(fractional), Verbatim("whole numbers only"),
                          Verbatim(", ".join(f"{n}={array_text(v)}" for n, v in zip(given, (W1, b1, W2, b2))
                                             if n in fractional)),
                          "multiplying all the weights and the bias of one unit by the same positive number "
                          "changes nothing it computes: scale each unit until its numbers are whole.")
    hidden_names = _hidden_names(W1, b1)
    H_rows = (_XOR_X @ W1 + b1 >= 0).astype(float)
    for unit, (z_column, name) in enumerate(zip((_XOR_X @ W1 + b1).T, hidden_names), start=1):
        close = np.flatnonzero(np.abs(z_column) < 1)
        if close.size:
            a, b = (int(v) for v in _XOR_X[close[0]])
            raise CheckFailed(what, f"hidden unit {unit} at (A, B) = ({a}, {b})", Verbatim("|z| >= 1"),
                              Verbatim(f"z = {z_column[close[0]]:g}"),
                              "every weighted sum must stay at least 1 away from the step at 0, so that a "
                              "little noise on an input cannot flip the unit: scale the unit's weights and bias "
                              "up, or move the bias.")
    z_out = (H_rows @ W2.reshape(-1, 1) + b2.reshape(1)).ravel()
    close = np.flatnonzero(np.abs(z_out) < 1)
    if close.size:
        a, b = (int(v) for v in _XOR_X[close[0]])
        raise CheckFailed(what, f"the output unit at (A, B) = ({a}, {b})", Verbatim("|z| >= 1"),
                          Verbatim(f"z = {z_out[close[0]]:g}"),
                          "the output's weighted sum must also stay at least 1 away from 0 on every row.")
    if sorted(hidden_names) != ["A AND NOT B", "B AND NOT A"]:
        raise CheckFailed("your XOR network's hidden units", None,
                          Verbatim("A AND NOT B and B AND NOT A"), Verbatim(" and ".join(hidden_names)),
                          "this exercise asks for chapter 01's construction, (A AND NOT B) OR (B AND NOT A), not "
                          "chapter 02's OR, NAND and AND: give each hidden unit a positive weight from one "
                          "input and a negative one from the other.")
    passed("your network computes XOR as (A AND NOT B) OR (B AND NOT A), every |z| >= 1.")


# ---------------------------------------------------------------------- exercise 2: shapes and forward pass
_N_INPUTS, _N_HIDDEN, _N_OUTPUTS = 10, 50, 3
_SHAPE_NAMES = ("X", "W_h", "b_h", "W_o", "b_o", "Y")


def _expected_shapes(m: int) -> dict[str, tuple]:
    return {"X": (m, _N_INPUTS), "W_h": (_N_INPUTS, _N_HIDDEN), "b_h": (_N_HIDDEN,),
            "W_o": (_N_HIDDEN, _N_OUTPUTS), "b_o": (_N_OUTPUTS,), "Y": (m, _N_OUTPUTS)}


def _shape_hint(name: str, expected: tuple, got: tuple, m: int) -> str:
    if got == tuple(reversed(expected)) and len(expected) == 2:
        rows = {"X": "one row per instance (m) and one column per input",
                "W_h": "one row per input (10) and one column per hidden unit (50), so that X @ W_h works",
                "W_o": "one row per hidden unit (50) and one column per output unit (3)",
                "Y": "one row per instance (m) and one column per output unit"}[name]
        return f"{name} is transposed: it has {rows}."
    if name in ("X", "Y") and len(got) == 2 and got[1] == expected[1] and got[0] != m:
        return "the first dimension is the batch size: use the argument m rather than a fixed number."
    if name in ("b_h", "b_o"):
        if len(got) == 2 and got[-1] == expected[0] and got[0] == m and m != 1:
            return "the biases are shared by every instance in the batch: b's shape does not depend on m."
        if sorted(got) == [1, expected[0]]:
            return f"a bias vector is 1-D, shape {expected}, not a row or a column (broadcasting does the rest)."
        return f"one bias per unit of the layer: {expected[0]} of them."
    return {"X": "X holds the batch: one row per instance, one column per input feature.",
            "W_h": "W_h connects the 10 inputs to the 50 hidden units: one row per input, one column per unit.",
            "W_o": "W_o connects the 50 hidden units to the 3 output units: one row per hidden unit.",
            "Y": "Y is what the output layer gives: one row per instance, one column per output unit."}[name]


def mlp_shapes(function: Callable) -> None:
    """Check ``function(m)`` returns the shapes of X, W_h, b_h, W_o, b_o and Y for a 10-50-3 MLP and a batch of m."""
    _require_callable(function, "mlp_shapes")
    what = "your mlp_shapes"
    for m in (32, 1, 500):
        case = f"m = {m}"
        shapes = call_learner(function, (m,), what=what, case=case, expected=Verbatim("a dict of shapes"),
                              hint="it crashed; call it in a cell of your own, e.g. mlp_shapes(32).")
        if not isinstance(shapes, dict):
            raise CheckFailed(what, case, Verbatim("a dict like {'X': (m, 10), ...}"), Verbatim(type(shapes).__name__),
                              "return a dictionary with one shape per term.")
        missing = [name for name in _SHAPE_NAMES if name not in shapes]
        if missing:
            raise CheckFailed(what, case, Verbatim(f"keys {list(_SHAPE_NAMES)}"), Verbatim(f"keys {list(shapes)}"),
                              f"add the missing term(s) {missing}.")
        for name, expected in _expected_shapes(m).items():
            got = shapes[name]
            if got is None:
                raise NotImplementedError(f"fill in the shape of {name}: still None")
            try:
                if isinstance(got, str):
                    raise TypeError("a string is not a shape")
                got = tuple(int(n) for n in got)
            except (TypeError, ValueError):
                raise CheckFailed(what, f"{case}, the term {name}", expected, got,
                                  "write each shape as a tuple of integers, like (m, 4) or (5,).") from None
            if got != expected:
                raise CheckFailed(what, f"{case}, the term {name}", expected, got, _shape_hint(name, expected, got, m))
    passed("every shape is right: X (m, 10) → (m, 50) → Y (m, 3), with W_h (10, 50), W_o (50, 3).")


def relu(z):
    """max(0, z), entry by entry (an activation the checks pass to your code)."""
    return np.maximum(z, 0.0)


def tanh(z):
    """tanh(z), entry by entry (an activation the checks pass to your code)."""
    return np.tanh(z)


def sigmoid(z):
    """1 / (1 + e^−z), entry by entry (an activation the checks pass to your code)."""
    return _sigmoid(z)


_ACTIVATIONS = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}


def _forward_variants(X, W_h, b_h, W_o, b_o, phi, phi_name):
    """The formula with one of the usual slips, each with its hint."""
    yield ((phi((X @ W_h + b_h) @ W_o + b_o)),
           "apply φ to the hidden layer too: without it the two layers collapse into one linear layer.")
    yield (phi(X @ W_h + b_h) @ W_o + b_o, "apply φ to the output layer too: Y = φ(H W_o + b_o).")
    yield (phi(phi(X @ W_h) @ W_o), "add the biases: each layer computes X W + b before φ.")
    yield (phi(phi(X @ W_h) @ W_o + b_o), "the hidden layer has a bias too: φ(X W_h + b_h).")
    yield (phi(phi(X @ W_h + b_h) @ W_o), "the output layer has a bias too: φ(H W_o + b_o).")
    for name, other in _ACTIVATIONS.items():
        if name != phi_name:
            yield (other(other(X @ W_h + b_h) @ W_o + b_o),
                   f"use the activation `phi` you are given (here {phi_name}); yours seems to be fixed to {name}.")


def mlp_forward(function: Callable) -> None:
    """Check ``function(X, W_h, b_h, W_o, b_o, phi)`` computes φ(φ(X W_h + b_h) W_o + b_o), for several sizes."""
    _require_callable(function, "mlp_forward")
    what = "your mlp_forward"
    rng = np.random.default_rng(3)
    cases = [(32, 10, 50, 3, "relu"), (1, 10, 50, 3, "tanh"), (5, 4, 6, 1, "sigmoid"), (7, 3, 2, 4, "relu")]
    for m, n, h, k, phi_name in cases:
        X, W_h, b_h = rng.normal(size=(m, n)), rng.normal(size=(n, h)), rng.normal(size=h)
        W_o, b_o = rng.normal(size=(h, k)) / np.sqrt(h), rng.normal(size=k)
        phi = _ACTIVATIONS[phi_name]
        expected = phi(phi(X @ W_h + b_h) @ W_o + b_o)
        case = f"X {X.shape}, W_h {W_h.shape}, b_h {b_h.shape}, W_o {W_o.shape}, b_o {b_o.shape}, phi={phi_name}"
        got = call_learner(function, (X.copy(), W_h.copy(), b_h.copy(), W_o.copy(), b_o.copy(), phi),
                           what=what, case=case, expected=Verbatim(f"an array of shape {expected.shape}"),
                           hint="multiply in the order of the formula, X @ W_h then (…) @ W_o: each matrix's rows "
                                "match the previous layer's columns, so no transpose is needed.")
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise CheckFailed(what, case, Verbatim(f"an array of shape {expected.shape}"), Verbatim(repr(got)[:80]),
                              "return the output Y as a NumPy array.") from None
        if got.shape != expected.shape:
            hint = ("Y has one row per instance and one column per output unit: (m, k)."
                    if got.shape == expected.T.shape
                    else f"Y = φ(φ(X W_h + b_h) W_o + b_o) has shape (m, k) = {expected.shape}.")
            raise CheckFailed(what, case, Verbatim(_shape_text(expected.shape)), Verbatim(_shape_text(got.shape)), hint)
        if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            continue
        hint = next((text for variant, text in _forward_variants(X, W_h, b_h, W_o, b_o, phi, phi_name)
                     if variant.shape == got.shape and np.allclose(got, variant, rtol=1e-6, atol=1e-9)),
                    "compute the hidden layer H = φ(X W_h + b_h), then Y = φ(H W_o + b_o).")
        raise CheckFailed(what, case, array_text(expected[:2]), array_text(got[:2]),
                          hint + (" (The first two rows are shown.)" if m > 2 else ""))
    passed(f"mlp_forward computes φ(φ(X W_h + b_h) W_o + b_o) on all {len(cases)} cases, m = 1 too.")


# ---------------------------------------------------------------------- exercise 3: output layers
TASKS = {"spam": "spam detection", "mnist": "MNIST digit classification", "housing": "housing prices"}
"""The three tasks of exercise 3: key in the learner's dict → how the messages name it."""

_ACTIVATION_NAMES = {
    "sigmoid": "sigmoid", "logistic": "sigmoid", "softmax": "softmax",
    "none": "none", "linear": "none", "identity": "none", "no_activation": "none", "": "none",
    "relu": "relu", "softplus": "softplus", "tanh": "tanh", "step": "step", "heaviside": "step",
    "elu": "elu", "selu": "selu", "leaky_relu": "leaky_relu", "leakyrelu": "leaky_relu", "prelu": "leaky_relu",
    "gelu": "gelu", "swish": "swish", "silu": "swish",
}
_LOSS_NAMES = {
    "binary_crossentropy": "bce", "binary_cross_entropy": "bce", "bce": "bce", "binary_log": "bce",
    "bce_with_logits": "bce",
    "logistic": "bce", "sigmoid_cross_entropy": "bce", "binary": "bce",
    "categorical_crossentropy": "cce", "categorical_cross_entropy": "cce", "cce": "cce",
    "sparse_categorical_crossentropy": "cce", "sparse_categorical_cross_entropy": "cce",
    "softmax_cross_entropy": "cce", "nll": "cce", "negative_log_likelihood": "cce", "multiclass_log": "cce",
    "cross_entropy": "xent", "crossentropy": "xent", "log": "xent",
    "mse": "mse", "mean_squared_error": "mse", "squared_error": "mse", "l2": "mse",
    "rmse": "rmse", "root_mean_squared_error": "rmse",
    "mae": "mae", "mean_absolute_error": "mae", "absolute_error": "mae", "l1": "mae",
    "huber": "huber", "smooth_l1": "huber",
    "hinge": "hinge", "squared_hinge": "hinge",
}
_LOSS_WORDS = {"bce": "binary cross-entropy", "cce": "categorical cross-entropy", "xent": "cross-entropy",
               "mse": "MSE", "rmse": "RMSE", "mae": "MAE", "huber": "the Huber loss", "hinge": "the hinge loss"}
_EXPECTED_LAYERS = {
    "spam": "1 output, sigmoid, binary cross-entropy (or 2 outputs, softmax, categorical cross-entropy)",
    "mnist": "10 outputs, softmax, (sparse) categorical cross-entropy",
    "housing": "1 output, no activation (or ReLU/softplus to keep prices positive), MSE (or MAE, Huber)",
}
_REGRESSION_LOSSES = {"mse", "rmse", "mae", "huber"}
_CANONICAL = {  # what a hint suggests: a handful of names, not the whole table
    "activation": '"sigmoid", "softmax", "relu", "softplus", "tanh" or None (no activation)',
    "loss": ('"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "mse", '
             '"mae" or "huber"'),
}


def _normalised(value) -> str:
    text = re.sub(r"[\s\-]+", "_", value.strip().lower())
    return re.sub(r"_?loss$", "", text) if text not in ("loss",) else text


def _snake_case(value: str) -> str:
    """Keras' and PyTorch's CamelCase in snake_case: MeanSquaredError → Mean_Squared_Error, L1Loss → L1_Loss.

    A run of capitals stays one word (BCEWithLogits → BCE_With_Logits); lower-casing is left to :func:`_normalised`.
    """
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", value)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)


def _lookup(value: str, table: dict) -> str | None:
    """The table's key for a name as written ("ReLU", "mean squared error") or in CamelCase ("MeanSquaredError")."""
    for key in (_normalised(value), _normalised(_snake_case(value))):
        if key in table:
            return key
    return None


def _read_choice(value, table: dict, field: str, task: str, got: str) -> str:
    if value is None and field == "activation":
        return "none"
    if not isinstance(value, str):
        raise CheckFailed(f"your output layer for {TASKS[task]}", f"the {field}", Verbatim("a name, as a string"),
                          Verbatim(repr(value)[:80]), f"write the {field} as a string, like \"sigmoid\" or \"mse\".")
    key = _lookup(value, table)
    if key is None:
        raise CheckFailed(f"your output layer for {TASKS[task]}", f"the {field} {value!r}",
                          Verbatim(_EXPECTED_LAYERS[task]), Verbatim(got),
                          f"the check does not know the {field} {value!r}; write it like one of "
                          f"{_CANONICAL[field]} (Keras' class names, such as \"MeanSquaredError\", work too).")
    return table[key]


def _layer_problem(task: str, n: int, act: str, loss: str) -> str | None:
    """None when (n, act, loss) is a sound output layer for ``task``, else why it is not."""
    squash = {"sigmoid": "(0, 1)", "tanh": "(−1, 1)", "step": "{0, 1}"}
    if act == "softmax" and n == 1:
        return ("a softmax over a single output always gives 1 (it divides e^z by itself): "
                + ("one output needs a sigmoid." if task == "spam" else
                   "use one output per class." if task == "mnist" else "a price needs no output activation."))
    if task == "spam":
        if n == 2 and act == "sigmoid":
            return ("two sigmoid outputs answer two independent yes/no questions (multilabel, like spam *and* "
                    "urgent); 'spam or not' is one question: one sigmoid output, the probability of spam.")
        if n == 2 and act == "softmax":  # binary cross-entropy on one-hot targets equals categorical here
            return None if loss in ("cce", "xent", "bce") else (
                f"{_LOSS_WORDS[loss]} does not suit class probabilities; with two softmax outputs (one per "
                "class) the loss is categorical cross-entropy.")
        if n != 1:
            return "spam or not is a single yes/no question: one output unit, the estimated probability of spam."
        if act != "sigmoid":
            return (f"the output should be a probability between 0 and 1; {_act_words(act)} does not keep it there "
                    + ("(and a step has no gradient at all); " if act == "step" else "; ")
                    + "the logistic sigmoid does.")
        if loss in _REGRESSION_LOSSES:
            return (f"{_LOSS_WORDS[loss]} is a regression loss; for a predicted probability, binary cross-entropy "
                    "(the log loss) punishes confident mistakes much harder and gives the sigmoid good gradients.")
        if loss == "cce":
            return ("categorical cross-entropy expects one softmax output per class (with one output it is always "
                    "0); one sigmoid output goes with binary cross-entropy.")
        if loss == "hinge":
            return "the hinge loss goes with ±1 scores, not a probability: use binary cross-entropy with a sigmoid."
        return None
    if task == "mnist":
        if n != 10:
            return ("one output per class, and MNIST has 10 (the digits 0–9)"
                    + (": a single number cannot hold ten probabilities (and predicting the digit as a number "
                       "would put 3 'between' 2 and 4)." if n == 1 else "."))
        if act == "sigmoid":
            return ("ten sigmoid outputs are ten independent yes/no answers (multilabel) whose probabilities need "
                    "not sum to 1; each image is exactly one digit, the classes exclude each other: softmax.")
        if act != "softmax":
            return (f"the outputs should be a probability distribution over the 10 classes; {_act_words(act)} does "
                    "not give one. Softmax makes them positive and sum to 1.")
        if loss == "bce":
            return ("binary cross-entropy treats the 10 outputs as separate yes/no questions; for exclusive classes "
                    "use categorical cross-entropy (sparse_categorical_crossentropy with integer labels 0–9).")
        if loss in _REGRESSION_LOSSES or loss == "hinge":
            return (f"{_LOSS_WORDS[loss]} does not suit class probabilities: use categorical cross-entropy "
                    "(sparse with integer labels 0–9).")
        return None
    # housing
    if n != 1:
        return "a price is one number: one output unit per value predicted."
    if act in squash:
        return (f"{_act_words(act)} squeezes the output into {squash[act]}: a price in the hundreds of thousands "
                "could never come out (unless you scaled the labels to that range). Use no activation, or ReLU or "
                "softplus to keep prices positive.")
    if act not in ("none", "relu", "softplus"):
        return (f"{_act_words(act)} is a hidden-layer activation; a regression output usually has none "
                "(or ReLU/softplus when the value must be positive).")
    if loss not in _REGRESSION_LOSSES:
        return (f"{_LOSS_WORDS[loss]} compares classes or probabilities; a price is a quantity: use the mean squared "
                "error (or MAE or Huber when there are outliers).")
    return None


def _act_words(act: str) -> str:
    return "no activation" if act == "none" else {"relu": "ReLU"}.get(act, act)


def output_layer(answers, task: str) -> None:
    """Check ``answers[task]`` = {"n_outputs": int, "activation": str or None, "loss": str} for one task.

    ``task`` is "spam", "mnist" or "housing".  Common names and spellings are
    accepted (``"binary_crossentropy"``, ``"log loss"``, ``"linear"`` …), Keras'
    and PyTorch's class names too (``"MeanSquaredError"``, ``"BCELoss"`` …);
    ``activation=None`` means no activation.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}")
    what = f"your output layer for {TASKS[task]}"
    if not isinstance(answers, dict) or task not in answers:
        got = f"keys {list(answers)}" if isinstance(answers, dict) else type(answers).__name__
        raise CheckFailed(what, None, Verbatim(f"a dict with the key {task!r}"), Verbatim(got),
                          "fill in the dictionary given in the exercise.")
    entry = answers[task]
    fields = ("n_outputs", "activation", "loss")
    if not isinstance(entry, dict) or any(field not in entry for field in fields):
        raise CheckFailed(what, None, Verbatim("a dict with keys 'n_outputs', 'activation', 'loss'"),
                          Verbatim(repr(entry)[:80]), "keep the three keys of the template.")
    for field in ("n_outputs", "loss"):
        if entry[field] is None:
            raise NotImplementedError(f"fill in output_layers[{task!r}][{field!r}]: still None")
    n = entry["n_outputs"]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer, float, np.floating)) or n != int(n) or n < 0:
        raise CheckFailed(what, "n_outputs", Verbatim("a whole number"), Verbatim(repr(n)[:80]),
                          "n_outputs is how many units the output layer has, an integer.")
    n = int(n)
    got = f"{n} output{'s' if n != 1 else ''}, activation {entry['activation']!r}, loss {entry['loss']!r}"
    act = _read_choice(entry["activation"], _ACTIVATION_NAMES, "activation", task, got)
    loss = _read_choice(entry["loss"], _LOSS_NAMES, "loss", task, got)
    problem = _layer_problem(task, n, act, loss)
    if problem:
        raise CheckFailed(what, None, Verbatim(_EXPECTED_LAYERS[task]), Verbatim(got), problem)
    loss_words = _LOSS_WORDS[loss]
    if isinstance(entry["loss"], str) and _normalised(entry["loss"]).startswith("sparse"):
        loss_words = "sparse " + loss_words  # integer labels, the same loss
    note = {"relu": " (ReLU keeps the predicted prices positive)", "softplus": " (softplus keeps prices positive)"}
    note = note.get(act, "") if task == "housing" else ""
    if task == "spam" and act == "softmax" and loss == "bce":
        note = (" (with one-hot targets over two softmax outputs it equals categorical cross-entropy, the "
                "usual name for this loss)")
    layer = f"{n} {'' if act == 'none' else _act_words(act) + ' '}output{'s' if n != 1 else ''}"
    passed(f"{TASKS[task]}: {layer}{' with no activation' if act == 'none' else ''} and {loss_words}"
           f"{note} is right.")


# ---------------------------------------------------------------------- exercise 5: backward passes
def _dense_reference(X, W, b, dZ):
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _softmax_layer_reference(X, W, b, y):
    """Gradients of mean cross-entropy(softmax(X W + b), y): dZ = (P − onehot(y)) / m, then the dense layer."""
    P = _softmax(X @ W + b)
    P[np.arange(len(y)), y] -= 1
    return _dense_reference(X, W, b, P / len(y))


def _softmax_layer_cases():
    """X, W, b, y: a general batch, one sample, two classes, a square layer, and logits near 1000."""
    rng = np.random.default_rng(11)
    cases = []
    for m, n, k, scale in [(6, 4, 3, 1.0), (1, 3, 4, 1.0), (5, 3, 2, 1.0), (4, 4, 4, 1.0), (3, 2, 3, 1500.0)]:
        X, W, b = rng.normal(size=(m, n)), scale * rng.normal(size=(n, k)), rng.normal(size=k)
        cases.append((X, W, b, rng.integers(0, k, size=m)))
    return cases


def _softmax_layer_slips(X, W, b, y):
    """(gradients, hint) for the usual wrong versions of the whole backward pass."""
    m = len(y)
    P = _softmax(X @ W + b)
    onehot = np.eye(W.shape[1])[y]
    yield _dense_reference(X, W, b, P - onehot), (
        "the loss is the *mean* over the batch: dZ = (softmax(Z) − onehot(y)) / m; you left out the 1/m.")
    yield _dense_reference(X, W, b, P / m), (
        "the gradient of the cross-entropy with respect to the logits is p − onehot(y): subtract 1 from each "
        "row's probability of its true class.")
    yield _dense_reference(X, W, b, (onehot - P) / m), (
        "the sign is flipped: dZ = (p − onehot(y)) / m, the way the loss grows, not the way it falls.")
    dX, dW, db = _dense_reference(X, W, b, (P - onehot) / m)
    yield (dX, dW, db / m), "db is the sum of dZ over the batch; the 1/m is already inside dZ."
    if W.shape[0] == W.shape[1]:
        yield (dX, dW.T, db), "dW is transposed: X.T @ dZ has W's shape (n, k), one row per input."


def softmax_layer_backward(function: Callable) -> None:
    """Check ``function(X, W, b, y) -> (dX, dW, db)`` for L = mean cross-entropy of softmax(X W + b).

    Shapes: X (m, n), W (n, k), b (k,), y (m,) integer labels → dX (m, n), dW (n, k),
    db (k,).  The batches include one sample, two classes, a square layer (where a
    transposed dW keeps its shape) and logits near 1000 (where an unshifted
    exponential overflows).
    """
    _require_callable(function, "softmax_layer_backward")
    what = "your softmax_layer_backward"
    cases = _softmax_layer_cases()
    for X, W, b, y in cases:
        (m, n), k = X.shape, W.shape[1]
        big = np.abs(X @ W + b).max() > 100
        case = f"X {X.shape}, W {W.shape}, b {b.shape}, y={y.tolist()}" + (", logits in the thousands" if big else "")
        with np.errstate(all="ignore"):
            result = call_learner(function, (X.copy(), W.copy(), b.copy(), y.copy()), what=what, case=case,
                                  expected=Verbatim("(dX, dW, db)"),
                                  expected_if_none=Verbatim("a tuple (dX, dW, db)"),
                                  hint="check each product's shapes: dX must have X's shape (m, n), dW W's shape "
                                       "(n, k), db b's shape (k,); dZ = (softmax(Z) − onehot(y)) / m is (m, k).")
        got = _unpack_gradients(result, case, what)
        expected_all = _softmax_layer_reference(X, W, b, y)
        for name, expected, mine in zip(("dX", "dW", "db"), expected_all, got):
            of = {"dX": "X", "dW": "W", "db": "b"}[name]
            if mine.shape != expected.shape:
                hint = (_db_shape_hint(mine.shape, m, k) if name == "db" else None) or (
                    f"a gradient has the shape of what it is the gradient of: {name} has {of}'s shape "
                    f"{expected.shape}." + (" Did you transpose it?" if mine.shape == expected.T.shape else ""))
                raise CheckFailed(what, f"{case}, {name}", Verbatim(_shape_text(expected.shape)),
                                  Verbatim(_shape_text(mine.shape)), hint)
        if all(np.allclose(mine, expected, rtol=1e-6, atol=1e-9) for mine, expected in zip(got, expected_all)):
            continue
        if big and not all(np.all(np.isfinite(g)) for g in got):
            hint = ("the exponential overflowed: subtract each row's largest logit before np.exp (softmax does "
                    "not change when a constant is added to a row).")
        else:
            hint = next((text for slip, text in _softmax_layer_slips(X, W, b, y)
                         if all(g.shape == s.shape and np.allclose(g, s, rtol=1e-6, atol=1e-9)
                                for g, s in zip(got, slip))),
                        "first dZ = (softmax(Z) − onehot(y)) / m, then the dense layer: dX = dZ W^T, "
                        "dW = X^T dZ, db = the sum of dZ over the batch.")
        name = next(n for n, e, g in zip(("dX", "dW", "db"), expected_all, got)
                    if not np.allclose(g, e, rtol=1e-6, atol=1e-9))
        index = ("dX", "dW", "db").index(name)
        raise CheckFailed(what, f"{case}, {name}", array_text(expected_all[index]), array_text(got[index]), hint)
    passed(f"softmax_layer_backward is right on all {len(cases)} batches, huge logits included.")


def _db_shape_hint(got_shape: tuple, m: int, k: int) -> str | None:
    if got_shape == (m, k) and m != 1:
        return ("forgot to sum db over the batch: b is added to every row of Z, so each row's gradient "
                "adds up: db has b's shape (k,).")
    if got_shape in ((1, k), (k, 1)):
        return "db must be 1-D like b, shape (k,): sum over the batch axis without keepdims."
    return None


def _unpack_gradients(result, case: str, what: str):
    try:
        dX, dW, db = result
        return tuple(np.asarray(g, dtype=float) for g in (dX, dW, db))
    except (TypeError, ValueError):
        raise CheckFailed(what, case, Verbatim("a tuple (dX, dW, db)"), Verbatim(repr(result)[:120]),
                          "return the three gradients, in this order, as a tuple (dX, dW, db).") from None


def _tanh_layer(G):
    """A loss the learner cannot guess, L = sum(tanh(X W + b) * G), and its correct backward pass."""
    def loss(X, W, b):
        return float(np.sum(np.tanh(X @ W + b) * G))

    def backward(X, W, b):
        return _dense_reference(X, W, b, G * (1 - np.tanh(X @ W + b) ** 2))
    return loss, backward


def _broken(backward: Callable, kind: str) -> Callable:
    def broken(X, W, b):
        dX, dW, db = backward(X, W, b)
        if kind == "W":
            dW = 1.01 * dW
        elif kind == "X":
            dX = -dX
        elif kind == "b":
            db = np.zeros_like(db)
        return dX, dW, db
    broken.__name__ = f"backward_with_a_wrong_d{kind}"
    return broken


def _errors(function, loss, backward, arrays, case: str, what: str) -> dict:
    result = call_learner(function, (loss, backward, *(a.copy() for a in arrays)), what=what, case=case,
                          expected=Verbatim("{'X': error, 'W': error, 'b': error}"),
                          expected_if_none=Verbatim("a dict of relative errors"),
                          hint="it crashed; try it on small arrays in a cell of your own.")
    if not isinstance(result, dict) or sorted(result) != ["W", "X", "b"]:
        raise CheckFailed(what, case, Verbatim("{'X': error, 'W': error, 'b': error}"), Verbatim(repr(result)[:120]),
                          "return a dict with exactly the keys 'X', 'W' and 'b', each a relative error (a number).")
    try:
        return {name: float(np.asarray(value, dtype=float).reshape(())) for name, value in result.items()}
    except (TypeError, ValueError):
        raise CheckFailed(what, case, Verbatim("one number per key"), Verbatim(repr(result)[:120]),
                          "each value is one number: relative_error(claimed, numerical).") from None


def gradient_errors(function: Callable) -> None:
    """Check ``function(loss, backward, X, W, b)`` returns {"X", "W", "b"} relative errors of backward.

    ``loss(X, W, b)`` returns a number and ``backward(X, W, b)`` claims its gradients
    (dX, dW, db).  The losses are ones the learner cannot know in advance (a tanh
    layer weighted by a hidden random matrix), so only finite differences of the
    given ``loss`` can tell a right gradient from a wrong one.  The function gets
    a correct backward pass (every error below 1e-6) and three broken ones (the
    broken gradient's error above 1e-3, the others below 1e-6), one of them only
    1 % off.
    """
    _require_callable(function, "gradient_errors")
    what = "your gradient_errors"
    rng = np.random.default_rng(4)
    arrays = (rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2))
    loss, correct = _tanh_layer(rng.normal(size=(4, 2)))
    correct.__name__ = "a_correct_backward"
    shapes = "X (4, 3), W (3, 2), b (2,)"
    errors = _errors(function, loss, correct, arrays, f"a correct backward pass, {shapes}", what)
    if not all(np.isfinite(e) and 0 <= e < 1e-6 for e in errors.values()):
        raise CheckFailed(what, f"a correct backward pass, {shapes}", Verbatim("every error below 1e-6"),
                          Verbatim(str({k: f"{v:.3g}" for k, v in errors.items()})),
                          "with a correct backward pass every relative error should be tiny. Nudge each entry "
                          "of one array, evaluate the `loss` you are given, and compare each numerical gradient "
                          "with the matching output of `backward`.")
    for kind in ("W", "X", "b"):
        case = f"a backward pass whose d{kind} is wrong" + (" by 1 %" if kind == "W" else "") + f", {shapes}"
        errors = _errors(function, loss, _broken(correct, kind), arrays, case, what)
        if not errors[kind] > 1e-3:
            raise CheckFailed(what, case, Verbatim(f"a large error for {kind!r} (> 0.001)"),
                              Verbatim(str({k: f"{v:.3g}" for k, v in errors.items()})),
                              f"your function missed a wrong d{kind}. Use the `loss` and `backward` you are "
                              f"given, and get the numerical gradient by nudging {kind} itself, inside a "
                              "function of the one array that changes.")
        others = [name for name in ("X", "W", "b") if name != kind and not errors[name] < 1e-6]
        if others:
            raise CheckFailed(what, case, Verbatim(f"small errors for {others} (only d{kind} is wrong)"),
                              Verbatim(str({k: f"{v:.3g}" for k, v in errors.items()})),
                              "compare each gradient with the numerical gradient of the same array: dX with X's, "
                              "dW with W's, db with b's.")
    passed("gradient_errors passes a right backward pass and catches a wrong dX, dW and db.")


def sigmoid_backward(function: Callable) -> None:
    """Check ``function(Z, dA) -> dZ`` = dA * σ(Z) * (1 − σ(Z)) for A = σ(Z), entry by entry."""
    _require_callable(function, "sigmoid_backward")
    what = "your sigmoid_backward"
    rng = np.random.default_rng(8)
    cases = [(rng.uniform(-5, 5, size=(4, 3)), rng.normal(size=(4, 3))),
             (np.array([[0.0]]), np.array([[2.0]])),
             (rng.uniform(-30, 30, size=(2, 5)), rng.normal(size=(2, 5)))]
    for Z, dA in cases:
        case = f"Z {Z.shape} with values from {Z.min():.3g} to {Z.max():.3g}"
        s = _sigmoid(Z)
        expected = dA * s * (1 - s)
        got = call_learner(function, (Z.copy(), dA.copy()), what=what, case=case,
                           expected=Verbatim(f"an array of shape {Z.shape}"),
                           hint="everything here is entry by entry: use *, not @.")
        got = np.asarray(got, dtype=float)
        if got.shape != Z.shape:
            raise CheckFailed(what, case, Verbatim(_shape_text(Z.shape)), Verbatim(_shape_text(got.shape)),
                              "dZ has Z's shape: the sigmoid works entry by entry, so does its backward pass.")
        if np.allclose(got, expected, rtol=1e-6, atol=1e-12):
            continue
        slips = [(dA * Z * (1 - Z), "σ'(z) = σ(z)(1 − σ(z)): apply it to σ(z) = 1 / (1 + e^−z), not to z."),
                 (s * (1 - s), "chain rule: multiply σ'(Z) by the upstream gradient dA, entry by entry."),
                 (dA * s, "σ'(z) is σ(z)(1 − σ(z)), not σ(z).")]
        hint = next((text for slip, text in slips if np.allclose(got, slip, rtol=1e-6, atol=1e-12)),
                    "dZ = dA · σ'(Z), entry by entry, with σ'(z) = σ(z)(1 − σ(z)).")
        raise CheckFailed(what, case, array_text(expected), array_text(got), hint)
    passed(f"sigmoid_backward gives dZ = dA · σ(Z)(1 − σ(Z)) in all {len(cases)} cases.")
