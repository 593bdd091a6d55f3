"""Plumbing around Keras models: run folders, loading saved models, diagrams, learning curves, image grids.

- :func:`run_folder` gives each experiment a fresh folder under the system's
  temporary directory for its TensorBoard logs and checkpoints (never inside the
  repository).
- :func:`load_model` wraps ``keras.saving.load_model`` with errors that say what is
  wrong with the path (missing, weights only, a SavedModel, not a ``.keras`` archive).
- :func:`model_diagram` draws a model's graph: with ``keras.utils.plot_model`` when
  pydot and Graphviz are installed, otherwise with matplotlib (:func:`draw_model`),
  so it works everywhere and never prints a warning.
- :func:`plot_learning_curves` draws a ``History``; :func:`show_images` a grid of
  images with their labels (and predictions).

Keras is imported inside the functions that need it.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from neuronlab import plots

__all__ = ["RUNS_ROOT", "run_folder", "load_model", "graphviz_available", "model_graph", "draw_model",
           "model_diagram", "plot_learning_curves", "show_images"]

RUNS_ROOT = (Path(tempfile.gettempdir()) / f"neuronlab-runs-{os.getuid() if hasattr(os, 'getuid') else 0}"
             / f"process-{os.getpid()}")
"""Where :func:`run_folder` puts every run: a folder of the system's temporary directory, one per
Python process, so that two kernels running the same notebook at once never empty each other's
folders; it is removed when the process exits."""
_cleanup_registered = False


def _remove_runs_root_at_exit() -> None:
    global _cleanup_registered
    if not _cleanup_registered:
        atexit.register(shutil.rmtree, RUNS_ROOT, ignore_errors=True)
        _cleanup_registered = True

_NAME = re.compile(r"^[A-Za-z0-9_.=+-]+(/[A-Za-z0-9_.=+-]+)*$")


def run_folder(name: str, *, fresh: bool = True, root: str | os.PathLike | None = None) -> Path:
    """A folder for one experiment's logs and checkpoints: ``<root>/<name>``, created if needed.

    Parameters
    ----------
    name : str
        The experiment, e.g. ``"ch04/housing"``; ``/`` makes sub-folders, so that related
        runs (``"ch04/lr/0.001"``, ``"ch04/lr/0.01"``) sit side by side for TensorBoard.
        Letters, digits and ``_ . = + -`` only; no ``..``.
    fresh : bool, default True
        Empty the folder first, so that a rerun never mixes its logs or checkpoints with an
        earlier run's.  ``False`` keeps what is there.
    root : path, optional
        The parent of all runs; default :data:`RUNS_ROOT` (in the temporary directory).

    Returns
    -------
    pathlib.Path
        The folder (it exists).  The same name gives the same path within a process.
    """
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name.split("/"):
        raise ValueError(f"name must be a relative folder name of letters, digits and _ . = + - (with / between "
                         f"parts, no '..'), got {name!r}")
    if not isinstance(fresh, bool):
        raise TypeError(f"fresh must be True or False, got {fresh!r}")
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path or None, got {type(root).__name__}")
    if root is None:
        _remove_runs_root_at_exit()
    base = RUNS_ROOT if root is None else Path(root)
    folder = base / name
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def load_model(path, *, custom_objects: dict | None = None, compile: bool = True):
    """``keras.saving.load_model`` with errors that say what is wrong with the path.

    Keras 3 loads a whole model from a ``.keras`` archive (what ``model.save("….keras")``
    writes) or from a legacy HDF5 file (``model.save("….h5")``, which Keras 3 still writes,
    with a warning that the format is legacy).  It does not rebuild a model from a
    TensorFlow SavedModel folder (``model.export`` writes those, for serving); nor from a
    ``.weights.h5`` file, which holds weights only.

    Parameters
    ----------
    path : str or Path
        A ``.keras`` file (or a legacy ``.h5`` model).
    custom_objects : dict, optional
        Classes and functions the model uses that Keras does not know (a subclassed
        model, a custom layer or loss), by name; not needed for those registered with
        ``@keras.saving.register_keras_serializable()``.
    compile : bool, default True
        Restore the optimizer and loss too, so training can continue.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the path is not a model Keras 3 can load: a folder (a SavedModel), a
        ``.weights.h5`` file, another suffix, or a ``.keras`` file that is not a
        ``.keras`` archive.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__}: {path!r}")
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError("custom_objects must be a dict of name → class or function, got "
                        f"{type(custom_objects).__name__}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}: save one first with model.save({str(path)!r})")
    if path.is_dir():
        if (path / "saved_model.pb").exists():
            raise ValueError(f"{path} is a TensorFlow SavedModel (what model.export writes, for serving): "
                             "keras.saving.load_model cannot rebuild a model from it; "
                             "keras.layers.TFSMLayer(path, call_endpoint='serving_default') "
                             "loads it as a layer for inference")
        if not (path / "config.json").exists():
            raise ValueError(f"{path} is a folder, not a model file (Keras 3 saves a whole model as one "
                             "file: model.save('name.keras'))")
    elif path.name.endswith(".weights.h5"):
        raise ValueError(f"{path} is not a .keras file (its name ends in '.weights.h5'). It looks like weights "
                         "only: build the model, then call model.load_weights(path).")
    elif path.suffix not in (".keras", ".h5", ".hdf5"):
        raise ValueError(f"{path} is not a .keras file (its name ends in {path.suffix or 'nothing'!r}); "
                         "Keras 3 loads .keras archives and legacy .h5 models")
    elif path.suffix == ".keras":
        if not zipfile.is_zipfile(path):
            raise ValueError(f"{path} is not a .keras archive: a .keras file is a zip archive written by "
                             "model.save(), and this one is not (truncated or not a model?)")
        with zipfile.ZipFile(path) as archive:
            if "config.json" not in archive.namelist():
                raise ValueError(f"{path} is a zip file but not a .keras archive (it has no config.json)")
    import keras

    return keras.saving.load_model(path, custom_objects=custom_objects, compile=compile)


def graphviz_available() -> bool:
    """True when ``keras.utils.plot_model`` can work: pydot is importable and Graphviz's ``dot`` is on the PATH."""
    return importlib.util.find_spec("pydot") is not None and shutil.which("dot") is not None


def _shape_text(shape) -> str:
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def model_graph(model) -> tuple[list[dict], list[tuple[str, str]]]:
    """The layers of a Sequential or Functional model and the connections between them.

    Returns
    -------
    nodes : list of dict
        One per layer, in the model's order, with keys ``name``, ``kind`` (the class name)
        and ``shape`` (its output shape as text).
    edges : list of (str, str)
        (source layer name, target layer name), one per connection.

    Raises
    ------
    ValueError
        For a subclassed model: its ``call()`` is Python code, not a graph of layers.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if isinstance(model, keras.Sequential):
        if not model.built or not model.inputs:
            raise ValueError("this Sequential model has no input shape yet: start it with keras.Input(shape=...) "
                             "or call it on data once")
        nodes = [{"name": "input", "kind": "InputLayer", "shape": _shape_text(model.inputs[0].shape)}]
        for layer in model.layers:
            nodes.append({"name": layer.name, "kind": type(layer).__name__, "shape": _shape_text(layer.output.shape)})
        edges = [(a["name"], b["name"]) for a, b in zip(nodes[:-1], nodes[1:])]
        return nodes, edges
    from keras.src.models.functional import Functional

    if not isinstance(model, Functional):
        raise ValueError(f"{type(model).__name__} is a subclassed model: its call() method is Python code, so "
                         "Keras has no graph of layers to draw (one of the costs of the Subclassing API)")
    nodes, edges, names = [], [], set()
    for layer in model.layers:
        output = layer.output
        shape = [o.shape for o in output] if isinstance(output, (list, tuple)) else output.shape
        nodes.append({"name": layer.name, "kind": type(layer).__name__, "shape": _shape_text(shape)})
        names.add(layer.name)
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                source = tensor._keras_history.operation.name
                if source in names and (source, layer.name) not in edges:
                    edges.append((source, layer.name))
    return nodes, edges


def _levels(nodes, edges) -> dict[str, int]:
    """The depth of every node: 0 for inputs, 1 + the deepest parent otherwise."""
    parents: dict[str, list[str]] = {n["name"]: [] for n in nodes}
    for source, target in edges:
        parents[target].append(source)
    level: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in level:
            level[name] = 1 + max((depth(p) for p in parents[name]), default=-1)
        return level[name]

    for n in nodes:
        depth(n["name"])
    return level


def draw_model(model, ax=None, *, title: str | None = None):
    """Draw a Sequential or Functional model as boxes (name, class, output shape) joined by arrows.

    Inputs at the top, outputs at the bottom, layers at the same depth side by side,
    as ``keras.utils.plot_model`` lays them out.  Returns the ``Axes``.
    """
    from matplotlib import patches

    nodes, edges = model_graph(model)
    level = _levels(nodes, edges)
    rows: dict[int, list[dict]] = {}
    for node in nodes:
        rows.setdefault(level[node["name"]], []).append(node)
    width, height, gap_x, gap_y = 3.3, 0.9, 0.45, 0.55
    widest = max(len(r) for r in rows.values())
    ax = plots.new_axes(ax, figsize=(min(7.0, 1.9 * widest + 1.2), 0.78 * len(rows) + 0.6))
    centre: dict[str, tuple[float, float]] = {}
    for depth, members in rows.items():
        span = len(members) * width + (len(members) - 1) * gap_x
        for i, node in enumerate(members):
            x = -span / 2 + width / 2 + i * (width + gap_x)
            y = -depth * (height + gap_y)
            centre[node["name"]] = (x, y)
            kind = node["kind"]
            colour = (plots.PALETTE["grey"] if kind == "InputLayer" else
                      plots.PALETTE["orange"] if not any(s == node["name"] for s, _ in edges) else
                      plots.PALETTE["sky"])
            ax.add_patch(patches.FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                                boxstyle="round,pad=0.03", facecolor=colour, alpha=0.35,
                                                edgecolor="black", lw=1))
            ax.text(x, y + 0.17, f"{node['name']} ({kind})", ha="center", va="center", fontsize=8, weight="bold")
            ax.text(x, y - 0.2, f"output {node['shape']}", ha="center", va="center", fontsize=8)
    for source, target in edges:
        (x0, y0), (x1, y1) = centre[source], centre[target]
        ax.annotate("", xy=(x1, y1 + height / 2), xytext=(x0, y0 - height / 2),
                    arrowprops=dict(arrowstyle="-|>", color=plots.PALETTE["black"], lw=1, shrinkA=1, shrinkB=1))
    xs = [c[0] for c in centre.values()]
    ys = [c[1] for c in centre.values()]
    ax.set_xlim(min(xs) - width / 2 - 0.2, max(xs) + width / 2 + 0.2)
    ax.set_ylim(min(ys) - height / 2 - 0.2, max(ys) + height / 2 + 0.2)
    ax.axis("off")
    ax.set_title(title or f"model {model.name!r}")
    return ax


def model_diagram(model, *, title: str | None = None, prefer_keras: bool = True):
    """A matplotlib Figure of the model's graph.

    With pydot and Graphviz installed (see :func:`graphviz_available`) and
    ``prefer_keras``, the picture is ``keras.utils.plot_model``'s (with shapes), shown in
    a figure; otherwise :func:`draw_model` draws it.  Either way nothing is printed.

    Returns
    -------
    (figure, source)
        The Figure, and ``"keras.utils.plot_model"`` or ``"neuronlab.keras_models.draw_model"``
        saying which drew it.
    """
    import matplotlib.pyplot as plt

    if prefer_keras and graphviz_available():
        import keras
        from matplotlib import image

        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "model.png"
            keras.utils.plot_model(model, to_file=str(target), show_shapes=True, show_layer_names=True, dpi=80)
            pixels = image.imread(target)
        height, width = pixels.shape[:2]
        scale = min(7.0 / (width / 100), 6.0 / (height / 100), 1.0)
        fig, ax = plt.subplots(figsize=(width / 100 * scale, height / 100 * scale), layout="constrained")
        ax.imshow(pixels)
        ax.axis("off")
        ax.set_title(title or f"model {model.name!r}")
        return fig, "keras.utils.plot_model"
    ax = draw_model(model, title=title)
    return ax.figure, "neuronlab.keras_models.draw_model"


def plot_learning_curves(history, metrics=None, *, axes=None, title: str | None = None):
    """Draw each metric of a Keras ``History`` (or its ``.history`` dict) against the epoch, training and validation.

    Parameters
    ----------
    history : keras.callbacks.History or dict of str → list of float
    metrics : sequence of str, optional
        Metric names without the ``val_`` prefix (default: every metric logged, in order).
        One panel per metric; its ``val_`` twin is drawn in the same panel.
    axes : sequence of Axes, optional
        One per metric.

    Returns the list of Axes.
    """
    import matplotlib.pyplot as plt

    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise TypeError("history must be a keras History (what fit returns) or its non-empty .history dict")
    available = [k for k in logs if not k.startswith("val_") and k != "learning_rate"]
    metrics = available if metrics is None else list(metrics)
    unknown = [m for m in metrics if m not in logs]
    if unknown:
        raise ValueError(f"metrics {unknown} were not logged; this history has {available}")
    if axes is None:
        width = min(7.0, max(5.5, 3.5 * len(metrics)))
        _, axes = plt.subplots(1, len(metrics), figsize=(width, 2.9), layout="constrained", squeeze=False)
        axes = list(axes[0])
    elif len(axes) != len(metrics):
        raise ValueError(f"axes must hold one Axes per metric ({len(metrics)}), got {len(axes)}")
    for ax, metric in zip(axes, metrics):
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], "o-", ms=3, label="training")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], "o-", ms=3, label="validation")
        ax.set(xlabel="epoch", ylabel=metric, title=metric.replace("_", " "))
        ax.legend(fontsize=8)
    if title and len(axes) == 1:
        axes[0].set_title(title)
    elif title:
        axes[0].figure.suptitle(title)
    return axes


def show_images(images, labels, *, class_names=None, predictions=None, columns: int = 8, title: str | None = None):
    """A grid of grey-scale images with their labels; with ``predictions``, mistakes are marked.

    Parameters
    ----------
    images : array of shape (n, height, width)
    labels : array of shape (n,) of int class indices
    class_names : sequence of str, optional
        Names of the classes (default: the indices).
    predictions : array of shape (n,), optional
        Predicted class indices; each title then reads "predicted (true)" when they
        differ, in vermillion.
    columns : int >= 1, default 8

    Returns the Figure.
    """
    import matplotlib.pyplot as plt

    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, height, width), got {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},) to match images, got {labels.shape}")
    if predictions is not None:
        predictions = np.asarray(predictions)
        if predictions.shape != labels.shape:
            raise ValueError(f"predictions must have shape {labels.shape}, got {predictions.shape}")
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be an int >= 1, got {columns!r}")
    name = (lambda k: class_names[int(k)]) if class_names is not None else (lambda k: str(int(k)))
    n = len(images)
    columns = min(columns, n)
    rows = int(np.ceil(n / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(min(7.0, 0.9 * columns), 1.05 * rows + 0.3),
                             layout="constrained", squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="binary")
        if predictions is None or predictions[i] == labels[i]:
            text = name(predictions[i] if predictions is not None else labels[i])
            ax.set_title(text, fontsize=8)
        else:
            ax.set_title(f"{name(predictions[i])}\n({name(labels[i])})", fontsize=8, color=plots.PALETTE["vermillion"])
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
