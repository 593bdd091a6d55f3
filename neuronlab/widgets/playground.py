"""Chapter 03's explorable: an MLP playground in the spirit of TensorFlow Playground.

Pick a dataset, a network (hidden layers, units per layer, activation) and a
learning rate, then move the epoch slider (or press play) and watch
:class:`neuronlab.mlp.MLPClassifier` bend its decision boundary around the data.

Every redraw must come well under half a second after a control change, so:

- each training run is cached (:func:`training_run`, keyed on dataset,
  architecture, activation and learning rate) and keeps a snapshot of the weights
  every :data:`EPOCH_STEP` epochs: moving the epoch slider back is a look-up;
- a run trains lazily, only up to the epoch asked for, and is extended when a
  later epoch is asked for: moving the slider forward trains just the difference;
- training is full batch on :data:`N_SAMPLES` points (one epoch is one step of
  gradient descent with momentum), about 0.1–0.2 ms an epoch here, so even a cold
  run to :data:`MAX_EPOCHS` with the biggest network takes about 0.1 s;
- NumPy's BLAS runs on one thread while the playground trains and evaluates:
  with matrices this small, extra BLAS threads only spin, and on a busy two-core
  machine that doubled the time of a redraw;
- the live figure has a fixed layout and is saved without a tight bounding box
  (``tight_png = False``), which halves matplotlib's share of a redraw.
"""

from __future__ import annotations

import functools
import math
import numbers
import textwrap
import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from neuronlab import plots
from neuronlab.config import SEED
from neuronlab.data import toy_2d
from neuronlab.mlp import MLPClassifier
from neuronlab.widgets.base import Explorable, one_blas_thread

DATASETS = ("moons", "circles", "xor", "spiral")
"""The datasets offered, by their :func:`neuronlab.data.toy_2d` names."""
ACTIVATIONS = ("relu", "tanh", "sigmoid")
"""Hidden-layer activations offered (the output is always one logistic unit: p(class 1))."""
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
"""The learning rates on the slider (any number > 0 works in :func:`playground_state`)."""
MAX_HIDDEN_LAYERS = 3
MAX_UNITS = 16
MAX_EPOCHS = 500
"""The end of the epoch slider: enough for a 3 × 16 ReLU network to untangle the spiral."""
EPOCH_STEP = 10
"""The epoch slider's step, and how often a run keeps a snapshot of its weights."""
N_SAMPLES = 200
"""Points in every dataset; all of them form one (full) batch."""
GRID = 100
"""Points per axis of the grid on which the decision surface is evaluated."""

SOLVED_BY = {
    "moons": dict(hidden_layers=1, units=8, activation="tanh", learning_rate=0.1),
    "circles": dict(hidden_layers=1, units=8, activation="tanh", learning_rate=0.1),
    "xor": dict(hidden_layers=1, units=8, activation="tanh", learning_rate=0.1),
    "spiral": dict(hidden_layers=3, units=16, activation="relu", learning_rate=0.1),
}
"""A network per dataset that fits it (training accuracy above 95 %) within :data:`MAX_EPOCHS`;
the static figure shows them."""


@functools.lru_cache(maxsize=None)
def playground_data(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """The playground's copy of ``toy_2d(dataset)``: X of shape (200, 2), y of shape (200,) with 0/1 labels.

    Always the same points (seeded with :data:`neuronlab.config.SEED`); read-only,
    since every run of the cache shares them.
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {dataset!r}")
    X, y = toy_2d(dataset, N_SAMPLES, random_state=SEED)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@functools.lru_cache(maxsize=None)
def limits(dataset: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """(xlim, ylim) of the decision surface for a dataset: the data's extent with a margin, made square.

    Both ranges have the same length (the shorter one grows about its centre), so that with equal
    aspect every dataset's surface fills the same square box.
    """
    X, _ = playground_data(dataset)
    low, high = X.min(axis=0), X.max(axis=0)
    pad = 0.12 * (high - low) + 0.1
    low, high = low - pad, high + pad
    centre, half = (low + high) / 2, float(np.max(high - low)) / 2
    return ((float(centre[0] - half), float(centre[0] + half)),
            (float(centre[1] - half), float(centre[1] + half)))


_FUNCTIONS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
              "sigmoid": lambda z: 0.5 * (1 + np.tanh(0.5 * z))}  # the logistic function, without overflow


def probability_of_class_1(coefs, intercepts, activation: str, X) -> np.ndarray:
    """The network's p(class 1 | x) for points X of shape (n, 2) → shape (n,).

    ``coefs[i]`` has shape (layer_sizes[i], layer_sizes[i + 1]) and ``intercepts[i]``
    shape (layer_sizes[i + 1],), as :class:`~neuronlab.mlp.MLPClassifier` stores them;
    the last layer has one logistic output, σ(z) = p(class 1), as the engine gives
    two classes.  The same forward pass as the engine's, in plain NumPy (float64),
    so that a snapshot of the weights needs no model around it.
    """
    h = np.asarray(X, dtype=np.float64)
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        h = _FUNCTIONS[activation](h @ W + b)
    z = h @ coefs[-1] + intercepts[-1]
    return _FUNCTIONS["sigmoid"](z[:, 0])


class Run:
    """One training run of :class:`~neuronlab.mlp.MLPClassifier` on a playground dataset, grown lazily.

    Full batch (all 200 points in every step), momentum 0.9 (the engine's default),
    initial weights and shuffling seeded with :data:`~neuronlab.config.SEED`; the
    same arguments therefore give the same run, however it is extended.

    Attributes
    ----------
    dataset, layer_sizes, activation, learning_rate
        What was trained: ``layer_sizes`` lists the hidden layers' units, () for none.
    X : ndarray of shape (200, 2)
    y : ndarray of shape (200,)
    model : MLPClassifier
        The network being trained (its weights are those after ``epochs_trained`` epochs).
    snapshots : list of (list of ndarray, list of ndarray)
        ``snapshots[k]`` holds copies of ``(coefs_, intercepts_)`` after ``k · EPOCH_STEP`` epochs.
    losses : list of float
        ``losses[k]``: the cross-entropy of the weights after k epochs (the engine's loss
        of epoch k + 1, measured on the full batch before that epoch's step).
    diverged_at : int or None
        The epoch in which the loss became NaN or infinite; training stops there, and
        only the snapshots up to :attr:`good_until` are kept.
    seconds : float
        Wall-clock time spent training so far.
    """

    def __init__(self, dataset: str, layer_sizes: tuple[int, ...], activation: str, learning_rate: float) -> None:
        self.dataset, self.layer_sizes = dataset, tuple(layer_sizes)
        self.activation, self.learning_rate = activation, learning_rate
        self.X, self.y = playground_data(dataset)
        self.model = MLPClassifier(self.layer_sizes, activation, learning_rate=learning_rate,
                                   batch_size=len(self.X), random_state=SEED)
        # The weights before any step: partial_fit would initialise *and* take a step,
        # so initialise the way it does (the engine's He/Glorot initialisation).
        self.model.classes_ = np.array([0, 1])
        self.model._initialize(self.X.shape[1], self.model._n_outputs())  # one logistic output
        self.snapshots = [self._copy_weights()]
        self.diverged_at: int | None = None
        self.seconds = 0.0

    @property
    def epochs_trained(self) -> int:
        return self.model.n_iter_

    @property
    def losses(self) -> list[float]:
        return self.model.history_["loss"]

    def _copy_weights(self):
        return [W.copy() for W in self.model.coefs_], [b.copy() for b in self.model.intercepts_]

    def extend_to(self, epoch: int) -> Run:
        """Train until ``epoch`` epochs are done (at most :data:`MAX_EPOCHS`), unless the run diverged.

        Only what is missing is trained; a snapshot is kept at every multiple of
        :data:`EPOCH_STEP`.  Returns the run.
        """
        start = time.perf_counter()
        # An exploding run ends in FloatingPointError, not in warnings.
        with np.errstate(all="ignore"), one_blas_thread():
            while self.diverged_at is None and self.epochs_trained < min(epoch, MAX_EPOCHS):
                try:
                    self.model.partial_fit(self.X, self.y)
                except FloatingPointError:
                    self.diverged_at = self.epochs_trained + 1
                    # The loss of that epoch was measured on the weights after the one before: those
                    # are already broken, so the last weights to trust are two epochs back.
                    del self.snapshots[(self.good_until // EPOCH_STEP) + 1:]
                    break
                if self.epochs_trained % EPOCH_STEP == 0:
                    self.snapshots.append(self._copy_weights())
        self.seconds += time.perf_counter() - start
        return self

    @property
    def good_until(self) -> int:
        """The last epoch whose weights are sound: two before ``diverged_at``, else the last trained."""
        if self.diverged_at is None:
            return self.epochs_trained
        return max(self.diverged_at - 2, 0)

    def last_good_epoch(self, epoch: int) -> int:
        """The checkpoint to show for ``epoch``: itself, or after a divergence the last sound one before it."""
        if self.diverged_at is None or epoch <= self.good_until:
            return epoch
        return self.good_until // EPOCH_STEP * EPOCH_STEP

    def weights_at(self, epoch: int):
        """``(coefs, intercepts)`` after ``epoch`` epochs (a multiple of :data:`EPOCH_STEP`, trained already)."""
        if epoch % EPOCH_STEP or epoch // EPOCH_STEP >= len(self.snapshots):
            raise ValueError(f"epoch must be a multiple of {EPOCH_STEP} up to "
                             f"{(len(self.snapshots) - 1) * EPOCH_STEP} (trained so far), got {epoch!r}")
        return self.snapshots[epoch // EPOCH_STEP]


@functools.lru_cache(maxsize=128)
def training_run(dataset: str, layer_sizes: tuple[int, ...], activation: str, learning_rate: float) -> Run:
    """The cached :class:`Run` for these settings (created untrained; :meth:`Run.extend_to` trains it)."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {dataset!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    return Run(dataset, layer_sizes, activation, learning_rate)


@dataclass(frozen=True)
class PlaygroundState:
    """What the playground shows.

    Attributes
    ----------
    run : Run
        The cached training run (dataset, architecture, activation, learning rate).
    epoch : int
        The epoch asked for.
    shown_epoch : int
        The epoch whose weights are drawn: ``epoch``, or the last checkpoint before
        the run diverged.
    layer_sizes : tuple of int
        (2, *hidden, 1): the whole network, inputs to the one logistic output.
    xlim, ylim : (float, float)
    grid_x, grid_y : ndarray of shape (GRID,)
        The coordinates of the grid ``probabilities`` is evaluated on.
    probabilities : ndarray of shape (GRID, GRID)
        p(class 1) at (grid_x[j], grid_y[i]) in row i, column j.
    accuracy : float
        Training accuracy of the shown weights (all 200 points).
    loss : float
        Their mean cross-entropy on the training data.
    loss_curve : ndarray of shape (shown_epoch + 1,)
        The loss after 0, 1, …, shown_epoch epochs.
    message : str
        A line on what happened ("" when nothing is worth saying).
    """

    run: Run
    epoch: int
    shown_epoch: int
    layer_sizes: tuple[int, ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    grid_x: np.ndarray
    grid_y: np.ndarray
    probabilities: np.ndarray
    accuracy: float
    loss: float
    loss_curve: np.ndarray
    message: str

    @property
    def dataset(self) -> str:
        return self.run.dataset

    @property
    def architecture(self) -> str:
        """The network in words, e.g. "2 → 8 → 8 → 1, tanh"."""
        arrows = " → ".join(str(n) for n in self.layer_sizes)
        return arrows + ("" if len(self.layer_sizes) == 2 else f", {self.run.activation}")

    @property
    def short_architecture(self) -> str:
        """The network in a few characters, for small panels: e.g. "2-16-16-16-1 ReLU", or "2-1"."""
        dashes = "-".join(str(n) for n in self.layer_sizes)
        return dashes + ("" if len(self.layer_sizes) == 2 else f" {_ACTIVATION_NAMES[self.run.activation]}")


def _integer(value, argument: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ValueError(f"{argument} must be an integer from {low} to {high}, got {value!r}")
    return int(value)


def playground_state(dataset: str = "moons", hidden_layers: int = 1, units: int = 8, activation: str = "tanh",
                     learning_rate: float = 0.1, epoch: int = 0) -> PlaygroundState:
    """The playground's view: a network of ``hidden_layers`` × ``units`` after ``epoch`` epochs on ``dataset``.

    Parameters
    ----------
    dataset : {"moons", "circles", "xor", "spiral"}
    hidden_layers : int from 0 to 3
        0 leaves logistic regression: a straight boundary.
    units : int from 1 to 16
        Units in every hidden layer (ignored when ``hidden_layers`` is 0).
    activation : {"relu", "tanh", "sigmoid"}
    learning_rate : float > 0
    epoch : int, a multiple of 10 from 0 to 500
        Full-batch epochs trained, i.e. gradient steps.

    Trains (once, cached) only as far as ``epoch``; see :func:`training_run`.
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {dataset!r}")
    hidden_layers = _integer(hidden_layers, "hidden_layers", 0, MAX_HIDDEN_LAYERS)
    units = _integer(units, "units", 1, MAX_UNITS)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    if (isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real)
            or not 0 < learning_rate < math.inf):
        raise ValueError(f"learning_rate must be a number > 0, got {learning_rate!r}")
    if (isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or not 0 <= epoch <= MAX_EPOCHS
            or epoch % EPOCH_STEP):
        raise ValueError(f"epoch must be a multiple of {EPOCH_STEP} from 0 to {MAX_EPOCHS}, got {epoch!r}")
    epoch = int(epoch)
    hidden = (units,) * hidden_layers
    run = training_run(dataset, hidden, activation, float(learning_rate)).extend_to(epoch)
    shown = run.last_good_epoch(epoch)
    coefs, intercepts = run.weights_at(shown)
    xlim, ylim = limits(dataset)
    grid_x, grid_y = np.linspace(*xlim, GRID), np.linspace(*ylim, GRID)
    gx, gy = np.meshgrid(grid_x, grid_y)
    with one_blas_thread():
        surface = probability_of_class_1(coefs, intercepts, activation, np.c_[gx.ravel(), gy.ravel()])
        p = probability_of_class_1(coefs, intercepts, activation, run.X)
    accuracy = float(np.mean((p > 0.5) == (run.y == 1)))
    p_true = np.where(run.y == 1, p, 1 - p)
    loss = float(-np.mean(np.log(np.clip(p_true, 1e-12, 1))))
    message = ""
    if shown != epoch:
        message = (f"diverged in epoch {run.diverged_at} (the loss became NaN or infinite): "
                   f"lower the learning rate. Showing epoch {shown}.")
    elif hidden_layers == 0:
        message = "no hidden layer: the boundary is a straight line"
    return PlaygroundState(run, epoch, shown, (2, *hidden, 1), xlim, ylim, grid_x, grid_y,
                           surface.reshape(GRID, GRID), accuracy, loss,
                           np.append(np.asarray(run.losses[:shown], dtype=float), loss), message)


_ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}


@functools.cache
def _colormap():
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("playground", [plots.PALETTE["blue"], "#FFFFFF",
                                                            plots.PALETTE["orange"]])


def draw_surface(state: PlaygroundState, ax, *, compact: bool = False) -> None:
    """Shade p(class 1) on ``ax`` (blue → white → orange), draw the boundary p = 0.5 and the data."""
    gx, gy = np.meshgrid(state.grid_x, state.grid_y)
    ax.contourf(gx, gy, state.probabilities, levels=np.linspace(0, 1, 11), cmap=_colormap(),
                vmin=0, vmax=1, alpha=0.6, zorder=0)
    if state.probabilities.min() < 0.5 < state.probabilities.max():
        ax.contour(gx, gy, state.probabilities, levels=[0.5], colors=[plots.PALETTE["black"]],
                   linewidths=1.2 if compact else 1.6, zorder=2)
    plots.scatter_classes(state.run.X, state.run.y, ax, labels=["class 0", "class 1"], size=11 if compact else 16)
    ax.set_xlim(state.xlim)
    ax.set_ylim(state.ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(False)
    ax.locator_params(nbins=5)
    ax.tick_params(labelsize=8)


def draw_loss(state: PlaygroundState, ax) -> None:
    """The training loss after every epoch so far (log scale), the current epoch marked."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    curve = state.loss_curve
    ax.plot(np.arange(len(curve)), curve, color=plots.PALETTE["vermillion"], lw=1.5)
    ax.axvline(state.epoch, color=plots.PALETTE["grey"], lw=1, ls=":")
    ax.plot([state.shown_epoch], [state.loss], "o", color=plots.PALETTE["vermillion"], ms=5, clip_on=False)
    ax.set_yscale("log")
    # Decades only, labelled in plain numbers: minor ticks and mathtext labels cost more than the rest.
    ax.yaxis.set_major_locator(FixedLocator([1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_locator(FixedLocator(np.linspace(0, MAX_EPOCHS, 6)))
    ax.set_xlim(0, MAX_EPOCHS)
    ax.set_ylim(min(1e-3, 0.7 * float(np.nanmin(curve))), max(2.0, 1.5 * float(np.nanmax(curve))))
    ax.set_xlabel("epoch (one full-batch step each)", fontsize=8)
    ax.set_title(f"training loss {state.loss:.3g}", fontsize=9)
    ax.tick_params(labelsize=8)


class MLPPlayground(Explorable):
    """A network, a dataset and a slider through training: chapter 03's playground."""

    title = "🎛 MLP playground: watch hidden layers bend the decision boundary"
    try_this = ("Try: on circles or XOR, set hidden layers to 0 and press play: a straight line never separates "
                "them; one hidden layer of 8 tanh units does. Then take the spiral: what is the smallest network "
                "that untangles it within 500 epochs? Set the learning rate to 0.001, then to 3, and watch "
                "the loss curve.")

    def __init__(self) -> None:
        super().__init__()
        # A play button that advances the epoch slider (in the browser: it needs a live kernel too).
        epoch = self.controls["epoch"]
        self.play = widgets.Play(value=0, min=0, max=epoch.max, step=EPOCH_STEP, interval=500,
                                 description="play", layout=widgets.Layout(width="290px"))
        widgets.jslink((self.play, "value"), (epoch, "value"))
        panel = self.widget.children[1].children[0]
        panel.children = (*panel.children, self.play)
        self._update_units()

    def make_controls(self):
        style = {"description_width": "100px"}
        layout = widgets.Layout(width="290px")
        return {
            "dataset": widgets.Dropdown(options=DATASETS, value="moons", description="data",
                                        style=style, layout=layout),
            "hidden_layers": widgets.IntSlider(1, min=0, max=MAX_HIDDEN_LAYERS, description="hidden layers",
                                               style=style, layout=layout),
            "units": widgets.IntSlider(8, min=1, max=MAX_UNITS, description="units per layer",
                                       style=style, layout=layout),
            "activation": widgets.ToggleButtons(options=ACTIVATIONS, value="tanh", description="activation",
                                                style={"description_width": "100px", "button_width": "58px"}),
            "learning_rate": widgets.SelectionSlider(options=LEARNING_RATES, value=0.1, description="learning rate η",
                                                     style=style, layout=layout),
            "epoch": widgets.IntSlider(0, min=0, max=MAX_EPOCHS, step=EPOCH_STEP, description="epoch",
                                       style=style, layout=layout),
        }

    def _update_units(self) -> None:
        """Grey out "units per layer" when there is no hidden layer (it changes nothing then)."""
        self.controls["units"].disabled = self.controls["hidden_layers"].value == 0

    def _on_change(self, change) -> None:
        if change["owner"] is self.controls["hidden_layers"]:
            self._update_units()
        super()._on_change(change)

    def state(self, **values):
        return playground_state(**values)

    def draw(self, state: PlaygroundState):
        """The decision surface and the data (left), the loss curve (right); 6.85 × 3.4 inches.

        The layout is fixed (no layout engine): laying out afresh costs more than the drawing.
        """
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.85, 3.4))  # 685 pixels: the site's content column is about 688
        surface = figure.add_axes((0.065, 0.09, 0.47, 0.75))
        loss = figure.add_axes((0.635, 0.15, 0.345, 0.69))
        draw_surface(state, surface)
        surface.legend(loc="upper left", fontsize=8, framealpha=0.85, handletextpad=0.2, borderpad=0.3)
        surface.set_title(f"{state.dataset}: p(class 1), boundary at 0.5", fontsize=9)
        draw_loss(state, loss)
        if state.message:
            loss.text(0.04, 0.04, textwrap.fill(state.message, 36), transform=loss.transAxes, ha="left",
                      va="bottom", fontsize=8, color=plots.PALETTE["vermillion"],
                      bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=2))
        figure.suptitle(f"epoch {state.shown_epoch} · network {state.architecture} · η = {state.run.learning_rate:g}"
                        f" · training accuracy {state.accuracy:.0%}", fontsize=10, y=0.975)
        return figure

    tight_png = False  # draw() lays the figure out itself: saved as is, a fixed size and faster

    def static_figure(self):
        """Small multiples: each dataset after training, without a hidden layer (top) and with (bottom).

        The bottom row uses :data:`SOLVED_BY`; both rows show epoch :data:`MAX_EPOCHS`.  Every panel is the
        same square (:func:`limits` are square); a legend below says what the colours, markers and line mean.
        """
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.7, 4.3), layout="constrained")  # at most 688 pixels wide, cropped
        axes = figure.subplots(2, len(DATASETS))
        for column, name in enumerate(DATASETS):
            solver = SOLVED_BY[name]
            rows = (dict(solver, hidden_layers=0), solver)
            for row, settings in enumerate(rows):
                state = playground_state(name, epoch=MAX_EPOCHS, **settings)
                ax = axes[row, column]
                draw_surface(state, ax, compact=True)
                ax.set_title(f"{name}: {state.accuracy:.0%}\n{state.short_architecture}", fontsize=8)
                ax.set_xticks([])
                ax.set_yticks([])
        axes[0, 0].set_ylabel("no hidden layer", fontsize=9)
        axes[1, 0].set_ylabel("with hidden layers", fontsize=9)
        figure.suptitle(f"Training accuracy after {MAX_EPOCHS} epochs: a straight line (top) "
                        "against a network with hidden layers (bottom)", fontsize=9)
        figure.legend(*_legend_entries(axes[0, 0]), loc="outside lower center", ncols=5, fontsize=8,
                      frameon=False, markerscale=1.6, handlelength=1.5, handletextpad=0.4, columnspacing=1.2)
        return figure


def _legend_entries(ax):
    """Handles and labels for the static figure's legend: the two classes, the shading and the boundary."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    points, labels = ax.get_legend_handles_labels()  # class 0 and class 1, as scatter_classes drew them
    colours = _colormap()
    handles = [*points, Patch(facecolor=colours(0.0), alpha=0.6), Patch(facecolor=colours(1.0), alpha=0.6),
               Line2D([], [], color=plots.PALETTE["black"], lw=1.2)]
    return handles, [*labels, "shading: p(class 1) near 0", "near 1", "boundary p = 0.5"]
