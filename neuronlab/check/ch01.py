"""Self-checks for chapter 01's exercises (logic-gate neurons)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from neuronlab import mcp
from neuronlab.check import CheckFailed, Verbatim, _require_callable, passed

PATTERNS = ((0, 0), (0, 1), (1, 0), (1, 1))
"""The rows of a two-input truth table, in the order every table in these exercises uses."""

_GATES = {
    "AND": lambda a, b: a & b,
    "OR": lambda a, b: a | b,
    "NAND": lambda a, b: 1 - (a & b),
    "NOR": lambda a, b: 1 - (a | b),
    "XOR": lambda a, b: a ^ b,
    "XNOR": lambda a, b: 1 - (a ^ b),
}

# Hints point the way without handing over the network.
_GATE_HINTS = {
    "AND": "AND needs both inputs: how high must the threshold be?",
    "OR": "OR needs either input: how low can the threshold be?",
    "NAND": "NAND is NOT (A AND B). Compute A AND B in one neuron, then invert it with a second neuron "
            "(what is always active, and what could veto it?).",
    "NOR": "NOR is 1 only when no input is active. Which input is always active, and what can veto it?",
    "XOR": "Build XOR as (A OR B) AND NOT (A AND B): what must the output neuron listen to, and what must "
           "veto it?",
    "XNOR": "XNOR is 1 when both inputs agree: NOT XOR.",
}

# Every truth table one McCulloch–Pitts neuron with inputs A, B (and the always-on input) can
# produce, for any number of synapses >= 1: the exercise's answer set, kept as data so that
# the checking code does not spell out the search.
_ONE_NEURON_TABLES = frozenset({
    (0, 0, 0, 0), (1, 1, 1, 1), (0, 0, 0, 1), (0, 1, 1, 1), (1, 0, 0, 0), (0, 0, 1, 1),
    (0, 1, 0, 1), (1, 1, 0, 0), (1, 0, 1, 0), (0, 0, 1, 0), (0, 1, 0, 0),
})


def _is_bit(value) -> bool:
    """0 or 1 as a number (1, True, 1.0 and np.int64(1) all count; 0.5 and "1" do not)."""
    return isinstance(value, (int, float, np.integer, np.floating, np.bool_)) and value in (0, 1)


def _table(*rows):
    return np.array(rows, dtype=int).reshape(len(rows), -1)


def _no_columns(n):
    return np.zeros((n, 0), dtype=int)


def mcp_neuron(function: Callable) -> None:
    """Check ``function(excitatory, inhibitory, threshold)`` on batches of input patterns.

    ``excitatory`` has shape (n_patterns, n_excitatory) and ``inhibitory`` shape
    (n_patterns, n_inhibitory), either possibly with no columns; the answer must be
    an array of n_patterns 0/1 outputs.
    """
    _require_callable(function, "mcp_neuron")
    cases = [
        (_table((0, 0), (0, 1), (1, 0), (1, 1)), _no_columns(4), 2, [0, 0, 0, 1]),
        (_table((1, 1), (1, 0), (0, 0)), _no_columns(3), 1, [1, 1, 0]),
        (_table((1, 1), (1, 1)), _table(1, 0), 1, [0, 1]),
        (_table((1, 1, 1), (1, 1, 0)), _table((0, 1), (0, 0)), 2, [0, 1]),
        (_table((0, 0), (1, 1)), _table(1, 1), 1, [0, 0]),
        (_no_columns(2), _table(0, 1), 1, [0, 0]),  # no excitatory synapse: a sum of 0 never reaches θ
        (_table((1, 1, 1), (1, 1, 1)), _table(0, 1), 3, [1, 0]),
        (_table((1, 0, 1)), _table((0, 0)), 2, [1]),
    ]
    for excitatory, inhibitory, threshold, expected in cases:
        case = (f"excitatory={excitatory.tolist()}, inhibitory={inhibitory.tolist()}, threshold={threshold}")
        try:
            result = function(excitatory.copy(), inhibitory.copy(), threshold)
        except NotImplementedError:
            raise
        except Exception as error:
            crash_hint = ("combine arrays with & and ~ (or *, 1 -), not with `and`/`not`, which want single values."
                          if "truth value of an array" in str(error)
                          else "use NumPy reductions over axis=1 (one row per input pattern).")
            raise CheckFailed("mcp_neuron", case, expected, Verbatim(f"{type(error).__name__}: {error}"),
                              crash_hint) from error
        if result is None:
            raise CheckFailed("mcp_neuron", case, expected, None, "it returned None: did you forget `return`?")
        got = np.asarray(result)
        if got.shape != (len(expected),):
            raise CheckFailed("mcp_neuron", case, Verbatim(f"an array of shape ({len(expected)},)"),
                              Verbatim(f"shape {got.shape}"),
                              "return one output per input pattern: reduce each row with axis=1.")
        if not np.isin(got, (0, 1)).all():  # before any arithmetic: the values may be None or text
            raise CheckFailed("mcp_neuron", case, expected, got.tolist(), "every output must be 0 or 1.")
        if not np.array_equal(got.astype(int), expected):
            raise CheckFailed("mcp_neuron", case, expected, got.tolist(),
                              _neuron_hint(got.astype(int), np.array(expected), inhibitory, threshold))
    passed(f"mcp_neuron is right on all {len(cases)} batches, vetoes and empty inputs included.")


def _neuron_hint(got, expected, inhibitory, threshold) -> str:
    """Say which way the answer is wrong, on the first row where it is wrong."""
    row = int(np.flatnonzero(got != expected)[0])
    if expected[row] == 1:
        return ("it stays silent on a row that should fire: reduce each row on its own (axis=1), and fire "
                "when the count of active excitatory inputs is *at least* θ (>=, not >).")
    if np.any(inhibitory[row]):
        return "an active inhibitory input must silence the neuron on its row, whatever the excitatory inputs do."
    return ("it fires on a row where fewer than θ excitatory inputs are active: sum each row on its own "
            "(axis=1) and compare with >= θ.")


def network(net: mcp.MCPNetwork, name: str, *, quiet: bool = False) -> None:
    """Check that ``net`` is an ``MCPNetwork`` with inputs A, B whose one output computes gate ``name``.

    ``quiet=True`` skips the ✔ line (for a larger check that prints its own).
    """
    if name not in _GATES:
        raise ValueError(f"name must be one of {sorted(_GATES)}, got {name!r}")
    what = f"your {name} network"
    if not isinstance(net, mcp.MCPNetwork):
        raise CheckFailed(what, None, Verbatim("an MCPNetwork"), Verbatim(type(net).__name__),
                          "build it from neurons: MCPNetwork(['A', 'B'], {'name': MCPNeuron(...), ...}).")
    if tuple(net.inputs) != ("A", "B") or len(net.outputs) != 1:
        raise CheckFailed(what, None, Verbatim("inputs ['A', 'B'] and one output neuron"),
                          Verbatim(f"inputs {list(net.inputs)}, outputs {list(net.outputs)}"),
                          "list the inputs as ['A', 'B']; the last neuron you list is the output.")
    for a, b in PATTERNS:
        expected, got = _GATES[name](a, b), net(A=a, B=b)
        if got != expected:
            raise CheckFailed(what, f"A={a}, B={b}", expected, got, _GATE_HINTS[name])
    if not quiet:
        passed(f"{what} matches the truth table on all 4 input rows.")


def _hidden_tables(net: mcp.MCPNetwork) -> set[str]:
    """The names of the functions the network's hidden neurons compute."""
    tables = {}
    for a, b in PATTERNS:
        state = net.activities(A=a, B=b)
        for name in net.neurons:
            tables.setdefault(name, []).append(state[name])
    return {mcp.name_two_input_function(t) for n, t in tables.items() if n not in net.outputs}


def xor_network(net: mcp.MCPNetwork) -> None:
    """Check an XOR network built as (A OR B) AND NOT (A AND B), not as the chapter's
    (A AND NOT B) OR (B AND NOT A): it must hold an A AND B neuron and not the two one-sided ones."""
    network(net, "XOR", quiet=True)
    hidden = _hidden_tables(net)
    if "A AND B" not in hidden or {"A AND NOT B", "B AND NOT A"} <= hidden:
        raise CheckFailed("your XOR network's hidden neurons", None,
                          Verbatim("an A AND B neuron (and an A OR B one), as in (A OR B) AND NOT (A AND B)"),
                          Verbatim(", ".join(sorted(hidden)) or "no hidden neuron"),
                          "this exercise asks for a different construction from the chapter's: let one neuron "
                          "compute A OR B, another A AND B, and make the second one veto the output.")
    passed("your XOR network matches all 4 rows, built as (A OR B) AND NOT (A AND B).")


def single_neuron_search(reachable, max_synapses: int) -> None:
    """Check the set of truth tables a learner's exhaustive search reached.

    Parameters
    ----------
    reachable : collection of 4-tuples
        Outputs on (A, B) = (0,0), (0,1), (1,0), (1,1) for every neuron the search tried.
    max_synapses : int >= 1
        The bound the search used.
    """
    if isinstance(max_synapses, bool) or not isinstance(max_synapses, int):
        raise TypeError(f"max_synapses must be an int, got {type(max_synapses).__name__}")
    if max_synapses < 1:
        raise ValueError(f"max_synapses must be >= 1, got {max_synapses}")
    what = "your exhaustive search"
    case = f"max_synapses={max_synapses}"
    if reachable is None:
        raise CheckFailed(what, case, Verbatim("a set of 4-tuples"), None,
                          "it returned None: did you forget `return`?")
    if not isinstance(reachable, (set, frozenset)):
        raise CheckFailed(what, case, Verbatim("a set of 4-tuples of 0/1 outputs, e.g. {(0, 0, 0, 1), ...}"),
                          Verbatim(type(reachable).__name__),
                          "collect each neuron's truth table as a tuple into a set(): a set keeps each table once.")
    try:
        tables = [tuple(table) for table in reachable]
    except TypeError:
        raise CheckFailed(what, case, Verbatim("a set of 4-tuples of 0/1 outputs, e.g. {(0, 0, 0, 1), ...}"),
                          Verbatim(type(reachable).__name__), "collect each neuron's truth table as a tuple.") from None
    bad = [t for t in tables if len(t) != 4 or not all(_is_bit(v) for v in t)]
    if bad:
        raise CheckFailed(what, case, Verbatim("tables of four 0/1 outputs"), Verbatim(f"also {[tuple(t) for t in bad[:3]]}"),
                          "each table lists one output per input pattern (0,0), (0,1), (1,0), (1,1); if the "
                          "values are not 0 or 1, your mcp_neuron from exercise 1 may be wrong.")
    got = {tuple(int(v) for v in table) for table in tables}
    missing, extra = _ONE_NEURON_TABLES - got, got - _ONE_NEURON_TABLES
    if missing or extra:
        if any({tuple(t[i] for i in order) for t in got} == _ONE_NEURON_TABLES
               for order in itertools.permutations(range(4))):
            hint = "list each table's outputs in the order (A, B) = (0,0), (0,1), (1,0), (1,1)."
        elif extra:
            hint = ("one neuron cannot compute the extra ones: check that an active inhibitory input vetoes "
                    "the neuron, and that each synapse counts once.")
        else:
            hint = ("some neurons were never tried: loop over every role of A and of B (inhibitory too), every "
                    "count of always-on synapses (0 included) and every threshold from 1 up.")
            if missing == {t for t in _ONE_NEURON_TABLES if t[0] == 1}:
                hint = ("every table you miss outputs 1 for (A, B) = (0, 0): with θ >= 1 only the always-on "
                        "input can make the neuron fire there. Give it 0, 1, … synapses too.")
        names = lambda tables: ", ".join(sorted(mcp.name_two_input_function(t) for t in tables)) or "none"  # noqa: E731
        raise CheckFailed(what, case, Verbatim(f"{len(_ONE_NEURON_TABLES)} tables"),
                          Verbatim(f"{len(got)} tables; missing: {names(missing)}; not possible: {names(extra)}"), hint)
    passed(f"your search reaches exactly the {len(_ONE_NEURON_TABLES)} truth tables of one neuron; "
           "XOR is not one.")
