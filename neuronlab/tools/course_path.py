"""The landing page's overview figure: the course's path, chapter by chapter, drawn by code.

The site's extension (``_ext/reading_aids.py``) draws it at every build into the built
site's ``_static/course_path.svg``, with the chapters that are in the table of contents
drawn solid and the planned ones dashed, so the figure can never be stale. To look at it
on its own::

    python -m neuronlab.tools.course_path course_path.svg            # every chapter ready
    python -m neuronlab.tools.course_path course_path.svg --ready 01 02
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib import patches
from matplotlib.figure import Figure

from neuronlab.plots import PALETTE, STYLE

__all__ = ["Station", "STATIONS", "PARTS", "ROWS", "FIGURE_WIDTH", "draw_course_path", "alt_text", "svg", "write_svg"]


@dataclass(frozen=True)
class Station:
    number: str  # "01": the chapter's number, as its file name starts
    title: str  # what the box says (a "\n" breaks the line)
    detail: str  # one short line under it
    icon: str  # the name of a little drawing (see _ICONS)
    words: str  # how the alt text names it


STATIONS = (
    Station("01", "McCulloch–Pitts\nneuron", "logic gates, 1943", "neuron",
            "the McCulloch–Pitts neuron computing logic gates"),
    Station("02", "The\nperceptron", "a learning rule", "separator",
            "the perceptron and its learning rule"),
    Station("03", "MLPs and\nbackpropagation", "autodiff by hand", "network",
            "multilayer perceptrons trained by backpropagation"),
    Station("04", "MLPs with\nKeras", "classify, regress", "layers",
            "building MLPs with Keras"),
    Station("05", "Fine-tuning\nhyperparameters", "search, guidelines", "sliders",
            "fine-tuning hyperparameters"),
    Station("06", "Training deep\nnets stably", "init, BatchNorm", "gradients",
            "training deep networks stably"),
    Station("07", "Optimizers and\nregularisation", "Adam, dropout", "descent",
            "optimizers, learning-rate schedules and regularisation"),
)
"""The chapters in reading order."""

PARTS = (
    ("Part I · From biological to artificial neurons", ("01", "02", "03"), PALETTE["sky"]),
    ("Part II · Neural networks with Keras", ("04", "05"), PALETTE["orange"]),
    ("Part III · Training deep neural networks", ("06", "07"), PALETTE["green"]),
)
"""The course's parts as the site's sidebar names them (``_toc.yml``; a test compares the two):
a caption, the chapters in it, a tint."""

ROWS = ((0,), (1, 2))
"""Which parts share a row of the figure: Part I alone, Parts II and III side by side."""

FIGURE_WIDTH = 7.0  # inches: the page's text column (the landing page shows it at 100 %)

# Geometry in inches (the axes' data units are inches: one unit is one inch on the page).
_BOX_W, _BOX_H, _GAP, _PART_GAP = 1.45, 1.42, 0.16, 0.36
_PANEL_PAD, _PANEL_LABEL, _ROW_GAP = 0.1, 0.32, 0.3
_MARGIN = (FIGURE_WIDTH - 4 * _BOX_W - 2 * _GAP - _PART_GAP) / 2
_SMALLEST_TEXT = 9  # points: every label at least this size at 100 %


def draw_course_path(ax, *, ready=None):
    """Draw the path from chapter 01 to 07 on ``ax`` (whose figure should be 7 in wide).

    Parameters
    ----------
    ax : matplotlib Axes
    ready : collection of str, optional
        Numbers of the chapters readers can open now ("01", …): they are drawn solid,
        the others dashed and grey with "being written" (and only then does the figure
        carry a legend saying so). Default: all of them.

    Returns the ``Axes``.
    """
    numbers = [station.number for station in STATIONS]
    ready = set(numbers) if ready is None else {str(number) for number in ready}
    unknown = ready - set(numbers)
    if unknown:
        raise ValueError(f"ready names chapters the course does not have: {sorted(unknown)} (it has {numbers})")
    stations = {station.number: station for station in STATIONS}
    row_h = _PANEL_LABEL + _BOX_H + 2 * _PANEL_PAD
    height = len(ROWS) * row_h + (len(ROWS) - 1) * _ROW_GAP + 0.1
    centres: dict[str, tuple[float, float]] = {}
    for row, parts in enumerate(ROWS):
        top = height - 0.05 - row * (row_h + _ROW_GAP)
        x = _MARGIN
        for part in parts:
            caption, members, tint = PARTS[part]
            width = len(members) * _BOX_W + (len(members) - 1) * _GAP + 2 * _PANEL_PAD
            ax.add_patch(patches.FancyBboxPatch((x - _PANEL_PAD, top - row_h), width, row_h,
                                                boxstyle="round,pad=0,rounding_size=0.12", facecolor=tint,
                                                alpha=0.16, edgecolor="none", zorder=0))
            ax.text(x, top - 0.07, caption, ha="left", va="top", fontsize=_SMALLEST_TEXT, weight="bold",
                    color=PALETTE["black"])
            for column, number in enumerate(members):
                left = x + column * (_BOX_W + _GAP)
                y = top - _PANEL_LABEL - _PANEL_PAD - _BOX_H
                _station(ax, stations[number], left, y, number in ready)
                centres[number] = (left, y)
            x += width - 2 * _PANEL_PAD + _PART_GAP
    if ready != set(numbers):  # a dashed box needs saying what it means; all solid needs no legend
        _legend(ax, height)
    for before, after in zip(numbers, numbers[1:]):
        _arrow(ax, centres[before], centres[after])
    ax.set_xlim(0, FIGURE_WIDTH)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _station(ax, station: Station, x: float, y: float, ready: bool) -> None:
    ink = PALETTE["black"] if ready else PALETTE["grey"]
    ax.add_patch(patches.FancyBboxPatch((x, y), _BOX_W, _BOX_H, boxstyle="round,pad=0,rounding_size=0.08",
                                        facecolor="white", edgecolor=ink, linewidth=1.3 if ready else 1.0,
                                        linestyle="-" if ready else (0, (4, 2.5)), zorder=2))
    ax.text(x + 0.1, y + _BOX_H - 0.08, station.number, ha="left", va="top", fontsize=15, weight="bold",
            color=PALETTE["blue"] if ready else PALETTE["grey"], zorder=3)
    _ICONS[station.icon](ax, x + _BOX_W - 0.62, y + _BOX_H - 0.5, 0.52, 0.4, ready)
    ax.text(x + 0.1, y + 0.4, station.title, ha="left", va="bottom", fontsize=9.5, color=ink,
            linespacing=1.15, zorder=3)
    ax.text(x + 0.1, y + 0.11, "being written" if not ready else station.detail, ha="left", va="bottom",
            fontsize=_SMALLEST_TEXT, color=PALETTE["grey"], style="italic" if not ready else "normal", zorder=3)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    """From one box to the next: straight along a row, or down into the next row's first box."""
    style = dict(arrowstyle="-|>,head_length=0.35,head_width=0.18", color=PALETTE["black"], lw=1.3,
                 shrinkA=0, shrinkB=0, zorder=4)
    (x0, y0), (x1, y1) = start, end
    if abs(y0 - y1) < 1e-9:
        middle = y0 + _BOX_H / 2
        ax.annotate("", xy=(x1 + 0.01, middle), xytext=(x0 + _BOX_W, middle), arrowprops=style)
        return
    # Like a line of text wrapping: down from the last box of a row, left along the gap between the
    # rows, down the left margin and into the next row's first box from its left.
    gutter = y0 - _PANEL_PAD - _ROW_GAP / 2
    down_x, margin_x, middle = x0 + _BOX_W / 2, _MARGIN - _PANEL_PAD - 0.08, y1 + _BOX_H / 2
    ax.plot([down_x, down_x, margin_x, margin_x], [y0, gutter, gutter, middle], color=PALETTE["black"], lw=1.3,
            zorder=4, solid_joinstyle="round")
    ax.annotate("", xy=(x1 + 0.01, middle), xytext=(margin_x, middle), arrowprops=style)


def _legend(ax, height: float) -> None:
    """The free corner right of Part I: what solid and dashed boxes mean (drawn only when a box is dashed)."""
    x = _MARGIN + 3 * (_BOX_W + _GAP) + 0.1
    top = height - 0.05 - _PANEL_LABEL - _PANEL_PAD
    for row, (dashed, words) in enumerate(((False, "on this site"), (True, "being written"))):
        y = top - 0.22 - row * 0.4
        ax.add_patch(patches.FancyBboxPatch((x, y - 0.1), 0.32, 0.2, boxstyle="round,pad=0,rounding_size=0.04",
                                            facecolor="white", edgecolor=PALETTE["grey" if dashed else "black"],
                                            linewidth=1.0 if dashed else 1.3,
                                            linestyle=(0, (4, 2.5)) if dashed else "-", zorder=2))
        ax.text(x + 0.42, y, words, ha="left", va="center", fontsize=_SMALLEST_TEXT, color=PALETTE["black"])


# --------------------------------------------------------------------------- the little drawings
# Each draws in the box (x, y, width, height), in inches; ``on`` is False for a planned chapter.

def _colour(name: str, on: bool) -> str:
    return PALETTE[name] if on else "#B8B8B8"


def _icon_neuron(ax, x, y, w, h, on):
    """Two inputs into a threshold unit, one output."""
    centre = (x + 0.58 * w, y + h / 2)
    for dy in (0.3, -0.3):
        ax.plot([x + 0.02, centre[0] - 0.1], [centre[1] + dy * h, centre[1]], color=_colour("grey", on), lw=1)
    ax.plot([centre[0] + 0.1, x + w], [centre[1], centre[1]], color=_colour("grey", on), lw=1)
    ax.add_patch(patches.Circle(centre, 0.1, facecolor=_colour("blue", on), edgecolor="none", zorder=3))
    ax.text(centre[0], centre[1], "θ", ha="center", va="center", fontsize=6.5, color="white", zorder=4)


def _icon_separator(ax, x, y, w, h, on):
    """Two classes of points and the line between them."""
    rng = np.random.default_rng(2)
    points = rng.uniform(0.08, 0.92, size=(14, 2))
    points = points[np.abs(points[:, 1] - 0.15 - 0.75 * points[:, 0]) > 0.1]
    above = points[:, 1] > 0.15 + 0.75 * points[:, 0]
    px, py = x + points[:, 0] * w, y + points[:, 1] * h
    ax.scatter(px[above], py[above], s=7, marker="o", color=_colour("blue", on), linewidths=0, zorder=3)
    ax.scatter(px[~above], py[~above], s=9, marker="^", color=_colour("orange", on), linewidths=0, zorder=3)
    ax.plot([x, x + w], [y + 0.15 * h, y + 0.9 * h], color=_colour("black", on), lw=1.1, zorder=3)


def _icon_network(ax, x, y, w, h, on):
    """A 2-3-1 network, with the backward pass as a red arrow underneath."""
    layers = [[0.3, 0.7], [0.15, 0.5, 0.85], [0.5]]
    columns = [0.08, 0.5, 0.92]
    nodes = [[(x + cx * w, y + 0.12 * h + cy * 0.85 * h) for cy in layer] for cx, layer in zip(columns, layers)]
    for left, right in zip(nodes, nodes[1:]):
        for a in left:
            for b in right:
                ax.plot([a[0], b[0]], [a[1], b[1]], color=_colour("grey", on), lw=0.5, zorder=2)
    for index, layer in enumerate(nodes):
        colour = "grey" if index == 0 else ("orange" if index == len(nodes) - 1 else "blue")
        for point in layer:
            ax.add_patch(patches.Circle(point, 0.04, facecolor=_colour(colour, on), edgecolor="none", zorder=3))
    ax.annotate("", xy=(x + 0.05 * w, y - 0.02), xytext=(x + 0.95 * w, y - 0.02),
                arrowprops=dict(arrowstyle="-|>,head_length=0.2,head_width=0.1", lw=1,
                                color=_colour("vermillion", on), shrinkA=0, shrinkB=0))


def _icon_layers(ax, x, y, w, h, on):
    """A Sequential stack of Dense layers."""
    for index, colour in enumerate(("grey", "blue", "blue", "orange")):
        ax.add_patch(patches.FancyBboxPatch((x + 0.1 * w, y + index * 0.26 * h), 0.8 * w, 0.17 * h,
                                            boxstyle="round,pad=0,rounding_size=0.02",
                                            facecolor=_colour(colour, on), edgecolor="none", zorder=3))


def _icon_sliders(ax, x, y, w, h, on):
    """Three hyperparameter knobs."""
    for index, position in enumerate((0.7, 0.3, 0.55)):
        level = y + (0.2 + 0.3 * index) * h
        ax.plot([x + 0.05 * w, x + 0.95 * w], [level, level], color=_colour("grey", on), lw=1, zorder=2)
        ax.add_patch(patches.Circle((x + (0.05 + 0.9 * position) * w, level), 0.045,
                                    facecolor=_colour("green", on), edgecolor="none", zorder=3))


def _icon_gradients(ax, x, y, w, h, on):
    """Gradient sizes layer by layer: kept level instead of vanishing (dashed)."""
    count = 6
    for index in range(count):
        left = x + (0.04 + index * 0.16) * w
        ax.add_patch(patches.Rectangle((left, y + 0.05 * h), 0.1 * w, 0.55 * h, facecolor=_colour("blue", on),
                                       edgecolor="none", zorder=3))
    xs = np.linspace(0.04, 0.96, 30)
    ax.plot(x + xs * w, y + (0.05 + 0.9 * np.exp(-4 * xs)) * h, color=_colour("vermillion", on),
            lw=1, linestyle=(0, (2, 1.5)), zorder=2)


def _icon_descent(ax, x, y, w, h, on):
    """A loss curve falling: the optimizer's work."""
    xs = np.linspace(0, 1, 40)
    ax.plot(x + xs * w, y + (0.1 + 0.85 * np.exp(-4.5 * xs) + 0.04 * np.sin(18 * xs) * np.exp(-3 * xs)) * h,
            color=_colour("green", on), lw=1.4, zorder=3)
    ax.plot([x, x], [y, y + h], color=_colour("grey", on), lw=0.8, zorder=2)
    ax.plot([x, x + w], [y, y], color=_colour("grey", on), lw=0.8, zorder=2)


_ICONS = {"neuron": _icon_neuron, "separator": _icon_separator, "network": _icon_network,
          "layers": _icon_layers, "sliders": _icon_sliders, "gradients": _icon_gradients,
          "descent": _icon_descent}


# --------------------------------------------------------------------------- words and files
def alt_text(ready=None) -> str:
    """What the figure shows, in words (the image's alt text)."""
    numbers = [station.number for station in STATIONS]
    ready = set(numbers) if ready is None else {str(number) for number in ready}
    parts = []
    for caption, members, _ in PARTS:
        steps = [f"{station.number}, {station.words}" for station in STATIONS if station.number in members]
        parts.append(f"{caption.replace(' · ', ', ')}: " + "; then ".join(steps))
    planned = [number for number in numbers if number not in ready]
    text = "The course's path in seven chapters, each leading to the next. " + ". ".join(parts) + "."
    if planned:
        text += f" Chapters {', '.join(planned)} are being written." if len(planned) > 1 else \
            f" Chapter {planned[0]} is being written."
    return text


def svg(*, ready=None) -> bytes:
    """The figure as SVG bytes; the same bytes for the same chapters on every run."""
    import matplotlib as mpl

    rc = {key: value for key, value in STYLE.items() if not key.startswith("axes.")}
    with mpl.rc_context({**rc, "svg.hashsalt": "neuronlab-course-path", "svg.fonttype": "path"}):
        figure = Figure(figsize=(FIGURE_WIDTH, 1.0))
        ax = figure.add_axes((0, 0, 1, 1))
        draw_course_path(ax, ready=ready)
        low, high = ax.get_ylim()
        figure.set_size_inches(FIGURE_WIDTH, high - low)  # one data unit per inch
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, facecolor="white")
    return buffer.getvalue()


def write_svg(path: str | Path, *, ready=None) -> bool:
    """Write the figure to ``path`` unless the file already holds it; return True if it was written."""
    path = Path(path)
    data = svg(ready=ready)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuronlab.tools.course_path", description=__doc__.split("\n")[0])
    parser.add_argument("output", type=Path, help="the SVG file to write")
    parser.add_argument("--ready", nargs="*", metavar="NN", help="chapters drawn solid (default: all)")
    args = parser.parse_args(argv)
    try:
        write_svg(args.output, ready=args.ready)
    except ValueError as error:
        parser.error(str(error))
    print(f"{args.output} ({args.output.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
