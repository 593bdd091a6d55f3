"""neuronlab.widgets.deep_explorer: chapter 06's depth × activation × initialiser explorer."""

import numpy as np
import pytest

from neuronlab.diagnostics import ACTIVATIONS, INITIALIZERS, simulate
from neuronlab.widgets.deep_explorer import (ACTIVATION_EDGES, BATCH, DEFAULTS, DEPTHS, GRADIENT_EDGES, STATIC_CASES,
                                             WIDTH, DeepExplorer, default_batch, explorer_state)

from widget_helpers import SITE_WIDTH, png_size


pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def explorer():
    return DeepExplorer()


# --- the pure state -------------------------------------------------------------------------------------

def test_default_batch_is_standard_normal_seeded_and_read_only():
    X, y = default_batch()
    assert X.shape == (BATCH, WIDTH) and y.shape == (BATCH,) and set(np.unique(y)) <= set(range(10))
    assert abs(X.mean()) < 0.05 and abs(X.std() - 1) < 0.05
    assert default_batch()[0] is X
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0] = 1.0


def test_state_holds_one_histogram_and_one_spread_per_hidden_layer():
    state = explorer_state(10, "tanh", "Glorot")
    assert (state.depth, state.activation, state.initializer) == (10, "tanh", "Glorot")
    assert state.activation_shares.shape == (len(ACTIVATION_EDGES) - 1, 10)
    assert state.gradient_shares.shape == (len(GRADIENT_EDGES) - 1, 10)
    np.testing.assert_allclose(state.activation_shares.sum(axis=0), 1)
    np.testing.assert_allclose(state.gradient_shares.sum(axis=0), 1)
    X, y = default_batch()
    expected = simulate(X, y, depth=10, activation="tanh", initializer="Glorot", width=WIDTH)
    np.testing.assert_allclose(state.activation_std, [np.std(a) for a in expected.activations[:-1]])
    np.testing.assert_allclose(state.gradient_std, [np.std(g) for g in expected.gradients[:-1]])
    assert len(state.stats) == 11  # 10 hidden layers and the softmax output


@pytest.mark.parametrize("depth, activation, initializer, words", [
    (20, "sigmoid", "N(0, 1)", "of the activations are saturated"),
    (20, "sigmoid", "Glorot", "Gradients vanish"),
    (20, "tanh", "N(0, 1)", "Gradients explode towards the input"),
    (20, "relu", "Glorot", "Activations shrink"),
    (100, "relu", "N(0, 1)", "Activations grow"),
    (20, "tanh", "Glorot", "Stable"),
    (100, "selu", "LeCun", "Stable"),
])
def test_the_message_names_what_goes_wrong(depth, activation, initializer, words):
    assert words in explorer_state(depth, activation, initializer).message


def test_the_message_reports_an_overflow_and_dead_units():
    rng = np.random.default_rng(0)
    X, y = 1e300 * rng.normal(size=(32, 100)), rng.integers(0, 10, 32)
    assert explorer_state(5, "relu", "N(0, 1)", X=X, y=y).message.startswith("Overflow")
    assert "dead" in explorer_state(100, "relu", "He").message


def test_state_uses_a_given_batch():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 784)), rng.integers(0, 10, 40)
    state = explorer_state(5, "relu", "He", X=X, y=y)
    assert state.stats.activations[0].shape == (40, WIDTH) and state.stats.gradients[0].shape == (784, WIDTH)


@pytest.mark.parametrize("kwargs, message", [
    (dict(depth=0), "depth must be an int from 1 to 100"),
    (dict(depth=101), "depth must be an int from 1 to 100"),
    (dict(depth=2.5), "depth must be an int from 1 to 100"),
    (dict(activation="softsign"), "activation must be one of"),
    (dict(initializer="Xavier"), "initializer must be one of"),
    (dict(X=np.zeros((3, 100))), "give both X and y, or neither"),
])
def test_state_rejects_bad_arguments_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        explorer_state(**kwargs)


# --- the widget -------------------------------------------------------------------------------------------

def test_one_control_per_state_argument_with_the_defaults(explorer):
    assert list(explorer.controls) == ["depth", "activation", "initializer"]
    assert explorer.values() == DEFAULTS
    assert tuple(explorer.controls["depth"].options) == DEPTHS
    assert tuple(explorer.controls["activation"].options) == tuple(ACTIVATIONS)
    assert tuple(explorer.controls["initializer"].options) == tuple(INITIALIZERS)


def test_each_control_drives_the_state_it_shows(explorer, shown):
    state = explorer.set(depth=50)
    assert state.depth == 50 and state.activation_shares.shape[1] == 50
    state = explorer.set(activation="selu")
    assert state.activation == "selu" and state.depth == 50
    state = explorer.set(initializer="LeCun")
    assert state.initializer == "LeCun" and "Stable" in state.message
    assert len(shown) == 4 and shown[-1] == explorer.png()


def test_set_of_several_controls_redraws_once_and_caches_states(explorer, shown):
    state = explorer.set(depth=5, activation="relu", initializer="He")
    assert len(shown) == 2 and (state.depth, state.activation, state.initializer) == (5, "relu", "He")
    assert explorer.set(depth=5) is state
    with pytest.raises(ValueError, match="unknown control"):
        explorer.set(width=3)


def test_every_control_change_redraws_once(explorer, shown):
    """Speed: ``python -m neuronlab.tools.bench widgets`` ("redraw · deep explorer")."""
    changes = [("depth", 100), ("activation", "gelu"), ("initializer", "He"), ("activation", "mish"),
               ("depth", 50), ("initializer", "N(0, 1)"), ("activation", "sigmoid"), ("depth", 100)]
    for count, (name, value) in enumerate(changes, start=2):
        before = shown[-1]
        explorer.set(**{name: value})
        assert len(shown) == count and shown[-1] != before, f"{name}={value!r}"


def test_the_live_figure_fits_the_page_and_says_what_it_shows(explorer):
    width, height = png_size(explorer.png())
    assert width <= SITE_WIDTH and height < 400
    figure = explorer.draw(explorer.current_state())
    texts = [t.get_text() for t in figure.texts] + [figure._suptitle.get_text()]
    assert any("saturated" in t for t in texts) and any("20 hidden layers" in t for t in texts)
    act_ax, grad_ax, std_ax = figure.axes
    assert act_ax.get_xlabel() == grad_ax.get_xlabel() == "hidden layer"
    assert std_ax.get_yscale() == "log" and len(std_ax.lines) == 2
    assert min(t.get_fontsize() for t in figure.findobj(lambda a: hasattr(a, "get_fontsize"))) >= 7


def test_static_figure_shows_the_four_cases_at_depth_50(explorer):
    figure = explorer.static_figure()
    assert len(figure.axes) == 2 * len(STATIC_CASES)
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles == [f"{a} · {i}" for a, i in STATIC_CASES]
    assert figure.get_size_inches()[0] * figure.dpi <= SITE_WIDTH


def test_mimebundle_is_the_static_png_with_a_sentence_on_what_to_try(explorer):
    bundle = explorer._repr_mimebundle_()
    assert png_size(bundle["image/png"])[0] <= SITE_WIDTH
    assert "in Binder or in Colab" in bundle["text/plain"] and explorer.try_this in bundle["text/plain"]


def test_an_explorer_can_take_its_own_batch():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(64, 784)), rng.integers(0, 10, 64)
    state = DeepExplorer(X, y).current_state()
    assert state.stats.gradients[0].shape == (784, WIDTH)
    with pytest.raises(ValueError, match="give both X and y"):
        DeepExplorer(X)
    with pytest.raises(ValueError, match=r"X must have shape \(batch, n_inputs\) and y shape \(batch,\)"):
        DeepExplorer(X, y[:10])


def test_the_state_cache_keeps_only_the_most_recently_shown_states(explorer, monkeypatch):
    from neuronlab.widgets import deep_explorer

    monkeypatch.setattr(deep_explorer, "CACHED_STATES", 2)
    explorer._cache.clear()
    first = explorer.state(depth=2, activation="relu", initializer="He")
    explorer.state(depth=5, activation="relu", initializer="He")
    assert explorer.state(depth=2, activation="relu", initializer="He") is first  # a return visit: no recompute
    explorer.state(depth=10, activation="relu", initializer="He")                 # evicts depth 5, the oldest
    assert list(explorer._cache) == [(2, "relu", "He"), (10, "relu", "He")]
