"""neuronlab.plots: the figure style and the shared drawing helpers."""

import base64
import re
import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

from neuronlab import plots

from widget_helpers import PNG_MAGIC, png_size


def test_use_style_applies_the_course_style():
    with mpl.rc_context():
        plots.use_style()
        assert mpl.rcParams["figure.facecolor"] == "white"
        assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == plots.PALETTE["blue"]


def test_new_axes_returns_given_axes_or_a_new_one():
    _, ax = plt.subplots()
    assert plots.new_axes(ax) is ax
    made = plots.new_axes(figsize=(3.0, 2.0))
    assert isinstance(made, Axes)
    assert tuple(made.figure.get_size_inches()) == (3.0, 2.0)


@pytest.mark.parametrize("ax", ["left", 0, plt])
def test_new_axes_rejects_non_axes_naming_ax(ax):
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plots.new_axes(ax)


def test_new_axes_rejects_non_axes_before_pyplot_is_imported():
    # In a fresh process only ``neuronlab.plots`` is loaded: the check must not depend on
    # ``matplotlib.axes`` having been imported by someone else.
    code = ("from neuronlab import plots\n"
            "try:\n    plots.new_axes('left')\n"
            "except TypeError as e:\n    print('TypeError', e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("TypeError ax must be a matplotlib Axes"), result.stdout + result.stderr


def test_circle_and_square_are_centred_patches():
    c = plots.circle((1.0, 2.0), 0.5, color="red")
    s = plots.square((1.0, 2.0), 0.4, color="red")
    assert c.center == (1.0, 2.0) and c.radius == 0.5
    assert s.get_xy() == (0.8, 1.8) and s.get_width() == pytest.approx(0.4)


def test_synapse_draws_excitatory_arrow_and_inhibitory_knob_with_count():
    _, ax = plt.subplots()
    plots.synapse(ax, (0, 0), (2, 0), radius=0.3)
    plots.synapse(ax, (0, 1), (2, 1), radius=0.3, inhibitory=True, count=3)
    assert len(ax.texts) >= 1 and any(t.get_text() == "×3" for t in ax.texts)
    assert len(ax.patches) == 1  # the inhibitory knob


def test_synapse_between_the_same_point_raises_value_error():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="source and target must be different points"):
        plots.synapse(ax, (1.0, 1.0), (1.0, 1.0), radius=0.3)


def test_figure_to_png_returns_base64_png():
    figure, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    encoded = plots.figure_to_png(figure)
    assert isinstance(encoded, str)
    raw = base64.b64decode(encoded, validate=True)
    assert raw[:8] == PNG_MAGIC


def test_figure_to_png_crops_to_the_content_unless_told_to_keep_the_figure_size():
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.8, 3.6))
    figure.add_axes((0.3, 0.3, 0.4, 0.4)).plot([0, 1])
    assert png_size(plots.figure_to_png(figure, tight=False)) == (680, 360)
    tight = png_size(plots.figure_to_png(figure))
    assert tight[0] < 680 and tight[1] < 360


def test_draw_biological_neuron_runs_and_labels_the_parts():
    ax = plots.draw_biological_neuron()
    assert isinstance(ax, Axes)
    texts = " ".join(t.get_text() for t in ax.texts)
    for part in ("dendrites", "cell body", "axon", "myelin", "synapse"):
        assert part in texts
    assert base64.b64decode(plots.figure_to_png(ax.figure))[:8] == PNG_MAGIC


def test_draw_biological_neuron_into_given_axes():
    _, ax = plt.subplots()
    assert plots.draw_biological_neuron(ax) is ax


def test_timeline_draws_each_event():
    events = [(1958, "perceptron"), (1943, "McCulloch–Pitts"), (1986.5, "backprop")]
    ax = plots.timeline(events)
    assert isinstance(ax, Axes)
    # In time order, alternately above the axis (year first) and below it (label first).
    assert [(t.get_text(), t.get_position()[1]) for t in ax.texts] == [
        ("1943\nMcCulloch–Pitts", 1.0), ("perceptron\n1958", -1.0), ("1986.5\nbackprop", 1.0)]
    assert ax.get_xlim() == (1943 - 4, 1986.5 + 4)
    assert not ax.patches  # no spans, no shading


def test_timeline_shades_and_labels_each_span_and_widens_the_axis_to_it():
    events = [(1958, "perceptron"), (1986, "backprop")]
    spans = [(1974, 1980, "first AI winter"), (1987, 1993.5, "second AI winter")]
    ax = plots.timeline(events, spans=spans)
    assert [t.get_text() for t in ax.texts if "winter" in t.get_text()] == ["first AI winter", "second AI winter"]
    shaded = [p for p in ax.patches if p.get_alpha() == 0.25]
    assert len(shaded) == 2
    assert sorted(round(p.get_x(), 6) for p in shaded) == [1974, 1987]
    assert ax.get_xlim() == (1958 - 4, 1993.5 + 4)


def test_timeline_accepts_spans_as_lists_and_a_generator():
    ax = plots.timeline([(1950, "a")], spans=([start, start + 5, "s"] for start in (1960, 1970)))
    assert sum(t.get_text() == "s" for t in ax.texts) == 2


def test_timeline_draws_into_given_axes():
    _, given = plt.subplots()
    assert plots.timeline([(1950, "a")], given, spans=[(1940, 1945, "war")]) is given


def test_timeline_has_no_highlight_argument_any_more():
    with pytest.raises(TypeError, match="highlight"):
        plots.timeline([(1943, "MCP")], highlight={"MCP": "vermillion"})


def test_timeline_spans_are_keyword_only():
    with pytest.raises(TypeError):
        plots.timeline([(1943, "MCP")], None, [(1940, 1950, "x")])


@pytest.mark.parametrize("span", [
    (1980, 1974, "backwards"),
    (1974, 1974, "empty"),
    (1974, 1980),
    (1974, 1980, "label", "extra"),
    ("1974", 1980, "year as text"),
    (1974, None, "no end"),
    (1974, 1980, 5),
    (1974, 1980, None),
    {1974, 1980, "set"},
    "abc",
    None,
    1974,
])
def test_timeline_rejects_bad_spans_naming_the_span(span):
    with pytest.raises(TypeError, match="^each span must be a \\(start_year, end_year, label\\) triple with start < "
                                        f"end, got {re.escape(repr(span))}$"):
        plots.timeline([(1943, "MCP")], spans=[(1990, 1995, "fine"), span])


def test_timeline_accepts_a_mix_of_tuple_and_list_events():
    ax = plots.timeline([(1958, "perceptron"), [1943, "McCulloch–Pitts"]])
    assert len(ax.texts) == 2


def test_timeline_accepts_a_generator():
    ax = plots.timeline(((year, str(year)) for year in (1950, 1960)))
    assert len(ax.texts) == 2


def test_timeline_rejects_no_events():
    with pytest.raises(ValueError, match="events must hold at least one"):
        plots.timeline([])


@pytest.mark.parametrize("events", [
    [(1943,)],
    [(1943, "a", "b")],
    [("1943", "McCulloch–Pitts")],
    [(1943, 7)],
    [1943],
    ["ab"],
    [(1943, "ok"), None],
])
def test_timeline_rejects_bad_pairs_naming_the_event(events):
    with pytest.raises(TypeError, match="each event must be a \\(year, label\\) pair"):
        plots.timeline(events)


def test_draw_cortex_layers_labels_six_layers_and_is_the_same_every_run():
    ax = plots.draw_cortex_layers()
    assert isinstance(ax, Axes) and ax.get_title() == "layered cortex (schematic)"
    texts = [t.get_text() for t in ax.texts]
    assert texts[:6] == ["I", "II", "III", "IV", "V", "VI"] and "surface of the brain" in texts
    again = plots.draw_cortex_layers()
    assert plots.figure_to_png(ax.figure) == plots.figure_to_png(again.figure)


def test_draw_cortex_layers_into_given_axes_and_rejects_non_axes():
    _, given = plt.subplots()
    assert plots.draw_cortex_layers(given, seed=1) is given
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plots.draw_cortex_layers("left")


# --- scatter_classes and decision_regions (chapter 02) -------------------------------------------

def _marker_path(marker):
    from matplotlib.markers import MarkerStyle

    style = MarkerStyle(marker)
    return style.get_path().transformed(style.get_transform())


def _figure_axes():
    from matplotlib.figure import Figure

    return Figure().subplots()


def test_scatter_classes_draws_one_collection_per_class_with_distinct_markers_and_colours():
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_rgba

    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 3.0], [4.0, 1.0], [5.0, 5.0]])
    y = np.array(["b", "a", "c", "a", "b", "d"])
    ax = _figure_axes()
    assert plots.scatter_classes(X, y, ax) is ax
    collections = ax.collections
    assert len(collections) == 4 and all(isinstance(c, PathCollection) for c in collections)
    # Classes in sorted order, each holding exactly its points, labelled by the class.
    assert [c.get_label() for c in collections] == ["a", "b", "c", "d"]
    for collection, label in zip(collections, "abcd"):
        assert collection.get_offsets().tolist() == X[y == label].tolist()
    # Colour and marker both differ from class to class (readable in greyscale too).
    for collection, style in zip(collections, plots.CLASS_STYLES):
        assert tuple(collection.get_facecolor()[0]) == to_rgba(style["color"])
        assert np.allclose(collection.get_paths()[0].vertices, _marker_path(style["marker"]).vertices)
    markers = [style["marker"] for style in plots.CLASS_STYLES]
    colours = [style["color"] for style in plots.CLASS_STYLES]
    assert len(set(markers)) == len(markers) and len(set(colours)) == len(colours)
    assert all(c.get_sizes().tolist() == [36] for c in collections)


def test_scatter_classes_labels_size_and_new_axes():
    X, y = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), np.array([1, 0, 1])
    ax = plots.scatter_classes(X, y, labels=["negative", "positive"], size=10)
    assert isinstance(ax, Axes)
    assert [c.get_label() for c in ax.collections] == ["negative", "positive"]
    assert [len(c.get_offsets()) for c in ax.collections] == [1, 2]
    assert ax.collections[0].get_sizes().tolist() == [10]
    assert [t.get_text() for t in ax.legend().get_texts()] == ["negative", "positive"]


def test_scatter_classes_accepts_lists_and_a_single_class():
    ax = plots.scatter_classes([[0, 0], [1, 2]], [True, True], _figure_axes())
    assert len(ax.collections) == 1 and ax.collections[0].get_label() == "True"


@pytest.mark.parametrize(("X", "y", "kwargs", "message"), [
    (np.zeros((3, 3)), [0, 1, 0], {}, r"X must have shape \(n_samples, 2\), got \(3, 3\)"),
    (np.zeros(4), [0, 1, 0, 1], {}, r"X must have shape \(n_samples, 2\), got \(4,\)"),
    (np.zeros((3, 2)), [0, 1], {}, r"y must have shape \(3,\) to match X, got \(2,\)"),
    (np.zeros((3, 2)), [[0], [1], [0]], {}, r"y must have shape \(3,\) to match X, got \(3, 1\)"),
    (np.zeros((5, 2)), [0, 1, 2, 3, 4], {}, "y may hold at most 4 classes, got 5"),
    (np.zeros((3, 2)), [0, 1, 0], {"labels": ["only one"]}, r"labels must name the 2 classes \[0, 1\]"),
])
def test_scatter_classes_rejects_bad_input_naming_the_argument(X, y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.scatter_classes(X, y, _figure_axes(), **kwargs)


def test_scatter_classes_rejects_non_axes():
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plots.scatter_classes(np.zeros((2, 2)), [0, 1], "left")


def test_decision_regions_shades_both_sides_and_draws_the_zero_level():
    from matplotlib.contour import ContourSet

    ax = _figure_axes()
    seen = []

    def score(points):
        seen.append(points.shape)
        return points[:, 0] + points[:, 1] - 1.0

    assert plots.decision_regions(score, ax, xlim=(-1.0, 2.0), ylim=(-0.5, 1.5), resolution=30) is ax
    assert seen == [(900, 2)]  # one call on the whole grid
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 2
    shading, boundary = contours
    assert shading.filled and shading.levels.tolist() == [-0.5, 0.5, 1.5]
    assert not boundary.filled and boundary.levels.tolist() == [0.0]
    # The boundary lies on the line x + y = 1.
    vertices = np.concatenate([path.vertices for path in boundary.get_paths() if len(path.vertices)])
    assert np.allclose(vertices.sum(axis=1), 1.0, atol=1e-9)
    assert ax.get_xlim() == (-1.0, 2.0) and ax.get_ylim() == (-0.5, 1.5)


@pytest.mark.parametrize("score", [lambda P: P[:, 0] + 10.0, lambda P: -np.ones(len(P)), lambda P: np.zeros(len(P))])
def test_decision_regions_draws_no_boundary_when_the_score_keeps_its_sign(score):
    from matplotlib.contour import ContourSet

    ax = _figure_axes()
    plots.decision_regions(score, ax, xlim=(0.0, 1.0), ylim=(0.0, 1.0), resolution=10)
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 1 and contours[0].filled
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_ylim() == (0.0, 1.0)


def test_decision_regions_shades_a_zero_score_as_the_positive_class():
    # z = 0 is class 1 (Heaviside): zero weights and bias shade the whole plane as the second class.
    from matplotlib.contour import ContourSet

    blue, orange = "#0000ff", "#ffa500"
    shaded = []
    for score in (lambda P: np.zeros(len(P)), lambda P: -np.ones(len(P))):
        ax = _figure_axes()
        plots.decision_regions(score, ax, xlim=(0.0, 1.0), ylim=(0.0, 1.0), resolution=10,
                               colors=(blue, orange))
        (shading,) = [c for c in ax.collections if isinstance(c, ContourSet)]
        # Filled bands [-0.5, 0.5] (class 0) and [0.5, 1.5] (class 1); only the used band has a path.
        shaded.append([len(path.vertices) > 0 for path in shading.get_paths()])
    assert shaded == [[False, True], [True, False]]


def test_decision_regions_with_a_perceptron_and_scatter_on_new_axes():
    from neuronlab.perceptron import Perceptron, linearly_separable

    X, y, _ = linearly_separable(30, random_state=0)
    model = Perceptron(random_state=0).fit(X, y)
    ax = plots.decision_regions(model.decision_function, xlim=(-3.5, 3.5), ylim=(-3.5, 3.5), resolution=50)
    plots.scatter_classes(X, y, ax)
    assert isinstance(ax, Axes)
    assert len(ax.collections) == 2 + 2  # shading, boundary, two classes
    assert base64.b64decode(plots.figure_to_png(ax.figure))[:8] == PNG_MAGIC


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"decision_function": "not callable"}, TypeError, "decision_function must be callable, got str"),
    ({"xlim": (1.0, 0.0)}, ValueError, r"xlim must be \(low, high\) with low < high, got \(1.0, 0.0\)"),
    ({"xlim": (1.0, 1.0)}, ValueError, "xlim must be"),
    ({"xlim": (0.0, 1.0, 2.0)}, ValueError, "xlim must be"),
    ({"ylim": (0.0, float("nan"))}, ValueError, "ylim must be"),
    ({"ylim": [3.0]}, ValueError, "ylim must be"),
    ({"resolution": 1}, ValueError, "resolution must be an integer >= 2, got 1"),
    ({"resolution": 20.0}, ValueError, "resolution must be an integer >= 2, got 20.0"),
    ({"resolution": True}, ValueError, "resolution must be an integer >= 2, got True"),
    ({"decision_function": lambda P: P}, ValueError,
     r"decision_function must return one score per point, shape \(n,\); got \(100, 2\)"),
    ({"decision_function": lambda P: 0.0}, ValueError, "decision_function must return one score per point"),
])
def test_decision_regions_rejects_bad_input_naming_the_argument(kwargs, error, message):
    arguments = dict(decision_function=lambda P: P[:, 0], xlim=(0.0, 1.0), ylim=(0.0, 1.0), resolution=10)
    arguments.update(kwargs)
    ax = _figure_axes()
    with pytest.raises(error, match=message):
        plots.decision_regions(arguments.pop("decision_function"), ax, **arguments)
    assert not ax.collections  # nothing drawn


def test_decision_regions_limits_are_required_keywords():
    with pytest.raises(TypeError):
        plots.decision_regions(lambda P: P[:, 0], None, (0, 1), (0, 1))
    with pytest.raises(TypeError, match="xlim"):
        plots.decision_regions(lambda P: P[:, 0], ylim=(0, 1))


def test_decision_regions_and_scatter_classes_name_bad_arguments():
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    with pytest.raises(ValueError, match="xlim must be"):
        plots.decision_regions(lambda p: p[:, 0], ax, xlim=None, ylim=(0, 1))
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        plots.scatter_classes([["a", "b"]], [0], ax)


# --------------------------------------------------------------------------- figures as the page shows them
def test_every_default_text_size_is_at_least_9_points_and_figures_fit_the_column():
    with mpl.rc_context():
        plots.use_style()
        from matplotlib.font_manager import FontProperties

        for key in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                    "legend.fontsize", "legend.title_fontsize", "figure.titlesize"):
            size = FontProperties(size=mpl.rcParams[key]).get_size_in_points()
            assert size >= 9, f"{key} is {size} pt"
        assert mpl.rcParams["figure.figsize"][0] == plots.FIGURE_WIDTH


def _line_figure():
    figure, ax = plt.subplots(figsize=(plots.FIGURE_WIDTH, 3.0), layout="constrained")
    ax.plot(np.linspace(0, 1, 50) ** 2, label="loss")
    ax.legend()
    return figure


def test_png_for_display_stores_twice_the_pixels_and_the_size_to_show():
    figure = _line_figure()
    data, metadata = plots.png_for_display(figure)
    raw = base64.b64decode(data)
    assert raw[:8] == PNG_MAGIC
    width, height = png_size(data)
    assert (metadata["width"], metadata["height"]) == (width // 2, height // 2)
    assert 600 <= metadata["width"] <= 688  # the column's width, as drawn
    once, _ = plots.png_for_display(figure, scale=1)
    assert png_size(once)[0] == pytest.approx(metadata["width"], abs=2)
    assert plots.png_for_display(figure) == (data, metadata)  # the same bytes every run
    plt.close(figure)


def test_png_for_display_uses_a_palette_for_line_art_and_full_colour_for_photographs():
    from io import BytesIO

    from PIL import Image

    line = _line_figure()
    assert Image.open(BytesIO(base64.b64decode(plots.png_for_display(line)[0]))).mode == "P"
    photo, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(np.random.default_rng(0).random((64, 64, 3)))
    assert Image.open(BytesIO(base64.b64decode(plots.png_for_display(photo)[0]))).mode in ("RGB", "RGBA")
    plt.close(line)
    plt.close(photo)


def test_png_for_display_shows_nothing_for_an_empty_figure_and_rejects_a_bad_scale():
    empty = plt.figure()
    assert plots.png_for_display(empty) is None
    figure = _line_figure()
    for scale in (0, 1.5, True):
        with pytest.raises(ValueError, match="scale must be a positive int"):
            plots.png_for_display(figure, scale=scale)
    plt.close(empty)
    plt.close(figure)


def test_a_notebook_after_setup_stores_sharp_figures_at_their_drawn_size():
    """In a real kernel: pyplot imported after setup, and a %matplotlib inline, keep the format."""
    import os

    import nbclient
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import neuronlab\nneuronlab.setup(verbose=False)"),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\n%matplotlib inline\n"
                                  "fig, ax = plt.subplots(layout='constrained')\nax.plot([1, 3, 2]);"),
    ])
    # the kernel as the executor starts it: without this process's MPLBACKEND=Agg
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120).execute(env=environment)
    [output] = notebook.cells[1].outputs
    shown = output["metadata"]["image/png"]
    pixels = png_size(output["data"]["image/png"])
    assert (pixels[0] // 2, pixels[1] // 2) == (shown["width"], shown["height"])  # twice the pixels shown
    assert 600 <= shown["width"] <= 688
