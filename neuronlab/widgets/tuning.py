"""Chapter 05's explorables: a learning-rate finder plot and a tuner-results explorer.

:class:`LearningRateFinderPlot` draws a finder's record, loss against learning rate,
and lets you choose how much to smooth the batch losses and how far below the
rate where the loss turns up to go; it shades the curve's valley and marks the
suggested learning rate.  It needs only the two
recorded arrays (``finder.rates``, ``finder.losses`` of
:class:`neuronlab.callbacks.LearningRateFinder`), never a model, and it computes
the suggestion with the finder's own :func:`neuronlab.callbacks.suggest_learning_rate`.

:class:`TunerResultsExplorer` shows the trials of a Keras Tuner search (the
DataFrame of :func:`neuronlab.tuning.trials_frame`) as points (one hyperparameter
against another, or against the score) or as parallel coordinates (one vertical
axis per hyperparameter, one line per trial), coloured by score; pick a trial to
see its hyperparameters.  Both redraw from arrays only, in well under a second.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from neuronlab import plots
from neuronlab.callbacks import finder_valley, plot_finder, smooth, suggest_learning_rate
from neuronlab.widgets.base import Explorable

__all__ = ["DIVISORS", "SMOOTHING_MAX", "LearningRateFinderPlot", "FinderState", "VIEWS", "TunerResultsExplorer",
           "TrialsState", "axis_positions"]

DIVISORS = (1, 2, 3, 5, 10, 20, 30, 100)
"""How far below the turning point (where the loss starts to climb) the suggestion may go (10 is the rule of thumb)."""
SMOOTHING_MAX = 0.98
"""The largest smoothing β on the slider (β = 0 shows the raw batch losses)."""


# ====================================================================== the learning-rate finder
@dataclass(frozen=True)
class FinderState:
    """What the finder plot shows for one smoothing β and divisor.

    ``rates`` and ``losses`` are the finite part of the record; ``smoothed`` the losses
    after smoothing; ``best_rate`` the rate of the lowest smoothed loss,
    ``valley_low`` and ``turning_rate`` the ends of the valley (see
    :func:`neuronlab.callbacks.finder_valley`), and ``suggestion = turning_rate / divisor``.
    """

    beta: float
    divisor: float
    show_raw: bool
    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    best_rate: float
    suggestion: float
    dropped: int
    valley_low: float = math.nan
    turning_rate: float = math.nan


class LearningRateFinderPlot(Explorable):
    """Loss against learning rate from a finder's record, with the suggested rate marked.

    Parameters
    ----------
    rates : array-like of shape (n,), n >= 2
        The learning rate of each batch (> 0, increasing), e.g. ``finder.rates``.
    losses : array-like of shape (n,)
        The loss of each batch, e.g. ``finder.losses``; non-finite values (a run that
        blew up) are dropped, and at least two must be finite.
    beta : float in [0, 0.98], default 0.9
        The smoothing to start with.
    divisor : one of :data:`DIVISORS`, default 10
    """

    title = "🎛 Learning-rate finder: smooth the curve, read off the rate"
    try_this = ("Try: set the smoothing to 0 and see how noisy single batches are; then raise it to 0.98 and watch "
                "the valley slide to the right, because a heavily smoothed curve lags behind the data. Change the "
                "divisor: how far below the cliff do you want to be?")

    def __init__(self, rates, losses, *, beta: float = 0.9, divisor: float = 10):
        try:
            rates, losses = np.asarray(rates, dtype=float), np.asarray(losses, dtype=float)
        except (TypeError, ValueError):
            raise TypeError("rates and losses must be 1-D arrays of numbers (finder.rates, finder.losses)") from None
        if rates.ndim != 1 or rates.shape != losses.shape:
            raise ValueError(f"rates and losses must be 1-D and of the same length, got shapes {rates.shape} and "
                             f"{losses.shape}")
        if len(rates) < 2 or not np.all(np.isfinite(rates)) or np.any(rates <= 0):
            raise ValueError("rates must hold at least two finite learning rates > 0")
        if np.any(np.diff(rates) <= 0):
            raise ValueError("rates must increase from batch to batch, as a finder's sweep does")
        finite = np.isfinite(losses)
        if finite.sum() < 2:
            raise ValueError(f"losses must hold at least two finite values, got {int(finite.sum())}: run the finder "
                             "for longer, or from a smaller starting rate")
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 <= beta <= SMOOTHING_MAX:
            raise ValueError(f"beta must be a number in [0, {SMOOTHING_MAX}], got {beta!r}")
        if divisor not in DIVISORS:
            raise ValueError(f"divisor must be one of {list(DIVISORS)}, got {divisor!r}")
        self.rates, self.losses = rates[finite], losses[finite]
        self._record = (rates, losses)  # as recorded: the plot counts the non-finite losses it leaves out
        self._dropped = int((~finite).sum())
        self._initial = (round(float(beta), 2), divisor)
        super().__init__()

    def make_controls(self):
        style = {"description_width": "90px"}
        beta, divisor = self._initial
        return {
            "beta": widgets.FloatSlider(beta, min=0.0, max=SMOOTHING_MAX, step=0.02, description="smoothing β",
                                        readout_format=".2f", style=style, layout=widgets.Layout(width="300px")),
            "divisor": widgets.SelectionSlider(options=list(DIVISORS), value=divisor, description="divide by",
                                               style=style, layout=widgets.Layout(width="300px")),
            "show_raw": widgets.Checkbox(True, description="show the raw batch losses", indent=False),
        }

    def state(self, beta: float = 0.9, divisor: float = 10, show_raw: bool = True) -> FinderState:

        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 <= beta <= SMOOTHING_MAX:
            raise ValueError(f"beta must be a number in [0, {SMOOTHING_MAX}], got {beta!r}")
        if divisor not in DIVISORS:
            raise ValueError(f"divisor must be one of {list(DIVISORS)}, got {divisor!r}")
        smoothed = smooth(self.losses, float(beta))
        best = int(np.argmin(smoothed))
        suggestion = suggest_learning_rate(self.rates, self.losses, beta=float(beta), divisor=float(divisor))
        low, _, turn = finder_valley(self.rates, self.losses, beta=float(beta))
        return FinderState(float(beta), float(divisor), bool(show_raw), self.rates, self.losses, smoothed,
                           float(self.rates[best]), suggestion, self._dropped, low, turn)

    tight_png = False  # draw() lays the figure out itself: saved as is, a fixed size and faster

    def draw(self, state: FinderState):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.8, 3.6))
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.14, top=0.91)  # a fixed layout redraws faster
        plot_finder(*self._record, fig.add_subplot(), beta=state.beta, divisor=state.divisor, show_raw=state.show_raw)
        return fig


# ====================================================================== the tuner's results
VIEWS = ("points", "parallel coordinates")
"""How the explorer draws the trials."""
_RESERVED = ("score", "best_epoch", "status")


def _is_numeric(values) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def axis_positions(values):
    """Where each value sits on an axis from 0 to 1, and the axis's tick labels.

    Numbers spread linearly between their minimum and maximum, or logarithmically when
    all are > 0 and they span a factor of 10 or more (a learning rate); anything else
    (strings, booleans) is a category, placed at evenly spaced positions in sorted order.
    Missing numbers stay NaN.

    Parameters
    ----------
    values : pandas.Series

    Returns
    -------
    positions : ndarray of shape (n,), in [0, 1] (NaN where missing)
    ticks : list of (position, label)
    log : bool, whether the axis is logarithmic
    """
    if _is_numeric(values):
        x = values.to_numpy(dtype=float)
        finite = x[np.isfinite(x)]
        if finite.size == 0:
            return np.full(len(x), np.nan), [], False
        low, high = float(finite.min()), float(finite.max())
        log = low > 0 and high / low >= 10
        if log:
            x, low_t, high_t = np.log10(x), math.log10(low), math.log10(high)
        else:
            low_t, high_t = low, high
        span = high_t - low_t
        positions = (x - low_t) / span if span > 0 else np.where(np.isfinite(x), 0.5, np.nan)
        ticks = [(0.0, f"{low:.3g}"), (1.0, f"{high:.3g}")] if span > 0 else [(0.5, f"{low:.3g}")]
        return positions, ticks, log
    labels = values.astype(str)
    categories = sorted(labels.unique())
    if len(categories) == 1:
        spots = {categories[0]: 0.5}
    else:
        spots = {c: i / (len(categories) - 1) for i, c in enumerate(categories)}
    return labels.map(spots).to_numpy(dtype=float), [(p, c) for c, p in spots.items()], False


@dataclass(frozen=True)
class TrialsState:
    """What the explorer shows: the view, the axes, and the picked trial with its rank and hyperparameters."""

    view: str
    x: str
    y: str
    trial: str
    rank: int
    n_trials: int
    score: float
    hyperparameters: dict


class TunerResultsExplorer(Explorable):
    """The trials of a hyperparameter search, coloured by score; pick one to read its hyperparameters.

    Parameters
    ----------
    trials : pandas.DataFrame
        One row per trial, indexed by trial id, with a numeric ``score`` column and one
        column per hyperparameter: :func:`neuronlab.tuning.trials_frame` (several of them
        concatenated, with a ``tuner`` column, work too).  Rows with no score are dropped.
    hyperparameters : list of str, optional
        The columns to offer (default: every column but ``score``, ``best_epoch`` and
        ``status``).
    higher_is_better : bool, optional
        Default: from ``trials.attrs["direction"]`` if set, else True (an accuracy).
    """

    title = "🎛 Tuner results: every trial, coloured by its score"
    try_this = ("Try: in parallel coordinates, follow the yellow (best) lines: which values do the good trials share? "
                "Switch to points with the learning rate on x and the score on y, then pick the worst trial and read "
                "what went wrong.")

    def __init__(self, trials, *, hyperparameters=None, higher_is_better=None):
        import pandas as pd

        if not isinstance(trials, pd.DataFrame):
            raise TypeError(f"trials must be a pandas DataFrame (neuronlab.tuning.trials_frame), got "
                            f"{type(trials).__name__}")
        if "score" not in trials.columns or not _is_numeric(trials["score"]):
            raise ValueError("trials must have a numeric 'score' column, as neuronlab.tuning.trials_frame returns")
        trials = trials[np.isfinite(trials["score"].to_numpy(dtype=float))]
        if len(trials) == 0:
            raise ValueError("trials has no scored trial to show: did the search run, and did its trials succeed?")
        if hyperparameters is None:
            hyperparameters = [c for c in trials.columns if c not in _RESERVED]
        if isinstance(hyperparameters, str) or not all(isinstance(h, str) for h in hyperparameters):
            raise TypeError(f"hyperparameters must be a list of column names, got {hyperparameters!r}")
        hyperparameters = list(hyperparameters)
        missing = [h for h in hyperparameters if h not in trials.columns or h in _RESERVED]
        if missing or not hyperparameters:
            raise ValueError(f"hyperparameters must name columns of trials other than {list(_RESERVED)}, got "
                             f"{missing or hyperparameters}; the columns are {list(trials.columns)}")
        if higher_is_better is None:
            higher_is_better = trials.attrs.get("direction", "max") != "min"
        if not isinstance(higher_is_better, bool):
            raise TypeError(f"higher_is_better must be True, False or None, got {higher_is_better!r}")
        order = trials["score"].to_numpy(dtype=float)
        ranked = np.argsort(-order if higher_is_better else order, kind="stable")
        self.trials = trials.iloc[ranked]
        self.trials.index = self.trials.index.astype(str)
        if self.trials.index.has_duplicates:
            raise ValueError("trials must have one row per trial id; with several tuners, give the index a tuner "
                             "prefix (e.g. 'random/3') before concatenating")
        self.hyperparameters = hyperparameters
        self.higher_is_better = higher_is_better
        self._axes = {name: axis_positions(self.trials[name]) for name in [*hyperparameters, "score"]}
        super().__init__()

    def make_controls(self):
        style = {"description_width": "70px"}
        layout = widgets.Layout(width="300px")
        n = len(self.trials)
        labels = [(f"#{rank + 1} · trial {trial} · {score:.4g}", trial)
                  for rank, (trial, score) in enumerate(self.trials["score"].items())]
        x = next((h for h in self.hyperparameters if "learning" in h.lower()), self.hyperparameters[0])
        return {
            "view": widgets.ToggleButtons(options=VIEWS, value="parallel coordinates", description="view",
                                          style={"description_width": "70px", "button_width": "140px"}),
            "x": widgets.Dropdown(options=self.hyperparameters, value=x, description="x (points)", style=style,
                                  layout=layout),
            "y": widgets.Dropdown(options=["score", *self.hyperparameters], value="score", description="y (points)",
                                  style=style, layout=layout),
            "trial": widgets.Dropdown(options=labels, value=labels[0][1], description=f"trial ({n})", style=style,
                                      layout=layout),
        }

    def state(self, view: str = "parallel coordinates", x: str | None = None, y: str = "score",
              trial: str | None = None) -> TrialsState:
        if view not in VIEWS:
            raise ValueError(f"view must be one of {list(VIEWS)}, got {view!r}")
        x = self.hyperparameters[0] if x is None else x
        if x not in self.hyperparameters:
            raise ValueError(f"x must be one of {self.hyperparameters}, got {x!r}")
        if y != "score" and y not in self.hyperparameters:
            raise ValueError(f"y must be 'score' or one of {self.hyperparameters}, got {y!r}")
        trial = self.trials.index[0] if trial is None else str(trial)
        if trial not in self.trials.index:
            raise ValueError(f"trial must be one of the trial ids {list(self.trials.index)}, got {trial!r}")
        rank = int(self.trials.index.get_loc(trial))
        row = self.trials.loc[trial]
        values = {h: _plain(row[h]) for h in self.hyperparameters}
        return TrialsState(view, x, y, trial, rank + 1, len(self.trials), float(row["score"]), values)

    # --- drawing
    def _colours(self):
        import matplotlib as mpl

        scores = self.trials["score"].to_numpy(dtype=float)
        low, high = float(scores.min()), float(scores.max())
        norm = mpl.colors.Normalize(low, high if high > low else low + 1e-9)
        cmap = mpl.colormaps["viridis" if self.higher_is_better else "viridis_r"]
        return cmap(norm(scores)), mpl.cm.ScalarMappable(norm=norm, cmap=cmap)

    def _points(self, ax, state: TrialsState, colours) -> None:
        rng = np.random.default_rng(0)
        coords = []
        for name in (state.x, state.y):
            if name == "score" or _is_numeric(self.trials[name]):
                coords.append(self.trials[name].to_numpy(dtype=float))
            else:
                positions, ticks, _ = self._axes[name]
                spacing = 1 / max(len(ticks) - 1, 1)
                coords.append(positions + rng.uniform(-0.12, 0.12, len(positions)) * spacing)
        x, y = coords
        order = np.arange(len(x))[::-1]  # best drawn last, on top
        ax.scatter(x[order], y[order], c=colours[order], s=46, edgecolors="black", linewidths=0.4, zorder=3)
        picked = state.rank - 1
        ax.scatter([x[picked]], [y[picked]], s=190, facecolors="none", edgecolors=plots.PALETTE["vermillion"],
                   linewidths=2.2, zorder=4, label=f"trial {state.trial}")
        for setter, name, axis in ((ax.set_xscale, state.x, ax.xaxis), (ax.set_yscale, state.y, ax.yaxis)):
            positions, ticks, log = self._axes[name]
            if name != "score" and not _is_numeric(self.trials[name]):
                axis.set_ticks([p for p, _ in ticks], [t for _, t in ticks])
            elif log:
                setter("log")
            elif pd_integer(self.trials[name]):
                from matplotlib.ticker import MaxNLocator

                axis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel=state.x, ylabel=state.y)
        ax.set_title(f"{len(x)} trials: {state.y} against {state.x}", fontsize=10)
        ax.legend(fontsize=8, loc="best")

    def _parallel(self, ax, state: TrialsState, colours) -> None:
        names = [*self.hyperparameters, "score"]
        matrix = np.column_stack([self._axes[name][0] for name in names])
        xs = np.arange(len(names))
        for row in range(len(matrix) - 1, -1, -1):  # best drawn last, on top
            ax.plot(xs, matrix[row], color=colours[row], lw=1.3, alpha=0.85, zorder=2)
        picked = state.rank - 1
        ax.plot(xs, matrix[picked], color=plots.PALETTE["vermillion"], lw=3, zorder=3)
        for i, name in enumerate(names):
            ax.axvline(i, color="black", lw=0.8, zorder=1)
            for position, label in self._axes[name][1]:
                ax.text(i + 0.04, position, label, fontsize=8, va="center", ha="left", zorder=4,
                        bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8))
        ax.set_xticks(xs, [n + (" (log)" if self._axes[n][2] else "") for n in names], fontsize=8, rotation=20,
                      ha="right")
        ax.set_yticks([])
        ax.set(xlim=(-0.2, len(names) - 0.4), ylim=(-0.06, 1.06))
        ax.set_title(f"{len(matrix)} trials, one line each (top of an axis = its largest value)", fontsize=10)
        ax.grid(False)

    tight_png = False  # draw() lays the figure out itself: saved as is, a fixed size and faster

    def draw(self, state: TrialsState):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.8, 3.8))
        # A fixed layout (no constrained layout): it halves the time of a redraw.
        bottom = 0.2 if state.view != "points" else 0.14
        ax = fig.add_axes((0.1, bottom, 0.52, 0.9 - bottom))
        colour_axis = fig.add_axes((0.635, bottom, 0.015, 0.9 - bottom))
        panel = fig.add_axes((0.75, 0.05, 0.25, 0.88))
        colours, mappable = self._colours()
        if state.view == "points":
            self._points(ax, state, colours)
        else:
            self._parallel(ax, state, colours)
        bar = fig.colorbar(mappable, cax=colour_axis)
        bar.set_label("score", fontsize=8, labelpad=2)
        bar.ax.tick_params(labelsize=8)
        panel.axis("off")
        lines = [f"trial {state.trial}", f"rank {state.rank} of {state.n_trials}", f"score {state.score:.4f}", "",
                 "(the vermillion line)" if state.view != "points" else "(the ringed point)", ""]
        lines += [f"{name} = {_format(value)}" for name, value in state.hyperparameters.items()]
        panel.text(0, 1, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=8,
                   transform=panel.transAxes)
        return fig


def pd_integer(values) -> bool:
    """True for a column of integers (an integer hyperparameter such as the number of layers)."""
    import pandas as pd

    return pd.api.types.is_integer_dtype(values)


def _plain(value):
    """A NumPy scalar as the plain Python value (what Keras Tuner stored)."""
    return value.item() if isinstance(value, np.generic) else value


def _format(value) -> str:
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:.3g}"
    return str(value)
