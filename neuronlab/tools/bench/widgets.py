"""Benchmark group ``widgets``: seconds from a control change to the new picture.

Each scenario builds the widget as a chapter does (on small stand-in data where a
chapter passes its own results) and makes the control changes a learner would,
``repeat`` times over; every change is one sample.  A widget's behaviour — one
redraw per change, a new picture each time — is tested in ``tests/unit``; here
only its speed is measured.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np

from neuronlab.tools.bench import Figure, Stopwatch, group


@contextlib.contextmanager
def _no_live_view():
    """Outside a kernel the live view would print its image's repr: draw it, show nothing."""
    from neuronlab.widgets import base

    real = base.display, base.clear_output
    base.display = base.clear_output = lambda *args, **kwargs: None
    try:
        yield
    finally:
        base.display, base.clear_output = real


def _redraws(name: str, build: Callable[[], object], changes: list[dict], repeat: int,
             before: Callable[[], None] | None = None) -> Figure:
    """Build the widget ``repeat`` times, time each change; one figure of all changes."""
    import matplotlib.pyplot as plt

    samples, load = [], 0.0
    for _ in range(repeat):
        if before is not None:
            before()
        widget = build()
        for change in changes:
            with Stopwatch() as watch:
                widget.set(**change)
            samples.append(watch.seconds)
            load = max(load, watch.load)
        plt.close("all")
    return Figure(name, samples, load=load, note=f"{len(changes)} changes per build")


def _mc_passes():
    """Made-up Monte Carlo passes: 40 passes over 6 images of 10 classes."""
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(40, 6, 10)) + (np.eye(10)[:6] * np.arange(6)[:, None] * 2)[None]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    return rng.random((6, 28, 28)), np.array([0, 1, 2, 3, 4, 6]), probabilities


def _trials_table(n: int = 12):
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "n_hidden": rng.integers(1, 4, n), "n_neurons": rng.integers(100, 400, n),
        "learning_rate": 10 ** rng.uniform(-4, -2, n), "optimizer": rng.choice(["sgd", "adam"], n),
        "score": rng.uniform(0.6, 0.86, n), "best_epoch": 3, "status": "COMPLETED",
    }, index=pd.Index([str(i) for i in range(n)], name="trial"))


def _finder_sweep(n: int = 300):
    rng = np.random.default_rng(0)
    rates = np.geomspace(1e-5, 10, n)
    exponent = np.log10(rates)
    losses = (2.3 - 1.5 / (1 + np.exp(-2 * (exponent + 3)))
              + np.where(rates > 0.03, (rates / 0.03) ** 2 * 0.2, 0) + rng.normal(0, 0.05, n))
    losses[-4:] = np.nan
    return rates, losses


def _prediction_data():
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(10), size=60)
    return rng.random((60, 28, 28)), rng.integers(0, 10, 60), probabilities


@group("widgets", "each widget's redraw after a control change")
def widgets(repeat: int) -> list[Figure]:
    from neuronlab.data import FASHION_MNIST_CLASSES
    from neuronlab.widgets import backprop, deep_explorer, dropout, keras_training, logic_gates
    from neuronlab.widgets import optimizers, perceptron_stepper, playground, tuning

    classes = list(FASHION_MNIST_CLASSES)
    figures = []
    with _no_live_view():
        figures.append(_redraws("redraw · gate builder", logic_gates.GateBuilder, [
            dict(threshold=1), dict(A="inhibitory"), dict(C="excitatory"), dict(always_on=1)], repeat))
        figures.append(_redraws("redraw · perceptron stepper", perceptron_stepper.PerceptronStepper, [
            dict(dataset="XOR"), dict(step=3), dict(mode="one epoch"), dict(start="random weights"),
            dict(mode="one sample"), dict(eta=0.1)], repeat))
        figures.append(_redraws("redraw · backprop stepper", backprop.BackpropStepper, [
            dict(step=1), dict(step=9), dict(x1=-2.0), dict(w1=2.0), dict(b=0.7), dict(y=0.0)], repeat))
        figures.extend(_playground(playground, repeat))
        figures.append(_redraws(
            "redraw · prediction browser",
            lambda: keras_training.PredictionBrowser(*_prediction_data(), classes),
            [dict(position=3), dict(show="mistakes"), dict(order=keras_training.ORDERS[1]),
             dict(show="all", order=keras_training.ORDERS[0], position=1)], repeat))
        figures.append(_redraws(
            "redraw · learning-rate finder", lambda: tuning.LearningRateFinderPlot(*_finder_sweep()),
            [dict(beta=0.7), dict(divisor=20), dict(show_raw=False), dict(beta=0.5)], repeat))
        figures.append(_redraws(
            "redraw · tuner results", lambda: tuning.TunerResultsExplorer(_trials_table()),
            [dict(view="points"), dict(x="n_neurons", y="learning_rate"), dict(trial="3"),
             dict(view="parallel coordinates"), dict(trial="5")], repeat))
        figures.append(_redraws("redraw · deep explorer", deep_explorer.DeepExplorer, [
            dict(depth=100), dict(activation="gelu"), dict(initializer="He"), dict(depth=50),
            dict(activation="sigmoid")], repeat))
        figures.append(_redraws(
            "redraw · optimizer race", optimizers.OptimizerRace,
            [dict(surface="rosenbrock"), dict(optimizers=optimizers.RACERS), dict(sgd_rate=0.001),
             dict(adaptive_rate=0.3), dict(steps=250), dict(surface="saddle")],
            repeat, before=optimizers.race_path.cache_clear))
        figures.append(_redraws("redraw · schedule plotter", optimizers.SchedulePlotter, [
            dict(schedule="performance"), dict(initial_rate=0.3), dict(s=3), dict(epochs=100),
            dict(schedule="power")], repeat))
        figures.append(_redraws("redraw · dropout masks", dropout.DropoutMasks, [
            dict(rate=0.7), dict(step=20), dict(mode="inference"), dict(mode="training")], repeat))
        figures.append(_redraws(
            "redraw · MC dropout explorer",
            lambda: dropout.MCDropoutExplorer(*_mc_passes(), FASHION_MNIST_CLASSES),
            [dict(index=2), dict(passes=5), dict(index=5)], repeat))
    return figures


def _playground(playground, repeat: int) -> list[Figure]:
    """Cold changes train a run on demand (the cache is emptied first); warm ones only draw."""
    import matplotlib.pyplot as plt

    cold = [dict(epoch=playground.MAX_EPOCHS), dict(dataset="spiral"), dict(hidden_layers=3),
            dict(units=16), dict(activation="relu"), dict(learning_rate=0.3)]
    warm = [dict(epoch=250), dict(learning_rate=0.1), dict(activation="tanh"),
            dict(epoch=playground.MAX_EPOCHS), dict(units=8)]
    samples = {"cold": [], "warm": []}
    load = 0.0
    for _ in range(repeat):
        playground.training_run.cache_clear()
        widget = playground.MLPPlayground()
        for kind, changes in (("cold", cold), ("warm", warm)):
            for change in changes:
                with Stopwatch() as watch:
                    widget.set(**change)
                samples[kind].append(watch.seconds)
                load = max(load, watch.load)
        plt.close("all")
    return [Figure(f"redraw · MLP playground ({kind})", values, load=load)
            for kind, values in samples.items()]
