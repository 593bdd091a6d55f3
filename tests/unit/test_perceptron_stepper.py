"""neuronlab.widgets.perceptron_stepper: chapter 02's stepper, and the static-figure hook of Explorable."""

import inspect
import itertools
import re

import ipywidgets as widgets
import matplotlib
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
import numpy as np
import pytest

from neuronlab import plots
from neuronlab.config import SEED
from neuronlab.perceptron import Perceptron, xor_data
from neuronlab.widgets import Explorable
from neuronlab.widgets.perceptron_stepper import (DATASETS, FIGURE_WIDTH, MAX_EPOCHS, MODES, RING, STARTS,
                                                  PerceptronStepper, Run, StepperState, _arrow, dataset,
                                                  draw_step, stepper_state, training_run)

from widget_helpers import SITE_WIDTH, WIDGET_VIEW, png_size

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def stepper():
    return PerceptronStepper()


def augmented(x):
    return np.append(x, 1.0)


def target(run, i):
    return 1.0 if run.y[i] == 1 else -1.0


# --- the data -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DATASETS)
def test_dataset_is_two_features_and_zero_one_labels(name):
    X, y, axis_labels = dataset(name)
    assert X.ndim == 2 and X.shape[1] == 2 and y.shape == (len(X),)
    assert set(np.unique(y).tolist()) == {0, 1}
    assert len(axis_labels) == 2 and all(isinstance(label, str) and label for label in axis_labels)


def test_dataset_xor_is_the_xor_points_and_unknown_names_raise():
    X, y, _ = dataset("XOR")
    assert np.array_equal(X, xor_data()[0]) and np.array_equal(y, xor_data()[1])
    with pytest.raises(ValueError, match=re.escape("dataset must be one of ['separable blobs', 'iris: setosa or not', "
                                                   "'XOR'], got 'moons'")):
        dataset("moons")


# --- training_run: every step, precomputed --------------------------------------------------------

RUNS = list(itertools.product(DATASETS, STARTS))


@pytest.mark.parametrize(("name", "start"), RUNS)
def test_training_run_records_every_step(name, start):
    run = training_run(name, 1.0, start)
    assert isinstance(run, Run)
    n, steps = len(run.X), len(run.samples)
    assert run.weights.shape == (steps + 1, 3)
    assert run.mistakes.shape == (steps,) and run.mistakes.dtype == bool
    # Epoch by epoch, every sample once, in a shuffled order.
    assert run.epoch_ends == tuple(range(n, steps + 1, n))
    for end in run.epoch_ends:
        assert sorted(run.samples[end - n:end].tolist()) == list(range(n))
    in_stored_order = [np.array_equal(run.samples[end - n:end], np.arange(n)) for end in run.epoch_ends]
    assert not all(in_stored_order)  # shuffled


@pytest.mark.parametrize(("name", "start"), [run for run in RUNS if run[0] != "XOR"])
def test_training_run_converges_on_blobs_and_iris(name, start):
    run = training_run(name, 1.0, start)
    assert run.converged_at is not None
    assert run.converged_at == len(run.samples) == run.epoch_ends[-1]
    assert len(run.epoch_ends) < MAX_EPOCHS
    n = len(run.X)
    assert not run.mistakes[-n:].any()  # the last epoch: no mistake
    assert all(run.mistakes[end - n:end].any() for end in run.epoch_ends[:-1])  # every earlier one: some
    w = run.weights[-1]
    t = np.where(run.y == 1, 1.0, -1.0)
    assert np.all(t * (run.X @ w[:2] + w[2]) > 0)


@pytest.mark.parametrize("start", STARTS)
def test_training_run_never_converges_on_xor(start):
    run = training_run("XOR", 1.0, start)
    assert run.converged_at is None
    assert len(run.epoch_ends) == MAX_EPOCHS and len(run.samples) == 4 * MAX_EPOCHS
    assert all(run.mistakes[end - 4:end].any() for end in run.epoch_ends)  # every epoch: at least one mistake


@pytest.mark.parametrize("eta", [1.0, 0.1, 3.0])
@pytest.mark.parametrize(("name", "start"), RUNS)
def test_training_run_weights_replay_the_learning_rule(name, start, eta):
    run = training_run(name, eta, start)
    for k in range(1, len(run.weights)):
        i = run.samples[k - 1]
        x, t = augmented(run.X[i]), target(run, i)
        before, after = run.weights[k - 1], run.weights[k]
        wrong = t * (before @ x) <= 0  # on the boundary counts as wrong
        assert run.mistakes[k - 1] == wrong, k
        if wrong:
            assert np.allclose(after - before, eta * t * x, rtol=1e-12, atol=1e-12), k
        else:
            assert np.array_equal(after, before), k


def test_training_run_starts_from_zero_or_seeded_random_weights():
    assert np.array_equal(training_run("XOR", 1.0, "zero weights").weights[0], np.zeros(3))
    expected = np.random.default_rng(SEED).normal(0, 1, size=3)
    for name in DATASETS:
        assert np.array_equal(training_run(name, 1.0, "random weights").weights[0], expected)


def test_training_run_from_zero_eta_only_rescales_the_weights():
    one, tenth = training_run("separable blobs", 1.0, "zero weights"), training_run("separable blobs", 0.1,
                                                                                     "zero weights")
    assert np.array_equal(one.samples, tenth.samples) and np.array_equal(one.mistakes, tenth.mistakes)
    assert np.allclose(tenth.weights, 0.1 * one.weights)


def test_training_run_agrees_with_one_epoch_of_perceptron_fit_in_the_same_order():
    run = training_run("iris: setosa or not", 1.0, "zero weights")
    n = len(run.X)
    order = run.samples[:n]
    model = Perceptron(shuffle=False, max_iter=1).fit(run.X[order], run.y[order])
    assert np.allclose(run.weights[n], np.append(model.coef_[0], model.intercept_))
    assert int(run.mistakes[:n].sum()) == model.mistakes_per_epoch_[0]


def test_training_run_is_cached_and_reproducible():
    assert training_run("XOR", 1.0, "zero weights") is training_run("XOR", 1.0, "zero weights")
    cached = training_run("separable blobs", 1.0, "random weights")
    fresh = training_run.__wrapped__("separable blobs", 1.0, "random weights")  # recomputed, not from the cache
    assert fresh is not cached
    for field in ("X", "y", "weights", "samples", "mistakes"):
        assert np.array_equal(getattr(fresh, field), getattr(cached, field))
    assert (fresh.epoch_ends, fresh.converged_at) == (cached.epoch_ends, cached.converged_at)


@pytest.mark.parametrize(("args", "error", "message"), [
    (("moons", 1.0, "zero weights"), ValueError, "dataset must be one of"),
    (("XOR", 1.0, "ones"), ValueError, "start must be one of ['zero weights', 'random weights'], got 'ones'"),
    (("XOR", 0.0, "zero weights"), ValueError, "eta0 must be > 0"),
    (("XOR", -1.0, "zero weights"), ValueError, "eta0 must be > 0"),
])
def test_training_run_rejects_bad_arguments(args, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        training_run(*args)


# --- stepper_state: what the stepper shows --------------------------------------------------------

def test_stepper_state_at_step_zero_is_the_start():
    state = stepper_state()
    run = training_run("separable blobs", 1.0, "zero weights")
    assert isinstance(state, StepperState) and state.run is run
    assert state.step == 0 and state.epoch == 0 and state.mistakes_so_far == 0
    assert np.array_equal(state.weights, np.zeros(3)) and np.array_equal(state.previous, np.zeros(3))
    assert state.presented is None and state.mistake is False and len(state.highlighted) == 0
    assert state.message == "start: no sample seen yet"
    assert state.accuracy == pytest.approx(np.mean(run.y == 1))  # z = 0 everywhere: Heaviside says 1
    random = stepper_state(start="random weights")
    assert np.array_equal(random.weights, np.random.default_rng(SEED).normal(0, 1, size=3))


@pytest.mark.parametrize("name", DATASETS)
def test_stepper_state_one_sample_mode_shows_step_k(name):
    run = training_run(name, 1.0, "zero weights")
    for k in sorted({1, 2, 3, len(run.X), len(run.X) + 1, len(run.samples) // 2, len(run.samples)}):
        state = stepper_state(name, "one sample", k)
        assert state.step == k
        assert np.array_equal(state.weights, run.weights[k]) and np.array_equal(state.previous, run.weights[k - 1])
        assert state.presented == run.samples[k - 1]
        assert state.highlighted.tolist() == [state.presented]
        assert state.mistake == run.mistakes[k - 1]
        assert state.epoch == (k - 1) // len(run.X) + 1
        assert state.mistakes_so_far == int(run.mistakes[:k].sum())
        w = run.weights[k]
        assert state.accuracy == pytest.approx(np.mean((run.X @ w[:2] + w[2] >= 0).astype(int) == run.y))


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("mode", MODES)
def test_stepper_state_beyond_the_end_shows_the_end(name, mode):
    run = training_run(name, 1.0, "zero weights")
    last = len(run.samples) if mode == "one sample" else len(run.epoch_ends)
    end = stepper_state(name, mode, last)
    for step in (last + 1, 10 ** 6):
        beyond = stepper_state(name, mode, step)
        assert beyond.step == end.step == len(run.samples)
        assert np.array_equal(beyond.weights, run.weights[-1]) and beyond.message == end.message
        assert beyond.epoch == len(run.epoch_ends)


@pytest.mark.parametrize("name", DATASETS)
def test_stepper_state_epoch_mode_maps_to_epoch_ends_and_rings_that_epochs_mistakes(name):
    run = training_run(name, 1.0, "zero weights")
    for epoch, end in enumerate(run.epoch_ends, start=1):
        state = stepper_state(name, "one epoch", epoch)
        start = run.epoch_ends[epoch - 2] if epoch > 1 else 0
        assert state.step == end and state.epoch == epoch
        assert np.array_equal(state.weights, run.weights[end]) and np.array_equal(state.previous, run.weights[start])
        expected = sorted(set(run.samples[start:end][run.mistakes[start:end]].tolist()))
        assert state.highlighted.tolist() == expected
        assert state.presented is None and state.mistake is False
        assert state.mistakes_so_far == int(run.mistakes[:end].sum())
        if run.converged_at is None or end < run.converged_at:
            assert state.message == f"{len(expected)} sample(s) caused updates in this epoch"
    assert stepper_state(name, "one epoch", 0).step == 0


@pytest.mark.parametrize("name", ["separable blobs", "iris: setosa or not"])
@pytest.mark.parametrize("start", STARTS)
def test_stepper_state_reaches_full_accuracy_at_convergence(name, start):
    run = training_run(name, 1.0, start)
    state = stepper_state(name, "one sample", run.converged_at, 1.0, start)
    assert state.accuracy == 1.0
    assert state.message == f"converged: a whole epoch without a mistake (after {run.converged_at} samples)"
    assert stepper_state(name, "one epoch", len(run.epoch_ends), 1.0, start).message == state.message
    assert stepper_state(name, "one sample", run.converged_at - 1, 1.0, start).message != state.message


def test_stepper_state_xor_never_reaches_full_accuracy_nor_says_converged():
    run = training_run("XOR", 1.0, "zero weights")
    for k in range(len(run.samples) + 1):
        state = stepper_state("XOR", "one sample", k)
        assert state.accuracy <= 0.75 and "converged" not in state.message


def test_stepper_state_messages_name_the_sample_its_target_and_what_happened():
    run = training_run("separable blobs", 1.0, "zero weights")
    wrong = int(np.flatnonzero(run.mistakes)[0]) + 1
    right = int(np.flatnonzero(~run.mistakes)[0]) + 1
    for k, outcome in ((wrong, "was misclassified → w ← w + η·t·x"), (right, "was right → no change")):
        state = stepper_state(step=k)
        i = run.samples[k - 1]
        sign = "+1" if run.y[i] == 1 else "−1"
        assert state.message == f"sample {i} (t = {sign}) {outcome}"
        assert state.mistake == (k == wrong)
    signs = {stepper_state(step=k).message.split("t = ")[1][:2] for k in range(1, 31)}
    assert signs == {"+1", "−1"}


def test_stepper_state_eta_and_start_pick_the_run():
    assert stepper_state(eta=0.1).run is training_run("separable blobs", 0.1, "zero weights")
    assert stepper_state(eta=1).run is stepper_state(eta=1.0).run
    assert stepper_state(start="random weights", step=3).run is training_run("separable blobs", 1.0, "random weights")
    assert stepper_state(step=np.int64(3)).step == 3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dataset": "moons"}, "dataset must be one of ['separable blobs', 'iris: setosa or not', 'XOR'], got 'moons'"),
    ({"mode": "one batch"}, "mode must be one of ['one sample', 'one epoch'], got 'one batch'"),
    ({"step": -1}, "step must be an integer >= 0, got -1"),
    ({"step": 1.5}, "step must be an integer >= 0, got 1.5"),
    ({"step": True}, "step must be an integer >= 0, got True"),
    ({"step": "3"}, "step must be an integer >= 0, got '3'"),
    ({"eta": 0}, "eta must be a number > 0, got 0"),
    ({"eta": -0.5}, "eta must be a number > 0, got -0.5"),
    ({"eta": float("nan")}, "eta must be a number > 0, got nan"),
    ({"eta": "1"}, "eta must be a number > 0, got '1'"),
    ({"eta": True}, "eta must be a number > 0, got True"),
    ({"start": "ones"}, "start must be one of ['zero weights', 'random weights'], got 'ones'"),
])
def test_stepper_state_rejects_bad_arguments_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        stepper_state(**kwargs)


# --- the widget: every control drives the state ---------------------------------------------------

def test_stepper_has_one_control_per_stepper_state_argument(stepper):
    assert list(stepper.controls) == list(inspect.signature(stepper_state).parameters)
    defaults = {name: p.default for name, p in inspect.signature(stepper_state).parameters.items()}
    assert stepper.values() == defaults
    assert tuple(stepper.controls["dataset"].options) == DATASETS
    assert tuple(stepper.controls["mode"].options) == MODES
    assert tuple(stepper.controls["start"].options) == STARTS
    assert stepper.controls["step"].min == 0
    assert stepper.controls["step"].max == len(training_run(DATASETS[0], 1.0, STARTS[0]).samples)
    state = stepper.current_state()
    assert state.step == 0 and state.run is stepper_state().run


def test_each_control_drives_the_state_it_shows(stepper):
    blobs = training_run("separable blobs", 1.0, "zero weights")
    # step: moves through the precomputed run
    for k in (7, len(blobs.samples)):
        state = stepper.set(step=k)
        assert state.step == k and np.array_equal(state.weights, blobs.weights[k])
        assert state.presented == blobs.samples[k - 1]
    # mode: the step counts epochs
    state = stepper.set(mode="one epoch", step=2)
    assert state.step == blobs.epoch_ends[1] and state.epoch == 2 and state.presented is None
    assert stepper.controls["step"].max == len(blobs.epoch_ends)
    # eta: from zero weights, the same run rescaled
    state = stepper.set(mode="one sample", step=10, eta=0.1)
    assert state.run is training_run("separable blobs", 0.1, "zero weights")
    assert np.allclose(state.weights, 0.1 * blobs.weights[10])
    # start: random weights at step 0
    state = stepper.set(eta=1.0, step=0, start="random weights")
    assert np.array_equal(state.weights, np.random.default_rng(SEED).normal(0, 1, size=3))
    assert stepper.controls["step"].max == len(training_run("separable blobs", 1.0, "random weights").samples)
    # dataset: other data, other run
    state = stepper.set(start="zero weights", dataset="XOR", step=3)
    assert np.array_equal(state.run.X, xor_data()[0]) and state.step == 3
    assert state.run is training_run("XOR", 1.0, "zero weights")
    state = stepper.set(dataset="iris: setosa or not")
    assert len(state.run.X) == 150 and state.run.axis_labels == ("petal length (cm)", "petal width (cm)")
    assert stepper.values() == {"dataset": "iris: setosa or not", "mode": "one sample", "step": 3, "eta": 1.0,
                                "start": "zero weights"}


def expected_max(values):
    run = training_run(values["dataset"], values["eta"], values["start"])
    return len(run.samples) if values["mode"] == "one sample" else len(run.epoch_ends)


def test_each_control_change_updates_the_step_range_and_redraws_once(stepper, shown):
    assert len(shown) == 1  # drawn once when built
    changes = [("dataset", "XOR"), ("step", 3), ("mode", "one epoch"), ("start", "random weights"),
               ("mode", "one sample"), ("eta", 0.1), ("dataset", "iris: setosa or not")]
    for count, (name, value) in enumerate(changes, start=2):
        before = shown[-1]
        stepper.controls[name].value = value  # as a learner's click would
        assert len(shown) == count, f"{name}={value!r} redrew {len(shown) - count + 1} times"
        assert shown[-1] != before, f"{name}={value!r} did not change the picture"
        assert stepper.controls["step"].max == expected_max(stepper.values()), (name, value)
    assert stepper.values() == {"dataset": "iris: setosa or not", "mode": "one sample", "step": 3, "eta": 0.1,
                                "start": "random weights"}
    assert shown[-1] == stepper.png()  # the last redraw shows the controls' state


def test_a_shrinking_range_clamps_the_step_and_still_redraws_once(stepper, shown):
    stepper.controls["step"].value = 150  # the end of the blobs' run
    assert len(shown) == 2
    for count, (name, value, new_max) in enumerate([("dataset", "XOR", 4 * MAX_EPOCHS),
                                                    ("mode", "one epoch", MAX_EPOCHS)], start=3):
        stepper.controls[name].value = value
        assert stepper.controls["step"].max == new_max and stepper.controls["step"].value == new_max
        assert len(shown) == count, f"{name}={value!r} redrew {len(shown) - count + 1} times"
        assert stepper.current_state().step == len(stepper.current_state().run.samples)  # the end
    assert shown[-1] == stepper.png()


def test_set_of_several_controls_redraws_once(stepper, shown):
    state = stepper.set(dataset="XOR", mode="one epoch", step=4, eta=0.1, start="random weights")
    assert len(shown) == 2
    run = training_run("XOR", 0.1, "random weights")
    assert state.run is run and state.step == run.epoch_ends[3]
    assert stepper.controls["step"].max == MAX_EPOCHS
    assert shown[-1] == stepper.png()


def test_the_figure_shows_the_state_in_its_title(stepper):
    state = stepper_state(step=1)
    (ax,) = stepper.draw(state).axes
    title = ax.get_title()
    assert title.startswith("after 1 sample(s), epoch 1: " + state.message)
    assert f"mistakes so far {state.mistakes_so_far}" in title and "training accuracy" in title
    assert ax.get_xlabel() == "x₁" and ax.get_ylabel() == "x₂"
    (legend,) = stepper.draw(state).legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "t = −1 (class 0)", "t = +1 (class 1)", "boundary now", "boundary a sample ago",
        "ringed: mistake, w moved", "ringed: right, no change", "w (towards t = +1)"]


def test_a_long_message_moves_to_its_own_line_of_the_title(stepper):
    state = stepper_state(step=10**6)
    assert state.message.startswith("converged")
    title = stepper.draw(state).axes[0].get_title()
    assert title.startswith(f"after {state.step} sample(s), epoch {state.epoch}:\n{state.message}")
    assert all(len(line) <= 90 for line in title.splitlines())


def test_ring_colours_say_mistake_or_right():
    mistake, right = (stepper_state(step=k) for k in (1, 3))
    assert mistake.mistake and not right.mistake
    for state in (mistake, right):
        ax = Figure().subplots()
        draw_step(state, ax)
        rings = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets()) == 1]
        assert len(rings) == 1
        assert matplotlib.colors.to_hex(rings[0].get_edgecolor()[0]) == RING[state.mistake].lower()


# --- the static figure: small multiples -----------------------------------------------------------

def arrows(figure):
    """Every weight arrow (an annotation with an arrow) of a figure, as (axes, foot, tip)."""
    return [(ax, np.array(a.xyann), np.array(a.xy)) for ax in figure.axes for a in ax.texts
            if a.arrow_patch is not None]


def panels(figure):
    """What a static figure shows: its title and, per panel, the title and the weight vector's arrow."""
    return figure._suptitle.get_text(), [(ax.get_title(), [(a.xy, a.xyann) for a in ax.texts]) for ax in figure.axes]


def test_static_figure_is_small_multiples_of_the_run_for_the_controls(stepper):
    figure = stepper.static_figure()
    blobs = training_run("separable blobs", 1.0, "zero weights")
    assert len(figure.axes) == 5
    assert [ax.get_title() for ax in figure.axes] == [
        "after 0 samples", "after 1 sample", "after 5 samples", "after 20 samples",
        f"after {blobs.converged_at} samples (converged)"]
    assert "separable blobs" in figure._suptitle.get_text()
    default = panels(figure)
    # Step and mode do not matter: the figure always shows the run from its start.
    stepper.set(step=12, mode="one epoch")
    assert panels(stepper.static_figure()) == default
    # The dataset, η and the start do.  XOR never converges: the last panel is the end of the run.
    stepper.set(dataset="XOR", eta=0.1, start="random weights")
    figure = stepper.static_figure()
    titles = [ax.get_title() for ax in figure.axes]
    assert len(titles) == 5 and titles[-1] == f"after {4 * MAX_EPOCHS} samples (end)"
    assert "on XOR (η = 0.1)" in figure._suptitle.get_text()
    assert panels(figure)[1][0][1] != default[1][0][1]  # the first panel's weight vector: random, not zero


def test_static_figure_has_two_rows_of_three_and_its_legend_explains_rings_and_the_dashed_line(stepper):
    figure = stepper.static_figure()
    assert tuple(figure.get_size_inches()) == (FIGURE_WIDTH, 5.4) and FIGURE_WIDTH <= 7
    assert [ax.get_subplotspec().get_geometry()[:2] for ax in figure.axes] == [(2, 3)] * 5
    (legend,) = figure.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert "ringed: mistake, w moved" in labels and "ringed: right, no change" in labels
    assert "boundary, panel before" in labels
    assert "dashed" not in figure._suptitle.get_text()  # no claim the panels cannot show
    assert all(t.get_fontsize() >= 9 for ax in figure.axes for t in [ax.title, *ax.get_xticklabels()])


@pytest.mark.parametrize(("name", "start"), RUNS)
def test_static_figure_dashed_boundary_is_the_panel_before_and_is_visible(stepper, name, start):
    stepper.set(dataset=name, start=start)
    figure = stepper.static_figure()
    run = training_run(name, 1.0, start)
    dashed = [ax for ax in figure.axes if any(
        c.get_linestyle()[0][1] is not None for c in ax.collections if hasattr(c, "levels"))]
    titles = [ax.get_title() for ax in figure.axes]
    steps = [int(re.search(r"after (\d+)", t).group(1)) for t in titles]
    expected = [ax for ax, before, now in zip(figure.axes[1:], steps, steps[1:])
                if not np.allclose(run.weights[before], run.weights[now]) and np.any(run.weights[before][:2])]
    assert dashed == expected and dashed  # every panel whose weights moved shows where they were


@pytest.mark.parametrize(("name", "start"), RUNS)
def test_weight_arrows_lie_inside_their_axes(stepper, name, start):
    stepper.set(dataset=name, start=start)
    figures = [stepper.static_figure()] + [stepper.draw(stepper_state(name, "one sample", k, 1.0, start))
                                           for k in (1, 2, 5, 30, 10**6)]
    found = arrows(figures[0]) + [arrow for figure in figures[1:] for arrow in arrows(figure)]
    assert found
    for ax, foot, tip in found:
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        for point in (foot, tip):
            assert x0 <= point[0] <= x1 and y0 <= point[1] <= y1


def test_arrow_starts_on_the_boundary_points_along_w_and_fits_or_is_left_out():
    w, b = np.array([1.0, 1.0]), -1.0
    foot, vector = _arrow(w, b, (-2, 2), (-2, 2), np.zeros(2))
    assert foot @ w + b == pytest.approx(0) and np.allclose(vector / np.linalg.norm(vector), w / np.linalg.norm(w))
    assert np.linalg.norm(vector) == pytest.approx(0.18 * 4 * 0.94)  # 18 % of the inset range
    # A boundary near the edge leaves little room: the arrow shrinks to fit.
    foot, vector = _arrow(np.array([1.0, 0.0]), -1.5, (-2, 2), (-2, 2), np.zeros(2))
    assert np.allclose(foot, [1.5, 0.0]) and np.allclose(vector, [2 - 0.12 - 1.5, 0.0])
    assert _arrow(w, -10.0, (-2, 2), (-2, 2), np.zeros(2)) is None  # the boundary is out of view


def test_mimebundle_png_is_the_small_multiples_not_the_current_state(stepper, monkeypatch):
    made = []
    static_figure = stepper.static_figure
    monkeypatch.setattr(stepper, "static_figure", lambda: made.append(static_figure()) or made[-1])
    bundle = stepper._repr_mimebundle_()
    assert len(made) == 1 and len(made[0].axes) == 5
    png, current = bundle["image/png"], stepper.png()
    assert png != current
    (width, height), (state_width, state_height) = png_size(png), png_size(current)
    assert width / height < 1.3 < state_width / state_height  # two rows of panels, not one plot
    assert max(width, state_width) <= SITE_WIDTH  # never shrunk
    assert bundle[WIDGET_VIEW]["model_id"] == stepper.widget.model_id
    text = bundle["text/plain"]
    assert "Binder" in text and "Colab" in text and stepper.try_this in text


class Counter(Explorable):
    title = "counter"
    try_this = "Try: count."

    def make_controls(self):
        return {"n": widgets.IntSlider(1, min=0, max=5)}

    def state(self, n):
        return n

    def draw(self, state):
        from matplotlib.figure import Figure

        figure = Figure()
        figure.add_subplot().bar(["n"], [state])
        return figure


def test_explorable_static_figure_defaults_to_the_current_state():
    counter = Counter()
    counter.set(n=3)
    assert plots.figure_to_png(counter.static_figure()) == counter.png()
    assert counter._repr_mimebundle_()["image/png"] == counter.png()


def test_explorable_mimebundle_uses_an_overridden_static_figure():
    class Overview(Counter):
        def static_figure(self):
            from matplotlib.figure import Figure

            figure = Figure()
            figure.subplots(1, 3)
            return figure

    overview = Overview()
    png = overview._repr_mimebundle_()["image/png"]
    assert png == plots.figure_to_png(overview.static_figure()) and png != overview.png()


# --- the play button ------------------------------------------------------------------------------

def test_play_button_is_linked_to_the_step_slider_value_and_max(jslinks):
    stepper = PerceptronStepper()
    step = stepper.controls["step"]
    assert isinstance(stepper.play, widgets.Play)
    assert sorted((s[1], t[1]) for s, t in jslinks) == [("max", "max"), ("value", "value")]
    assert all(s[0] is stepper.play and t[0] is step for s, t in jslinks)
    assert stepper.play.min == step.min == 0 and stepper.play.max == step.max and stepper.play.value == 0
    panel = stepper.widget.children[1].children[0]
    assert panel.children[-1] is stepper.play
    assert list(panel.children[:-1]) == list(stepper.controls.values())
