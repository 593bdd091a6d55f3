"""neuronlab.tensorboard: reading Keras's event files back into arrays, without a TensorBoard server."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from neuronlab import tensorboard as tb  # noqa: E402


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """Two short Keras runs with scalars and weight histograms, and one folder of images."""
    root = tmp_path_factory.mktemp("logs")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(128, 3)).astype("float32")
    y = (X @ np.array([1.0, 2.0, -1.0])).astype("float32")
    histories = {}
    for name, rate in (("lr_0.01", 0.01), ("lr_0.1", 0.1)):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu", name="hidden"),
                                  keras.layers.Dense(1, name="out")], name="net")
        model.compile(loss="mse", optimizer=keras.optimizers.SGD(rate))
        history = model.fit(X, y, epochs=3, batch_size=32, validation_split=0.25, verbose=0,
                            callbacks=[keras.callbacks.TensorBoard(root / name, histogram_freq=1)])
        histories[name] = history.history
    import tensorflow as tf

    pictures = rng.integers(0, 256, size=(2, 5, 4, 1)).astype("uint8")
    with tf.summary.create_file_writer(str(root / "pictures")).as_default():
        tf.summary.image("samples", pictures, step=7, max_outputs=2)
    return root, histories, pictures


def test_runs_lists_every_folder_with_event_files(logs):
    root, _, _ = logs
    assert tb.runs(root) == ["lr_0.01/train", "lr_0.01/validation", "lr_0.1/train", "lr_0.1/validation", "pictures"]
    assert tb.runs(root / "lr_0.1" / "train") == ["."]


def test_scalars_are_the_values_keras_logged_in_the_history(logs):
    root, histories, _ = logs
    frame = tb.scalars(root)
    assert list(frame.columns) == ["run", "tag", "step", "value", "wall_time"]
    for name, history in histories.items():
        train = frame[(frame.run == f"{name}/train") & (frame.tag == "epoch_loss")]
        valid = frame[(frame.run == f"{name}/validation") & (frame.tag == "epoch_loss")]
        assert train.step.tolist() == [0, 1, 2]
        assert np.allclose(train.value, history["loss"], rtol=1e-6)
        assert np.allclose(valid.value, history["val_loss"], rtol=1e-6)


def test_scalars_filters_by_run_and_tag(logs):
    root, histories, _ = logs
    only = tb.scalars(root, run="lr_0.1/train", tag="epoch_loss")
    assert set(only.run) == {"lr_0.1/train"} and set(only.tag) == {"epoch_loss"} and len(only) == 3
    with pytest.raises(ValueError, match="run must be one of"):
        tb.scalars(root, run="lr_0.5/train")
    assert tb.scalars(root, tag="no such tag").empty


def test_histograms_hold_every_weight_of_every_layer_per_epoch(logs):
    root, _, _ = logs
    frame = tb.histograms(root, run="lr_0.01/train")
    assert list(frame.columns) == ["run", "tag", "step", "left", "right", "count"]
    kernel = frame[frame.tag == "net/hidden/kernel/histogram"]
    assert sorted(kernel.step.unique()) == [0, 1, 2]
    for _, part in kernel.groupby("step"):
        assert part["count"].sum() == pytest.approx(3 * 4)  # the kernel has 3 × 4 weights
        assert np.all(part.left.to_numpy() <= part.right.to_numpy())
    assert "net/out/bias/histogram" in set(frame.tag)


def test_images_come_back_as_the_pixels_written(logs):
    root, _, pictures = logs
    found = tb.images(root, run="pictures")
    assert [(f["tag"], f["step"]) for f in found] == [("samples", 7), ("samples", 7)]
    for item, expected in zip(found, pictures):
        assert item["image"].dtype == np.uint8
        assert np.array_equal(item["image"][:, :, :1], expected)


def test_an_empty_folder_says_there_are_no_runs(tmp_path):
    with pytest.raises(tb.NoRunsError, match="no runs in .*no TensorBoard event files"):
        tb.scalars(tmp_path)
    with pytest.raises(tb.NoRunsError, match="no runs"):
        tb.runs(tmp_path)
    assert issubclass(tb.NoRunsError, FileNotFoundError)


def test_missing_folder_file_and_wrong_type_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such log folder"):
        tb.scalars(tmp_path / "nowhere")
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(NotADirectoryError, match="must be a folder"):
        tb.histograms(tmp_path / "a.txt")
    with pytest.raises(TypeError, match="logdir must be a path"):
        tb.scalars(42)


def test_a_damaged_event_file_is_reported(tmp_path):
    bad = tmp_path / "run" / "events.out.tfevents.1.host"
    bad.parent.mkdir()
    record = b"\xff" * 20
    bad.write_bytes(len(record).to_bytes(8, "little") + b"\0" * 4 + record + b"\0" * 4)
    with pytest.raises(ValueError, match="not a TensorBoard event file"):
        tb.scalars(tmp_path)


def test_a_truncated_last_record_is_skipped(logs, tmp_path):
    root, histories, _ = logs
    source = next((root / "lr_0.01" / "validation").glob("events.out.tfevents.*"))
    copy = tmp_path / "cut" / source.name
    copy.parent.mkdir()
    copy.write_bytes(source.read_bytes()[:-10])  # a file still being written
    frame = tb.scalars(tmp_path, tag="epoch_loss")
    assert 0 < len(frame) < 3 and np.allclose(frame.value, histories["lr_0.01"]["val_loss"][:len(frame)])


def test_plot_scalars_draws_one_line_per_run(logs):
    root, _, _ = logs
    frame = tb.scalars(root)
    ax = tb.plot_scalars(frame, "epoch_loss", runs=["lr_0.01/validation", "lr_0.1/validation"],
                         labels=["η = 0.01", "η = 0.1"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["η = 0.01", "η = 0.1"]
    assert len(ax.lines) == 2 and ax.get_xlabel() == "step (epoch)"
    with pytest.raises(ValueError, match="tag must be one of"):
        tb.plot_scalars(frame, "epoch_accuracy")
    with pytest.raises(ValueError, match="logged no 'epoch_loss'"):
        tb.plot_scalars(frame, "epoch_loss", runs=["pictures"])
    with pytest.raises(ValueError, match="one label per run"):
        tb.plot_scalars(frame, "epoch_loss", runs=["lr_0.1/train"], labels=["a", "b"])
    with pytest.raises(TypeError, match="DataFrame"):
        tb.plot_scalars({"tag": []}, "epoch_loss")


def test_plot_histograms_draws_one_curve_per_epoch(logs):
    root, _, _ = logs
    frame = tb.histograms(root)
    ax = tb.plot_histograms(frame, "net/hidden/kernel/histogram", run="lr_0.1/train")
    assert len(ax.lines) == 3 and ax.get_ylabel() == "step (epoch)"
    with pytest.raises(ValueError, match="run must be one of"):
        tb.plot_histograms(frame, "net/hidden/kernel/histogram", run="pictures")
    with pytest.raises(ValueError, match="tag must be one of"):
        tb.plot_histograms(frame, "nothing")
