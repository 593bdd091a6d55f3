"""One figure style for the whole course, and the drawing helpers the chapters share.

Colours are the Okabe–Ito palette (distinguishable with the common forms of
colour blindness); figures have a transparent-safe white background so they stay
readable in a dark theme.
"""

from __future__ import annotations

import base64
import io

import matplotlib as mpl
import numpy as np
from matplotlib import patches

__all__ = [
    "PALETTE", "FIGURE_WIDTH", "FIGURE_DPI", "use_style", "png_for_display", "new_axes", "circle", "square", "synapse",
    "figure_to_png", "draw_biological_neuron", "draw_cortex_layers", "timeline",
    "scatter_classes", "decision_regions", "draw_layers",
]

PALETTE = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
    "grey": "#6E6E6E",
}
"""The Okabe–Ito colours by name (plus a neutral grey)."""

FIGURE_WIDTH = 6.7
"""Inches: the site's text column (688 CSS px at 1280 px) at 100 px an inch, less the 0.1 in
margin a tight crop adds on each side.

A figure drawn this wide is shown at 100 %: its text is as large on the page as its points
say. Use it for every full-width figure (``figsize=(plots.FIGURE_WIDTH, height)``) instead of a
wider figure that the page would shrink (a 12 in figure shows its 9 pt labels at 5 pt)."""

FIGURE_DPI = 100
"""Pixels an inch as figures are *shown*; notebooks store them at twice that (sharp on
high-density screens) with the display size in the output's metadata (:func:`png_for_display`)."""

STYLE = {
    "figure.dpi": FIGURE_DPI,
    "savefig.dpi": FIGURE_DPI,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.figsize": (FIGURE_WIDTH, 3.4),
    # Every text at least 9 pt at 100 %: matplotlib's relative sizes ("small" is 0.83 × font.size)
    # are pinned to points so that no default label falls below it.
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": mpl.cycler(color=[PALETTE[c] for c in
                                         ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow")]),
}


def use_style() -> None:
    """Apply the course's figure style to matplotlib (``neuronlab.setup`` calls it).

    In a notebook whose figures show inline, figures are stored as :func:`png_for_display`
    makes them: twice the pixels, shown at the size they were drawn.
    """
    mpl.rcParams.update(STYLE)
    _show_inline_figures_sharp()


def _show_inline_figures_sharp() -> None:
    """In an IPython kernel with the inline backend, format figures with :func:`png_for_display`."""
    import sys

    if "IPython" not in sys.modules:  # not in a notebook: nothing to do (and nothing to import)
        return
    from IPython import get_ipython

    shell = get_ipython()
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if not formatters or "image/png" not in formatters:
        return
    backend = str(mpl.rcParams._get("backend")).lower()  # _get: without resolving the backend
    if "inline" not in backend:  # ipympl, a GUI window, or a script: leave its formats alone
        return
    # Loading the inline backend configures its formatters once (it would otherwise do so at the
    # first figure and replace ours); after that it leaves them as they are.
    import matplotlib_inline.backend_inline  # noqa: F401
    from matplotlib.figure import Figure

    for mime, formatter in formatters.items():
        if mime != "image/png":
            formatter.pop(Figure, None)
    formatters["image/png"].for_type(Figure, png_for_display)


def png_for_display(figure, *, scale: int = 2, tight: bool = True):
    """A figure as a notebook stores it: ``(base64 PNG, {"width": …, "height": …})``.

    The PNG has ``scale`` times the pixels of the figure at :data:`FIGURE_DPI` (sharp on
    high-density screens); the metadata asks Jupyter and the site to show it at the figure's
    own size, so a figure :data:`FIGURE_WIDTH` wide fills the text column at 100 %. To keep
    pages light the image is stored with a 256-colour palette when that changes no pixel by
    more than a trace (line art, plots, diagrams), as full colour otherwise (photographs).
    Returns None for an empty figure (nothing is shown), as IPython's own formatter does.
    """
    if not figure.axes and not getattr(figure, "lines", None):
        return None
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive int (2 for high-density screens), got {scale!r}")
    dpi = figure.dpi * scale
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None,
                   facecolor=figure.get_facecolor(), edgecolor=figure.get_edgecolor())
    data = _compact_png(buffer.getvalue(), dpi)
    width, height = _png_size(data)
    metadata = {"width": width // scale, "height": height // scale}
    return base64.b64encode(data).decode("ascii"), metadata


# Palette only when it is faithful: mean change per channel (0–255) and share of pixels changed visibly.
_PALETTE_MEAN_ERROR, _PALETTE_VISIBLE_SHARE = 0.6, 0.002


def _compact_png(data: bytes, dpi: float) -> bytes:
    """The PNG as a 256-colour palette image if that keeps it faithful, else as opaque RGB; the smaller."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    if image.mode == "RGBA" and image.getextrema()[3][0] < 255:  # see-through pixels: keep as drawn
        return data
    rgb = image.convert("RGB")
    candidates = [data]
    palette = rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    error = np.abs(np.asarray(palette.convert("RGB"), dtype=np.int16) - np.asarray(rgb, dtype=np.int16))
    faithful = error.mean() <= _PALETTE_MEAN_ERROR and (error.max(axis=2) > 24).mean() <= _PALETTE_VISIBLE_SHARE
    for candidate in ([palette] if faithful else []) + [rgb]:
        out = io.BytesIO()
        candidate.save(out, format="png", optimize=True, dpi=(dpi, dpi))
        candidates.append(out.getvalue())
    return min(candidates, key=len)


def _png_size(data: bytes) -> tuple[int, int]:
    import struct

    return struct.unpack(">II", data[16:24])


def new_axes(ax=None, *, figsize: tuple[float, float] = (FIGURE_WIDTH, 3.4)):
    """Return ``ax`` if given, else the axes of a new pyplot figure of ``figsize`` inches.

    In a notebook the new figure is shown at the end of the cell, like any pyplot figure.
    """
    if ax is not None:
        from matplotlib.axes import Axes  # ``import matplotlib`` alone does not load matplotlib.axes

        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def circle(centre: tuple[float, float], radius: float, *, color: str) -> patches.Circle:
    """A filled circle patch (a neuron)."""
    return patches.Circle(centre, radius, facecolor=color, edgecolor="black", linewidth=1.2, zorder=3)


def square(centre: tuple[float, float], side: float, *, color: str) -> patches.Rectangle:
    """A filled square patch centred on ``centre`` (an always-on input)."""
    x, y = centre
    return patches.Rectangle((x - side / 2, y - side / 2), side, side, facecolor=color,
                             edgecolor="black", linewidth=1.2, zorder=3)


def synapse(ax, source: tuple[float, float], target: tuple[float, float], *, radius: float,
            inhibitory: bool = False, count: int = 1) -> None:
    """Draw a connection between two circles of ``radius``.

    Excitatory synapses end in an arrow head; inhibitory ones in a small open circle
    (the usual notation since McCulloch and Pitts).  ``count > 1`` labels the line "×count".
    """
    (x0, y0), (x1, y1) = source, target
    direction = np.array([x1 - x0, y1 - y0], dtype=float)
    length = float(np.hypot(*direction))
    if length == 0:
        raise ValueError("source and target must be different points")
    unit = direction / length
    start = np.array([x0, y0]) + unit * radius
    end = np.array([x1, y1]) - unit * radius
    colour = PALETTE["vermillion"] if inhibitory else PALETTE["black"]
    if inhibitory:
        knob = 0.08
        ax.plot([start[0], end[0] - unit[0] * knob], [start[1], end[1] - unit[1] * knob],
                color=colour, lw=1.5, zorder=2)
        ax.add_patch(patches.Circle(end - unit * knob, knob, facecolor="white", edgecolor=colour, lw=1.5, zorder=4))
    else:
        ax.annotate("", xy=end, xytext=start, zorder=2,
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.5, shrinkA=0, shrinkB=0))
    if count > 1:
        middle = (start + end) / 2
        ax.text(middle[0], middle[1] + 0.08, f"×{count}", ha="center", va="bottom", fontsize=9, color=colour)


CLASS_STYLES = (
    dict(color=PALETTE["blue"], marker="o"),
    dict(color=PALETTE["orange"], marker="^"),
    dict(color=PALETTE["green"], marker="s"),
    dict(color=PALETTE["purple"], marker="D"),
)


def scatter_classes(X, y, ax=None, *, labels=None, size: float = 36):
    """Scatter 2-D points, one colour *and* marker per class (readable without colour).

    Parameters
    ----------
    X : array of shape (n_samples, 2)
    y : array of shape (n_samples,) with at most four distinct labels
    labels : sequence of str, optional
        Legend names, one per class in sorted order (default: the labels themselves).
    """
    try:
        X, y = np.asarray(X, dtype=float), np.asarray(y)
    except (TypeError, ValueError):
        raise TypeError(f"X must be an array of numbers of shape (n_samples, 2), got {type(X).__name__}") from None
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n_samples, 2), got {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},) to match X, got {y.shape}")
    classes = np.unique(y)
    if len(classes) > len(CLASS_STYLES):
        raise ValueError(f"y may hold at most {len(CLASS_STYLES)} classes, got {len(classes)}")
    if labels is not None and len(labels) != len(classes):
        raise ValueError(f"labels must name the {len(classes)} classes {classes.tolist()}, got {list(labels)}")
    ax = new_axes(ax)
    for index, (label, style) in enumerate(zip(classes, CLASS_STYLES)):
        mask = y == label
        ax.scatter(X[mask, 0], X[mask, 1], s=size, edgecolor="white", linewidth=0.6, zorder=3,
                   label=str(labels[index] if labels is not None else label), **style)
    return ax


def decision_regions(decision_function, ax=None, *, xlim, ylim, resolution: int = 200,
                     colors=(PALETTE["blue"], PALETTE["orange"]), line_color=PALETTE["black"]):
    """Shade where ``decision_function`` is negative / not negative and draw its zero level, the boundary.

    Parameters
    ----------
    decision_function : callable
        Maps points of shape (n, 2) to scores of shape (n,): scores >= 0 are the
        second class (a score of exactly 0 included, as the Heaviside step has it).
        Works for a linear unit and for any network alike.
    xlim, ylim : (float, float)
        The region to shade.
    resolution : int
        Grid points per axis.
    """
    if not callable(decision_function):
        raise TypeError(f"decision_function must be callable, got {type(decision_function).__name__}")
    for name, limits in (("xlim", xlim), ("ylim", ylim)):
        if not isinstance(limits, (tuple, list, np.ndarray)) or len(limits) != 2 or not limits[0] < limits[1]:
            raise ValueError(f"{name} must be (low, high) with low < high, got {limits!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    ax = new_axes(ax)
    xs, ys = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    scores = np.asarray(decision_function(np.c_[grid_x.ravel(), grid_y.ravel()]), dtype=float)
    if scores.shape != (resolution * resolution,):
        raise ValueError(f"decision_function must return one score per point, shape (n,); got {scores.shape}")
    scores = scores.reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, scores >= 0, levels=[-0.5, 0.5, 1.5], colors=colors, alpha=0.12, zorder=0)
    if scores.min() < 0 < scores.max():
        ax.contour(grid_x, grid_y, scores, levels=[0], colors=[line_color], linewidths=1.8, zorder=2)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return ax


def draw_layers(sizes, ax=None, *, labels=None, bias: bool = True, layer_names=None, title: str | None = None):
    """Draw a fully connected feed-forward network: one column of neurons per layer.

    Parameters
    ----------
    sizes : sequence of int >= 1
        Neurons per layer, input layer first (e.g. ``[2, 3]`` for a perceptron
        with two inputs and three TLUs).
    labels : sequence of sequences of str, optional
        A short label per neuron, layer by layer (default: x₁, x₂ … for inputs).
    bias : bool, default True
        Draw a bias neuron (a square holding 1) under every layer but the last,
        connected to every neuron of the next layer.
    layer_names : sequence of str, optional
        A caption under each layer ("input layer", …).

    Inputs are grey, hidden neurons blue, outputs orange (as in chapter 01's diagrams).
    """
    try:
        sizes = [int(n) for n in sizes]
    except (TypeError, ValueError):
        raise TypeError(f"sizes must be a sequence of layer sizes (ints), got {sizes!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least two layers of at least one neuron each, got {sizes}")
    if labels is not None and [len(layer) for layer in labels] != sizes:
        raise ValueError(f"labels must give one label per neuron, layer by layer, for sizes {sizes}")
    if layer_names is not None and len(layer_names) != len(sizes):
        raise ValueError(f"layer_names must name the {len(sizes)} layers, got {len(layer_names)}")
    ax = new_axes(ax, figsize=(1.9 * len(sizes) + 1, 0.75 * max(sizes) + 1.6))
    radius, gap_x, gap_y = 0.3, 2.2, 0.95
    positions = [[(i * gap_x, gap_y * ((n - 1) / 2 - j)) for j in range(n)] for i, n in enumerate(sizes)]
    bottom = min(y for layer in positions for _, y in layer) - (gap_y if bias else 0)
    for i, layer in enumerate(positions):
        colour = PALETTE["grey"] if i == 0 else (PALETTE["orange"] if i == len(sizes) - 1 else PALETTE["blue"])
        for j, (x, y) in enumerate(layer):
            ax.add_patch(circle((x, y), radius, color=colour))
            text = labels[i][j] if labels is not None else (f"x{_subscript(j + 1)}" if i == 0 else "")
            ax.text(x, y, text, ha="center", va="center", color="white", fontsize=9, weight="bold", zorder=4)
            if i > 0:
                for source in positions[i - 1]:
                    _connect(ax, source, (x, y), radius)
        if bias and i < len(sizes) - 1:
            ax.add_patch(square((i * gap_x, bottom), 0.42, color=PALETTE["grey"]))
            ax.text(i * gap_x, bottom, "1", ha="center", va="center", color="white", fontsize=9, weight="bold", zorder=4)
            for target in positions[i + 1]:
                _connect(ax, (i * gap_x, bottom), target, radius, dashed=True)
        if layer_names is not None:
            ax.text(i * gap_x, bottom - 0.75, layer_names[i], ha="center", va="top", fontsize=9)
    for x, y in positions[-1]:
        ax.annotate("", xy=(x + 0.9, y), xytext=(x + radius, y),
                    arrowprops=dict(arrowstyle="-|>", color=PALETTE["black"], lw=1.2))
    top = max(y for layer in positions for _, y in layer)
    ax.set_xlim(-0.6, (len(sizes) - 1) * gap_x + 1.1)
    ax.set_ylim(bottom - (1.3 if layer_names is not None else 0.5), top + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _connect(ax, source, target, radius: float, *, dashed: bool = False) -> None:
    start, end = np.asarray(source, float), np.asarray(target, float)
    unit = (end - start) / np.linalg.norm(end - start)
    a, b = start + unit * radius, end - unit * radius
    ax.plot([a[0], b[0]], [a[1], b[1]], color=PALETTE["grey"], lw=0.9, zorder=1,
            linestyle="--" if dashed else "-")


def figure_to_png(figure, *, dpi: int = 100, tight: bool = True) -> str:
    """The figure as a base64-encoded PNG string (the form notebook outputs store).

    ``tight`` crops to the drawn content (``bbox_inches="tight"``, which draws the figure
    twice); with False the figure is saved at its own size, faster, for figures whose
    layout is fixed by hand.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def draw_biological_neuron(ax=None):
    """A labelled schematic of a biological neuron: dendrites, cell body, axon, terminals, synapse.

    Drawn from simple shapes (no image is downloaded).  Returns the ``Axes``.
    """
    ax = new_axes(ax, figsize=(FIGURE_WIDTH, 2.6))
    rng = np.random.default_rng(7)  # fixed branching, same figure every run
    body = (2.0, 0.0)
    membrane = PALETTE["sky"]

    # Dendrites: branching lines around the cell body.
    for angle in np.linspace(100, 260, 6):
        a = np.radians(angle)
        tip = np.array(body) + 1.3 * np.array([np.cos(a), np.sin(a)])
        ax.plot([body[0], tip[0]], [body[1], tip[1]], color=membrane, lw=3, solid_capstyle="round")
        for turn in (-25, 25):
            b = a + np.radians(turn + rng.uniform(-8, 8))
            twig = tip + 0.55 * np.array([np.cos(b), np.sin(b)])
            ax.plot([tip[0], twig[0]], [tip[1], twig[1]], color=membrane, lw=1.8, solid_capstyle="round")

    ax.add_patch(patches.Circle(body, 0.55, facecolor=membrane, edgecolor="black", lw=1.2, zorder=3))
    ax.add_patch(patches.Circle((body[0] - 0.05, body[1] + 0.05), 0.2, facecolor=PALETTE["blue"], zorder=4))

    # Axon with its myelin sheath, then the branching terminals.
    axon_end = 8.0
    ax.plot([body[0] + 0.55, axon_end], [0, 0], color=membrane, lw=3, zorder=1)
    for x in np.arange(3.2, axon_end - 0.5, 1.0):
        ax.add_patch(patches.FancyBboxPatch((x, -0.14), 0.7, 0.28, boxstyle="round,pad=0.02",
                                            facecolor=PALETTE["yellow"], edgecolor="black", lw=0.8, zorder=2))
    for dy in (-0.7, -0.25, 0.25, 0.7):
        ax.plot([axon_end, axon_end + 0.9], [0, dy], color=membrane, lw=2)
        ax.add_patch(patches.Circle((axon_end + 0.95, dy), 0.09, facecolor=PALETTE["green"], zorder=3))

    # The next neuron's dendrite, across the synaptic gap from the top terminal.
    ax.plot([axon_end + 1.2, axon_end + 2.0], [0.7, 1.1], color=PALETTE["purple"], lw=3)
    ax.plot([axon_end + 1.2, axon_end + 2.0], [0.7, 0.4], color=PALETTE["purple"], lw=2)

    labels = [
        ("dendrites\n(receive signals)", (1.35, 0.75), (-0.6, 1.55)),
        ("cell body\n(soma, nucleus)", (2.3, -0.45), (3.4, -1.55)),
        ("axon", (4.5, 0.0), (4.5, 0.9)),
        ("myelin sheath", (6.5, -0.12), (6.0, -1.2)),
        ("axon terminals", (8.9, -0.7), (8.2, -1.6)),
        ("synapse → next neuron", (9.1, 0.72), (8.3, 1.6)),
    ]
    for text, xy, xytext in labels:
        ax.annotate(text, xy=xy, xytext=xytext, fontsize=9, ha="center",
                    arrowprops=dict(arrowstyle="-", color=PALETTE["grey"], lw=0.8))
    ax.annotate("", xy=(7.4, -0.45), xytext=(3.0, -0.45),
                arrowprops=dict(arrowstyle="-|>", color=PALETTE["vermillion"], lw=1.5))
    ax.text(5.2, -0.72, "action potential travels this way", ha="center", fontsize=9, color=PALETTE["vermillion"])

    ax.set_xlim(-1.6, 10.4)
    ax.set_ylim(-2.0, 2.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def timeline(events, ax=None, *, spans=()):
    """Draw dated events along a horizontal time axis, with shaded periods.

    Parameters
    ----------
    events : sequence of (year, label)
        Years as numbers; labels are short strings (``\n`` breaks a line).
    ax : matplotlib Axes, optional
    spans : sequence of (start_year, end_year, label), optional
        Periods to shade (for instance the "AI winters"), labelled below the axis.

    Returns the ``Axes``.
    """
    events = list(events)
    if not events:
        raise ValueError("events must hold at least one (year, label) pair")
    for event in events:
        if (not isinstance(event, (tuple, list)) or len(event) != 2 or not isinstance(event[0], (int, float))
                or not isinstance(event[1], str)):
            raise TypeError(f"each event must be a (year, label) pair, got {event!r}")
    spans = list(spans)
    for span in spans:
        if (not isinstance(span, (tuple, list)) or len(span) != 3 or not all(isinstance(v, (int, float)) for v in span[:2])
                or not isinstance(span[2], str) or span[0] >= span[1]):
            raise TypeError(f"each span must be a (start_year, end_year, label) triple with start < end, got {span!r}")
    ax = new_axes(ax, figsize=(FIGURE_WIDTH, 2.7))
    years = [year for year, _ in events] + [y for span in spans for y in span[:2]]
    for start, end, label in spans:
        ax.axvspan(start, end, ymin=0.05, ymax=0.86, color=PALETTE["sky"], alpha=0.25, lw=0)
        ax.text((start + end) / 2, 2.75, label, ha="center", va="bottom", fontsize=9, style="italic",
                color=PALETTE["blue"])
    ax.axhline(0, color=PALETTE["grey"], lw=1.5, zorder=1)
    for i, (year, label) in enumerate(sorted(events, key=lambda event: event[0])):
        up = i % 2 == 0  # alternate above and below the axis so that neighbours never collide
        height = 1.0 if up else -1.0
        ax.plot([year, year], [0, height], color=PALETTE["blue"], lw=1)
        ax.plot(year, 0, "o", color=PALETTE["blue"], zorder=3)
        ax.text(year, height, f"{year}\n{label}" if up else f"{label}\n{year}", ha="center",
                va="bottom" if up else "top", fontsize=9)
    ax.set_xlim(min(years) - 4, max(years) + 4)
    ax.set_ylim(-2.9, 3.3)
    ax.axis("off")
    return ax


def draw_cortex_layers(ax=None, *, seed: int = 3):
    """A schematic slice of cerebral cortex: six stacked layers of neurons, wired mostly across layers.

    Pyramid markers stand for neuron bodies; thin lines for their connections.
    The drawing is random but seeded, so it is the same on every run.  Returns the ``Axes``.
    """
    ax = new_axes(ax, figsize=(3.0, 3.4))
    rng = np.random.default_rng(seed)
    names = ("I", "II", "III", "IV", "V", "VI")
    bodies = []
    for depth, name in enumerate(names):
        top = 6 - depth
        ax.axhspan(top - 1, top, color=PALETTE["sky"], alpha=0.10 + 0.06 * (depth % 2), lw=0)
        ax.text(-0.35, top - 0.5, name, ha="right", va="center", fontsize=9, color=PALETTE["grey"])
        count = 0 if name == "I" else 4  # layer I holds fibres, hardly any cell bodies
        xs = np.sort(rng.uniform(0.3, 3.7, size=count))
        ys = top - 0.5 + rng.uniform(-0.25, 0.25, size=count)
        bodies += [(x, y, depth) for x, y in zip(xs, ys)]
    for x, y, depth in bodies:  # each neuron reaches up to one or two neurons in shallower layers
        targets = [b for b in bodies if b[2] < depth and b[2] >= depth - 2]
        for tx, ty, _ in (targets[i] for i in rng.choice(len(targets), size=min(2, len(targets)), replace=False)):
            ax.plot([x, tx], [y, ty], color=PALETTE["grey"], lw=0.6, alpha=0.7, zorder=1)
    ax.scatter([b[0] for b in bodies], [b[1] for b in bodies], marker="^", s=70, color=PALETTE["blue"],
               edgecolor="black", linewidth=0.6, zorder=3)
    ax.set_xlim(-0.9, 4.0)
    ax.set_ylim(0, 6.6)
    ax.text(1.95, 6.15, "surface of the brain", ha="center", fontsize=9, color=PALETTE["grey"])
    ax.set_title("layered cortex (schematic)")
    ax.axis("off")
    return ax
