"""Chapter 03's explorable: backpropagation one node at a time.

The :class:`BackpropStepper` draws what :mod:`neuronlab.autodiff` computes: it
replays the engine's own graph, in its own topological order, with the gradients
its ``backward()`` filled in.
"""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass
from types import MappingProxyType

import ipywidgets as widgets
import numpy as np

from neuronlab import autodiff as ad
from neuronlab import plots
from neuronlab.widgets.base import Explorable

__all__ = ["DEFAULTS", "N_NODES", "N_STEPS", "Node", "Graph", "neuron_graph", "BackpropState", "backprop_state",
           "draw_graph", "BackpropStepper"]

# --- argument checks and number formatting shared by the stepper ------------------------------------

def _check_number(value, argument: str, low: float = -np.inf, high: float = np.inf, *, why: str = "") -> float:
    ok = (not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
          and np.isfinite(value) and low <= value <= high)
    if not ok:
        where = "a finite number" if np.isinf(low) and np.isinf(high) else f"a number in [{low:g}, {high:g}]"
        raise ValueError(f"{argument} must be {where}{why}, got {value!r}")
    return float(value)


def _number(value: float, digits: int = 3) -> str:
    """A number as shown in the figures: ``digits`` significant digits and a true minus sign."""
    text = f"{value:.{digits}g}"
    return "0" if text in ("-0", "0") else text.replace("-", "−")


# --- the backprop stepper ---------------------------------------------------------------------------

INPUTS = ("x1", "x2")
PARAMETERS = ("w1", "w2", "b")
_LABEL = {"x1": "x₁", "x2": "x₂", "w1": "w₁", "w2": "w₂", "b": "b", "u1": "u₁", "u2": "u₂", "s": "s",
          "z": "z", "a": "a", "L": "L"}
_POSITION = {"x1": (-0.35, 4.0), "w1": (-0.35, 2.75), "x2": (-0.35, 1.55), "w2": (-0.35, 0.3),
             "u1": (1.4, 3.375), "u2": (1.4, 0.925), "s": (2.8, 2.15), "b": (2.8, 0.3),
             "z": (4.2, 2.15), "a": (5.6, 2.15), "L": (7.0, 2.15)}
_BOX = (0.98, 0.42)  # width, height in data units
_XLIM, _YLIM = (-0.9, 7.55), (0.0, 4.5)
_TITLE_CHARACTERS = 95  # a title line that fits 7 inches at 9 pt; longer messages wrap

DEFAULTS = {"x1": 1.5, "x2": -1.0, "w1": 0.8, "w2": 0.6, "b": -0.2, "y": 1.0}
"""The stepper's starting inputs, parameters and target (as in the signatures below)."""
N_NODES = len(_LABEL)
"""Nodes in the stepper's graph: 5 leaves (x₁, x₂, w₁, w₂, b) and 6 operations."""
N_STEPS = 2 * N_NODES
"""The stepper's last step: one forward step per node, then one backward step per node."""


@dataclass(frozen=True)
class Node:
    """One node of the stepper's graph, as the engine built it.

    ``name`` is the key into a :class:`Graph`'s dicts; ``label`` is how the
    figure writes it; ``kind`` is "input", "parameter", "operation" or "loss";
    ``op`` is the engine's operation ("" for a leaf); ``parents`` are names.
    """

    name: str
    label: str
    kind: str
    op: str
    parents: tuple[str, ...]
    definition: str


@dataclass(frozen=True)
class Graph:
    """One neuron with a squared-error loss, evaluated and differentiated by :mod:`neuronlab.autodiff`.

    u₁ = x₁·w₁, u₂ = x₂·w₂, s = u₁ + u₂, z = s + b, a = σ(z), L = (a − y)²; every
    quantity is a scalar (a Tensor of shape ()).

    Attributes
    ----------
    nodes : tuple of Node, length 11
        In the engine's topological order (``L.topological_order()``): each after its parents.
    values, grads : mapping name → float (read-only, like everything cached)
        Every node's value, and ∂L/∂node as ``L.backward()`` left it in ``.grad``.
    local : mapping (parent, child) → float
        ∂child/∂parent, each edge's local derivative, by the rule of the child's operation.
    consumer : mapping name → name or None
        The node each one feeds (None for L): here every node feeds exactly one.
    y : float
        The target.
    """

    nodes: tuple[Node, ...]
    values: MappingProxyType
    grads: MappingProxyType
    local: MappingProxyType
    consumer: MappingProxyType
    y: float

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)


@functools.lru_cache(maxsize=256)
def _cached_graph(x1: float, x2: float, w1: float, w2: float, b: float, y: float) -> Graph:
    leaves = {name: ad.Tensor(value, requires_grad=True)
              for name, value in zip(("x1", "x2", "w1", "w2", "b"), (x1, x2, w1, w2, b))}
    # The inputs get gradients too: in a deeper network ∂L/∂x is what flows on to the layer below.
    tensors = dict(leaves)
    tensors["u1"] = leaves["x1"] * leaves["w1"]
    tensors["u2"] = leaves["x2"] * leaves["w2"]
    tensors["s"] = tensors["u1"] + tensors["u2"]
    tensors["z"] = tensors["s"] + leaves["b"]
    tensors["a"] = ad.sigmoid(tensors["z"])
    tensors["L"] = ad.mse(tensors["a"], y)
    tensors["L"].backward()
    names = {id(tensor): name for name, tensor in tensors.items()}
    nodes = []
    for tensor in tensors["L"].topological_order():
        name = names[id(tensor)]
        kind = ("input" if name in INPUTS else "parameter" if name in PARAMETERS else
                "loss" if name == "L" else "operation")
        parents = tuple(names[id(parent)] for parent in tensor.parents)
        nodes.append(Node(name, _LABEL[name], kind, tensor.op, parents, _definition(tensor.op, parents)))
    values = {name: float(t.data) for name, t in tensors.items()}
    grads = {name: float(t.grad) for name, t in tensors.items()}
    consumer = {node.name: None for node in nodes}
    local = {}
    for node in nodes:
        for parent in node.parents:
            consumer[parent] = node.name
            local[parent, node.name] = _local_derivative(node, parent, values, y)
    if len(nodes) != N_NODES:
        raise RuntimeError(f"the engine built {len(nodes)} nodes, the stepper expects {N_NODES}")
    return Graph(tuple(nodes), *map(MappingProxyType, (values, grads, local, consumer)), y)


def _definition(op: str, parents: tuple[str, ...]) -> str:
    p = [_LABEL[name] for name in parents]
    if op == "mul":
        return "·".join(p)
    if op == "add":
        return " + ".join(p)
    if op == "sigmoid":
        return f"σ({p[0]})"
    if op == "mse":
        return f"({p[0]} − y)²"
    return ""


def _local_derivative(node: Node, parent: str, values: dict, y: float) -> float:
    """∂node/∂parent by the rule of node's operation (what the engine's closure multiplies by)."""
    if node.op == "mul":  # ∂(u·v)/∂u = v
        (other,) = [name for name in node.parents if name != parent]
        return values[other]
    if node.op == "add":
        return 1.0
    if node.op == "sigmoid":
        return values[node.name] * (1.0 - values[node.name])
    if node.op == "mse":
        return 2.0 * (values[parent] - y)
    raise ValueError(f"no local rule for the engine's op {node.op!r}")


def _local_rule(node: Node, parent: str) -> str:
    if node.op == "mul":
        (other,) = [name for name in node.parents if name != parent]
        return _LABEL[other]
    return {"add": "1", "sigmoid": f"{node.label}(1 − {node.label})", "mse": f"2({_LABEL[parent]} − y)"}[node.op]


def neuron_graph(x1: float = 1.5, x2: float = -1.0, w1: float = 0.8, w2: float = 0.6, b: float = -0.2,
                 y: float = 1.0) -> Graph:
    """Build, evaluate and differentiate the stepper's graph for these inputs, parameters and target (cached).

    Every argument is a finite number; y, the target of a sigmoid output, lies in [0, 1].
    """
    numbers = {name: _check_number(value, name) for name, value in
               (("x1", x1), ("x2", x2), ("w1", w1), ("w2", w2), ("b", b))}
    y = _check_number(y, "y", 0.0, 1.0, why=" (a target for the sigmoid's output)")
    return _cached_graph(**numbers, y=y)


@dataclass(frozen=True)
class BackpropState:
    """What the stepper shows after ``step`` steps.

    Steps 1 … 11 fill in the nodes' values in topological order (the forward
    pass); steps 12 … 22 fill in ∂L/∂node in reverse order (the backward pass),
    each one local derivative × upstream gradient.

    Attributes
    ----------
    graph : Graph
        Every value and gradient, computed by the engine (shown or not yet).
    step, n_steps : int
    phase : str
        "start" (step 0), "forward" or "backward".
    current : str or None
        The node filled in at this step.
    edge : (str, str) or None
        In a backward step, (current, the node it feeds): the edge the chain rule crosses.
    values, grads : dict name → float or None
        What is shown so far (None: not yet computed).
    local, upstream : float or None
        In a backward step past L, ∂consumer/∂current and ∂L/∂consumer; their product is the new gradient.
    message : str
        The step as an equation with numbers.
    """

    graph: Graph
    step: int
    n_steps: int
    phase: str
    current: str | None
    edge: tuple[str, str] | None
    values: dict
    grads: dict
    local: float | None
    upstream: float | None
    message: str


def backprop_state(step: int = 0, x1: float = 1.5, x2: float = -1.0, w1: float = 0.8, w2: float = 0.6,
                   b: float = -0.2, y: float = 1.0) -> BackpropState:
    """The stepper after ``step`` steps (0 … 22) on the graph for these numbers."""
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 0 <= step <= N_STEPS:
        raise ValueError(f"step must be an integer in 0 … {N_STEPS} ({N_NODES} forward steps, then "
                         f"{N_NODES} backward), got {step!r}")
    step = int(step)
    graph = neuron_graph(x1, x2, w1, w2, b, y)
    order = [node.name for node in graph.nodes]
    forward, backward = order[:min(step, N_NODES)], order[::-1][:max(step - N_NODES, 0)]
    values = {name: graph.values[name] if name in forward else None for name in order}
    grads = {name: graph.grads[name] if name in backward else None for name in order}
    current, edge, local, upstream = None, None, None, None
    if step == 0:
        phase = "start"
        message = "step 0: press play (or move the step slider): values go forward, then gradients come back"
    elif step <= N_NODES:
        phase, current = "forward", forward[-1]
        message = f"forward {step}/{N_NODES}: " + _forward_message(graph, graph.node(current))
    else:
        phase, current = "backward", backward[-1]
        consumer = graph.consumer[current]
        k = step - N_NODES
        if consumer is None:
            message = f"backward {k}/{N_NODES}: ∂L/∂L = 1, where the chain rule starts"
        else:
            edge, local, upstream = (current, consumer), graph.local[current, consumer], graph.grads[consumer]
            c, n = _LABEL[consumer], _LABEL[current]
            chain = f"∂L/∂{n} = " + ("" if consumer == "L" else f"∂{c}/∂{n} · ∂L/∂{c} = ")
            message = (f"backward {k}/{N_NODES}: {chain}{_local_rule(graph.node(consumer), current)} · ∂L/∂{c} = "
                       f"{_number(local)} × {_factor(upstream)} = {_number(graph.grads[current])}")
    return BackpropState(graph, step, N_STEPS, phase, current, edge, values, grads, local, upstream, message)


def _factor(value: float) -> str:
    return f"({_number(value)})" if value < 0 else _number(value)


def _joined(operator: str, numbers) -> str:
    """``a op b``, with a negative operand after the first in parentheses."""
    return operator.join([_number(numbers[0]), *map(_factor, numbers[1:])])


def _forward_message(graph: Graph, node: Node) -> str:
    value = _number(graph.values[node.name])
    if not node.op:
        return f"{node.label} = {value} ({'an input' if node.kind == 'input' else 'a parameter'})"
    args = [graph.values[parent] for parent in node.parents]
    numbers = {"mul": lambda: _joined(" × ", args), "add": lambda: _joined(" + ", args),
               "sigmoid": lambda: f"σ({_number(args[0])})",
               "mse": lambda: f"({_number(args[0])} − {_number(graph.y)})²"}[node.op]()
    return f"{node.label} = {node.definition} = {numbers} = {value}"


_KIND_COLOUR = {"input": "grey", "parameter": "green", "operation": "black", "loss": "orange"}
_VALUE_COLOUR, _GRAD_COLOUR = plots.PALETTE["blue"], plots.PALETTE["vermillion"]


def _edge_ends(parent: str, child: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """An edge's arrow from the right side of ``parent``'s box to the left side of ``child``'s."""
    width, _ = _BOX
    (x0, y0), (x1, y1) = _POSITION[parent], _POSITION[child]
    return (x0 + width / 2, y0), (x1 - width / 2, y1 + (0.12 if y0 > y1 else -0.12 if y0 < y1 else 0))


_ROOM_CHARACTERS = 13
"""Characters a level edge's label and the longer value beside it may share at the values' height."""


def _edge_label_position(graph: Graph, parent: str, child: str, label: str) -> tuple[float, float, str]:
    """Where an edge's "×local derivative" label goes, as (x, y, vertical alignment): clear of every box.

    A sloping edge crosses open space: the label sits on its middle.  A level edge's gap is narrower than
    a label, so the label goes above the gap, at the height of the values beside it, or a line higher when
    the label and the longer of those values would not fit side by side.
    """
    (x0, y0), (x1, y1) = _edge_ends(parent, child)
    if y0 != y1:
        return (x0 + x1) / 2, (y0 + y1) / 2, "center"
    neighbours = max(len(_number(graph.values[name])) for name in (parent, child))
    lift = 0.0 if len(label) + neighbours <= _ROOM_CHARACTERS else 0.24
    return (x0 + x1) / 2, y0 + _BOX[1] / 2 + 0.05 + lift, "bottom"


def draw_graph(state: BackpropState, ax, *, fontsize: float = 9) -> None:
    """Draw the graph on ``ax``: boxes, arrows, values (blue, above) and gradients (vermillion, below)."""
    from matplotlib import patches

    graph = state.graph
    width, height = _BOX
    forward_edges = {(parent, state.current) for parent in graph.node(state.current).parents} \
        if state.phase == "forward" else set()
    for node in graph.nodes:
        for parent in node.parents:
            start, end = _edge_ends(parent, node.name)
            colour, lw, style = plots.PALETTE["grey"], 1.0, "-|>"
            if (parent, node.name) in forward_edges:
                colour, lw = _VALUE_COLOUR, 2.2
            if state.edge == (parent, node.name):  # the gradient flows back along it: the arrow turns round
                colour, lw, style = _GRAD_COLOUR, 2.6, "<|-"
            ax.annotate("", xy=end, xytext=start, zorder=1,
                        arrowprops=dict(arrowstyle=style, color=colour, lw=lw, shrinkA=0, shrinkB=1))
            if state.edge == (parent, node.name):  # the local derivative this backward step multiplies by
                label = f"×{_number(state.local)}"
                x, y, va = _edge_label_position(graph, parent, node.name, label)
                ax.text(x, y, label, ha="center", va=va, fontsize=fontsize - 0.5, color=_GRAD_COLOUR, zorder=5,
                        fontweight="bold",
                        bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.85))
    for node in graph.nodes:
        x, y = _POSITION[node.name]
        current = node.name == state.current
        edge = plots.PALETTE[_KIND_COLOUR[node.kind]]
        ax.add_patch(patches.FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                            boxstyle="round,pad=0.02,rounding_size=0.08",
                                            facecolor=plots.PALETTE["yellow"] if current else "white",
                                            edgecolor=edge, linewidth=2.4 if current else 1.3, zorder=2))
        text = node.label if not node.definition else f"{node.label} = {node.definition}"
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3,
                fontweight="bold" if node.kind != "operation" else "normal")
        if state.values[node.name] is not None:
            ax.text(x, y + height / 2 + 0.04, _number(state.values[node.name]), ha="center", va="bottom",
                    fontsize=fontsize, color=_VALUE_COLOUR, zorder=3)
        if state.grads[node.name] is not None:
            ax.text(x, y - height / 2 - 0.04, f"∇ {_number(state.grads[node.name])}", ha="center", va="top",
                    fontsize=fontsize, color=_GRAD_COLOUR, zorder=3, fontweight="bold")
    x, y = _POSITION["L"]
    ax.text(x, y - height / 2 - 0.5, f"target y = {_number(graph.y)}", ha="center", va="top",
            fontsize=fontsize, color=plots.PALETTE["grey"])
    ax.set_xlim(_XLIM)
    ax.set_ylim(_YLIM)
    ax.axis("off")


def _legend(ax, fontsize: float) -> None:
    right, top = _XLIM[1], _YLIM[1]
    for i, (text, colour, weight) in enumerate([("value, above (forward)", _VALUE_COLOUR, "normal"),
                                                 ("∇ = ∂L/∂node, below (backward)", _GRAD_COLOUR, "bold"),
                                                 ("green: parameters, grey: inputs", plots.PALETTE["grey"],
                                                  "normal")]):
        ax.text(right, top - 0.36 * i, text, ha="right", va="top", fontsize=fontsize, color=colour,
                fontweight=weight)


class BackpropStepper(Explorable):
    """One sigmoid neuron with a squared-error loss: values forward, then gradients backward, one node per step."""

    title = "🎛 Backprop stepper: values flow forward, gradients flow back, one node at a time"
    try_this = ("Try: press play and watch the values go forward, then each gradient come back as local "
                "derivative × upstream gradient; set w₁ to −3: σ saturates near 0 while the target is 1, so the "
                "error is large (L rises from 0.16 to 0.99), yet ∂L/∂z and the gradients of w₁, w₂ and b shrink "
                "about twentyfold (∂L/∂z from −0.193 to −0.0098); move y towards the output a and watch the "
                "gradients go to 0.")

    def __init__(self) -> None:
        super().__init__()
        # A play button that advances the step slider (runs in the browser, so it needs a live kernel too).
        self.play = widgets.Play(value=0, min=0, max=N_STEPS, interval=900, description="play",
                                 layout=widgets.Layout(width="290px"))
        widgets.jslink((self.play, "value"), (self.controls["step"], "value"))
        panel = self.widget.children[1].children[0]
        panel.children = (*panel.children, self.play)

    def make_controls(self):
        style = {"description_width": "70px"}
        layout = widgets.Layout(width="290px")
        controls = {"step": widgets.IntSlider(0, min=0, max=N_STEPS, description="step", style=style,
                                              layout=layout)}
        for name in ("x1", "x2", "w1", "w2", "b"):
            controls[name] = widgets.FloatSlider(DEFAULTS[name], min=-3.0, max=3.0, step=0.1,
                                                 description=_LABEL[name], readout_format=".1f",
                                                 style=style, layout=layout)
        controls["y"] = widgets.FloatSlider(DEFAULTS["y"], min=0.0, max=1.0, step=0.1, description="target y",
                                            readout_format=".1f", style=style, layout=layout)
        return controls

    def state(self, **values):
        return backprop_state(**values)

    def draw(self, state: BackpropState):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(7.0, 3.4), layout="constrained")
        ax = figure.subplots()
        draw_graph(state, ax)
        _legend(ax, 8)
        ax.set_title(textwrap.fill(state.message, _TITLE_CHARACTERS), fontsize=9, loc="left")
        return figure

    def static_figure(self):
        """Small multiples, stacked: the forward pass complete, the backward pass through σ, and complete."""
        from matplotlib.figure import Figure

        values = {name: value for name, value in self.values().items() if name != "step"}
        graph = neuron_graph(**values)
        order = [node.name for node in graph.nodes]
        through_sigmoid = N_NODES + order[::-1].index("z") + 1
        steps = (N_NODES, through_sigmoid, N_STEPS)
        captions = ("forward pass complete: every value", "backward pass under way",
                    "backward pass complete: every gradient")
        figure = Figure(figsize=(7.0, 8.0), layout="constrained")
        for ax, step, caption in zip(figure.subplots(3, 1), steps, captions):
            state = backprop_state(step, **values)
            draw_graph(state, ax, fontsize=8.5)
            ax.set_title(f"{caption}\n" + textwrap.fill(state.message, _TITLE_CHARACTERS), fontsize=8.5, loc="left")
        _legend(figure.axes[0], 8)
        return figure
