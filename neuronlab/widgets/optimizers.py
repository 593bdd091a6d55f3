"""Chapter 07's explorables on optimizers and schedules: the optimizer race and the schedule plotter.

:class:`OptimizerRace` runs the from-scratch optimizers of :mod:`neuronlab.optimizers`
on the 2-D surfaces of :data:`neuronlab.optimizers.SURFACES` (an ill-conditioned
bowl, Rosenbrock's valley, a saddle point) and draws their paths and losses.
Gradient descent and its momentum variants step by η × gradient, while the adaptive
methods step by about η whatever the gradient's size, so the two families get a
learning rate each.

:class:`SchedulePlotter` draws the learning-rate schedules of
:mod:`neuronlab.schedules` over a training run.

Both compute in NumPy only (no Keras), and every state is cached: a redraw is
mostly matplotlib's time.
"""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from neuronlab import plots, schedules
from neuronlab.optimizers import OPTIMIZERS, SURFACES, make_optimizer
from neuronlab.optimizers import surface as get_surface
from neuronlab.widgets.base import Explorable

# ---------------------------------------------------------------------------------------------- the race
SGD_FAMILY = ("SGD", "momentum", "Nesterov")
"""Optimizers whose step is η times the (accumulated) gradient."""
ADAPTIVE = ("AdaGrad", "RMSProp", "Adam", "AdaMax", "Nadam", "AdamW")
"""Optimizers whose step is about η per coordinate, whatever the gradient's size."""
RACERS = SGD_FAMILY + ADAPTIVE
SGD_RATES = (0.0003, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.2, 0.3)
ADAPTIVE_RATES = (0.003, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
DEFAULT_RATES = {"bowl": (0.05, 0.3), "rosenbrock": (0.002, 0.1), "saddle": (0.03, 0.03)}
"""Per surface, the (SGD-family, adaptive) learning rates the race starts with."""
DEFAULT_RACERS = ("SGD", "momentum", "AdaGrad", "RMSProp", "Adam")
MAX_STEPS = 500
STEP = 10
GRID = 120
_COLOURS = dict(zip(RACERS, ("black", "orange", "sky", "green", "purple", "blue", "grey", "vermillion", "yellow")))
_STYLES = {"SGD": "-", "momentum": "-", "Nesterov": "--", "AdaGrad": "-", "RMSProp": "-", "Adam": "-",
           "AdaMax": "--", "Nadam": "-.", "AdamW": ":"}


@functools.lru_cache(maxsize=512)
def race_path(surface_name: str, optimizer: str, learning_rate: float) -> np.ndarray:
    """The path of ``optimizer`` (default settings but η) over :data:`MAX_STEPS` steps on a surface.

    Returns an array of shape (k + 1, 2), k <= MAX_STEPS (shorter when it diverged),
    read-only because it is cached.
    """
    chosen = get_surface(surface_name)
    path = make_optimizer(optimizer, learning_rate=learning_rate).minimize(chosen.gradient, chosen.start, MAX_STEPS,
                                                                           limit=1e3)
    path.setflags(write=False)
    return path


@functools.cache
def surface_grid(surface_name: str):
    """(x, y, log-loss) on a GRID × GRID grid over the surface's window, for the contour plot."""
    chosen = get_surface(surface_name)
    x, y = np.linspace(*chosen.xlim, GRID), np.linspace(*chosen.ylim, GRID)
    gx, gy = np.meshgrid(x, y)
    gap = chosen.function(gx, gy) - chosen(chosen.minimum)
    return x, y, np.log10(gap + 1e-3)


@dataclass(frozen=True)
class Racer:
    """One optimizer in the race.

    Attributes
    ----------
    name : str
    learning_rate : float
    path : ndarray of shape (k + 1, 2)
        Its positions after 0, 1, …, k of the steps shown.
    losses : ndarray of shape (k + 1,)
        The loss minus the surface's minimum along the path (≥ 0).
    diverged : bool
        It left the surface for good before the number of steps shown.
    """

    name: str
    learning_rate: float
    path: np.ndarray
    losses: np.ndarray
    diverged: bool

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])


@dataclass(frozen=True)
class RaceState:
    """What the race shows: the surface, and each chosen optimizer's path after ``steps`` steps."""

    surface: str
    description: str
    steps: int
    sgd_rate: float
    adaptive_rate: float
    racers: tuple[Racer, ...]

    @property
    def leader(self) -> str | None:
        """The optimizer with the lowest loss now (among those still on the surface), or None."""
        alive = [r for r in self.racers if not r.diverged]
        return min(alive, key=lambda r: r.final_loss).name if alive else None


def _choice(value, name: str, options) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return value


def _rate(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return float(value)


def race_state(surface: str = "bowl", optimizers=DEFAULT_RACERS, sgd_rate: float = DEFAULT_RATES["bowl"][0],
               adaptive_rate: float = DEFAULT_RATES["bowl"][1], steps: int = MAX_STEPS) -> RaceState:
    """The race after ``steps`` steps.

    Parameters
    ----------
    surface : {"bowl", "rosenbrock", "saddle"}
        An unknown name is rejected with the list of known ones.
    optimizers : sequence of names from :data:`RACERS`
    sgd_rate : float > 0
        η for SGD, momentum and Nesterov.
    adaptive_rate : float > 0
        η for AdaGrad, RMSProp, Adam, AdaMax, Nadam and AdamW.
    steps : int from 0 to MAX_STEPS
    """
    chosen = get_surface(surface)
    if isinstance(optimizers, str):
        optimizers = (optimizers,)
    for name in optimizers:
        _choice(name, "each optimizer", RACERS)
    sgd_rate, adaptive_rate = _rate(sgd_rate, "sgd_rate"), _rate(adaptive_rate, "adaptive_rate")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer from 0 to {MAX_STEPS}, got {steps!r}")
    racers = []
    floor = chosen(chosen.minimum)
    for name in RACERS:  # a fixed order, whatever order they were picked in
        if name not in optimizers:
            continue
        rate = sgd_rate if name in SGD_FAMILY else adaptive_rate
        path = race_path(surface, name, rate)[: steps + 1]
        racers.append(Racer(name, rate, path, np.maximum(chosen.values(path) - floor, 0.0),
                            diverged=len(path) < steps + 1))
    return RaceState(surface, chosen.description, int(steps), sgd_rate, adaptive_rate, tuple(racers))


def _draw_race(state: RaceState, surface_ax, loss_ax, *, legend: bool = True, compact: bool = False) -> None:
    chosen = SURFACES[state.surface]
    x, y, z = surface_grid(state.surface)
    surface_ax.contour(x, y, z, levels=14, colors=plots.PALETTE["grey"], linewidths=0.6, alpha=0.5,
                       linestyles="solid")
    surface_ax.plot(*chosen.start, "o", color=plots.PALETTE["black"], ms=5, zorder=5)
    surface_ax.plot(*chosen.minimum, "*", color=plots.PALETTE["black"], ms=11, zorder=5)
    for racer in state.racers:
        colour = plots.PALETTE[_COLOURS[racer.name]]
        label = f"{racer.name} (η={racer.learning_rate:g})" + (" ✗" if racer.diverged else "")
        surface_ax.plot(racer.path[:, 0], racer.path[:, 1], _STYLES[racer.name], color=colour, lw=1.4,
                        label=label, zorder=3)
        surface_ax.plot(*racer.path[-1], "o", color=colour, ms=4, zorder=4)
        steps = np.arange(len(racer.losses))
        loss_ax.plot(steps, racer.losses + 1e-12, _STYLES[racer.name], color=colour, lw=1.4)
        if racer.diverged:
            loss_ax.plot(steps[-1], racer.losses[-1] + 1e-12, "x", color=colour, ms=7, mew=2)
    surface_ax.set_xlim(chosen.xlim)
    surface_ax.set_ylim(chosen.ylim)
    surface_ax.set_xlabel("x", fontsize=8)
    surface_ax.set_ylabel("y", fontsize=8)
    surface_ax.grid(False)
    loss_ax.set_yscale("log")
    loss_ax.set_xlim(0, MAX_STEPS)
    loss_ax.set_ylim(1e-10, 1e3)
    loss_ax.set_xlabel("step", fontsize=8)
    loss_ax.set_ylabel("loss − minimum", fontsize=8)
    for ax in (surface_ax, loss_ax):
        ax.tick_params(labelsize=8)
    if legend:
        surface_ax.legend(fontsize=8, loc="lower left" if state.surface != "rosenbrock" else "lower right",
                          framealpha=0.85, handlelength=1.6, borderpad=0.3, labelspacing=0.25)


class OptimizerRace(Explorable):
    """The from-scratch optimizers racing on a 2-D surface: paths (left) and losses (right)."""

    title = "🎛 Optimizer race: nine optimizers from neuronlab.optimizers on three 2-D surfaces"
    try_this = ("Try: on the bowl, watch SGD zig-zag across the steep direction while momentum overshoots and "
                "comes back; lower SGD's η until the zig-zag stops and see how slowly it then creeps along. On "
                "the saddle, compare how long each optimizer hesitates before rolling off. On Rosenbrock, raise "
                "SGD's η to 0.003 and watch it fly off.")

    def make_controls(self):
        style = {"description_width": "100px"}
        layout = widgets.Layout(width="290px")
        return {
            "surface": widgets.Dropdown(options=tuple(SURFACES), value="bowl", description="surface",
                                        style=style, layout=layout),
            "optimizers": widgets.SelectMultiple(options=RACERS, value=DEFAULT_RACERS, rows=len(RACERS),
                                                 description="optimizers", style=style, layout=layout),
            "sgd_rate": widgets.SelectionSlider(options=SGD_RATES, value=DEFAULT_RATES["bowl"][0],
                                                description="η (SGD family)", style=style, layout=layout),
            "adaptive_rate": widgets.SelectionSlider(options=ADAPTIVE_RATES, value=DEFAULT_RATES["bowl"][1],
                                                     description="η (adaptive)", style=style, layout=layout),
            "steps": widgets.IntSlider(MAX_STEPS, min=0, max=MAX_STEPS, step=STEP, description="steps",
                                       style=style, layout=layout),
        }

    def _on_change(self, change) -> None:
        if change["owner"] is self.controls["surface"]:
            # Each surface starts from learning rates that suit it; one redraw for the three changes.
            with self.held():
                sgd, adaptive = DEFAULT_RATES[change["new"]]
                self.controls["sgd_rate"].value = sgd
                self.controls["adaptive_rate"].value = adaptive
        super()._on_change(change)

    def state(self, **values):
        return race_state(**values)

    def draw(self, state: RaceState):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.85, 3.5))
        surface_ax = figure.add_axes((0.075, 0.13, 0.49, 0.72))
        loss_ax = figure.add_axes((0.68, 0.13, 0.3, 0.72))
        _draw_race(state, surface_ax, loss_ax)
        surface_ax.set_title(state.description, fontsize=8, loc="left")
        loss_ax.set_title("loss above the minimum", fontsize=8)
        leader = f" · lowest now: {state.leader}" if state.leader else ""
        figure.suptitle(f"{state.surface} after {state.steps} steps{leader}", fontsize=10, y=0.975)
        return figure

    tight_png = False  # draw() lays the figure out itself: saved as is, a fixed size and faster

    def static_figure(self):
        """All three surfaces with the default optimizers and learning rates, paths above, losses below."""
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.7, 5.2), layout="constrained")
        axes = figure.subplots(2, len(SURFACES), height_ratios=(1.35, 1))
        for column, name in enumerate(SURFACES):
            sgd, adaptive = DEFAULT_RATES[name]
            state = race_state(name, DEFAULT_RACERS, sgd, adaptive, MAX_STEPS)
            _draw_race(state, axes[0, column], axes[1, column], legend=False, compact=True)
            axes[0, column].set_title(f"{name}, η {sgd:g} / {adaptive:g}", fontsize=9)
            if column:
                axes[1, column].set_ylabel("")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        figure.legend(handles, [label.split(" (")[0] for label in labels], loc="outside lower center",
                      ncols=len(labels), fontsize=8)
        figure.suptitle(f"The optimizer race after {MAX_STEPS} steps (★ the minimum, ● the start;\n"
                        "η for the SGD family / for the adaptive methods)", fontsize=10)
        return figure


# ---------------------------------------------------------------------------------------------- schedules
SCHEDULES = ("constant", "power", "exponential", "piecewise constant", "performance", "1cycle")
INITIAL_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
_SCHEDULE_COLOURS = dict(zip(SCHEDULES, ("grey", "blue", "orange", "green", "purple", "vermillion")))


@functools.cache
def example_validation_losses(epochs: int = 100) -> np.ndarray:
    """A made-up validation-loss curve for performance scheduling: falling, flattening, noisy (seeded).

    Shape (epochs,).  Performance scheduling reacts to the real run's losses; this stands in
    for one so that the plotter has something to react to.
    """
    t = np.arange(epochs)
    rng = np.random.default_rng(7)
    curve = 0.3 + 0.7 * np.exp(-t / 8) + 0.02 * rng.standard_normal(epochs)
    curve.setflags(write=False)
    return curve


@dataclass(frozen=True)
class ScheduleState:
    """What the schedule plotter shows.

    Attributes
    ----------
    schedule : str
        The highlighted schedule.
    initial_rate, s : float
        η₀ and the scale s (epochs) every schedule uses (see :func:`schedule_rates`).
    epochs : int
    t : ndarray of shape (epochs * 20 + 1,)
        Times in epochs (20 points per epoch, so that 1cycle's corners are sharp).
    rates : dict of str → ndarray of the shape of ``t``
        Every schedule's rate over ``t``, the highlighted one included.
    losses : ndarray of shape (epochs,)
        The validation losses performance scheduling reacts to.
    formula : str
        The highlighted schedule's rule in words.
    """

    schedule: str
    initial_rate: float
    s: int
    epochs: int
    t: np.ndarray
    rates: dict
    losses: np.ndarray
    formula: str


def schedule_rates(t, epochs: int, initial_rate: float, s: int) -> dict[str, np.ndarray]:
    """Each schedule's learning rate at times ``t`` (in epochs) for a run of ``epochs`` epochs.

    - constant: η₀;
    - power: η₀ / (1 + t/s);
    - exponential: η₀ · 0.1^(t/s);
    - piecewise constant: η₀, then η₀/10 after s epochs, η₀/100 after 2s;
    - performance: ``ReduceLROnPlateau(factor=0.5, patience=s)`` on
      :func:`example_validation_losses`, constant within an epoch;
    - 1cycle: :func:`neuronlab.schedules.one_cycle` peaking at η₀ (from η₀/10), over the run.
    """
    t = np.asarray(t, dtype=np.float64)
    losses = example_validation_losses(100)[:epochs]
    per_epoch = schedules.plateau(losses, initial_rate, factor=0.5, patience=s)
    epoch_of = np.minimum(np.floor(t).astype(int), epochs - 1)
    return {
        "constant": np.full_like(t, initial_rate),
        "power": schedules.power(t, initial_rate, s),
        "exponential": schedules.exponential(t, initial_rate, s),
        "piecewise constant": schedules.piecewise_constant(t, [s, 2 * s], [initial_rate, initial_rate / 10,
                                                                           initial_rate / 100]),
        "performance": per_epoch[epoch_of],
        "1cycle": schedules.one_cycle(t * 100, epochs * 100 + 1, initial_rate),
    }


_FORMULAS = {
    "constant": "η = η₀",
    "power": "η = η₀ / (1 + t/s)",
    "exponential": "η = η₀ · 0.1^(t/s)",
    "piecewise constant": "η₀ until s, η₀/10 until 2s, then η₀/100",
    "performance": "halve η after s epochs without a better validation loss",
    "1cycle": "η₀/10 → η₀ → η₀/10 over 90 % of the run, then → η₀/10⁴",
}


def schedule_state(schedule: str = "exponential", initial_rate: float = 0.01, s: int = 10,
                   epochs: int = 50) -> ScheduleState:
    """The schedule plotter's view.

    Parameters
    ----------
    schedule : one of :data:`SCHEDULES`
    initial_rate : float > 0
        η₀ (the peak for 1cycle).
    s : int from 1 to 50
        The schedule's scale in epochs (the patience for performance scheduling).
    epochs : int from 10 to 100
    """
    _choice(schedule, "schedule", SCHEDULES)
    initial_rate = _rate(initial_rate, "initial_rate")
    if isinstance(s, bool) or not isinstance(s, numbers.Integral) or not 1 <= s <= 50:
        raise ValueError(f"s must be an integer from 1 to 50, got {s!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or not 10 <= epochs <= 100:
        raise ValueError(f"epochs must be an integer from 10 to 100, got {epochs!r}")
    t = np.linspace(0, epochs, epochs * 20 + 1)
    return ScheduleState(schedule, initial_rate, int(s), int(epochs), t,
                         schedule_rates(t, int(epochs), initial_rate, int(s)),
                         example_validation_losses(100)[:epochs], _FORMULAS[schedule])


class SchedulePlotter(Explorable):
    """Learning-rate schedules over a run, on a linear (left) and a logarithmic (right) scale."""

    title = "🎛 Schedule plotter: how the learning rate changes over training"
    try_this = ("Try: compare exponential and power scheduling on the log scale (a straight line against a "
                "curve that keeps flattening); shrink s and watch piecewise constant scheduling drop sooner; pick "
                "performance scheduling and change the patience s; pick 1cycle and change the number of epochs.")

    def make_controls(self):
        style = {"description_width": "90px"}
        layout = widgets.Layout(width="290px")
        return {
            "schedule": widgets.Dropdown(options=SCHEDULES, value="exponential", description="schedule",
                                         style=style, layout=layout),
            "initial_rate": widgets.SelectionSlider(options=INITIAL_RATES, value=0.01, description="η₀",
                                                    style=style, layout=layout),
            "s": widgets.IntSlider(10, min=1, max=50, description="s (epochs)", style=style, layout=layout),
            "epochs": widgets.IntSlider(50, min=10, max=100, step=5, description="epochs", style=style,
                                        layout=layout),
        }

    def state(self, **values):
        return schedule_state(**values)

    def draw(self, state: ScheduleState):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.85, 3.2))
        linear = figure.add_axes((0.105, 0.15, 0.34, 0.68))
        logarithmic = figure.add_axes((0.635, 0.15, 0.345, 0.68))
        for name, rates in state.rates.items():
            chosen = name == state.schedule
            for ax in (linear, logarithmic):
                ax.plot(state.t, rates, color=plots.PALETTE[_SCHEDULE_COLOURS[name]], lw=2.4 if chosen else 1.0,
                        alpha=1.0 if chosen else 0.35, label=name, zorder=3 if chosen else 2)
        if state.schedule == "performance":
            twin = linear.twinx()
            twin.plot(np.arange(state.epochs) + 1, state.losses, ".", color=plots.PALETTE["grey"], ms=3)
            twin.set_ylabel("made-up validation loss", fontsize=8, color=plots.PALETTE["grey"])
            twin.tick_params(labelsize=8, colors=plots.PALETTE["grey"])
            twin.grid(False)
        logarithmic.set_yscale("log")
        logarithmic.set_ylim(state.initial_rate * 5e-5, state.initial_rate * 2)
        linear.set_ylim(0, state.initial_rate * 1.08)
        for ax, scale in ((linear, "linear"), (logarithmic, "log")):
            ax.set_xlim(0, state.epochs)
            ax.set_xlabel("epoch", fontsize=8)
            ax.set_ylabel(f"learning rate ({scale} scale)", fontsize=8)
            ax.tick_params(labelsize=8)
        logarithmic.legend(fontsize=7, loc="lower left", framealpha=0.85, labelspacing=0.2, handlelength=1.4)
        figure.suptitle(f"{state.schedule}: {state.formula} (η₀ = {state.initial_rate:g}, s = {state.s})",
                        fontsize=9, y=0.97)
        return figure

    tight_png = False  # draw() lays the figure out itself: saved as is, a fixed size and faster
