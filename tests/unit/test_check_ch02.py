"""Chapter 02's self-checks: right answers pass with one ✔ line, each classic slip gets its own hint."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Perceptron as SklearnPerceptron
from sklearn.linear_model import SGDClassifier

from neuronlab.check import CheckFailed, ch02


# --------------------------------------------------------------------- reference answers
def good_fit(X, y, eta=1.0, max_epochs=100):
    t = np.where(y == 1, 1.0, -1.0)
    w, b, history = np.zeros(X.shape[1]), 0.0, []
    for _ in range(max_epochs):
        mistakes = 0
        for x_i, t_i in zip(X, t):
            if t_i * (x_i @ w + b) <= 0:
                w, b, mistakes = w + eta * t_i * x_i, b + eta * t_i, mistakes + 1
        history.append(mistakes)
        if mistakes == 0:
            break
    return w, b, history


def slipped_fit(*, signed=True, strict=False, bias=True, use_eta=True, stop=True):
    def fit(X, y, eta=1.0, max_epochs=100):
        t = np.where(y == 1, 1.0, -1.0)
        w, b, history = np.zeros(X.shape[1]), 0.0, []
        for _ in range(max_epochs):
            mistakes = 0
            for x_i, y_i, t_i in zip(X, y, t):
                wrong = t_i * (x_i @ w + b) < 0 if strict else t_i * (x_i @ w + b) <= 0
                if wrong:
                    step = (eta if use_eta else 1.0) * (t_i if signed else y_i)
                    w, mistakes = w + step * x_i, mistakes + 1
                    b = b + step if bias else b
            history.append(mistakes)
            if stop and mistakes == 0:
                break
        return w, b, history
    return fit


def good_predict(X, w, b):
    return (X @ w + b >= 0).astype(int)


def good_repeat(X, y, max_epochs):
    history = [np.zeros(X.shape[1] + 1)]
    for j in range(1, max_epochs + 1):
        w, b, _ = good_fit(X, y, max_epochs=j)
        history.append(np.append(w, b))
        for i in range(j):
            if np.allclose(history[i], history[j]):
                return (i, j)
    return None


SHAPES = {"X": (32, 784), "W": (784, 10), "b": (10,), "XW": (32, 10), "XW + b": (32, 10), "H": (32, 10)}


# --------------------------------------------------------------------- right answers pass
def test_right_answers_print_one_tick_line_each(capsys):
    ch02.perceptron_fit(good_fit)
    ch02.perceptron_predict(good_predict)
    ch02.sklearn_twin(lambda eta, max_epochs: SklearnPerceptron(eta0=eta, max_iter=max_epochs, shuffle=False, tol=None))
    ch02.first_repeat(good_repeat)
    ch02.layer_shapes(SHAPES)
    ch02.parameter_count(7850)
    ch02.layer_forward(good_predict)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 7 and all(line.startswith("✔") for line in lines), lines


def test_sklearn_twin_accepts_an_sgd_classifier_configured_as_the_perceptron(capsys):
    ch02.sklearn_twin(lambda eta, max_epochs: SGDClassifier(
        loss="perceptron", learning_rate="constant", eta0=eta, penalty=None, max_iter=max_epochs,
        shuffle=False, tol=None))
    assert capsys.readouterr().out.startswith("✔")


def test_perceptron_fit_accepts_lists_and_numpy_scalars(capsys):
    def fit(X, y, eta=1.0, max_epochs=100):
        w, b, history = good_fit(X, y, eta, max_epochs)
        return list(w), np.float64(b), np.array(history)
    ch02.perceptron_fit(fit)
    assert "✔" in capsys.readouterr().out


# --------------------------------------------------------------------- each slip, its hint
@pytest.mark.parametrize("slip, words", [
    (dict(signed=False), "-1 or +1"),
    (dict(strict=True), "t * z <= 0"),
    (dict(bias=False), "the bias learns too"),
    (dict(use_eta=False), "learning rate eta"),
    (dict(stop=False), "first epoch without a mistake"),
])
def test_perceptron_fit_names_the_slip(slip, words):
    with pytest.raises(CheckFailed) as failure:
        ch02.perceptron_fit(slipped_fit(**slip))
    message = str(failure.value)
    assert "your perceptron_fit" in message and "expected" in message and "got" in message
    assert words in message, message


def test_perceptron_fit_missing_return_and_crash_are_explained():
    with pytest.raises(CheckFailed, match="forget a `return`"):
        ch02.perceptron_fit(lambda X, y, eta=1.0, max_epochs=100: None)
    with pytest.raises(CheckFailed, match="ZeroDivisionError"):
        ch02.perceptron_fit(lambda X, y, eta=1.0, max_epochs=100: 1 / 0)
    with pytest.raises(CheckFailed, match=r"tuple \(w, b, mistakes_per_epoch\)"):
        ch02.perceptron_fit(lambda X, y, eta=1.0, max_epochs=100: 42)


def test_perceptron_fit_lets_the_stub_error_through():
    def stub(X, y, eta=1.0, max_epochs=100):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        ch02.perceptron_fit(stub)


def test_perceptron_fit_shuffling_is_caught_with_the_order_hint():
    def shuffled(X, y, eta=1.0, max_epochs=100):
        order = np.random.default_rng(0).permutation(len(X))
        return good_fit(X[order], y[order], eta, max_epochs)
    with pytest.raises(CheckFailed, match="order given"):
        ch02.perceptron_fit(shuffled)


@pytest.mark.parametrize("predict, words", [
    (lambda X, w, b: 1 - good_predict(X, w, b), "other way round"),
    (lambda X, w, b: 2 * good_predict(X, w, b) - 1, "0/1 labels"),
    (lambda X, w, b: good_predict(X, w, b)[:, None], "one 0/1 prediction per row"),
    (lambda X, w, b: None, "forget a `return`"),
])
def test_perceptron_predict_names_the_mistake(predict, words):
    with pytest.raises(CheckFailed, match=words):
        ch02.perceptron_predict(predict)


@pytest.mark.parametrize("make, words", [
    (lambda eta, max_epochs: SklearnPerceptron(eta0=eta, max_iter=max_epochs, tol=None), "shuffles"),
    (lambda eta, max_epochs: SklearnPerceptron(eta0=eta, max_iter=max_epochs, shuffle=False), "tol"),
    (lambda eta, max_epochs: SklearnPerceptron(max_iter=max_epochs, shuffle=False, tol=None), "eta0"),
    (lambda eta, max_epochs: SGDClassifier(loss="perceptron", learning_rate="constant", eta0=eta,
                                           max_iter=max_epochs, shuffle=False, tol=None), "regularisation"),
    (lambda eta, max_epochs: SGDClassifier(loss="hinge", learning_rate="constant", eta0=eta, penalty=None,
                                           max_iter=max_epochs, shuffle=False, tol=None), "perceptron loss"),
])
def test_sklearn_twin_names_the_setting_to_change(make, words):
    with pytest.raises(CheckFailed, match=words) as failure:
        ch02.sklearn_twin(make)
    assert "coef_=" in str(failure.value)


def test_sklearn_twin_wants_a_scikit_learn_estimator():
    from neuronlab.perceptron import Perceptron
    with pytest.raises(CheckFailed, match="scikit-learn's own classes"):
        ch02.sklearn_twin(lambda eta, max_epochs: Perceptron(eta0=eta, max_iter=max_epochs, shuffle=False, tol=None))
    with pytest.raises(CheckFailed, match="forget a `return`"):
        ch02.sklearn_twin(lambda eta, max_epochs: None)


@pytest.mark.parametrize("answer, words", [
    (lambda X, y, max_epochs: None, "do repeat"),
    (lambda X, y, max_epochs: (lambda r: r and (r[1], r[0]))(good_repeat(X, y, max_epochs)), "earlier epoch first"),
    (lambda X, y, max_epochs: (1, 2), "Hint"),
    (lambda X, y, max_epochs: "(0, 1)", "pair of epoch numbers"),
])
def test_first_repeat_wrong_answers_fail_with_a_hint(answer, words):
    with pytest.raises(CheckFailed, match=words) as failure:
        ch02.first_repeat(answer)
    assert "Hint:" in str(failure.value)


def test_first_repeat_that_skips_epoch_zero_is_told_to_include_it():
    def skip_zero(X, y, max_epochs):
        history = {}
        for j in range(1, max_epochs + 1):
            w, b, _ = good_fit(X, y, max_epochs=j)
            history[j] = np.append(w, b)
            for i in range(1, j):
                if np.allclose(history[i], history[j]):
                    return (i, j)
        return None
    with pytest.raises(CheckFailed, match="epoch 0"):
        ch02.first_repeat(skip_zero)


def test_first_repeat_answer_none_when_the_weights_do_not_repeat_in_time():
    def never(X, y, max_epochs):
        found = good_repeat(X, y, max_epochs)
        return found if found is not None else (0, max_epochs)
    with pytest.raises(CheckFailed, match="return None"):
        ch02.first_repeat(never)


@pytest.mark.parametrize("change, words", [
    ({"X": (32, 28, 28)}, "flattened to 784"),
    ({"W": (10, 784)}, "one row per input"),
    ({"b": (1, 10)}, "one bias per TLU"),
    ({"XW": (32, 784)}, r"\(m, n\) matrix times"),
    ({"H": "(32, 10)"}, "tuple of integers"),
])
def test_layer_shapes_points_at_the_wrong_term(change, words):
    with pytest.raises(CheckFailed, match=words):
        ch02.layer_shapes({**SHAPES, **change})


def test_layer_shapes_missing_keys_and_wrong_type():
    with pytest.raises(CheckFailed, match="missing term"):
        ch02.layer_shapes({"X": (32, 784)})
    with pytest.raises(CheckFailed, match="dictionary"):
        ch02.layer_shapes([(32, 784)])


@pytest.mark.parametrize("count, words", [(7840, "also has a bias"), (794, "one weight per"), (8000, "weights: one")])
def test_parameter_count_hints(count, words):
    with pytest.raises(CheckFailed, match=words):
        ch02.parameter_count(count)


def test_layer_forward_wrong_shape_and_values():
    with pytest.raises(CheckFailed, match=r"\(m, k\)"):
        ch02.layer_forward(lambda X, W, b: (X @ W + b >= 0).astype(int).T)
    with pytest.raises(CheckFailed, match="Heaviside"):
        ch02.layer_forward(lambda X, W, b: (X @ W >= 0).astype(int))


def test_untouched_templates_say_not_implemented():
    with pytest.raises(NotImplementedError, match="H"):
        ch02.layer_shapes({**SHAPES, "H": None})
    with pytest.raises(NotImplementedError, match="n_parameters"):
        ch02.parameter_count(None)
