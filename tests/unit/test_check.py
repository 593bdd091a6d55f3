"""neuronlab.check and neuronlab.check.ch01: a ✔ line when right, a helpful CheckFailed when wrong."""

import itertools

import numpy as np
import pytest

from neuronlab import check
from neuronlab.check import CheckFailed, ch01
from neuronlab.mcp import ALWAYS_ON, MCPNetwork, MCPNeuron


def assert_one_tick_line(capsys):
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith("✔ ")


def assert_helpful(error, *fragments):
    message = str(error)
    assert message.startswith("✘ ")
    for fragment in ("expected", "got", "Hint:", *fragments):
        assert fragment in message, f"{fragment!r} not in:\n{message}"


# --- the primitives ---------------------------------------------------------------------------

def test_check_failed_is_an_assertion_error_carrying_its_parts():
    error = CheckFailed("your AND", "A=1, B=0", 0, 1, "look again")
    assert isinstance(error, AssertionError)
    assert (error.what, error.case, error.expected, error.got, error.hint) == ("your AND", "A=1, B=0", 0, 1, "look again")
    assert str(error) == "✘ your AND, for A=1, B=0:\n    expected 0\n    got      1\n  Hint: look again"


def test_passed_prints_one_tick_line(capsys):
    check.passed("all good")
    assert capsys.readouterr().out == "✔ all good\n"


def test_expect_equal_right_answer_prints_one_tick_line(capsys):
    check.expect_equal(4, 2 + 2, what="2 + 2")
    assert capsys.readouterr().out == "✔ 2 + 2 is 4.\n"


def test_expect_equal_accepts_bool_and_numpy_ints_for_ints(capsys):
    check.expect_equal(1, True, what="x", quiet=True)
    check.expect_equal(1, np.int64(1), what="x", quiet=True)
    assert capsys.readouterr().out == ""


def test_expect_equal_wrong_answer_names_case_expected_got_and_hint():
    with pytest.raises(CheckFailed) as info:
        check.expect_equal(4, 5, what="2 + 2", case="small numbers", hint="count again")
    assert_helpful(info.value, "2 + 2", "small numbers", "4", "5", "count again")


def test_expect_equal_compares_arrays_with_shapes(capsys):
    check.expect_equal(np.array([1, 2]), np.array([1, 2]), what="v")
    assert_one_tick_line(capsys)
    with pytest.raises(CheckFailed):
        check.expect_equal(np.array([1, 2]), np.array([[1, 2]]), what="v")
    with pytest.raises(CheckFailed):
        check.expect_equal(np.array([1, 2]), [1, 3], what="v")


def test_expect_close_within_tolerance_passes(capsys):
    check.expect_close(0.1 + 0.2, 0.3, what="a sum")
    assert_one_tick_line(capsys)


@pytest.mark.parametrize(("got", "shown"), [(0.31, "0.31"), ([0.3, 0.3], "shape (2,)"), ("abc", "'abc'")])
def test_expect_close_wrong_answer_is_check_failed(got, shown):
    with pytest.raises(CheckFailed) as info:
        check.expect_close(0.3, got, what="a sum", case="x=0.1", hint="add them")
    assert "a sum" in str(info.value) and shown in str(info.value) and "got" in str(info.value)


def test_expect_function_table_right_function_prints_one_tick_line(capsys):
    check.expect_function_table(lambda a, b: a + b, [((1, 2), 3), ((0, 0), 0)], what="add")
    out = capsys.readouterr().out
    assert out == "✔ add is right on all 2 cases.\n"


def test_expect_function_table_stops_at_first_wrong_case_with_its_hint():
    rows = [((1, 1), 2), ((2, 2), 4, "two plus two"), ((3, 3), 6)]
    with pytest.raises(CheckFailed) as info:
        check.expect_function_table(lambda a, b: a * b + 1 if a > 1 else a + b, rows, what="add", hint="general")
    assert_helpful(info.value, "arguments (2, 2)", "two plus two")
    assert "general" not in str(info.value)


def test_expect_function_table_reports_a_crash_as_a_failed_case_with_the_exception_name():
    with pytest.raises(CheckFailed) as info:
        check.expect_function_table(lambda a: 1 / a, [((1,), 1.0), ((0,), 0)], what="inverse", hint="divide",
                                    describe=lambda args: f"a={args[0]}")
    assert_helpful(info.value, "a=0", "ZeroDivisionError")
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_expect_function_table_lets_a_stub_not_implemented_error_through_unchanged():
    stub_error = NotImplementedError("fill me in")

    def stub(a):
        raise stub_error

    with pytest.raises(NotImplementedError) as info:
        check.expect_function_table(stub, [((1,), 1)], what="stub")
    assert info.value is stub_error
    assert not isinstance(info.value, CheckFailed)


@pytest.mark.parametrize("function", [None, 3, "and"])
def test_expect_function_table_rejects_non_callable_naming_it(function):
    with pytest.raises(TypeError, match="function must be a function"):
        check.expect_function_table(function, [((1,), 1)], what="x")


# --- ch01.mcp_neuron --------------------------------------------------------------------------

def right_mcp_neuron(excitatory, inhibitory, threshold):
    if any(inhibitory):
        return 0
    return int(sum(excitatory) >= threshold)


def test_mcp_neuron_right_answer_prints_one_tick_line(capsys):
    ch01.mcp_neuron(right_mcp_neuron)
    assert_one_tick_line(capsys)


def test_mcp_neuron_returning_bools_is_right(capsys):
    ch01.mcp_neuron(lambda e, i, t: not any(i) and sum(e) >= t)
    assert_one_tick_line(capsys)


def test_mcp_neuron_ignoring_inhibition_fails_on_the_veto_case():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: int(sum(e) >= t))
    assert_helpful(info.value, "excitatory=[1, 1], inhibitory=[1], threshold=1", "expected 0", "got      1",
                   "inhibitory input silences")


def test_mcp_neuron_subtracting_inhibition_fails_on_the_absolute_veto_case():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: int(sum(e) - sum(i) >= t))
    assert_helpful(info.value, "excitatory=[1, 1], inhibitory=[1], threshold=1", "silences")


def test_mcp_neuron_using_greater_than_fails_with_the_at_least_hint():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: int(not any(i) and sum(e) > t))
    assert_helpful(info.value, "excitatory=[1, 1], inhibitory=[], threshold=2", "expected 1", "got      0",
                   "*at least*", ">=, not >")


def test_mcp_neuron_wrong_only_at_threshold_zero_fails_with_the_theta_zero_hint():
    def no_theta_zero(e, i, t):
        return 0 if t == 0 else right_mcp_neuron(e, i, t)

    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(no_theta_zero)
    assert_helpful(info.value, "excitatory=[], inhibitory=[], threshold=0", "θ=0")


def test_mcp_neuron_that_crashes_on_tuples_is_reported_with_the_exception():
    def lists_only(e, i, t):
        return right_mcp_neuron(e + [], i + [], t)

    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lists_only)
    assert_helpful(info.value, "excitatory=[1, 0, 1], inhibitory=[0, 0], threshold=2", "TypeError", "tuples")


def test_mcp_neuron_stub_raises_not_implemented_error():
    def stub(e, i, t):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        ch01.mcp_neuron(stub)


def test_mcp_neuron_rejects_non_callable():
    with pytest.raises(TypeError, match="mcp_neuron must be a function"):
        ch01.mcp_neuron(None)


# --- ch01.gate --------------------------------------------------------------------------------

def network_function(network):
    return lambda a, b: network(A=a, B=b)


RIGHT_GATES = {
    "AND": network_function(MCPNetwork(["A", "B"], {"and": MCPNeuron(2, ["A", "B"])})),
    "OR": network_function(MCPNetwork(["A", "B"], {"or": MCPNeuron(1, ["A", "B"])})),
    "NAND": network_function(MCPNetwork(["A", "B"], {
        "and": MCPNeuron(2, ["A", "B"]), "nand": MCPNeuron(1, [ALWAYS_ON], ["and"])})),
    "NOR": network_function(MCPNetwork(["A", "B"], {"nor": MCPNeuron(1, [ALWAYS_ON], ["A", "B"])})),
    "XOR": network_function(MCPNetwork(["A", "B"], {
        "a": MCPNeuron(1, ["A"], ["B"]), "b": MCPNeuron(1, ["B"], ["A"]), "xor": MCPNeuron(1, ["a", "b"])})),
    "XNOR": network_function(MCPNetwork(["A", "B"], {
        "a": MCPNeuron(1, ["A"], ["B"]), "b": MCPNeuron(1, ["B"], ["A"]),
        "xnor": MCPNeuron(1, [ALWAYS_ON], ["a", "b"])})),
}


@pytest.mark.parametrize("name", sorted(RIGHT_GATES))
def test_gate_right_network_prints_one_tick_line(capsys, name):
    ch01.gate(RIGHT_GATES[name], name)
    assert_one_tick_line(capsys)


def test_gate_nand_that_is_really_and_fails_on_a_named_row_with_the_hint():
    with pytest.raises(CheckFailed) as info:
        ch01.gate(RIGHT_GATES["AND"], "NAND")
    assert_helpful(info.value, "your NAND network", "A=0, B=0", "expected 1", "got      0", "NOT(A AND B)")


@pytest.mark.parametrize("name", sorted(RIGHT_GATES))
def test_gate_wrong_network_gets_case_expected_got_and_a_hint_for_every_gate(name):
    def inverted(a, b):
        return 1 - RIGHT_GATES[name](a, b)

    with pytest.raises(CheckFailed) as info:
        ch01.gate(inverted, name)
    assert_helpful(info.value, f"your {name} network", "A=0, B=0")


def test_gate_xor_claimed_by_one_neuron_fails_on_a_named_row():
    or_neuron = MCPNeuron(1, ["A", "B"])
    with pytest.raises(CheckFailed) as info:
        ch01.gate(lambda a, b: or_neuron({"A": a, "B": b}), "XOR")
    assert_helpful(info.value, "A=1, B=1", "expected 0", "got      1", "(A AND NOT B) OR (B AND NOT A)")


def test_gate_network_that_crashes_is_reported_with_the_exception_name():
    broken = MCPNetwork(["A", "B"], {"x": MCPNeuron(1, ["A"])})
    with pytest.raises(CheckFailed) as info:
        ch01.gate(lambda a, b: broken(A=a, B=b, C=0), "NOR")
    assert_helpful(info.value, "A=0, B=0", "ValueError")


def test_gate_stub_raises_not_implemented_error():
    def nand(a, b):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        ch01.gate(nand, "NAND")


@pytest.mark.parametrize("name", ["nand", "IMPLIES", "", None])
def test_gate_rejects_unknown_gate_name_naming_it(name):
    with pytest.raises(ValueError, match=f"name must be one of .*got {name!r}"):
        ch01.gate(RIGHT_GATES["AND"], name)


@pytest.mark.parametrize("function", [None, 1, MCPNetwork.__name__])
def test_gate_rejects_non_callable(function):
    with pytest.raises(TypeError, match="must be a function"):
        ch01.gate(function, "AND")


# --- ch01.single_neuron_search ----------------------------------------------------------------

def learner_search(max_synapses, *, inhibitory=True):
    """A learner's exhaustive search, optionally forgetting the inhibitory role."""
    roles = [("exc", k) for k in range(max_synapses + 1)] + ([("inh", 1)] if inhibitory else [])
    tables = set()
    for (ra, ka), (rb, kb), k_on in itertools.product(roles, roles, range(max_synapses + 1)):
        excitatory = ["A"] * (ka if ra == "exc" else 0) + ["B"] * (kb if rb == "exc" else 0) + [ALWAYS_ON] * k_on
        inh = [n for n, r in (("A", ra), ("B", rb)) if r == "inh"]
        for theta in range(3 * max_synapses + 2):
            neuron = MCPNeuron(theta, excitatory, inh)
            tables.add(tuple(neuron({"A": a, "B": b}) for a, b in itertools.product((0, 1), repeat=2)))
    return tables


@pytest.mark.parametrize("max_synapses", [1, 2])
def test_single_neuron_search_right_answer_prints_one_tick_line(capsys, max_synapses):
    ch01.single_neuron_search(learner_search(max_synapses), max_synapses)
    assert_one_tick_line(capsys)


def test_single_neuron_search_accepts_lists_and_numpy_rows(capsys):
    ch01.single_neuron_search([list(np.array(t)) for t in learner_search(2)], 2)
    assert_one_tick_line(capsys)


def test_single_neuron_search_missing_inhibitory_roles_names_the_missing_tables():
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(learner_search(2, inhibitory=False), 2)
    assert_helpful(info.value, "max_synapses=2", "NOR", "A AND NOT B", "NOT A", "without those",
                   "including inhibitory")


def test_single_neuron_search_claiming_xor_says_one_neuron_cannot():
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(learner_search(2) | {(0, 1, 1, 0)}, 2)
    assert_helpful(info.value, "max_synapses=2", "also XOR", "cannot compute")


def test_single_neuron_search_with_non_bit_outputs_is_a_check_failed_not_a_crash():
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(learner_search(1) | {(0, 1, 1, 2)}, 1)
    assert_helpful(info.value, "max_synapses=1", "(0, 1, 1, 2)")


@pytest.mark.parametrize("reachable", [None, 5, [(0, "x", 1, 1)]])
def test_single_neuron_search_rejects_reachable_that_is_not_a_collection_of_tables(reachable):
    with pytest.raises(TypeError, match="reachable must be a collection of 4-tuples"):
        ch01.single_neuron_search(reachable, 2)


@pytest.mark.parametrize(("max_synapses", "error"), [(0, ValueError), (5, ValueError), (2.0, TypeError),
                                                      (True, TypeError)])
def test_single_neuron_search_rejects_bad_max_synapses_naming_it(max_synapses, error):
    with pytest.raises(error, match="max_synapses"):
        ch01.single_neuron_search(learner_search(1), max_synapses)


def test_reference_single_neuron_tables_neurons_compute_their_tables():
    for table, neuron in ch01.reference_single_neuron_tables(2).items():
        assert tuple(neuron({"A": a, "B": b}) for a, b in itertools.product((0, 1), repeat=2)) == table
