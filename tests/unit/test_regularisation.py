"""neuronlab.regularisation: MC-dropout layers stay on at inference, mc_predict averages passes, calibration."""

import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from neuronlab.regularisation import (MCAlphaDropout, MCDropout, MCPrediction, expected_calibration_error,  # noqa: E402
                                      mc_predict, reliability)


def small_model(dropout_layer):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((5,)), keras.layers.Dense(16, activation="selu"), dropout_layer,
                             keras.layers.Dense(3, activation="softmax")])


X = np.random.default_rng(0).normal(size=(40, 5)).astype("float32")


@pytest.mark.parametrize("layer_class", [MCDropout, MCAlphaDropout])
def test_mc_layers_drop_at_inference_while_keras_layers_do_not(layer_class):
    ones = np.ones((1, 2000), dtype="float32")
    out = keras.ops.convert_to_numpy(layer_class(0.3, seed=1)(ones, training=False))
    assert 0.25 < np.mean(out == out.min()) < 0.35  # the dropped units all take the same (lowest) value
    plain = {MCDropout: keras.layers.Dropout, MCAlphaDropout: keras.layers.AlphaDropout}[layer_class]
    assert np.all(keras.ops.convert_to_numpy(plain(0.3)(ones, training=False)) == 1.0)
    assert issubclass(layer_class, plain)


def test_mc_dropout_keeps_the_inverted_scaling():
    out = keras.ops.convert_to_numpy(MCDropout(0.5, seed=2)(np.ones((1, 1000), dtype="float32")))
    assert set(np.unique(out).round(6)) == {0.0, 2.0}


def test_mc_predict_averages_stochastic_passes():
    model = small_model(MCDropout(0.5))
    result = mc_predict(model, X, n_samples=30)
    assert isinstance(result, MCPrediction)
    assert result.samples.shape == (30, 40, 3) and result.samples.dtype == np.float32
    np.testing.assert_allclose(result.samples.sum(axis=2), 1.0, rtol=1e-5)
    np.testing.assert_allclose(result.mean, result.samples.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(result.std, result.samples.std(axis=0), rtol=1e-5)
    assert result.std.max() > 0.01  # the passes differ
    assert result.predicted.shape == (40,) and np.array_equal(result.predicted, result.mean.argmax(axis=1))


def test_mc_predict_with_training_true_switches_on_ordinary_dropout():
    model = small_model(keras.layers.Dropout(0.5))
    assert mc_predict(model, X, n_samples=3).std.max() < 1e-6  # plain Dropout is off at inference
    assert mc_predict(model, X, n_samples=3, training=True, batch_size=16).std.max() > 0.01


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras 3.15's saving
def test_mc_model_shares_the_trained_layers_and_survives_saving(tmp_path):
    model = small_model(keras.layers.Dropout(0.5))
    mc_model = keras.Sequential([MCDropout(layer.rate) if isinstance(layer, keras.layers.Dropout) else layer
                                 for layer in model.layers])
    assert mc_model.layers[0] is model.layers[0]
    mc_model(X[:1])
    path = tmp_path / "mc.keras"
    mc_model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.layers[1], MCDropout) and loaded.layers[1].rate == 0.5


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"n_samples": 0}, ValueError, "n_samples must be an integer >= 1, got 0"),
    ({"n_samples": 2.5}, ValueError, "n_samples must be an integer >= 1, got 2.5"),
    ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1, got 0"),
    ({"training": 1}, TypeError, "training must be True or False, got 1"),
])
def test_mc_predict_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        mc_predict(small_model(MCDropout(0.5)), X, **kwargs)


def test_mc_predict_rejects_something_that_is_not_a_model():
    with pytest.raises(TypeError, match="^model must be a Keras model, got str$"):
        mc_predict("model", X)


# --- calibration --------------------------------------------------------------------------------------------

def test_reliability_bins_predictions_by_confidence():
    p = np.array([[0.95, 0.05], [0.9, 0.1], [0.15, 0.85], [0.6, 0.4], [0.55, 0.45]])
    y = np.array([0, 1, 1, 0, 1])
    table = reliability(p, y, n_bins=5)
    assert table["count"].tolist() == [0, 0, 2, 0, 3]
    np.testing.assert_allclose(table["confidence"][[2, 4]], [0.575, (0.95 + 0.9 + 0.85) / 3])
    np.testing.assert_allclose(table["accuracy"][[2, 4]], [0.5, 2 / 3])
    assert np.isnan(table["accuracy"][0]) and table["edges"].shape == (6,)
    expected = (2 * abs(0.5 - 0.575) + 3 * abs(2 / 3 - 0.9)) / 5
    assert expected_calibration_error(p, y, n_bins=5) == pytest.approx(expected)


def test_a_calibrated_model_has_a_small_ece_and_an_overconfident_one_a_large_one():
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, size=20000)
    right = rng.random(20000) < confidence          # right exactly as often as it claims
    labels = np.where(right, 0, 1)
    calibrated = np.c_[confidence, 1 - confidence]
    assert expected_calibration_error(calibrated, labels) < 0.01
    overconfident = np.c_[np.minimum(confidence + 0.2, 1.0), 1 - np.minimum(confidence + 0.2, 1.0)]
    assert expected_calibration_error(overconfident, labels) > 0.1


@pytest.mark.parametrize(("p", "y", "message"), [
    (np.ones((3, 2)) / 2, [0, 1],
     "probabilities must have shape (n, k) with one row per label: got (3, 2) for 2 labels"),
    (np.ones((2, 2)) / 2, [0, 2], "labels must be class indices from 0 to 1"),
    (np.ones((2, 2)) / 2, [0.0, 1.0], "labels must be class indices from 0 to 1"),
])
def test_reliability_rejects_mismatched_inputs(p, y, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        reliability(p, y)


def test_reliability_rejects_a_bad_number_of_bins():
    with pytest.raises(ValueError, match="^n_bins must be an integer >= 1, got 0$"):
        reliability(np.ones((2, 2)) / 2, [0, 1], n_bins=0)
