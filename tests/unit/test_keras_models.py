"""neuronlab.keras_models: run folders, .keras round trips, model diagrams, learning curves, image grids."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from neuronlab import keras_models as km  # noqa: E402


def _sequential():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu", name="hidden"),
                              keras.layers.Dense(3, activation="softmax", name="out")], name="seq")
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model


def _wide_and_deep():
    keras.utils.set_random_seed(2)
    wide, deep = keras.Input((2,), name="wide"), keras.Input((3,), name="deep")
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(deep)
    concat = keras.layers.concatenate([wide, hidden], name="concat")
    main = keras.layers.Dense(1, name="main")(concat)
    aux = keras.layers.Dense(1, name="aux")(hidden)
    model = keras.Model(inputs=[wide, deep], outputs=[main, aux], name="wd")
    model.compile(loss=("mse", "mse"), loss_weights=(0.9, 0.1), optimizer="adam")
    return model


@keras.saving.register_keras_serializable(package="test_keras_models")
class Doubler(keras.Model):
    """A subclassed model with a constructor argument (so get_config matters)."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units)

    def call(self, inputs):
        return 2 * self.dense(inputs)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Unregistered(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


# --------------------------------------------------------------------- run folders
def test_run_folder_is_fresh_under_the_temp_root_and_stable(tmp_path):
    folder = km.run_folder("ch04/demo", root=tmp_path)
    assert folder == tmp_path / "ch04" / "demo" and folder.is_dir()
    (folder / "stale.txt").write_text("old run")
    assert km.run_folder("ch04/demo", root=tmp_path) == folder
    assert not (folder / "stale.txt").exists()
    (folder / "keep.txt").write_text("x")
    km.run_folder("ch04/demo", root=tmp_path, fresh=False)
    assert (folder / "keep.txt").exists()


def test_run_folder_default_root_is_outside_the_repository():
    from neuronlab.config import REPOSITORY

    folder = km.run_folder("unit-tests/probe")
    assert km.RUNS_ROOT in folder.parents and REPOSITORY not in folder.parents


def test_each_process_has_its_own_runs_root_removed_at_exit(tmp_path):
    import os
    import subprocess
    import sys

    code = ("from neuronlab import keras_models as km; f = km.run_folder('probe'); "
            "(f / 'x').write_text('x'); print(km.RUNS_ROOT)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    other_root = Path(out.stdout.strip())
    assert other_root != km.RUNS_ROOT and other_root.parent == km.RUNS_ROOT.parent
    assert other_root.name.startswith("process-") and not other_root.exists()  # gone with its process
    assert km.RUNS_ROOT.name == f"process-{os.getpid()}"


@pytest.mark.parametrize("name", ["", "../escape", "a/../b", "/abs", "with space", "a//b", 3])
def test_run_folder_rejects_unsafe_names(name, tmp_path):
    with pytest.raises(ValueError, match="name must be a relative folder name"):
        km.run_folder(name, root=tmp_path)


def test_run_folder_rejects_bad_flags(tmp_path):
    with pytest.raises(TypeError, match="fresh must be True or False"):
        km.run_folder("x", fresh="yes", root=tmp_path)
    with pytest.raises(TypeError, match="root must be a path"):
        km.run_folder("x", root=3)


# --------------------------------------------------------------------- saving and loading
def test_keras_round_trip_gives_identical_predictions(tmp_path):
    X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    model = _sequential()
    model.fit(X, np.arange(16) % 3, epochs=2, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = km.load_model(tmp_path / "model.keras")
    assert np.array_equal(model.predict(X, verbose=0), loaded.predict(X, verbose=0))
    assert loaded.optimizer.__class__ is model.optimizer.__class__  # compiled: training can go on


def test_functional_round_trip_keeps_both_outputs(tmp_path):
    rng = np.random.default_rng(1)
    inputs = (rng.normal(size=(8, 2)).astype("float32"), rng.normal(size=(8, 3)).astype("float32"))
    model = _wide_and_deep()
    model.fit(inputs, (np.ones(8), np.ones(8)), epochs=1, verbose=0)  # a trained optimizer saves its state too
    model.save(tmp_path / "wd.keras")
    loaded = km.load_model(str(tmp_path / "wd.keras"))
    for mine, theirs in zip(model.predict(inputs, verbose=0), loaded.predict(inputs, verbose=0)):
        assert np.array_equal(mine, theirs)


def test_subclassed_round_trip_needs_registration_or_custom_objects(tmp_path):
    X = np.ones((3, 4), dtype="float32")
    model = Doubler(units=3)
    model(X)
    model.save(tmp_path / "doubler.keras")
    loaded = km.load_model(tmp_path / "doubler.keras")
    assert isinstance(loaded, Doubler) and loaded.units == 3
    assert np.array_equal(model.predict(X, verbose=0), loaded.predict(X, verbose=0))
    other = Unregistered()
    other(X)
    other.save(tmp_path / "other.keras")
    loaded = km.load_model(tmp_path / "other.keras", custom_objects={"Unregistered": Unregistered})
    assert np.array_equal(other.predict(X, verbose=0), loaded.predict(X, verbose=0))


def test_weights_only_round_trip(tmp_path):
    X = np.ones((2, 4), dtype="float32")
    model = _sequential()
    model.save_weights(tmp_path / "m.weights.h5")
    twin = _sequential()
    twin.set_weights([np.zeros_like(w) for w in twin.get_weights()])
    twin.load_weights(tmp_path / "m.weights.h5")
    assert np.array_equal(model.predict(X, verbose=0), twin.predict(X, verbose=0))
    with pytest.raises(ValueError, match="looks like weights only"):
        km.load_model(tmp_path / "m.weights.h5")


def test_a_legacy_h5_model_still_loads(tmp_path):
    X = np.ones((2, 4), dtype="float32")
    model = _sequential()
    model.save(tmp_path / "legacy.h5")              # Keras 3 still writes it (and logs that it is legacy)
    loaded = km.load_model(tmp_path / "legacy.h5", compile=False)
    assert np.array_equal(model.predict(X, verbose=0), loaded.predict(X, verbose=0))


def test_load_model_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file at .*missing.keras"):
        km.load_model(tmp_path / "missing.keras")
    (tmp_path / "folder.keras").mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        km.load_model(tmp_path / "folder.keras")
    (tmp_path / "model.pkl").write_bytes(b"pickle")
    with pytest.raises(ValueError, match="not a .keras file .*'.pkl'.*legacy .h5 models"):
        km.load_model(tmp_path / "model.pkl")
    (tmp_path / "exported").mkdir()
    (tmp_path / "exported" / "saved_model.pb").write_bytes(b"")
    with pytest.raises(ValueError, match="SavedModel .*TFSMLayer"):
        km.load_model(tmp_path / "exported")
    (tmp_path / "text.keras").write_text("not a zip")
    with pytest.raises(ValueError, match="not a .keras archive"):
        km.load_model(tmp_path / "text.keras")
    with zipfile.ZipFile(tmp_path / "zip.keras", "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match="no config.json"):
        km.load_model(tmp_path / "zip.keras")
    with pytest.raises(TypeError, match="path must be a str or pathlib.Path"):
        km.load_model(3)
    with pytest.raises(TypeError, match="custom_objects must be a dict"):
        km.load_model(tmp_path / "zip.keras", custom_objects=[Doubler])


# --------------------------------------------------------------------- diagrams
def test_model_graph_of_a_sequential_model_is_a_chain():
    nodes, edges = km.model_graph(_sequential())
    assert [n["name"] for n in nodes] == ["input", "hidden", "out"]
    assert [n["shape"] for n in nodes] == ["(None, 4)", "(None, 5)", "(None, 3)"]
    assert edges == [("input", "hidden"), ("hidden", "out")]


def test_model_graph_of_wide_and_deep_has_two_inputs_and_two_outputs():
    nodes, edges = km.model_graph(_wide_and_deep())
    assert {n["name"] for n in nodes} == {"wide", "deep", "hidden", "concat", "main", "aux"}
    assert set(edges) == {("deep", "hidden"), ("wide", "concat"), ("hidden", "concat"), ("concat", "main"),
                          ("hidden", "aux")}
    assert {n["name"]: n["kind"] for n in nodes}["wide"] == "InputLayer"


def test_model_graph_refuses_subclassed_and_unbuilt_models():
    with pytest.raises(ValueError, match="subclassed model: its call\\(\\) method is Python code"):
        km.model_graph(Doubler())
    with pytest.raises(ValueError, match="no input shape yet"):
        km.model_graph(keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        km.model_graph("model")


def test_draw_model_draws_a_box_per_layer_and_an_arrow_per_edge():
    ax = km.draw_model(_wide_and_deep())
    assert len(ax.patches) == 6
    assert len([t for t in ax.texts if t.get_text().startswith("output ")]) == 6
    width, height = ax.figure.get_size_inches()
    assert width <= 7.0


def test_model_diagram_falls_back_to_matplotlib_silently(monkeypatch, capsys):
    monkeypatch.setattr(km, "graphviz_available", lambda: False)
    figure, source = km.model_diagram(_sequential())
    assert source == "neuronlab.keras_models.draw_model" and figure.axes
    assert capsys.readouterr() == ("", "")


def test_model_diagram_uses_plot_model_when_graphviz_is_there(monkeypatch, capsys):
    calls = []

    def fake_plot_model(model, to_file, **kwargs):
        import matplotlib.pyplot as plt

        calls.append(kwargs)
        plt.imsave(to_file, np.zeros((50, 80, 3)))

    monkeypatch.setattr(km, "graphviz_available", lambda: True)
    monkeypatch.setattr(keras.utils, "plot_model", fake_plot_model)
    figure, source = km.model_diagram(_sequential())
    assert source == "keras.utils.plot_model" and calls and calls[0]["show_shapes"] is True
    assert capsys.readouterr() == ("", "")


def test_graphviz_available_needs_both_pydot_and_dot(monkeypatch):
    monkeypatch.setattr(km.shutil, "which", lambda name: None)
    assert km.graphviz_available() is False


# --------------------------------------------------------------------- curves and images
def test_plot_learning_curves_pairs_training_and_validation():
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7], "val_loss": [1.1, 0.7], "val_accuracy": [0.4, 0.6],
               "learning_rate": [0.1, 0.1]}
    axes = km.plot_learning_curves(history)
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    assert all(len(ax.lines) == 2 for ax in axes)
    with pytest.raises(ValueError, match="were not logged"):
        km.plot_learning_curves(history, ["rmse"])
    with pytest.raises(TypeError, match="History"):
        km.plot_learning_curves({})


def test_show_images_marks_mistakes():
    images = np.zeros((5, 4, 4))
    figure = km.show_images(images, np.array([0, 1, 2, 0, 1]), class_names=["a", "b", "c"],
                            predictions=np.array([0, 2, 2, 0, 1]), columns=3)
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles == ["a", "c\n(b)", "c", "a", "b"]
    with pytest.raises(ValueError, match="images must have shape"):
        km.show_images(np.zeros((2, 4)), [0, 1])
    with pytest.raises(ValueError, match="labels must have shape"):
        km.show_images(images, [0, 1])
    with pytest.raises(ValueError, match="predictions must have shape"):
        km.show_images(images, np.zeros(5, int), predictions=[1])
    with pytest.raises(ValueError, match="columns must be an int"):
        km.show_images(images, np.zeros(5, int), columns=0)


# --------------------------------------------------------------------- the chapter's from-scratch check
def test_normalization_layer_matches_numpy_standardisation():
    """Chapter 04 standardises by hand and compares with keras.layers.Normalization (tolerance 1e-5)."""
    rng = np.random.default_rng(3)
    X = rng.normal(loc=[3.0, -200.0, 0.01], scale=[1.0, 50.0, 0.002], size=(500, 3))
    layer = keras.layers.Normalization()
    layer.adapt(X)
    by_hand = (X - X.mean(axis=0)) / X.std(axis=0)
    assert np.max(np.abs(np.asarray(layer(X)) - by_hand)) < 1e-5


def test_an_unadapted_normalization_layer_changes_nothing():
    """The Keras 3 trap the chapter warns about: without adapt, no error and no standardisation."""
    X = np.random.default_rng(4).normal(5.0, 3.0, size=(10, 2))
    assert np.allclose(np.asarray(keras.layers.Normalization()(X)), X, rtol=1e-6)
