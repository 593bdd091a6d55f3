"""Chapter 02's self-checks: right answers pass with one ✔ line, each classic slip gets its own hint."""

from __future__ import annotations

import re

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


def slipped_fit(*, signed=True, strict=False, heaviside=False, bias=True, use_eta=True, stop=True):
    def fit(X, y, eta=1.0, max_epochs=100):
        t = np.where(y == 1, 1.0, -1.0)
        w, b, history = np.zeros(X.shape[1]), 0.0, []
        for _ in range(max_epochs):
            mistakes = 0
            for x_i, y_i, t_i in zip(X, y, t):
                wrong = t_i * (x_i @ w + b) < 0 if strict else t_i * (x_i @ w + b) <= 0
                if heaviside:  # w += eta * (y - y_hat) * x with y_hat = heaviside(z): 1 at z = 0
                    wrong = y_i - int(x_i @ w + b >= 0) != 0
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
    (dict(heaviside=True), "y_hat = heaviside(z), a positive sample at z = 0"),
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
    assert "(y - y_hat)" not in message  # the 0/1 hint no longer claims that this rule is the same


def test_perceptron_fit_heaviside_slip_is_told_to_update_when_t_z_is_at_most_zero():
    with pytest.raises(CheckFailed) as failure:
        ch02.perceptron_fit(slipped_fit(heaviside=True))
    message = str(failure.value)
    assert "XOR" in message and "update when t * z <= 0" in message and "-1 or +1" in message


def test_perceptron_fit_missing_return_and_crash_are_explained():
    with pytest.raises(CheckFailed, match="forget a `return`"):
        ch02.perceptron_fit(lambda X, y, eta=1.0, max_epochs=100: None)
    with pytest.raises(CheckFailed, match="ZeroDivisionError") as failure:
        ch02.perceptron_fit(lambda X, y, eta=1.0, max_epochs=100: 1 / 0)
    # The hint rebuilds the data with public functions, not the check's private names.
    message = str(failure.value)
    assert "linearly_separable(20, gap=0.6, centre=(1.0, 1.5), random_state=7)" in message
    assert "_XOR" not in message and "_datasets" not in message
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
    (lambda X, w, b: (X @ w + b > 0).astype(int), r"z >= 0, not z > 0"),
])
def test_perceptron_predict_names_the_mistake(predict, words):
    with pytest.raises(CheckFailed, match=words):
        ch02.perceptron_predict(predict)


def test_perceptron_fit_crash_on_later_data_names_its_recipe():
    def crash_on_iris(X, y, eta=1.0, max_epochs=100):
        if len(X) > 50:
            raise IndexError("index 60 is out of bounds")
        return good_fit(X, y, eta, max_epochs)
    with pytest.raises(CheckFailed, match="iris petals") as failure:
        ch02.perceptron_fit(crash_on_iris)
    assert "IndexError: index 60 is out of bounds" in str(failure.value)
    assert "from sklearn.datasets import load_iris" in str(failure.value)


@pytest.mark.parametrize("check, crash, words", [
    (ch02.perceptron_predict, lambda X, w, b: X @ w[None, :], "w, b = np.array([1.0, -2.0]), 0.5"),
    (ch02.layer_forward, lambda X, W, b: X @ W.T, "X, W = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))"),
    (ch02.first_repeat, lambda X, y, max_epochs: X[10], "X, y = xor_data()"),
    (ch02.sklearn_twin, lambda eta, max_epochs: 1 / 0, "sklearn_twin(eta=1, max_epochs=100)"),
])
def test_a_crash_in_learner_code_is_a_failed_case_with_a_hint(check, crash, words):
    with pytest.raises(CheckFailed) as failure:
        check(crash)
    message = str(failure.value)
    assert "Error:" in message and "raised an error on this case" in message and words in message, message
    assert isinstance(failure.value.__cause__, Exception)


@pytest.mark.parametrize("check", [ch02.perceptron_predict, ch02.layer_forward, ch02.first_repeat, ch02.sklearn_twin])
def test_a_stub_still_says_not_implemented(check):
    def stub(*args, **kwargs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check(stub)


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
    assert "the settings of your" in str(failure.value) and "change this setting" in str(failure.value)


def test_sklearn_twin_lists_every_setting_to_change_in_one_message():
    with pytest.raises(CheckFailed) as failure:
        ch02.sklearn_twin(lambda eta, max_epochs: SklearnPerceptron())
    message = str(failure.value)
    # Shown for the call where most settings differ: eta=0.25 also differs from the default eta0=1.
    assert "sklearn_twin(eta=0.25, max_epochs=100)" in message and "change these 4 settings" in message
    assert "expected eta0=0.25, max_iter=100, shuffle=False, tol=None" in message
    assert "got      eta0=1.0, max_iter=1000, shuffle=True, tol=0.001" in message
    with pytest.raises(CheckFailed, match="change these 7 settings") as failure:
        ch02.sklearn_twin(lambda eta, max_epochs: SGDClassifier())
    for name in ("loss", "learning_rate", "penalty", "eta0", "max_iter", "shuffle", "tol"):
        assert f"- {name}=" in str(failure.value)


def test_sklearn_twin_checks_the_class_before_the_settings():
    from sklearn.linear_model import LogisticRegression
    with pytest.raises(CheckFailed, match="LogisticRegression does not run the perceptron rule") as failure:
        ch02.sklearn_twin(lambda eta, max_epochs: LogisticRegression(max_iter=max_epochs))
    assert "settings" not in str(failure.value)
    with pytest.raises(CheckFailed, match=re.escape("return an instance: call the class with its settings")):
        ch02.sklearn_twin(lambda eta, max_epochs: SklearnPerceptron)


def test_sklearn_twin_accepts_a_pipeline_ending_in_the_estimator_but_no_step_that_changes_x(capsys):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    twin = dict(shuffle=False, tol=None)
    ch02.sklearn_twin(lambda eta, max_epochs: make_pipeline(SklearnPerceptron(eta0=eta, max_iter=max_epochs, **twin)))
    assert capsys.readouterr().out.startswith("✔ your Perceptron")
    with pytest.raises(CheckFailed, match=r"(?s)steps \['standardscaler'\] before the estimator.*raw features"):
        ch02.sklearn_twin(lambda eta, max_epochs: make_pipeline(
            StandardScaler(), SklearnPerceptron(eta0=eta, max_iter=max_epochs, **twin)))


def test_sklearn_twin_accepts_a_penalty_of_strength_zero(capsys):
    ch02.sklearn_twin(lambda eta, max_epochs: SGDClassifier(
        loss="perceptron", learning_rate="constant", eta0=eta, alpha=0.0, max_iter=max_epochs,
        shuffle=False, tol=None))
    assert capsys.readouterr().out.startswith("✔")


def test_sklearn_twin_reports_a_fit_that_scikit_learn_refuses():
    with pytest.raises(CheckFailed, match="scikit-learn refused to fit it") as failure:
        ch02.sklearn_twin(lambda eta, max_epochs: SklearnPerceptron(eta0=eta, max_iter=max_epochs, shuffle=False,
                                                                    tol=None, n_jobs="all"))
    assert "n_jobs" in str(failure.value)


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


def repeat_search(*, consecutive_only=False, last_j=False, last_epoch=True):
    """first_repeat with one of the plausible search slips."""
    def first(X, y, max_epochs):
        history = [np.zeros(X.shape[1] + 1)]
        for j in range(1, max_epochs + 1 if last_epoch else max_epochs):
            w, b, _ = good_fit(X, y, max_epochs=j)
            history.append(np.append(w, b))
        pairs = ([(j - 1, j) for j in range(1, len(history))] if consecutive_only else
                 [(i, j) for i in range(len(history)) for j in range(i + 1, len(history))])
        if last_j:  # smallest i first, then the largest j for it
            pairs.sort(key=lambda pair: (pair[0], -pair[1]))
        return next(((i, j) for i, j in pairs if np.allclose(history[i], history[j])), None)
    return first


@pytest.mark.parametrize("slip, case, words", [
    # Period-1 cases all pass when only neighbours are compared; the cycles of period 2 do not.
    (dict(consecutive_only=True), "X=[[0, 0], [2, 0], [1, 0]], y=[1, 1, 0], max_epochs=3", "not only neighbours"),
    (dict(last_epoch=False), "X=[[0, 0], [2, 0], [1, 0]], y=[1, 1, 0], max_epochs=3", "including epoch max_epochs"),
    (dict(last_j=True), "the XOR points in the usual order", "come back every 1 epoch(s)"),
])
def test_first_repeat_search_slips_fail_with_their_hint(slip, case, words):
    with pytest.raises(CheckFailed) as failure:
        ch02.first_repeat(repeat_search(**slip))
    message = str(failure.value)
    assert f"for {case}" in message and words in message, message


def test_first_repeat_smallest_i_with_its_last_j_fails_on_a_cycle_that_comes_round_twice():
    # Smallest i then largest j, but only on the cases where a cycle has room to repeat twice.
    search = repeat_search(last_j=True)

    def first(X, y, max_epochs):
        return search(X, y, max_epochs) if len(X) == 3 else good_repeat(X, y, max_epochs)
    with pytest.raises(CheckFailed) as failure:
        ch02.first_repeat(first)
    message = str(failure.value)
    assert "for X=[[0], [1], [2]], y=[1, 0, 1], max_epochs=9" in message
    assert "expected (2, 4)" in message and "got      (2, 8)" in message
    assert "come back every 2 epoch(s)" in message and "smallest j" in message


def test_first_repeat_reference_answers_of_the_added_cases():
    line = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]]), np.array([1, 1, 0])
    three = np.array([[0.0], [1.0], [2.0]]), np.array([1, 0, 1])
    assert ch02._reference_repeat(*line, 3) == good_repeat(*line, 3) == (1, 3)
    assert ch02._reference_repeat(*three, 4) == good_repeat(*three, 4) == (2, 4)
    assert ch02._reference_repeat(*three, 9) == (2, 4) and ch02._reference_repeat(*three, 3) is None


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


def test_layer_forward_visible_check_tries_a_tie_and_names_it():
    with pytest.raises(CheckFailed, match=r"z = 0 in two entries[\s\S]*z >= 0, not z > 0"):
        ch02.layer_forward(lambda X, W, b: (X @ W + b > 0).astype(int))


def test_untouched_templates_say_not_implemented():
    with pytest.raises(NotImplementedError, match="H"):
        ch02.layer_shapes({**SHAPES, "H": None})
    with pytest.raises(NotImplementedError, match="n_parameters"):
        ch02.parameter_count(None)
