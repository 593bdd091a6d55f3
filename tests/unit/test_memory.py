"""neuronlab.memory: the leftover gradient registrations of graph-mode fits are dropped, nothing else changes."""

from __future__ import annotations

import numpy as np

from neuronlab import memory


def _registrations() -> int:
    return sum(1 for name in memory._gradient_registry() if str(name).startswith("CustomGradient-"))


def test_a_graph_mode_fit_leaves_registrations_that_release_drops_and_training_goes_on():
    import keras

    keras.utils.set_random_seed(0)
    X = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = (X[:, 0] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="sgd")
    model.fit(X, y, epochs=1, batch_size=16, verbose=0)
    before = _registrations()
    assert before > 0, "a graph-mode fit registers gradients in TensorFlow's registry"
    assert memory.release_tensorflow_memory() == before
    assert _registrations() == 0
    # the model still predicts and trains after the release
    weights = [w.copy() for w in model.get_weights()]
    model.fit(X, y, epochs=1, batch_size=16, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    assert model.predict(X, verbose=0).shape == (64, 1)


def test_without_a_registry_nothing_is_dropped(monkeypatch):
    monkeypatch.setattr(memory, "_gradient_registry", lambda: {})
    assert memory.release_tensorflow_memory() == 0
