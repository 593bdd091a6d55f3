"""neuronlab.tensorboard.histograms gives every layer its own tag whichever way Keras named them:
by weight path (Keras 3.15: "net/hidden/kernel/histogram") or by bare weight name (Keras 3.13,
Colab's: "kernel/histogram" for every layer; keras-team/keras#22317 changed it)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from neuronlab import tensorboard as tb  # noqa: E402


class BareNames(keras.callbacks.TensorBoard):
    """Keras 3.13's TensorBoard._log_weights: tags by ``weight.name``, as Colab's Keras writes them."""

    def _log_weights(self, epoch):
        with self._train_writer.as_default():
            for layer in self.model.layers:
                for weight in layer.weights:
                    self.summary.histogram(f"{weight.name.replace(':', '_')}/histogram", weight, step=epoch)
            self._train_writer.flush()


def _model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype("float32")
    keras.utils.set_random_seed(0)
    scale = keras.layers.Normalization(name="scale")
    scale.adapt(X)
    model = keras.Sequential([keras.Input((3,)), scale, keras.layers.Dense(4, activation="relu", name="hidden"),
                              keras.layers.Dense(2, use_bias=False, name="middle"),
                              keras.layers.Dense(1, name="out")], name="net")
    model.compile(loss="mse", optimizer="sgd")
    return model, X, X.sum(axis=1)


@pytest.fixture(scope="module")
def bare_logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("bare")
    model, X, y = _model()
    model.fit(X, y, epochs=2, verbose=0, callbacks=[BareNames(root / "run", histogram_freq=1)])
    return root, model


def test_bare_weight_names_get_their_layer_back(bare_logs):
    root, model = bare_logs
    frame = tb.histograms(root)
    assert set(frame.tag) == {"scale/mean/histogram", "scale/variance/histogram", "scale/count/histogram",
                              "hidden/kernel/histogram", "hidden/bias/histogram", "middle/kernel/histogram",
                              "out/kernel/histogram", "out/bias/histogram"}
    # each tag holds one layer's histogram per epoch: as many buckets as one histogram has
    per_step = frame.groupby(["tag", "step"]).size()
    assert per_step.nunique() == 1
    # and its values: the counts add up to that layer's kernel size
    for layer in ("hidden", "middle", "out"):
        part = frame[(frame.tag == f"{layer}/kernel/histogram") & (frame.step == 1)]
        assert part["count"].sum() == pytest.approx(np.prod(model.get_layer(layer).kernel.shape))
    only = tb.histograms(root, tag="middle/kernel/histogram")
    assert set(only.tag) == {"middle/kernel/histogram"} and set(only.step) == {0, 1}


def test_without_the_model_configuration_repeated_names_are_numbered(tmp_path):
    model, X, y = _model()
    model.fit(X, y, epochs=1, verbose=0, callbacks=[BareNames(tmp_path / "run", histogram_freq=1, write_graph=False)])
    tags = set(tb.histograms(tmp_path).tag)
    assert {"kernel#1/histogram", "kernel#2/histogram", "kernel#3/histogram",
            "bias#1/histogram", "bias#2/histogram", "mean/histogram"} <= tags
    assert "kernel/histogram" not in tags


def test_keras_own_names_are_kept(tmp_path):
    model, X, y = _model()
    model.fit(X, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path / "run", histogram_freq=1)])
    logged = {f"{w.path.replace(':', '_')}/histogram" for w in model.weights}
    if all(tag.count("/") == 1 for tag in logged):  # a Keras that still tags by bare name
        pytest.skip(f"Keras {keras.__version__} tags by weight name (covered above)")
    assert set(tb.histograms(tmp_path).tag) == logged
