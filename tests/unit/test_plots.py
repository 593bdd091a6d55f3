"""neuronlab.plots: the figure style and the shared drawing helpers."""

import base64
import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.axes import Axes

from neuronlab import plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


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
    assert raw.startswith(b"\x89PNG")
    assert raw[:8] == PNG_MAGIC


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


def test_timeline_draws_each_event_with_highlight():
    events = [(1958, "perceptron"), (1943, "McCulloch–Pitts"), (1986.5, "backprop")]
    ax = plots.timeline(events, highlight={"perceptron": "vermillion"})
    assert isinstance(ax, Axes)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 3
    assert any("1943" in t and "McCulloch–Pitts" in t for t in texts)
    assert ax.get_xlim() == (1943 - 6, 1986.5 + 6)


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


def test_timeline_rejects_unknown_highlight_colour_naming_highlight():
    with pytest.raises(ValueError, match="highlight.*'red'"):
        plots.timeline([(1943, "MCP")], highlight={"MCP": "red"})
