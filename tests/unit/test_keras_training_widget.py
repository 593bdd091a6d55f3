"""neuronlab.widgets.keras_training: chapter 04's prediction browser, driven control by control."""

from __future__ import annotations


import numpy as np
import pytest

from neuronlab.widgets.keras_training import ANY, ORDERS, SHOW, PredictionBrowser, PredictionState

from widget_helpers import SITE_WIDTH, png_size

CLASSES = ["zero", "one", "two"]

pytestmark = pytest.mark.usefixtures("shown")


def _data():
    """Six images of three classes: predictions right for 0, 1, 3, 5, wrong for 2 (→ 0) and 4 (→ 2)."""
    images = np.arange(6 * 4 * 4, dtype=float).reshape(6, 4, 4)
    labels = np.array([0, 1, 1, 2, 1, 2])
    probabilities = np.array([
        [0.9, 0.05, 0.05],   # 0: right, confident
        [0.2, 0.7, 0.1],     # 1: right
        [0.6, 0.3, 0.1],     # 2: wrong (true 1, predicted 0)
        [0.1, 0.1, 0.8],     # 3: right
        [0.05, 0.05, 0.9],   # 4: wrong (true 1, predicted 2), confident
        [0.3, 0.3, 0.4],     # 5: right, unsure
    ])
    return images, labels, probabilities


@pytest.fixture
def browser():
    return PredictionBrowser(*_data(), CLASSES)


def test_default_state_is_the_first_test_image(browser):
    state = browser.current_state()
    assert isinstance(state, PredictionState)
    assert (state.index, state.label, state.predicted, state.n_matching, state.position) == (0, 0, 0, 6, 0)
    assert state.correct is True and state.confidence == pytest.approx(0.9)
    assert np.allclose(state.probabilities, [0.9, 0.05, 0.05])


def test_position_control_steps_through_the_images(browser):
    state = browser.set(position=2)
    assert (state.index, state.label, state.predicted, state.correct) == (2, 1, 0, False)


def test_show_control_lists_mistakes_or_right_answers(browser):
    state = browser.set(show="mistakes")
    assert state.n_matching == 2 and state.index == 2 and state.correct is False
    assert browser.set(position=1).index == 4
    right = browser.set(show="right", position=0)
    assert right.n_matching == 4 and right.correct is True


def test_true_class_control_filters_by_label(browser):
    state = browser.set(true_class="one")
    assert state.n_matching == 3 and {browser.set(position=p).label for p in range(3)} == {1}
    assert browser.set(true_class="one", show="mistakes").n_matching == 2


def test_order_control_sorts_by_confidence(browser):
    most = browser.set(order="most confident first", position=0)
    assert most.index == 0 and most.confidence == pytest.approx(0.9)   # first of the two 0.9s (stable sort)
    least = browser.set(order="least confident first", position=0)
    assert least.index == 5 and least.confidence == pytest.approx(0.4)
    confident_mistake = browser.set(show="mistakes", order="most confident first", position=0)
    assert confident_mistake.index == 4


def test_slider_range_follows_the_filters_and_position_is_clamped(browser):
    slider = browser.controls["position"]
    assert slider.max == 5
    browser.set(position=5)
    state = browser.set(show="mistakes")
    assert slider.max == 1 and state.position == 1 and state.index == 4
    browser.set(true_class="zero", show="all")
    assert slider.max == 0 and slider.disabled


def test_an_empty_selection_says_so(browser):
    state = browser.set(true_class="zero", show="mistakes")
    assert state.index is None and state.n_matching == 0
    assert state.message == "no test image of class zero was mistaken"
    assert state.correct is None and state.confidence is None
    browser.png()  # draws the message without failing


def test_state_rejects_bad_values(browser):
    with pytest.raises(ValueError, match="true_class must be"):
        browser.state(true_class="three")
    with pytest.raises(ValueError, match="show must be one of"):
        browser.state(show="some")
    with pytest.raises(ValueError, match="order must be one of"):
        browser.state(order="random")
    with pytest.raises(ValueError, match="position must be an int >= 0"):
        browser.state(position=-1)
    with pytest.raises(ValueError, match="unknown control"):
        browser.set(colour="red")


@pytest.mark.parametrize("change, match", [
    (dict(images=np.zeros((6, 16))), "images must have shape"),
    (dict(labels=np.zeros(5, int)), "labels must be integer class indices"),
    (dict(labels=np.zeros(6)), "labels must be integer class indices"),
    (dict(probabilities=np.ones((5, 3)) / 3), "probabilities must have shape"),
    (dict(class_names=["a", "b"]), "class_names must name the 3 classes"),
    (dict(labels=np.array([0, 1, 2, 3, 0, 1])), "labels must lie in 0 … 2"),
    (dict(probabilities=np.full((6, 3), 2.0)), "probabilities must be finite numbers in"),
])
def test_constructor_validates_its_arrays(change, match):
    images, labels, probabilities = _data()
    arguments = dict(images=images, labels=labels, probabilities=probabilities, class_names=CLASSES)
    arguments.update(change)
    with pytest.raises(ValueError, match=match):
        PredictionBrowser(**arguments)


def test_every_control_change_redraws_once(browser, shown):
    """Speed: ``python -m neuronlab.tools.bench widgets`` ("redraw · prediction browser")."""
    shown.clear()
    for values in (dict(position=3), dict(show="mistakes"), dict(order=ORDERS[1]), dict(true_class="two"),
                   dict(true_class=ANY, show="all", order=ORDERS[0], position=1)):
        browser.set(**values)
    assert len(shown) == 5


def test_live_view_is_a_single_clean_click_redraw(browser, shown):
    shown.clear()
    browser.controls["show"].value = "right"   # as a click would: one redraw, slider resynced silently
    assert len(shown) == 1
    assert browser.controls["position"].max == 3


def test_figures_fit_the_site_column(browser):
    width, height = png_size(browser.png())
    assert width <= SITE_WIDTH and height < 400
    figure = browser.static_figure()
    assert figure.get_size_inches()[0] * 100 <= SITE_WIDTH + 2
    assert len(figure.axes) == 8  # four cases, each an image and its bars


def test_static_view_and_text_for_the_site(browser):
    bundle = browser._repr_mimebundle_()
    assert "image/png" in bundle and "Binder" in bundle["text/plain"]
    assert SHOW == ("all", "mistakes", "right")
