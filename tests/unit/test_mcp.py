"""neuronlab.mcp: McCulloch–Pitts neurons, networks, truth tables, drawing."""

import itertools
import re
from types import MappingProxyType

import numpy as np
import pytest
from matplotlib.axes import Axes

from neuronlab import mcp
from neuronlab.check import ch01
from neuronlab.mcp import ALWAYS_ON, MCPNetwork, MCPNeuron

PAIRS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def table_of(neuron):
    return tuple(neuron({"A": a, "B": b}) for a, b in PAIRS)


def xor_network():
    return MCPNetwork(["A", "B"], {
        "A_not_B": MCPNeuron(1, ["A"], ["B"]),
        "B_not_A": MCPNeuron(1, ["B"], ["A"]),
        "C": MCPNeuron(1, ["A_not_B", "B_not_A"]),
    })


def half_adder():
    return MCPNetwork(["A", "B"], {
        "carry": MCPNeuron(2, ["A", "B"]),
        "A_not_B": MCPNeuron(1, ["A"], ["B"]),
        "B_not_A": MCPNeuron(1, ["B"], ["A"]),
        "sum": MCPNeuron(1, ["A_not_B", "B_not_A"]),
    }, outputs=["sum", "carry"])


# --- MCPNeuron: the firing rule ---------------------------------------------------------------

def test_neuron_fires_when_excitatory_sum_reaches_threshold():
    and_ = MCPNeuron(threshold=2, excitatory=["A", "B"])
    or_ = MCPNeuron(threshold=1, excitatory=["A", "B"])
    assert table_of(and_) == (0, 0, 0, 1)
    assert table_of(or_) == (0, 1, 1, 1)


def test_neuron_threshold_is_at_least_not_more_than():
    assert MCPNeuron(1, ["A"])({"A": 1}) == 1
    assert MCPNeuron(2, ["A"])({"A": 1}) == 0


def test_repeated_synapse_counts_several_times():
    neuron = MCPNeuron(2, ["A", "A", "B"])  # A alone reaches θ=2, B alone does not
    assert table_of(neuron) == (0, 0, 1, 1)
    assert neuron.inputs == ("A", "B")


def test_neuron_with_active_inhibitory_input_never_fires():
    neuron = MCPNeuron(1, ["A", "A", "A", ALWAYS_ON], ["B"])
    for a in (0, 1):
        assert neuron({"A": a, "B": 1}) == 0
    assert neuron({"A": 1, "B": 0}) == 1


def test_always_on_input_is_active_without_being_given():
    not_a = MCPNeuron(1, [ALWAYS_ON], ["A"])
    assert [not_a({"A": a}) for a in (0, 1)] == [1, 0]
    assert not_a.inputs == ("A",)
    assert MCPNeuron(2, [ALWAYS_ON, ALWAYS_ON])({}) == 1


def test_not_needs_the_always_on_input_because_threshold_is_at_least_one():
    with pytest.raises(ValueError, match=r"threshold must be >= 1 .*ALWAYS_ON|threshold must be >= 1"):
        MCPNeuron(0, ["A"], ["B"])
    assert table_of(MCPNeuron(1, [ALWAYS_ON], ["B"])) == (1, 0, 1, 0)  # NOT B


def test_neuron_accepts_bools_and_numpy_bits_and_ignores_extra_names():
    neuron = MCPNeuron(2, ["A", "B"])
    assert neuron({"A": True, "B": np.int64(1), "Z": 7}) == 1


def test_neuron_accepts_a_single_string_as_one_name():
    assert MCPNeuron(1, "AB").excitatory == ("AB",)


@pytest.mark.parametrize(("threshold", "error"), [
    (True, TypeError), (1.0, TypeError), ("1", TypeError), (None, TypeError), (-1, ValueError), (0, ValueError),
])
def test_neuron_rejects_bad_threshold_naming_it(threshold, error):
    with pytest.raises(error, match="threshold"):
        MCPNeuron(threshold, ["A"])


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"excitatory": [1, 2]}, "excitatory"),
    ({"excitatory": ["A", ""]}, "excitatory"),
    ({"excitatory": 5}, "excitatory"),
    ({"inhibitory": [None]}, "inhibitory"),
    ({"inhibitory": 3.0}, "inhibitory"),
])
def test_neuron_rejects_non_string_names_naming_the_argument(kwargs, argument):
    with pytest.raises(TypeError, match=argument):
        MCPNeuron(1, **kwargs)


def test_always_on_cannot_be_inhibitory():
    with pytest.raises(ValueError, match="always-on"):
        MCPNeuron(1, ["A"], [ALWAYS_ON])


def test_neuron_missing_activity_raises_naming_the_input():
    with pytest.raises(ValueError, match="'B'"):
        MCPNeuron(2, ["A", "B"])({"A": 1})


@pytest.mark.parametrize(("value", "fires"), [
    (1, 1), (0, 0), (True, 1), (False, 0), (np.bool_(True), 1), (np.bool_(False), 0),
    (np.int64(1), 1), (np.int8(0), 0), (np.uint8(1), 1), (np.int32(1), 1),
])
def test_neuron_accepts_bools_and_integer_bits_of_any_kind(value, fires):
    result = MCPNeuron(1, ["A"])({"A": value})
    assert result == fires and type(result) is int


@pytest.mark.parametrize("value", [2, -1, np.int64(2), np.uint8(255), 0.5, 1.0, 0.0, np.float64(1.0),
                                   np.float32(0.0), "1", None, [1], np.array([1])])
def test_neuron_rejects_activity_that_is_not_0_or_1_naming_the_input(value):
    with pytest.raises(ValueError, match="^the activity of input 'A' must be 0 or 1 \\(an int or bool\\), got "):
        MCPNeuron(1, ["A"])({"A": value})


def test_neuron_rejects_activity_that_is_not_a_mapping():
    with pytest.raises(TypeError, match="activity"):
        MCPNeuron(1, ["A"])([1])


def test_neuron_is_immutable():
    neuron = MCPNeuron(1, ["A"])
    with pytest.raises(AttributeError):
        neuron.threshold = 2


# --- MCPNetwork -------------------------------------------------------------------------------

def test_xor_network_truth_table():
    network = xor_network()
    assert [network(A=a, B=b) for a, b in PAIRS] == [0, 1, 1, 0]
    assert network.outputs == ("C",)
    assert network.truth_table() == [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]


def test_half_adder_truth_table_with_two_outputs():
    network = half_adder()
    assert network.truth_table() == [
        ((0, 0), (0, 0)), ((0, 1), (1, 0)), ((1, 0), (1, 0)), ((1, 1), (0, 1)),
    ]
    for (a, b), (total, carry) in network.truth_table():
        assert a + b == total + 2 * carry


def test_network_activities_show_every_hidden_neuron():
    state = xor_network().activities(A=1, B=0)
    assert state == {"A": 1, "B": 0, "A_not_B": 1, "B_not_A": 0, "C": 1}


def test_network_with_always_on_builds_not():
    network = MCPNetwork(["A"], {"not": MCPNeuron(1, [ALWAYS_ON], ["A"])})
    assert network.truth_table() == [((0,), 1), ((1,), 0)]


def test_network_three_inputs_in_binary_counting_order():
    network = MCPNetwork(["A", "B", "C"], {"maj": MCPNeuron(2, ["A", "B", "C"])})
    assert [bits for bits, _ in network.truth_table()] == list(itertools.product((0, 1), repeat=3))
    assert [out for _, out in network.truth_table()] == [0, 0, 0, 1, 0, 1, 1, 1]


def test_network_rejects_unknown_source():
    with pytest.raises(ValueError, match="'hidden'.*\\['Z'\\]"):
        MCPNetwork(["A"], {"hidden": MCPNeuron(1, ["Z"])})


def test_network_rejects_source_listed_after_the_neuron():
    with pytest.raises(ValueError, match="'first'"):
        MCPNetwork(["A"], {"first": MCPNeuron(1, ["second"]), "second": MCPNeuron(1, ["A"])})


def test_network_rejects_duplicate_input_names():
    with pytest.raises(ValueError, match="inputs must be distinct"):
        MCPNetwork(["A", "A"], {"n": MCPNeuron(1, ["A"])})


def test_network_rejects_neuron_named_like_an_input():
    with pytest.raises(ValueError, match="'A' is used twice"):
        MCPNetwork(["A", "B"], {"A": MCPNeuron(1, ["B"])})


def test_network_rejects_always_on_as_an_input():
    with pytest.raises(ValueError, match="always-on"):
        MCPNetwork(["A", ALWAYS_ON], {"n": MCPNeuron(1, ["A"])})


def test_network_rejects_neuron_named_like_the_always_on_input():
    # A later neuron reading "1" would get the always-on input, not this neuron.
    with pytest.raises(ValueError, match="always-on"):
        MCPNetwork(["A"], {ALWAYS_ON: MCPNeuron(1, ["A"])})


@pytest.mark.parametrize("neurons", [[MCPNeuron(1, ["A"])], None, MCPNeuron(1, ["A"]), "n",
                                     [("n", MCPNeuron(1, ["A"]))]])
def test_network_rejects_non_mapping_neurons_naming_the_argument(neurons):
    with pytest.raises(TypeError, match="^neurons must be a mapping from name to MCPNeuron, got "):
        MCPNetwork(["A"], neurons)


def test_network_rejects_an_empty_mapping_with_value_error():
    with pytest.raises(ValueError, match="^neurons must hold at least one neuron"):
        MCPNetwork(["A"], {})


@pytest.mark.parametrize("name", [1, None, ("n",), ""])
def test_network_rejects_neuron_names_that_are_not_non_empty_strings(name):
    with pytest.raises(TypeError, match=f"^neuron names must be non-empty strings, got {re.escape(repr(name))}"):
        MCPNetwork(["A"], {name: MCPNeuron(1, ["A"])})


def test_network_accepts_any_mapping_and_keeps_its_order():
    neurons = MappingProxyType({"second": MCPNeuron(1, ["A"]), "first": MCPNeuron(1, ["second"])})
    network = MCPNetwork(["A"], neurons)
    assert list(network.neurons) == ["second", "first"] and network.outputs == ("first",)


def test_network_rejects_non_neuron_values_naming_the_neuron():
    with pytest.raises(TypeError, match="'n'.*MCPNeuron"):
        MCPNetwork(["A"], {"n": lambda a: a})


@pytest.mark.parametrize(("outputs", "error", "pattern"), [
    (["Z"], ValueError, "output 'Z'"),
    (["A"], ValueError, "output 'A'"),  # an input is not a neuron
    (5, TypeError, "outputs"),
    ([3], TypeError, "outputs"),
])
def test_network_rejects_bad_outputs(outputs, error, pattern):
    with pytest.raises(error, match=pattern):
        MCPNetwork(["A"], {"n": MCPNeuron(1, ["A"])}, outputs=outputs)


@pytest.mark.parametrize("given", [{"A": 1}, {"A": 1, "B": 0, "C": 1}, {"A": 1, "C": 0}])
def test_network_call_requires_exactly_its_inputs(given):
    with pytest.raises(ValueError, match="give exactly the inputs"):
        xor_network()(**given)


@pytest.mark.parametrize("value", [3, 1.0, np.float64(1.0), np.float64(0.0), "0"])
def test_network_call_rejects_non_bit_input_naming_it(value):
    with pytest.raises(ValueError, match="^the activity of input 'B' must be 0 or 1"):
        xor_network()(A=1, B=value)


def test_network_call_accepts_numpy_bits_and_bools():
    network = xor_network()
    assert network(A=np.bool_(True), B=np.int64(0)) == 1
    assert network(A=True, B=np.uint8(1)) == 0


def test_network_repr_lists_inputs_neurons_outputs():
    assert repr(half_adder()) == ("MCPNetwork(inputs=['A', 'B'], neurons=['carry', 'A_not_B', 'B_not_A', 'sum'], "
                                  "outputs=['sum', 'carry'])")


# --- truth_table ------------------------------------------------------------------------------

def test_truth_table_rows_are_in_binary_counting_order():
    rows = mcp.truth_table(lambda a, b: a and not b, 2)
    assert [bits for bits, _ in rows] == PAIRS
    assert [bool(out) for _, out in rows] == [False, False, True, False]


def test_truth_table_with_zero_inputs_has_one_row():
    assert mcp.truth_table(lambda: 1, 0) == [((), 1)]


@pytest.mark.parametrize(("n_inputs", "error"), [
    (-1, ValueError), (11, ValueError), (2.0, TypeError), (True, TypeError), ("2", TypeError),
])
def test_truth_table_rejects_bad_n_inputs_naming_it(n_inputs, error):
    with pytest.raises(error, match="n_inputs"):
        mcp.truth_table(lambda *bits: 0, n_inputs)


def test_truth_table_rejects_non_callable():
    with pytest.raises(TypeError, match="function must be callable"):
        mcp.truth_table([0, 1], 1)


# --- name_two_input_function ------------------------------------------------------------------

def test_all_sixteen_two_input_functions_have_distinct_names():
    names = {mcp.name_two_input_function(outputs) for outputs in itertools.product((0, 1), repeat=4)}
    assert len(names) == 16
    assert {"A AND B", "A OR B", "XOR", "XNOR", "NAND", "NOR", "NOT A", "always 0", "always 1"} <= names


@pytest.mark.parametrize(("outputs", "name"), [
    ([0, 1, 1, 0], "XOR"), ((0, 0, 1, 1), "A"), ([0, 1, 0, 1], "B"), ([0, 0, 1, 0], "A AND NOT B"),
    (np.array([1, 1, 1, 0]), "NAND"), ([True, False, False, False], "NOR"),
])
def test_name_two_input_function_names_known_tables(outputs, name):
    assert mcp.name_two_input_function(outputs) == name


@pytest.mark.parametrize("outputs", [[0, 1, 1], [0, 1, 1, 0, 1], []])
def test_name_two_input_function_rejects_wrong_length(outputs):
    with pytest.raises(ValueError, match="outputs must hold exactly 4 values"):
        mcp.name_two_input_function(outputs)


def test_name_two_input_function_rejects_non_sequence():
    with pytest.raises(TypeError, match="outputs"):
        mcp.name_two_input_function(6)


@pytest.mark.parametrize(("outputs", "index"), [
    ([0, 2, 1, 0], 1), ([0, 1, 2, 0], 2), ([-1, 0, 0, 0], 0), ([0, 1, 1, 1.0], 3), ((0, np.float64(1.0), 1, 0), 1),
    ([0, 1, "1", 0], 2), ([None, 0, 0, 0], 0),
])
def test_name_two_input_function_rejects_values_other_than_0_or_1_naming_the_position(outputs, index):
    with pytest.raises(ValueError, match=f"^outputs\\[{index}\\] must be 0 or 1 \\(an int or bool\\), got "):
        mcp.name_two_input_function(outputs)


def test_name_two_input_function_accepts_numpy_bits_and_bools():
    assert mcp.name_two_input_function([np.bool_(False), np.int8(1), True, np.uint8(0)]) == "XOR"


# --- draw_network -----------------------------------------------------------------------------

def test_draw_network_returns_axes_with_a_title():
    ax = mcp.draw_network(half_adder(), title="half adder")
    assert isinstance(ax, Axes)
    assert ax.get_title() == "half adder"
    assert len(ax.patches) >= 6  # two inputs and four neurons


def test_draw_network_draws_into_given_axes_with_always_on_and_repeats():
    import matplotlib.pyplot as plt

    _, given = plt.subplots()
    network = MCPNetwork(["A", "B"], {"n": MCPNeuron(2, ["A", "A", ALWAYS_ON], ["B"])})
    assert mcp.draw_network(network, given) is given
    texts = [t.get_text() for t in given.texts]
    assert "θ=2" in texts and "×2" in texts and "1" in texts


def test_draw_network_rejects_non_network():
    with pytest.raises(TypeError, match="network must be an MCPNetwork"):
        mcp.draw_network(MCPNeuron(1, ["A"]))


def test_draw_network_rejects_non_axes():
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        mcp.draw_network(xor_network(), ax="left")


# --- what one neuron can and cannot do --------------------------------------------------------

def _one_neuron_shape(table):
    """True if, for each input, the output either never drops when it switches on (excitatory or
    unconnected) or is 0 whenever it is on (inhibitory: the absolute veto)."""
    out = dict(zip(PAIRS, table))
    for position in (0, 1):
        def flip(bits, value):
            return tuple(value if i == position else b for i, b in enumerate(bits))
        off_rows = [bits for bits in PAIRS if bits[position] == 0]
        non_decreasing = all(out[flip(b, 0)] <= out[flip(b, 1)] for b in off_rows)
        vetoing = all(out[flip(b, 1)] == 0 for b in off_rows)
        if not (non_decreasing or vetoing):
            return False
    return True


def brute_force_tables(max_synapses):
    """Every table one MCPNeuron on A, B (and up to ``max_synapses`` always-on synapses) reaches,
    with each input unconnected, excitatory up to ``max_synapses`` times, or inhibitory."""
    roles = [("exc", k) for k in range(max_synapses + 1)] + [("inh", 1)]
    tables = {}
    for (ra, ka), (rb, kb), k_on in itertools.product(roles, roles, range(max_synapses + 1)):
        excitatory = ["A"] * (ka if ra == "exc" else 0) + ["B"] * (kb if rb == "exc" else 0) + [ALWAYS_ON] * k_on
        inhibitory = [n for n, r in (("A", ra), ("B", rb)) if r == "inh"]
        for theta in range(1, 3 * max_synapses + 2):
            neuron = MCPNeuron(theta, excitatory, inhibitory)
            tables.setdefault(table_of(neuron), neuron)
    return tables


@pytest.mark.parametrize("max_synapses", [1, 2, 4])
def test_every_table_one_neuron_reaches_is_monotone_or_vetoed_in_each_input(max_synapses):
    reachable = brute_force_tables(max_synapses)
    for table, neuron in reachable.items():
        assert _one_neuron_shape(table), mcp.name_two_input_function(table)
    # ...and every table of that shape is reached: the shape is exactly what one neuron can do.
    shaped = {t for t in itertools.product((0, 1), repeat=4) if _one_neuron_shape(t)}
    assert set(reachable) == shaped
    names = {mcp.name_two_input_function(t) for t in reachable}
    assert not names & {"XOR", "XNOR", "NAND"}
    unreachable = {mcp.name_two_input_function(t) for t in itertools.product((0, 1), repeat=4)} - names
    assert unreachable == {"XOR", "XNOR", "NAND", "A OR NOT B", "B OR NOT A"}


@pytest.mark.parametrize("max_synapses", [1, 2, 3])
def test_one_neuron_reaches_exactly_the_checks_eleven_tables(max_synapses):
    assert set(brute_force_tables(max_synapses)) == ch01._ONE_NEURON_TABLES
    assert len(ch01._ONE_NEURON_TABLES) == 11
    for impossible in [(0, 1, 1, 0), (1, 0, 0, 1), (1, 1, 1, 0)]:  # XOR, XNOR, NAND
        assert impossible not in ch01._ONE_NEURON_TABLES
