"""neuronlab.widgets.dropout: chapter 07's dropout masks and MC-dropout explorers."""

import inspect
import re

import numpy as np
import pytest

from neuronlab.data import FASHION_MNIST_CLASSES
from neuronlab.widgets.dropout import (AVERAGED_STEPS, LAYER_SIZES, MAX_STEP, RATES, DropoutMasks, MCDropoutExplorer,
                                       dropout_masks, dropout_state, forward)

from widget_helpers import SITE_WIDTH, png_size, texts


pytestmark = pytest.mark.usefixtures("shown")


# --- dropout masks ------------------------------------------------------------------------------------------

def test_training_drops_units_and_scales_the_survivors_by_one_over_one_minus_p():
    state = dropout_state(rate=0.4, step=3, mode="training")
    masks = dropout_masks(0.4, 3)
    assert all(np.array_equal(a, b) for a, b in zip(state.masks, masks))
    inference = state.inference[1]
    np.testing.assert_allclose(state.activations[1], np.where(masks[0], inference / 0.6, 0.0))
    assert state.scale == pytest.approx(1 / 0.6) and state.kept == sum(m.sum() for m in masks)


def test_inference_keeps_every_unit_and_scales_nothing():
    state = dropout_state(rate=0.5, step=7, mode="inference")
    assert all(m.all() for m in state.masks) and state.scale == 1.0 and state.kept == 16
    for shown, plain in zip(state.activations, forward(None, 0.5)):
        np.testing.assert_array_equal(shown, plain)


def test_on_average_training_outputs_match_inference():
    for rate in (0.2, 0.5):
        state = dropout_state(rate=rate)
        np.testing.assert_allclose(state.average_hidden_1, state.inference[1], atol=0.1 * state.inference[1].max())


def test_masks_change_with_the_step_and_the_kept_fraction_follows_the_rate():
    assert not all(np.array_equal(a, b) for a, b in zip(dropout_masks(0.3, 1), dropout_masks(0.3, 2)))
    kept = np.mean([np.mean(np.concatenate(dropout_masks(0.3, step))) for step in range(1, MAX_STEP + 1)])
    assert 0.6 < kept < 0.8
    assert all(m.all() for m in dropout_masks(0.0, 5))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rate": 1.0}, "rate must be a number in [0, 1), got 1.0"),
    ({"rate": -0.1}, "rate must be a number in [0, 1), got -0.1"),
    ({"step": 0}, f"step must be an integer from 1 to {MAX_STEP}, got 0"),
    ({"step": 2.0}, f"step must be an integer from 1 to {MAX_STEP}, got 2.0"),
    ({"mode": "testing"}, "mode must be one of ['training', 'inference'], got 'testing'"),
])
def test_dropout_state_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        dropout_state(**kwargs)


def test_dropout_widget_controls_drive_the_state_and_grey_out_the_step_at_inference(shown):
    widget = DropoutMasks()
    parameters = inspect.signature(dropout_state).parameters
    assert list(widget.controls) == list(parameters)
    assert widget.values() == {name: p.default for name, p in parameters.items()}
    assert tuple(widget.controls["rate"].options) == RATES
    assert widget.set(rate=0.6).rate == 0.6
    assert widget.set(step=9).step == 9
    state = widget.set(mode="inference")
    assert state.mode == "inference" and widget.controls["step"].disabled
    widget.set(mode="training")
    assert not widget.controls["step"].disabled
    assert len(shown) == 5


def test_dropout_figure_crosses_out_the_dropped_units_and_says_the_scale():
    widget = DropoutMasks()
    state = widget.set(rate=0.5, step=4)
    figure = widget.draw(state)
    assert figure.get_size_inches()[0] * 100 <= SITE_WIDTH
    crosses = [t for t in figure.axes[0].texts if t.get_text() == "×"]
    assert len(crosses) == 16 - state.kept
    assert figure._suptitle.get_text() == (f"training step 4, p = 0.5: {state.kept} of 16 hidden units kept, "
                                           "each output × 1/(1 − p) = 2.00")
    labels = [t.get_text() for t in figure.axes[1].get_legend().get_texts()]
    assert labels == [f"mean over {AVERAGED_STEPS:,} steps", "inference (nothing dropped)", "this step"]
    assert all(t.get_fontsize() >= 7 for t in texts(figure))
    inference = widget.draw(widget.set(mode="inference"))
    assert not [t for t in inference.axes[0].texts if t.get_text() == "×"]


def test_dropout_redraws_once_per_change(shown):
    """Speed: ``python -m neuronlab.tools.bench widgets`` ("redraw · dropout masks")."""
    widget = DropoutMasks()
    for count, change in enumerate(
            ({"rate": 0.7}, {"step": 20}, {"mode": "inference"}, {"mode": "training"}, {"rate": 0.1}), start=2):
        widget.set(**change)
        assert len(shown) == count, change


def test_dropout_static_figure_shows_two_steps_and_inference():
    figure = DropoutMasks().static_figure()
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[2] == "inference: all kept" and titles[0].startswith("training step 1:")
    assert titles[1].startswith("training step 2:")
    bundle = DropoutMasks()._repr_mimebundle_()
    assert png_size(bundle["image/png"])[0] <= SITE_WIDTH and "Binder" in bundle["text/plain"]


# --- MC dropout ---------------------------------------------------------------------------------------------

@pytest.fixture
def passes():
    """Made-up MC passes for 6 images: image i is confident in proportion to i, image 5 is wrong."""
    rng = np.random.default_rng(0)
    labels = np.array([0, 1, 2, 3, 4, 6])
    logits = rng.normal(size=(40, 6, 10)) + (np.eye(10)[[0, 1, 2, 3, 4, 5]] * np.arange(6)[:, None] * 2)[None]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    images = rng.random((6, 28, 28))
    return images, labels, probabilities


def test_mc_state_averages_the_first_passes(passes):
    images, labels, probabilities = passes
    explorer = MCDropoutExplorer(images, labels, probabilities, FASHION_MNIST_CLASSES,
                                 deterministic=probabilities[0])
    state = explorer.state(index=4, passes=10)
    np.testing.assert_allclose(state.mean, probabilities[:10, 4].mean(axis=0))
    np.testing.assert_allclose(state.std, probabilities[:10, 4].std(axis=0))
    assert state.samples.shape == (10, 10) and state.label == 4 and state.predicted == 4
    np.testing.assert_array_equal(state.deterministic, probabilities[0, 4])
    assert explorer.state(index=5).predicted == 5 != explorer.state(index=5).label


def test_mc_controls_drive_the_state(passes, shown):
    explorer = MCDropoutExplorer(*passes, FASHION_MNIST_CLASSES)
    assert list(explorer.controls) == ["index", "passes"]
    assert explorer.controls["index"].max == 5 and explorer.controls["passes"].max == 40
    assert explorer.values() == {"index": 0, "passes": 40}
    assert explorer.set(index=3).index == 3
    assert explorer.set(passes=1).std.max() == 0.0
    assert len(shown) == 3


def test_mc_explorer_rejects_inconsistent_inputs(passes):
    images, labels, probabilities = passes
    with pytest.raises(ValueError, match=r"^labels must hold one class per image \(6\), got 5$"):
        MCDropoutExplorer(images, labels[:5], probabilities, FASHION_MNIST_CLASSES)
    with pytest.raises(ValueError, match=r"^probabilities must have shape \(passes, 6, classes\), got \(40, 10\)$"):
        MCDropoutExplorer(images, labels, probabilities[:, 0], FASHION_MNIST_CLASSES)
    with pytest.raises(ValueError, match="^class_names must name the 10 classes, got 3$"):
        MCDropoutExplorer(images, labels, probabilities, ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"^deterministic must have shape \(6, 10\), got \(10,\)$"):
        MCDropoutExplorer(images, labels, probabilities, FASHION_MNIST_CLASSES, deterministic=probabilities[0, 0])
    with pytest.raises(ValueError, match=r"^images must have shape \(n, h, w\) or \(n, h, w, 3\), got \(6, 784\)$"):
        MCDropoutExplorer(images.reshape(6, -1), labels, probabilities, FASHION_MNIST_CLASSES)
    explorer = MCDropoutExplorer(images, labels, probabilities, FASHION_MNIST_CLASSES)
    with pytest.raises(ValueError, match="^index must be an integer from 0 to 5, got 6$"):
        explorer.state(index=6)
    with pytest.raises(ValueError, match="^passes must be an integer from 1 to 40, got 0$"):
        explorer.state(passes=0)


def test_mc_figure_and_static_figure(passes):
    explorer = MCDropoutExplorer(*passes, FASHION_MNIST_CLASSES, deterministic=passes[2][0])
    state = explorer.set(index=5)
    figure = explorer.draw(state)
    assert figure.get_size_inches()[0] * 100 <= SITE_WIDTH
    image_ax, bars_ax = figure.axes
    assert image_ax.get_title() == f"true: Shirt\nMC guess: {FASHION_MNIST_CLASSES[state.predicted]} ✗"
    assert [t.get_text() for t in bars_ax.get_yticklabels()] == list(FASHION_MNIST_CLASSES)
    assert all(t.get_fontsize() >= 7 for t in texts(figure))
    static = explorer.static_figure()
    assert len(static.axes) == 6 and static.get_size_inches()[0] <= 7.0
    bundle = explorer._repr_mimebundle_()
    assert png_size(bundle["image/png"])[0] <= SITE_WIDTH


def test_mc_redraws_once_per_change(passes, shown):
    """Speed: ``python -m neuronlab.tools.bench widgets`` ("redraw · MC dropout explorer")."""
    explorer = MCDropoutExplorer(*passes, FASHION_MNIST_CLASSES)
    for count, change in enumerate(({"index": 2}, {"passes": 5}, {"index": 5}), start=2):
        before = shown[-1]
        explorer.set(**change)
        assert len(shown) == count and shown[-1] != before, change


def test_the_network_has_the_documented_layers():
    assert [len(a) for a in forward(None, 0.0)] == list(LAYER_SIZES)
