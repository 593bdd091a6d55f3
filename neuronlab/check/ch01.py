"""Self-checks for chapter 01's exercises (logic-gate neurons)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from neuronlab import mcp
from neuronlab.check import CheckFailed, _require_callable, expect_function_table, passed

_GATES = {
    "AND": lambda a, b: a & b,
    "OR": lambda a, b: a | b,
    "NAND": lambda a, b: 1 - (a & b),
    "NOR": lambda a, b: 1 - (a | b),
    "XOR": lambda a, b: a ^ b,
    "XNOR": lambda a, b: 1 - (a ^ b),
}

_GATE_HINTS = {
    "AND": "AND fires only when both inputs are 1: one neuron with an excitatory synapse from each input "
           "and a threshold as high as both together.",
    "OR": "OR fires when at least one input is 1: one neuron with an excitatory synapse from each input "
          "and threshold 1.",
    "NAND": "NAND is NOT(A AND B): it is 0 only when both inputs are 1. Try an AND neuron feeding a NOT "
            "(a neuron driven by the always-on input and inhibited by the AND).",
    "NOR": "NOR is 1 only when both inputs are 0: one neuron driven by the always-on input and "
           "inhibited by both A and B is enough.",
    "XOR": "XOR = (A AND NOT B) OR (B AND NOT A): two neurons with one inhibitory input each, "
           "then an OR neuron on top.",
    "XNOR": "XNOR is NOT XOR: it is 1 when both inputs agree. Build the two neurons of XOR, then a neuron "
            "driven by the always-on input and inhibited by both.",
}


def mcp_neuron(function: Callable) -> None:
    """Check ``function(excitatory, inhibitory, threshold) -> 0 or 1``.

    ``excitatory`` and ``inhibitory`` are sequences of 0/1 activities, one per synapse.
    """
    _require_callable(function, "mcp_neuron")
    veto = "any active inhibitory input silences the neuron, however many excitatory inputs are active."
    at_least = "the neuron fires when the number of active excitatory inputs is *at least* θ (>=, not >)."
    cases = [
        (([1, 1], [], 2), 1, at_least),
        (([1, 0], [], 2), 0, "one active input out of two does not reach θ=2."),
        (([1, 1, 1], [0], 3), 1, at_least),
        (([1, 1], [1], 1), 0, veto),
        (([1, 1, 1], [0, 1], 2), 0, veto),
        (([0, 0], [0], 1), 0, "nothing is active, so nothing reaches θ=1."),
        (([], [], 0), 1, "with θ=0 the neuron fires even with no input at all (the sum 0 is >= 0)."),
        (([0], [0], 0), 1, "with θ=0 and no active inhibitory input, the neuron fires."),
        (([1], [], 1), 1, at_least),
        (((1, 0, 1), (0, 0), 2), 1, "inputs may come as tuples too: sum them, don't compare the containers."),
    ]
    expect_function_table(function, cases, what="mcp_neuron",
                          describe=lambda a: f"excitatory={list(a[0])}, inhibitory={list(a[1])}, threshold={a[2]}",
                          success=f"mcp_neuron is right on all {len(cases)} cases, including inhibition and θ=0.")


def gate(function: Callable[[int, int], int], name: str) -> None:
    """Check a two-input network ``function(a, b)`` against the gate ``name`` (AND, OR, NAND, NOR, XOR, XNOR)."""
    if name not in _GATES:
        raise ValueError(f"name must be one of {sorted(_GATES)}, got {name!r}")
    _require_callable(function, name.lower())
    rows = [((a, b), _GATES[name](a, b)) for a, b in itertools.product((0, 1), repeat=2)]
    expect_function_table(function, rows, what=f"your {name} network", hint=_GATE_HINTS.get(name),
                          describe=lambda ab: f"A={ab[0]}, B={ab[1]}",
                          success=f"your {name} network matches the truth table on all 4 input rows.")


def reference_single_neuron_tables(max_synapses: int) -> dict[tuple[int, ...], mcp.MCPNeuron]:
    """Every truth table one MCP neuron with inputs A, B reaches, with one neuron that does.

    The search space: A and B each have 0..``max_synapses`` excitatory synapses or one
    inhibitory synapse; the always-on input has 0..``max_synapses`` synapses; the
    threshold runs from 0 to one more than the largest possible excitatory sum.
    """
    if isinstance(max_synapses, bool) or not isinstance(max_synapses, int):
        raise TypeError(f"max_synapses must be an int, got {type(max_synapses).__name__}")
    if not 1 <= max_synapses <= 4:
        raise ValueError(f"max_synapses must be between 1 and 4, got {max_synapses}")
    roles = [("excitatory", k) for k in range(max_synapses + 1)] + [("inhibitory", 1)]
    found: dict[tuple[int, ...], mcp.MCPNeuron] = {}
    for (role_a, k_a), (role_b, k_b), k_on in itertools.product(roles, roles, range(max_synapses + 1)):
        excitatory = ["A"] * (k_a if role_a == "excitatory" else 0) + ["B"] * (k_b if role_b == "excitatory" else 0)
        excitatory += [mcp.ALWAYS_ON] * k_on
        inhibitory = [n for n, r in (("A", role_a), ("B", role_b)) if r == "inhibitory"]
        for threshold in range(3 * max_synapses + 2):
            neuron = mcp.MCPNeuron(threshold, excitatory, inhibitory)
            table = tuple(neuron({"A": a, "B": b}) for a, b in itertools.product((0, 1), repeat=2))
            found.setdefault(table, neuron)
    return found


def single_neuron_search(reachable, max_synapses: int) -> None:
    """Check the set of truth tables a learner's exhaustive search reached.

    Parameters
    ----------
    reachable : collection of 4-tuples
        Outputs on (A, B) = (0,0), (0,1), (1,0), (1,1) for every neuron the search tried.
    max_synapses : int
        The bound the search used.
    """
    try:
        got = {tuple(int(v) for v in table) for table in reachable}
    except (TypeError, ValueError):
        raise TypeError("reachable must be a collection of 4-tuples of 0/1 outputs, "
                        f"e.g. {{(0, 0, 0, 1), ...}}; got {type(reachable).__name__}") from None
    expected = set(reference_single_neuron_tables(max_synapses))
    missing, extra = expected - got, got - expected
    if missing:
        names = sorted(mcp.name_two_input_function(t) for t in missing)
        raise CheckFailed("your exhaustive search", f"max_synapses={max_synapses}", "to reach " + ", ".join(names),
                          f"{len(got)} tables, without those",
                          "some neurons were never tried: loop over every role of A and of B (including "
                          "inhibitory), every count of always-on synapses and every threshold from 0 up.")
    if extra:
        names = sorted(mcp.name_two_input_function(t) for t in extra if len(t) == 4 and set(t) <= {0, 1})
        raise CheckFailed("your exhaustive search", f"max_synapses={max_synapses}", f"{len(expected)} tables",
                          "also " + (", ".join(names) or str(sorted(extra))),
                          "one MCP neuron cannot compute these: check how inhibition is applied (it vetoes "
                          "firing) and that each table lists outputs for (0,0), (0,1), (1,0), (1,1) in that order.")
    passed(f"your search reaches exactly the {len(expected)} truth tables one neuron can compute, "
           "and XOR is not among them.")
