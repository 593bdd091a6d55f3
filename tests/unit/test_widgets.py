"""neuronlab.widgets: the explorable base class and chapter 01's gate builder."""

import base64
import itertools
import re

import ipywidgets as widgets
import pytest
from traitlets import TraitError

from neuronlab.mcp import ALWAYS_ON
from neuronlab.widgets import Explorable
from neuronlab.widgets.logic_gates import ROLES, GateBuilder, GateState, gate_state

from widget_helpers import WIDGET_VIEW

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def builder():
    return GateBuilder()


def shown_png(shown):
    """The PNG the live view shows now (the last one displayed)."""
    return shown[-1] if shown else None


# --- gate_state: the pure state ---------------------------------------------------------------

def test_gate_state_default_is_and():
    state = gate_state()
    assert isinstance(state, GateState)
    assert state.name == "A AND B"
    assert state.inputs == ("A", "B")
    assert state.rows == [((0, 0), 0), ((0, 1), 0), ((1, 0), 0), ((1, 1), 1)]


@pytest.mark.parametrize(("controls", "name"), [
    ({"threshold": 1}, "A OR B"),
    ({"always_on": 1, "threshold": 1}, "always 1"),
    ({"threshold": 3}, "always 0"),
    ({"A": "inhibitory", "B": "not connected", "always_on": 1, "threshold": 1}, "NOT A"),
    ({"A": "not connected", "B": "inhibitory", "always_on": 1, "threshold": 1}, "NOT B"),
    ({"A": "inhibitory", "B": "inhibitory", "always_on": 1, "threshold": 1}, "NOR"),
    ({"B": "inhibitory", "threshold": 1}, "A AND NOT B"),
    ({"A": "inhibitory", "threshold": 1}, "B AND NOT A"),
    ({"A": "excitatory ×2", "threshold": 2}, "A"),
    ({"B": "not connected", "threshold": 1}, "A"),
    ({"A": "not connected", "B": "not connected", "always_on": 2, "threshold": 2}, "always 1"),
    ({"A": "not connected", "B": "not connected", "always_on": 1, "threshold": 1}, "always 1"),
])
def test_gate_state_names_the_function(controls, name):
    assert gate_state(**controls).name == name


def test_gate_state_with_inputs_a_and_c_names_use_c():
    state = gate_state(A="excitatory", B="not connected", C="excitatory", threshold=1)
    assert state.inputs == ("A", "C")
    assert state.name == "A OR C"
    assert gate_state(A="excitatory", B="not connected", C="inhibitory", threshold=1).name == "A AND NOT C"
    assert gate_state(A="inhibitory", B="not connected", C="excitatory", threshold=1).name == "C AND NOT A"
    assert gate_state(A="not connected", B="excitatory", C="excitatory", threshold=2).name == "B AND C"


def test_gate_state_three_inputs_and_majority_or():
    three = {"A": "excitatory", "B": "excitatory", "C": "excitatory"}
    assert gate_state(**three, threshold=3).name == "A AND B AND C"
    majority = gate_state(**three, threshold=2)
    assert majority.name == "majority of A, B, C"
    assert [out for _, out in majority.rows] == [0, 0, 0, 1, 0, 1, 1, 1]
    assert len(majority.rows) == 8
    assert gate_state(**three, threshold=1).name == "A OR B OR C"
    assert gate_state(A="excitatory ×2", B="excitatory", C="excitatory", threshold=3).name == \
        "at least 3 of {A×2, B, C}"


@pytest.mark.parametrize(("controls", "name"), [
    ({"B": "inhibitory", "C": "inhibitory", "threshold": 1}, "A AND NOT B AND NOT C"),
    ({"C": "inhibitory", "threshold": 1}, "(A OR B) AND NOT C"),
    ({"C": "inhibitory", "threshold": 2}, "A AND B AND NOT C"),
    ({"A": "excitatory ×2", "C": "inhibitory", "threshold": 2}, "at least 2 of {A×2, B} AND NOT C"),
    ({"A": "excitatory ×2", "B": "excitatory ×2", "C": "inhibitory", "threshold": 2}, "(A OR B) AND NOT C"),
    ({"A": "inhibitory", "C": "excitatory", "threshold": 1}, "(B OR C) AND NOT A"),
    ({"A": "inhibitory", "B": "inhibitory", "C": "inhibitory", "always_on": 1, "threshold": 1},
     "NOT A AND NOT B AND NOT C"),
    ({"C": "inhibitory", "always_on": 1, "threshold": 1}, "NOT C"),
    ({"B": "inhibitory", "C": "inhibitory", "always_on": 2, "threshold": 2}, "NOT B AND NOT C"),
    ({"C": "inhibitory", "always_on": 1, "threshold": 2}, "at least 2 of {always-on, A, B} AND NOT C"),
    ({"C": "inhibitory", "always_on": 1, "threshold": 3}, "A AND B AND NOT C"),  # "always-on AND …" is dropped
    ({"C": "excitatory ×2", "always_on": 1, "threshold": 3}, "at least 3 of {always-on, A, B, C×2}"),
])
def test_gate_state_names_three_input_and_vetoed_neurons_from_the_neuron(controls, name):
    assert gate_state(**controls).name == name


def _as_python(name, inputs):
    """The gate builder's name as a Python expression over the input names (and ``ON``)."""
    two_input = {"NAND": "not ({x} and {y})", "NOR": "not ({x} or {y})", "XOR": "({x} != {y})",
                 "XNOR": "({x} == {y})"}
    if name in two_input:
        return two_input[name].format(x=inputs[0], y=inputs[1])
    name = {"always 0": "False", "always 1": "True"}.get(name, name)
    name = re.sub(r"majority of (\w), (\w), (\w)", r"(\1 + \2 + \3 >= 2)", name)

    def at_least(match):
        terms = []
        for term in match.group(2).split(", "):
            term = term.replace("always-on", "ON")
            term, _, times = term.partition("×")
            terms.append(f"{times or 1} * {term}")
        return f"({' + '.join(terms)} >= {match.group(1)})"

    name = re.sub(r"at least (\d+) of \{([^}]*)\}", at_least, name)
    return name.replace("AND", "and").replace("OR", "or").replace("NOT", "not")


def test_every_gate_builder_name_is_a_true_description_of_its_truth_table():
    # The names are built from the neuron; reading each one back as a formula must give the table.
    settings = itertools.product(ROLES, ROLES, ROLES, range(3), range(1, 7))
    for a, b, c, always_on, threshold in settings:
        state = gate_state(A=a, B=b, C=c, always_on=always_on, threshold=threshold)
        formula = _as_python(state.name, state.inputs)
        for bits, out in state.rows:
            env = dict(zip(state.inputs, bits), ON=1)
            assert int(bool(eval(formula, {}, env))) == out, (state.name, formula, bits)  # noqa: S307
        assert "fires on" not in state.name and "1" not in state.name.replace("always 1", "")


def test_gate_state_builds_the_neuron_the_controls_describe():
    neuron = gate_state(A="excitatory ×2", B="inhibitory", C="excitatory", always_on=2, threshold=4).neuron
    assert sorted(neuron.excitatory) == sorted([ALWAYS_ON, ALWAYS_ON, "A", "A", "C"])
    assert neuron.inhibitory == ("B",)
    assert neuron.threshold == 4


@pytest.mark.parametrize("argument", ["A", "B", "C"])
def test_gate_state_rejects_unknown_role_naming_the_input(argument):
    with pytest.raises(ValueError, match=f"^{argument} must be one of"):
        gate_state(**{argument: "excitatory x3"})


@pytest.mark.parametrize("always_on", [3, -1, 1.0, True, "1"])
def test_gate_state_rejects_bad_always_on(always_on):
    with pytest.raises(ValueError, match="always_on must be 0, 1 or 2"):
        gate_state(always_on=always_on)


@pytest.mark.parametrize(("threshold", "error"), [(-1, ValueError), (1.5, TypeError), (None, TypeError)])
def test_gate_state_rejects_bad_threshold(threshold, error):
    with pytest.raises(error, match="threshold"):
        gate_state(threshold=threshold)


# --- GateBuilder: driving every control -------------------------------------------------------

def test_builder_has_one_control_per_state_argument(builder):
    assert list(builder.controls) == ["A", "B", "C", "always_on", "threshold"]
    assert builder.values() == {"A": "excitatory", "B": "excitatory", "C": "not connected",
                                "always_on": 0, "threshold": 2}
    assert tuple(builder.controls["A"].options) == ROLES
    assert builder.current_state().name == "A AND B"
    assert isinstance(builder.widget, widgets.VBox)


def test_builder_threshold_control_makes_or(builder):
    builder.controls["threshold"].value = 1
    assert builder.current_state().name == "A OR B"


def test_builder_a_b_always_on_threshold_controls_make_not_a(builder):
    builder.controls["A"].value = "inhibitory"
    builder.controls["B"].value = "not connected"
    builder.controls["always_on"].value = 1
    builder.controls["threshold"].value = 1
    state = builder.current_state()
    assert state.name == "NOT A"
    assert state.rows == [((0,), 1), ((1,), 0)]


def test_builder_c_control_adds_a_column(builder):
    builder.controls["B"].value = "not connected"
    builder.controls["C"].value = "excitatory"
    builder.controls["threshold"].value = 1
    assert builder.current_state().inputs == ("A", "C")
    assert builder.current_state().name == "A OR C"


def test_builder_set_three_inputs(builder):
    state = builder.set(C="excitatory", threshold=3)
    assert state.name == "A AND B AND C"
    assert builder.set(threshold=2).name == "majority of A, B, C"


def test_builder_set_returns_the_state_and_moves_the_controls(builder):
    state = builder.set(A="excitatory ×2", B="inhibitory", threshold=2)
    assert state.name == "A AND NOT B"
    assert builder.controls["A"].value == "excitatory ×2"
    assert builder.controls["threshold"].value == 2


def test_builder_set_unknown_control_raises_value_error_naming_it(builder):
    with pytest.raises(ValueError, match="unknown control.*'theta'"):
        builder.set(theta=1)
    assert builder.values()["threshold"] == 2  # nothing changed


def test_builder_sliders_refuse_values_out_of_range(builder):
    builder.controls["always_on"].value = 5  # ipywidgets clamps to the slider's range
    assert builder.controls["always_on"].value == 2
    with pytest.raises(Exception):
        builder.controls["A"].value = "sometimes"


@pytest.mark.parametrize(("controls", "name"), [
    ({"A": "not connected", "B": "not connected", "always_on": 1, "threshold": 1}, "always 1"),
    ({"A": "not connected", "B": "not connected", "always_on": 2, "threshold": 3}, "always 0"),
    ({"A": "excitatory ×2", "B": "excitatory ×2", "C": "excitatory ×2", "always_on": 2, "threshold": 6},
     "majority of A, B, C"),
])
def test_builder_draws_edge_settings(builder, controls, name):
    assert builder.set(**controls).name == name
    assert base64.b64decode(builder.png())[:4] == b"\x89PNG"


def test_control_change_redraws(builder, shown):
    """Speed: ``python -m neuronlab.tools.bench widgets`` ("redraw · gate builder")."""
    before = shown_png(shown)
    assert before is not None
    for name, value in [("threshold", 1), ("A", "inhibitory"), ("C", "excitatory"), ("always_on", 1)]:
        builder.controls[name].value = value
        after = shown_png(shown)
        assert after is not None and after != before, f"{name} did not redraw"
        before = after


def test_redraw_shows_the_current_state(builder, shown):
    builder.set(threshold=1)
    figure = builder.draw(builder.current_state())
    titles = [ax.get_title() for ax in figure.axes]
    assert "computes: A OR B" in titles
    assert shown_png(shown) == builder.png()


def test_mimebundle_holds_widget_view_png_and_a_run_me_text(builder):
    builder.set(threshold=1)
    bundle = builder._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    assert bundle[WIDGET_VIEW]["model_id"] == builder.widget.model_id
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"
    assert bundle["image/png"] != builder.png()  # the page shows small multiples, not one state
    text = bundle["text/plain"]
    assert "run this notebook" in text and "Binder" in text and "Colab" in text
    assert builder.title in text and builder.try_this in text


# --- Explorable: the base class ---------------------------------------------------------------

class Counter(Explorable):
    title = "counter"
    try_this = "Try: count."

    def make_controls(self):
        return {"n": widgets.IntSlider(1, min=0, max=5)}

    def state(self, n):
        return {"n": n, "double": 2 * n}

    def draw(self, state):
        from matplotlib.figure import Figure

        figure = Figure()
        figure.add_subplot().bar(["n"], [state["n"]])
        return figure


def test_explorable_subclass_redraws_on_every_control_change(shown):
    counter = Counter()
    assert counter.current_state() == {"n": 1, "double": 2}
    assert len(shown) == 1  # drawn once when built
    counter.controls["n"].value = 4
    assert counter.current_state() == {"n": 4, "double": 8}
    assert len(shown) == 2 and shown[1] != shown[0]
    counter.controls["n"].value = 4  # no change, no redraw
    assert len(shown) == 2


def test_explorable_set_redraws_once_even_without_a_change(shown):
    counter = Counter()
    assert counter.set(n=1) == {"n": 1, "double": 2}
    assert len(shown) == 2 and shown[1] == shown[0]
    assert counter.set() == {"n": 1, "double": 2}
    assert len(shown) == 3


def test_set_of_several_controls_redraws_exactly_once_showing_the_final_state(builder, shown):
    assert len(shown) == 1  # drawn once when built
    state = builder.set(A="inhibitory", B="not connected", always_on=1, threshold=1)
    assert state.name == "NOT A"
    assert len(shown) == 2
    assert shown[-1] == builder.png()


def test_set_one_control_redraws_once_and_single_control_changes_still_redraw_each(builder, shown):
    builder.set(threshold=1)
    assert len(shown) == 2
    builder.controls["A"].value = "inhibitory"
    builder.controls["threshold"].value = 3
    assert len(shown) == 4


def test_set_unknown_control_draws_nothing(builder, shown):
    with pytest.raises(ValueError, match="unknown control"):
        builder.set(threshold=1, theta=1)
    assert len(shown) == 1 and builder.values()["threshold"] == 2


def test_set_with_a_bad_value_raises_and_leaves_later_changes_redrawing(builder, shown):
    with pytest.raises(TraitError):
        builder.set(A="sometimes")
    assert len(shown) == 2  # the rejected set() still redraws once, showing the unchanged controls
    builder.controls["threshold"].value = 1  # not stuck holding back redraws
    assert len(shown) == 3 and shown[-1] == builder.png()


def test_set_that_fails_half_way_still_shows_the_controls_state(builder, shown):
    with pytest.raises(TraitError):
        builder.set(threshold=1, A="sometimes")
    assert builder.values()["threshold"] == 1
    assert shown[-1] == builder.png()


def test_explorable_base_methods_must_be_provided():
    with pytest.raises(NotImplementedError):
        Explorable()


def test_threshold_slider_starts_at_one_as_in_mcculloch_and_pitts(builder):
    builder.controls["threshold"].value = 0  # ipywidgets clamps to the slider's range
    assert builder.controls["threshold"].value == 1


def test_gate_builder_static_figure_shows_six_settings_and_the_failed_xor(builder):
    figure = builder.static_figure()
    titles = [ax.get_title() for ax in figure.axes]
    assert len(titles) == 6
    assert titles[0] == "A AND B\noutputs 0 0 0 1"
    assert any(t.startswith("NOT A\n") for t in titles) and any(t.startswith("NOR\n") for t in titles)
    assert titles[-1] == "XOR wanted, got A OR B\noutputs 0 1 1 1"
