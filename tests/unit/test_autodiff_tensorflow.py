"""neuronlab.autodiff and neuronlab.mlp against TensorFlow's tf.GradientTape (relative error < 1e-5, float64).

TensorFlow is imported once for this module (≈ 5–10 s); the checks run on small
networks so that the comparison, not the arithmetic, is what the time pays for.
"""

import numpy as np
import pytest

from neuronlab import autodiff as ad
from neuronlab.mlp import MLPClassifier, MLPRegressor

TOLERANCE = 1e-5

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

KERAS_ACTIVATIONS = {"relu": keras.ops.relu, "sigmoid": keras.ops.sigmoid, "tanh": keras.ops.tanh,
                     "softplus": keras.ops.softplus}
ENGINE_ACTIVATIONS = {"relu": ad.relu, "sigmoid": ad.sigmoid, "tanh": ad.tanh, "softplus": ad.softplus}


def network(rng, sizes):
    return [array for n, k in zip(sizes[:-1], sizes[1:])
            for array in (rng.normal(0, 0.6, (n, k)), rng.normal(0, 0.1, k))]


def engine_gradients(loss_fn, arrays):
    tensors = [ad.Tensor(a, requires_grad=True) for a in arrays]
    loss = loss_fn(*tensors)
    loss.backward()
    return float(loss.data), [t.grad for t in tensors]


def tape_gradients(loss_fn, arrays):
    variables = [tf.Variable(a) for a in arrays]
    with tf.GradientTape() as tape:
        loss = loss_fn(*variables)
    return float(loss), [g.numpy() for g in tape.gradient(loss, variables)]


def forward(params, X, activation):
    h = X
    for i in range(0, len(params) - 2, 2):
        h = activation(h @ params[i] + params[i + 1])
    return h @ params[-2] + params[-1]


@pytest.mark.parametrize("activation", sorted(ENGINE_ACTIVATIONS))
def test_softmax_cross_entropy_mlp_gradients_match_gradient_tape(activation):
    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(16, 5)), rng.integers(0, 3, 16)
    arrays = network(rng, [5, 6, 4, 3])
    ours_loss, ours = engine_gradients(
        lambda *p: ad.softmax_cross_entropy(forward(p, X, ENGINE_ACTIVATIONS[activation]), labels), arrays)
    their_loss, theirs = tape_gradients(
        lambda *p: keras.ops.mean(keras.losses.sparse_categorical_crossentropy(
            labels, forward(p, X, KERAS_ACTIVATIONS[activation]), from_logits=True)), arrays)
    assert ours_loss == pytest.approx(their_loss, rel=1e-12)
    errors = [ad.relative_error(a, b) for a, b in zip(ours, theirs)]
    assert max(errors) < TOLERANCE, errors


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "sigmoid_cross_entropy"])
def test_regression_and_binary_losses_match_gradient_tape(loss):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 4))
    targets = rng.uniform(0, 1, (12, 2)) if loss == "sigmoid_cross_entropy" else rng.normal(size=(12, 2))
    arrays = network(rng, [4, 5, 2])
    theirs_fn = {
        "mse": lambda p, t: keras.ops.mean((p - t) ** 2),
        "mae": lambda p, t: keras.ops.mean(keras.ops.abs(p - t)),
        "huber": lambda p, t: keras.ops.mean(keras.losses.huber(t, p, delta=1.0)),
        "sigmoid_cross_entropy": lambda p, t: keras.ops.mean(
            keras.losses.binary_crossentropy(t, p, from_logits=True)),
    }[loss]
    _, ours = engine_gradients(lambda *p: getattr(ad, loss)(forward(p, X, ad.tanh), targets), arrays)
    _, theirs = tape_gradients(lambda *p: theirs_fn(forward(p, X, keras.ops.tanh), targets), arrays)
    errors = [ad.relative_error(a, b) for a, b in zip(ours, theirs)]
    assert max(errors) < TOLERANCE, errors


def test_mlp_classifier_loss_and_gradients_match_gradient_tape():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(30, 6)), rng.integers(0, 4, 30)
    model = MLPClassifier((7, 5), "relu", dtype="float64", epochs=1, batch_size=10, random_state=0).fit(X, y)
    loss, coef_grads, intercept_grads = model.loss_and_gradients(X, y)
    arrays = [a for pair in zip(model.coefs_, model.intercepts_) for a in pair]
    their_loss, theirs = tape_gradients(
        lambda *p: keras.ops.mean(keras.losses.sparse_categorical_crossentropy(
            y, forward(p, X, keras.ops.relu), from_logits=True)), [a.copy() for a in arrays])
    ours = [g for pair in zip(coef_grads, intercept_grads) for g in pair]
    assert loss == pytest.approx(their_loss, rel=1e-10)
    assert max(ad.relative_error(a, b) for a, b in zip(ours, theirs)) < TOLERANCE


def test_mlp_regressor_with_positive_outputs_matches_gradient_tape():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(25, 3)), rng.uniform(0.5, 2.0, (25, 2))
    model = MLPRegressor((6,), "tanh", output_activation="softplus", dtype="float64", epochs=1,
                         batch_size=5, random_state=0).fit(X, y)
    loss, coef_grads, intercept_grads = model.loss_and_gradients(X, y)
    arrays = [a for pair in zip(model.coefs_, model.intercepts_) for a in pair]
    their_loss, theirs = tape_gradients(
        lambda *p: keras.ops.mean((keras.ops.softplus(forward(p, X, keras.ops.tanh)) - y) ** 2),
        [a.copy() for a in arrays])
    ours = [g for pair in zip(coef_grads, intercept_grads) for g in pair]
    assert loss == pytest.approx(their_loss, rel=1e-10)
    assert max(ad.relative_error(a, b) for a, b in zip(ours, theirs)) < TOLERANCE
