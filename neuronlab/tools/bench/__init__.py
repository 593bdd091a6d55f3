"""The benchmark command: how fast the course is, measured, never asserted by a test.

``python -m neuronlab.tools.bench [GROUP …] [--repeat N] [--json PATH]`` runs the
benchmark groups (all of them by default), measures each figure ``repeat`` times,
prints a table (median, min, max, the machine's load while measuring, the budget
and whether the median is within it) and writes the same as JSON.  It exits 1 when
a median is over its budget, so an author sees it; the test suite never runs the
timings, so a slow or busy machine never fails a test.

A group is a module of this package that registers itself with :func:`group`:

.. code-block:: python

    @group("widgets", "each widget's redraw after a control change")
    def widgets(repeat: int) -> list[Figure]:
        ...

Budgets live in :data:`BUDGETS`, one entry per figure name, and nowhere else.
"""

from __future__ import annotations

import importlib
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["BUDGETS", "Budget", "Figure", "GROUPS", "group", "load_groups", "measure", "Stopwatch"]


@dataclass(frozen=True)
class Budget:
    limit: float
    unit: str
    why: str


# Every budget of the course, in one place (the figures' names are the keys).
BUDGETS: dict[str, Budget] = {
    # A learner moves a control and waits for the picture: half a second, warm.
    "redraw · gate builder": Budget(0.5, "s", "ch01 widget, warm median"),
    "redraw · perceptron stepper": Budget(0.5, "s", "ch02 widget, warm median"),
    "redraw · backprop stepper": Budget(0.5, "s", "ch03 widget, warm median"),
    "redraw · MLP playground (warm)": Budget(0.5, "s", "ch03 widget, runs already trained"),
    "redraw · MLP playground (cold)": Budget(0.5, "s", "ch03 widget, a run trained on demand"),
    "redraw · prediction browser": Budget(0.5, "s", "ch04 widget, warm median"),
    "redraw · learning-rate finder": Budget(0.5, "s", "ch05 widget, warm median"),
    "redraw · tuner results": Budget(0.5, "s", "ch05 widget, warm median"),
    "redraw · deep explorer": Budget(0.5, "s", "ch06 widget, new depth/activation/initialiser"),
    "redraw · optimizer race": Budget(0.5, "s", "ch07 widget, warm median"),
    "redraw · schedule plotter": Budget(0.5, "s", "ch07 widget, warm median"),
    "redraw · dropout masks": Budget(0.5, "s", "ch07 widget, warm median"),
    "redraw · MC dropout explorer": Budget(0.5, "s", "ch07 widget, warm median"),
    # Chapter 03's engine adds little to its matrix products (a regression guard on its overhead).
    "engine · MLP epoch / matmul floor": Budget(2.0, "×", "an epoch's time over its matrix products' alone"),
    # The site: an author rebuilds after an edit; a rebuild that re-ran notebooks would take minutes.
    "site · clean build": Budget(120.0, "s", "jupyter-book build from an empty output folder"),
    "site · unchanged rebuild": Budget(10.0, "s", "nothing changed: nothing re-read, nothing executed"),
    # Grading a class (issue 23): 200 chapter-02 hand-ins, each sandboxed, on a 2-core machine.
    "grading · 200 hand-ins of ch02, parallel": Budget(900.0, "s", "a class graded within 15 min"),
    "grading · sandbox overhead per hand-in": Budget(1.0, "s", "bubblewrap's cost for one kernel"),
}


@dataclass
class Figure:
    """One measured quantity: its samples and what the machine was doing meanwhile."""

    name: str
    samples: list[float]
    unit: str = "s"
    load: float = 0.0  # the highest 1-minute load average seen while measuring
    note: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.samples:
            raise ValueError(f"figure {self.name!r} has no samples")

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def budget(self) -> Budget | None:
        return BUDGETS.get(self.name)

    @property
    def within_budget(self) -> bool | None:
        budget = self.budget
        return None if budget is None else self.median <= budget.limit

    def as_dict(self) -> dict:
        budget = self.budget
        return {
            "name": self.name, "unit": self.unit, "median": self.median,
            "min": min(self.samples), "max": max(self.samples), "samples": self.samples,
            "load": self.load, "budget": None if budget is None else budget.limit,
            "within_budget": self.within_budget, "note": self.note, **self.extra,
        }


GROUPS: dict[str, tuple[str, Callable[[int], list[Figure]]]] = {}
GROUP_MODULES = ("widgets", "engine", "site", "grading")


def group(name: str, description: str):
    """Register a benchmark group: a function ``(repeat) -> list[Figure]``."""
    def register(function):
        GROUPS[name] = (description, function)
        return function
    return register


def load_groups() -> dict[str, tuple[str, Callable[[int], list[Figure]]]]:
    """Import every group module (each registers itself); return the registry."""
    for module in GROUP_MODULES:
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{module}":
                raise
    return GROUPS


def load_now() -> float:
    """The machine's 1-minute load average (0 where the system has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


class Stopwatch:
    """Seconds of a block: the smaller of wall-clock and this process's CPU time.

    Wall-clock is what a learner waits; CPU time ignores other jobs on the machine
    (but counts NumPy's extra threads).  ``cpu=False`` keeps wall-clock only, for
    work done in other processes (a site build, a grading run).
    """

    def __init__(self, *, cpu: bool = True):
        self.cpu = cpu
        self.seconds = 0.0
        self.load = 0.0

    def __enter__(self):
        self.load = load_now()
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self._wall
        self.seconds = min(wall, time.process_time() - self._cpu) if self.cpu else wall
        self.load = max(self.load, load_now())
        return False


def measure(name: str, action: Callable[[], object], repeat: int, *, cpu: bool = True,
            note: str = "") -> Figure:
    """Time ``action()`` ``repeat`` times as one figure."""
    samples, load = [], 0.0
    for _ in range(repeat):
        with Stopwatch(cpu=cpu) as watch:
            action()
        samples.append(watch.seconds)
        load = max(load, watch.load)
    return Figure(name, samples, load=load, note=note)
