"""McCulloch–Pitts neurons and the small networks built from them (chapter 01).

A McCulloch–Pitts neuron (McCulloch & Pitts, 1943) reads binary activities.
It fires (outputs 1) when at least ``threshold`` of its excitatory synapses are
active *and* none of its inhibitory synapses is: one active inhibitory input
vetoes the neuron, whatever else happens ("absolute inhibition").

Several synapses may come from the same neuron, which is how a network says
"this input counts twice".  The special input :data:`ALWAYS_ON` is active at
every step; wiring it in is how the classic NOT gate is built.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ALWAYS_ON",
    "MCPNeuron",
    "MCPNetwork",
    "truth_table",
    "name_two_input_function",
    "draw_network",
]

ALWAYS_ON = "1"
"""Name of the input that is active at every step (used to build NOT)."""


def _as_names(value: object, argument: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    try:
        names = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{argument} must be a sequence of input names, got {type(value).__name__}") from None
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"{argument} must hold non-empty strings (input names), got {name!r}")
    return names


def _check_bit(name: str, value: object, *, label: str | None = None) -> int:
    """``value`` as 0 or 1; bools and (NumPy) integers are accepted, floats are not."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and value in (0, 1)):
        return int(value)
    raise ValueError(f"{label or f'the activity of input {name!r}'} must be 0 or 1 (an int or bool), got {value!r}")


@dataclass(frozen=True)
class MCPNeuron:
    """One McCulloch–Pitts neuron.

    Parameters
    ----------
    threshold : int >= 1
        How many active excitatory synapses make the neuron fire.  At least 1, as in
        McCulloch and Pitts: a neuron fires only when something excites it (the
        always-on input :data:`ALWAYS_ON` gives one that fires on no other input).
    excitatory : sequence of str
        Names of the inputs with an excitatory synapse; repeat a name to give it
        several synapses.  May include :data:`ALWAYS_ON`.
    inhibitory : sequence of str
        Names of the inputs with an inhibitory synapse; any one active vetoes firing.

    Examples
    --------
    >>> AND = MCPNeuron(threshold=2, excitatory=["A", "B"])
    >>> AND({"A": 1, "B": 1}), AND({"A": 1, "B": 0})
    (1, 0)
    """

    threshold: int
    excitatory: tuple[str, ...] = ()
    inhibitory: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise TypeError(f"threshold must be an int, got {type(self.threshold).__name__}: {self.threshold!r}")
        if self.threshold < 1:
            raise ValueError(f"threshold must be >= 1 (a neuron fires only when at least one excitatory "
                             f"synapse is active; for one that fires on no input, excite it from the "
                             f"always-on input ALWAYS_ON), got {self.threshold}")
        object.__setattr__(self, "excitatory", _as_names(self.excitatory, "excitatory"))
        object.__setattr__(self, "inhibitory", _as_names(self.inhibitory, "inhibitory"))
        if ALWAYS_ON in self.inhibitory:
            raise ValueError(f"the always-on input {ALWAYS_ON!r} cannot be inhibitory: the neuron would never fire")

    @property
    def inputs(self) -> tuple[str, ...]:
        """The distinct input names this neuron reads, in order of first appearance."""
        return tuple(dict.fromkeys(n for n in self.excitatory + self.inhibitory if n != ALWAYS_ON))

    def __call__(self, activity: Mapping[str, int]) -> int:
        """Return 1 if the neuron fires for ``activity`` (a mapping name → 0/1), else 0."""
        if not isinstance(activity, Mapping):
            raise TypeError(f"activity must be a mapping from input name to 0/1, got {type(activity).__name__}")
        bits = {ALWAYS_ON: 1}
        for name in self.inputs:
            if name not in activity:
                raise ValueError(f"activity has no value for input {name!r}; this neuron reads {list(self.inputs)}")
            bits[name] = _check_bit(name, activity[name])
        if any(bits[name] for name in self.inhibitory):
            return 0
        return int(sum(bits[name] for name in self.excitatory) >= self.threshold)


class MCPNetwork:
    """A feed-forward network of McCulloch–Pitts neurons.

    Parameters
    ----------
    inputs : sequence of str
        Names of the network's input neurons, in truth-table order.
    neurons : mapping str → MCPNeuron
        Each neuron by name, listed so that a neuron only reads inputs or neurons
        listed before it.  (McCulloch and Pitts also allowed loops; this course's
        networks never need them.)
    outputs : sequence of str, optional
        Which neurons are the answer; by default the last one.

    Examples
    --------
    >>> xor = MCPNetwork(["A", "B"], {
    ...     "A_not_B": MCPNeuron(1, ["A"], ["B"]),
    ...     "B_not_A": MCPNeuron(1, ["B"], ["A"]),
    ...     "C": MCPNeuron(1, ["A_not_B", "B_not_A"]),
    ... })
    >>> [xor(A=a, B=b) for a, b in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    [0, 1, 1, 0]
    """

    def __init__(self, inputs: Sequence[str], neurons: Mapping[str, MCPNeuron],
                 outputs: Sequence[str] | None = None) -> None:
        self.inputs = _as_names(inputs, "inputs")
        if len(set(self.inputs)) != len(self.inputs):
            raise ValueError(f"inputs must be distinct names, got {list(self.inputs)}")
        if ALWAYS_ON in self.inputs:
            raise ValueError(f"{ALWAYS_ON!r} is the always-on input and is always there; don't list it in inputs")
        if not isinstance(neurons, Mapping):
            raise TypeError(f"neurons must be a mapping from name to MCPNeuron, got {type(neurons).__name__}")
        if not neurons:
            raise ValueError("neurons must hold at least one neuron")
        known = set(self.inputs)
        for name, neuron in neurons.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"neuron names must be non-empty strings, got {name!r}")
            if not isinstance(neuron, MCPNeuron):
                raise TypeError(f"neuron {name!r} must be an MCPNeuron, got {type(neuron).__name__}")
            if name == ALWAYS_ON:
                raise ValueError(f"{ALWAYS_ON!r} is the always-on input's name; give neuron {name!r} another one")
            if name in known:
                raise ValueError(f"the name {name!r} is used twice; every input and neuron needs its own")
            missing = [n for n in neuron.inputs if n not in known]
            if missing:
                hint = " (for the always-on input, use the constant ALWAYS_ON, not a string)" if any(
                    m.upper() in ("ALWAYS_ON", "ALWAYS-ON", "ON") for m in missing) else ""
                raise ValueError(
                    f"neuron {name!r} reads {missing}, which is not an input nor a neuron listed before it; "
                    f"known so far: {sorted(known)}{hint}"
                )
            known.add(name)
        self.neurons = dict(neurons)
        self.outputs = _as_names(outputs, "outputs") if outputs is not None else (list(self.neurons)[-1],)
        for name in self.outputs:
            if name not in self.neurons:
                raise ValueError(f"output {name!r} is not one of the neurons {list(self.neurons)}")

    def activities(self, **inputs: int) -> dict[str, int]:
        """The activity of every input and neuron for one input pattern."""
        if set(inputs) != set(self.inputs):
            raise ValueError(f"give exactly the inputs {list(self.inputs)}, got {sorted(inputs)}")
        state = {name: _check_bit(name, value) for name, value in inputs.items()}
        for name, neuron in self.neurons.items():
            state[name] = neuron(state)
        return state

    def __call__(self, **inputs: int) -> int | tuple[int, ...]:
        """The output neuron's activity (a tuple when there are several outputs)."""
        state = self.activities(**inputs)
        values = tuple(state[name] for name in self.outputs)
        return values[0] if len(values) == 1 else values

    def truth_table(self) -> list[tuple[tuple[int, ...], int | tuple[int, ...]]]:
        """Every input pattern (in binary counting order) with the network's output."""
        return truth_table(lambda *bits: self(**dict(zip(self.inputs, bits))), len(self.inputs))

    def __repr__(self) -> str:
        return f"MCPNetwork(inputs={list(self.inputs)}, neurons={list(self.neurons)}, outputs={list(self.outputs)})"


def truth_table(function: Callable[..., object], n_inputs: int) -> list[tuple[tuple[int, ...], object]]:
    """Evaluate ``function(*bits)`` on all ``2**n_inputs`` input patterns.

    Returns
    -------
    list of (bits, output), length 2**n_inputs
        ``bits`` is a tuple of n_inputs 0/1 values, in binary counting order
        (000, 001, 010, …).
    """
    if not callable(function):
        raise TypeError(f"function must be callable, got {type(function).__name__}")
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int):
        raise TypeError(f"n_inputs must be an int, got {type(n_inputs).__name__}")
    if not 0 <= n_inputs <= 10:
        raise ValueError(f"n_inputs must be between 0 and 10, got {n_inputs}")
    return [(bits, function(*bits)) for bits in itertools.product((0, 1), repeat=n_inputs)]


# The 16 Boolean functions of two inputs, by their outputs on (0,0), (0,1), (1,0), (1,1).
_TWO_INPUT_NAMES = {
    (0, 0, 0, 0): "always 0", (1, 1, 1, 1): "always 1",
    (0, 0, 0, 1): "A AND B", (0, 1, 1, 1): "A OR B",
    (1, 1, 1, 0): "NAND", (1, 0, 0, 0): "NOR",
    (0, 1, 1, 0): "XOR", (1, 0, 0, 1): "XNOR",
    (0, 0, 1, 1): "A", (0, 1, 0, 1): "B",
    (1, 1, 0, 0): "NOT A", (1, 0, 1, 0): "NOT B",
    (0, 0, 1, 0): "A AND NOT B", (0, 1, 0, 0): "B AND NOT A",
    (1, 0, 1, 1): "A OR NOT B", (1, 1, 0, 1): "B OR NOT A",
}


def name_two_input_function(outputs: Sequence[int]) -> str:
    """Name the Boolean function with these outputs on (A, B) = (0,0), (0,1), (1,0), (1,1).

    >>> name_two_input_function([0, 1, 1, 0])
    'XOR'
    """
    try:
        key = tuple(_check_bit("", v, label=f"outputs[{i}]") for i, v in enumerate(outputs))
    except TypeError:
        raise TypeError(f"outputs must be a sequence of four 0/1 values, got {outputs!r}") from None
    if len(key) != 4:
        raise ValueError(f"outputs must hold exactly 4 values (one per row of a two-input table), got {len(key)}")
    return _TWO_INPUT_NAMES[key]


def _layers(network: MCPNetwork) -> dict[str, int]:
    """Depth of every node: inputs at 0, each neuron one more than its deepest source."""
    depth = {name: 0 for name in network.inputs}
    for name, neuron in network.neurons.items():
        depth[name] = 1 + max((depth[src] for src in neuron.inputs), default=0)
    return depth


def draw_network(network: MCPNetwork, ax=None, *, title: str | None = None):
    """Draw ``network`` as circles and synapses: arrows excite, round-headed lines inhibit.

    Each neuron shows its threshold; a synapse repeated k times carries "×k"; the
    always-on input appears as a small square when a neuron uses it.

    Returns the matplotlib ``Axes``.
    """
    from neuronlab import plots  # matplotlib only when drawing

    if not isinstance(network, MCPNetwork):
        raise TypeError(f"network must be an MCPNetwork, got {type(network).__name__}")
    ax = plots.new_axes(ax, figsize=(4.2, 2.6))
    depth = _layers(network)
    columns: dict[int, list[str]] = {}
    for name, d in depth.items():
        columns.setdefault(d, []).append(name)
    position = {}
    for d, names in columns.items():
        for i, name in enumerate(names):
            position[name] = (d * 2.0, 1.3 * ((len(names) - 1) / 2 - i))
    uses_on = [n for n, neuron in network.neurons.items() if ALWAYS_ON in neuron.excitatory]
    bottom = min(y for _, y in position.values())
    if uses_on:
        position[ALWAYS_ON] = (0.0, bottom - 1.0)

    radius = 0.32
    for name, (x, y) in position.items():
        if name == ALWAYS_ON:
            ax.add_patch(plots.square((x, y), 0.4, color=plots.PALETTE["grey"]))
            ax.text(x, y, "1", ha="center", va="center", color="white", fontsize=10, weight="bold")
            continue
        is_neuron = name in network.neurons
        colour = plots.PALETTE["orange"] if name in network.outputs else (
            plots.PALETTE["blue"] if is_neuron else plots.PALETTE["grey"])
        ax.add_patch(plots.circle((x, y), radius, color=colour))
        ax.text(x, y, f"θ={network.neurons[name].threshold}" if is_neuron else name,
                ha="center", va="center", color="white", fontsize=9, weight="bold")
        if is_neuron:
            ax.text(x, y + radius + 0.1, name, ha="center", va="bottom", fontsize=9, zorder=5,
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.6, alpha=0.85))

    for name, neuron in network.neurons.items():
        target = position[name]
        for kind, sources in (("excitatory", neuron.excitatory), ("inhibitory", neuron.inhibitory)):
            for src in dict.fromkeys(sources):
                plots.synapse(ax, position[src], target, radius=radius, inhibitory=kind == "inhibitory",
                              count=sources.count(src))
    for name in network.outputs:
        x, y = position[name]
        ax.annotate("", xy=(x + 1.0, y), xytext=(x + radius, y),
                    arrowprops=dict(arrowstyle="-|>", color=plots.PALETTE["black"], lw=1.5))
    xs = [x for x, _ in position.values()]
    ys = [y for _, y in position.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 1.3)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.9)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
