"""neuronlab.autodiff: every operation's gradient against central finite differences, bad input, dtypes."""

import numpy as np
import pytest

from neuronlab import autodiff as ad
from neuronlab.autodiff import Tensor

TOLERANCE = 1e-6  # relative error, float64


def rng(seed=0):
    return np.random.default_rng(seed)


def away_from_zero(shape, seed=0, gap=0.05):
    """Random values with |x| >= gap, so that no finite difference straddles a kink at 0."""
    x = rng(seed).uniform(gap, 2.0, shape)
    return x * rng(seed + 1).choice([-1.0, 1.0], shape)


def weighted_sum(out, seed=99):
    """A scalar that depends on every element of ``out`` with a different weight."""
    return (out * rng(seed).standard_normal(out.shape)).sum()


def assert_gradients_match(f, *arrays):
    errors = ad.gradient_check(f, *arrays)
    assert max(errors) < TOLERANCE, errors


# --- every operation against finite differences ------------------------------------------------

def test_matmul_gradient_matches_finite_differences():
    assert_gradients_match(lambda a, b: weighted_sum(a @ b), rng(1).standard_normal((4, 3)),
                           rng(2).standard_normal((3, 5)))


def test_matmul_with_plain_array_on_either_side_gives_gradient_to_the_tensor():
    W = Tensor(rng(1).standard_normal((3, 2)), requires_grad=True)
    X = rng(2).standard_normal((4, 3))
    (X @ W).sum().backward()
    np.testing.assert_allclose(W.grad, X.T @ np.ones((4, 2)))
    W.grad = None
    (W.T @ X.T).sum().backward()
    np.testing.assert_allclose(W.grad, X.T @ np.ones((4, 2)))


def test_linear_gradient_matches_finite_differences():
    assert_gradients_match(lambda x, w, b: weighted_sum(ad.linear(x, w, b)), rng(1).standard_normal((6, 4)),
                           rng(2).standard_normal((4, 3)), rng(3).standard_normal(3))


def test_linear_equals_matmul_plus_bias_in_value_and_gradient():
    x, w, b = rng(1).standard_normal((5, 4)), rng(2).standard_normal((4, 3)), rng(3).standard_normal(3)
    grads = []
    for build in (lambda x, w, b: ad.linear(x, w, b), lambda x, w, b: x @ w + b):
        tensors = [Tensor(a, requires_grad=True) for a in (x, w, b)]
        out = build(*tensors)
        weighted_sum(out).backward()
        grads.append([out.data] + [t.grad for t in tensors])
    for fused, written_out in zip(*grads):
        np.testing.assert_allclose(fused, written_out, rtol=1e-12)


@pytest.mark.parametrize("b_shape", [(3,), (1, 3), (4, 1), (), (4, 3)])
def test_broadcasting_add_gradient_matches_finite_differences(b_shape):
    assert_gradients_match(lambda a, b: weighted_sum(a + b), rng(1).standard_normal((4, 3)),
                           rng(2).standard_normal(b_shape))


def test_broadcasting_add_gradient_sums_over_broadcast_axes():
    a = Tensor(np.zeros((4, 3)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    c = Tensor(np.zeros((4, 1)), requires_grad=True)
    g = rng(1).standard_normal((4, 3))
    (a + b + c).backward(g)
    np.testing.assert_allclose(a.grad, g)
    np.testing.assert_allclose(b.grad, g.sum(axis=0))
    np.testing.assert_allclose(c.grad, g.sum(axis=1, keepdims=True))
    assert b.grad.shape == (3,) and c.grad.shape == (4, 1)


@pytest.mark.parametrize("name, f", [
    ("sub", lambda a, b: weighted_sum(a - b)),
    ("rsub", lambda a, b: weighted_sum(2.0 - a * b)),
    ("mul", lambda a, b: weighted_sum(a * b)),
    ("div", lambda a, b: weighted_sum(a / b)),
    ("rdiv", lambda a, b: weighted_sum(1.5 / b + a)),
    ("neg", lambda a, b: weighted_sum(-a + b)),
    ("pow", lambda a, b: weighted_sum(a ** 3 + b ** 2)),
    ("transpose", lambda a, b: weighted_sum(a.T * b.T)),
])
def test_arithmetic_gradient_matches_finite_differences(name, f):
    assert_gradients_match(f, away_from_zero((4, 3), seed=1), away_from_zero((1, 3), seed=3))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 1), False), (-1, False)])
def test_sum_and_mean_gradients_match_finite_differences(axis, keepdims):
    x = rng(1).standard_normal((3, 4))
    assert_gradients_match(lambda a: weighted_sum(a.sum(axis=axis, keepdims=keepdims)), x)
    assert_gradients_match(lambda a: weighted_sum(a.mean(axis=axis, keepdims=keepdims)), x)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "softplus", "exp", "step"])
def test_activation_gradient_matches_finite_differences(name):
    assert_gradients_match(lambda a: weighted_sum(getattr(ad, name)(a)), away_from_zero((5, 4)))


def test_log_gradient_matches_finite_differences():
    assert_gradients_match(lambda a: weighted_sum(ad.log(a)), rng(1).uniform(0.5, 3.0, (3, 4)))


def test_activation_values_and_derivatives():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    sigma = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(ad.sigmoid(z).data, sigma)
    np.testing.assert_allclose(ad.tanh(z).data, 2 * (1 / (1 + np.exp(-2 * z))) - 1)
    np.testing.assert_allclose(ad.relu(z).data, [0, 0, 0, 0.5, 2])
    np.testing.assert_allclose(ad.softplus(z).data, np.log1p(np.exp(z)))
    np.testing.assert_array_equal(ad.step(z).data, [0, 0, 1, 1, 1])
    for f, derivative in [(ad.sigmoid, sigma * (1 - sigma)), (ad.relu, [0, 0, 0, 1, 1]),
                          (ad.softplus, sigma), (ad.step, np.zeros(5))]:
        x = Tensor(z, requires_grad=True)
        f(x).sum().backward()
        np.testing.assert_allclose(x.grad, derivative)


def test_sigmoid_and_softplus_do_not_overflow_for_large_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        z = np.array([-1000.0, 1000.0])
        np.testing.assert_allclose(ad.sigmoid(z).data, [0, 1])
        np.testing.assert_allclose(ad.softplus(z).data, [0, 1000])


def test_softmax_cross_entropy_gradient_matches_finite_differences():
    labels = np.array([0, 2, 1, 2, 0])
    assert_gradients_match(lambda z: ad.softmax_cross_entropy(z, labels), rng(1).standard_normal((5, 3)))


def test_softmax_cross_entropy_equals_mean_negative_log_probability():
    logits = rng(1).standard_normal((6, 4))
    labels = np.array([3, 0, 1, 1, 2, 0])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = -np.log(p[np.arange(6), labels]).mean()
    assert float(ad.softmax_cross_entropy(logits, labels)) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(ad.softmax(logits), p)


def test_softmax_cross_entropy_is_finite_for_huge_logits():
    logits = Tensor(np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = ad.softmax_cross_entropy(logits, np.array([0, 2]))
        loss.backward()
    assert float(loss) == pytest.approx(np.log(2) / 2)
    assert np.isfinite(logits.grad).all()


def test_sigmoid_cross_entropy_gradient_matches_finite_differences():
    targets = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.3, 0.7]])
    assert_gradients_match(lambda z: ad.sigmoid_cross_entropy(z, targets), rng(1).standard_normal((4, 2)))
    z = np.array([[2.0, -1.0]])
    expected = -np.mean([np.log(1 / (1 + np.exp(-2.0))), np.log(1 - 1 / (1 + np.exp(1.0)))])
    assert float(ad.sigmoid_cross_entropy(z, [[1.0, 0.0]])) == pytest.approx(expected)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_regression_loss_gradient_matches_finite_differences(loss):
    target = rng(5).standard_normal((6, 2))
    prediction = target + away_from_zero((6, 2), seed=2, gap=0.05) * np.array([1.0, 3.0])  # some |d| > delta
    prediction[np.abs(np.abs(prediction - target) - 1.0) < 0.05] += 0.2  # keep Huber's knee away
    assert_gradients_match(lambda p: getattr(ad, loss)(p, target), prediction)


def test_regression_loss_values():
    p, t = np.array([0.0, 1.0, 4.0]), np.array([0.0, 0.0, 0.0])
    assert float(ad.mse(p, t)) == pytest.approx(17 / 3)
    assert float(ad.mae(p, t)) == pytest.approx(5 / 3)
    assert float(ad.huber(p, t)) == pytest.approx((0 + 0.5 + 3.5) / 3)
    assert float(ad.huber(p, t, delta=2.0)) == pytest.approx((0 + 0.5 + 6.0) / 3)


# --- the graph ---------------------------------------------------------------------------------

def test_tensor_used_twice_accumulates_both_contributions():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 1)


def test_diamond_graph_gradient_matches_finite_differences():
    def f(x, w):
        h = ad.tanh(x @ w)
        return weighted_sum(h * ad.sigmoid(h) + h)
    assert_gradients_match(f, rng(1).standard_normal((3, 4)), rng(2).standard_normal((4, 2)))


def test_topological_order_puts_parents_first():
    x = Tensor([[1.0]], requires_grad=True)
    h = ad.relu(x * 2.0)
    loss = (h + h * x).sum()
    order = loss.topological_order()
    position = {id(t): i for i, t in enumerate(order)}
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)
    assert order[-1] is loss and order[0].op == ""


def test_long_chain_backward_needs_no_recursion():
    x = Tensor(np.array([0.5]), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_data_tensors_get_no_gradient():
    x = Tensor(rng(1).standard_normal((4, 3)))
    w = Tensor(rng(2).standard_normal((3, 2)), requires_grad=True)
    ad.relu(x @ w).sum().backward()
    assert x.grad is None and w.grad is not None


def test_gradients_accumulate_over_backward_calls_until_reset():
    w = Tensor(np.array([2.0]), requires_grad=True)
    for _ in range(2):
        (w * 3.0).sum().backward()
    np.testing.assert_allclose(w.grad, [6.0])


# --- dtypes ----------------------------------------------------------------------------------

def test_float32_stays_float32_through_every_operation():
    x = Tensor(rng(1).standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    w = Tensor(rng(2).standard_normal((3, 3)).astype(np.float32), requires_grad=True)
    h = ad.softplus(ad.sigmoid(ad.tanh(ad.relu(ad.linear(x, w, np.zeros(3, np.float32)) * 2.0 + 1 - x / 2.0))))
    loss = ad.softmax_cross_entropy(h @ w, np.array([0, 1, 2, 0])) + ad.mse(h, np.zeros((4, 3))) + h.mean()
    loss.backward()
    assert loss.dtype == np.float32 and h.dtype == np.float32
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_integer_input_becomes_float64():
    assert Tensor([1, 2, 3]).dtype == np.float64
    assert Tensor(np.array([True, False])).dtype == np.float64


# --- finite differences themselves -------------------------------------------------------------

def test_numerical_gradient_of_a_quadratic():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(ad.numerical_gradient(lambda a: (a ** 2).sum(), x), 2 * x, rtol=1e-8)
    assert x[0, 0] == 1.0  # the caller's array is left alone


def test_relative_error():
    assert ad.relative_error([1.0, 2.0], [1.0, 2.0]) == 0
    assert ad.relative_error([0.0], [0.0]) == 0
    assert ad.relative_error([1.0, 0.0], [1.0 + 1e-9, 0.0]) == pytest.approx(1e-9, rel=1e-3)


def test_gradient_check_catches_a_wrong_backward_pass():
    def wrong_square(t):
        return ad._node(t.data ** 2, (t,), lambda g: ad._accumulate(t, g * t.data), "square")  # 2 is missing
    errors = ad.gradient_check(lambda x: wrong_square(x).sum(), rng(1).standard_normal(5))
    assert errors[0] > 0.1


# --- bad input ---------------------------------------------------------------------------------

def test_gradient_check_of_non_scalar_function_says_so():
    with pytest.raises(ValueError, match=r"f must return a single number.*shape \(2, 3\).*\.sum\(\)"):
        ad.gradient_check(lambda x: ad.relu(x), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"f must return a single number"):
        ad.numerical_gradient(lambda x: x * 2, np.ones(3))


def test_backward_on_non_scalar_without_grad_says_so():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*pass grad"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad must have this tensor's shape \(2, 3\), got \(3,\)"):
        y.backward(np.ones(3))


def test_backward_without_any_parameter_says_so():
    with pytest.raises(ValueError, match="requires_grad=True"):
        (Tensor([1.0]) * 2.0).sum().backward()


def test_matmul_shape_mismatch_names_both_shapes_and_the_operation():
    with pytest.raises(ValueError, match=r"matmul: shapes \(4, 3\) and \(4, 2\) do not line up"):
        Tensor(np.ones((4, 3))) @ Tensor(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"matmul: both operands must be 2-D, got shapes \(3,\) and \(3, 2\)"):
        Tensor(np.ones(3)) @ np.ones((3, 2))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(2,\).*got \(3,\)"):
        ad.linear(np.ones((4, 3)), np.ones((3, 2)), np.ones(3))


def test_broadcast_mismatch_names_both_shapes_and_the_operation():
    with pytest.raises(ValueError, match=r"add: shapes \(4, 3\) and \(4,\) cannot be broadcast"):
        Tensor(np.ones((4, 3))) + np.ones(4)
    with pytest.raises(ValueError, match=r"mul: shapes \(2, 3\) and \(2, 2\)"):
        Tensor(np.ones((2, 3))) * Tensor(np.ones((2, 2)))


def test_non_numeric_data_is_refused():
    with pytest.raises(TypeError, match="data must hold real numbers, got dtype <U1"):
        Tensor(["a"])
    with pytest.raises(TypeError, match="exponent must be a plain number"):
        Tensor([1.0]) ** Tensor([2.0])


def test_softmax_cross_entropy_rejects_bad_labels_naming_them():
    logits = np.zeros((3, 4))
    with pytest.raises(TypeError, match="labels must be integer class indices, got dtype float64"):
        ad.softmax_cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\) to match logits of shape \(3, 4\).*\(3, 1\)"):
        ad.softmax_cross_entropy(logits, np.array([[0], [1], [2]]))
    with pytest.raises(ValueError, match=r"labels must lie in 0 … 3 .*from 0 to 4"):
        ad.softmax_cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"logits must have shape \(n_samples, n_classes\), got \(4,\)"):
        ad.softmax_cross_entropy(np.zeros(4), np.array([0]))


def test_regression_losses_refuse_mismatched_shapes_naming_both():
    with pytest.raises(ValueError, match=r"mse: prediction has shape \(5, 1\) but target has shape \(5,\).*\(n, n\)"):
        ad.mse(np.zeros((5, 1)), np.zeros(5))
    with pytest.raises(ValueError, match="delta must be a number > 0"):
        ad.huber(np.zeros(2), np.zeros(2), delta=0)
