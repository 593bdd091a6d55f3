"""Chapter 02's explorable: step through the perceptron learning rule and watch the boundary move."""

from __future__ import annotations

import dataclasses
import functools
import textwrap
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from neuronlab import plots
from neuronlab.config import SEED
from neuronlab.perceptron import Perceptron, linearly_separable, xor_data
from neuronlab.widgets.base import Explorable

DATASETS = ("separable blobs", "iris: setosa or not", "XOR")
MODES = ("one sample", "one epoch")
STARTS = ("zero weights", "random weights")
MAX_EPOCHS = 25
"""Epochs the stepper precomputes: enough for the blobs and iris to converge; XOR never does."""
FIGURE_WIDTH = 6.7
"""Inches: the site's content column is about 688 px at 100 dpi (a wider figure shrinks unreadably);
saved with ``bbox_inches="tight"`` and its 0.1 in padding, 6.7 in gives about 680 px."""
RING = {True: plots.PALETTE["vermillion"], False: plots.PALETTE["green"]}
"""Ring colour of a presented sample: was it a mistake (the weights moved)?"""


def dataset(name: str):
    """The stepper's data: X of shape (n, 2), y of shape (n,) with 0/1 labels, and axis labels."""
    if name == "separable blobs":
        X, y, _ = linearly_separable(30, gap=0.5, centre=(2, 2), random_state=SEED)
        return X, y, ("x₁", "x₂")
    if name == "iris: setosa or not":
        from sklearn.datasets import load_iris  # bundled with scikit-learn: no download

        iris = load_iris()
        return iris.data[:, 2:4], (iris.target == 0).astype(int), ("petal length (cm)", "petal width (cm)")
    if name == "XOR":
        X, y = xor_data()
        return X, y, ("A", "B")
    raise ValueError(f"dataset must be one of {list(DATASETS)}, got {name!r}")


@dataclass(frozen=True)
class Run:
    """Every step of one training run, precomputed so that moving the slider is instant.

    ``weights[k]`` (shape (3,): w₁, w₂, b) holds the weights after ``k`` samples
    were presented; ``samples[k - 1]`` is the index of the k-th sample shown and
    ``mistakes[k - 1]`` whether it triggered an update.  ``epoch_ends`` lists the
    step at which each epoch ended; ``converged_at`` is the step ending the first
    epoch without a mistake, or None.
    """

    X: np.ndarray
    y: np.ndarray
    axis_labels: tuple[str, str]
    weights: np.ndarray
    samples: np.ndarray
    mistakes: np.ndarray
    epoch_ends: tuple[int, ...]
    converged_at: int | None


@functools.lru_cache(maxsize=32)
def training_run(name: str, eta: float, start: str) -> Run:
    """Train a :class:`~neuronlab.perceptron.Perceptron` one sample at a time (``partial_fit``) and record it."""
    if start not in STARTS:
        raise ValueError(f"start must be one of {list(STARTS)}, got {start!r}")
    X, y, axis_labels = dataset(name)
    rng = np.random.default_rng(SEED)
    initial = rng.normal(0, 1, size=3) if start == "random weights" else np.zeros(3)
    perceptron = Perceptron(eta0=eta)
    first_call = dict(classes=[0, 1], coef_init=initial[:2], intercept_init=initial[2:])
    weights, samples, mistakes, epoch_ends = [initial.copy()], [], [], []
    converged_at = None
    for _ in range(MAX_EPOCHS):
        errors = 0
        for i in rng.permutation(len(X)):
            perceptron.partial_fit(X[i:i + 1], y[i:i + 1], **first_call)
            first_call = {}
            samples.append(i)
            mistakes.append(perceptron.mistakes_per_epoch_[-1] > 0)
            errors += mistakes[-1]
            weights.append(np.append(perceptron.coef_[0], perceptron.intercept_))
        epoch_ends.append(len(samples))
        if errors == 0:
            converged_at = len(samples)
            break
    return Run(X, y, axis_labels, np.array(weights), np.array(samples), np.array(mistakes, dtype=bool),
               tuple(epoch_ends), converged_at)


@dataclass(frozen=True)
class StepperState:
    """What the stepper shows after ``step`` samples (or epochs).

    Attributes
    ----------
    run : Run
    step : int
        Samples presented so far (after converting epochs to samples).
    weights, previous : ndarray of shape (3,)
        (w₁, w₂, b) now and one sample (or epoch) earlier.
    presented : int or None
        Index of the sample just presented (one-sample mode, step > 0).
    mistake : bool
        Whether that sample was misclassified, i.e. moved the weights.
    highlighted : ndarray of int
        The points to ring: the presented sample, or in epoch mode the samples
        that caused updates during that epoch.
    epoch : int
        The epoch the step falls in (1-based; 0 before any step).
    mistakes_so_far : int
    accuracy : float
        Training accuracy of the current weights.
    message : str
    """

    run: Run
    step: int
    weights: np.ndarray
    previous: np.ndarray
    presented: int | None
    mistake: bool
    highlighted: np.ndarray
    epoch: int
    mistakes_so_far: int
    accuracy: float
    message: str


def stepper_state(dataset: str = "separable blobs", mode: str = "one sample", step: int = 0,
                  eta: float = 1.0, start: str = "zero weights") -> StepperState:
    """The stepper's view after ``step`` samples (``mode="one sample"``) or epochs (``"one epoch"``).

    Steps beyond the end of the run (convergence, or the last epoch computed)
    show the end.
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {dataset!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
        raise ValueError(f"step must be an integer >= 0, got {step!r}")
    if isinstance(eta, bool) or not isinstance(eta, (int, float)) or not eta > 0:
        raise ValueError(f"eta must be a number > 0, got {eta!r}")
    run = training_run(dataset, float(eta), start)
    n_steps = len(run.samples)
    if mode == "one sample":
        now = min(int(step), n_steps)
        before = max(now - 1, 0)
        highlighted = run.samples[before:now]
    else:
        epoch_index = min(int(step), len(run.epoch_ends))
        now = run.epoch_ends[epoch_index - 1] if epoch_index else 0
        before = run.epoch_ends[epoch_index - 2] if epoch_index > 1 else 0
        highlighted = np.unique(run.samples[before:now][run.mistakes[before:now]])
    weights, previous = run.weights[now], run.weights[before]
    presented = int(run.samples[now - 1]) if mode == "one sample" and now else None
    mistake = bool(run.mistakes[now - 1]) if presented is not None else False
    epoch = int(np.searchsorted(run.epoch_ends, now)) + 1 if now else 0
    z = run.X @ weights[:2] + weights[2]
    accuracy = float(np.mean((z >= 0).astype(int) == run.y))  # Heaviside, as predict
    mistakes_so_far = int(run.mistakes[:now].sum())
    return StepperState(run, now, weights, previous, presented, mistake, highlighted, epoch,
                        mistakes_so_far, accuracy, _message(run, now, mode, presented, mistake, highlighted))


def _message(run: Run, now: int, mode: str, presented, mistake: bool, highlighted) -> str:
    if now == 0:
        return "start: no sample seen yet"
    if run.converged_at is not None and now >= run.converged_at:
        return f"converged: a whole epoch without a mistake (after {run.converged_at} samples)"
    if mode == "one epoch":
        return f"{len(highlighted)} sample(s) caused updates in this epoch"
    t = "+1" if run.y[presented] == 1 else "−1"
    if mistake:
        return f"sample {presented} (t = {t}) was misclassified → w ← w + η·t·x"
    return f"sample {presented} (t = {t}) was right → no change"


def _limits(X: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    low, high = X.min(axis=0), X.max(axis=0)
    pad = 0.15 * (high - low) + 0.3
    return (low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1])


def _arrow(w: np.ndarray, b: float, xlim, ylim, centre: np.ndarray):
    """Foot and length of the weight-vector arrow: from the boundary, along ``w``, wholly inside the axes.

    The foot is the point of the visible boundary nearest ``centre`` that leaves room
    for an arrow of 18 % of the smaller axis range (or as long as fits, if shorter);
    returns None when the boundary is not in view or no arrow of useful length fits.
    """
    low = np.array([xlim[0], ylim[0]])
    high = np.array([xlim[1], ylim[1]])
    inset = 0.03 * (high - low)
    low, high = low + inset, high - inset
    unit = w / np.linalg.norm(w)
    along = np.array([-unit[1], unit[0]])
    origin = -b / np.linalg.norm(w) * unit                # the boundary point nearest (0, 0)

    def room(point: np.ndarray, direction: np.ndarray) -> tuple[float, float]:
        """The range of s with point + s·direction inside the box (empty when lo > hi)."""
        lo, hi = -np.inf, np.inf
        for k in range(2):
            if abs(direction[k]) < 1e-12:
                if not low[k] <= point[k] <= high[k]:
                    return 1.0, 0.0
            else:
                ends = sorted(((low[k] - point[k]) / direction[k], (high[k] - point[k]) / direction[k]))
                lo, hi = max(lo, ends[0]), min(hi, ends[1])
        return lo, hi

    lo, hi = room(origin, along)
    if lo > hi:
        return None
    wanted = 0.18 * min(high - low)
    nearest = np.clip((centre - origin) @ along, lo, hi)
    candidates = np.unique(np.append(np.linspace(lo, hi, 41), nearest))
    feet = origin + candidates[:, None] * along
    fits = np.array([min(room(foot, unit)[1], wanted) for foot in feet])
    score = np.round(fits / wanted, 2) - 1e-3 * np.abs(candidates - nearest) / (hi - lo + 1e-12)
    best = int(np.argmax(score))
    if fits[best] < 0.4 * wanted:
        return None
    return feet[best], fits[best] * unit


def legend_handles(previous: str) -> list:
    """Legend entries for the stepper's marks; ``previous`` names what the dashed boundary is."""
    from matplotlib.lines import Line2D

    ring = dict(marker="o", markersize=10, markerfacecolor="none", markeredgewidth=2, linestyle="none")
    return [
        Line2D([], [], linestyle="none", markeredgecolor="white", label="t = −1 (class 0)", **plots.CLASS_STYLES[0]),
        Line2D([], [], linestyle="none", markeredgecolor="white", label="t = +1 (class 1)", **plots.CLASS_STYLES[1]),
        Line2D([], [], color=plots.PALETTE["black"], linewidth=1.8, label="boundary now"),
        Line2D([], [], color=plots.PALETTE["grey"], linewidth=1.2, linestyle="dashed", label=previous),
        Line2D([], [], markeredgecolor=RING[True], label="ringed: mistake, w moved", **ring),
        Line2D([], [], markeredgecolor=RING[False], label="ringed: right, no change", **ring),
        Line2D([], [], color=plots.PALETTE["black"], marker=r"$\rightarrow$", markersize=14, linestyle="none",
               label="w (towards t = +1)"),
    ]


def draw_step(state: StepperState, ax, *, compact: bool = False) -> None:
    """Draw one state on ``ax``: the points, the boundary now (solid) and ``state.previous`` (dashed), and w.

    The ring around the presented sample is vermillion for a mistake (or, in epoch
    mode, around each sample that caused an update) and green for a right answer.
    """
    run = state.run
    xlim, ylim = _limits(run.X)
    w, b = state.weights[:2], state.weights[2]
    plots.decision_regions(lambda P: P @ w + b, ax, xlim=xlim, ylim=ylim, resolution=120)
    if state.step and not np.allclose(state.previous, state.weights) and np.any(state.previous[:2]):
        old_w, old_b = state.previous[:2], state.previous[2]
        grid_x, grid_y = np.meshgrid(np.linspace(*xlim, 120), np.linspace(*ylim, 120))
        ax.contour(grid_x, grid_y, grid_x * old_w[0] + grid_y * old_w[1] + old_b, levels=[0],
                   colors=[plots.PALETTE["grey"]], linestyles="dashed", linewidths=1.2, zorder=2)
    plots.scatter_classes(run.X, run.y, ax, labels=["t = −1 (class 0)", "t = +1 (class 1)"],
                          size=22 if compact else 36)
    ring = RING[state.mistake or state.presented is None]
    if len(state.highlighted):
        ax.scatter(*run.X[state.highlighted].T, s=190 if not compact else 110, facecolor="none",
                   edgecolor=ring, linewidth=2.2, zorder=4)
    arrow = _arrow(w, b, xlim, ylim, run.X.mean(axis=0)) if np.linalg.norm(w) > 0 else None
    if arrow is not None:  # the weight vector, from the boundary towards the positive side
        foot, vector = arrow
        ax.annotate("", xy=foot + vector, xytext=foot, zorder=5,
                    arrowprops=dict(arrowstyle="-|>", color=plots.PALETTE["black"], lw=2, shrinkA=0, shrinkB=0))
        if not compact:  # "w" beside the tip, offset in points so that the axes' aspect does not matter
            on_screen = vector / np.array([xlim[1] - xlim[0], ylim[1] - ylim[0]])
            on_screen /= np.linalg.norm(on_screen)
            offset = 10 * np.array([-on_screen[1], on_screen[0]]) - 4 * on_screen
            ax.annotate("w", foot + vector, xytext=tuple(offset), textcoords="offset points", fontsize=12,
                        fontweight="bold", ha="center", va="center", zorder=5)
    ax.set_xlabel(run.axis_labels[0])
    ax.set_ylabel(run.axis_labels[1])


class PerceptronStepper(Explorable):
    """Step through the perceptron learning rule on three small datasets."""

    title = "🎛 Perceptron stepper: the learning rule, one sample at a time"
    try_this = ("Try: step through the blobs until they converge; switch to XOR and watch it never settle; "
                "start from random weights and change η.")

    def __init__(self) -> None:
        super().__init__()
        # A play button that advances the step slider (runs in the browser, so it needs a live kernel too).
        self.play = widgets.Play(value=0, min=0, max=self.controls["step"].max, interval=600,
                                 description="play", layout=widgets.Layout(width="290px"))
        widgets.jslink((self.play, "value"), (self.controls["step"], "value"))
        widgets.jslink((self.play, "max"), (self.controls["step"], "max"))
        panel = self.widget.children[1].children[0]
        panel.children = (*panel.children, self.play)

    def make_controls(self):
        style = {"description_width": "90px"}
        layout = widgets.Layout(width="290px")
        return {
            "dataset": widgets.Dropdown(options=DATASETS, value=DATASETS[0], description="data",
                                        style=style, layout=layout),
            "mode": widgets.ToggleButtons(options=MODES, value=MODES[0], description="step by",
                                          style={"description_width": "90px", "button_width": "90px"}),
            "step": widgets.IntSlider(0, min=0, max=self._max_step(DATASETS[0], MODES[0], 1.0, STARTS[0]),
                                      description="step", style=style, layout=layout),
            "eta": widgets.FloatLogSlider(1.0, base=10, min=-2, max=1, step=0.25, description="η (eta)",
                                          style=style, layout=layout),
            "start": widgets.Dropdown(options=STARTS, value=STARTS[0], description="start from",
                                      style=style, layout=layout),
        }

    @staticmethod
    def _max_step(name: str, mode: str, eta: float, start: str) -> int:
        run = training_run(name, float(eta), start)
        return len(run.samples) if mode == "one sample" else len(run.epoch_ends)

    def _on_change(self, change) -> None:
        if change["owner"] is not self.controls["step"]:
            values = self.values()
            with self.held():  # a new range may move the step: one redraw for both
                self.controls["step"].max = self._max_step(values["dataset"], values["mode"], values["eta"],
                                                           values["start"])
        super()._on_change(change)

    def state(self, **values):
        return stepper_state(**values)

    def draw(self, state: StepperState):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(FIGURE_WIDTH, 4.6), layout="constrained")
        ax = figure.subplots()
        draw_step(state, ax)
        w1, w2, b = state.weights
        headline = f"after {state.step} sample(s), epoch {state.epoch}: {state.message}"
        if len(headline) > 80:  # keep the title inside the figure's width
            headline = f"after {state.step} sample(s), epoch {state.epoch}:\n{textwrap.fill(state.message, 80)}"
        ax.set_title(f"{headline}\nw = ({w1:.2f}, {w2:.2f}), b = {b:.2f} · mistakes so far {state.mistakes_so_far}"
                     f" · training accuracy {state.accuracy:.0%}", fontsize=10)
        previous = "boundary a sample ago" if state.presented is not None else "boundary an epoch ago"
        figure.legend(handles=legend_handles(previous), loc="outside lower center", ncols=3, fontsize=9,
                      frameon=False)
        return figure

    def static_figure(self):
        """Small multiples: the boundary after 0, 1, 5 and 20 samples, and at convergence (or the end).

        Two rows of three at the site's width; the sixth place holds the legend.  The
        dashed line is the boundary of the panel before, so each panel shows how far
        the rule moved it since.
        """
        from matplotlib.figure import Figure

        values = self.values()
        run = training_run(values["dataset"], float(values["eta"]), values["start"])
        end = run.converged_at if run.converged_at is not None else len(run.samples)
        steps = [s for s in (0, 1, 5, 20) if s < end] + [end]
        figure = Figure(figsize=(FIGURE_WIDTH, 5.4), layout="constrained")
        grid = figure.subplots(2, 3)
        for index, (ax, step) in enumerate(zip(grid.flat, steps)):
            state = stepper_state(values["dataset"], "one sample", step, values["eta"], values["start"])
            if index:
                state = dataclasses.replace(state, previous=run.weights[steps[index - 1]])
            draw_step(state, ax, compact=True)
            label = "converged" if step == run.converged_at else ("end" if step == end and step else "")
            ax.set_title(f"after {step} sample{'s' if step != 1 else ''}" + (f" ({label})" if label else ""),
                         fontsize=10)
            ax.tick_params(labelsize=9)
            ax.xaxis.label.set_size(10)
            ax.yaxis.label.set_size(10)
            if index % 3:
                ax.set_ylabel("")
        for ax in grid.flat[len(steps):]:
            ax.remove()
        figure.legend(handles=legend_handles("boundary, panel before"), loc="center",
                      bbox_to_anchor=(5 / 6, 0.25), fontsize=9, frameon=False)
        figure.suptitle(f"The perceptron rule on {values['dataset']} (η = {values['eta']:g}), one sample at a time",
                        fontsize=11)
        return figure
