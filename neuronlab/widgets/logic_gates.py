"""Chapter 01's explorable: the McCulloch–Pitts gate builder."""

from __future__ import annotations

import re
from dataclasses import dataclass

import ipywidgets as widgets

from neuronlab import mcp, plots
from neuronlab.widgets.base import Explorable

ROLES = ("not connected", "excitatory", "excitatory ×2", "inhibitory")
INPUT_NAMES = ("A", "B", "C")


@dataclass(frozen=True)
class GateState:
    """What the gate builder shows.

    Attributes
    ----------
    neuron : MCPNeuron
        The neuron the controls describe.
    inputs : tuple of str
        The connected inputs, i.e. the truth table's columns.
    rows : list of (bits, output)
        The truth table, ``2 ** len(inputs)`` rows in binary counting order.
    name : str
        The Boolean function it computes, in words.
    """

    neuron: mcp.MCPNeuron
    inputs: tuple[str, ...]
    rows: list
    name: str


def gate_state(A: str = "excitatory", B: str = "excitatory", C: str = "not connected",
               always_on: int = 0, threshold: int = 2) -> GateState:
    """The neuron, truth table and name for one setting of the gate builder's controls.

    Parameters
    ----------
    A, B, C : one of ``ROLES``
        How each input connects to the neuron.
    always_on : int in 0..2
        Synapses from the always-on input.
    threshold : int >= 1
    """
    roles = {"A": A, "B": B, "C": C}
    for name, role in roles.items():
        if role not in ROLES:
            raise ValueError(f"{name} must be one of {list(ROLES)}, got {role!r}")
    if isinstance(always_on, bool) or not isinstance(always_on, int) or not 0 <= always_on <= 2:
        raise ValueError(f"always_on must be 0, 1 or 2, got {always_on!r}")
    excitatory = [mcp.ALWAYS_ON] * always_on
    inhibitory = []
    for name, role in roles.items():
        if role == "excitatory":
            excitatory.append(name)
        elif role == "excitatory ×2":
            excitatory += [name, name]
        elif role == "inhibitory":
            inhibitory.append(name)
    neuron = mcp.MCPNeuron(threshold, excitatory, inhibitory)  # validates threshold
    inputs = tuple(n for n in INPUT_NAMES if roles[n] != "not connected")
    rows = mcp.truth_table(lambda *bits: neuron(dict(zip(inputs, bits))), len(inputs))
    outputs = [out for _, out in rows]
    return GateState(neuron, inputs, rows, _describe(inputs, outputs, neuron))


def _describe(inputs: tuple[str, ...], outputs: list[int], neuron: mcp.MCPNeuron) -> str:
    if all(outputs):
        return "always 1"
    if not any(outputs):
        return "always 0"
    if len(inputs) == 1:
        return inputs[0] if outputs == [0, 1] else f"NOT {inputs[0]}"
    if len(inputs) == 2:
        rename = dict(zip("AB", inputs))  # the table's columns may be, say, A and C
        return re.sub(r"\b[AB]\b", lambda match: rename[match.group()], mcp.name_two_input_function(outputs))
    if outputs == [0] * 7 + [1]:
        return "A AND B AND C"
    if outputs == [0] + [1] * 7:
        return "A OR B OR C"
    if outputs == [0, 0, 0, 1, 0, 1, 1, 1]:
        return "majority of A, B, C"
    # Otherwise say it as the neuron does: the vetoes, then the count it needs.
    vetoes = [f"NOT {name}" for name in dict.fromkeys(neuron.inhibitory)]
    counted = [("always-on" if name == mcp.ALWAYS_ON else name)
               + ("" if neuron.excitatory.count(name) == 1 else f"×{neuron.excitatory.count(name)}")
               for name in dict.fromkeys(neuron.excitatory)]
    counts = {name: neuron.excitatory.count(name) for name in dict.fromkeys(neuron.excitatory)}
    theta = neuron.threshold
    if theta <= counts.get(mcp.ALWAYS_ON, 0):  # the always-on input alone reaches θ
        need = []
    elif theta <= min(counts.values(), default=0):  # any one input is enough
        need = ["(" + " OR ".join(counts) + ")" if len(counts) > 1 else next(iter(counts))]
    elif set(counts.values()) == {1} and theta == len(counts):  # every input is needed
        need = [name for name in counts if name != mcp.ALWAYS_ON]  # "always on AND x" is just x
    else:
        need = [f"at least {theta} of {{{', '.join(counted)}}}"]
    return " AND ".join(need + vetoes)


class GateBuilder(Explorable):
    """Wire up to three inputs to one McCulloch–Pitts neuron and watch its truth table."""

    title = "🎛 Gate builder: one McCulloch–Pitts neuron"
    try_this = "Try: make OR, then NOT A (hint: the always-on input), then try, and fail, to make XOR."

    def make_controls(self):
        style = {"description_width": "110px"}
        layout = widgets.Layout(width="290px")
        controls = {name: widgets.Dropdown(options=ROLES, value=default, description=f"input {name}",
                                           style=style, layout=layout)
                    for name, default in zip(INPUT_NAMES, ("excitatory", "excitatory", "not connected"))}
        controls["always_on"] = widgets.IntSlider(0, min=0, max=2, description="always-on input",
                                                  style=style, layout=layout)
        # θ >= 1 as in McCulloch and Pitts' neurons (θ = 0 would let inhibition alone make NOT).
        controls["threshold"] = widgets.IntSlider(2, min=1, max=6, description="threshold θ",
                                                  style=style, layout=layout)
        return controls

    def state(self, **values):
        return gate_state(**values)

    # The static figure's panels: the builder's start (AND), the gates the "try this" asks for,
    # and one honest failure at XOR (the nearest a single neuron gets is OR).
    GALLERY = (
        ("A AND B", dict(A="excitatory", B="excitatory", threshold=2)),
        ("A OR B", dict(A="excitatory", B="excitatory", threshold=1)),
        ("NOT A", dict(A="inhibitory", B="not connected", always_on=1, threshold=1)),
        ("NOR", dict(A="inhibitory", B="inhibitory", always_on=1, threshold=1)),
        ("A AND NOT B", dict(A="excitatory", B="inhibitory", threshold=1)),
        ("XOR wanted", dict(A="excitatory", B="excitatory", threshold=1)),
    )

    def static_figure(self):
        """Small multiples: six settings of the builder, each with its truth table's outputs.

        Two rows of three at the page's width: A AND B (the builder's start), A OR B, NOT A and
        NOR (which need the always-on input), A AND NOT B, and a try at XOR that
        computes OR instead: no setting of one neuron gives 0, 1, 1, 0.
        """
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.8, 4.4), layout="constrained")
        for ax, (label, controls) in zip(figure.subplots(2, 3).flat, self.GALLERY):
            state = gate_state(**controls)
            mcp.draw_network(mcp.MCPNetwork(state.inputs, {"out": state.neuron}), ax)
            outputs = " ".join(str(out) for _, out in state.rows)
            failed = state.name != label
            title = f"{label}, got {state.name}" if failed else label
            ax.set_title(f"{title}\noutputs {outputs}", fontsize=9,
                         color=plots.PALETTE["vermillion"] if failed else plots.PALETTE["black"])
        figure.suptitle("One McCulloch–Pitts neuron, six settings (outputs in truth-table order)",
                        fontsize=10)
        return figure

    def draw(self, state: GateState):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(7.6, 3.0), layout="constrained")
        diagram, table = figure.subplots(1, 2, width_ratios=[1.35, 1])
        network = mcp.MCPNetwork(state.inputs, {"out": state.neuron})
        mcp.draw_network(network, diagram)
        diagram.set_title(f"computes: {state.name}", color=plots.PALETTE["blue"])
        cells = [[*map(str, bits), str(out)] for bits, out in state.rows]
        shown = table.table(cellText=cells, colLabels=[*state.inputs, "out"], loc="center", cellLoc="center")
        shown.scale(1, 1.25)
        for (row, column), cell in shown.get_celld().items():
            if row > 0 and column == len(state.inputs) and cells[row - 1][-1] == "1":
                cell.set_facecolor(plots.PALETTE["yellow"])
        table.set_title("truth table")
        table.axis("off")
        return figure
