"""neuronlab.widgets.optimizers: chapter 07's optimizer race and schedule plotter."""

import inspect
import re

import numpy as np
import pytest

from neuronlab import schedules
from neuronlab.optimizers import OPTIMIZERS, SURFACES, surface
from neuronlab.widgets.optimizers import (ADAPTIVE, ADAPTIVE_RATES, DEFAULT_RACERS, DEFAULT_RATES, MAX_STEPS, RACERS,
                                          SCHEDULES, SGD_FAMILY, SGD_RATES, OptimizerRace, SchedulePlotter,
                                          example_validation_losses, race_path, race_state, schedule_rates,
                                          schedule_state)

from widget_helpers import SITE_WIDTH, png_size, texts


pytestmark = pytest.mark.usefixtures("shown")


# --- the race's state ---------------------------------------------------------------------------------------

def test_every_racer_is_a_from_scratch_optimizer_in_one_family():
    assert set(RACERS) == set(OPTIMIZERS) and set(SGD_FAMILY) | set(ADAPTIVE) == set(RACERS)
    assert not set(SGD_FAMILY) & set(ADAPTIVE)
    for name, (sgd, adaptive) in DEFAULT_RATES.items():
        assert name in SURFACES and sgd in SGD_RATES and adaptive in ADAPTIVE_RATES


def test_race_paths_are_the_optimizers_own_minimize():
    chosen = surface("rosenbrock")
    expected = OPTIMIZERS["Nadam"](learning_rate=0.1).minimize(chosen.gradient, chosen.start, MAX_STEPS, limit=1e3)
    path = race_path("rosenbrock", "Nadam", 0.1)
    assert np.array_equal(path, expected) and not path.flags.writeable
    assert race_path("rosenbrock", "Nadam", 0.1) is path  # cached


def test_race_state_gives_each_family_its_learning_rate_and_cuts_paths_at_steps():
    state = race_state("bowl", ("Adam", "SGD", "momentum"), sgd_rate=0.02, adaptive_rate=0.1, steps=40)
    assert [r.name for r in state.racers] == ["SGD", "momentum", "Adam"]  # the fixed order of RACERS
    rates = {r.name: r.learning_rate for r in state.racers}
    assert rates == {"SGD": 0.02, "momentum": 0.02, "Adam": 0.1}
    for racer in state.racers:
        assert racer.path.shape == (41, 2) and racer.losses.shape == (41,) and not racer.diverged
        assert racer.path[0].tolist() == list(surface("bowl").start)
        np.testing.assert_allclose(racer.losses, surface("bowl").values(racer.path))
    assert state.leader == min(state.racers, key=lambda r: r.final_loss).name


def test_a_diverging_racer_is_flagged_and_left_out_of_the_lead():
    state = race_state("rosenbrock", ("SGD", "Adam"), sgd_rate=0.01, adaptive_rate=0.1, steps=MAX_STEPS)
    sgd, adam = state.racers
    assert sgd.diverged and len(sgd.path) < MAX_STEPS + 1 and not adam.diverged
    assert state.leader == "Adam"


def test_momentum_beats_sgd_on_the_bowl_and_adaptive_methods_escape_the_saddle_first():
    bowl = race_state("bowl", ("SGD", "momentum"), 0.01, 0.3, MAX_STEPS)
    assert bowl.racers[1].final_loss < bowl.racers[0].final_loss
    saddle = race_state("saddle", ("SGD", "momentum", "RMSProp", "Adam"), 0.03, 0.03, 100)
    losses = {r.name: r.final_loss for r in saddle.racers}
    assert losses["SGD"] > 0.2 and max(losses["momentum"], losses["RMSProp"], losses["Adam"]) < 0.1


def test_saddle_sgd_hesitates_at_the_ridge():
    state = race_state("saddle", ("SGD",), 0.03, 0.03, 60)
    assert abs(state.racers[0].path[-1][1]) < 0.1  # still near y = 0 after 60 steps


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"surface": "beale"}, "unknown surface 'beale': choose one of ['bowl', 'rosenbrock', 'saddle']"),
    ({"optimizers": ("Adam", "Adadelta")}, "each optimizer must be one of " + str(list(RACERS)) + ", got 'Adadelta'"),
    ({"sgd_rate": 0}, "sgd_rate must be a number > 0, got 0"),
    ({"adaptive_rate": -1.0}, "adaptive_rate must be a number > 0, got -1.0"),
    ({"adaptive_rate": "0.1"}, "adaptive_rate must be a number > 0, got '0.1'"),
    ({"steps": MAX_STEPS + 1}, f"steps must be an integer from 0 to {MAX_STEPS}, got {MAX_STEPS + 1}"),
    ({"steps": 2.0}, f"steps must be an integer from 0 to {MAX_STEPS}, got 2.0"),
])
def test_race_state_rejects_bad_arguments_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        race_state(**kwargs)


def test_race_accepts_a_single_optimizer_name_and_none_at_all():
    assert [r.name for r in race_state(optimizers="Nadam").racers] == ["Nadam"]
    state = race_state(optimizers=())
    assert state.racers == () and state.leader is None


# --- the race widget --------------------------------------------------------------------------------------

def test_race_controls_match_the_state_and_its_defaults():
    race = OptimizerRace()
    parameters = inspect.signature(race_state).parameters
    assert list(race.controls) == list(parameters)
    assert race.values() == {name: p.default for name, p in parameters.items()}
    assert (race.values()["sgd_rate"], race.values()["adaptive_rate"]) == DEFAULT_RATES["bowl"]
    assert tuple(race.controls["optimizers"].options) == RACERS


def test_each_race_control_drives_the_state(shown):
    race = OptimizerRace()
    state = race.set(optimizers=("Nesterov", "AdamW"))
    assert [r.name for r in state.racers] == ["Nesterov", "AdamW"]
    state = race.set(sgd_rate=0.02)
    assert state.racers[0].learning_rate == 0.02 and state.racers[1].learning_rate == DEFAULT_RATES["bowl"][1]
    state = race.set(adaptive_rate=0.1)
    assert state.racers[1].learning_rate == 0.1
    state = race.set(steps=120)
    assert state.steps == 120 and len(state.racers[0].path) == 121
    assert len(shown) == 5


def test_choosing_a_surface_resets_the_learning_rates_to_its_defaults_in_one_redraw(shown):
    race = OptimizerRace()
    race.set(sgd_rate=0.3)
    before = len(shown)
    state = race.set(surface="rosenbrock")
    assert len(shown) == before + 1
    assert state.surface == "rosenbrock" and (state.sgd_rate, state.adaptive_rate) == DEFAULT_RATES["rosenbrock"]
    state = race.set(surface="saddle", adaptive_rate=0.1)  # a rate given with the surface wins
    assert (state.sgd_rate, state.adaptive_rate) == (DEFAULT_RATES["saddle"][0], 0.1)
    state = race.set(sgd_rate=0.003, surface="rosenbrock")  # in any order: the hint "raise SGD's η to 0.003"
    assert (state.surface, state.sgd_rate, state.adaptive_rate) == ("rosenbrock", 0.003, DEFAULT_RATES["rosenbrock"][1])


def test_race_redraws_once_per_change(shown):
    """Speed: ``python -m neuronlab.tools.bench widgets`` ("redraw · optimizer race")."""
    race = OptimizerRace()
    race_path.cache_clear()
    for count, (name, value) in enumerate(
            [("surface", "rosenbrock"), ("optimizers", RACERS), ("sgd_rate", 0.001),
             ("adaptive_rate", 0.3), ("steps", 250), ("surface", "saddle"), ("surface", "bowl")], start=2):
        before = shown[-1]
        race.set(**{name: value})
        assert len(shown) == count and shown[-1] != before, f"{name}={value!r}"


def test_race_figure_fits_the_page_is_legible_and_labels_every_racer():
    race = OptimizerRace()
    state = race.set(optimizers=("SGD", "Adam"), surface="rosenbrock", sgd_rate=0.01)
    figure = race.draw(state)
    assert figure.get_size_inches()[0] * 100 <= SITE_WIDTH
    assert all(t.get_fontsize() >= 7 for t in texts(figure))
    surface_ax, loss_ax = figure.axes
    labels = [t.get_text() for t in surface_ax.get_legend().get_texts()]
    assert labels == ["SGD (η=0.01) ✗", "Adam (η=0.1)"]
    assert loss_ax.get_yscale() == "log" and loss_ax.get_xlim() == (0, MAX_STEPS)
    assert figure._suptitle.get_text() == f"rosenbrock after {MAX_STEPS} steps · lowest now: Adam"
    assert png_size(race.png())[0] <= SITE_WIDTH


def test_race_static_figure_shows_the_three_surfaces_with_their_default_rates():
    figure = OptimizerRace().static_figure()
    assert figure.get_size_inches()[0] <= 7.0
    titles = [ax.get_title() for ax in figure.axes[:3]]
    assert titles == [f"{name}, η {sgd:g} / {adaptive:g}" for name, (sgd, adaptive) in DEFAULT_RATES.items()]
    assert all(t.get_fontsize() >= 8 for t in texts(figure))
    assert [t.get_text() for t in figure.legends[0].get_texts()] == list(DEFAULT_RACERS)


# --- the schedule plotter --------------------------------------------------------------------------------

def test_schedule_rates_use_the_formulas_of_neuronlab_schedules():
    t = np.linspace(0, 40, 801)
    rates = schedule_rates(t, 40, 0.01, 8)
    assert list(rates) == list(SCHEDULES)
    np.testing.assert_allclose(rates["power"], schedules.power(t, 0.01, 8))
    np.testing.assert_allclose(rates["exponential"], schedules.exponential(t, 0.01, 8))
    np.testing.assert_allclose(rates["piecewise constant"],
                               schedules.piecewise_constant(t, [8, 16], [0.01, 0.001, 0.0001]))
    np.testing.assert_allclose(rates["1cycle"], schedules.one_cycle(t * 100, 4001, 0.01))
    per_epoch = schedules.plateau(example_validation_losses()[:40], 0.01, factor=0.5, patience=8)
    np.testing.assert_allclose(rates["performance"][::20][:40], per_epoch)
    assert np.all(rates["constant"] == 0.01)


def test_performance_scheduling_cuts_the_rate_sooner_with_less_patience():
    impatient = schedule_state("performance", 0.01, s=2, epochs=60).rates["performance"]
    patient = schedule_state("performance", 0.01, s=20, epochs=60).rates["performance"]
    assert impatient[-1] < patient[-1] <= 0.01


def test_the_plotter_controls_drive_the_state(shown):
    plotter = SchedulePlotter()
    parameters = inspect.signature(schedule_state).parameters
    assert list(plotter.controls) == list(parameters)
    assert plotter.values() == {name: p.default for name, p in parameters.items()}
    state = plotter.set(schedule="1cycle")
    assert state.schedule == "1cycle" and state.formula.startswith("η₀/10 → η₀")
    state = plotter.set(initial_rate=0.1)
    assert state.rates["constant"][0] == 0.1 and max(state.rates["1cycle"]) == pytest.approx(0.1, rel=1e-3)
    state = plotter.set(s=5)
    assert state.rates["exponential"][100] == pytest.approx(0.1 * 0.1)  # t = 5 epochs (20 points an epoch)
    state = plotter.set(epochs=80)
    assert state.t[-1] == 80 and state.losses.shape == (80,)
    assert len(shown) == 5


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"schedule": "cosine"}, f"schedule must be one of {list(SCHEDULES)}, got 'cosine'"),
    ({"initial_rate": 0}, "initial_rate must be a number > 0, got 0"),
    ({"s": 0}, "s must be an integer from 1 to 50, got 0"),
    ({"s": 5.5}, "s must be an integer from 1 to 50, got 5.5"),
    ({"epochs": 5}, "epochs must be an integer from 10 to 100, got 5"),
])
def test_schedule_state_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        schedule_state(**kwargs)


def test_plotter_redraws_once_per_change_and_fits_the_page(shown):
    plotter = SchedulePlotter()
    for count, (name, value) in enumerate(
            [("schedule", "performance"), ("initial_rate", 0.3), ("s", 3), ("epochs", 100), ("schedule", "power")],
            start=2):
        plotter.set(**{name: value})
        assert len(shown) == count, f"{name}={value!r}"
    figure = plotter.draw(plotter.set(schedule="performance"))
    assert figure.get_size_inches()[0] * 100 <= SITE_WIDTH
    assert all(t.get_fontsize() >= 7 for t in texts(figure))
    linear, logarithmic, twin = figure.axes
    assert logarithmic.get_yscale() == "log" and twin.get_ylabel() == "made-up validation loss"
    assert [t.get_text() for t in logarithmic.get_legend().get_texts()] == list(SCHEDULES)


def test_mimebundles_carry_a_static_png_and_a_sentence_on_what_to_try():
    for widget in (OptimizerRace(), SchedulePlotter()):
        bundle = widget._repr_mimebundle_()
        assert png_size(bundle["image/png"])[0] <= SITE_WIDTH
        assert "Binder" in bundle["text/plain"] and widget.try_this in bundle["text/plain"]
