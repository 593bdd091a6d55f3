"""neuronlab.check and neuronlab.check.ch01: a ✔ line when right, a helpful CheckFailed when wrong."""

import itertools
import re

import numpy as np
import pytest

from neuronlab import check
from neuronlab.check import CheckFailed, Verbatim, ch01
from neuronlab.check.ch01 import PATTERNS
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


def test_expect_function_table_shows_a_crash_in_one_line_and_names_a_missing_return():
    def crashing(a):
        raise ValueError("bad value\n  File \"x.py\", line 1\nthe real reason")

    with pytest.raises(CheckFailed) as info:
        check.expect_function_table(crashing, [((1,), 1)], what="f", hint="look")
    assert info.value.got == "ValueError: the real reason" and isinstance(info.value.got, Verbatim)
    assert "'ValueError" not in str(info.value) and "File " not in str(info.value)
    with pytest.raises(CheckFailed) as info:
        check.expect_function_table(lambda a: None, [((1,), 1)], what="f", hint="look")
    assert info.value.hint == check.RETURN_HINT


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


def test_check_failed_shows_verbatim_values_without_quotes_and_others_with_repr():
    error = CheckFailed("your network", None, check.Verbatim("an MCPNetwork"), "function", "build it")
    assert str(error) == ("✘ your network:\n    expected an MCPNetwork\n    got      'function'\n"
                          "  Hint: build it")
    assert isinstance(check.Verbatim("x"), str)


def test_check_failed_without_hint_has_no_hint_line():
    assert "Hint" not in str(CheckFailed("x", "y", 1, 2))


@pytest.mark.parametrize("row_hint", [(), ("a row's own hint",)])
def test_expect_function_table_function_returning_none_gets_the_missing_return_hint(row_hint):
    def forgot_return(a):
        a + 1

    with pytest.raises(CheckFailed) as info:
        check.expect_function_table(forgot_return, [((1,), 2, *row_hint)], what="inc", hint="general")
    assert_helpful(info.value, "inc", "arguments (1,)", "got      None",
                   "it returned None: did you forget a `return` statement?")
    assert "general" not in str(info.value) and "own hint" not in str(info.value)


def test_expect_function_table_none_is_fine_when_none_is_expected(capsys):
    check.expect_function_table(lambda a: None, [((1,), None)], what="nothing")
    assert_one_tick_line(capsys)


def test_expect_function_table_wrong_non_none_answer_keeps_the_given_hint():
    with pytest.raises(CheckFailed) as info:
        check.expect_function_table(lambda a: 0, [((1,), 2)], what="inc", hint="add one")
    assert_helpful(info.value, "add one")
    assert "return" not in str(info.value)


# --- ch01.mcp_neuron: a NumPy batch neuron ----------------------------------------------------

def batch_neuron(excitatory, inhibitory, threshold):
    """The right answer: one 0/1 output per row (input pattern)."""
    vetoed = np.any(inhibitory, axis=1)
    reaches = np.sum(excitatory, axis=1) >= threshold
    return (reaches & ~vetoed).astype(int)


def row_by_row_neuron(excitatory, inhibitory, threshold):
    """Also right: a Python loop over the rows, returning a list."""
    return [0 if any(inh) else int(sum(exc) >= threshold) for exc, inh in zip(excitatory, inhibitory)]


FIRST_CASE = "excitatory=[[0, 0], [0, 1], [1, 0], [1, 1]], inhibitory=[[], [], [], []], threshold=2"
VETO_CASE = "excitatory=[[1, 1], [1, 1]], inhibitory=[[1], [0]], threshold=1"
EMPTY_CASE = "excitatory=[[], []], inhibitory=[[0], [1]], threshold=1"


@pytest.mark.parametrize("function", [
    batch_neuron,
    row_by_row_neuron,
    lambda e, i, t: (np.sum(e, axis=1) >= t) & ~np.any(i, axis=1),  # bools are fine
    lambda e, i, t: np.where(np.any(i, axis=1), 0.0, (np.sum(e, axis=1) >= t) * 1.0),  # so are 0.0/1.0
], ids=["numpy", "loop-list", "bools", "floats"])
def test_mcp_neuron_right_answers_print_one_tick_line(capsys, function):
    ch01.mcp_neuron(function)
    out = capsys.readouterr().out
    assert out.startswith("✔ mcp_neuron is right on all 8 batches") and out.count("\n") == 1


def test_mcp_neuron_gets_fresh_arrays_so_a_neuron_that_writes_into_them_is_judged_fairly(capsys):
    def scribbles(excitatory, inhibitory, threshold):
        out = batch_neuron(excitatory, inhibitory, threshold)
        excitatory[...] = 7
        return out

    ch01.mcp_neuron(scribbles)
    assert_one_tick_line(capsys)


def test_mcp_neuron_ignoring_inhibition_fails_on_the_veto_case():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: (np.sum(e, axis=1) >= t).astype(int))
    assert_helpful(info.value, VETO_CASE, "expected [0, 1]", "got      [1, 1]", "inhibitory input must silence")


def test_mcp_neuron_subtracting_inhibition_fails_on_the_absolute_veto_case():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: (np.sum(e, axis=1) - np.sum(i, axis=1) >= t).astype(int))
    assert_helpful(info.value, VETO_CASE, "must silence")


def test_mcp_neuron_using_greater_than_fails_with_the_at_least_hint():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: ((np.sum(e, axis=1) > t) & ~np.any(i, axis=1)).astype(int))
    assert_helpful(info.value, FIRST_CASE, "expected [0, 0, 0, 1]", "got      [0, 0, 0, 0]", "*at least*",
                   ">=, not >")


def test_mcp_neuron_returning_shape_n_by_1_fails_naming_both_shapes():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: batch_neuron(e, i, t)[:, None])
    assert_helpful(info.value, FIRST_CASE, "expected an array of shape (4,)", "got      shape (4, 1)", "axis=1")
    assert "'an array" not in str(info.value)  # shown verbatim, not as a quoted string


def test_mcp_neuron_reducing_over_the_whole_batch_fails_on_the_shape():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: int(np.sum(e) >= t and not np.any(i)))
    assert_helpful(info.value, FIRST_CASE, "got      shape ()", "axis=1")


def test_mcp_neuron_returning_none_fails_with_the_missing_return_hint():
    def forgot_return(e, i, t):
        batch_neuron(e, i, t)

    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(forgot_return)
    assert_helpful(info.value, FIRST_CASE, "got      None", "did you forget `return`?")


def test_mcp_neuron_that_crashes_is_reported_with_the_exception_and_the_batch():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: ((np.sum(e, axis=1) >= t) & ~(np.max(i, axis=1) > 0)).astype(int))
    assert_helpful(info.value, FIRST_CASE, "ValueError", "zero-size array", "axis=1")
    assert "'ValueError" not in str(info.value)  # the crash is shown verbatim
    assert isinstance(info.value.__cause__, ValueError)


def test_mcp_neuron_that_fires_without_excitatory_synapses_fails_on_the_empty_case():
    def fires_on_nothing(e, i, t):
        return np.ones(len(e), dtype=int) if e.shape[1] == 0 else batch_neuron(e, i, t)

    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(fires_on_nothing)
    assert_helpful(info.value, EMPTY_CASE, "expected [0, 0]", "got      [1, 1]")


def test_mcp_neuron_returning_counts_instead_of_bits_fails():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: np.where(np.any(i, axis=1), 0, np.sum(e, axis=1)))
    assert_helpful(info.value, FIRST_CASE, "got      [0, 1, 1, 2]")


def test_mcp_neuron_returning_non_bits_that_truncate_to_the_right_answer_still_fails():
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: batch_neuron(e, i, t) * 1.5)
    assert_helpful(info.value, FIRST_CASE, "got      [0.0, 0.0, 0.0, 1.5]")


def test_mcp_neuron_returning_a_list_of_none_is_a_check_failed_not_a_crash():
    def helper(row):
        int(sum(row) >= 1)  # forgot `return`

    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(lambda e, i, t: [helper(row) for row in e])
    assert_helpful(info.value, FIRST_CASE, "None")


def test_mcp_neuron_stub_raises_not_implemented_error():
    def stub(e, i, t):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        ch01.mcp_neuron(stub)


@pytest.mark.parametrize("function", [None, 3, "mcp_neuron"])
def test_mcp_neuron_rejects_non_callable_naming_it(function):
    with pytest.raises(TypeError, match="mcp_neuron must be a function"):
        ch01.mcp_neuron(function)


# --- ch01.network and ch01.xor_network: MCPNetwork gates --------------------------------------

def net(**neurons):
    return MCPNetwork(["A", "B"], neurons)


RIGHT_NETWORKS = {
    "AND": lambda: net(AND=MCPNeuron(2, ["A", "B"])),
    "OR": lambda: net(OR=MCPNeuron(1, ["A", "B"])),
    "NAND": lambda: net(AND=MCPNeuron(2, ["A", "B"]), NAND=MCPNeuron(1, [ALWAYS_ON], ["AND"])),
    "NOR": lambda: net(NOR=MCPNeuron(1, [ALWAYS_ON], ["A", "B"])),
    "XOR": lambda: net(OR=MCPNeuron(1, ["A", "B"]), AND=MCPNeuron(2, ["A", "B"]),
                       XOR=MCPNeuron(1, ["OR"], ["AND"])),
    "XNOR": lambda: net(OR=MCPNeuron(1, ["A", "B"]), AND=MCPNeuron(2, ["A", "B"]),
                        XOR=MCPNeuron(1, ["OR"], ["AND"]), XNOR=MCPNeuron(1, [ALWAYS_ON], ["XOR"])),
}

GATE_TABLES = {"AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1), "NAND": (1, 1, 1, 0), "NOR": (1, 0, 0, 0),
               "XOR": (0, 1, 1, 0), "XNOR": (1, 0, 0, 1)}


def chapter_xor():
    """The chapter's XOR: (A AND NOT B) OR (B AND NOT A), no neuron vetoing the output."""
    return net(A_not_B=MCPNeuron(1, ["A"], ["B"]), B_not_A=MCPNeuron(1, ["B"], ["A"]),
               XOR=MCPNeuron(1, ["A_not_B", "B_not_A"]))


@pytest.mark.parametrize("name", sorted(RIGHT_NETWORKS))
def test_right_networks_compute_their_tables(name):
    network = RIGHT_NETWORKS[name]()
    assert tuple(out for _, out in network.truth_table()) == GATE_TABLES[name]


@pytest.mark.parametrize("name", sorted(RIGHT_NETWORKS))
def test_network_right_answer_prints_one_tick_line(capsys, name):
    ch01.network(RIGHT_NETWORKS[name](), name)
    assert capsys.readouterr().out == f"✔ your {name} network matches the truth table on all 4 input rows.\n"


def test_network_nand_that_computes_and_fails_on_a_named_row_with_the_hint(capsys):
    with pytest.raises(CheckFailed) as info:
        ch01.network(RIGHT_NETWORKS["AND"](), "NAND")
    assert_helpful(info.value, "your NAND network", "A=0, B=0", "expected 1", "got      0", "NAND is NOT (A AND B)")
    assert capsys.readouterr().out == ""  # a failed check prints no ✔


@pytest.mark.parametrize("name", sorted(RIGHT_NETWORKS))
def test_network_inverted_answer_fails_with_case_and_hint_for_every_gate(name):
    inverted = RIGHT_NETWORKS[name]()
    last = inverted.outputs[0]
    wrong = MCPNetwork(["A", "B"], {**inverted.neurons, "inverted": MCPNeuron(1, [ALWAYS_ON], [last])})
    with pytest.raises(CheckFailed) as info:
        ch01.network(wrong, name)
    assert_helpful(info.value, f"your {name} network", "A=0, B=0", ch01._GATE_HINTS[name])


def test_network_xor_from_one_neuron_fails_on_the_both_active_row():
    with pytest.raises(CheckFailed) as info:
        ch01.network(RIGHT_NETWORKS["OR"](), "XOR")
    assert_helpful(info.value, "your XOR network", "A=1, B=1", "expected 0", "got      1",
                   "(A OR B) AND NOT (A AND B)")


def plain_nand(a, b):
    return 1 - (a & b)


@pytest.mark.parametrize(("answer", "shown"), [
    (plain_nand, "got      function"),
    (lambda a, b: 1 - (a & b), "got      function"),
    (MCPNeuron(1, [ALWAYS_ON], ["A"]), "got      MCPNeuron"),
    (None, "got      NoneType"),
    ({"AND": MCPNeuron(2, ["A", "B"])}, "got      dict"),
])
def test_network_that_is_not_an_mcp_network_fails_saying_what_it_got(answer, shown):
    with pytest.raises(CheckFailed) as info:
        ch01.network(answer, "NAND")
    assert_helpful(info.value, "your NAND network", "expected an MCPNetwork", shown, "MCPNetwork(['A', 'B']")


@pytest.mark.parametrize(("network", "shown"), [
    (MCPNetwork(["B", "A"], {"AND": MCPNeuron(2, ["A", "B"])}), "inputs ['B', 'A'], outputs ['AND']"),
    (MCPNetwork(["A"], {"NOT": MCPNeuron(1, [ALWAYS_ON], ["A"])}), "inputs ['A'], outputs ['NOT']"),
    (MCPNetwork(["A", "B", "C"], {"AND": MCPNeuron(2, ["A", "B"])}), "inputs ['A', 'B', 'C']"),
    (MCPNetwork(["x", "y"], {"AND": MCPNeuron(2, ["x", "y"])}), "inputs ['x', 'y']"),
    (MCPNetwork(["A", "B"], {"AND": MCPNeuron(2, ["A", "B"]), "NAND": MCPNeuron(1, [ALWAYS_ON], ["AND"])},
                outputs=["NAND", "AND"]), "outputs ['NAND', 'AND']"),
])
def test_network_with_wrong_inputs_or_several_outputs_fails_naming_them(network, shown):
    with pytest.raises(CheckFailed) as info:
        ch01.network(network, "NAND")
    assert_helpful(info.value, "expected inputs ['A', 'B'] and one output neuron", shown, "list the inputs as")


@pytest.mark.parametrize("name", ["nand", "IMPLIES", "", None, "A AND B"])
def test_network_rejects_unknown_gate_name_naming_it(name):
    with pytest.raises(ValueError, match=f"^name must be one of .*got {re.escape(repr(name))}"):
        ch01.network(RIGHT_NETWORKS["AND"](), name)


def test_xor_network_right_answer_prints_one_tick_line(capsys):
    ch01.xor_network(RIGHT_NETWORKS["XOR"]())
    assert_one_tick_line(capsys)


def test_xor_network_chapter_construction_fails_with_the_different_construction_hint():
    network = chapter_xor()
    assert tuple(out for _, out in network.truth_table()) == GATE_TABLES["XOR"]  # right table, wrong build
    with pytest.raises(CheckFailed) as info:
        ch01.xor_network(network)
    assert_helpful(info.value, "your XOR network's hidden neurons", "an A AND B neuron",
                   "got      A AND NOT B, B AND NOT A", "different construction", "(A OR B) AND NOT (A AND B)")


def test_xor_network_that_is_rejected_prints_no_tick(capsys):
    with pytest.raises(CheckFailed):
        ch01.xor_network(chapter_xor())
    assert "✔" not in capsys.readouterr().out


@pytest.mark.parametrize(("network", "case"), [
    (RIGHT_NETWORKS["OR"](), "A=1, B=1"),
    (RIGHT_NETWORKS["XNOR"](), "A=0, B=0"),
    (net(AND=MCPNeuron(2, ["A", "B"]), XOR=MCPNeuron(1, ["A", "B"], ["AND", "A"])), "A=1, B=0"),
])
def test_xor_network_with_the_wrong_table_fails_on_the_table_first(network, case):
    with pytest.raises(CheckFailed) as info:
        ch01.xor_network(network)
    assert_helpful(info.value, "your XOR network", case, "(A OR B) AND NOT (A AND B)")


def test_xor_network_rejects_a_plain_function():
    with pytest.raises(CheckFailed) as info:
        ch01.xor_network(lambda a, b: a ^ b)
    assert_helpful(info.value, "expected an MCPNetwork", "got      function")


# --- ch01.single_neuron_search ----------------------------------------------------------------

def neuron_search(max_synapses, *, inhibitory=True, order=PATTERNS):
    """A learner's exhaustive search over one MCPNeuron, optionally forgetting the inhibitory role
    or listing each table's rows in another ``order``."""
    roles = [("exc", k) for k in range(max_synapses + 1)] + ([("inh", 1)] if inhibitory else [])
    tables = set()
    for (ra, ka), (rb, kb), k_on in itertools.product(roles, roles, range(max_synapses + 1)):
        excitatory = ["A"] * (ka if ra == "exc" else 0) + ["B"] * (kb if rb == "exc" else 0) + [ALWAYS_ON] * k_on
        inh = [n for n, r in (("A", ra), ("B", rb)) if r == "inh"]
        for theta in range(1, 3 * max_synapses + 2):
            neuron = MCPNeuron(theta, excitatory, inh)
            tables.add(tuple(neuron({"A": a, "B": b}) for a, b in order))
    return tables


@pytest.mark.parametrize("max_synapses", [1, 2, 3])
def test_one_neuron_tables_are_what_a_brute_force_over_mcp_neurons_reaches(max_synapses):
    reached = neuron_search(max_synapses)
    assert reached == ch01._ONE_NEURON_TABLES
    assert len(ch01._ONE_NEURON_TABLES) == 11
    assert not {(0, 1, 1, 0), (1, 0, 0, 1), (1, 1, 1, 0)} & reached  # XOR, XNOR, NAND


def test_single_neuron_search_without_the_always_on_input_fails_and_says_so():
    roles = [("exc", k) for k in range(3)] + [("inh", 1)]
    tables = set()
    for (ra, ka), (rb, kb) in itertools.product(roles, roles):
        excitatory = ["A"] * (ka if ra == "exc" else 0) + ["B"] * (kb if rb == "exc" else 0)
        inh = [n for n, r in (("A", ra), ("B", rb)) if r == "inh"]
        for theta in range(1, 8):
            tables.add(tuple(MCPNeuron(theta, excitatory, inh)({"A": a, "B": b}) for a, b in PATTERNS))
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(tables, 2)
    assert_helpful(info.value, "7 tables", "NOT A", "always-on")


@pytest.mark.parametrize("max_synapses", [1, 2, 3])
def test_single_neuron_search_right_answer_prints_one_tick_line(capsys, max_synapses):
    ch01.single_neuron_search(neuron_search(max_synapses), max_synapses)
    out = capsys.readouterr().out
    assert out.startswith("✔ your search reaches exactly the 11 truth tables") and out.count("\n") == 1


@pytest.mark.parametrize("convert", [
    lambda ts: {tuple(np.int64(v) for v in t) for t in ts},
    lambda ts: {tuple(bool(v) for v in t) for t in ts},
    lambda ts: frozenset(ts),
], ids=["np-int64", "bools", "frozenset"])
def test_single_neuron_search_accepts_sets_of_tables_in_any_number_type(capsys, convert):
    ch01.single_neuron_search(convert(neuron_search(2)), 2)
    assert_one_tick_line(capsys)


@pytest.mark.parametrize("convert", [
    lambda ts: [tuple(t) for t in ts],
    lambda ts: list(ts) + list(ts),  # duplicates would inflate the count printed next
    lambda ts: iter(ts),
    lambda ts: "{(0, 0, 0, 1)}",
], ids=["list", "duplicates", "iterator", "string"])
def test_single_neuron_search_insists_on_a_set(convert):
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(convert(neuron_search(2)), 2)
    assert_helpful(info.value, "a set of 4-tuples", "into a set()")


def test_single_neuron_search_missing_inhibitory_roles_names_the_missing_tables(capsys):
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(neuron_search(2, inhibitory=False), 2)
    assert_helpful(info.value, "your exhaustive search", "max_synapses=2", "expected 11 tables",
                   "got      6 tables; missing: A AND NOT B, B AND NOT A, NOR, NOT A, NOT B; not possible: none",
                   "inhibitory too")
    assert capsys.readouterr().out == ""


def test_single_neuron_search_claiming_xor_says_one_neuron_cannot():
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(neuron_search(2) | {(0, 1, 1, 0)}, 2)
    assert_helpful(info.value, "max_synapses=2", "12 tables; missing: none; not possible: XOR", "cannot compute")


def test_single_neuron_search_reports_missing_and_impossible_tables_together():
    reached = neuron_search(1, inhibitory=False) | {(0, 1, 1, 0), (1, 1, 1, 0)}
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(reached, 1)
    assert_helpful(info.value, "max_synapses=1",
                   "missing: A AND NOT B, B AND NOT A, NOR, NOT A, NOT B; not possible: NAND, XOR")


def test_single_neuron_search_with_rows_swapped_reaches_the_same_set_and_passes(capsys):
    # Listing (0,1) and (1,0) the other way round swaps A and B in every table, and the set of
    # one-neuron tables is symmetric in A and B: the learner's set is right as a set.
    swapped = neuron_search(2, order=[(0, 0), (1, 0), (0, 1), (1, 1)])
    assert swapped == ch01._ONE_NEURON_TABLES
    ch01.single_neuron_search(swapped, 2)
    assert_one_tick_line(capsys)


def test_single_neuron_search_with_rows_in_reverse_order_gets_the_order_hint():
    reversed_rows = neuron_search(2, order=PATTERNS[::-1])
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(reversed_rows, 2)
    assert_helpful(info.value, "max_synapses=2", "(0,0), (0,1), (1,0), (1,1)")


def test_single_neuron_search_with_rows_in_reverse_order_fails_naming_the_mismatch():
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(neuron_search(2, order=PATTERNS[::-1]), 2)
    assert_helpful(info.value, "max_synapses=2", "missing: A OR B; not possible: NAND")


def test_single_neuron_search_returning_none_fails_with_the_missing_return_hint():
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(None, 2)
    assert_helpful(info.value, "max_synapses=2", "expected a set of 4-tuples", "got      None",
                   "did you forget `return`?")


@pytest.mark.parametrize(("reachable", "shown"), [
    (5, "got      int"),
    ({1, 2}, "got      set"),
])
def test_single_neuron_search_with_something_other_than_tables_fails_saying_what_it_got(reachable, shown):
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(reachable, 2)
    assert_helpful(info.value, "max_synapses=2", "4-tuples of 0/1 outputs", shown, "as a tuple")


@pytest.mark.parametrize(("reachable", "shown"), [
    ({(0, "x", 1, 1)}, "also [(0, 'x', 1, 1)]"),
    ({(0, None, 1, 1)}, "also [(0, None, 1, 1)]"),
    ({(0, -1, 1, 1)}, "also [(0, -1, 1, 1)]"),
])
def test_single_neuron_search_with_non_bit_outputs_shows_the_bad_table(reachable, shown):
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(reachable, 2)
    assert_helpful(info.value, "max_synapses=2", "tables of four 0/1 outputs", shown, "one output per input pattern",
                   "your mcp_neuron from exercise 1 may be wrong")


@pytest.mark.parametrize(("extra", "shown"), [
    ((0, 1, 1, 2), "also [(0, 1, 1, 2)]"),
    ((0, -1, 1, 1), "also [(0, -1, 1, 1)]"),
    ((0, 1, 1), "also [(0, 1, 1)]"),
    ((0, 1, 1, 0, 1), "also [(0, 1, 1, 0, 1)]"),
])
def test_single_neuron_search_with_non_bit_or_wrong_length_tables_fails_showing_them(extra, shown):
    with pytest.raises(CheckFailed) as info:
        ch01.single_neuron_search(neuron_search(1) | {extra}, 1)
    assert_helpful(info.value, "max_synapses=1", "expected tables of four 0/1 outputs", shown,
                   "one output per input pattern")


def test_single_neuron_search_with_fractional_outputs_is_not_accepted():
    reached = {tuple(v / 2 if v else v for v in t) for t in neuron_search(1)}  # 1 → 0.5
    reached |= ch01._ONE_NEURON_TABLES
    with pytest.raises(CheckFailed):
        ch01.single_neuron_search(reached, 1)


@pytest.mark.parametrize(("max_synapses", "error"), [
    (0, ValueError), (-1, ValueError), (2.0, TypeError), (True, TypeError), ("2", TypeError), (None, TypeError),
])
def test_single_neuron_search_rejects_bad_max_synapses_naming_it(max_synapses, error):
    with pytest.raises(error, match="^max_synapses must be"):
        ch01.single_neuron_search(neuron_search(1), max_synapses)


def test_mcp_neuron_subtracting_the_veto_fails_when_the_sum_is_below_threshold_too():
    def subtracts(e, i, t):
        return (np.sum(e, axis=1) >= t).astype(int) - np.any(i, axis=1).astype(int)
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(subtracts)
    assert_helpful(info.value, "inhibitory=[[1], [1]]", "every output must be 0 or 1")


@pytest.mark.parametrize(("answer", "hint"), [
    (lambda e, i, t: ((np.sum(e) >= t) & ~np.any(i, axis=1)).astype(int), "fires on a row where fewer than θ"),
    (lambda e, i, t: ((np.sum(e, axis=1) >= t) & ~np.any(i)).astype(int), "stays silent on a row that should fire"),
    (lambda e, i, t: (np.sum(e, axis=1) >= t and not np.any(i, axis=1)), "combine arrays with & and ~"),
], ids=["sum-without-axis", "any-without-axis", "python-and"])
def test_mcp_neuron_hint_follows_the_kind_of_mistake(answer, hint):
    with pytest.raises(CheckFailed) as info:
        ch01.mcp_neuron(answer)
    assert_helpful(info.value, hint)


def test_xor_network_accepts_any_or_and_not_and_construction(capsys):
    nand = MCPNetwork(["A", "B"], {"or": MCPNeuron(1, ["A", "B"]), "and": MCPNeuron(2, ["A", "B"]),
                                   "nand": MCPNeuron(1, [ALWAYS_ON], inhibitory=["and"]),
                                   "XOR": MCPNeuron(2, ["or", "nand"])})
    ch01.xor_network(nand)
    assert_one_tick_line(capsys)


# --- calling a learner's function -----------------------------------------------------------------

def test_call_learner_returns_the_result_and_passes_arguments():
    from neuronlab.check import call_learner

    assert call_learner(lambda a, b=0: a + b, (2,), {"b": 3}, what="your add", case="2 + 3", expected=5,
                        hint=None) == 5


def test_call_learner_reports_a_crash_as_a_failed_case_in_one_line():
    from neuronlab.check import call_learner

    def broken(x):
        raise ValueError("Incompatible shapes: [32,10] vs. [32]\n\t [[{{node Equal}}]]\nDetected at node Equal")

    with pytest.raises(CheckFailed) as failure:
        call_learner(broken, (1,), what="your model", case="a batch of 32", expected=Verbatim("a loss"),
                     hint="look at the labels' shape")
    message = str(failure.value)
    assert "your model, for a batch of 32" in message and "ValueError: Incompatible shapes: [32,10] vs. [32]" in message
    assert "node" not in message and "Hint: look at the labels' shape" in message
    assert isinstance(failure.value.__cause__, ValueError)


def test_call_learner_names_a_missing_return_and_lets_an_unfinished_stub_through():
    from neuronlab.check import RETURN_HINT, call_learner

    with pytest.raises(CheckFailed, match="forget a `return`") as failure:
        call_learner(lambda: None, what="your function", case=None, expected=1, hint="unused")
    assert failure.value.hint == RETURN_HINT

    def stub():
        raise NotImplementedError("write your code here")

    with pytest.raises(NotImplementedError):
        call_learner(stub, what="your function", case=None, expected=1, hint=None)


def test_call_learner_can_say_what_a_missing_return_should_have_given():
    from neuronlab.check import RETURN_HINT, call_learner

    with pytest.raises(CheckFailed) as failure:
        call_learner(lambda: None, what="your function", case=None, expected=Verbatim("(a, b)"), hint="unused",
                     expected_if_none=Verbatim("a tuple (a, b)"))
    assert failure.value.expected == "a tuple (a, b)" and failure.value.hint == RETURN_HINT

    def broken():
        raise KeyError("a")

    with pytest.raises(CheckFailed) as failure:
        call_learner(broken, what="your function", case=None, expected=Verbatim("(a, b)"), hint="look",
                     expected_if_none=Verbatim("a tuple (a, b)"))
    assert failure.value.expected == "(a, b)" and failure.value.hint == "look"


def test_array_text_rounds_indents_and_summarises_like_numpy():
    from neuronlab.check import array_text

    text = array_text([[1 / 3, 2.0], [3.0, 4.123456]])
    assert isinstance(text, Verbatim)
    assert text == "[[0.3333, 2.    ],\n              [3.    , 4.1235]]"
    assert array_text([[1.0], [2.0]], indent=False) == "[[1.],\n [2.]]"
    assert "..." in array_text(np.arange(30), threshold=20) and "..." not in array_text(np.arange(30))
    assert "..." in array_text(np.arange(1001))


def test_loss_name_reads_strings_functions_objects_and_classes():
    from neuronlab.check import loss_name

    class SparseCategoricalCrossentropy:
        pass

    class Named:
        name = "mean_squared_error"

    def sparse_categorical_crossentropy(y, p):
        return 0

    assert loss_name("Sparse_Categorical_Crossentropy") == "sparse_categorical_crossentropy"
    assert loss_name(sparse_categorical_crossentropy) == "sparse_categorical_crossentropy"
    assert loss_name(SparseCategoricalCrossentropy) == "sparse_categorical_crossentropy"
    assert loss_name(SparseCategoricalCrossentropy()) == "sparse_categorical_crossentropy"
    assert loss_name(Named()) == "mean_squared_error"
    assert loss_name(["mse", "mae"]) == loss_name({"a": "mse"}) == "several losses"


def test_error_summary_shortens_a_long_message():
    from neuronlab.check import error_summary

    assert error_summary(KeyError("x" * 300), limit=10) == "KeyError: 'xxxxxxxxx…"
    assert error_summary(RuntimeError()) == "RuntimeError: "


def test_a_long_tick_message_wraps_at_the_code_width_and_keeps_its_own_line_breaks(capsys):
    words = " ".join(f"word{i}" for i in range(40))
    check.passed(f"{words}\n    an indented line of its own")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("✔ word0") and all(len(line) <= check.MESSAGE_WIDTH for line in lines), lines
    assert all(line.startswith("  ") for line in lines[1:]), lines
    assert lines[-1] == "    an indented line of its own"
    assert " ".join(line.strip() for line in lines[:-1]) == f"✔ {words}"
