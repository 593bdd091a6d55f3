"""Chapter 06's explorable: depth × activation × initialiser, and what each layer sees at initialisation.

Choose how many hidden layers (of :data:`WIDTH` units), which activation function
and which initialiser; the explorer draws a fresh network's per-layer histograms of
its activations (forward pass) and of its weight gradients ∂L/∂W (backward pass)
on one small batch, and the standard deviation of both, layer by layer.

The statistics come from :func:`neuronlab.diagnostics.simulate`, a NumPy forward
and backward pass that a unit test checks against ``tf.GradientTape`` on the same
weights, so a redraw takes a fraction of a second even at depth 100.  Each state
is cached per explorer.
"""

from __future__ import annotations

import collections
import functools
import textwrap
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from neuronlab import plots
from neuronlab.config import SEED
from neuronlab.diagnostics import ACTIVATIONS, INITIALIZERS, LayerStatistics, histogram_shares, simulate
from neuronlab.widgets.base import Explorable, one_blas_thread

__all__ = ["DEPTHS", "WIDTH", "BATCH", "ACTIVATION_EDGES", "GRADIENT_EDGES", "DEFAULTS", "STATIC_CASES",
           "default_batch", "ExplorerState", "explorer_state", "DeepExplorer"]

DEPTHS = (2, 5, 10, 20, 50, 100)
"""The depths (hidden layers) on the slider."""
WIDTH = 100
"""Units in every hidden layer."""
BATCH = 256
"""Samples in the default batch."""
ACTIVATION_EDGES = np.linspace(-3, 3, 61)
"""Bins of the activation histograms; values beyond ±3 count in the outermost bins."""
GRADIENT_EDGES = np.linspace(-12, 4, 65)
"""Bins of log₁₀|∂L/∂W|; smaller gradients (zeros included) count in the lowest bin, larger in the top."""
DEFAULTS = dict(depth=20, activation="sigmoid", initializer="N(0, 1)")
CACHED_STATES = 16
"""States an explorer keeps for instant return visits (the least recently shown goes first)."""
"""The explorer's first view: chapter 06's opening problem."""
STATIC_CASES = (("sigmoid", "N(0, 1)"), ("sigmoid", "Glorot"), ("relu", "He"), ("selu", "LeCun"))
"""(activation, initializer) pairs in the static figure, all at depth 50."""

for _edges in (ACTIVATION_EDGES, GRADIENT_EDGES):
    _edges.setflags(write=False)


@functools.cache
def default_batch() -> tuple[np.ndarray, np.ndarray]:
    """The default batch: X of shape (256, 100), standard normal (standardised inputs); y of 256 labels 0–9.

    Seeded with :data:`neuronlab.config.SEED`; read-only.
    """
    rng = np.random.default_rng(SEED)
    X, y = rng.normal(size=(BATCH, WIDTH)), rng.integers(0, 10, size=BATCH)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@dataclass(frozen=True)
class ExplorerState:
    """What the explorer shows for one choice of depth, activation and initialiser.

    Attributes
    ----------
    depth, activation, initializer
        The controls' values.
    stats : LayerStatistics
        Every layer's activations and weight gradients (the last entry is the softmax output layer).
    activation_shares : ndarray of shape (60, depth)
        Histogram of each hidden layer's activations over :data:`ACTIVATION_EDGES` (columns sum to 1).
    gradient_shares : ndarray of shape (64, depth)
        Histogram of each hidden layer's log₁₀|∂L/∂W| over :data:`GRADIENT_EDGES`.
    activation_std, gradient_std : ndarrays of shape (depth,)
        Standard deviation per hidden layer (inf or NaN after an overflow).
    message : str
        One or two sentences on what the picture shows.
    """

    depth: int
    activation: str
    initializer: str
    stats: LayerStatistics
    activation_shares: np.ndarray
    gradient_shares: np.ndarray
    activation_std: np.ndarray
    gradient_std: np.ndarray
    message: str


def _describe(activation: str, depth: int, stats: LayerStatistics, act_std: np.ndarray, grad_std: np.ndarray) -> str:
    hidden = stats.activations[:-1]
    with np.errstate(all="ignore"):
        if not (np.all(np.isfinite(act_std)) and np.all(np.isfinite(grad_std))):
            bad = int(np.argmax(~np.isfinite(act_std))) + 1 if not np.all(np.isfinite(act_std)) else None
            where = f" from hidden layer {bad} on" if bad else " in the backward pass"
            return f"Overflow{where}: the values grew beyond what floating point can hold."
        notes = []
        if activation in ("sigmoid", "tanh"):
            low, high = (0.0, 1.0) if activation == "sigmoid" else (-1.0, 1.0)
            saturated = float(np.mean([np.mean((a < low + 0.01) | (a > high - 0.01)) for a in hidden]))
            if saturated > 0.2:
                notes.append(f"{saturated:.0%} of the activations are saturated (within 0.01 of {low:g} or {high:g}).")
        dead = float(np.mean(stats.dead_fraction()[:-1]))
        if dead > 0.05:
            notes.append(f"{dead:.0%} of the hidden units output 0 for the whole batch (dead).")
        if depth > 1:
            growth = act_std[-1] / act_std[0] if act_std[0] > 0 else np.inf
            if growth > 100:
                notes.append(f"Activations grow ×{growth:.0e} from the first hidden layer to the last.")
            elif growth < 0.01:
                notes.append(f"Activations shrink to {growth:.0e} × their size from the first hidden layer to "
                             "the last.")
            ratio = grad_std[0] / grad_std[-1] if grad_std[-1] > 0 else np.inf
            if ratio < 1e-3:
                notes.append(f"Gradients vanish: layer 1's are {ratio:.0e} × those of layer {depth}.")
            elif ratio > 1e3:
                notes.append(f"Gradients explode towards the input: layer 1's are {ratio:.0e} × those of "
                             f"layer {depth}.")
        if not notes:
            notes.append("Stable: activations and gradients keep their scale through every layer.")
        return " ".join(notes[:2])


def explorer_state(depth: int = DEFAULTS["depth"], activation: str = DEFAULTS["activation"],
                   initializer: str = DEFAULTS["initializer"], *, X=None, y=None) -> ExplorerState:
    """The explorer's view of a fresh network: ``depth`` hidden layers, ``activation``, ``initializer``.

    Parameters
    ----------
    depth : int from 1 to 100
    activation : one of :data:`neuronlab.diagnostics.ACTIVATIONS`
    initializer : one of :data:`neuronlab.diagnostics.INITIALIZERS`
    X, y : arrays of shapes (batch, n_inputs) and (batch,), optional
        The batch (labels 0–9); by default :func:`default_batch`.
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or not 1 <= depth <= max(DEPTHS):
        raise ValueError(f"depth must be an int from 1 to {max(DEPTHS)}, got {depth!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    if initializer not in INITIALIZERS:
        raise ValueError(f"initializer must be one of {list(INITIALIZERS)}, got {initializer!r}")
    if (X is None) != (y is None):
        raise ValueError("give both X and y, or neither (the default batch)")
    if X is None:
        X, y = default_batch()
    with one_blas_thread():  # matrices this small gain nothing from more threads; on a busy machine they lose
        stats = simulate(X, y, depth=int(depth), activation=activation, initializer=initializer, width=WIDTH)
    hidden_acts, hidden_grads = stats.activations[:-1], stats.gradients[:-1]
    with np.errstate(all="ignore"):
        log_grads = [np.log10(np.abs(g)) for g in hidden_grads]
        act_std, grad_std = stats.activation_std()[:-1], stats.gradient_std()[:-1]
    return ExplorerState(int(depth), activation, initializer, stats,
                         histogram_shares(hidden_acts, ACTIVATION_EDGES), histogram_shares(log_grads, GRADIENT_EDGES),
                         act_std, grad_std, _describe(activation, int(depth), stats, act_std, grad_std))


def _maps(state: ExplorerState, act_ax, grad_ax, *, compact: bool = False) -> None:
    from neuronlab.diagnostics import draw_histogram_map

    small = 7 if compact else 8
    draw_histogram_map(act_ax, state.activation_shares, ACTIVATION_EDGES)
    draw_histogram_map(grad_ax, state.gradient_shares, GRADIENT_EDGES, cmap="magma")
    for ax in (act_ax, grad_ax):
        ax.tick_params(labelsize=small)
        ax.set_xlabel("hidden layer", fontsize=small)
    act_ax.set_ylabel("activation (clipped at ±3)", fontsize=small)
    grad_ax.set_ylabel("log₁₀ |∂L/∂W|", fontsize=small)


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float).copy()
    values[~np.isfinite(values) | (values <= 0)] = np.nan
    return values


class DeepExplorer(Explorable):
    """Depth × activation × initialiser: per-layer histograms of activations and gradients at initialisation."""

    title = "🎛 Deep network explorer: depth × activation × initialiser"
    try_this = ("Try: start from sigmoid with N(0, 1) weights and switch to Glorot, then to tanh; take ReLU with "
                "Glorot and then He at depth 50; then SELU with LeCun at depth 100. Which combinations keep "
                "both the activations and the gradients at the same scale in every layer?")

    def __init__(self, X=None, y=None) -> None:
        if (X is None) != (y is None):
            raise ValueError("give both X and y, or neither (the default batch)")
        if X is not None:
            X = np.asarray(X, dtype=float)
            y = np.asarray(y)
            if X.ndim != 2 or y.shape != (len(X),):
                raise ValueError(f"X must have shape (batch, n_inputs) and y shape (batch,), got {X.shape} and "
                                 f"{y.shape}")
        self._batch = (X, y)
        self._cache: collections.OrderedDict[tuple, ExplorerState] = collections.OrderedDict()
        super().__init__()

    def make_controls(self):
        style = {"description_width": "80px"}
        layout = widgets.Layout(width="260px")
        return {
            "depth": widgets.SelectionSlider(options=DEPTHS, value=DEFAULTS["depth"], description="hidden layers",
                                             style=style, layout=layout),
            "activation": widgets.Dropdown(options=tuple(ACTIVATIONS), value=DEFAULTS["activation"],
                                           description="activation", style=style, layout=layout),
            "initializer": widgets.Dropdown(options=tuple(INITIALIZERS), value=DEFAULTS["initializer"],
                                            description="initialiser", style=style, layout=layout),
        }

    def state(self, **values) -> ExplorerState:
        key = (values["depth"], values["activation"], values["initializer"])
        if key in self._cache:
            self._cache.move_to_end(key)
        else:
            X, y = self._batch
            self._cache[key] = explorer_state(*key, X=X, y=y)
            if len(self._cache) > CACHED_STATES:  # a deep state holds every layer's activations: tens of MB
                self._cache.popitem(last=False)
        return self._cache[key]

    def draw(self, state: ExplorerState):
        """Activation histograms, gradient histograms and the std per layer, side by side; 6.85 × 3.3 inches."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.85, 3.3))
        act_ax = figure.add_axes((0.075, 0.3, 0.25, 0.55))
        grad_ax = figure.add_axes((0.41, 0.3, 0.25, 0.55))
        std_ax = figure.add_axes((0.75, 0.3, 0.23, 0.55))
        _maps(state, act_ax, grad_ax)
        act_ax.set_title("activations", fontsize=9)
        grad_ax.set_title("weight gradients", fontsize=9)
        layers = np.arange(1, state.depth + 1)
        std_ax.plot(layers, _finite(state.activation_std), color=plots.PALETTE["blue"], lw=1.5, marker="o", ms=2.5,
                    label="activations")
        std_ax.plot(layers, _finite(state.gradient_std), color=plots.PALETTE["vermillion"], lw=1.5, marker="s",
                    ms=2.5, label="∂L/∂W")
        std_ax.set_yscale("log")
        std_ax.set_title("standard deviation", fontsize=9)
        std_ax.set_xlabel("hidden layer", fontsize=8)
        std_ax.tick_params(labelsize=8)
        std_ax.legend(fontsize=7, loc="best", handlelength=1.2)
        figure.suptitle(f"{state.depth} hidden layers × {WIDTH} units · {state.activation} · {state.initializer}"
                        f" · loss at start {state.stats.loss:.3g}", fontsize=10, y=0.975)
        figure.text(0.02, 0.03, textwrap.fill(state.message, 120), fontsize=8, va="bottom",
                    color=plots.PALETTE["vermillion"] if "Stable" not in state.message else plots.PALETTE["green"])
        return figure

    tight_png = False  # draw() lays the figure out itself: saved as is, a fixed size and faster

    def static_figure(self):
        """Small multiples at depth 50 for :data:`STATIC_CASES`: activations (top) and gradients (bottom)."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.7, 4.2), layout="constrained")  # at most 688 pixels wide, cropped
        axes = figure.subplots(2, len(STATIC_CASES))
        for column, (activation, initializer) in enumerate(STATIC_CASES):
            state = self.state(depth=50, activation=activation, initializer=initializer)
            _maps(state, axes[0, column], axes[1, column], compact=True)
            axes[0, column].set_title(f"{activation} · {initializer}", fontsize=9)
            if column:
                axes[0, column].set_ylabel("")
                axes[1, column].set_ylabel("")
        figure.suptitle("At initialisation, 50 hidden layers: activations (top), log₁₀|∂L/∂W| (bottom)",
                        fontsize=10)
        return figure
