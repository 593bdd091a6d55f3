"""Shared set-up for the unit tests of ``neuronlab``.

Figures are drawn off-screen (Agg) and closed after every test; the tests that
need quick or full mode set ``NEURONLAB_QUICK`` themselves, so the suite behaves
the same whatever the caller's environment says.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import pytest  # noqa: E402

from neuronlab import data  # noqa: E402

# Keras reads KERAS_HOME once, when it is first imported, and several test modules import it: give it the
# offline cache now, as neuronlab.setup() does in a notebook, whichever module happens to import it first.
data.prepare_keras_cache()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def quick(monkeypatch):
    """Quick mode on for this test."""
    monkeypatch.setenv("NEURONLAB_QUICK", "1")


@pytest.fixture
def full(monkeypatch):
    """Quick mode off for this test."""
    monkeypatch.setenv("NEURONLAB_QUICK", "0")


@pytest.fixture
def shown(monkeypatch):
    """Record what an explorable's live view displays (without a kernel the Output widget captures nothing).

    Every widget test module applies it to all its tests (``pytestmark = pytest.mark.usefixtures("shown")``), so
    that every redraw is recorded, from the one a widget makes when it is built; a test asks for ``shown`` by name
    to read the images, base64 PNGs in the order shown.
    """
    import base64

    from neuronlab.widgets import base

    images = []
    monkeypatch.setattr(base, "display", lambda image: images.append(base64.b64encode(image.data).decode("ascii")))
    return images


@pytest.fixture
def jslinks(monkeypatch):
    """The ``(source, target)`` pairs of every ``ipywidgets.jslink`` made in this test (the links are still made)."""
    import ipywidgets as widgets

    links = []
    real_jslink = widgets.jslink

    def recording_jslink(source, target):
        links.append((source, target))
        return real_jslink(source, target)

    monkeypatch.setattr(widgets, "jslink", recording_jslink)
    return links
