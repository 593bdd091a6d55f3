"""Chapter 03's self-checks: right answers pass with one ✔ line, each classic slip gets its own hint."""

from __future__ import annotations

import re

import numpy as np
import pytest

from neuronlab.autodiff import numerical_gradient, relative_error
from neuronlab.check import CheckFailed, ch03


# --------------------------------------------------------------------- reference answers
def _step(z):
    return (z >= 0).astype(float)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# (A AND NOT B) OR (B AND NOT A), whole numbers, every |z| >= 1
XOR = dict(W1=np.array([[2.0, -2.0], [-2.0, 2.0]]), b1=np.array([-1.0, -1.0]),
           W2=np.array([[2.0], [2.0]]), b2=np.array([-1.0]))


def good_shapes(m):
    return {"X": (m, 10), "W_h": (10, 50), "b_h": (50,), "W_o": (50, 3), "b_o": (3,), "Y": (m, 3)}


def good_forward(X, W_h, b_h, W_o, b_o, phi):
    return phi(phi(X @ W_h + b_h) @ W_o + b_o)


LAYERS = {
    "spam": {"n_outputs": 1, "activation": "sigmoid", "loss": "binary_crossentropy"},
    "mnist": {"n_outputs": 10, "activation": "softmax", "loss": "sparse_categorical_crossentropy"},
    "housing": {"n_outputs": 1, "activation": "none", "loss": "mse"},
}


def good_backward(X, W, b, y):
    Z = X @ W + b
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1
    dZ = P / len(y)
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def good_errors(loss, backward, X, W, b):
    claimed = dict(zip("XWb", backward(X, W, b)))
    numerical = {"X": numerical_gradient(lambda x: loss(x, W, b), X),
                 "W": numerical_gradient(lambda w: loss(X, w, b), W),
                 "b": numerical_gradient(lambda c: loss(X, W, c), b)}
    return {name: relative_error(claimed[name], numerical[name]) for name in "XWb"}


def good_sigmoid_backward(Z, dA):
    s = _sigmoid(Z)
    return dA * s * (1 - s)


def _stub(*args, **kwargs):
    raise NotImplementedError()


# --------------------------------------------------------------------- right answers pass
def test_right_answers_print_one_tick_line_each(capsys):
    ch03.xor_weights(**XOR)
    ch03.mlp_shapes(good_shapes)
    ch03.mlp_forward(good_forward)
    for task in ch03.TASKS:
        ch03.output_layer(LAYERS, task)
    ch03.softmax_layer_backward(good_backward)
    ch03.gradient_errors(good_errors)
    ch03.sigmoid_backward(good_sigmoid_backward)
    lines = capsys.readouterr().out.strip().splitlines()  # a long ✔ message wraps onto "  " lines
    ticks = [line for line in lines if line.startswith("✔")]
    assert len(ticks) == 9 and all(line.startswith(("✔", "  ")) for line in lines), lines


def test_xor_accepts_swapped_units_vectors_and_plain_lists(capsys):
    # the hidden units in the other order; W2 as a vector and b2 as a number
    ch03.xor_weights([[-3, 2], [2, -3]], [-1, -1], np.array([5.0, 5.0]), -2)
    assert capsys.readouterr().out.count("✔") == 1


@pytest.mark.parametrize("weights, words", [
    (dict(W1=np.array([[1.0, -1.0], [1.0, -1.0]]), b1=np.array([-0.5, 1.5]),  # chapter 02, copied
          W2=np.array([[1.0], [1.0]]), b2=np.array([-1.5])), "whole numbers only"),
    (dict(W1=np.array([[2.0, -2.0], [2.0, -2.0]]), b1=np.array([-1.0, 3.0]),  # chapter 02, doubled
          W2=np.array([[2.0], [2.0]]), b2=np.array([-3.0])), "chapter 01's construction"),
    (dict(W1=np.array([[1.0, -1.0], [-1.0, 1.0]]), b1=np.array([-1.0, -1.0]),  # z = 0 at (1, 0)
          W2=np.array([[2.0], [2.0]]), b2=np.array([-1.0])), r"\|z\| >= 1"),
    (dict(W2=np.array([[1.0], [1.0]]), b2=np.array([-1.0])), "output unit at"),  # z_out = 0 on a row
    (dict(W2=np.array([[2.0], [2.0]]), b2=np.array([-3.0])), "always 0"),
])
def test_xor_weights_asks_for_more_than_the_chapter_shows(weights, words):
    with pytest.raises(CheckFailed, match=words):
        ch03.xor_weights(**{**XOR, **weights})


@pytest.mark.parametrize("change, words", [
    (dict(W1=np.array([[2.0, 0.0], [0.0, 2.0]])), "which is A OR B"),
    (dict(W1=np.array([[2.0, 0.0], [0.0, 2.0]]), b1=np.array([-1.0, -1.0]),
          W2=np.array([[2.0], [2.0]]), b2=np.array([-3.0])), "which is A AND B"),
    (dict(W2=np.array([[-2.0], [-2.0]]), b2=np.array([1.0])), "XOR upside down"),     # XNOR
    (dict(b2=np.array([5.0])), "never changes"),
])
def test_xor_weights_names_the_slip(change, words):
    with pytest.raises(CheckFailed) as failure:
        ch03.xor_weights(**{**XOR, **change})
    message = str(failure.value)
    assert "your XOR network" in message and "expected" in message and "got" in message and "inputs (A, B)" in message
    assert words in message, message


def test_xor_weights_recognises_a_transposed_square_W1():
    # hidden unit 1 = A AND NOT B with a bias of its own, so that W1.T computes something else
    right = dict(W1=np.array([[2.0, -3.0], [-2.0, 2.0]]), b1=np.array([-1.0, -1.0]),
                 W2=np.array([[2.0], [2.0]]), b2=np.array([-1.0]))
    ch03.xor_weights(**right)
    with pytest.raises(CheckFailed, match="W1 looks transposed|which is"):
        ch03.xor_weights(**{**right, "W1": np.array([[2.0, 2.0], [-3.0, -2.0]])})


@pytest.mark.parametrize("change, words", [
    (dict(W1=np.ones((3, 2))), "W1 looks transposed"),
    (dict(W1=np.ones(2)), "one row per input"),
    (dict(b1=np.array([[-1.0], [-1.0]])), "not a row or a column"),
    (dict(b1=np.array([-1.0])), "one bias per hidden unit"),
    (dict(W2=np.array([[1.0, -1.0]])), "W2 looks transposed"),
    (dict(W2=np.ones((3, 1))), "one row per hidden unit"),
    (dict(b2=np.array([0.5, 0.5])), "one bias for the single output"),
    (dict(W1="[[1, 1], [1, 1]]"), "np.array"),
    (dict(b2=np.array([np.nan])), "finite"),
])
def test_xor_weights_explains_wrong_shapes_and_types(change, words):
    with pytest.raises(CheckFailed, match=words):
        ch03.xor_weights(**{**XOR, **change})


def test_xor_weights_untouched_template_says_which_are_missing():
    with pytest.raises(NotImplementedError, match="W2, b2"):
        ch03.xor_weights(XOR["W1"], XOR["b1"], None, None)


# --------------------------------------------------------------------- exercise 2: shapes
@pytest.mark.parametrize("change, words", [
    ({"W_h": (50, 10)}, "W_h is transposed"),
    ({"W_o": (3, 50)}, "W_o is transposed"),
    ({"X": (10, 32)}, "X is transposed"),
    ({"b_h": (1, 50)}, "not a row or a column"),
    ({"b_o": (32, 3)}, "does not depend on m"),
    ({"Y": (32, 50)}, "one column per output unit"),
    ({"b_h": "50"}, "tuple of integers"),
])
def test_mlp_shapes_points_at_the_wrong_term(change, words):
    with pytest.raises(CheckFailed, match=words) as failure:
        ch03.mlp_shapes(lambda m: {**good_shapes(m), **change})
    assert "m = 32" in str(failure.value)


def test_mlp_shapes_with_a_fixed_batch_size_is_told_to_use_m():
    with pytest.raises(CheckFailed, match="use the argument m") as failure:
        ch03.mlp_shapes(lambda m: good_shapes(32))
    assert "m = 1" in str(failure.value)


def test_mlp_shapes_bad_returns_and_template():
    with pytest.raises(CheckFailed, match="forget a `return`"):
        ch03.mlp_shapes(lambda m: None)
    with pytest.raises(CheckFailed, match="missing term"):
        ch03.mlp_shapes(lambda m: {"X": (m, 10)})
    with pytest.raises(CheckFailed, match="dictionary"):
        ch03.mlp_shapes(lambda m: [(m, 10)])
    with pytest.raises(CheckFailed, match="ZeroDivisionError"):
        ch03.mlp_shapes(lambda m: 1 / 0)
    with pytest.raises(NotImplementedError, match="Y"):
        ch03.mlp_shapes(lambda m: {**good_shapes(m), "Y": None})
    with pytest.raises(NotImplementedError):
        ch03.mlp_shapes(_stub)
    with pytest.raises(TypeError, match="mlp_shapes must be a function"):
        ch03.mlp_shapes(good_shapes(32))


# --------------------------------------------------------------------- exercise 2: forward pass
@pytest.mark.parametrize("forward, words", [
    (lambda X, W_h, b_h, W_o, b_o, phi: phi((X @ W_h + b_h) @ W_o + b_o), "to the hidden layer too"),
    (lambda X, W_h, b_h, W_o, b_o, phi: phi(X @ W_h + b_h) @ W_o + b_o, "to the output layer too"),
    (lambda X, W_h, b_h, W_o, b_o, phi: phi(phi(X @ W_h) @ W_o), "add the biases"),
    (lambda X, W_h, b_h, W_o, b_o, phi: phi(phi(X @ W_h) @ W_o + b_o), "hidden layer has a bias"),
    (lambda X, W_h, b_h, W_o, b_o, phi: np.tanh(np.tanh(X @ W_h + b_h) @ W_o + b_o), "fixed to tanh"),
    (lambda X, W_h, b_h, W_o, b_o, phi: good_forward(X, W_h, b_h, W_o, b_o, phi).T, "one row per instance"),
    (lambda X, W_h, b_h, W_o, b_o, phi: phi(phi(X @ W_h.T + b_h) @ W_o + b_o), "no transpose is needed"),
    (lambda X, W_h, b_h, W_o, b_o, phi: None, "forget a `return`"),
    (lambda X, W_h, b_h, W_o, b_o, phi: 2 * good_forward(X, W_h, b_h, W_o, b_o, phi), "compute the hidden layer H"),
])
def test_mlp_forward_names_the_slip(forward, words):
    with pytest.raises(CheckFailed, match=words) as failure:
        ch03.mlp_forward(forward)
    assert "phi=" in str(failure.value)


def test_mlp_forward_says_two_rows_are_shown_only_when_there_are_more():
    def wrong_for(rows):
        def forward(X, W_h, b_h, W_o, b_o, phi):
            Y = good_forward(X, W_h, b_h, W_o, b_o, phi)
            return 2 * Y if len(X) in rows else Y
        return forward

    with pytest.raises(CheckFailed) as failure:  # the first case, m = 32
        ch03.mlp_forward(wrong_for({32}))
    assert "X (32, 10)" in str(failure.value) and "(The first two rows are shown.)" in str(failure.value)
    with pytest.raises(CheckFailed) as failure:  # the single-sample case: its one row is all there is
        ch03.mlp_forward(wrong_for({1}))
    message = str(failure.value)
    assert "X (1, 10)" in message and "first two rows" not in message
    assert message.count("[[") == 2  # expected and got: one row each


def test_mlp_forward_lets_the_stub_error_through_and_wants_a_function():
    with pytest.raises(NotImplementedError):
        ch03.mlp_forward(_stub)
    with pytest.raises(TypeError, match="mlp_forward must be a function"):
        ch03.mlp_forward("phi(phi(X @ W_h + b_h) @ W_o + b_o)")


# --------------------------------------------------------------------- exercise 3: output layers
@pytest.mark.parametrize("task, entry, words", [
    ("spam", (1, "softmax", "binary_crossentropy"), "always gives 1"),
    ("spam", (2, "sigmoid", "binary_crossentropy"), "multilabel"),
    ("spam", (1, "relu", "binary_crossentropy"), "probability between 0 and 1"),
    ("spam", (1, "step", "binary_crossentropy"), "no gradient"),
    ("spam", (1, "sigmoid", "mse"), "regression loss"),
    ("spam", (1, "sigmoid", "categorical_crossentropy"), "one softmax output per class"),
    ("spam", (2, "softmax", "mse"), "with two softmax outputs"),
    ("spam", (3, "sigmoid", "binary_crossentropy"), "single yes/no question"),
    ("mnist", (1, "softmax", "sparse_categorical_crossentropy"), "always gives 1"),
    ("mnist", (1, "none", "mse"), "cannot hold ten probabilities"),
    ("mnist", (9, "softmax", "categorical_crossentropy"), "MNIST has 10"),
    ("mnist", (10, "sigmoid", "binary_crossentropy"), "exclude each other: softmax"),
    ("mnist", (10, "relu", "categorical_crossentropy"), "sum to 1"),
    ("mnist", (10, "softmax", "binary_crossentropy"), "separate yes/no questions"),
    ("mnist", (10, "softmax", "mse"), "does not suit class probabilities"),
    ("housing", (1, "sigmoid", "mse"), "hundreds of thousands"),
    ("housing", (1, "softmax", "mse"), "always gives 1"),
    ("housing", (3, "none", "mse"), "one output unit per value"),
    ("housing", (1, "none", "binary_crossentropy"), "a price is a quantity"),
    ("housing", (1, "selu", "mse"), "hidden-layer activation"),
])
def test_output_layer_explains_what_is_wrong(task, entry, words):
    n, activation, loss = entry
    with pytest.raises(CheckFailed, match=words) as failure:
        ch03.output_layer({task: {"n_outputs": n, "activation": activation, "loss": loss}}, task)
    message = str(failure.value)
    assert ch03.TASKS[task] in message and "expected" in message and "got" in message


def test_output_layer_accepts_binary_cross_entropy_on_two_softmax_outputs(capsys):
    # On one-hot targets, the mean over two outputs of binary cross-entropy is -log p(class): the same loss.
    p = np.array([[0.8, 0.2], [0.3, 0.7]])
    onehot = np.array([[1.0, 0.0], [0.0, 1.0]])
    bce = -np.mean(onehot * np.log(p) + (1 - onehot) * np.log(1 - p), axis=1)
    assert np.allclose(bce, -np.log((p * onehot).sum(axis=1)))
    for loss in ("binary_crossentropy", "categorical_crossentropy"):
        ch03.output_layer({"spam": {"n_outputs": 2, "activation": "softmax", "loss": loss}}, "spam")
    out = " ".join(capsys.readouterr().out.split())  # the ✔ message is wrapped
    assert out.count("✔") == 2 and "is right" in out
    assert "equals categorical cross-entropy, the usual name for this loss" in out


@pytest.mark.parametrize("entry, words", [
    ({"n_outputs": 1, "activation": "sigmoid", "loss": "cross_entropy_of_doom"}, "does not know the loss"),
    ({"n_outputs": 1, "activation": "squiggle", "loss": "mse"}, "does not know the activation"),
    ({"n_outputs": 1, "activation": 3, "loss": "mse"}, "as a string"),
    ({"n_outputs": "one", "activation": "sigmoid", "loss": "mse"}, "whole number"),
    ({"n_outputs": 1.5, "activation": "sigmoid", "loss": "mse"}, "whole number"),
    ({"n_outputs": True, "activation": "sigmoid", "loss": "mse"}, "whole number"),
    ({"n_outputs": 1, "loss": "mse"}, "keep the three keys"),
])
def test_output_layer_bad_entries(entry, words):
    with pytest.raises(CheckFailed, match=words):
        ch03.output_layer({"spam": entry}, "spam")


def test_output_layer_bad_structure_task_and_template():
    with pytest.raises(CheckFailed, match="fill in the dictionary"):
        ch03.output_layer({"mnist": LAYERS["mnist"]}, "spam")
    with pytest.raises(CheckFailed, match="fill in the dictionary"):
        ch03.output_layer([LAYERS["spam"]], "spam")
    with pytest.raises(ValueError, match="task must be one of"):
        ch03.output_layer(LAYERS, "iris")
    template = {task: {"n_outputs": None, "activation": None, "loss": None} for task in ch03.TASKS}
    with pytest.raises(NotImplementedError, match="n_outputs"):
        ch03.output_layer(template, "housing")
    with pytest.raises(NotImplementedError, match="loss"):
        ch03.output_layer({"spam": {"n_outputs": 1, "activation": "sigmoid", "loss": None}}, "spam")


# --------------------------------------------------------------------- exercise 5: softmax layer backward
def _with_dZ(make_dZ):
    """A backward pass that computes dZ its own (wrong) way, then the dense layer right."""
    def backward(X, W, b, y):
        Z = X @ W + b
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        dZ = make_dZ(P, np.eye(W.shape[1])[y], len(y))
        return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)
    return backward


def _unshifted(X, W, b, y):
    P = np.exp(X @ W + b)
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1
    dZ = P / len(y)
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


@pytest.mark.parametrize("backward, words", [
    (_with_dZ(lambda P, Y, m: P - Y), "you left out the 1/m"),
    (_with_dZ(lambda P, Y, m: P / m), "subtract 1 from each"),
    (_with_dZ(lambda P, Y, m: (Y - P) / m), "the sign is flipped"),
    (lambda X, W, b, y: (lambda g: (g[0], g[1], g[2] / len(y)))(good_backward(X, W, b, y)), "the 1/m is already"),
    (lambda X, W, b, y: (lambda g: (g[0], g[1], g[2][None, :]))(good_backward(X, W, b, y)), "without keepdims"),
    (lambda X, W, b, y: (lambda g: (g[0], g[1].T, g[2]))(good_backward(X, W, b, y)), "transpose"),
    (_unshifted, "overflowed: subtract each row's largest logit"),
    (lambda X, W, b, y: None, "forget a `return`"),
    (lambda X, W, b, y: good_backward(X, W, b, y)[0], r"tuple \(dX, dW, db\)"),
])
def test_softmax_layer_backward_names_the_slip(backward, words):
    with pytest.raises(CheckFailed, match=words) as failure:
        ch03.softmax_layer_backward(backward)
    message = str(failure.value)
    assert "your softmax_layer_backward" in message and "Hint:" in message


def test_softmax_layer_backward_tries_one_sample_two_classes_and_huge_logits():
    seen = []

    def recording(X, W, b, y):
        seen.append((X.shape[0], W.shape[1], float(np.abs(X @ W + b).max())))
        return good_backward(X, W, b, y)
    ch03.softmax_layer_backward(recording)
    assert any(m == 1 for m, _, _ in seen) and any(k == 2 for _, k, _ in seen)
    assert any(big > 710 for _, _, big in seen)  # np.exp overflows above ~709


def test_softmax_layer_backward_lets_the_stub_error_through():
    with pytest.raises(NotImplementedError):
        ch03.softmax_layer_backward(_stub)


# --------------------------------------------------------------------- exercise 5: gradient check
def test_gradient_errors_cannot_pass_without_finite_differences_of_the_given_loss():
    def analytic(loss, backward, X, W, b):  # compares backward with itself: never sees a wrong gradient
        return {name: relative_error(g, g) for name, g in zip("XWb", backward(X, W, b))}
    with pytest.raises(CheckFailed, match="missed a wrong dW") as failure:
        ch03.gradient_errors(analytic)
    assert "Use the `loss` and `backward` you are given" in str(failure.value)

    def linear_guess(loss, backward, X, W, b):  # assumes the loss of the old exercise, sum(Z * G)
        G = np.ones((X.shape[0], W.shape[1]))
        guessed = (G @ W.T, X.T @ G, G.sum(axis=0))
        return {name: relative_error(c, g) for name, c, g in zip("XWb", backward(X, W, b), guessed)}
    with pytest.raises(CheckFailed, match="a correct backward pass"):
        ch03.gradient_errors(linear_guess)


def test_gradient_errors_that_blur_the_arrays_together_are_told_to_match_them():
    def worst_of_all(loss, backward, X, W, b):
        worst = max(good_errors(loss, backward, X, W, b).values())
        return {"X": worst, "W": worst, "b": worst}
    with pytest.raises(CheckFailed, match="dW with W's"):
        ch03.gradient_errors(worst_of_all)


@pytest.mark.parametrize("function, words", [
    (lambda loss, backward, X, W, b: None, "forget a `return`"),
    (lambda loss, backward, X, W, b: [0.0, 0.0, 0.0], "exactly the keys"),
    (lambda loss, backward, X, W, b: {"dX": 0.0, "dW": 0.0, "db": 0.0}, "exactly the keys"),
    (lambda loss, backward, X, W, b: {"X": "small", "W": 0.0, "b": 0.0}, "one number"),
    (lambda loss, backward, X, W, b: {"X": np.nan, "W": 0.0, "b": 0.0}, "every error below 1e-6"),
    (lambda loss, backward, X, W, b: relative_error(X, W), "ValueError"),
])
def test_gradient_errors_bad_returns(function, words):
    with pytest.raises(CheckFailed, match=words):
        ch03.gradient_errors(function)


def test_gradient_errors_lets_the_stub_error_through():
    with pytest.raises(NotImplementedError):
        ch03.gradient_errors(_stub)


# --------------------------------------------------------------------- exercise 5: sigmoid backward
@pytest.mark.parametrize("backward, words", [
    (lambda Z, dA: dA * Z * (1 - Z), "not to z"),
    (lambda Z, dA: _sigmoid(Z) * (1 - _sigmoid(Z)), "upstream gradient dA"),
    (lambda Z, dA: dA * _sigmoid(Z), r"not σ\(z\)"),
    (lambda Z, dA: dA @ Z, "use \\*, not @"),
    (lambda Z, dA: (dA * _sigmoid(Z) * (1 - _sigmoid(Z))).sum(axis=0), "dZ has Z's shape"),
    (lambda Z, dA: -dA * _sigmoid(Z) * (1 - _sigmoid(Z)), "entry by entry, with"),
    (lambda Z, dA: None, "forget a `return`"),
])
def test_sigmoid_backward_names_the_slip(backward, words):
    with pytest.raises(CheckFailed, match=words) as failure:
        ch03.sigmoid_backward(backward)
    assert "your sigmoid_backward" in str(failure.value)


def test_sigmoid_backward_stub_and_non_function():
    with pytest.raises(NotImplementedError):
        ch03.sigmoid_backward(_stub)
    with pytest.raises(TypeError, match="sigmoid_backward must be a function"):
        ch03.sigmoid_backward(None)


def test_sigmoid_backward_on_large_inputs_needs_no_overflow_guard(recwarn):
    ch03.sigmoid_backward(good_sigmoid_backward)  # the naive 1 / (1 + e^-z) is fine on the check's range
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_missing_return_says_what_was_expected():
    cases = [(ch03.mlp_shapes, lambda m: None, "a dict of shapes"),
             (ch03.mlp_forward, lambda X, W_h, b_h, W_o, b_o, phi: None, "an array of shape (32, 3)"),
             (ch03.softmax_layer_backward, lambda X, W, b, y: None, "a tuple (dX, dW, db)"),
             (ch03.gradient_errors, lambda loss, backward, X, W, b: None, "a dict of relative errors"),
             (ch03.sigmoid_backward, lambda Z, dA: None, "an array of shape (4, 3)")]
    for check, function, expected in cases:
        with pytest.raises(CheckFailed) as failure:
            check(function)
        assert failure.value.expected == expected and failure.value.got is None
        assert "forget a `return`" in failure.value.hint
