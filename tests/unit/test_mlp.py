"""neuronlab.mlp: gradients against tf.GradientTape and finite differences, learning, determinism, speed, bad input."""

import time

import numpy as np
import pytest

from neuronlab import autodiff as ad
from neuronlab import mlp
from neuronlab.mlp import MLPClassifier, MLPRegressor, matmul_floor_seconds

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


def blobs(n=600, seed=0):
    """Three Gaussian blobs in 2-D, labelled 0, 1, 2."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    y = rng.integers(0, 3, n)
    return centres[y] + 0.6 * rng.standard_normal((n, 2)), y


def small_problem(seed=0, n=12, features=5, classes=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, features)), rng.integers(0, classes, n)


def fitted_classifier(activation="tanh", hidden=(7, 6), dtype="float64", seed=0):
    X, y = small_problem(seed)
    return MLPClassifier(hidden, activation, learning_rate=0.05, epochs=1, batch_size=4, dtype=dtype,
                         random_state=seed).fit(X, y), X, y


# --- gradients ---------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "softplus"])
def test_mlp_gradients_match_tensorflow_gradient_tape(activation):
    from neuronlab import config

    config.quiet_tensorflow_logging()
    tf = pytest.importorskip("tensorflow")
    model, X, y = fitted_classifier(activation)
    loss, coef_grads, intercept_grads = model.loss_and_gradients(X, y)

    weights = [tf.Variable(w) for pair in zip(model.coefs_, model.intercepts_) for w in pair]
    tf_activation = {"relu": tf.nn.relu, "tanh": tf.tanh, "sigmoid": tf.sigmoid, "softplus": tf.nn.softplus}[activation]
    with tf.GradientTape() as tape:
        h = tf.constant(X)
        for i in range(0, len(weights) - 2, 2):
            h = tf_activation(h @ weights[i] + weights[i + 1])
        logits = h @ weights[-2] + weights[-1]
        tf_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    tf_grads = tape.gradient(tf_loss, weights)

    assert loss == pytest.approx(float(tf_loss), rel=1e-10)
    ours = [g for pair in zip(coef_grads, intercept_grads) for g in pair]
    for mine, theirs in zip(ours, tf_grads):
        assert ad.relative_error(mine, theirs.numpy()) < 1e-5


def test_mlp_gradients_match_finite_differences():
    model, X, y = fitted_classifier("tanh")
    _, coef_grads, intercept_grads = model.loss_and_gradients(X, y)
    for param, grad in zip(model.coefs_ + model.intercepts_, coef_grads + intercept_grads):
        original = param.copy()

        def loss_at(value, param=param):
            param[...] = value
            return model.loss_and_gradients(X, y)[0]
        numerical = ad.numerical_gradient(loss_at, original)
        param[...] = original
        assert ad.relative_error(grad, numerical) < 1e-6


def test_regressor_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((10, 3)), rng.uniform(0.1, 2.0, (10, 2))
    model = MLPRegressor((4,), "tanh", output_activation="softplus", loss="huber", huber_delta=0.5,
                         dtype="float64", epochs=1, random_state=0).fit(X, y)
    _, coef_grads, _ = model.loss_and_gradients(X, y)
    W = model.coefs_[0]
    original = W.copy()

    def loss_at(value):
        W[...] = value
        return model.loss_and_gradients(X, y)[0]
    numerical = ad.numerical_gradient(loss_at, original)
    W[...] = original
    assert ad.relative_error(coef_grads[0], numerical) < 1e-6


# --- learning ----------------------------------------------------------------------------------

def test_classifier_learns_xor():
    X, y = np.tile(XOR_X, (25, 1)), np.tile(XOR_Y, 25)
    model = MLPClassifier((8,), "tanh", learning_rate=0.1, batch_size=4, epochs=60, random_state=0).fit(X, y)
    assert model.predict(XOR_X).tolist() == XOR_Y.tolist()
    assert model.score(XOR_X, XOR_Y) == 1.0


def test_classifier_separates_blobs_and_records_history():
    X, y = blobs()
    model = MLPClassifier((16,), "relu", learning_rate=0.05, batch_size=32, epochs=8, random_state=1)
    model.fit(X[:500], y[:500], X[500:], y[500:])
    assert model.score(X[500:], y[500:]) > 0.9
    history = model.history_
    assert {len(v) for v in history.values()} == {8} and model.n_iter_ == 8
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9 and 0 <= history["train_accuracy"][-1] <= 1
    assert model.loss_curve_ is history["loss"] and all(s > 0 for s in history["epoch_seconds"])
    proba = model.predict_proba(X[:5])
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1)


def test_classifier_keeps_any_labels_and_their_order():
    X, y = blobs(300)
    names = np.array(["cat", "dog", "emu"])[y]
    model = MLPClassifier((8,), learning_rate=0.05, epochs=5, batch_size=16, random_state=0).fit(X, names)
    assert model.classes_.tolist() == ["cat", "dog", "emu"]
    assert model.score(X, names) > 0.85
    assert set(model.predict(X[:20])) <= {"cat", "dog", "emu"}


def test_partial_fit_trains_one_epoch_per_call():
    X, y = blobs(300)
    model = MLPClassifier((8,), learning_rate=0.05, batch_size=16, random_state=0)
    for _ in range(4):
        model.partial_fit(X, y, classes=[0, 1, 2])
    assert model.n_iter_ == 4 and len(model.history_["loss"]) == 4
    assert model.score(X, y) > 0.85


def test_on_epoch_end_is_called_after_every_epoch_with_the_model():
    X, y = blobs(300)
    seen = []
    model = MLPClassifier((8,), learning_rate=0.05, batch_size=16, epochs=3, random_state=0)
    model.fit(X, y, on_epoch_end=lambda m: seen.append((m, m.n_iter_, len(m.history_["loss"]))))
    assert seen == [(model, 1, 1), (model, 2, 2), (model, 3, 3)]
    regressor_epochs = []
    MLPRegressor((4,), epochs=2, random_state=0).fit(X, y * 1.0, on_epoch_end=lambda m: regressor_epochs.append(m.n_iter_))
    assert regressor_epochs == [1, 2]
    with pytest.raises(TypeError, match="on_epoch_end must be a function"):
        MLPClassifier((8,), epochs=1).fit(X, y, on_epoch_end="print")


def test_momentum_flushes_subnormal_velocities_to_zero():
    """A weight whose gradient stops keeps a velocity shrinking by momentum into the subnormal floats,
    on which CPUs compute many times slower: every few steps such velocities are set to 0."""
    X, y = blobs(64)
    X = np.hstack([X, np.zeros((len(X), 1))])          # a feature that is always 0: its weights get no gradient
    tiny = np.finfo(np.float32).tiny
    model = MLPClassifier((4,), learning_rate=0.05, momentum=0.9, batch_size=8, epochs=1, random_state=0).fit(X, y)
    assert mlp._FLUSH_EVERY == 8 and model._steps == 8  # 64 samples in batches of 8: the next flush ends the next epoch
    velocity = model._velocity[0]
    velocity[-1] = 2 * tiny                           # 0.9**7 * 2 < 1: subnormal before the flush
    velocity[0, 0] = 1e-3
    model.partial_fit(X, y)
    assert (velocity[-1] == 0).all(), "a velocity that became subnormal should be exactly 0"
    assert not ((np.abs(velocity) < tiny) & (velocity != 0)).any()
    assert velocity[0, 0] != 0, "normal velocities are kept"


def test_coefs_have_sklearn_shapes_and_follow_training():
    X, y = blobs(200)
    model = MLPClassifier((6, 5), epochs=1, random_state=0).fit(X, y)
    assert model.layer_sizes_ == (2, 6, 5, 3)
    assert [w.shape for w in model.coefs_] == [(2, 6), (6, 5), (5, 3)]
    assert [b.shape for b in model.intercepts_] == [(6,), (5,), (3,)]
    assert all(w.dtype == np.float32 for w in model.coefs_)
    before = model.coefs_[0].copy()
    model.partial_fit(X, y)
    assert not np.array_equal(before, model.coefs_[0])


def test_regressor_fits_a_curve():
    x = np.linspace(-3, 3, 200)[:, None]
    y = np.sin(x[:, 0])
    model = MLPRegressor((32,), "tanh", learning_rate=0.05, batch_size=16, epochs=150, random_state=0).fit(x, y)
    assert model.score(x, y) > 0.97
    assert model.predict(x).shape == (200,)


def test_regressor_predicts_several_outputs_with_a_positive_output_activation():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    Y = np.column_stack([np.abs(X[:, 0]), X[:, 1] ** 2])
    for loss in ("mse", "mae", "huber"):
        model = MLPRegressor((16,), output_activation="softplus", loss=loss, learning_rate=0.05,
                             batch_size=16, epochs=30, random_state=0).fit(X[:250], Y[:250], X[250:], Y[250:])
        assert model.predict(X).shape == (300, 2) and (model.predict(X) >= 0).all()
        assert model.history_["val_loss"][-1] < model.history_["val_loss"][0]
    assert model.score(X[250:], Y[250:]) > 0.8


def test_identity_activation_network_is_one_linear_map():
    X, y = blobs(200)
    model = MLPClassifier((5, 4), "identity", learning_rate=0.01, epochs=2, dtype="float64", random_state=0).fit(X, y)
    W1, W2, W3 = model.coefs_
    b1, b2, b3 = model.intercepts_
    W, b = W1 @ W2 @ W3, (b1 @ W2 + b2) @ W3 + b3
    np.testing.assert_allclose(model.predict_proba(X), ad.softmax(X @ W + b), rtol=1e-10)


def test_step_activation_lets_no_gradient_reach_the_first_layer():
    X, y = blobs(200)
    model = MLPClassifier((8,), "step", epochs=1, random_state=0).fit(X, y)
    _, coef_grads, intercept_grads = model.loss_and_gradients(X, y)
    assert not coef_grads[0].any() and not intercept_grads[0].any()
    assert coef_grads[1].any()


# --- determinism -------------------------------------------------------------------------------

def test_same_random_state_gives_same_weights():
    X, y = blobs(200)
    a = MLPClassifier((8, 4), epochs=3, random_state=7).fit(X, y)
    b = MLPClassifier((8, 4), epochs=3, random_state=7).fit(X, y)
    c = MLPClassifier((8, 4), epochs=3, random_state=8).fit(X, y)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(wa, wb)
    assert a.history_["loss"] == b.history_["loss"]
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_refitting_starts_again_from_the_same_weights():
    X, y = blobs(200)
    model = MLPClassifier((8,), epochs=2, random_state=3)
    first = [w.copy() for w in model.fit(X, y).coefs_]
    second = model.fit(X, y).coefs_
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert model.n_iter_ == 2


def test_float32_and_float64_models_start_from_the_same_weights():
    X, y = blobs(50)
    w32 = MLPClassifier((4,), epochs=1, learning_rate=1e-12, random_state=0).fit(X, y).coefs_[0]
    w64 = MLPClassifier((4,), epochs=1, learning_rate=1e-12, dtype="float64", random_state=0).fit(X, y).coefs_[0]
    assert w32.dtype == np.float32 and w64.dtype == np.float64
    np.testing.assert_allclose(w32, w64, rtol=1e-6)


def test_he_initialisation_for_relu_and_glorot_for_tanh():
    X = np.zeros((10, 400))
    y = np.arange(10) % 2
    relu = MLPClassifier((300,), "relu", epochs=1, learning_rate=1e-12, random_state=0).fit(X, y)
    tanh = MLPClassifier((300,), "tanh", epochs=1, learning_rate=1e-12, random_state=0).fit(X, y)
    assert relu.coefs_[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert tanh.coefs_[0].std() == pytest.approx(np.sqrt(6 / 700) / np.sqrt(3), rel=0.02)


# --- speed: measured by `python -m neuronlab.tools.bench engine`, not asserted here -------------

def test_matmul_floor_counts_the_products_of_one_epoch():
    start = time.perf_counter()
    floor = matmul_floor_seconds((50, 20, 3), n_samples=1000, batch_size=64, repeats=2)
    assert 0 < floor < time.perf_counter() - start
    assert matmul_floor_seconds((50, 20, 3), 10, 64, dtype="float64", input_gradient=True, repeats=1) > 0


def test_matmul_floor_rejects_bad_arguments_naming_them():
    with pytest.raises(ValueError, match="layer_sizes must hold at least 2 sizes"):
        matmul_floor_seconds([784], 100, 10)
    with pytest.raises(ValueError, match=r"layer_sizes\[1\] must be >= 1, got 0"):
        matmul_floor_seconds([784, 0], 100, 10)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        matmul_floor_seconds([784, 10], 100, 0)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("arguments, error, message", [
    (dict(hidden_layer_sizes=(10, 0)), ValueError, r"hidden_layer_sizes\[1\] must be >= 1, got 0"),
    (dict(hidden_layer_sizes=(10, 2.5)), TypeError, r"hidden_layer_sizes\[1\] must be an int, got float"),
    (dict(hidden_layer_sizes="10"), TypeError, r"hidden_layer_sizes\[0\] must be an int, got str"),
    (dict(hidden_layer_sizes=None), TypeError, "hidden_layer_sizes must be an int or a sequence of ints"),
    (dict(activation="relux"), ValueError, r"activation must be one of \['identity', 'relu', 'sigmoid', "
                                           r"'softplus', 'step', 'tanh'\], got 'relux'"),
    (dict(learning_rate=0), ValueError, "learning_rate must be > 0, got 0"),
    (dict(learning_rate="fast"), TypeError, "learning_rate must be a number"),
    (dict(momentum=1.0), ValueError, r"momentum must be >= 0 and < 1, got 1.0"),
    (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
    (dict(epochs=2.0), TypeError, "epochs must be an int"),
    (dict(dtype="float16"), ValueError, "dtype must be 'float32' or 'float64', got 'float16'"),
    (dict(random_state="42"), TypeError, "random_state must be an int or None"),
])
def test_bad_arguments_are_refused_naming_them(arguments, error, message):
    with pytest.raises(error, match=message):
        MLPClassifier(**arguments)


def test_regressor_bad_arguments_are_refused_naming_them():
    with pytest.raises(ValueError, match=r"output_activation must be one of .*'sigmoid'.*got 'softmax'"):
        MLPRegressor(output_activation="softmax")
    with pytest.raises(ValueError, match=r"loss must be one of \['huber', 'mae', 'mse'\], got 'rmse'"):
        MLPRegressor(loss="rmse")


def test_bad_data_is_refused_naming_it():
    X, y = blobs(50)
    model = MLPClassifier((4,), epochs=1, random_state=0)
    with pytest.raises(ValueError, match="X and y must have the same number of samples, got 50 and 49"):
        model.fit(X, y[:-1])
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        model.fit(X_nan, y)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, n_features\), got \(50,\)"):
        model.fit(X[:, 0], y)
    with pytest.raises(ValueError, match=r"y must have shape \(n_samples,\)"):
        model.fit(X, y[:, None])
    with pytest.raises(ValueError, match="give both X_val and y_val, or neither"):
        model.fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="X_val and y_val must have the same number of samples"):
        model.fit(X, y, X, y[:10])
    with pytest.raises(ValueError, match="y must hold at least two classes"):
        model.fit(X, np.zeros(50, int))
    with pytest.raises(ValueError, match="not fitted yet"):
        model.predict(X)
    model.fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but this model was fitted with 2"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"y has labels \[7\] not among the classes \[0, 1, 2\]"):
        model.partial_fit(X, np.full(50, 7))


def test_images_are_flattened():
    rng = np.random.default_rng(0)
    images, y = rng.random((40, 4, 4)), np.arange(40) % 2
    model = MLPClassifier((5,), epochs=1, random_state=0).fit(images, y)
    assert model.layer_sizes_[0] == 16 and model.predict(images).shape == (40,)


def test_regressor_refuses_targets_out_of_the_output_range():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match=r"y ranges from -1 to 2.*output_activation='sigmoid' only reaches \[0, 1\]"):
        MLPRegressor(output_activation="sigmoid").fit(X, [-1, 0, 1, 2, 0])
    with pytest.raises(ValueError, match="y contains NaN"):
        MLPRegressor().fit(X, [0, np.nan, 1, 2, 0])


def test_divergence_is_reported_with_a_hint():
    X, y = blobs(100)
    with pytest.raises(FloatingPointError, match=r"training diverged.*lower learning_rate.*scale X"):
        with np.errstate(all="ignore"):
            MLPClassifier((8,), learning_rate=1e6, epochs=5, random_state=0).fit(X * 1e6, y)


def test_accepted_activations_are_the_engine_functions():
    assert set(mlp.ACTIVATIONS) == {"relu", "sigmoid", "tanh", "softplus", "step", "identity"}
    assert mlp.ACTIVATIONS["relu"] is ad.relu
