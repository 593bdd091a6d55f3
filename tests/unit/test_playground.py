"""neuronlab.widgets.playground: chapter 03's MLP playground (TensorFlow Playground in the course's engine)."""

import inspect
import re
import warnings

import ipywidgets as widgets
import numpy as np
import pytest

from neuronlab.config import SEED
from neuronlab.data import toy_2d
from neuronlab.mlp import MLPClassifier
from neuronlab.widgets.playground import (ACTIVATIONS, DATASETS, EPOCH_STEP, GRID, LEARNING_RATES, MAX_EPOCHS,
                                          MAX_HIDDEN_LAYERS, MAX_UNITS, N_SAMPLES, SOLVED_BY, MLPPlayground, Run,
                                          one_blas_thread, playground_data, playground_state,
                                          probability_of_class_1, training_run)

from widget_helpers import SITE_WIDTH, WIDGET_VIEW, png_size, texts


pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def playground():
    return MLPPlayground()


# --- data and the forward pass --------------------------------------------------------------------

@pytest.mark.parametrize("name", DATASETS)
def test_playground_data_is_toy_2d_seeded_and_read_only(name):
    X, y = playground_data(name)
    expected_X, expected_y = toy_2d(name, N_SAMPLES, random_state=SEED)
    assert np.array_equal(X, expected_X) and np.array_equal(y, expected_y)
    assert playground_data(name)[0] is X
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0] = 1.0


def test_probability_of_class_1_is_the_engines_predict_proba():
    run = Run("circles", (5, 4), "sigmoid", 0.3).extend_to(20)
    coefs, intercepts = run.weights_at(20)
    points = np.random.default_rng(0).uniform(-1.5, 1.5, size=(50, 2))
    expected = run.model.predict_proba(points)[:, 1]
    assert np.allclose(probability_of_class_1(coefs, intercepts, "sigmoid", points), expected, atol=1e-6)


def test_training_and_the_surface_use_one_blas_thread_and_give_it_back(monkeypatch):
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}

    before = blas_threads()
    with one_blas_thread():
        assert blas_threads() == {1}
    assert blas_threads() == before
    seen = []
    real = probability_of_class_1
    monkeypatch.setattr("neuronlab.widgets.playground.probability_of_class_1",
                        lambda *args: seen.append(blas_threads()) or real(*args))
    real_partial_fit = MLPClassifier.partial_fit
    monkeypatch.setattr(MLPClassifier, "partial_fit",
                        lambda self, *args: seen.append(blas_threads()) or real_partial_fit(self, *args))
    training_run.cache_clear()
    playground_state("xor", 1, 2, "sigmoid", 0.01, epoch=EPOCH_STEP)
    assert len(seen) == EPOCH_STEP + 2 and all(threads == {1} for threads in seen)  # every epoch, both surfaces
    assert blas_threads() == before


# --- runs: lazy, cached, snapshotted --------------------------------------------------------------

def test_a_run_trains_lazily_and_its_snapshots_are_the_engines_fit():
    run = Run("moons", (6,), "relu", 0.1)
    assert run.epochs_trained == 0 and len(run.snapshots) == 1 and run.losses == []
    run.extend_to(3 * EPOCH_STEP)
    assert run.epochs_trained == 3 * EPOCH_STEP and len(run.snapshots) == 4
    run.extend_to(EPOCH_STEP)  # already there: nothing to train
    assert run.epochs_trained == 3 * EPOCH_STEP
    X, y = playground_data("moons")
    for k in (0, 1, 3):
        coefs, intercepts = run.weights_at(k * EPOCH_STEP)
        if k:  # the engine's own fit, full batch, same seed, as many epochs
            model = MLPClassifier((6,), "relu", learning_rate=0.1, batch_size=N_SAMPLES, epochs=k * EPOCH_STEP,
                                  random_state=SEED).fit(X, y)
        else:  # before any step: the engine's initialisation
            model = MLPClassifier((6,), "relu", batch_size=N_SAMPLES, epochs=1, random_state=SEED)
            model.classes_ = np.array([0, 1])
            model._initialize(2, 1)
        for got, expected in zip(coefs + intercepts, model.coefs_ + model.intercepts_):
            np.testing.assert_array_equal(got, expected)
    # extending in pieces gives the run trained in one go
    whole = Run("moons", (6,), "relu", 0.1).extend_to(3 * EPOCH_STEP)
    np.testing.assert_array_equal(whole.weights_at(3 * EPOCH_STEP)[0][0], run.weights_at(3 * EPOCH_STEP)[0][0])
    with pytest.raises(ValueError, match=f"epoch must be a multiple of {EPOCH_STEP} up to {3 * EPOCH_STEP}"):
        run.weights_at(4 * EPOCH_STEP)


def test_a_runs_losses_are_the_loss_of_the_weights_after_each_epoch():
    run = Run("xor", (4,), "tanh", 0.1).extend_to(2 * EPOCH_STEP)
    assert len(run.losses) == 2 * EPOCH_STEP
    for epoch in (0, EPOCH_STEP):
        p = probability_of_class_1(*run.weights_at(epoch), "tanh", run.X)
        cross_entropy = -np.mean(np.log(np.where(run.y == 1, p, 1 - p)))
        assert run.losses[epoch] == pytest.approx(cross_entropy, rel=1e-4)


def test_training_run_is_cached_per_dataset_architecture_activation_and_learning_rate():
    run = training_run("moons", (8,), "tanh", 0.1)
    assert training_run("moons", (8,), "tanh", 0.1) is run
    others = [training_run("circles", (8,), "tanh", 0.1), training_run("moons", (8, 8), "tanh", 0.1),
              training_run("moons", (8,), "relu", 0.1), training_run("moons", (8,), "tanh", 0.3)]
    assert len({id(r) for r in [run, *others]}) == 5
    assert (run.dataset, run.layer_sizes, run.activation, run.learning_rate) == ("moons", (8,), "tanh", 0.1)


def test_a_diverging_run_stops_and_the_state_shows_its_last_sound_weights():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings on the way
        state = playground_state("moons", 3, 16, "relu", 1000.0, epoch=100)
    run = state.run
    assert run.diverged_at is not None and run.diverged_at <= 100
    assert run.epochs_trained == run.diverged_at - 1 and run.good_until == run.diverged_at - 2
    assert state.epoch == 100 and state.shown_epoch == run.good_until // EPOCH_STEP * EPOCH_STEP
    assert state.message.startswith(f"diverged in epoch {run.diverged_at}")
    assert "lower the learning rate" in state.message
    assert np.isfinite(state.probabilities).all() and np.isfinite(state.loss)
    assert len(state.loss_curve) == state.shown_epoch + 1


# --- playground_state ------------------------------------------------------------------------------

def test_state_describes_the_network_the_data_and_the_surface():
    state = playground_state("circles", 2, 5, "relu", 0.3, epoch=50)
    assert state.dataset == "circles" and state.layer_sizes == (2, 5, 5, 1)
    assert state.architecture == "2 → 5 → 5 → 1, relu"
    assert state.epoch == state.shown_epoch == 50 and state.message == ""
    assert state.run is training_run("circles", (5, 5), "relu", 0.3)
    assert state.grid_x.shape == state.grid_y.shape == (GRID,) and state.probabilities.shape == (GRID, GRID)
    assert (state.grid_x[0], state.grid_x[-1]) == state.xlim and (state.grid_y[0], state.grid_y[-1]) == state.ylim
    X = state.run.X
    assert state.xlim[0] < X[:, 0].min() and X[:, 0].max() < state.xlim[1]
    assert state.ylim[0] < X[:, 1].min() and X[:, 1].max() < state.ylim[1]
    coefs, intercepts = state.run.weights_at(50)
    p = probability_of_class_1(coefs, intercepts, "relu", X)
    assert state.accuracy == np.mean((p > 0.5) == (state.run.y == 1))
    # row i, column j of the surface is the point (grid_x[j], grid_y[i])
    i, j = 17, 63
    corner = probability_of_class_1(coefs, intercepts, "relu", [[state.grid_x[j], state.grid_y[i]]])
    assert state.probabilities[i, j] == pytest.approx(corner[0])
    assert state.loss_curve.shape == (51,) and state.loss_curve[-1] == state.loss
    assert state.loss_curve[:-1] == pytest.approx(state.run.losses[:50])


def test_accuracy_rises_and_loss_falls_with_epochs_on_moons():
    states = [playground_state("moons", epoch=e) for e in (0, 50, 200, MAX_EPOCHS)]
    accuracies = [s.accuracy for s in states]
    losses = [s.loss for s in states]
    assert accuracies == sorted(accuracies) and accuracies[0] < 0.8 < 0.95 < accuracies[-1]
    assert losses == sorted(losses, reverse=True)
    assert states[0].message == "" and len(states[-1].loss_curve) == MAX_EPOCHS + 1


@pytest.mark.parametrize("name", ["xor", "circles"])
def test_no_hidden_layer_cannot_solve_xor_or_circles_but_one_layer_of_8_tanh_can(name):
    line = playground_state(name, hidden_layers=0, epoch=MAX_EPOCHS)
    assert line.accuracy < 0.75 and line.layer_sizes == (2, 1) and line.architecture == "2 → 1"
    assert line.message == "no hidden layer: the boundary is a straight line"
    bent = playground_state(name, hidden_layers=1, units=8, activation="tanh", epoch=MAX_EPOCHS)
    assert bent.accuracy > 0.9


def test_units_mean_nothing_without_hidden_layers():
    assert playground_state(hidden_layers=0, units=3).run is playground_state(hidden_layers=0, units=16).run


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dataset": "blobs"}, "dataset must be one of ['moons', 'circles', 'xor', 'spiral'], got 'blobs'"),
    ({"hidden_layers": 4}, "hidden_layers must be an integer from 0 to 3, got 4"),
    ({"hidden_layers": -1}, "hidden_layers must be an integer from 0 to 3, got -1"),
    ({"hidden_layers": 1.0}, "hidden_layers must be an integer from 0 to 3, got 1.0"),
    ({"hidden_layers": True}, "hidden_layers must be an integer from 0 to 3, got True"),
    ({"units": 0}, "units must be an integer from 1 to 16, got 0"),
    ({"units": 17}, "units must be an integer from 1 to 16, got 17"),
    ({"units": "8"}, "units must be an integer from 1 to 16, got '8'"),
    ({"activation": "softplus"}, "activation must be one of ['relu', 'tanh', 'sigmoid'], got 'softplus'"),
    ({"learning_rate": 0}, "learning_rate must be a number > 0, got 0"),
    ({"learning_rate": -0.1}, "learning_rate must be a number > 0, got -0.1"),
    ({"learning_rate": float("inf")}, "learning_rate must be a number > 0, got inf"),
    ({"learning_rate": float("nan")}, "learning_rate must be a number > 0, got nan"),
    ({"learning_rate": "0.1"}, "learning_rate must be a number > 0, got '0.1'"),
    ({"learning_rate": True}, "learning_rate must be a number > 0, got True"),
    ({"epoch": -10}, f"epoch must be a multiple of 10 from 0 to {MAX_EPOCHS}, got -10"),
    ({"epoch": 15}, f"epoch must be a multiple of 10 from 0 to {MAX_EPOCHS}, got 15"),
    ({"epoch": MAX_EPOCHS + 10}, f"epoch must be a multiple of 10 from 0 to {MAX_EPOCHS}, got {MAX_EPOCHS + 10}"),
    ({"epoch": 10.0}, f"epoch must be a multiple of 10 from 0 to {MAX_EPOCHS}, got 10.0"),
    ({"epoch": None}, f"epoch must be a multiple of 10 from 0 to {MAX_EPOCHS}, got None"),
])
def test_state_rejects_bad_arguments_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        playground_state(**kwargs)


def test_training_run_rejects_unknown_datasets_and_activations():
    with pytest.raises(ValueError, match=r"^dataset must be one of .*got 'iris'$"):
        training_run("iris", (8,), "tanh", 0.1)
    with pytest.raises(ValueError, match=r"^activation must be one of .*got 'step'$"):
        training_run("moons", (8,), "step", 0.1)
    with pytest.raises(ValueError, match=r"^dataset must be one of .*got 'iris'$"):
        playground_data("iris")


# --- the widget -----------------------------------------------------------------------------------

def test_playground_has_one_control_per_state_argument_with_its_defaults(playground):
    parameters = inspect.signature(playground_state).parameters
    assert list(playground.controls) == list(parameters)
    assert playground.values() == {name: p.default for name, p in parameters.items()}
    c = playground.controls
    assert tuple(c["dataset"].options) == DATASETS and tuple(c["activation"].options) == ACTIVATIONS
    assert tuple(c["learning_rate"].options) == LEARNING_RATES
    assert (c["hidden_layers"].min, c["hidden_layers"].max) == (0, MAX_HIDDEN_LAYERS)
    assert (c["units"].min, c["units"].max) == (1, MAX_UNITS)
    assert (c["epoch"].min, c["epoch"].max, c["epoch"].step) == (0, MAX_EPOCHS, EPOCH_STEP)


def test_each_control_drives_the_state_it_shows(playground):
    state = playground.set(dataset="xor")
    assert state.dataset == "xor" and np.array_equal(state.run.X, playground_data("xor")[0])
    state = playground.set(hidden_layers=2)
    assert state.layer_sizes == (2, 8, 8, 1)
    state = playground.set(units=3)
    assert state.layer_sizes == (2, 3, 3, 1)
    state = playground.set(activation="relu")
    assert state.run.activation == "relu" and state.architecture == "2 → 3 → 3 → 1, relu"
    state = playground.set(learning_rate=0.3)
    assert state.run.learning_rate == 0.3
    state = playground.set(epoch=120)
    assert state.epoch == state.shown_epoch == 120 and state.run.epochs_trained >= 120
    assert state.run is training_run("xor", (3, 3), "relu", 0.3)
    assert playground.values() == {"dataset": "xor", "hidden_layers": 2, "units": 3, "activation": "relu",
                                   "learning_rate": 0.3, "epoch": 120}


def test_units_slider_is_greyed_out_without_hidden_layers(playground):
    units = playground.controls["units"]
    assert not units.disabled
    playground.set(hidden_layers=0)
    assert units.disabled
    playground.controls["hidden_layers"].value = 3
    assert not units.disabled


def test_every_control_change_redraws_once_cold_and_warm(playground, shown):
    """Cold: the change needs a run never trained before, trained here to the epoch shown; warm: cached.

    Speed: ``python -m neuronlab.tools.bench widgets`` ("redraw · MLP playground").
    """
    training_run.cache_clear()
    assert len(shown) == 1  # drawn once when built
    changes = [("epoch", MAX_EPOCHS, "cold"), ("dataset", "spiral", "cold"), ("hidden_layers", 3, "cold"),
               ("units", 16, "cold"), ("activation", "relu", "cold"), ("learning_rate", 0.3, "cold"),
               ("epoch", 250, "warm"), ("learning_rate", 0.1, "warm"), ("activation", "tanh", "warm"),
               ("epoch", MAX_EPOCHS, "warm"), ("dataset", "moons", "cold"), ("hidden_layers", 1, "cold"),
               ("units", 8, "warm"), ("dataset", "spiral", "warm")]
    for count, (name, value, kind) in enumerate(changes, start=2):
        before, runs = shown[-1], training_run.cache_info().currsize
        playground.set(**{name: value})
        assert training_run.cache_info().currsize == runs + (kind == "cold"), (name, value, kind)
        assert len(shown) == count, f"{name}={value!r} redrew {len(shown) - count + 1} times"
        assert shown[-1] != before, f"{name}={value!r} did not change the picture"
    assert playground.current_state().run.epochs_trained == MAX_EPOCHS
    assert shown[-1] == playground.png()  # the last redraw shows the controls' state


def test_set_of_several_controls_redraws_once(playground, shown):
    state = playground.set(dataset="circles", hidden_layers=0, activation="sigmoid", epoch=30)
    assert len(shown) == 2 and state.layer_sizes == (2, 1) and state.epoch == 30
    assert shown[-1] == playground.png()


def test_play_button_advances_the_epoch_slider_in_its_steps(jslinks):
    playground = MLPPlayground()
    epoch = playground.controls["epoch"]
    assert jslinks == [((playground.play, "value"), (epoch, "value"))]
    assert isinstance(playground.play, widgets.Play)
    assert (playground.play.min, playground.play.max, playground.play.step) == (0, MAX_EPOCHS, EPOCH_STEP)
    panel = playground.widget.children[1].children[0]
    assert panel.children[-1] is playground.play
    assert list(panel.children[:-1]) == list(playground.controls.values())


# --- the figures ----------------------------------------------------------------------------------

def test_the_figure_shows_surface_data_and_loss_curve_fits_the_page_and_is_legible(playground):
    state = playground.set(dataset="circles", epoch=200)
    figure = playground.draw(state)
    assert figure.get_size_inches()[0] * 100 <= SITE_WIDTH
    assert all(t.get_fontsize() >= 8 for t in texts(figure))
    title = figure._suptitle.get_text()
    assert title == (f"epoch 200 · network 2 → 8 → 1, tanh · η = 0.1 · training accuracy {state.accuracy:.0%}")
    surface, loss = figure.axes
    assert surface.get_title() == "circles: p(class 1), boundary at 0.5"
    assert [t.get_text() for t in surface.get_legend().get_texts()] == ["class 0", "class 1"]
    assert surface.get_xlim() == state.xlim
    curve, now, marker = loss.get_lines()  # the loss so far, the current epoch's line and its dot
    assert np.array_equal(curve.get_ydata(), state.loss_curve) and list(now.get_xdata()) == [200, 200]
    assert list(marker.get_xdata()) == [200] and list(marker.get_ydata()) == [state.loss]
    assert loss.get_xlim() == (0, MAX_EPOCHS) and loss.get_yscale() == "log"
    assert png_size(playground.png()) == (685, 340)


def test_the_figure_says_why_nothing_trains(playground):
    figure = playground.draw(playground_state("moons", 3, 16, "relu", 1000.0, epoch=50))
    assert any(t.get_text().startswith("diverged in epoch") for t in figure.axes[1].texts)
    figure = playground.draw(playground_state("xor", hidden_layers=0))
    assert [t.get_text().replace("\n", " ") for t in figure.axes[1].texts] == [
        "no hidden layer: the boundary is a straight line"]


def test_static_figure_contrasts_a_straight_line_with_hidden_layers_on_every_dataset(playground):
    figure = playground.static_figure()
    assert figure.get_size_inches()[0] <= 7.0
    assert all(t.get_fontsize() >= 8 for t in texts(figure))
    axes = np.array(figure.axes).reshape(2, len(DATASETS))
    for column, name in enumerate(DATASETS):
        line = playground_state(name, epoch=MAX_EPOCHS, **dict(SOLVED_BY[name], hidden_layers=0))
        solved = playground_state(name, epoch=MAX_EPOCHS, **SOLVED_BY[name])
        assert axes[0, column].get_title() == f"{name}: {line.accuracy:.0%}\n2-1"
        assert axes[1, column].get_title() == f"{name}: {solved.accuracy:.0%}\n{solved.short_architecture}"
        assert solved.accuracy > 0.95
        if name in ("circles", "xor", "spiral"):
            assert line.accuracy < 0.75
    assert axes[0, 0].get_ylabel() == "no hidden layer" and axes[1, 0].get_ylabel() == "with hidden layers"


def test_short_architecture_fits_a_small_panel():
    assert playground_state("spiral", epoch=0, **SOLVED_BY["spiral"]).short_architecture == "2-16-16-16-1 ReLU"
    assert playground_state("xor", 1, 8, "tanh").short_architecture == "2-8-1 tanh"
    assert playground_state("xor", 0).short_architecture == "2-1"


@pytest.mark.parametrize("name", DATASETS)
def test_every_surface_is_square_around_its_data(name):
    (x0, x1), (y0, y1) = playground_state(name).xlim, playground_state(name).ylim
    assert x1 - x0 == pytest.approx(y1 - y0)
    X, _ = playground_data(name)
    assert x0 < X[:, 0].min() and X[:, 0].max() < x1 and y0 < X[:, 1].min() and X[:, 1].max() < y1


def test_static_figure_panels_are_one_size_titles_inside_and_a_legend_explains_them(playground):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = playground.static_figure()
    FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    panels = figure.axes
    sizes = {(round(ax.bbox.width), round(ax.bbox.height)) for ax in panels}
    assert len(panels) == 2 * len(DATASETS) and len(sizes) == 1  # moons drawn as large as the rest
    ((width, height),) = sizes
    assert width == height
    for ax in panels:  # every title within its own panel's width
        title = ax.title.get_window_extent(renderer)
        assert ax.bbox.x0 - 1 <= title.x0 and title.x1 <= ax.bbox.x1 + 1, ax.get_title()
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == ["class 0", "class 1", "shading: p(class 1) near 0",
                                                          "near 1", "boundary p = 0.5"]
    extent = legend.get_window_extent(renderer)
    assert figure.bbox.x0 <= extent.x0 and extent.x1 <= figure.bbox.x1  # one line, inside the figure
    assert extent.y1 <= min(ax.bbox.y0 for ax in panels)  # below the panels
    width, _ = png_size(playground._repr_mimebundle_()["image/png"])
    assert width <= SITE_WIDTH


def test_mimebundle_is_the_static_png_with_a_sentence_on_what_to_try(playground):
    bundle = playground._repr_mimebundle_()
    width, height = png_size(bundle["image/png"])
    assert width <= SITE_WIDTH and bundle["image/png"] != playground.png()
    assert bundle[WIDGET_VIEW]["model_id"] == playground.widget.model_id
    text = bundle["text/plain"]
    assert "Binder" in text and "Colab" in text and playground.try_this in text


def test_binary_playground_has_one_logistic_output_as_the_chapter_table_says():
    run = Run("moons", (4,), "tanh", 0.1).extend_to(EPOCH_STEP)
    coefs, intercepts = run.weights_at(EPOCH_STEP)
    assert coefs[-1].shape == (4, 1) and intercepts[-1].shape == (1,)
    assert run.model.layer_sizes_ == (2, 4, 1)
