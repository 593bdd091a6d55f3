"""Read TensorBoard event files into plain NumPy arrays and pandas DataFrames, and draw them.

TensorBoard shows what a training run logged (``keras.callbacks.TensorBoard`` writes
one folder per run, with ``train/`` and ``validation/`` sub-folders of
``events.out.tfevents.*`` files).  On the course's static site no TensorBoard server
runs, so the chapters read the same files with this module and draw them with
matplotlib:

- :func:`runs` lists the folders that hold event files;
- :func:`scalars` → a DataFrame with one row per logged value (run, tag, step, value);
- :func:`histograms` → a DataFrame with one row per histogram bucket
  (run, tag, step, left, right, count);
- :func:`images` → a list of logged images as ``uint8`` arrays;
- :func:`plot_scalars` and :func:`plot_histograms` draw them.

The files are TFRecord files of ``Event`` protocol buffers.  They are read here with
TensorBoard's own protobuf definitions and its read-time compatibility layer (which
turns the older ``simple_value`` and ``histo`` summaries into tensors), without
TensorFlow: reading logs stays fast and works in a kernel that never trained.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
from pathlib import Path

import numpy as np

__all__ = ["NoRunsError", "event_files", "runs", "read_events", "scalars", "histograms", "images",
           "plot_scalars", "plot_histograms"]

_EVENT_GLOB = "events.out.tfevents.*"


class NoRunsError(FileNotFoundError):
    """A log folder holds no TensorBoard event files."""


def _folder(logdir) -> Path:
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"logdir must be a path (str or pathlib.Path), got {type(logdir).__name__}: {logdir!r}")
    path = Path(logdir).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no such log folder: {path}. Pass the folder you gave to "
                                "keras.callbacks.TensorBoard(log_dir=...).")
    if not path.is_dir():
        raise NotADirectoryError(f"logdir must be a folder of TensorBoard runs, got the file {path}")
    return path


def event_files(logdir) -> list[Path]:
    """Every ``events.out.tfevents.*`` file under ``logdir`` (searched recursively), sorted by path.

    Raises
    ------
    FileNotFoundError
        If ``logdir`` does not exist.
    NoRunsError
        If it holds no event file: there are no runs to read.
    """
    root = _folder(logdir)
    files = sorted(p for p in root.rglob(_EVENT_GLOB) if p.is_file())
    if not files:
        raise NoRunsError(f"no runs in {root}: it holds no TensorBoard event files (events.out.tfevents.*). "
                          "Train with keras.callbacks.TensorBoard(log_dir=...) pointing at this folder first.")
    return files


def runs(logdir) -> list[str]:
    """The runs under ``logdir``: each folder holding event files, relative to ``logdir`` ("." for itself).

    A Keras run at ``logdir/lr_0.01`` appears as ``"lr_0.01/train"`` and ``"lr_0.01/validation"``.
    """
    root = _folder(logdir)
    return sorted({_run_name(root, path) for path in event_files(root)})


def _run_name(root: Path, path: Path) -> str:
    return path.parent.relative_to(root).as_posix()


def _records(path: Path):
    """The raw records of a TFRecord file (length, CRC, data, CRC); a truncated tail (a file still being
    written) ends the iteration quietly."""
    with open(path, "rb") as f:
        while True:
            header = f.read(12)
            if len(header) < 12:
                return
            (length,) = struct.unpack("<Q", header[:8])
            data = f.read(length)
            if len(data) < length or len(f.read(4)) < 4:
                return
            yield data


def read_events(path):
    """The ``Event`` protos of one event file, older summary formats migrated to tensors.

    Parameters
    ----------
    path : str or Path
        An ``events.out.tfevents.*`` file.
    """
    from tensorboard import data_compat, dataclass_compat
    from tensorboard.compat.proto import event_pb2

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such event file: {path}")
    initial_metadata: dict = {}
    for record in _records(path):
        try:
            event = event_pb2.Event.FromString(record)
        except Exception as error:  # protobuf's DecodeError
            raise ValueError(f"{path} is not a TensorBoard event file (a record could not be decoded: "
                             f"{error})") from None
        yield from dataclass_compat.migrate_event(data_compat.migrate_event(event), initial_metadata)


def _values(logdir, plugin: str, run: str | None = None, tag: str | None = None):
    """(run, tag, step, wall_time, ndarray) for every summary value of ``plugin`` under ``logdir``."""
    from tensorboard.util import tensor_util

    root = _folder(logdir)
    files = event_files(root)
    known = sorted({_run_name(root, p) for p in files})
    if run is not None and run not in known:
        raise ValueError(f"run must be one of {known}, got {run!r}")
    for path in files:
        name = _run_name(root, path)
        if run is not None and name != run:
            continue
        plugins: dict[str, str] = {}
        for event in read_events(path):
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name:
                    plugins[value.tag] = value.metadata.plugin_data.plugin_name
                if plugins.get(value.tag) != plugin or (tag is not None and value.tag != tag):
                    continue
                yield name, value.tag, int(event.step), float(event.wall_time), tensor_util.make_ndarray(value.tensor)


def scalars(logdir, *, run: str | None = None, tag: str | None = None):
    """Every scalar logged under ``logdir``, one row per value.

    Parameters
    ----------
    logdir : str or Path
        A folder of runs (searched recursively).
    run, tag : str, optional
        Keep only this run (as :func:`runs` names it) or this tag (e.g. ``"epoch_loss"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``run`` (str), ``tag`` (str), ``step`` (int), ``value`` (float) and
        ``wall_time`` (float, seconds since the epoch), sorted by run, tag and step.
        Keras logs per epoch, so ``step`` is the epoch index (from 0) for ``epoch_*`` tags.

    Raises
    ------
    NoRunsError
        If ``logdir`` holds no event files.
    """
    import pandas as pd

    rows = [(r, t, s, float(np.asarray(v).reshape(-1)[0]), w) for r, t, s, w, v in _values(logdir, "scalars", run, tag)]
    frame = pd.DataFrame(rows, columns=["run", "tag", "step", "value", "wall_time"])
    frame = frame.astype({"run": str, "tag": str, "step": "int64", "value": "float64", "wall_time": "float64"})
    return frame.sort_values(["run", "tag", "step"], kind="stable").reset_index(drop=True)


def histograms(logdir, *, run: str | None = None, tag: str | None = None):
    """Every histogram logged under ``logdir`` (e.g. by ``TensorBoard(histogram_freq=1)``), one row per bucket.

    Returns
    -------
    pandas.DataFrame
        Columns ``run``, ``tag``, ``step``, ``left``, ``right`` (the bucket's edges) and
        ``count`` (how many values fell in it, float), in logged order.  Keras names a
        weight histogram after the weight's path, layer included, e.g.
        ``"sequential/dense/kernel/histogram"``.

    Notes
    -----
    Keras before keras-team/keras#22317 (3.13, Colab's, and older) names a weight histogram
    after the weight alone (``"kernel/histogram"``), so every layer's kernel lands under one tag.  Such tags are
    given back their layer here, ``"<layer>/kernel/histogram"``, from the model
    configuration the same callback logs (``write_graph=True``, its default): the k-th
    ``kernel`` of a step belongs to the k-th layer that has one.  When the configuration is
    missing or does not account for them, repeated tags are numbered instead
    (``"kernel#2/histogram"``), so that layers are never merged.
    """
    import pandas as pd

    logged = list(_values(logdir, "histograms", run))
    layers = _weight_owners(logdir, run) if any(_BARE.fullmatch(t) for _, t, _, _, _ in logged) else {}
    totals: dict[tuple, int] = {}
    for r, t, s, _, _ in logged:
        totals[r, s, t] = totals.get((r, s, t), 0) + 1
    seen: dict[tuple, int] = {}
    rows = []
    for r, t, s, _, value in logged:
        bare = _BARE.fullmatch(t)
        if bare:
            k = seen[r, s, t] = seen.get((r, s, t), -1) + 1
            owners = layers.get(r, {}).get(bare.group(1), [])
            if len(owners) == totals[r, s, t]:
                t = f"{owners[k]}/{bare.group(1)}/histogram"
            elif totals[r, s, t] > 1:
                t = f"{bare.group(1)}#{k + 1}/histogram"
        if tag is not None and t != tag:
            continue
        buckets = np.asarray(value, dtype=float).reshape(-1, 3)
        rows.extend((r, t, s, left, right, count) for left, right, count in buckets)
    frame = pd.DataFrame(rows, columns=["run", "tag", "step", "left", "right", "count"])
    return frame.astype({"run": str, "tag": str, "step": "int64", "left": "float64", "right": "float64",
                         "count": "float64"})


_BARE = re.compile(r"([^/]+)/histogram")
"""A weight histogram's tag without its layer, as Keras 3.13 and older write it (``kernel/histogram``)."""


def _weight_owners(logdir, run: str | None) -> dict[str, dict[str, list[str]]]:
    """Per run: ``{weight name: [layer names, in model order]}``, from the logged model configuration."""
    owners: dict[str, dict[str, list[str]]] = {}
    for r, _, _, _, value in _values(logdir, "graph_keras_model", run):
        try:
            model = json.loads(np.asarray(value).reshape(-1)[0])
            layers = model["config"]["layers"]
        except (ValueError, KeyError, TypeError, IndexError):
            continue  # not a model configuration this reader understands: number the tags instead
        found: dict[str, list[str]] = {}
        for layer in layers:
            config = layer.get("config", {}) if isinstance(layer, dict) else {}
            for weight in _layer_weights(layer.get("class_name", ""), config):
                found.setdefault(weight, []).append(config.get("name", "?"))
        owners[r] = found
    return owners


def _layer_weights(class_name: str, config: dict) -> list[str]:
    """The weights a Keras layer with this configuration has: one per ``<weight>_initializer``
    (``bias`` only with ``use_bias``, ``beta``/``gamma`` only with ``center``/``scale``), and an
    adapted ``Normalization``'s ``mean``, ``variance`` and ``count``."""
    if class_name == "Normalization":
        return ["mean", "variance", "count"] if config.get("mean") is None else []
    switches = {"bias": "use_bias", "beta": "center", "gamma": "scale"}
    return [key.removesuffix("_initializer") for key in config if key.endswith("_initializer")
            and config.get(switches.get(key.removesuffix("_initializer"), ""), True) is not False]


def images(logdir, *, run: str | None = None, tag: str | None = None) -> list[dict]:
    """Every image logged under ``logdir`` (``tf.summary.image``, or ``TensorBoard(write_images=True)``).

    Returns
    -------
    list of dict
        One per image, in logged order, with keys ``run``, ``tag``, ``step`` and ``image``:
        a ``uint8`` array of shape (height, width, channels).
    """
    import matplotlib.image

    found = []
    for r, t, s, _, value in _values(logdir, "images", run, tag):
        encoded = np.asarray(value).reshape(-1)[2:]  # width, height, then one PNG per image
        for png in encoded:
            pixels = matplotlib.image.imread(io.BytesIO(bytes(png)), format="png")
            if pixels.dtype != np.uint8:
                pixels = np.round(pixels * 255).astype(np.uint8)
            if pixels.ndim == 2:
                pixels = pixels[:, :, None]
            found.append({"run": r, "tag": t, "step": s, "image": pixels})
    return found


def plot_scalars(frame, tag: str, ax=None, *, runs=None, labels=None, title: str | None = None):
    """Draw one scalar tag against the step, one line per run.

    Parameters
    ----------
    frame : DataFrame
        As :func:`scalars` returns it.
    tag : str
        The tag to draw, e.g. ``"epoch_loss"``.
    runs : sequence of str, optional
        The runs to draw, in this order (default: every run that logged ``tag``).
    labels : sequence of str, optional
        A legend label per run (default: the run names).
    """
    from neuronlab import plots

    columns = {"run", "tag", "step", "value"}
    if not hasattr(frame, "columns") or not columns <= set(frame.columns):
        raise TypeError(f"frame must be a DataFrame from neuronlab.tensorboard.scalars with columns {sorted(columns)}")
    tags = sorted(frame["tag"].unique())
    if tag not in tags:
        raise ValueError(f"tag must be one of {tags}, got {tag!r}")
    rows = frame[frame["tag"] == tag]
    available = list(dict.fromkeys(rows["run"]))
    runs = available if runs is None else list(runs)
    missing = [r for r in runs if r not in available]
    if missing:
        raise ValueError(f"runs {missing} logged no {tag!r}; runs with it: {available}")
    if labels is not None and len(labels) != len(runs):
        raise ValueError(f"labels must give one label per run ({len(runs)}), got {len(labels)}")
    ax = plots.new_axes(ax)
    for i, name in enumerate(runs):
        part = rows[rows["run"] == name]
        ax.plot(part["step"], part["value"], "o-", ms=3, label=labels[i] if labels is not None else name)
    ax.set(xlabel="step (epoch)", ylabel=tag, title=title or tag)
    ax.legend(fontsize=8)
    return ax


def plot_histograms(frame, tag: str, ax=None, *, run: str | None = None, title: str | None = None):
    """Draw the histograms of one tag, one curve per step, offset upwards like TensorBoard's "offset" view.

    Earlier steps are drawn lighter; each curve is normalised to its own peak.
    """
    from matplotlib import colormaps

    from neuronlab import plots

    columns = {"run", "tag", "step", "left", "right", "count"}
    if not hasattr(frame, "columns") or not columns <= set(frame.columns):
        raise TypeError("frame must be a DataFrame from neuronlab.tensorboard.histograms with columns "
                        f"{sorted(columns)}")
    tags = sorted(frame["tag"].unique())
    if tag not in tags:
        raise ValueError(f"tag must be one of {tags}, got {tag!r}")
    rows = frame[frame["tag"] == tag]
    if run is not None:
        if run not in set(rows["run"]):
            raise ValueError(f"run must be one of {sorted(set(rows['run']))}, got {run!r}")
        rows = rows[rows["run"] == run]
    steps = sorted(rows["step"].unique())
    ax = plots.new_axes(ax)
    colours = colormaps["viridis"](np.linspace(0.15, 0.85, len(steps)))
    spacing, scale = 0.5, 1.3
    for offset, (step, colour) in enumerate(zip(steps, colours)):
        part = rows[rows["step"] == step]
        centres = (part["left"].to_numpy() + part["right"].to_numpy()) / 2
        counts = part["count"].to_numpy()
        height = scale * (counts / counts.max() if counts.max() > 0 else counts)
        base = spacing * offset
        front = len(steps) - offset  # earlier steps sit lower and in front, as in a ridge plot
        ax.fill_between(centres, base, base + height, facecolor=colour, alpha=0.85, lw=0, zorder=front)
        ax.plot(centres, base + height, color="black", lw=0.6, zorder=front)
    every = max(1, len(steps) // 6)
    ax.set_yticks([spacing * i for i in range(len(steps))][::every], [str(s) for s in steps][::every])
    ax.set(xlabel="value", ylabel="step (epoch)", title=title or tag)
    ax.grid(False)
    return ax
