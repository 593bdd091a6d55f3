"""Self-checks for chapter 06's exercises (vanishing and exploding gradients, stable training).

Exercise 1 checks a helper that counts the distinct columns of a gradient matrix
(the symmetry that equal initial weights never break) and two yes/no answers;
exercises 2 and 3 read choices among statements and activation functions, each
wrong choice with its own hint; exercise 4 compares batch normalisation at
inference and its fold into the previous Dense layer with the reference, and
names the usual slips (batch statistics instead of the moving averages, ε in the
wrong place, the scale applied to rows instead of columns …); exercise 5 inspects
the learner's Keras model builder and the results of their training runs.

A check prints one ✔ line, or raises :class:`~neuronlab.check.CheckFailed` with the
failing case, what was expected, what came back and a hint.  An answer still at
its template value (``None``) raises ``NotImplementedError``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from functools import partial

import numpy as np

from neuronlab import config
from neuronlab.batchnorm import batch_norm_inference as _bn_reference
from neuronlab.batchnorm import fuse_dense_batch_norm as _fuse_reference
from neuronlab.check import CheckFailed, Verbatim, _require_callable, array_text, call_learner, passed

__all__ = ["count_distinct_columns", "initial_values", "SELU_STATEMENTS", "selu_advantages", "SELU_CONDITIONS",
           "selu_conditions", "SITUATIONS", "activation_choices", "bn_inference", "fuse_dense_bn",
           "deep_mlp_builder", "VARIANTS", "comparison_results", "fastest_variant"]

_array_text = partial(array_text, threshold=20)  # an array of more than 20 numbers is summarised with "..."


# ---------------------------------------------------------------------- exercise 1: equal initial weights
def _distinct_reference(matrix: np.ndarray, tol: float = 1e-6) -> int:
    scale = float(np.max(np.abs(matrix))) or 1.0
    representatives: list[np.ndarray] = []
    for column in matrix.T:
        if not any(np.max(np.abs(column - r)) <= tol * scale for r in representatives):
            representatives.append(column)
    return len(representatives)


def _column_cases():
    rng = np.random.default_rng(6)
    base = rng.normal(size=(5, 1))
    groups = rng.normal(size=(4, 3))[:, [0, 1, 0, 2, 1, 0]]
    noisy = np.repeat(base, 4, axis=1) * (1 + 1e-12 * rng.normal(size=(5, 4)))
    return [
        ("8 equal columns", np.repeat(base, 8, axis=1)),
        ("6 columns, 3 of them different", groups),
        ("5 columns, all different", rng.normal(size=(3, 5))),
        ("a single column", base),
        ("4 columns equal up to rounding (relative differences of 1e-12)", noisy),
        ("3 equal columns whose rows are all different", np.tile(np.arange(1.0, 8.0)[:, None], (1, 3))),
    ]


def count_distinct_columns(function: Callable) -> None:
    """Check ``function(matrix)`` → how many different columns ``matrix`` has (equal up to rounding: the same)."""
    _require_callable(function, "count_distinct_columns")
    what = "your count_distinct_columns"
    for case, matrix in _column_cases():
        expected = _distinct_reference(matrix)
        got = call_learner(function, (matrix.copy(),), what=what, case=case, expected=expected,
                    hint="it crashed; try it on np.ones((3, 4)) in a cell of your own.")
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            raise CheckFailed(what, case, expected, Verbatim(repr(got)[:80]), "return a whole number (an int).")
        if int(got) == expected:
            continue
        rows = len({tuple(np.round(r, 6)) for r in matrix})
        if int(got) == rows and rows != expected:
            hint = "that is the number of different *rows*; a unit is a column of the weight matrix (matrix.T)."
        elif "rounding" in case and int(got) > expected:
            hint = ("floating-point results are rarely exactly equal: compare columns with a tolerance, for "
                    "example np.allclose(a, b).")
        elif int(got) == len(np.unique(matrix)):
            hint = "that counts different *values*; compare whole columns (matrix[:, j]) with each other."
        else:
            hint = "compare every column with the distinct columns found so far, and count the new ones."
        raise CheckFailed(what, case, expected, int(got), hint)
    passed(f"count_distinct_columns is right on all {len(_column_cases())} matrices, rounding included.")


def initial_values(same_value_ok, zero_biases_ok) -> None:
    """Check the two yes/no answers of exercise 1: equal initial weights (no) and zero biases (yes)."""
    what = "your answers on initial values"
    for name, value in (("same_value_ok", same_value_ok), ("zero_biases_ok", zero_biases_ok)):
        if value is None:
            raise NotImplementedError(f"set {name} to True or False")
        if not isinstance(value, (bool, np.bool_)):
            raise CheckFailed(what, name, Verbatim("True or False"), Verbatim(repr(value)[:80]),
                              "answer with the Python booleans True or False.")
    if same_value_ok:
        raise CheckFailed(what, "same_value_ok (all weights equal to one He-drawn value)", False, True,
                          "if every weight of a layer is the same, every unit of that layer computes the same "
                          "output and gets the same gradient, so they stay identical forever: the layer acts like a "
                          "single unit. Look at the distinct columns of the gradients above. Random weights break "
                          "this symmetry.")
    if not zero_biases_ok:
        raise CheckFailed(what, "zero_biases_ok (all biases start at 0)", True, False,
                          "the random weights already make the units different, so equal biases do no harm; 0 is "
                          "the usual start (Keras's default, bias_initializer=\"zeros\").")
    passed("equal weights keep a layer's units identical (no); zero biases are fine (yes).")


# ---------------------------------------------------------------------- exercise 2: SELU
SELU_STATEMENTS = {
    "a": "It can output negative values, so a layer's mean output can stay close to 0.",
    "b": "It is cheaper to compute than ReLU.",
    "c": "Its gradient is not 0 for negative inputs, so its units cannot die the way ReLU units do.",
    "d": ("In a plain stack of dense layers with standardised inputs and LeCun normal initialisation, the layers "
          "self-normalise: their outputs keep a mean near 0 and a standard deviation near 1, which protects "
          "against vanishing and exploding gradients."),
    "e": "It self-normalises in any architecture, including networks with skip connections and recurrent layers.",
    "f": "It is smooth everywhere, including at 0.",
    "g": "It makes the choice of weight initialisation unimportant.",
}
"""Statements for exercise 2: which are advantages of SELU over ReLU?"""
_SELU_RIGHT = {"a", "c", "d"}
_SELU_HINTS = {
    "a": "SELU's negative outputs (down to about −1.76) pull the mean of a layer towards 0; ReLU's never go below 0.",
    "b": "SELU needs an exponential for negative inputs; ReLU is a comparison: ReLU is the cheaper one.",
    "c": "for z < 0, SELU's slope is λα·e^z > 0, so a unit keeps learning; a ReLU's slope there is exactly 0.",
    "d": "this is SELU's main selling point (Klambauer et al., 2017), under exactly those conditions.",
    "e": ("self-normalisation is proved for plain stacks of dense layers; skip connections and recurrent layers "
          "break it."),
    "f": "SELU's derivative jumps at 0, from λα ≈ 1.76 to λ ≈ 1.05 (ELU with α = 1 is the smooth one).",
    "g": "SELU needs LeCun normal initialisation: with He initialisation the signal grows layer after layer.",
}

SELU_CONDITIONS = {
    "a": "The inputs are standardised (mean 0, standard deviation 1).",
    "b": "Every hidden layer's weights use LeCun normal initialisation.",
    "c": "The network is a plain sequence of dense layers.",
    "d": "Every hidden layer is followed by batch normalisation.",
    "e": "The weights use He normal initialisation.",
    "f": "Regularisation, if any, is alpha dropout (not ordinary dropout, ℓ1/ℓ2 or max-norm).",
    "g": "The inputs are scaled to the range [0, 1].",
}
"""Statements for exercise 2: which are conditions for a SELU network to self-normalise?"""
_CONDITIONS_RIGHT = {"a", "b", "c", "f"}
_CONDITION_HINTS = {
    "a": "the fixed point is mean 0 and variance 1, and the first layer needs inputs that already have them.",
    "b": "LeCun normal (variance 1/fan_in) is the initialisation the proof assumes.",
    "c": "the proof covers a plain stack of dense layers: no skip connections, no recurrent layers.",
    "d": "batch normalisation is not needed, and it changes the statistics SELU relies on.",
    "e": "He initialisation (variance 2/fan_in) is for the ReLU family; with SELU the signal then grows.",
    "f": "ordinary dropout, ℓ1/ℓ2 and max-norm disturb the statistics; alpha dropout is built to keep them.",
    "g": "[0, 1] pixels have a mean near 0.3 and a standard deviation near 0.35, not 0 and 1: standardise them.",
}


def _letters(choice, what: str, options: Mapping[str, str]) -> set[str]:
    if choice is None:
        raise NotImplementedError("fill in your set of letters")
    if isinstance(choice, str):
        choice = re.findall(r"\b[a-z]\b", choice.lower())
    try:
        letters = {str(c).strip().lower() for c in choice}
    except TypeError:
        raise CheckFailed(what, None, Verbatim("a set of letters, like {'a', 'b'}"), Verbatim(repr(choice)[:80]),
                          "write your choice as a set of strings.") from None
    unknown = sorted(letters - set(options))
    if unknown:
        raise CheckFailed(what, None, Verbatim(f"letters among {sorted(options)}"), Verbatim(str(sorted(letters))),
                          f"{unknown} are not among the statements.")
    return letters


def _choose(choice, right: set[str], hints: Mapping[str, str], options: Mapping[str, str], what: str,
            success: str) -> None:
    letters = _letters(choice, what, options)
    wrong = sorted(letters - right)
    missing = sorted(right - letters)
    if wrong or missing:
        letter = (wrong or missing)[0]
        kind = "is not right" if wrong else "is missing"
        raise CheckFailed(what, None, Verbatim(f"{len(right)} statements"), Verbatim(str(sorted(letters))),
                          f"({letter}) {kind}: {hints[letter]}" + (f" ({len(wrong) + len(missing)} letters to "
                                                                   "change in all.)" if len(wrong) + len(missing) > 1
                                                                   else ""))
    passed(success)


def selu_advantages(choice) -> None:
    """Check the set of letters from :data:`SELU_STATEMENTS` that are advantages of SELU over ReLU."""
    _choose(choice, _SELU_RIGHT, _SELU_HINTS, SELU_STATEMENTS, "your SELU advantages",
            "(a), (c), (d): negative outputs, no dead units, self-normalisation.")


def selu_conditions(choice) -> None:
    """Check the set of letters from :data:`SELU_CONDITIONS` that SELU's self-normalisation needs."""
    _choose(choice, _CONDITIONS_RIGHT, _CONDITION_HINTS, SELU_CONDITIONS, "your SELU conditions",
            "standardised inputs, LeCun normal, a plain dense stack, alpha dropout if any.")


# ---------------------------------------------------------------------- exercise 3: which activation when
SITUATIONS = {
    "deep_plain_mlp": "hidden layers of a deep plain MLP whose inputs you can standardise, and which should "
                      "normalise itself",
    "default_hidden": "hidden layers of an ordinary network that must be fast at inference",
    "dying_units": "hidden layers where many ReLU units die, but speed still matters",
    "large_model": "hidden layers of a large model where accuracy matters more than speed",
    "exclusive_classes": "the output layer of a classifier with several mutually exclusive classes",
    "binary_probability": "the output layer giving the probability of a yes/no answer",
    "bounded_output": "the output layer of a regression whose targets are scaled to [−1, 1]",
}
"""Exercise 3's situations: key in the learner's dict → description."""
_ACCEPTED = {
    "deep_plain_mlp": {"selu"},
    "default_hidden": {"relu"},
    "dying_units": {"leaky_relu", "prelu", "rrelu", "elu"},
    "large_model": {"gelu", "swish", "mish"},
    "exclusive_classes": {"softmax"},
    "binary_probability": {"sigmoid"},
    "bounded_output": {"tanh"},
}
_ALIASES = {"logistic": "sigmoid", "silu": "swish", "leakyrelu": "leaky_relu", "leaky": "leaky_relu",
            "randomized_leaky_relu": "rrelu", "parametric_relu": "prelu", "hyperbolic_tangent": "tanh"}
_SITUATION_HINTS = {
    "deep_plain_mlp": "a plain deep MLP with standardised inputs is exactly where SELU self-normalises.",
    "default_hidden": "the default for hidden layers, and the fastest: ReLU.",
    "dying_units": "a small slope for z < 0 keeps units alive at almost ReLU's cost: leaky ReLU (or PReLU, RReLU).",
    "large_model": "the smooth, non-monotonic ones used in large models: GELU, Swish/SiLU or Mish.",
    "exclusive_classes": "one probability per class, positive and summing to 1: softmax.",
    "binary_probability": "one probability between 0 and 1: the logistic sigmoid.",
    "bounded_output": "an output squeezed into (−1, 1): tanh.",
}


def _activation_name(value) -> str | None:
    if not isinstance(value, str):
        return None
    name = re.sub(r"[\s\-]+", "_", value.strip().lower())
    return _ALIASES.get(name, name)


def activation_choices(answers) -> None:
    """Check ``answers`` = {situation: activation name} for every key of :data:`SITUATIONS`."""
    what = "your activation choices"
    if not isinstance(answers, Mapping):
        raise CheckFailed(what, None, Verbatim("a dict {situation: activation name}"),
                          Verbatim(type(answers).__name__), "fill in the dictionary given in the exercise.")
    missing = [key for key in SITUATIONS if key not in answers]
    if missing:
        raise CheckFailed(what, None, Verbatim(f"the keys {list(SITUATIONS)}"), Verbatim(f"keys {list(answers)}"),
                          f"keep every key of the template; {missing} are missing.")
    for key, description in SITUATIONS.items():
        if answers[key] is None:
            raise NotImplementedError(f"fill in answers[{key!r}]")
        name = _activation_name(answers[key])
        if name is None:
            raise CheckFailed(what, description, Verbatim("an activation name, as a string"),
                              Verbatim(repr(answers[key])[:80]), "write the name as a string, like \"relu\".")
        if name not in _ACCEPTED[key]:
            expected = " or ".join(sorted(_ACCEPTED[key]))
            raise CheckFailed(what, description, Verbatim(expected), answers[key], _SITUATION_HINTS[key])
    passed(f"all {len(SITUATIONS)} choices are sound.")


# ---------------------------------------------------------------------- exercise 4: batch norm at inference
def _bn_case(rng, m: int, n: int, epsilon: float):
    return (rng.normal(2.0, 3.0, size=(m, n)), rng.uniform(0.5, 2.0, n), rng.normal(size=n),
            rng.normal(size=n), rng.uniform(0.2, 3.0, n), epsilon)


def _bn_slips(X, gamma, beta, mean, var, eps):
    batch_mean, batch_var = X.mean(axis=0), X.var(axis=0)
    return [
        (gamma * (X - batch_mean) / np.sqrt(batch_var + eps) + beta,
         "that is the *training* computation, with the batch's own mean and variance; at inference use the moving "
         "averages, so that each prediction depends on its own sample only."),
        (gamma * (X - mean) / np.sqrt(var) + beta, "add ε to the variance before the square root."),
        (gamma * (X - mean) / (np.sqrt(var) + eps) + beta, "ε goes inside the square root: √(σ² + ε)."),
        (gamma * (X - mean) / (var + eps) + beta, "divide by the standard deviation √(σ² + ε), not the variance."),
        (beta * (X - mean) / np.sqrt(var + eps) + gamma, "γ scales and β shifts: γ · x̂ + β."),
        ((X - mean) / np.sqrt(var + eps), "the learned scale γ and shift β still apply: γ · x̂ + β."),
    ]


def bn_inference(function: Callable) -> None:
    """Check ``function(X, gamma, beta, moving_mean, moving_variance, epsilon)`` → batch norm at inference, (m, n)."""
    _require_callable(function, "bn_inference")
    what = "your bn_inference"
    rng = np.random.default_rng(16)
    cases = [("a batch of 32 samples, 4 features, ε = 0.001", _bn_case(rng, 32, 4, 1e-3)),
             ("a single sample, 3 features, ε = 0.001", _bn_case(rng, 1, 3, 1e-3)),
             ("8 samples, 5 features, ε = 0.5", _bn_case(rng, 8, 5, 0.5))]
    for case, args in cases:
        expected = _bn_reference(*args[:5], epsilon=args[5])
        got = call_learner(function, tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args), what=what,
                    case=case, expected=_array_text(expected),
                    hint="it crashed; every operation here works feature by feature on (m, n) and (n,) arrays.")
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            raise CheckFailed(what, case, Verbatim(f"shape {expected.shape}"), Verbatim(f"shape {got.shape}"),
                              "the output has the shape of X: one normalised value per sample and feature.")
        if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            continue
        hint = next((text for slip, text in _bn_slips(*args) if np.allclose(got, slip, rtol=1e-6, atol=1e-9)),
                    "γ ⊗ (X − moving mean) / √(moving variance + ε) + β, feature by feature.")
        raise CheckFailed(what, case, _array_text(expected), _array_text(got), hint)
    passed(f"bn_inference matches γ(X − μ̂)/√(σ̂² + ε) + β in all {len(cases)} cases, one sample too.")


def fuse_dense_bn(function: Callable) -> None:
    """Check ``function(kernel, bias, gamma, beta, moving_mean, moving_variance, epsilon)`` → (kernel', bias').

    The fused Dense layer must compute what the Dense layer followed by batch
    normalisation (at inference) computes, for any input.
    """
    _require_callable(function, "fuse_dense_bn")
    what = "your fuse_dense_bn"
    rng = np.random.default_rng(26)
    cases = []
    for n_in, units in ((4, 4), (5, 3), (2, 6)):
        cases.append((f"a Dense layer with {n_in} inputs and {units} units", rng.normal(size=(n_in, units)),
                      rng.normal(size=units), *_bn_case(rng, 1, units, 1e-3)[1:]))
    for case, kernel, bias, gamma, beta, mean, var, eps in cases:
        expected_kernel, expected_bias = _fuse_reference(kernel, bias, gamma, beta, mean, var, epsilon=eps)
        expected = Verbatim(f"(kernel of shape {kernel.shape}, bias of shape {bias.shape})")
        result = call_learner(function, (kernel.copy(), bias.copy(), gamma.copy(), beta.copy(), mean.copy(), var.copy(), eps),
                       what=what, case=case, expected=expected,
                       hint="it crashed; s = γ / √(σ̂² + ε) has one value per unit: multiply the kernel's columns "
                            "by it (kernel * s broadcasts over the rows).")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise CheckFailed(what, case, expected, Verbatim(repr(result)[:80]), "return two arrays: (kernel, bias).")
        got_kernel, got_bias = (np.asarray(r, dtype=float) for r in result)
        if got_kernel.shape != kernel.shape or got_bias.shape != bias.shape:
            raise CheckFailed(what, case, expected,
                              Verbatim(f"(kernel of shape {got_kernel.shape}, bias of shape {got_bias.shape})"),
                              "the fused layer has the shapes of the original Dense layer.")
        scale = gamma / np.sqrt(var + eps)
        if not np.allclose(got_kernel, expected_kernel, rtol=1e-6, atol=1e-9):
            hint = "W'[:, j] = s_j · W[:, j] with s = γ / √(σ̂² + ε): scale each *column* (one per unit)."
            if kernel.shape[0] == kernel.shape[1] and np.allclose(got_kernel, kernel * scale[:, None]):
                hint = "you scaled the rows; each unit is a column of the kernel: kernel * s (s broadcast over rows)."
            elif np.allclose(got_kernel, kernel * gamma):
                hint = "divide by the standard deviation too: s = γ / √(σ̂² + ε)."
            raise CheckFailed(what, f"{case}, kernel", _array_text(expected_kernel), _array_text(got_kernel), hint)
        if not np.allclose(got_bias, expected_bias, rtol=1e-6, atol=1e-9):
            slips = [(bias * scale + beta,
                      "subtract the moving mean from the bias before scaling: s ⊗ (b − μ̂) + β."),
                     ((bias - mean) * scale, "add the shift β at the end: s ⊗ (b − μ̂) + β."),
                     (bias - mean * scale + beta, "the bias is scaled too: s ⊗ (b − μ̂) + β."),
                     (bias, "the bias changes as well: s ⊗ (b − μ̂) + β.")]
            hint = next((text for slip, text in slips if np.allclose(got_bias, slip, rtol=1e-6, atol=1e-9)),
                        "BN(x W + b) = s ⊗ (x W + b − μ̂) + β: collect what does not depend on x.")
            raise CheckFailed(what, f"{case}, bias", _array_text(expected_bias), _array_text(got_bias), hint)
    passed(f"fuse_dense_bn folds batch norm into the Dense layer exactly, for all {len(cases)} layer shapes.")


# ---------------------------------------------------------------------- exercise 5: the hands-on comparison
def _initializer_name(layer) -> str:
    return type(getattr(layer, "kernel_initializer", None)).__name__.lower()


def _activation_of(layer) -> str:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", str(activation))


def _describe_model(model) -> list[str]:
    """The model as a list of words: 'dense(100, relu, henormal)', 'batchnorm', 'relu', …"""
    import keras

    words = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            words.append(f"dense({layer.units}, {_activation_of(layer)}, {_initializer_name(layer)})")
        elif isinstance(layer, keras.layers.BatchNormalization):
            words.append("batchnorm")
        elif isinstance(layer, keras.layers.Activation):
            words.append(_activation_of(layer))
        else:
            words.append(type(layer).__name__.lower())
    return words


def deep_mlp_builder(function: Callable) -> None:
    """Check ``function(n_hidden, activation, initializer, batch_norm=False)`` builds the asked-for Keras MLP.

    Expected: input of 784 features; ``n_hidden`` Dense layers of 100 units with that
    activation (inside the Dense layer, or in an Activation layer right after it or
    after its BN layer) and that kernel initialiser; with ``batch_norm``, one
    BatchNormalization layer with a momentum of at most 0.95 (the exercise asks for
    0.9) per hidden layer, before or after the activation; a Dense output layer of 10
    softmax units.
    """
    import keras

    _require_callable(function, "deep_mlp_builder")
    what = "your build_deep_mlp"
    cases = [(3, "relu", "he_normal", False), (3, "relu", "he_normal", True), (2, "selu", "lecun_normal", False)]
    for n_hidden, activation, initializer, batch_norm in cases:
        case = f"build_deep_mlp({n_hidden}, {activation!r}, {initializer!r}, batch_norm={batch_norm})"
        expected = (f"{n_hidden} hidden Dense layers of 100 {activation} units with {initializer}"
                    + (", each with a BatchNormalization layer" if batch_norm else "") + ", then 10 softmax units")
        model = call_learner(function, (n_hidden, activation, initializer, batch_norm), what=what, case=case,
                      expected=Verbatim(expected), hint="it crashed; build it with keras.Sequential([...]).")
        if not isinstance(model, keras.Model):
            raise CheckFailed(what, case, Verbatim("a Keras model"), Verbatim(type(model).__name__),
                              "return the model itself (keras.Sequential([...])).")
        got = Verbatim(" → ".join(_describe_model(model)))
        try:
            shape = tuple(model.inputs[0].shape[1:])
        except (AttributeError, IndexError, ValueError):
            shape = None
        if shape != (784,):
            raise CheckFailed(what, case, Verbatim("an input of shape (784,)"), Verbatim(f"input shape {shape}"),
                              "start the model with keras.Input((784,)): the images are flattened to 784 values.")
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        if len(dense) != n_hidden + 1:
            raise CheckFailed(what, case, Verbatim(expected), got,
                              f"{n_hidden} hidden Dense layers plus one output layer: {n_hidden + 1} Dense layers.")
        hidden, output = dense[:-1], dense[-1]
        if any(layer.units != 100 for layer in hidden):
            raise CheckFailed(what, case, Verbatim(expected), got, "every hidden layer has 100 units.")
        if output.units != 10 or _activation_of(output) != "softmax":
            raise CheckFailed(what, case, Verbatim(expected), got,
                              "the output layer is keras.layers.Dense(10, activation=\"softmax\").")
        wanted_init = initializer.replace("_", "")
        if any(_initializer_name(layer) != wanted_init for layer in hidden):
            raise CheckFailed(what, case, Verbatim(expected), got,
                              f"pass kernel_initializer={initializer!r} to every hidden Dense layer.")
        n_bn = sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
        if n_bn != (n_hidden if batch_norm else 0):
            hint = (f"add one keras.layers.BatchNormalization() per hidden layer ({n_hidden})." if batch_norm else
                    "without batch_norm, the model has no BatchNormalization layer.")
            raise CheckFailed(what, case, Verbatim(expected), got, hint)
        slow = [layer.momentum for layer in model.layers
                if isinstance(layer, keras.layers.BatchNormalization) and layer.momentum > 0.95]
        if slow:
            raise CheckFailed(what, case, Verbatim("BatchNormalization(momentum=0.9)"),
                              Verbatim(f"momentum {slow[0]}"),
                              "with short runs, moving averages with a momentum of 0.99 are still far from the data "
                              "after the first epoch, and the validation accuracy (which uses them) is poor: "
                              "pass momentum=0.9.")
        activations = [_activation_of(layer) for layer in hidden if _activation_of(layer) != "linear"]
        activations += [_activation_of(layer) for layer in model.layers if isinstance(layer, keras.layers.Activation)]
        if sorted(activations) != [activation] * n_hidden:
            raise CheckFailed(what, case, Verbatim(expected), got,
                              f"each hidden layer needs the activation {activation!r} once: in the Dense layer, or "
                              "as keras.layers.Activation after its BatchNormalization layer.")
    passed(f"build_deep_mlp builds the right network in all {len(cases)} cases.")


VARIANTS = ("relu_he", "relu_he_bn", "selu_lecun")
"""The keys of exercise 5's results: ReLU + He, the same with batch norm, SELU + LeCun (standardised inputs)."""


def _curves(results, epochs: int, what: str) -> dict[str, list[float]]:
    if results is None:
        raise NotImplementedError("fill in results")
    if not isinstance(results, Mapping) or sorted(results) != sorted(VARIANTS):
        got = f"keys {sorted(results)}" if isinstance(results, Mapping) else type(results).__name__
        raise CheckFailed(what, None, Verbatim(f"a dict with the keys {list(VARIANTS)}"), Verbatim(got),
                          "one entry per variant, each the list of validation accuracies, one per epoch.")
    curves = {}
    for key in VARIANTS:
        try:
            values = [float(v) for v in results[key]]
        except (TypeError, ValueError):
            raise CheckFailed(what, key, Verbatim(f"a list of {epochs} accuracies"),
                              Verbatim(repr(results[key])[:80]),
                              "use history.history[\"val_accuracy\"], the list Keras records.") from None
        if len(values) != epochs:
            raise CheckFailed(what, key, Verbatim(f"{epochs} accuracies, one per epoch"),
                              Verbatim(f"{len(values)} values"), f"train each variant for exactly {epochs} epochs.")
        if not all(0 <= v <= 1 for v in values) or any(math.isnan(v) for v in values):
            raise CheckFailed(what, key, Verbatim("accuracies between 0 and 1"), Verbatim(str(values)),
                              "record the validation *accuracy* (metrics=[\"accuracy\"]), not the loss.")
        curves[key] = values
    return curves


_VARIANT_SPECS = {"relu_he": ("relu", "henormal", False), "relu_he_bn": ("relu", "henormal", True),
                  "selu_lecun": ("selu", "lecunnormal", False)}


def comparison_results(results, epochs: int, models=None, X_valid=None, y_valid=None) -> None:
    """Check exercise 5's ``results`` = {variant: [validation accuracy per epoch]} for :data:`VARIANTS`.

    Every curve must have ``epochs`` accuracies and end above 0.6 (0.25 in quick mode; chance is 0.1). With
    ``models`` (the trained models by variant) and the standardised validation set, each
    model must be the asked-for network (20 hidden layers, its activation, initialiser and
    batch norm) and score on ``X_valid`` the last accuracy of its curve: a model trained
    and validated on other inputs (the raw pixels, say) does not.
    """
    import keras

    what = "your comparison results"
    curves = _curves(results, epochs, what)
    if models is not None:
        if not isinstance(models, Mapping) or sorted(models) != sorted(VARIANTS):
            got = f"keys {sorted(models)}" if isinstance(models, Mapping) else type(models).__name__
            raise CheckFailed("your models", None, Verbatim(f"a dict with the keys {list(VARIANTS)}"),
                              Verbatim(got), "keep each trained model under its variant's name.")
        for key, (activation, initializer, batch_norm) in _VARIANT_SPECS.items():
            model = models[key]
            if not isinstance(model, keras.Model):
                raise CheckFailed("your models", key, Verbatim("a trained Keras model"),
                                  Verbatim(type(model).__name__), "store the model you trained for this variant.")
            dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
            words = [w for w in _describe_model(model) if w.startswith("dense(")]
            n_bn = sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
            hidden = dense[:-1]
            if (len(hidden) != 20 or any(_initializer_name(layer) != initializer for layer in hidden)
                    or n_bn != (20 if batch_norm else 0)):
                raise CheckFailed("your models", key,
                                  Verbatim(f"20 hidden layers of {activation} units with {initializer}"
                                           + (" and batch normalisation" if batch_norm else "")),
                                  Verbatim(f"{len(hidden)} hidden Dense layers, {n_bn} BatchNormalization "
                                           f"layers, {words[0] if words else 'no Dense layer'}…"),
                                  "build each variant with build_deep_mlp(20, …) as the list above says.")
            if X_valid is not None and y_valid is not None:
                probabilities = keras.ops.convert_to_numpy(model(np.asarray(X_valid), training=False))
                measured = float(np.mean(probabilities.argmax(axis=1) == np.asarray(y_valid)))
                if abs(measured - curves[key][-1]) > 0.005:
                    raise CheckFailed("your models", key,
                                      Verbatim(f"the model scoring its curve's last value, "
                                               f"{curves[key][-1]:.2%}, on the standardised validation set"),
                                      Verbatim(f"{measured:.2%}"),
                                      "train and validate on the standardised images (X_train_std, X_valid_std), "
                                      "and record history.history[\"val_accuracy\"] of that very model.")
    floor = 0.25 if config.quick_mode() else 0.6  # quick mode: 3,000 images, 2 epochs
    for key, values in curves.items():
        if values[-1] < floor:
            raise CheckFailed(what, key, Verbatim(f"a final validation accuracy above {floor} (chance is 0.1)"),
                              round(values[-1], 4),
                              "this variant barely learned: check its inputs (standardised?), its initialiser and "
                              "that it was compiled with the optimizer and loss of the exercise.")
    best = max(curves, key=lambda k: curves[k][-1])
    checked = ", models checked" if models is not None else ""
    passed(f"three curves of {epochs} epochs{checked}; best at the end: {best}, {curves[best][-1]:.2%}.")


def fastest_variant(results, answer, epochs: int) -> None:
    """Check that ``answer`` names the variant of ``results`` with the highest validation accuracy after epoch 1."""
    what = "your fastest variant"
    curves = _curves(results, epochs, what)
    if answer is None:
        raise NotImplementedError("set fastest to one of the variants' names")
    fastest = max(curves, key=lambda k: curves[k][0])
    if answer != fastest:
        raise CheckFailed(what, "the highest validation accuracy after the first epoch", fastest, answer,
                          "read it from your own results: results[name][0] for each variant"
                          + ("" if answer in VARIANTS else f"; the names are {list(VARIANTS)}") + ".")
    passed(f"{fastest} leads after one epoch ({curves[fastest][0]:.2%}).")
