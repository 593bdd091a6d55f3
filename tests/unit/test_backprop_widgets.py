"""neuronlab.widgets.backprop: chapter 03's backprop stepper."""

import inspect
import re

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.text import Text

from neuronlab import autodiff as ad
from neuronlab import plots
from neuronlab.widgets.backprop import (DEFAULTS, N_NODES, N_STEPS, BackpropState, BackpropStepper, Graph,
                                        backprop_state, neuron_graph)

from widget_helpers import WIDGET_VIEW, png_size

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def stepper():
    return BackpropStepper()


def sigma(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def visible_texts(figure):
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def assert_fits_the_page(figure):
    """At most 7 inches wide (the site's ~688 px column at 100 dpi), nothing drawn outside it, no text under 8 pt."""
    width, height = figure.get_size_inches()
    assert width <= 7.0
    small = [(t.get_text(), t.get_fontsize()) for t in visible_texts(figure) if t.get_fontsize() < 8]
    assert not small, small
    figure.draw_without_rendering()  # lays the figure out, so that the extents below are final
    drawn = figure.get_tightbbox()  # in inches
    assert -0.01 <= drawn.x0 and drawn.x1 <= width + 0.01, (drawn.x0, drawn.x1)
    assert -0.01 <= drawn.y0 and drawn.y1 <= height + 0.01, (drawn.y0, drawn.y1)


# --- neuron_graph: the engine's graph, values and gradients -------------------------------------------

def hand_forward(x1, x2, w1, w2, b, y):
    z = w1 * x1 + w2 * x2 + b
    a = sigma(z)
    return z, a, (a - y) ** 2


def hand_gradients(x1, x2, w1, w2, b, y):
    """∂L/∂(x1, x2, w1, w2, b) by the chain rule, written out."""
    _, a, _ = hand_forward(x1, x2, w1, w2, b, y)
    dz = 2 * (a - y) * a * (1 - a)
    return {"x1": dz * w1, "x2": dz * w2, "w1": dz * x1, "w2": dz * x2, "b": dz, "z": dz,
            "a": 2 * (a - y), "L": 1.0}


POINTS = [tuple(DEFAULTS.values()), (0.0, 0.0, 0.0, 0.0, 0.0, 0.0), (3.0, 3.0, 3.0, 3.0, 3.0, 0.0),
          (-2.5, 1.7, 0.3, -2.9, 1.1, 0.4), (1.0, -1.0, -3.0, 3.0, -0.5, 1.0)]
POINTS += [tuple(np.random.default_rng(seed).uniform(-3, 3, 5).tolist()) + (0.7,) for seed in range(3)]


def test_graph_nodes_are_the_engines_topological_order_each_after_its_parents():
    graph = neuron_graph()
    assert isinstance(graph, Graph) and len(graph.nodes) == N_NODES == 11
    names = [node.name for node in graph.nodes]
    assert sorted(names) == sorted(["x1", "x2", "w1", "w2", "b", "u1", "u2", "s", "z", "a", "L"])
    for i, node in enumerate(graph.nodes):
        assert all(names.index(parent) < i for parent in node.parents), node.name
    assert names[-1] == "L"
    ops = {node.name: node.op for node in graph.nodes}
    assert ops == {"x1": "", "x2": "", "w1": "", "w2": "", "b": "", "u1": "mul", "u2": "mul", "s": "add",
                   "z": "add", "a": "sigmoid", "L": "mse"}
    kinds = {node.name: node.kind for node in graph.nodes}
    assert [n for n, k in kinds.items() if k == "input"] == ["x1", "x2"]
    assert sorted(n for n, k in kinds.items() if k == "parameter") == ["b", "w1", "w2"]
    assert kinds["L"] == "loss" and graph.node("z").parents == ("s", "b")
    assert graph.node("L").definition == "(a − y)²" and graph.node("u1").definition == "x₁·w₁"


def test_graph_order_is_what_the_engine_says():
    # Rebuild the same expression with the engine and compare its topological order, op by op.
    t = {name: ad.Tensor(value, requires_grad=True) for name, value in DEFAULTS.items() if name != "y"}
    loss = ad.mse(ad.sigmoid(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"]), DEFAULTS["y"])
    assert [node.op for node in neuron_graph().nodes] == [tensor.op for tensor in loss.topological_order()]


@pytest.mark.parametrize("point", POINTS)
def test_graph_values_follow_the_forward_formulas(point):
    graph = neuron_graph(*point)
    x1, x2, w1, w2, b, y = point
    z, a, loss = hand_forward(*point)
    assert graph.values["u1"] == pytest.approx(x1 * w1) and graph.values["u2"] == pytest.approx(x2 * w2)
    assert graph.values["s"] == pytest.approx(x1 * w1 + x2 * w2)
    assert graph.values["z"] == pytest.approx(z) and graph.values["a"] == pytest.approx(a)
    assert graph.values["L"] == pytest.approx(loss) and graph.y == y


@pytest.mark.parametrize("point", POINTS)
def test_graph_gradients_match_finite_differences(point):
    graph = neuron_graph(*point)
    leaves = ("x1", "x2", "w1", "w2", "b")
    numeric = ad.numerical_gradient(lambda v: hand_forward(*v, point[5])[2], np.array(point[:5]))
    engine = np.array([graph.grads[name] for name in leaves])
    assert np.allclose(engine, numeric, rtol=1e-6, atol=1e-9)
    # …and the stepper's own graph, nudged through neuron_graph itself
    through_graph = ad.numerical_gradient(lambda v: neuron_graph(*map(float, v), point[5]).values["L"],
                                          np.array(point[:5]))
    assert np.allclose(engine, through_graph, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("point", POINTS)
def test_graph_gradients_match_the_hand_written_chain_rule(point):
    graph = neuron_graph(*point)
    for name, expected in hand_gradients(*point).items():
        assert graph.grads[name] == pytest.approx(expected, rel=1e-12, abs=1e-15), name
    assert graph.grads["s"] == graph.grads["u1"] == graph.grads["u2"] == graph.grads["z"]  # + copies it back


@pytest.mark.parametrize("point", POINTS)
def test_every_gradient_is_local_derivative_times_upstream(point):
    graph = neuron_graph(*point)
    for node in graph.nodes:
        consumer = graph.consumer[node.name]
        if consumer is None:
            assert node.name == "L" and graph.grads["L"] == 1.0
            continue
        assert graph.grads[node.name] == pytest.approx(graph.local[node.name, consumer] * graph.grads[consumer],
                                                       rel=1e-12, abs=1e-15), node.name
    a, y = graph.values["a"], graph.y
    assert graph.local["a", "L"] == pytest.approx(2 * (a - y)) and graph.local["z", "a"] == pytest.approx(a * (1 - a))
    assert graph.local["w1", "u1"] == point[0] and graph.local["x1", "u1"] == point[2]


def test_saturation_shrinks_every_gradient_and_a_perfect_output_zeroes_them():
    default, saturated = neuron_graph(), neuron_graph(3.0, 0.0, 3.0, 0.0, 0.0, 0.0)
    assert saturated.values["a"] > 0.9998 and abs(saturated.grads["z"]) < 1e-3 < abs(default.grads["z"])
    exact = neuron_graph(y=neuron_graph().values["a"])
    assert all(abs(exact.grads[n]) < 1e-15 for n in exact.grads if n != "L")


def test_graph_is_cached_and_read_only():
    graph = neuron_graph()
    assert neuron_graph(1.5, -1, 0.8, 0.6, -0.2, 1) is graph  # ints and floats: one entry
    with pytest.raises(TypeError):
        graph.values["a"] = 0.0
    with pytest.raises(TypeError):
        graph.grads["w1"] = 0.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"x1": "1"}, "x1 must be a finite number, got '1'"),
    ({"w2": float("inf")}, "w2 must be a finite number, got inf"),
    ({"b": None}, "b must be a finite number, got None"),
    ({"x2": True}, "x2 must be a finite number, got True"),
    ({"y": 1.5}, "y must be a number in [0, 1] (a target for the sigmoid's output), got 1.5"),
    ({"y": -0.1}, "y must be a number in [0, 1] (a target for the sigmoid's output), got -0.1"),
])
def test_neuron_graph_rejects_bad_arguments_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        neuron_graph(**kwargs)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        backprop_state(**kwargs)


# --- backprop_state: one node per step ---------------------------------------------------------------

def test_step_zero_shows_no_value_and_no_gradient():
    state = backprop_state()
    assert isinstance(state, BackpropState) and state.step == 0 and state.n_steps == N_STEPS == 22
    assert state.phase == "start" and state.current is None and state.edge is None
    assert all(v is None for v in state.values.values()) and all(g is None for g in state.grads.values())
    assert state.local is None and state.upstream is None
    assert state.message.startswith("step 0: press play")


def test_forward_steps_fill_values_one_node_at_a_time_in_topological_order():
    graph = neuron_graph()
    order = [node.name for node in graph.nodes]
    for k in range(1, N_NODES + 1):
        state = backprop_state(k)
        assert state.phase == "forward" and state.current == order[k - 1] and state.edge is None
        assert [n for n in order if state.values[n] is not None] == order[:k]
        assert all(state.values[n] == graph.values[n] for n in order[:k])
        assert all(g is None for g in state.grads.values())
        assert state.message.startswith(f"forward {k}/{N_NODES}: ")


def test_backward_steps_fill_gradients_in_reverse_order_as_local_times_upstream():
    graph = neuron_graph()
    order = [node.name for node in graph.nodes]
    for k in range(1, N_NODES + 1):
        state = backprop_state(N_NODES + k)
        assert state.phase == "backward" and state.current == order[::-1][k - 1]
        assert state.values == dict(graph.values)  # every value stays on show
        assert [n for n in order[::-1] if state.grads[n] is not None] == order[::-1][:k]
        assert all(state.grads[n] == graph.grads[n] for n in order[::-1][:k])
        assert state.message.startswith(f"backward {k}/{N_NODES}: ∂L/∂")
        if k == 1:
            assert state.current == "L" and state.edge is None and state.local is None
            continue
        consumer = graph.consumer[state.current]
        assert state.edge == (state.current, consumer)
        assert state.grads[consumer] is not None  # upstream is already known: the reverse order guarantees it
        assert state.upstream == graph.grads[consumer] and state.local == graph.local[state.current, consumer]
        assert state.local * state.upstream == pytest.approx(graph.grads[state.current], rel=1e-12, abs=1e-15)


def test_last_step_shows_every_gradient_from_the_engine():
    state = backprop_state(N_STEPS)
    graph = state.graph
    assert state.grads == dict(graph.grads) and None not in state.grads.values()
    assert state.message.startswith(f"backward {N_NODES}/{N_NODES}: ∂L/∂x₁") and state.message.endswith("= −0.154")
    assert len(state.message) <= 95  # one line of a 7-inch title (the static figure's caption says "every gradient")


def test_messages_write_each_step_as_an_equation_with_numbers():
    messages = [backprop_state(k).message for k in range(N_STEPS + 1)]
    assert "forward 3/11: u₁ = x₁·w₁ = 1.5 × 0.8 = 1.2" in messages
    assert "forward 7/11: s = u₁ + u₂ = 1.2 + (−0.6) = 0.6" in messages
    assert "forward 10/11: a = σ(z) = σ(0.4) = 0.599" in messages
    assert "forward 11/11: L = (a − y)² = (0.599 − 1)² = 0.161" in messages
    assert "backward 1/11: ∂L/∂L = 1, where the chain rule starts" in messages
    assert "backward 2/11: ∂L/∂a = 2(a − y) · ∂L/∂L = −0.803 × 1 = −0.803" in messages
    assert "backward 3/11: ∂L/∂z = ∂a/∂z · ∂L/∂a = a(1 − a) · ∂L/∂a = 0.24 × (−0.803) = −0.193" in messages
    assert any(m.startswith("backward") and "∂L/∂w₁ = ∂u₁/∂w₁ · ∂L/∂u₁ = x₁ · ∂L/∂u₁ = 1.5 × (−0.193) = −0.289"
               in m for m in messages)
    assert "forward 2/11: w₁ = 0.8 (a parameter)" in messages and "forward 1/11: x₁ = 1.5 (an input)" in messages


@pytest.mark.parametrize("step", [-1, N_STEPS + 1, 1.0, True, "3", None])
def test_backprop_state_rejects_bad_steps_naming_the_range(step):
    message = f"step must be an integer in 0 … {N_STEPS} ({N_NODES} forward steps, then {N_NODES} backward), " \
              f"got {step!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        backprop_state(step)
    assert backprop_state(np.int64(3)).step == 3


# --- BackpropStepper: every control drives the state ----------------------------------------------

def test_stepper_has_one_control_per_backprop_state_argument(stepper):
    assert list(stepper.controls) == list(inspect.signature(backprop_state).parameters)
    defaults = {name: p.default for name, p in inspect.signature(backprop_state).parameters.items()}
    assert stepper.values() == defaults == {"step": 0, **DEFAULTS}
    assert (stepper.controls["step"].min, stepper.controls["step"].max) == (0, N_STEPS)
    assert (stepper.controls["y"].min, stepper.controls["y"].max) == (0, 1)
    assert stepper.current_state().step == 0


def test_each_stepper_control_drives_the_state_it_shows(stepper):
    state = stepper.set(step=N_NODES)
    assert state.phase == "forward" and state.current == "L"
    assert state.values["L"] == pytest.approx(hand_forward(**DEFAULTS)[2])
    for name, value in [("x1", 2.0), ("x2", 0.5), ("w1", -1.0), ("w2", 2.5), ("b", 0.3), ("y", 0.0)]:
        state = stepper.set(**{name: value})
        point = {**DEFAULTS, **{n: v for n, v in stepper.values().items() if n != "step"}}
        assert point[name] == value
        assert state.values["L"] == pytest.approx(hand_forward(**point)[2]), name
    state = stepper.set(step=N_STEPS)
    point = {n: v for n, v in stepper.values().items() if n != "step"}
    for leaf in ("x1", "x2", "w1", "w2", "b"):
        assert state.grads[leaf] == pytest.approx(hand_gradients(**point)[leaf])
    assert stepper.values() == {"step": N_STEPS, "x1": 2.0, "x2": 0.5, "w1": -1.0, "w2": 2.5, "b": 0.3, "y": 0.0}


def test_stepper_sliders_clamp_to_their_ranges(stepper):
    stepper.controls["step"].value = 99
    stepper.controls["y"].value = 2.0
    stepper.controls["w1"].value = -7.0
    assert stepper.values()["step"] == N_STEPS and stepper.values()["y"] == 1.0 and stepper.values()["w1"] == -3.0


def test_each_stepper_control_change_redraws_once(stepper, shown):
    assert len(shown) == 1
    changes = [("step", 1), ("step", 9), ("step", 14), ("x1", -2.0), ("x2", 1.0), ("w1", 2.0), ("w2", -1.5),
               ("b", 0.7), ("y", 0.0), ("step", N_STEPS)]
    for count, (name, value) in enumerate(changes, start=2):
        before = shown[-1]
        stepper.controls[name].value = value
        assert len(shown) == count, f"{name}={value!r} redrew {len(shown) - count + 1} times"
        assert shown[-1] != before, f"{name}={value!r} did not change the picture"
    assert shown[-1] == stepper.png()


def figure_numbers(figure, colour):
    """The texts drawn in ``colour`` (values blue, gradients vermillion) on the first axes."""
    from matplotlib.colors import to_hex

    return [t.get_text() for t in figure.axes[0].texts if to_hex(t.get_color()) == to_hex(colour)]


def test_the_figure_shows_values_above_and_gradients_below_as_they_arrive(stepper):
    blue, vermillion = plots.PALETTE["blue"], plots.PALETTE["vermillion"]
    legend = 1  # one legend line in each colour
    start = stepper.draw(backprop_state(0))
    assert len(figure_numbers(start, blue)) == legend and len(figure_numbers(start, vermillion)) == legend
    forward = stepper.draw(backprop_state(5))
    assert len(figure_numbers(forward, blue)) == 5 + legend and len(figure_numbers(forward, vermillion)) == legend
    through_sigmoid = backprop_state(N_NODES + 3)
    figure = stepper.draw(through_sigmoid)
    grads = figure_numbers(figure, vermillion)
    assert "×0.24" in grads  # the local derivative on the edge the chain rule crosses
    assert {g for g in grads if g.startswith("∇ ") and g != "∇ = ∂L/∂node, below (backward)"} == {
        "∇ −0.193", "∇ −0.803", "∇ 1"}
    end = stepper.draw(backprop_state(N_STEPS))
    assert len([g for g in figure_numbers(end, vermillion) if g.startswith("∇")]) == N_NODES + legend
    assert figure.axes[0].get_title(loc="left") == through_sigmoid.message  # short enough for one line
    long = backprop_state(N_STEPS, x1=-2.9, x2=-2.9, w1=-2.9, w2=-2.9, b=-2.9, y=0.5)
    assert stepper.draw(long).axes[0].get_title(loc="left") == long.message  # long numbers: still one line


def test_stepper_figures_fit_the_page(stepper):
    for step in range(N_STEPS + 1):
        assert_fits_the_page(stepper.draw(backprop_state(step)))
    extreme = backprop_state(N_STEPS, x1=-3.0, x2=-3.0, w1=-3.0, w2=-3.0, b=-3.0, y=0.5)  # the longest numbers
    assert_fits_the_page(stepper.draw(extreme))
    assert png_size(stepper.png())[0] <= 100 * (7.0 + 2 * 0.1)


# --- the static figure: small multiples of the passes --------------------------------------------

def test_static_figure_stacks_forward_done_backward_midway_and_backward_done(stepper):
    figure = stepper.static_figure()
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert len(titles) == 3
    assert titles[0].startswith("forward pass complete: every value\nforward 11/11")
    assert titles[1].startswith("backward pass under way\nbackward 3/11: ∂L/∂z")
    assert titles[2].startswith("backward pass complete: every gradient\nbackward 11/11")
    assert_fits_the_page(figure)
    default = plots.figure_to_png(stepper.static_figure())
    stepper.set(step=7)  # the step does not matter: the figure shows the passes
    assert plots.figure_to_png(stepper.static_figure()) == default
    stepper.set(w1=-2.0, y=0.0)  # the numbers do
    assert plots.figure_to_png(stepper.static_figure()) != default
    stepper.set(x1=-2.9, x2=-2.9, w1=-2.9, w2=-2.9, b=-2.9, y=0.5)  # long numbers still fit
    assert_fits_the_page(stepper.static_figure())


def rendered(figure):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure).draw()
    return figure.canvas.get_renderer()


def edge_label_clashes(figure):
    """What each "×local" edge label overlaps on its axes: a node's box, another text, or the axes' edge."""
    from matplotlib.patches import FancyBboxPatch

    renderer = rendered(figure)
    clashes = []
    for ax in figure.axes:
        labels = [t for t in ax.texts if t.get_text().startswith("×")]
        for label in labels:
            extent = label.get_window_extent(renderer)
            clashes += [("box", label.get_text()) for patch in ax.patches if isinstance(patch, FancyBboxPatch)
                        and extent.overlaps(patch.get_window_extent(renderer))]
            clashes += [(label.get_text(), text.get_text()) for text in ax.texts if text is not label
                        and text.get_text() and extent.overlaps(text.get_window_extent(renderer))]
            if not (ax.bbox.x0 <= extent.x0 and extent.x1 <= ax.bbox.x1
                    and ax.bbox.y0 <= extent.y0 and extent.y1 <= ax.bbox.y1):
                clashes.append(("outside the axes", label.get_text()))
    return clashes


@pytest.mark.parametrize("numbers", [{}, {"x1": -2.9, "x2": 3.0, "w1": -3.0, "w2": -2.9, "b": 0.1, "y": 0.0},
                                     {"x1": 3.0, "x2": -3.0, "w1": -3.0, "w2": 3.0, "b": -3.0, "y": 1.0},
                                     {"x1": -0.1, "x2": 0.1, "w1": -2.7, "w2": 2.9, "b": -1.7, "y": 0.3}])
def test_edge_labels_overlap_no_node_and_no_other_text(stepper, numbers):
    for step in range(N_NODES + 2, N_STEPS + 1):  # every backward step that crosses an edge
        figure = stepper.draw(backprop_state(step, **numbers))
        assert len([t for t in figure.axes[0].texts if t.get_text().startswith("×")]) == 1
        assert edge_label_clashes(figure) == [], (step, numbers)


def test_static_figure_edge_labels_are_clear_and_no_title_wraps(stepper):
    figure = stepper.static_figure()
    assert edge_label_clashes(figure) == []
    assert [t.get_text() for ax in figure.axes for t in ax.texts if t.get_text().startswith("×")] == ["×0.24", "×0.8"]
    renderer = rendered(figure)
    for ax in figure.axes:
        title = ax.title if ax.get_title() else ax._left_title
        assert title.get_text().count("\n") == 1  # the caption, then the step's message: neither wraps
        assert title.get_window_extent(renderer).x1 <= figure.bbox.x1
    assert_fits_the_page(figure)


def test_try_this_numbers_are_the_engines():
    """w₁ = −3 saturates σ near 0 against a target of 1: a large error, yet ∂L/∂z shrinks about twentyfold."""
    start, saturated = neuron_graph(), neuron_graph(w1=-3.0)
    assert saturated.values["a"] < 0.01 and saturated.y == 1.0
    assert round(start.values["L"], 2) == 0.16 and round(saturated.values["L"], 2) == 0.99
    assert abs(saturated.grads["a"]) > abs(start.grads["a"])  # the error signal at the output grows …
    for name in ("z", "w1", "w2", "b"):  # … but σ′ ≈ 0.005 stops it: these shrink about twentyfold
        assert 18 < start.grads[name] / saturated.grads[name] < 22
    assert round(start.grads["z"], 3) == -0.193 and round(saturated.grads["z"], 4) == -0.0098
    text = BackpropStepper.try_this
    assert "set w₁ to −3" in text and "about twentyfold" in text and "from −0.193 to −0.0098" in text
    assert "from 0.16 to 0.99" in text and "to 3" not in text
    assert -3.0 >= BackpropStepper().controls["w1"].min  # the slider reaches it


def test_mimebundle_png_is_the_small_multiples_and_says_try_this(stepper):
    bundle = stepper._repr_mimebundle_()
    png = bundle["image/png"]
    assert png == plots.figure_to_png(stepper.static_figure()) and png != stepper.png()
    width, height = png_size(png)
    assert width <= 720 and height > width  # three graphs stacked, readable in the content column
    assert bundle[WIDGET_VIEW]["model_id"] == stepper.widget.model_id
    text = bundle["text/plain"]
    assert "Binder" in text and "Colab" in text and stepper.try_this in text


def test_play_button_is_linked_to_the_step_slider(jslinks):
    stepper = BackpropStepper()
    step = stepper.controls["step"]
    assert isinstance(stepper.play, widgets.Play)
    assert [(s[1], t[1]) for s, t in jslinks] == [("value", "value")]
    assert jslinks[0][0][0] is stepper.play and jslinks[0][1][0] is step
    assert (stepper.play.min, stepper.play.max, stepper.play.value) == (0, N_STEPS, 0)
    panel = stepper.widget.children[1].children[0]
    assert panel.children[-1] is stepper.play
    assert list(panel.children[:-1]) == list(stepper.controls.values())
