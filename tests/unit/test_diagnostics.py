"""neuronlab.diagnostics (per-layer statistics, Keras and NumPy) and neuronlab.batchnorm (chapter 06).

The from-scratch pieces are held against the libraries they mirror:

- the NumPy activations and their derivatives against ``keras.activations`` and ``tf.GradientTape``
  (float32, tolerance 1e-5);
- :func:`forward_backward` against :func:`layer_statistics` on the same weights (Keras, float32: activations
  within 1e-5, gradients within a relative 1e-4);
- batch normalisation in NumPy against ``keras.layers.BatchNormalization`` in training and inference modes,
  moving averages included (float32 inputs: within 1e-5), and the Dense + BN fold against the Keras pair
  (within 1e-5).
"""

import numpy as np
import pytest

from neuronlab import batchnorm, diagnostics
from neuronlab.diagnostics import (ACTIVATIONS, INITIALIZERS, LayerStatistics, dead_units, draw_histogram_map,
                                   forward_backward, histogram_shares, initial_weights, layer_statistics,
                                   plot_std_by_layer, simulate)

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def _batch(n=64, features=12, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype("float32"), rng.integers(0, classes, size=n)


def _keras_mlp(weights, activation, *, functional=False, separate_activation=False):
    """A Keras MLP holding ``weights`` (from initial_weights): hidden layers with ``activation``, softmax output."""
    n_inputs = weights[0][0].shape[0]
    inputs = keras.Input((n_inputs,))
    h = inputs
    layers = []
    for W, _ in weights[:-1]:
        if separate_activation:
            layers += [keras.layers.Dense(W.shape[1]), keras.layers.Activation(activation)]
        else:
            layers.append(keras.layers.Dense(W.shape[1], activation=activation))
    layers.append(keras.layers.Dense(weights[-1][0].shape[1], activation="softmax"))
    if functional:
        for layer in layers:
            h = layer(h)
        model = keras.Model(inputs, h)
    else:
        model = keras.Sequential([inputs] + layers)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    for layer, (W, b) in zip(dense, weights):
        layer.set_weights([W.astype("float32"), b.astype("float32")])
    return model


# --- activations ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_numpy_activations_and_slopes_match_keras_and_gradient_tape(name):
    z = np.linspace(-6, 6, 1201, dtype="float32")
    z = z[np.abs(z) > 1e-3]                              # away from the kinks at 0
    function, slope = ACTIVATIONS[name]
    tensor = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        value = getattr(keras.activations, name)(tensor)
    np.testing.assert_allclose(function(z.astype(float)), value.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(slope(z.astype(float)), tape.gradient(value, tensor).numpy(), rtol=1e-5, atol=1e-5)


def test_activations_cope_with_huge_inputs_without_warnings():
    z = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        for name, (function, slope) in ACTIVATIONS.items():
            assert np.all(np.isfinite(slope(z))), name
            value = function(z)
            assert not np.any(np.isnan(value)), name


# --- initial weights ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, variance", [("N(0, 1)", lambda i, o: 1.0), ("N(0, 0.01²)", lambda i, o: 1e-4),
                                            ("Glorot", lambda i, o: 2 / (i + o)), ("LeCun", lambda i, o: 1 / i),
                                            ("He", lambda i, o: 2 / i)])
def test_initial_weights_have_the_variance_of_their_rule_and_zero_biases(name, variance):
    weights = initial_weights([400, 200, 100], name, random_state=3)
    for (W, b), (fan_in, fan_out) in zip(weights, [(400, 200), (200, 100)]):
        assert W.shape == (fan_in, fan_out) and b.shape == (fan_out,) and not b.any()
        assert W.var() == pytest.approx(variance(fan_in, fan_out), rel=0.03)
    assert set(INITIALIZERS) == {"N(0, 1)", "N(0, 0.01²)", "Glorot", "LeCun", "He"}


def test_deeper_networks_start_with_the_same_lower_layers():
    shallow = initial_weights([10, 8, 8, 3], "He", random_state=5)
    deep = initial_weights([10, 8, 8, 8, 8, 3], "He", random_state=5)
    for (W1, _), (W2, _) in zip(shallow[:2], deep[:2]):
        np.testing.assert_array_equal(W1, W2)
    assert not np.array_equal(initial_weights([10, 8, 3], "He", random_state=6)[0][0], shallow[0][0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(layer_sizes=[10]), "layer_sizes must list at least two ints"),
    (dict(layer_sizes=[10, 0, 3]), "layer_sizes must list at least two ints"),
    (dict(layer_sizes="10"), "layer_sizes must list"),
    (dict(layer_sizes=[10, 3], initializer="xavier"), "initializer must be one of"),
    (dict(layer_sizes=[10, 3], random_state=-1), "random_state must be an int >= 0"),
])
def test_initial_weights_rejects_bad_arguments_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initial_weights(**kwargs)


# --- the NumPy forward and backward pass against tf.GradientTape ---------------------------------------

@pytest.mark.parametrize("activation", ["sigmoid", "relu", "selu", "gelu", "mish"])
@pytest.mark.parametrize("functional", [False, True])
def test_forward_backward_matches_layer_statistics_on_the_same_weights(activation, functional):
    X, y = _batch()
    weights = initial_weights([12, 16, 16, 16, 4], "He", random_state=1)
    numpy_stats = forward_backward(X, y, weights, activation)
    keras_stats = layer_statistics(_keras_mlp(weights, activation, functional=functional), X, y,
                                   loss="sparse_categorical_crossentropy")
    assert numpy_stats.names == ("hidden 1", "hidden 2", "hidden 3", "output") and len(keras_stats) == 4
    assert numpy_stats.loss == pytest.approx(keras_stats.loss, rel=1e-5)
    for mine, theirs in zip(numpy_stats.activations, keras_stats.activations):
        np.testing.assert_allclose(mine, theirs, atol=1e-5)
    for mine, theirs in zip(numpy_stats.gradients, keras_stats.gradients):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-4 * np.abs(theirs).max())


def test_simulate_is_forward_backward_on_initial_weights():
    X, y = _batch(features=20, classes=10)
    stats = simulate(X, y, depth=3, activation="tanh", initializer="Glorot", width=7, random_state=2)
    expected = forward_backward(X, y, initial_weights([20, 7, 7, 7, 10], "Glorot", random_state=2), "tanh")
    for a, b in zip(stats.gradients + stats.activations, expected.gradients + expected.activations):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="depth must be an int >= 1"):
        simulate(X, y, depth=0, activation="relu", initializer="He")


def test_forward_backward_says_what_it_expected():
    X, y = _batch()
    weights = initial_weights([12, 5, 4], "He")
    with pytest.raises(ValueError, match="X has 11 features per sample but the first layer expects 12"):
        forward_backward(X[:, :11], y, weights, "relu")
    with pytest.raises(ValueError, match="y must hold 64 class indices from 0 to 3"):
        forward_backward(X, y + 4, weights, "relu")
    with pytest.raises(ValueError, match="activation must be one of"):
        forward_backward(X, y, weights, "softsign")


def test_an_exploding_network_gives_infinities_not_warnings():
    X, y = _batch(features=100, classes=10)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        stats = simulate(X, y, depth=100, activation="relu", initializer="N(0, 1)")
    assert np.max(stats.activations[-2]) > 1e50               # ×7 or so per layer


# --- layer_statistics on Keras models -----------------------------------------------------------------

def test_layer_statistics_reads_activations_after_a_separate_activation_layer():
    X, y = _batch()
    weights = initial_weights([12, 8, 4], "He", random_state=4)
    inside = layer_statistics(_keras_mlp(weights, "relu"), X, y, loss="sparse_categorical_crossentropy")
    separate = layer_statistics(_keras_mlp(weights, "relu", separate_activation=True), X, y,
                                loss="sparse_categorical_crossentropy")
    np.testing.assert_allclose(inside.activations[0], separate.activations[0], atol=1e-6)
    assert (separate.activations[0] >= 0).all()                # after the ReLU, not before it
    np.testing.assert_allclose(inside.gradients[0], separate.gradients[0], atol=1e-6)


def test_layer_statistics_uses_the_compiled_loss_and_works_on_unbuilt_and_image_models():
    X, y = _batch(n=16)
    model = keras.Sequential([keras.layers.Dense(6, activation="relu"), keras.layers.Dense(4, activation="softmax")])
    with pytest.raises(ValueError, match="is not compiled, so it has no loss: pass loss="):
        layer_statistics(model, X, y)
    model.compile(loss="sparse_categorical_crossentropy")
    stats = layer_statistics(model, X, y)                      # unbuilt: built by the call
    assert [a.shape for a in stats.activations] == [(16, 6), (16, 4)]
    images = keras.Sequential([keras.Input((4, 3)), keras.layers.Flatten(), keras.layers.Dense(5),
                               keras.layers.Dense(2, activation="softmax")])
    stats = layer_statistics(images, X.reshape(16, 4, 3), y % 2, loss="sparse_categorical_crossentropy")
    assert stats.gradients[0].shape == (12, 5)


def test_layer_statistics_says_what_it_expected_for_wrong_inputs():
    X, y = _batch()
    model = _keras_mlp(initial_weights([12, 8, 4], "He"), "relu")
    with pytest.raises(ValueError, match=r"X has shape \(64, 10\), but model '.*' expects batches of shape "
                                         r"\(batch, 12\)"):
        layer_statistics(model, X[:, :10], y, loss="mse")
    with pytest.raises(ValueError, match=r"expects batches of shape \(batch, 12\) \(reshape the images, or add a "
                                         r"Flatten layer\)"):
        layer_statistics(model, X.reshape(64, 3, 4), y, loss="mse")
    with pytest.raises(ValueError, match=r"X must be a batch of samples of shape \(batch, 12\)"):
        layer_statistics(model, X[0], y, loss="mse")
    with pytest.raises(ValueError, match="y must hold one target per sample of X"):
        layer_statistics(model, X, y[:10], loss="mse")
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        layer_statistics(model, [["a", "b"]], y, loss="mse")
    with pytest.raises(ValueError, match="loss must be a Keras loss name or function"):
        layer_statistics(model, X, y, loss="no_such_loss")


def test_layer_statistics_rejects_models_without_dense_layers_and_non_models():
    X, y = _batch()
    no_dense = keras.Sequential([keras.Input((12,)), keras.layers.Flatten(), keras.layers.Activation("relu")])
    with pytest.raises(ValueError, match=r"layer_statistics needs a model with Dense layers \(an MLP\); model "
                                         r"'.*' has none \(its layers: Flatten, Activation\)"):
        layer_statistics(no_dense, X, y, loss="mse")
    with pytest.raises(TypeError, match="model must be a Keras model"):
        layer_statistics(lambda x: x, X, y, loss="mse")

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(TypeError, match="works with Sequential and functional models"):
        layer_statistics(Subclassed(), X, y, loss="mse")


def test_table_and_dead_fraction_summarise_each_layer():
    X, y = _batch()
    stats = forward_backward(X, y, initial_weights([12, 6, 4], "He", random_state=0), "relu")
    table = stats.table()
    assert list(table.columns) == ["units", "activation mean", "activation std", "dead units", "gradient std"]
    assert list(table.index) == ["hidden 1", "output"] and table["units"].tolist() == [6, 4]
    assert table["activation std"].iloc[0] == pytest.approx(np.std(stats.activations[0]))
    dead = LayerStatistics(("a",), (np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 0.5]]),), (np.zeros((2, 3)),), 0.0)
    assert dead.dead_fraction().tolist() == [pytest.approx(1 / 3)] and dead.table()["dead units"].tolist() == [1]


# --- dead units -----------------------------------------------------------------------------------------

def test_dead_units_counts_units_silent_for_every_sample():
    X, _ = _batch(n=300)
    weights = initial_weights([12, 10, 10, 3], "He", random_state=2)
    weights[0][1][:4] = -1e3                                  # four units of layer 1 can never fire
    weights[1][1][7:] = -1e3                                  # three of layer 2
    model = _keras_mlp(weights, "relu")
    table = dead_units(model, X, batch_size=64)
    assert table["dead"].tolist() == [4, 3] and table["units"].tolist() == [10, 10]
    assert table["dead fraction"].tolist() == [0.4, 0.3]
    assert dead_units(_keras_mlp(weights, "leaky_relu"), X)["dead"].tolist() == [0, 0]


def test_dead_units_validates_its_arguments():
    X, _ = _batch()
    model = _keras_mlp(initial_weights([12, 4], "He"), "relu")
    with pytest.raises(ValueError, match="has only an output layer"):
        dead_units(model, X)
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        dead_units(_keras_mlp(initial_weights([12, 5, 4], "He"), "relu"), X, batch_size=0)


# --- drawing ----------------------------------------------------------------------------------------------

def test_histogram_shares_count_every_value_once_clipping_the_tails():
    edges = np.linspace(-1, 1, 5)
    shares = histogram_shares([np.array([-5.0, -0.9, 0.1, 0.2, np.inf, np.nan]), np.array([np.nan])], edges)
    assert shares.shape == (4, 2)
    assert shares[:, 0].tolist() == [0.4, 0.0, 0.4, 0.2] and shares[:, 1].tolist() == [0, 0, 0, 0]
    uneven = histogram_shares([np.array([0.05, 0.5, 2.0])], np.array([0.0, 0.1, 1.0, 10.0]))
    assert uneven[:, 0].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    with pytest.raises(ValueError, match="edges must be a 1-D array of at least two increasing numbers"):
        histogram_shares([np.zeros(3)], [1.0, 0.0])


def test_plots_draw_two_log_panels_and_a_histogram_map():
    import matplotlib.pyplot as plt

    X, y = _batch()
    stats = {"He": simulate(X, y, depth=4, activation="relu", initializer="He", width=8, n_classes=4),
             "Glorot": simulate(X, y, depth=4, activation="relu", initializer="Glorot", width=8, n_classes=4)}
    fig = plot_std_by_layer(stats, title="test")
    act_ax, grad_ax = fig.axes
    assert act_ax.get_yscale() == grad_ax.get_yscale() == "log"
    for ax in (act_ax, grad_ax):                               # limits on whole decades, at least one apart
        low, high = np.log10(ax.get_ylim())
        assert low == round(low) and high == round(high) and high - low >= 1
    assert len(act_ax.lines) == 2 and len(act_ax.lines[0].get_xdata()) == 4      # the output layer is left out
    assert fig.get_size_inches()[0] <= 7
    with pytest.raises(TypeError, match="results must be a non-empty mapping"):
        plot_std_by_layer({})
    _, ax = plt.subplots()
    shares = histogram_shares(stats["He"].activations[:-1], np.linspace(-3, 3, 13))
    image = draw_histogram_map(ax, shares, np.linspace(-3, 3, 13))
    assert image.get_array().shape == (12, 4)
    with pytest.raises(ValueError, match="shares must have shape"):
        draw_histogram_map(ax, shares, np.linspace(-3, 3, 5))


# --- batch normalisation ------------------------------------------------------------------------------------

BN_TOLERANCE = 1e-5  # float32 inputs and Keras's float32 arithmetic


def _bn_setup(n_features=5, seed=0, momentum=0.9):
    rng = np.random.default_rng(seed)
    parameters = [rng.uniform(0.5, 2, n_features), rng.normal(size=n_features), rng.normal(size=n_features),
                  rng.uniform(0.5, 2, n_features)]
    layer = keras.layers.BatchNormalization(momentum=momentum)
    layer.build((None, n_features))
    layer.set_weights(parameters)
    X = rng.normal(3, 2, size=(32, n_features)).astype("float32")
    return layer, parameters, X


def test_batch_norm_training_matches_keras_outputs_and_moving_averages():
    layer, (gamma, beta, mean, var), X = _bn_setup()
    keras_out = keras.ops.convert_to_numpy(layer(X, training=True))
    out, new_mean, new_var = batchnorm.batch_norm_training(X, gamma, beta, mean, var, momentum=0.9,
                                                           epsilon=layer.epsilon)
    np.testing.assert_allclose(out, keras_out, atol=BN_TOLERANCE)
    _, _, keras_mean, keras_var = layer.get_weights()
    np.testing.assert_allclose(new_mean, keras_mean, atol=BN_TOLERANCE)
    np.testing.assert_allclose(new_var, keras_var, atol=BN_TOLERANCE)


def test_batch_norm_inference_matches_keras_and_ignores_the_batch():
    layer, (gamma, beta, mean, var), X = _bn_setup(seed=1)
    keras_out = keras.ops.convert_to_numpy(layer(X, training=False))
    out = batchnorm.batch_norm_inference(X, gamma, beta, mean, var, epsilon=layer.epsilon)
    np.testing.assert_allclose(out, keras_out, atol=BN_TOLERANCE)
    np.testing.assert_allclose(batchnorm.batch_norm_inference(X[:1], gamma, beta, mean, var), out[:1], atol=1e-12)


def test_fusing_dense_and_batch_norm_gives_the_keras_pairs_outputs():
    rng = np.random.default_rng(2)
    for use_bias in (True, False):
        pair = keras.Sequential([keras.Input((7,)), keras.layers.Dense(4, use_bias=use_bias),
                                 keras.layers.BatchNormalization()])
        dense, bn = pair.layers
        bn.set_weights([rng.uniform(0.5, 2, 4), rng.normal(size=4), rng.normal(size=4), rng.uniform(0.5, 2, 4)])
        weights = dense.get_weights()
        kernel, bias = batchnorm.fuse_dense_batch_norm(weights[0], weights[1] if use_bias else None,
                                                       *bn.get_weights(), epsilon=bn.epsilon)
        X = rng.normal(size=(20, 7)).astype("float32")
        expected = keras.ops.convert_to_numpy(pair(X, training=False))
        np.testing.assert_allclose(X @ kernel + bias, expected, atol=BN_TOLERANCE)


@pytest.mark.parametrize("call, error, message", [
    (lambda: batchnorm.batch_norm_inference(np.zeros(3), *[np.ones(3)] * 4), ValueError,
     r"X must have shape \(batch, features\)"),
    (lambda: batchnorm.batch_norm_inference(np.zeros((2, 3)), np.ones(2), *[np.ones(3)] * 3), ValueError,
     r"gamma must have shape \(3,\), one value per feature, got \(2,\)"),
    (lambda: batchnorm.batch_norm_training(np.zeros((2, 3)), *[np.ones(3)] * 4, momentum=1.5), ValueError,
     r"momentum must be in \[0, 1\]"),
    (lambda: batchnorm.batch_norm_training(np.zeros((2, 3)), *[np.ones(3)] * 4, epsilon=-1), ValueError,
     r"epsilon must be in \[0, inf\)"),
    (lambda: batchnorm.batch_norm_training(np.zeros((2, 3)), *[np.ones(3)] * 4, momentum="high"), TypeError,
     "momentum must be a number"),
    (lambda: batchnorm.fuse_dense_batch_norm(np.zeros(3), None, *[np.ones(3)] * 4), ValueError,
     r"kernel must have shape \(n_inputs, units\)"),
    (lambda: batchnorm.fuse_dense_batch_norm(np.zeros((2, 3)), np.zeros(2), *[np.ones(3)] * 4), ValueError,
     r"bias must have shape \(3,\)"),
])
def test_batch_norm_functions_name_the_bad_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_module_docstrings_examples_hold():
    import doctest

    for module in (diagnostics, batchnorm):
        assert doctest.testmod(module).failed == 0
