"""Chapter 07's explorables on dropout: the masks of a small network, and Monte Carlo dropout's uncertainty.

:class:`DropoutMasks` draws a 6-8-8-3 network in which each training step drops
every hidden unit with probability p, and shows how Keras's *inverted* dropout
scales the survivors by 1/(1 − p) so that, on average, the next layer receives
what it receives at inference, when nothing is dropped.

:class:`MCDropoutExplorer` shows, for a test image, the class probabilities of
many stochastic passes of an MC-dropout model: their mean, their spread, and the
single deterministic prediction.  It takes the passes already computed (by
:func:`neuronlab.regularisation.mc_predict`), so it needs no Keras and redraws at
once.
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from neuronlab import plots
from neuronlab.widgets.base import Explorable

# ---------------------------------------------------------------------------------------------- dropout masks
LAYER_SIZES = (6, 8, 8, 3)
"""The small network: 6 inputs, two hidden layers of 8 ReLU units (dropout after each), 3 outputs."""
RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
MODES = ("training", "inference")
MAX_STEP = 50
AVERAGED_STEPS = 2000
"""How many training steps' masks the average in :class:`DropoutState` is taken over."""


@functools.cache
def _network():
    """Fixed weights, biases and one input sample for the small network (seeded)."""
    rng = np.random.default_rng(3)
    weights = [rng.normal(0, np.sqrt(2 / n), size=(n, k)) for n, k in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:])]
    biases = [np.full(k, 0.1) for k in LAYER_SIZES[1:]]
    x = rng.uniform(0.2, 1.0, size=LAYER_SIZES[0])
    return weights, biases, x


def dropout_masks(rate: float, step: int) -> list[np.ndarray]:
    """The keep-masks of the two hidden layers at training step ``step`` (each unit kept with probability 1 − rate).

    Returns a list of two boolean arrays of shape (8,); the same (rate, step) always gives the same masks.
    """
    rng = np.random.default_rng(20 + step)  # a seed whose first steps keep a typical number of units
    return [rng.random(k) >= rate for k in LAYER_SIZES[1:-1]]


def forward(masks, rate: float):
    """The activations of every layer for the fixed input, with the given keep-masks (None: inference).

    Inverted dropout: a kept hidden output is divided by (1 − rate), a dropped one is 0.
    Returns a list of 4 arrays (inputs, hidden 1, hidden 2, output logits).
    """
    weights, biases, x = _network()
    layers = [x]
    h = x
    for i, (W, b) in enumerate(zip(weights, biases)):
        z = h @ W + b
        if i == len(weights) - 1:
            layers.append(z)
            break
        h = np.maximum(z, 0)
        if masks is not None:
            h = np.where(masks[i], h / (1 - rate), 0.0)
        layers.append(h)
    return layers


@dataclass(frozen=True)
class DropoutState:
    """What the dropout explorer shows.

    Attributes
    ----------
    rate : float
    step : int
    mode : {"training", "inference"}
    masks : list of 2 boolean arrays of shape (8,)
        Which hidden units are kept (all True at inference).
    activations : list of 4 arrays
        Every layer's outputs for the fixed input, in this mode and step.
    inference : list of 4 arrays
        The same at inference (no dropout, no scaling).
    average_hidden_1 : ndarray of shape (8,)
        Hidden layer 1's training-mode outputs averaged over :data:`AVERAGED_STEPS` steps.
    scale : float
        1 / (1 − rate): what a kept output is multiplied by during training (1 at inference).
    kept : int
        Hidden units kept this step (out of 16).
    """

    rate: float
    step: int
    mode: str
    masks: list
    activations: list
    inference: list
    average_hidden_1: np.ndarray
    scale: float
    kept: int


@functools.lru_cache(maxsize=64)
def _average_hidden_1(rate: float) -> np.ndarray:
    weights, biases, x = _network()
    h = np.maximum(x @ weights[0] + biases[0], 0)
    keep = np.random.default_rng(99).random((AVERAGED_STEPS, len(h))) >= rate
    return (keep * h / (1 - rate)).mean(axis=0)


def dropout_state(rate: float = 0.3, step: int = 1, mode: str = "training") -> DropoutState:
    """The dropout explorer's view.

    Parameters
    ----------
    rate : float in [0, 1)
        The dropout rate p.
    step : int from 1 to MAX_STEP
        The training step (each draws new masks).
    mode : {"training", "inference"}
    """
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"rate must be a number in [0, 1), got {rate!r}")
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or not 1 <= step <= MAX_STEP:
        raise ValueError(f"step must be an integer from 1 to {MAX_STEP}, got {step!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    rate = float(rate)
    inference = forward(None, rate)
    if mode == "training":
        masks = dropout_masks(rate, int(step))
        activations, scale = forward(masks, rate), 1 / (1 - rate)
    else:
        masks = [np.ones(k, dtype=bool) for k in LAYER_SIZES[1:-1]]
        activations, scale = inference, 1.0
    return DropoutState(rate, int(step), mode, masks, activations, inference, _average_hidden_1(rate), scale,
                        int(sum(m.sum() for m in masks)))


def _draw_network(state: DropoutState, ax) -> None:
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Circle

    gap_x, gap_y, radius = 1.6, 0.55, 0.19
    positions = [[(i * gap_x, gap_y * ((n - 1) / 2 - j)) for j in range(n)] for i, n in enumerate(LAYER_SIZES)]
    alive = [np.ones(LAYER_SIZES[0], bool), *state.masks, np.ones(LAYER_SIZES[-1], bool)]
    segments = []
    for i in range(len(LAYER_SIZES) - 1):
        for j, source in enumerate(positions[i]):
            for k, target in enumerate(positions[i + 1]):
                if alive[i][j] and alive[i + 1][k]:
                    segments.append((source, target))
    ax.add_collection(LineCollection(segments, colors=plots.PALETTE["grey"], linewidths=0.6, alpha=0.6, zorder=1))
    colours = [plots.PALETTE["grey"], plots.PALETTE["blue"], plots.PALETTE["blue"], plots.PALETTE["orange"]]
    for i, layer in enumerate(positions):
        for j, (x, y) in enumerate(layer):
            if alive[i][j]:
                ax.add_patch(Circle((x, y), radius, facecolor=colours[i], edgecolor="black", lw=1, zorder=3))
            else:
                ax.add_patch(Circle((x, y), radius, facecolor="white", edgecolor=plots.PALETTE["grey"], lw=1,
                                    ls="--", zorder=3))
                ax.text(x, y, "×", ha="center", va="center", fontsize=9, color=plots.PALETTE["vermillion"], zorder=4)
    for i, name in enumerate(("inputs", "hidden 1", "hidden 2", "outputs")):
        ax.text(i * gap_x, -gap_y * 4.6, name, ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.4, (len(LAYER_SIZES) - 1) * gap_x + 0.4)
    ax.set_ylim(-gap_y * 5.3, gap_y * 4.1)
    ax.set_aspect("equal")
    ax.axis("off")


def _draw_bars(state: DropoutState, ax) -> None:
    units = np.arange(1, LAYER_SIZES[1] + 1)
    shown = state.activations[1]
    ax.bar(units, state.inference[1], width=0.8, facecolor="none", edgecolor=plots.PALETTE["black"], lw=1.2,
           label="inference (nothing dropped)", zorder=3)
    ax.bar(units, shown, width=0.5, color=plots.PALETTE["blue"], alpha=0.85,
           label="this step" if state.mode == "training" else "inference", zorder=2)
    if state.mode == "training":
        ax.plot(units, state.average_hidden_1, "_", color=plots.PALETTE["vermillion"], ms=16, mew=2.5,
                label=f"mean over {AVERAGED_STEPS:,} steps", zorder=4)
    ax.set_xticks(units)
    ax.set_xlabel("unit of hidden layer 1", fontsize=8)
    ax.set_ylabel("output", fontsize=8)
    ax.tick_params(labelsize=8)
    top = max(float(np.max(state.inference[1])) / (1 - state.rate), 1e-6)
    ax.set_ylim(0, 1.15 * top + 0.05)
    ax.legend(fontsize=7, loc="upper left", framealpha=0.85, labelspacing=0.2)


class DropoutMasks(Explorable):
    """A small network with dropout: the units dropped at a training step (left), hidden layer 1's outputs (right)."""

    title = "🎛 Dropout masks: a new thinned network at every training step"
    try_this = ("Try: step through training steps and watch a different set of units drop each time; raise the "
                "rate and see the survivors' outputs grow by 1/(1 − p), while their average over many steps "
                "(red ticks) stays on the inference outputs; switch to inference: nothing is dropped or scaled.")

    def make_controls(self):
        style = {"description_width": "90px"}
        layout = widgets.Layout(width="290px")
        return {
            "rate": widgets.SelectionSlider(options=RATES, value=0.3, description="dropout rate p", style=style,
                                            layout=layout),
            "step": widgets.IntSlider(1, min=1, max=MAX_STEP, description="training step", style=style,
                                      layout=layout),
            "mode": widgets.ToggleButtons(options=MODES, value="training", description="mode",
                                          style={"description_width": "90px", "button_width": "85px"}),
        }

    def _on_change(self, change) -> None:
        if change["owner"] is self.controls["mode"]:
            self.controls["step"].disabled = change["new"] == "inference"
        super()._on_change(change)

    def state(self, **values):
        return dropout_state(**values)

    def draw(self, state: DropoutState):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.85, 3.3))
        network = figure.add_axes((0.0, 0.02, 0.5, 0.86))
        bars = figure.add_axes((0.6, 0.15, 0.37, 0.7))
        _draw_network(state, network)
        _draw_bars(state, bars)
        if state.mode == "training":
            title = (f"training step {state.step}, p = {state.rate:g}: {state.kept} of 16 hidden units kept, "
                     f"each output × 1/(1 − p) = {state.scale:.2f}")
        else:
            title = f"inference, p = {state.rate:g}: every unit kept, outputs not scaled"
        figure.suptitle(title, fontsize=9, y=0.97)
        return figure

    tight_png = False  # draw() lays the figure out itself: saved as is, a fixed size and faster

    def static_figure(self):
        """Two training steps and inference, at p = 0.3: the masks change, inference keeps every unit."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.7, 2.6), layout="constrained")
        axes = figure.subplots(1, 3)
        for ax, (step, mode) in zip(axes, ((1, "training"), (2, "training"), (1, "inference"))):
            state = dropout_state(0.3, step, mode)
            _draw_network(state, ax)
            ax.set_title(f"training step {step}: {state.kept}/16 kept" if mode == "training" else "inference: all kept",
                         fontsize=9)
        figure.suptitle("Dropout, p = 0.3: each training step trains a different thinned network", fontsize=10)
        return figure


# ---------------------------------------------------------------------------------------------- MC dropout
@dataclass(frozen=True)
class MCState:
    """What the MC-dropout explorer shows for one image.

    Attributes
    ----------
    index : int
        The image's position among the explorer's images.
    passes : int
        How many stochastic passes are averaged.
    image : ndarray of shape (h, w) or (h, w, 3)
    label : int
        The true class.
    samples : ndarray of shape (passes, k)
        Each pass's class probabilities.
    mean, std : ndarray of shape (k,)
        Their mean and standard deviation over the passes.
    deterministic : ndarray of shape (k,) or None
        The plain prediction (dropout off), when given.
    predicted : int
        argmax of ``mean``.
    """

    index: int
    passes: int
    image: np.ndarray
    label: int
    samples: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    deterministic: np.ndarray | None
    predicted: int


class MCDropoutExplorer(Explorable):
    """Monte Carlo dropout on chosen images: the mean and spread of many stochastic passes.

    Parameters
    ----------
    images : ndarray of shape (n, h, w) or (n, h, w, 3)
        The images to choose from (shown as they are; grey or RGB).
    labels : array-like of n ints
        Their true classes.
    probabilities : ndarray of shape (passes, n, k)
        Each pass's class probabilities for each image (``mc_predict(...).samples``).
    class_names : sequence of k str
    deterministic : ndarray of shape (n, k), optional
        The model's plain predictions (dropout off), drawn for comparison.
    """

    title = "🎛 MC-dropout uncertainty: many stochastic passes for one test image"
    try_this = ("Try: step through the images and compare a confident one (tall bar, tiny spread) with an "
                "ambiguous one; set the passes to 1 and see how far a single pass can be from the mean; look "
                "for an image the plain model gets wrong and check whether the spread warned you.")

    def __init__(self, images, labels, probabilities, class_names, deterministic=None) -> None:
        images = np.asarray(images)
        labels = np.asarray(labels).reshape(-1)
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if images.ndim not in (3, 4):
            raise ValueError(f"images must have shape (n, h, w) or (n, h, w, 3), got {images.shape}")
        n = len(images)
        if len(labels) != n:
            raise ValueError(f"labels must hold one class per image ({n}), got {len(labels)}")
        if probabilities.ndim != 3 or probabilities.shape[1] != n:
            raise ValueError(f"probabilities must have shape (passes, {n}, classes), got {probabilities.shape}")
        k = probabilities.shape[2]
        if len(class_names) != k:
            raise ValueError(f"class_names must name the {k} classes, got {len(class_names)}")
        if deterministic is not None:
            deterministic = np.asarray(deterministic, dtype=np.float64)
            if deterministic.shape != (n, k):
                raise ValueError(f"deterministic must have shape ({n}, {k}), got {deterministic.shape}")
        self.images, self.labels, self.probabilities = images, labels, probabilities
        self.class_names, self.deterministic = tuple(class_names), deterministic
        super().__init__()

    def make_controls(self):
        style = {"description_width": "90px"}
        layout = widgets.Layout(width="290px")
        n_passes = self.probabilities.shape[0]
        return {
            "index": widgets.IntSlider(0, min=0, max=len(self.images) - 1, description="test image", style=style,
                                       layout=layout),
            "passes": widgets.IntSlider(n_passes, min=1, max=n_passes, description="passes", style=style,
                                        layout=layout),
        }

    def state(self, index: int = 0, passes: int | None = None) -> MCState:
        n_passes = self.probabilities.shape[0]
        passes = n_passes if passes is None else passes
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < len(self.images):
            raise ValueError(f"index must be an integer from 0 to {len(self.images) - 1}, got {index!r}")
        if isinstance(passes, bool) or not isinstance(passes, numbers.Integral) or not 1 <= passes <= n_passes:
            raise ValueError(f"passes must be an integer from 1 to {n_passes}, got {passes!r}")
        samples = self.probabilities[: int(passes), int(index)]
        mean = samples.mean(axis=0)
        deterministic = None if self.deterministic is None else self.deterministic[int(index)]
        return MCState(int(index), int(passes), self.images[int(index)], int(self.labels[int(index)]), samples,
                       mean, samples.std(axis=0), deterministic, int(np.argmax(mean)))

    def _draw(self, state: MCState, image_ax, bars_ax, *, legend: bool = True) -> None:
        image_ax.imshow(state.image, cmap="binary" if state.image.ndim == 2 else None)
        image_ax.set_xticks([])
        image_ax.set_yticks([])
        image_ax.grid(False)
        right = state.predicted == state.label
        image_ax.set_title(f"true: {self.class_names[state.label]}\nMC guess: {self.class_names[state.predicted]} "
                           f"{'✓' if right else '✗'}", fontsize=8,
                           color=plots.PALETTE["black"] if right else plots.PALETTE["vermillion"])
        k = len(self.class_names)
        classes = np.arange(k)
        colours = [plots.PALETTE["green"] if c == state.label else plots.PALETTE["blue"] for c in classes]
        bars_ax.barh(classes, state.mean, xerr=state.std, color=colours, alpha=0.8, height=0.7,
                     error_kw=dict(ecolor=plots.PALETTE["black"], lw=1, capsize=2), label="mean ± std of the passes")
        jitter = np.random.default_rng(0).uniform(-0.25, 0.25, size=state.samples.shape)
        bars_ax.scatter(state.samples.ravel(), (classes + jitter).ravel(), s=3, color=plots.PALETTE["grey"],
                        alpha=0.35, zorder=3, label="one pass", linewidths=0)
        if state.deterministic is not None:
            bars_ax.scatter(state.deterministic, classes, marker="D", s=16, color=plots.PALETTE["vermillion"], zorder=4,
                            label="dropout off")
        bars_ax.set_yticks(classes)
        bars_ax.set_yticklabels(self.class_names, fontsize=8)
        bars_ax.invert_yaxis()
        bars_ax.set_xlim(0, 1.02)
        bars_ax.set_xlabel("probability", fontsize=8)
        bars_ax.tick_params(labelsize=8)
        if legend:
            bars_ax.legend(fontsize=7, loc="lower right", framealpha=0.85, labelspacing=0.2)

    def draw(self, state: MCState):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.85, 3.3))
        image_ax = figure.add_axes((0.02, 0.1, 0.25, 0.65))
        bars_ax = figure.add_axes((0.47, 0.14, 0.5, 0.72))
        self._draw(state, image_ax, bars_ax)
        top = int(np.argmax(state.mean))
        figure.suptitle(f"image {state.index}, {state.passes} passes: p({self.class_names[top]}) = "
                        f"{state.mean[top]:.2f} ± {state.std[top]:.2f}", fontsize=9, y=0.97)
        return figure

    tight_png = False  # draw() lays the figure out itself: saved as is, a fixed size and faster

    def static_figure(self):
        """Three images side by side: the most confident, the most uncertain and, if any, one the MC mean gets wrong."""
        from matplotlib.figure import Figure

        means = self.probabilities.mean(axis=0)
        top_std = self.probabilities.std(axis=0)[np.arange(len(means)), means.argmax(axis=1)]
        wrong = np.flatnonzero(means.argmax(axis=1) != self.labels)
        chosen = [int(np.argmin(top_std)), int(np.argmax(top_std))]
        extra = [int(i) for i in wrong if int(i) not in chosen]
        chosen.append(extra[0] if extra else int(np.argsort(top_std)[len(top_std) // 2]))
        figure = Figure(figsize=(6.6, 5.6), layout="constrained")
        grid = figure.add_gridspec(3, 2, width_ratios=(1, 3.2))
        for row, index in enumerate(chosen):
            state = self.state(index, self.probabilities.shape[0])
            self._draw(state, figure.add_subplot(grid[row, 0]), figure.add_subplot(grid[row, 1]), legend=row == 0)
        figure.suptitle(f"MC dropout, {self.probabilities.shape[0]} passes: a confident image, an uncertain one, "
                        "and a mistake", fontsize=9)
        return figure
