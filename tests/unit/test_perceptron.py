"""neuronlab.perceptron: Rosenblatt's perceptron, checked against scikit-learn, and the demo data."""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron as SkPerceptron
from sklearn.linear_model import SGDClassifier

from neuronlab.perceptron import (NotFittedError, Perceptron, heaviside, linearly_separable, margin, radius, sign,
                                  xor_data)

STATE_TOLERANCE = dict(rtol=1e-9, atol=1e-12)
"""Same arithmetic in the same order as scikit-learn: the weights agree to rounding."""

IRIS = load_iris()


def iris_setosa_or_not():
    """Petal length and width; 1 for setosa (linearly separable)."""
    return IRIS.data[:, 2:4], (IRIS.target == 0).astype(int)


def iris_three_classes():
    return IRIS.data, IRIS.target


def iris_versicolor_or_virginica():
    """All four features, versicolor (1) against virginica (2): not linearly separable."""
    keep = IRIS.target > 0
    return IRIS.data[keep], IRIS.target[keep]


def one_hot(y, n_classes=3):
    return (y[:, None] == np.arange(n_classes)).astype(int)


def sklearn_fit(X, y, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached on purpose
        return SkPerceptron(shuffle=False, **settings).fit(X, y)


# Four points on a line, two per class: small enough to follow by hand.
X4 = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
Y4 = np.array([0, 0, 1, 1])
Y4_MATRIX = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])


@pytest.fixture
def fitted():
    return Perceptron(random_state=0).fit(X4, Y4)


# --- heaviside and sign --------------------------------------------------------------------------

def test_heaviside_is_one_from_zero_up_and_keeps_the_shape():
    assert heaviside([-2.0, -1e-12, 0.0, 1e-12, 3.0]).tolist() == [0, 0, 1, 1, 1]
    matrix = heaviside(np.array([[-1, 0], [2, -3]]))
    assert matrix.shape == (2, 2) and matrix.dtype.kind == "i"
    assert matrix.tolist() == [[0, 1], [1, 0]]
    assert heaviside(0.0) == 1 and heaviside(-0.5) == 0


def test_sign_is_minus_one_zero_or_plus_one():
    assert sign([-7.5, -1e-12, 0.0, 1e-12, 2.0]).tolist() == [-1, -1, 0, 1, 1]
    result = sign(np.array([[-3], [0], [4]]))
    assert result.shape == (3, 1) and result.dtype.kind == "i"
    assert result.ravel().tolist() == [-1, 0, 1]


def test_infinities_have_a_side_and_nan_raises():
    assert sign([-np.inf, np.inf]).tolist() == [-1, 1]
    assert heaviside([-np.inf, np.inf]).tolist() == [0, 1]
    for step in (sign, heaviside):
        with pytest.raises(ValueError, match="z contains NaN, which has no sign"):
            step([1.0, np.nan])
        with pytest.raises(TypeError, match="z must be a number or an array of numbers, got str"):
            step("one")


# --- fit, predict, decision_function, score --------------------------------------------------------

def test_fit_returns_self_with_sklearn_shaped_attributes(fitted):
    assert isinstance(fitted, Perceptron)
    assert fitted.coef_.shape == (1, 2)
    assert fitted.intercept_.shape == (1,)
    assert fitted.classes_.tolist() == [0, 1]
    assert fitted.multi_output_ is False
    assert fitted.converged_ is True
    assert fitted.n_iter_ == len(fitted.mistakes_per_epoch_)


def test_predict_decision_function_and_score_on_the_training_set(fitted):
    z = fitted.decision_function(X4)
    assert z.shape == (4,)
    assert np.allclose(z, X4 @ fitted.coef_[0] + fitted.intercept_[0])
    assert fitted.predict(X4).tolist() == Y4.tolist()
    assert fitted.score(X4, Y4) == 1.0
    assert isinstance(fitted.score(X4, Y4), float)
    assert fitted.score(X4, 1 - Y4) == 0.0
    assert fitted.score(X4, [0, 0, 1, 0]) == 0.75


def test_coef_and_intercept_are_copies(fitted):
    fitted.coef_[0, 0] = 1e9
    fitted.intercept_[0] = 1e9
    assert fitted.coef_[0, 0] != 1e9 and fitted.intercept_[0] != 1e9


@pytest.mark.parametrize(("labels", "negative", "positive"), [
    (["cat", "cat", "dog", "dog"], "cat", "dog"),
    (["zebra", "zebra", "ant", "ant"], "ant", "zebra"),  # sorted: the positive class is the larger label
    ([False, False, True, True], False, True),
    ([-1, -1, 1, 1], -1, 1),
    ([2.5, 2.5, 7.0, 7.0], 2.5, 7.0),
])
def test_classes_are_sorted_labels_and_predict_returns_them(labels, negative, positive):
    y = np.array(labels)
    model = Perceptron(random_state=0).fit(X4, y)
    assert model.classes_.tolist() == [negative, positive]
    assert model.predict(X4).tolist() == y.tolist()
    assert model.predict(X4).dtype == y.dtype
    assert model.score(X4, y) == 1.0


def test_string_labels_give_the_same_weights_as_zero_one():
    strings = np.where(Y4 == 1, "yes", "no")
    a = Perceptron(shuffle=False).fit(X4, Y4)
    b = Perceptron(shuffle=False).fit(X4, strings)
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)


def test_multi_output_with_a_zero_one_matrix():
    model = Perceptron(random_state=0).fit(X4, Y4_MATRIX)
    assert model.multi_output_ is True
    assert model.classes_.tolist() == [0, 1]
    assert model.coef_.shape == (2, 2) and model.intercept_.shape == (2,)
    assert model.decision_function(X4).shape == (4, 2)
    prediction = model.predict(X4)
    assert prediction.shape == (4, 2) and prediction.dtype.kind == "i"
    assert prediction.tolist() == Y4_MATRIX.tolist()
    assert model.score(X4, Y4_MATRIX) == 1.0
    wrong = Y4_MATRIX.copy()
    wrong[0] = [0, 1]
    assert model.score(X4, wrong) == pytest.approx(6 / 8)  # the fraction of entries right


def test_multi_output_columns_are_trained_independently():
    # Each column of a multi-output fit is exactly a single-TLU fit on that column.
    X, y = iris_three_classes()
    together = Perceptron(shuffle=False, tol=None, max_iter=20).fit(X, one_hot(y))
    for k in range(3):
        alone = Perceptron(shuffle=False, tol=None, max_iter=20).fit(X, (y == k).astype(int))
        assert np.allclose(together.coef_[k], alone.coef_[0], **STATE_TOLERANCE)
        assert np.allclose(together.intercept_[k], alone.intercept_[0], **STATE_TOLERANCE)


def test_multi_output_counts_mistakes_over_all_outputs_and_stops_when_all_are_right():
    # Six points on a diagonal, two separable columns: alone, column 0 converges in 3 epochs, column 1 in 6.
    X = np.repeat(np.arange(6.0)[:, None], 2, axis=1)
    fast, slow = (X[:, 0] > 0.5).astype(int), (X[:, 0] > 3.5).astype(int)
    alone = [Perceptron(shuffle=False, tol=None).fit(X, column) for column in (fast, slow)]
    assert len(alone[0].mistakes_per_epoch_) < len(alone[1].mistakes_per_epoch_)
    together = Perceptron(shuffle=False, tol=None).fit(X, np.c_[fast, slow])
    padded = [m.mistakes_per_epoch_ + [0] * (together.n_iter_ - m.n_iter_) for m in alone]
    assert together.mistakes_per_epoch_ == np.add(*padded).tolist()
    assert together.n_iter_ == max(m.n_iter_ for m in alone) and together.converged_
    assert together.mistakes_per_epoch_ == [4, 6, 3, 3, 2, 0]  # [2, 1, 0] + [2, 5, 3, 3, 2, 0]


def test_multi_output_is_not_converged_while_an_output_stopped_by_tol_is_still_wrong():
    # Column 0 (random labels) is stopped by tol after a few epochs; column 1 (separable) converges
    # later.  Its epoch without a mistake must not make the whole fit "converged".
    X, separable, _ = linearly_separable(40, gap=0.2, centre=(4, 4), random_state=0)
    noise = np.random.default_rng(0).integers(0, 2, len(X))
    alone = [Perceptron(shuffle=False).fit(X, column) for column in (noise, separable)]
    assert not alone[0].converged_ and alone[1].converged_ and alone[0].n_iter_ < alone[1].n_iter_
    together = Perceptron(shuffle=False).fit(X, np.c_[noise, separable])
    assert np.allclose(together.coef_, np.r_[alone[0].coef_, alone[1].coef_], **STATE_TOLERANCE)
    assert together.n_iter_ == alone[1].n_iter_
    assert not together.converged_
    # The last epoch counts the stopped output's mistakes with its final weights.
    T = np.where(np.c_[noise, separable] == 1, 1.0, -1.0)
    assert together.mistakes_per_epoch_[-1] == int((T * together.decision_function(X) <= 0).sum()) > 0


def test_multi_output_accepts_a_boolean_matrix_and_a_single_column():
    booleans = Perceptron(shuffle=False).fit(X4, Y4_MATRIX.astype(bool))
    ints = Perceptron(shuffle=False).fit(X4, Y4_MATRIX)
    assert np.array_equal(booleans.coef_, ints.coef_)
    column = Perceptron(shuffle=False).fit(X4, Y4[:, None])
    assert column.multi_output_ and column.predict(X4).shape == (4, 1)
    assert column.decision_function(X4).shape == (4, 1)


def test_fit_intercept_false_keeps_the_bias_at_zero():
    X, y = iris_setosa_or_not()
    model = Perceptron(fit_intercept=False, random_state=0).fit(X, y)
    assert model.intercept_.tolist() == [0.0]
    assert np.any(model.coef_ != 0)


def test_get_params_set_params_and_sklearn_clone():
    from sklearn.base import clone

    model = Perceptron(eta0=0.5, max_iter=7, tol=None, random_state=3).fit(X4, Y4)
    assert model.get_params() == dict(eta0=0.5, max_iter=7, tol=None, n_iter_no_change=5, shuffle=True,
                                      random_state=3, fit_intercept=True)
    copy = clone(model)
    assert type(copy) is Perceptron and copy.get_params() == model.get_params()
    assert not hasattr(copy, "W_")  # unfitted, like every clone
    assert copy.set_params(eta0=2.0, shuffle=False) is copy and copy.eta0 == 2.0 and copy.shuffle is False
    assert model.eta0 == 0.5
    with pytest.raises(ValueError, match=re.escape("invalid parameter 'eta' for Perceptron; valid parameters are")):
        copy.set_params(eta=1.0)


def test_perceptrons_compare_by_identity_and_are_hashable():
    a, b = Perceptron(), Perceptron()
    assert a != b and a == a and len({a, b}) == 2


def test_refit_starts_from_scratch():
    X, y = iris_setosa_or_not()
    once = Perceptron(shuffle=False).fit(X, y)
    model = Perceptron(shuffle=False).fit(X4, Y4_MATRIX).fit(X, y)
    assert np.array_equal(model.coef_, once.coef_) and model.multi_output_ is False


# --- scikit-learn: the same weights ----------------------------------------------------------------

SETTINGS = [
    pytest.param({}, id="defaults"),
    pytest.param({"tol": None, "max_iter": 30}, id="tol=None,max_iter=30"),
    pytest.param({"eta0": 0.1}, id="eta0=0.1"),
    pytest.param({"n_iter_no_change": 3}, id="n_iter_no_change=3"),
    pytest.param({"max_iter": 5, "tol": None, "eta0": 0.5}, id="max_iter=5,eta0=0.5"),
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_perceptron_matches_sklearn_weights(settings):
    # Binary, separable: petal length and width, setosa or not.
    X, y = iris_setosa_or_not()
    theirs = sklearn_fit(X, y, **settings)
    ours = Perceptron(shuffle=False, **settings).fit(X, y)
    assert np.allclose(ours.coef_, theirs.coef_, **STATE_TOLERANCE)
    assert np.allclose(ours.intercept_, theirs.intercept_, **STATE_TOLERANCE)
    assert ours.classes_.tolist() == theirs.classes_.tolist()
    assert np.array_equal(ours.predict(X), theirs.predict(X))
    assert np.allclose(ours.decision_function(X), theirs.decision_function(X), **STATE_TOLERANCE)


@pytest.mark.parametrize("settings", SETTINGS)
def test_perceptron_matches_sklearn_weights_three_classes_one_versus_rest(settings):
    # scikit-learn's multiclass Perceptron is one TLU per class trained on "this class or not".
    X, y = iris_three_classes()
    theirs = sklearn_fit(X, y, **settings)
    ours = Perceptron(shuffle=False, **settings).fit(X, one_hot(y))
    assert ours.coef_.shape == theirs.coef_.shape == (3, 4)
    assert np.allclose(ours.coef_, theirs.coef_, **STATE_TOLERANCE)
    assert np.allclose(ours.intercept_, theirs.intercept_, **STATE_TOLERANCE)
    assert ours.n_iter_ == theirs.n_iter_  # not separable: both stop by the same tol rule
    assert np.allclose(ours.decision_function(X), theirs.decision_function(X), **STATE_TOLERANCE)
    assert np.array_equal(ours.decision_function(X).argmax(axis=1), theirs.predict(X))


@pytest.mark.parametrize("settings", SETTINGS)
def test_perceptron_matches_sklearn_weights_on_non_separable_data(settings):
    X, y = iris_versicolor_or_virginica()
    theirs = sklearn_fit(X, y, **settings)
    ours = Perceptron(shuffle=False, **settings).fit(X, y)
    assert np.allclose(ours.coef_, theirs.coef_, **STATE_TOLERANCE)
    assert np.allclose(ours.intercept_, theirs.intercept_, **STATE_TOLERANCE)
    assert ours.n_iter_ == theirs.n_iter_
    assert not ours.converged_
    assert ours.classes_.tolist() == [1, 2]


def test_perceptron_matches_sklearn_with_initial_weights_and_without_intercept():
    X, y = iris_versicolor_or_virginica()
    start = dict(coef_init=np.array([[0.5, -1.0, 2.0, 0.25]]), intercept_init=np.array([-3.0]))
    theirs = SkPerceptron(shuffle=False, max_iter=10, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Copies: scikit-learn trains in place in the coef_init / intercept_init arrays it is given.
        theirs.fit(X, y, **{name: value.copy() for name, value in start.items()})
    ours = Perceptron(shuffle=False, max_iter=10, tol=None).fit(X, y, **start)
    assert np.allclose(ours.coef_, theirs.coef_, **STATE_TOLERANCE)
    assert np.allclose(ours.intercept_, theirs.intercept_, **STATE_TOLERANCE)
    no_bias = sklearn_fit(X, y, fit_intercept=False, max_iter=10, tol=None)
    ours = Perceptron(shuffle=False, fit_intercept=False, max_iter=10, tol=None).fit(X, y)
    assert np.allclose(ours.coef_, no_bias.coef_, **STATE_TOLERANCE)
    assert ours.intercept_.tolist() == no_bias.intercept_.tolist() == [0.0]


@pytest.mark.parametrize("random_state", [0, 1, 7])
@pytest.mark.parametrize("data", [iris_setosa_or_not, iris_three_classes, iris_versicolor_or_virginica])
def test_sklearn_perceptron_is_sgd_with_the_perceptron_loss(data, random_state):
    # What the chapter says: scikit-learn's Perceptron is SGDClassifier with these settings.
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        perceptron = SkPerceptron(random_state=random_state).fit(X, y)
        sgd = SGDClassifier(loss="perceptron", learning_rate="constant", eta0=1, penalty=None,
                            random_state=random_state).fit(X, y)
    assert np.allclose(perceptron.coef_, sgd.coef_, **STATE_TOLERANCE)
    assert np.allclose(perceptron.intercept_, sgd.intercept_, **STATE_TOLERANCE)
    assert perceptron.n_iter_ == sgd.n_iter_


# --- shuffling and random_state --------------------------------------------------------------------

def test_same_random_state_gives_identical_fits():
    X, y = iris_versicolor_or_virginica()
    a = Perceptron(random_state=3, max_iter=20).fit(X, y)
    b = Perceptron(random_state=3, max_iter=20).fit(X, y)
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)
    assert a.mistakes_per_epoch_ == b.mistakes_per_epoch_
    again = a.fit(X, y)  # refitting the same object starts the shuffling afresh
    assert np.array_equal(again.coef_, b.coef_)


def test_different_random_state_gives_different_weights_on_shuffled_data():
    X, y = iris_versicolor_or_virginica()
    a = Perceptron(random_state=3, max_iter=20, tol=None).fit(X, y)
    b = Perceptron(random_state=4, max_iter=20, tol=None).fit(X, y)
    assert not np.allclose(a.coef_, b.coef_)


def test_random_state_does_not_matter_without_shuffling():
    X, y = iris_versicolor_or_virginica()
    a = Perceptron(shuffle=False, random_state=3, max_iter=20).fit(X, y)
    b = Perceptron(shuffle=False, random_state=4, max_iter=20).fit(X, y)
    assert np.array_equal(a.coef_, b.coef_)


def test_random_state_may_be_a_numpy_generator():
    X, y = iris_versicolor_or_virginica()
    a = Perceptron(random_state=np.random.default_rng(5), max_iter=20).fit(X, y)
    b = Perceptron(random_state=np.random.default_rng(5), max_iter=20).fit(X, y)
    c = Perceptron(random_state=np.int64(5), max_iter=20).fit(X, y)
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.coef_, c.coef_)


# --- convergence ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shuffle", [False, True])
def test_converges_on_separable_data(shuffle):
    X, y = iris_setosa_or_not()
    model = Perceptron(shuffle=shuffle, random_state=0, tol=None).fit(X, y)
    assert model.converged_ is True
    assert model.mistakes_per_epoch_[-1] == 0
    assert all(m > 0 for m in model.mistakes_per_epoch_[:-1])
    assert model.n_iter_ == len(model.mistakes_per_epoch_) < model.max_iter
    assert model.score(X, y) == 1.0
    # Converged means every sample strictly on its side: a margin > 0.
    t = np.where(y == 1, 1, -1)
    assert np.all(t * model.decision_function(X) > 0)


def test_never_converges_on_xor():
    X, y = xor_data()
    model = Perceptron(shuffle=False, tol=None, max_iter=100).fit(X, y)
    assert model.converged_ is False
    assert len(model.mistakes_per_epoch_) == model.n_iter_ == 100
    assert min(model.mistakes_per_epoch_) >= 1
    assert model.score(X, y) <= 0.75  # no line gets all four XOR points right
    shuffled = Perceptron(random_state=0, tol=None, max_iter=100).fit(X, y)
    assert min(shuffled.mistakes_per_epoch_) >= 1 and not shuffled.converged_


def test_tol_stops_a_non_separable_fit_early():
    X, y = xor_data()
    model = Perceptron(shuffle=False, max_iter=1000).fit(X, y)  # default tol=1e-3
    assert not model.converged_ and model.n_iter_ < 1000


def test_max_iter_caps_the_epochs():
    X, y = iris_versicolor_or_virginica()
    model = Perceptron(max_iter=3, tol=None, random_state=0).fit(X, y)
    assert model.n_iter_ == 3 and len(model.mistakes_per_epoch_) == 3


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("gap", [0.3, 1.0, 2.0])
@pytest.mark.parametrize("centre", [(0.0, 0.0), (3.0, -2.0), (6.0, 6.0)])
def test_mistakes_never_exceed_the_convergence_bound(seed, gap, centre):
    X, y, separator = linearly_separable(40, gap, centre=centre, random_state=seed)
    bound = (radius(X) / margin(X, y, separator)) ** 2
    for shuffle, eta0 in ((False, 1.0), (True, 0.3)):
        model = Perceptron(shuffle=shuffle, eta0=eta0, tol=None, max_iter=100_000, random_state=seed).fit(X, y)
        assert model.converged_
        assert sum(model.mistakes_per_epoch_) <= bound, (shuffle, sum(model.mistakes_per_epoch_), bound)


# --- the learning rule --------------------------------------------------------------------------

def test_first_update_from_zero_weights_adds_the_sample_times_eta_and_t():
    # z = 0 from zero weights: a mistake, so w = eta0 * t * x and b = eta0 * t.
    positive = Perceptron(eta0=0.5).partial_fit([[2.0, -4.0]], [1], classes=[0, 1])
    assert positive.coef_.tolist() == [[1.0, -2.0]] and positive.intercept_.tolist() == [0.5]
    negative = Perceptron(eta0=0.5).partial_fit([[2.0, -4.0]], [0], classes=[0, 1])
    assert negative.coef_.tolist() == [[-1.0, 2.0]] and negative.intercept_.tolist() == [-0.5]
    assert positive.mistakes_per_epoch_ == [1] and not positive.converged_


def test_a_right_sample_changes_nothing_and_a_wrong_one_moves_by_eta_t_x():
    model = Perceptron(eta0=2.0).partial_fit([[1.0, 1.0]], [1], classes=[0, 1],
                                            coef_init=[[1.0, 0.0]], intercept_init=[0.0])
    assert model.coef_.tolist() == [[1.0, 0.0]] and model.mistakes_per_epoch_ == [0] and model.converged_
    model.partial_fit([[3.0, 1.0]], [0])  # z = 3 > 0 but t = -1: wrong
    assert model.coef_.tolist() == [[1.0 - 6.0, 0.0 - 2.0]]
    assert model.intercept_.tolist() == [-2.0]
    assert model.mistakes_per_epoch_ == [0, 1] and model.n_iter_ == 2


@pytest.mark.parametrize("data", [iris_setosa_or_not, iris_versicolor_or_virginica, xor_data])
def test_eta0_only_rescales_the_weights_from_zero(data):
    X, y = data()
    reference = Perceptron(eta0=1.0, tol=None, max_iter=15, random_state=2).fit(X, y)
    for eta0 in (0.01, 0.1, 3.0):
        model = Perceptron(eta0=eta0, tol=None, max_iter=15, random_state=2).fit(X, y)
        assert np.allclose(model.coef_, eta0 * reference.coef_, rtol=1e-9, atol=1e-9)
        assert np.allclose(model.intercept_, eta0 * reference.intercept_, rtol=1e-9, atol=1e-9)
        assert np.array_equal(model.predict(X), reference.predict(X))
        assert model.mistakes_per_epoch_ == reference.mistakes_per_epoch_


def test_eta0_rescaling_also_holds_with_the_default_tol_on_separable_data():
    X, y = iris_setosa_or_not()
    a = Perceptron(eta0=1.0, shuffle=False).fit(X, y)
    b = Perceptron(eta0=0.1, shuffle=False).fit(X, y)
    assert np.allclose(b.coef_, 0.1 * a.coef_) and np.array_equal(a.predict(X), b.predict(X))


@pytest.mark.parametrize("data", [iris_setosa_or_not, iris_versicolor_or_virginica, xor_data])
def test_partial_fit_one_sample_at_a_time_equals_one_epoch_of_fit(data):
    X, y = data()
    epoch = Perceptron(shuffle=False, max_iter=1).fit(X, y)
    stepped = Perceptron(shuffle=False)
    for i in range(len(X)):
        stepped.partial_fit(X[i:i + 1], y[i:i + 1], classes=np.unique(y))
    assert np.allclose(stepped.coef_, epoch.coef_, **STATE_TOLERANCE)
    assert np.allclose(stepped.intercept_, epoch.intercept_, **STATE_TOLERANCE)
    assert sum(stepped.mistakes_per_epoch_) == epoch.mistakes_per_epoch_[0]
    assert stepped.n_iter_ == len(X)


def test_partial_fit_on_the_whole_set_is_one_epoch_and_continues_from_fit():
    X, y = iris_versicolor_or_virginica()
    epochs = [Perceptron(shuffle=False, tol=None, max_iter=n).fit(X, y) for n in (1, 3)]
    model = Perceptron(shuffle=False).partial_fit(X, y)
    assert np.allclose(model.coef_, epochs[0].coef_, **STATE_TOLERANCE)
    model.partial_fit(X, y).partial_fit(X, y)
    assert np.allclose(model.coef_, epochs[1].coef_, **STATE_TOLERANCE)
    assert model.mistakes_per_epoch_ == epochs[1].mistakes_per_epoch_
    continued = Perceptron(shuffle=False, tol=None, max_iter=1).fit(X, y).partial_fit(X, y).partial_fit(X, y)
    assert np.allclose(continued.coef_, epochs[1].coef_, **STATE_TOLERANCE)


def test_partial_fit_multi_output_matches_fit():
    X, y = iris_three_classes()
    model = Perceptron(shuffle=False).partial_fit(X, one_hot(y))
    assert model.multi_output_ and model.coef_.shape == (3, 4)
    assert np.allclose(model.coef_, Perceptron(shuffle=False, max_iter=1).fit(X, one_hot(y)).coef_)


def test_coef_init_and_intercept_init_set_the_start():
    X, y = iris_setosa_or_not()
    start = Perceptron(shuffle=False, max_iter=1).fit(X, y)
    # Starting from where one epoch ended and running one more is two epochs from zero.
    resumed = Perceptron(shuffle=False, max_iter=1, tol=None).fit(X, y, coef_init=start.coef_,
                                                                   intercept_init=start.intercept_)
    two = Perceptron(shuffle=False, max_iter=2, tol=None).fit(X, y)
    assert np.allclose(resumed.coef_, two.coef_) and np.allclose(resumed.intercept_, two.intercept_)
    # A starting point that already separates makes no update at all.
    good = Perceptron().fit(X, y, coef_init=[[-1.0, -1.0]], intercept_init=[3.0])
    assert good.coef_.tolist() == [[-1.0, -1.0]] and good.intercept_.tolist() == [3.0]
    assert good.mistakes_per_epoch_ == [0] and good.converged_


def test_coef_init_may_be_1d_and_intercept_init_a_scalar_for_one_tlu():
    model = Perceptron().fit(X4, Y4, coef_init=[1.0, 1.0], intercept_init=-3.0)
    assert model.coef_.tolist() == [[1.0, 1.0]] and model.intercept_.tolist() == [-3.0]


def test_init_does_not_alter_the_arrays_passed_in():
    coef, intercept = np.zeros((1, 2)), np.zeros(1)
    Perceptron().fit(X4, Y4, coef_init=coef, intercept_init=intercept)
    assert not coef.any() and not intercept.any()


def test_a_sample_on_the_boundary_counts_as_a_mistake_in_training():
    # w·x + b = 1 - 1 + 0 = 0 for a positive sample: strictly not on its side, so an update.
    model = Perceptron().partial_fit([[1.0, 1.0]], [1], classes=[0, 1], coef_init=[1.0, -1.0], intercept_init=0.0)
    assert model.mistakes_per_epoch_ == [1]
    assert model.coef_.tolist() == [[2.0, 0.0]] and model.intercept_.tolist() == [1.0]
    # Same for a negative sample.
    model = Perceptron().partial_fit([[1.0, 1.0]], [0], classes=[0, 1], coef_init=[1.0, -1.0], intercept_init=0.0)
    assert model.mistakes_per_epoch_ == [1] and model.coef_.tolist() == [[0.0, -2.0]]


def test_predict_sends_z_equal_zero_to_the_positive_class_like_heaviside():
    X, y = np.array([[2.0, 0.0], [-2.0, 0.0]]), np.array([1, 0])
    ours = Perceptron(shuffle=False).fit(X, y)
    theirs = sklearn_fit(X, y)
    # By hand: (2, 0) from zero weights is an update to w = (2, 0), b = 1; then both are right.
    assert ours.coef_.tolist() == theirs.coef_.tolist() == [[2.0, 0.0]]
    assert ours.intercept_.tolist() == theirs.intercept_.tolist() == [1.0]
    on_boundary = np.array([[-0.5, 7.0], [-0.5, -3.0]])
    assert ours.decision_function(on_boundary).tolist() == [0.0, 0.0]
    assert ours.predict(on_boundary).tolist() == heaviside([0.0, 0.0]).tolist() == [1, 1]
    assert theirs.predict(on_boundary).tolist() == [0, 0]  # scikit-learn: the other way round
    strings = Perceptron(shuffle=False).fit(X, np.array(["no", "yes"])[y])
    assert strings.predict(on_boundary).tolist() == ["yes", "yes"]
    multi = Perceptron(shuffle=False).fit(X, y[:, None])
    assert multi.predict(on_boundary).tolist() == [[1], [1]]


# --- bad input -----------------------------------------------------------------------------------

def test_mismatched_x_and_y_lengths_raise():
    with pytest.raises(ValueError, match="X and y must have the same number of samples: X has 4, y has 3"):
        Perceptron().fit(X4, [0, 1, 0])
    with pytest.raises(ValueError, match="X and y must have the same number of samples"):
        Perceptron().fit(X4, Y4_MATRIX[:3])


@pytest.mark.parametrize(("y", "count"), [([0, 1, 2, 0], 3), ([1, 1, 1, 1], 1), (["a", "a", "a", "a"], 1)])
def test_one_dimensional_y_must_hold_two_classes(y, count):
    with pytest.raises(ValueError, match=f"y must hold exactly two classes .* it holds {count}.*0/1 matrix"):
        Perceptron().fit(X4, y)


def test_y_with_nan_labels_raises():
    with pytest.raises(ValueError, match="y contains NaN"):
        Perceptron().fit(X4, [np.nan, 1.0, np.nan, 1.0])


@pytest.mark.parametrize("y", [np.array([[0, 2], [1, 0], [0, 1], [1, 1]]), np.full((4, 2), 0.5),
                               np.array([[-1, 1], [1, -1], [1, 1], [-1, -1]])])
def test_two_dimensional_y_must_hold_zero_one(y):
    with pytest.raises(ValueError, match="a 2-D y must hold 0/1 .* found the values"):
        Perceptron().fit(X4, y)


def test_y_with_three_dimensions_raises():
    with pytest.raises(ValueError, match=re.escape("y must be 1-D (one TLU) or 2-D (one column per TLU); got shape "
                                                   "(4, 2, 1)")):
        Perceptron().fit(X4, np.zeros((4, 2, 1)))


@pytest.mark.parametrize(("bad", "where"), [(np.nan, "row 2, column 1"), (np.inf, "row 2, column 1"),
                                            (-np.inf, "row 2, column 1")])
def test_nan_or_infinity_in_x_raises_naming_the_place(bad, where):
    X = X4.copy()
    X[2, 1] = bad
    with pytest.raises(ValueError, match=f"X contains NaN or infinity \\(first at {where}\\)"):
        Perceptron().fit(X, Y4)
    model = Perceptron().fit(X4, Y4)
    for method in (model.predict, model.decision_function):
        with pytest.raises(ValueError, match="X contains NaN or infinity"):
            method(X)


@pytest.mark.parametrize("X", [np.arange(4.0), np.zeros((4, 2, 1)), 3.0])
def test_x_must_be_two_dimensional(X):
    with pytest.raises(ValueError, match=r"X must be 2-D, shape \(n_samples, n_features\); got shape .*reshape"):
        Perceptron().fit(X, Y4)


def test_x_must_be_numbers_and_not_empty():
    with pytest.raises(TypeError, match="X must be an array of numbers, got list"):
        Perceptron().fit([["a", "b"], ["c", "d"]], [0, 1])
    with pytest.raises(ValueError, match="X must hold at least one sample and one feature"):
        Perceptron().fit(np.zeros((0, 2)), [])
    with pytest.raises(ValueError, match="X must hold at least one sample and one feature"):
        Perceptron().fit(np.zeros((4, 0)), Y4)


@pytest.mark.parametrize("eta0", [0, 0.0, -1.0, float("nan")])
def test_eta0_must_be_positive(eta0):
    with pytest.raises(ValueError, match="eta0 must be > 0"):
        Perceptron(eta0=eta0).fit(X4, Y4)


@pytest.mark.parametrize("eta0", ["0.1", None, True, [0.1]])
def test_eta0_must_be_a_number(eta0):
    with pytest.raises(TypeError, match="eta0 must be a positive number"):
        Perceptron(eta0=eta0).fit(X4, Y4)


@pytest.mark.parametrize(("name", "value", "error", "message"), [
    ("max_iter", 0, ValueError, "max_iter must be > 0, got 0"),
    ("max_iter", -5, ValueError, "max_iter must be > 0"),
    ("max_iter", 10.0, TypeError, "max_iter must be a positive integer, got float"),
    ("max_iter", True, TypeError, "max_iter must be a positive integer, got bool"),
    ("max_iter", "10", TypeError, "max_iter must be a positive integer, got str"),
    ("n_iter_no_change", 0, ValueError, "n_iter_no_change must be > 0"),
    ("n_iter_no_change", 2.5, TypeError, "n_iter_no_change must be a positive integer"),
    ("n_iter_no_change", False, TypeError, "n_iter_no_change must be a positive integer, got bool"),
    ("tol", -1e-3, ValueError, "tol must be None or a number >= 0, got -0.001"),
    ("tol", float("nan"), ValueError, "tol must be None or a number >= 0, got nan"),
    ("tol", "1e-3", ValueError, "tol must be None or a number >= 0"),
    ("tol", True, ValueError, "tol must be None or a number >= 0, got True"),
    ("shuffle", 1, TypeError, "shuffle must be True or False, got 1"),
    ("shuffle", "yes", TypeError, "shuffle must be True or False"),
    ("fit_intercept", None, TypeError, "fit_intercept must be True or False, got None"),
    ("random_state", 1.5, TypeError, "random_state must be None, an int or a numpy Generator, got float"),
    ("random_state", True, TypeError, "random_state must be None, an int or a numpy Generator, got bool"),
    ("random_state", "42", TypeError, "random_state must be None, an int or a numpy Generator, got str"),
])
def test_bad_settings_raise_naming_the_setting(name, value, error, message):
    for call in (lambda m: m.fit(X4, Y4), lambda m: m.partial_fit(X4, Y4)):
        with pytest.raises(error, match=f"^{re.escape(message)}"):
            call(Perceptron(**{name: value}))


def test_tol_zero_and_numpy_scalars_are_accepted():
    model = Perceptron(tol=0, eta0=np.float64(0.5), max_iter=np.int64(5), shuffle=np.bool_(False)).fit(X4, Y4)
    assert model.converged_


def test_predict_before_fit_raises_not_fitted_error():
    model = Perceptron()
    assert issubclass(NotFittedError, ValueError)
    for call in (lambda: model.predict(X4), lambda: model.decision_function(X4), lambda: model.score(X4, Y4),
                 lambda: model.coef_, lambda: model.intercept_):
        with pytest.raises(NotFittedError, match="not fitted yet: call fit"):
            call()
    with pytest.raises(ValueError, match="not fitted yet"):
        model.predict(X4)
    assert not hasattr(model, "coef_")  # an AttributeError too, as in scikit-learn


def test_predict_with_the_wrong_number_of_features_raises(fitted):
    for method in (fitted.predict, fitted.decision_function):
        with pytest.raises(ValueError, match="X has 3 features, but this Perceptron was fitted with 2"):
            method(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X has 3 features, but this Perceptron was fitted with 2"):
        fitted.partial_fit(np.zeros((2, 3)), [0, 1])


def test_predict_with_one_dimensional_x_says_how_to_reshape(fitted):
    with pytest.raises(ValueError, match=re.escape("X must be 2-D") + ".*X.reshape\\(1, -1\\)"):
        fitted.predict(np.array([1.0, 2.0]))


def test_partial_fit_with_unknown_labels_raises():
    model = Perceptron().fit(X4, Y4)
    with pytest.raises(ValueError, match=re.escape("y holds labels [2] not among classes_ [0, 1]")):
        model.partial_fit(X4, [0, 1, 2, 0])
    first = Perceptron()
    with pytest.raises(ValueError, match=re.escape("y holds labels [5] not among classes_ [0, 1]")):
        first.partial_fit(X4[:1], [5], classes=[0, 1])


def test_first_partial_fit_with_one_class_needs_classes():
    with pytest.raises(ValueError, match=re.escape("holds one class only ([1])") + ".*" + re.escape("classes=[0, 1]")):
        Perceptron().partial_fit(X4[:1], [1])
    model = Perceptron().partial_fit(X4[:1], [1], classes=[0, 1])
    assert model.classes_.tolist() == [0, 1]
    for classes in ([0, 1, 2], [1, 1], [1]):
        with pytest.raises(ValueError, match=re.escape(f"classes must be the two labels, e.g. classes=[0, 1]; "
                                                       f"got {classes}")):
            Perceptron().partial_fit(X4[:1], [1], classes=classes)


def test_partial_fit_with_a_different_number_of_outputs_raises():
    model = Perceptron().fit(X4, Y4_MATRIX)
    with pytest.raises(ValueError, match="y must have 2 columns \\(one per TLU\\), like the first batch; got 3"):
        model.partial_fit(X4, np.c_[Y4_MATRIX, Y4])
    with pytest.raises(ValueError, match=re.escape("y must have shape (4, n_outputs), like the first batch's "
                                                   "targets; got (4,)")):
        model.partial_fit(X4, Y4)
    with pytest.raises(ValueError, match="a 2-D y must hold 0/1"):
        model.partial_fit(X4, 2 * Y4_MATRIX)
    single = Perceptron().fit(X4, Y4)
    with pytest.raises(ValueError, match=re.escape("y must have shape (4,), like the first batch's targets; "
                                                   "got (4, 2)")):
        single.partial_fit(X4, Y4_MATRIX)


def test_partial_fit_init_only_on_the_first_call():
    model = Perceptron().partial_fit(X4, Y4)
    with pytest.raises(ValueError, match="coef_init and intercept_init only apply to the first partial_fit call"):
        model.partial_fit(X4, Y4, coef_init=[[1.0, 1.0]])
    with pytest.raises(ValueError, match="coef_init and intercept_init only apply"):
        model.partial_fit(X4, Y4, intercept_init=[1.0])


@pytest.mark.parametrize(("y", "coef_init", "shape"), [
    (Y4, [[1.0, 1.0, 1.0]], "(1, 3)"),
    (Y4, [1.0, 1.0, 1.0], "(3,)"),
    (Y4, [[1.0, 1.0], [1.0, 1.0]], "(2, 2)"),
    (Y4, 0.5, "()"),
    (Y4_MATRIX, [1.0, 1.0], "(2,)"),        # one row only fits a single TLU
    (Y4_MATRIX, 0.5, "()"),
    (Y4_MATRIX, [[1.0, 1.0]], "(1, 2)"),
])
def test_coef_init_of_the_wrong_shape_raises(y, coef_init, shape):
    n_outputs = 1 if np.ndim(y) == 1 else 2
    message = f"coef_init must have shape ({n_outputs}, 2), got {shape}"
    with pytest.raises(ValueError, match=re.escape(message)):
        Perceptron().fit(X4, y, coef_init=coef_init)
    with pytest.raises(ValueError, match=re.escape(message)):
        Perceptron().partial_fit(X4, y, coef_init=coef_init)


def test_intercept_init_of_the_wrong_size_raises():
    with pytest.raises(ValueError, match=re.escape("intercept_init must have 1 value(s), got shape (2,)")):
        Perceptron().fit(X4, Y4, intercept_init=[1.0, 2.0])
    with pytest.raises(ValueError, match=re.escape("intercept_init must have 2 value(s), got shape ()")):
        Perceptron().fit(X4, Y4_MATRIX, intercept_init=1.0)


# --- linearly_separable and xor_data --------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("gap", [0.1, 0.5, 1.5, 2.9])
def test_linearly_separable_separator_separates_with_margin_half_the_gap(seed, gap):
    X, y, separator = linearly_separable(50, gap, random_state=seed)
    assert X.shape == (50, 2) and y.shape == (50,) and separator.shape == (3,)
    assert set(y.tolist()) == {0, 1}
    normal, offset = separator[:2], separator[2]
    assert np.linalg.norm(normal) == pytest.approx(1.0)
    t = np.where(y == 1, 1.0, -1.0)
    distance = t * (X @ normal + offset)  # geometric: the normal is a unit vector
    assert distance.min() >= gap / 2 - 1e-12
    assert np.all(np.abs(X) <= 3.0)
    # margin() normalises the augmented vector (w, b), so it is smaller, by the factor ‖(w, b)‖ ≥ 1.
    assert margin(X, y, separator) == pytest.approx(distance.min() / np.linalg.norm(separator))


@pytest.mark.parametrize("centre", [(5.0, -2.0), (-10.0, 10.0), np.array([0.5, 0.25])])
def test_linearly_separable_centre_shifts_points_and_separator(centre):
    X0, y0, separator0 = linearly_separable(40, 0.5, random_state=11)
    X, y, separator = linearly_separable(40, 0.5, centre=centre, random_state=11)
    assert np.allclose(X, X0 + np.asarray(centre))
    assert np.array_equal(y, y0)
    assert np.allclose(separator[:2], separator0[:2])
    assert np.allclose(X @ separator[:2] + separator[2], X0 @ separator0[:2] + separator0[2])
    t = np.where(y == 1, 1.0, -1.0)
    assert (t * (X @ separator[:2] + separator[2])).min() >= 0.25 - 1e-12
    assert np.allclose(X.mean(axis=0), X0.mean(axis=0) + np.asarray(centre))


def test_linearly_separable_is_reproducible_and_seeds_differ():
    a = linearly_separable(30, random_state=4)
    b = linearly_separable(30, random_state=4)
    c = linearly_separable(30, random_state=5)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_linearly_separable_with_two_samples_has_both_classes():
    X, y, separator = linearly_separable(2, random_state=0)
    assert sorted(y.tolist()) == [0, 1] and X.shape == (2, 2)
    assert margin(X, y, separator) > 0


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"n_samples": 0}, ValueError, "n_samples must be > 0"),
    ({"n_samples": 1}, ValueError, "n_samples must be at least 2"),
    ({"n_samples": 10.0}, TypeError, "n_samples must be a positive integer"),
    ({"n_samples": True}, TypeError, "n_samples must be a positive integer"),
    ({"gap": 0}, ValueError, "gap must be > 0"),
    ({"gap": -0.5}, ValueError, "gap must be > 0"),
    ({"gap": "wide"}, TypeError, "gap must be a positive number"),
    ({"gap": 3}, ValueError, "gap must be below 3"),
    ({"centre": (1.0, 2.0, 3.0)}, ValueError, "centre must be two finite numbers"),
    ({"centre": (np.nan, 0.0)}, ValueError, "centre must be two finite numbers"),
    ({"centre": (np.inf, 0.0)}, ValueError, "centre must be two finite numbers"),
    ({"centre": 1.0}, ValueError, "centre must be two finite numbers"),
    ({"centre": None}, ValueError, "centre must be two finite numbers"),
])
def test_linearly_separable_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        linearly_separable(**kwargs)


def test_linearly_separable_centre_is_keyword_only():
    with pytest.raises(TypeError):
        linearly_separable(20, 0.5, (1.0, 1.0))


def test_xor_data_is_the_four_xor_points():
    X, y = xor_data()
    assert X.shape == (4, 2) and X.dtype == float
    assert [(int(a), int(b), int(t)) for (a, b), t in zip(X, y)] == [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]


# --- margin and radius ---------------------------------------------------------------------------

def test_radius_is_the_largest_norm_with_the_bias_input():
    assert radius([[3.0, 4.0], [0.0, 0.0]]) == pytest.approx(np.sqrt(26.0))
    assert radius([[0.0, 0.0]]) == 1.0
    assert radius([[-2.0], [1.0]]) == pytest.approx(np.sqrt(5.0))
    assert isinstance(radius([[1.0, 1.0]]), float)


def test_margin_on_a_hand_computed_example():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [3.0, 2.0]])
    y = np.array([1, 0, 1])
    # The line x₁ = 0: distances 1, 1, 3 → γ = 1.
    assert margin(X, y, [1.0, 0.0, 0.0]) == pytest.approx(1.0)
    assert margin(X, y, [5.0, 0.0, 0.0]) == pytest.approx(1.0)  # scale does not matter
    # The line x₁ + 0.5 = 0, in augmented form (1, 0, 0.5): t·z = 1.5, 0.5, 3.5 → 0.5 / ‖(1, 0, 0.5)‖.
    assert margin(X, y, [1.0, 0.0, 0.5]) == pytest.approx(0.5 / np.sqrt(1.25))
    # Through a sample: 0; the wrong way round: negative.
    assert margin(X, y, [1.0, 0.0, 1.0]) == pytest.approx(0.0)
    assert margin(X, y, [-1.0, 0.0, 0.0]) == pytest.approx(-3.0)
    # Labels of any kind: the larger one is the positive class.
    assert margin(X, np.array(["yes", "no", "yes"]), [1.0, 0.0, 0.0]) == pytest.approx(1.0)
    assert isinstance(margin(X, y, [1.0, 0.0, 0.0]), float)


def test_margin_of_a_fitted_perceptron_is_positive_after_convergence():
    X, y = iris_setosa_or_not()
    model = Perceptron(random_state=0, tol=None).fit(X, y)
    separator = np.append(model.coef_[0], model.intercept_)
    assert margin(X, y, separator) > 0
    assert margin(*xor_data(), separator=[1.0, 1.0, -0.5]) < 0  # no line separates XOR


@pytest.mark.parametrize(("args", "error", "message"), [
    (([[1.0, 0.0], [0.0, 1.0]], [0, 1, 1], [1.0, 1.0, 0.0]), ValueError, "y must have shape (2,) to match X"),
    (([[1.0, 0.0], [0.0, 1.0]], [1, 1], [1.0, 1.0, 0.0]), ValueError, "y must hold exactly two classes"),
    (([[1.0, 0.0], [0.0, 1.0]], [0, 1], [1.0, 1.0]), ValueError, "separator must have 3 values"),
    (([[1.0, 0.0], [0.0, 1.0]], [0, 1], [0.0, 0.0, 0.0]), ValueError, "separator must not be all zeros"),
    (([1.0, 0.0], [0, 1], [1.0, 0.0]), ValueError, "X must be 2-D"),
    (([[np.nan, 0.0], [0.0, 1.0]], [0, 1], [1.0, 1.0, 0.0]), ValueError, "X contains NaN or infinity"),
])
def test_margin_rejects_bad_arguments(args, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        margin(*args)


def test_radius_rejects_bad_x():
    with pytest.raises(ValueError, match="X must be 2-D"):
        radius([1.0, 2.0])
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        radius([[np.inf, 1.0]])


def test_infinite_eta0_and_non_numeric_centre_are_refused_by_name():
    with pytest.raises(ValueError, match="eta0 must be finite"):
        Perceptron(eta0=float("inf")).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(TypeError, match="centre must be two numbers"):
        linearly_separable(10, centre="ab")
