"""neuronlab.widgets.tuning: the learning-rate finder plot and the tuner-results explorer."""


import numpy as np
import pandas as pd
import pytest

pytest.importorskip("keras")

from neuronlab.callbacks import finder_valley, smooth, suggest_learning_rate  # noqa: E402
from neuronlab.widgets.tuning import (DIVISORS, SMOOTHING_MAX, VIEWS, FinderState,  # noqa: E402
                                      LearningRateFinderPlot, TrialsState, TunerResultsExplorer, axis_positions)

from widget_helpers import SITE_WIDTH, png_size  # noqa: E402


pytestmark = pytest.mark.usefixtures("shown")


def redraws(widget, shown, changes):
    """Make each change; each must redraw exactly once.  Speed: ``python -m neuronlab.tools.bench widgets``."""
    for change in changes:
        count = len(shown)
        widget.set(**change)
        assert len(shown) == count + 1, f"{change} redrew {len(shown) - count} times"


# --------------------------------------------------------------------- a recorded finder sweep
def recorded_sweep(n=300, seed=0):
    """A finder-like record: flat, then falling, lowest near η = 0.03, then blowing up to nan."""
    rng = np.random.default_rng(seed)
    rates = np.geomspace(1e-5, 10, n)
    exponent = np.log10(rates)
    losses = 2.3 - 1.5 / (1 + np.exp(-2 * (exponent + 3))) + np.where(rates > 0.03, (rates / 0.03) ** 2 * 0.2, 0)
    losses = losses + rng.normal(0, 0.05, n)
    losses[-4:] = np.nan
    return rates, losses


@pytest.fixture
def finder_plot():
    return LearningRateFinderPlot(*recorded_sweep())


def test_finder_plot_suggests_what_the_finder_would(finder_plot):
    rates, losses = recorded_sweep()
    state = finder_plot.current_state()
    assert isinstance(state, FinderState)
    assert state.beta == 0.9 and state.divisor == 10 and state.dropped == 4
    assert state.suggestion == pytest.approx(suggest_learning_rate(rates, losses))
    finite = np.isfinite(losses)
    assert np.allclose(state.smoothed, smooth(losses[finite], 0.9))
    assert state.turning_rate == pytest.approx(10 * state.suggestion) and 0.005 < state.best_rate < 0.1
    assert state.valley_low <= state.best_rate <= state.turning_rate
    assert (state.valley_low, state.best_rate, state.turning_rate) == pytest.approx(finder_valley(rates, losses))


def test_every_control_changes_the_state(finder_plot, shown):
    state = finder_plot.set(beta=0.0)
    rates, losses = recorded_sweep()
    assert state.beta == 0.0 and np.allclose(state.smoothed, losses[np.isfinite(losses)])
    assert state.suggestion == pytest.approx(suggest_learning_rate(rates, losses, beta=0.0))
    heavy = finder_plot.set(beta=SMOOTHING_MAX)
    assert heavy.best_rate >= state.best_rate  # a heavily smoothed curve lags: its minimum moves right
    twenty = finder_plot.set(divisor=20)
    assert twenty.divisor == 20 and twenty.suggestion == pytest.approx(twenty.turning_rate / 20)
    assert finder_plot.set(show_raw=False).show_raw is False
    assert len(shown) >= 5  # one picture at the start and one per change


def test_the_figure_shows_raw_and_smoothed_losses_and_both_rates(finder_plot):
    figure = finder_plot.draw(finder_plot.current_state())
    ax = figure.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["batch loss", "smoothed (β = 0.90)"]
    assert any(label.startswith("loss turns up at η = ") for label in labels)
    assert any(label.startswith("suggestion η = ") and "÷ 10" in label for label in labels)
    assert ax.get_xscale() == "log" and ax.get_xlabel().startswith("learning rate") and ax.get_ylabel()
    assert ax.get_title()
    figure = finder_plot.draw(finder_plot.state(show_raw=False))
    assert "batch loss" not in [line.get_label() for line in figure.axes[0].get_lines()]


def test_finder_plot_redraws_once_per_change_and_fits_the_site(finder_plot, shown):
    redraws(finder_plot, shown, [dict(beta=0.5), dict(beta=0.7), dict(divisor=20), dict(show_raw=False)])
    width, _ = png_size(shown[-1])
    assert width <= SITE_WIDTH


def test_finder_plot_offers_a_static_figure_with_a_sentence(finder_plot):
    bundle = finder_plot._repr_mimebundle_()
    assert bundle["image/png"] and "Binder" in bundle["text/plain"] and "Try" in bundle["text/plain"]


@pytest.mark.parametrize("rates, losses, error, match", [
    ([1e-3, 1e-2], [1.0], ValueError, "same length"),
    ([[1e-3, 1e-2]], [[1.0, 0.9]], ValueError, "1-D"),
    ([1e-3], [1.0], ValueError, "at least two"),
    ([0.0, 1e-2, 1e-1], [1.0, 0.9, 0.8], ValueError, "> 0"),
    ([1e-2, 1e-3, 1e-1], [1.0, 0.9, 0.8], ValueError, "increase"),
    ([1e-3, 1e-2, 1e-1], [1.0, np.nan, np.inf], ValueError, "at least two finite"),
    (["a", "b"], [1.0, 2.0], TypeError, "arrays of numbers"),
])
def test_finder_plot_rejects_bad_records(rates, losses, error, match):
    with pytest.raises(error, match=match):
        LearningRateFinderPlot(rates, losses)


def test_finder_plot_rejects_bad_settings():
    rates, losses = recorded_sweep()
    with pytest.raises(ValueError, match="beta must be a number in"):
        LearningRateFinderPlot(rates, losses, beta=0.99)
    with pytest.raises(ValueError, match="divisor must be one of"):
        LearningRateFinderPlot(rates, losses, divisor=7)
    plot = LearningRateFinderPlot(rates, losses, beta=0.5, divisor=3)
    assert plot.current_state().beta == 0.5 and plot.current_state().divisor == 3
    with pytest.raises(ValueError, match="beta"):
        plot.state(beta=-0.1)
    assert set(DIVISORS) >= {1, 10}


# --------------------------------------------------------------------- the tuner's results
def trials_table(n=12, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "n_hidden": rng.integers(1, 4, n),
        "n_neurons": rng.integers(100, 400, n),
        "learning_rate": 10 ** rng.uniform(-4, -2, n),
        "optimizer": rng.choice(["sgd", "adam"], n),
        "score": rng.uniform(0.6, 0.86, n),
        "best_epoch": 3,
        "status": "COMPLETED",
    }, index=pd.Index([str(i) for i in range(n)], name="trial"))
    return frame


@pytest.fixture
def explorer():
    return TunerResultsExplorer(trials_table())


def test_explorer_starts_on_the_best_trial_in_parallel_coordinates(explorer):
    table = trials_table()
    state = explorer.current_state()
    assert isinstance(state, TrialsState)
    assert state.view == "parallel coordinates" and state.rank == 1 and state.n_trials == len(table)
    assert state.trial == table["score"].idxmax() and state.score == pytest.approx(table["score"].max())
    assert state.hyperparameters == {k: table.loc[state.trial, k].item() for k in
                                     ("n_hidden", "n_neurons", "learning_rate")} | {
        "optimizer": table.loc[state.trial, "optimizer"]}
    assert state.x == "learning_rate" and state.y == "score"


def test_every_explorer_control_changes_the_state(explorer, shown):
    table = trials_table()
    worst = table["score"].idxmin()
    state = explorer.set(view="points", x="optimizer", y="n_hidden", trial=worst)
    assert (state.view, state.x, state.y, state.trial) == ("points", "optimizer", "n_hidden", worst)
    assert state.rank == len(table) and state.hyperparameters["optimizer"] == table.loc[worst, "optimizer"]
    assert explorer.set(view="parallel coordinates").view == "parallel coordinates"
    assert len(shown) >= 3
    with pytest.raises(ValueError, match="view must be one of"):
        explorer.state(view="table")
    with pytest.raises(ValueError, match="x must be one of"):
        explorer.state(x="score")
    with pytest.raises(ValueError, match="y must be 'score' or one of"):
        explorer.state(y="momentum")
    with pytest.raises(ValueError, match="trial must be one of the trial ids"):
        explorer.state(trial="99")


def test_the_trial_menu_lists_trials_best_first(explorer):
    options = explorer.controls["trial"].options
    scores = [float(label.rsplit("· ", 1)[1]) for label, _ in options]
    assert scores == sorted(scores, reverse=True) and options[0][0].startswith("#1 · trial ")
    assert VIEWS == tuple(explorer.controls["view"].options)


def test_both_views_draw_every_trial_coloured_by_score_and_mark_the_pick(explorer):
    table = trials_table()
    figure = explorer.draw(explorer.state(view="parallel coordinates"))
    main, panel = figure.axes[0], figure.axes[-1]  # the plot, its colour bar, the text panel
    lines = [line for line in main.get_lines() if len(line.get_xdata()) == 5]  # 4 hyperparameters + score
    assert len(lines) == len(table) + 1  # one per trial, and the picked one drawn again on top
    assert any(text.get_text().startswith("trial ") for text in panel.texts)
    assert [t.get_text().split(" (")[0] for t in main.get_xticklabels()] == [
        "n_hidden", "n_neurons", "learning_rate", "optimizer", "score"]
    assert "(log)" in main.get_xticklabels()[2].get_text()
    points = explorer.draw(explorer.state(view="points", x="learning_rate", y="score"))
    ax = points.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "learning_rate" and ax.get_ylabel() == "score"
    assert len(ax.collections[0].get_offsets()) == len(table)
    assert any(label.startswith("score") for label in (a.get_ylabel() for a in points.axes))  # the colour bar


def test_explorer_redraws_once_per_change_and_fits_the_site(explorer, shown):
    redraws(explorer, shown, [dict(view="points"), dict(x="n_neurons", y="learning_rate"), dict(trial="3"),
                              dict(x="optimizer"), dict(view="parallel coordinates"), dict(trial="5"),
                              dict(trial="7")])
    assert png_size(shown[-1])[0] <= SITE_WIDTH


def test_explorer_reads_concatenated_searches_and_skips_unscored_trials():
    first, second = trials_table(5, seed=1), trials_table(4, seed=2)
    second.loc["0", "score"] = np.nan
    table = pd.concat([first.assign(tuner="random").rename(index=lambda t: f"random/{t}"),
                       second.assign(tuner="bayes", epochs=3).rename(index=lambda t: f"bayes/{t}")])
    explorer = TunerResultsExplorer(table, hyperparameters=["learning_rate", "tuner", "epochs"])
    assert explorer.current_state().n_trials == 8 and "bayes/0" not in explorer.trials.index
    explorer.set(view="points", x="tuner", y="epochs")  # a categorical axis and one with missing values
    explorer.draw(explorer.state(view="parallel coordinates"))


def test_explorer_follows_a_minimised_objective():
    table = trials_table()
    table.attrs["direction"] = "min"
    explorer = TunerResultsExplorer(table)
    assert explorer.current_state().trial == table["score"].idxmin()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(trials=[1, 2]), TypeError, "pandas DataFrame"),
    (dict(trials=pd.DataFrame({"units": [1]})), ValueError, "numeric 'score'"),
    (dict(trials=trials_table().assign(score=np.nan)), ValueError, "no scored trial"),
    (dict(trials=trials_table(), hyperparameters=["momentum"]), ValueError, "hyperparameters must name columns"),
    (dict(trials=trials_table(), hyperparameters="learning_rate"), TypeError, "list of column names"),
    (dict(trials=trials_table(), higher_is_better="yes"), TypeError, "higher_is_better"),
    (dict(trials=pd.concat([trials_table(2), trials_table(2)])), ValueError, "one row per trial id"),
])
def test_explorer_rejects_bad_tables(kwargs, error, match):
    with pytest.raises(error, match=match):
        TunerResultsExplorer(**kwargs)


def test_axis_positions_spread_numbers_logs_and_categories():
    positions, ticks, log = axis_positions(pd.Series([1e-4, 1e-3, 1e-2]))
    assert log and np.allclose(positions, [0, 0.5, 1]) and ticks[0][1] == "0.0001"
    positions, _, log = axis_positions(pd.Series([1, 2, 3]))
    assert not log and np.allclose(positions, [0, 0.5, 1])
    positions, ticks, _ = axis_positions(pd.Series(["sgd", "adam", "sgd"]))
    assert np.allclose(positions, [1, 0, 1]) and [t for _, t in ticks] == ["adam", "sgd"]
    positions, ticks, _ = axis_positions(pd.Series([True, False]))
    assert [t for _, t in ticks] == ["False", "True"]
    positions, _, _ = axis_positions(pd.Series([5.0, 5.0]))
    assert np.allclose(positions, 0.5)
    positions, _, _ = axis_positions(pd.Series([1.0, np.nan, 3.0]))
    assert np.isnan(positions[1])
