"""Chapter 04's explorable: a prediction browser for a trained classifier.

Pick a test image (filtered by its true class, by right or wrong answers, ordered by
the model's confidence) and see the image beside the probability the model gives to
every class.  The browser holds only arrays (images, labels, predicted
probabilities), computed once with ``model.predict``, so a redraw never calls the
model: it is a look-up and a small matplotlib figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from neuronlab import plots
from neuronlab.widgets.base import Explorable

SHOW = ("all", "mistakes", "right")
"""Which predictions the browser lists."""
ORDERS = ("test-set order", "most confident first", "least confident first")
"""How the listed images are ordered (confidence = the largest predicted probability)."""
ANY = "any class"


@dataclass(frozen=True)
class PredictionState:
    """What the browser shows for one setting of its controls.

    ``index`` is the image's index in the test set (None when nothing matches the
    filter); ``position`` its place (from 0) among the ``n_matching`` images listed.
    """

    true_class: str
    show: str
    order: str
    position: int
    n_matching: int
    index: int | None
    label: int | None
    predicted: int | None
    probabilities: np.ndarray | None
    message: str | None

    @property
    def correct(self) -> bool | None:
        return None if self.index is None else self.label == self.predicted

    @property
    def confidence(self) -> float | None:
        return None if self.probabilities is None else float(self.probabilities.max())


class PredictionBrowser(Explorable):
    """Browse a classifier's test predictions: the image and the probability bars of every class.

    Parameters
    ----------
    images : array of shape (n, height, width)
        Test images (any numeric type; drawn in grey levels).
    labels : array of shape (n,)
        True class indices, 0 … k − 1.
    probabilities : array of shape (n, k)
        The model's predicted probabilities (``model.predict(images)``); rows should sum to 1.
    class_names : sequence of k str
    """

    title = "🎛 Prediction browser: what the classifier sees, and how sure it is"
    try_this = ("Try: show the mistakes, most confident first: which classes does the network confuse with "
                "confidence? Then pick the true class Shirt and compare its probability bars with Trouser's.")

    def __init__(self, images, labels, probabilities, class_names):
        images, labels, probabilities = np.asarray(images), np.asarray(labels), np.asarray(probabilities)
        if images.ndim != 3 or len(images) == 0:
            raise ValueError(f"images must have shape (n, height, width) with n >= 1, got {images.shape}")
        n = len(images)
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be integer class indices of shape ({n},), got {labels.dtype} {labels.shape}")
        if probabilities.ndim != 2 or probabilities.shape[0] != n:
            raise ValueError(f"probabilities must have shape ({n}, number of classes), got {probabilities.shape}")
        try:
            class_names = [str(c) for c in class_names]
        except TypeError:
            raise TypeError("class_names must be a sequence of class names") from None
        k = probabilities.shape[1]
        if len(class_names) != k:
            raise ValueError(f"class_names must name the {k} classes of probabilities, got {len(class_names)} names")
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(f"labels must lie in 0 … {k - 1}, got values from {labels.min()} to {labels.max()}")
        if not np.all(np.isfinite(probabilities)) or probabilities.min() < 0 or probabilities.max() > 1 + 1e-6:
            raise ValueError("probabilities must be finite numbers in [0, 1] (the output of a softmax)")
        self.images, self.labels = images, labels.astype(np.int64)
        self.probabilities = probabilities.astype(np.float64)
        self.predicted = self.probabilities.argmax(axis=1)
        self.confidences = self.probabilities.max(axis=1)
        self.class_names = tuple(class_names)
        super().__init__()
        self._sync_slider()

    # --- controls and state
    def make_controls(self):
        style = {"description_width": "90px"}
        layout = widgets.Layout(width="300px")
        return {
            "true_class": widgets.Dropdown(options=(ANY, *self.class_names), value=ANY, description="true class",
                                           style=style, layout=layout),
            "show": widgets.ToggleButtons(options=SHOW, value="all", description="show",
                                          style={"description_width": "90px", "button_width": "66px"}),
            "order": widgets.Dropdown(options=ORDERS, value=ORDERS[0], description="order", style=style,
                                      layout=layout),
            "position": widgets.IntSlider(0, min=0, max=max(len(self.images) - 1, 0), description="image",
                                          style=style, layout=layout),
        }

    def selection(self, true_class: str = ANY, show: str = "all", order: str = ORDERS[0]) -> np.ndarray:
        """Indices of the test images listed for these filter settings, in the chosen order."""
        if true_class != ANY and true_class not in self.class_names:
            raise ValueError(f"true_class must be {ANY!r} or one of {list(self.class_names)}, got {true_class!r}")
        if show not in SHOW:
            raise ValueError(f"show must be one of {list(SHOW)}, got {show!r}")
        if order not in ORDERS:
            raise ValueError(f"order must be one of {list(ORDERS)}, got {order!r}")
        keep = np.ones(len(self.labels), dtype=bool)
        if true_class != ANY:
            keep &= self.labels == self.class_names.index(true_class)
        if show != "all":
            right = self.labels == self.predicted
            keep &= right if show == "right" else ~right
        indices = np.flatnonzero(keep)
        if order != ORDERS[0]:  # stable: equally confident images keep their test-set order
            sign = -1 if order == "most confident first" else 1
            indices = indices[np.argsort(sign * self.confidences[indices], kind="stable")]
        return indices

    def state(self, true_class: str = ANY, show: str = "all", order: str = ORDERS[0],
              position: int = 0) -> PredictionState:
        indices = self.selection(true_class, show, order)
        if isinstance(position, bool) or not isinstance(position, (int, np.integer)) or position < 0:
            raise ValueError(f"position must be an int >= 0, got {position!r}")
        if len(indices) == 0:
            which = "" if true_class == ANY else f" of class {true_class}"
            kind = {"mistakes": "was mistaken", "right": "was classified right", "all": "is in the test set"}[show]
            return PredictionState(true_class, show, order, 0, 0, None, None, None, None,
                                   f"no test image{which} {kind}")
        position = min(int(position), len(indices) - 1)
        index = int(indices[position])
        return PredictionState(true_class, show, order, position, len(indices), index, int(self.labels[index]),
                               int(self.predicted[index]), self.probabilities[index], None)

    def _sync_slider(self) -> None:
        """Let the image slider run over the images the filters list (keep it in range)."""
        values = self.values()
        n = len(self.selection(values["true_class"], values["show"], values["order"]))
        slider = self.controls["position"]
        slider.max = max(n - 1, 0)
        slider.disabled = n <= 1

    def _on_change(self, change) -> None:
        if change["owner"] is not self.controls["position"]:
            with self.held():  # the slider's own change must not redraw a second time
                self._sync_slider()
        super()._on_change(change)

    # --- drawing
    def _draw_pair(self, state: PredictionState, image_ax, bars_ax, *, compact: bool = False) -> None:
        image_ax.axis("off")
        if state.index is None:
            image_ax.text(0.5, 0.5, state.message, ha="center", va="center", fontsize=9, wrap=True,
                          transform=image_ax.transAxes)
            bars_ax.axis("off")
            return
        name = self.class_names
        image_ax.imshow(self.images[state.index], cmap="binary", **self._grey_range())
        image_ax.set_title(f"test image {state.index}\ntrue: {name[state.label]}", fontsize=8 if compact else 9)
        bars_ax.barh(np.arange(len(name)), state.probabilities, color=self._bar_colours(state), height=0.7)
        self._style_bars(bars_ax)
        for k, tick in enumerate(bars_ax.get_yticklabels()):
            tick.set_fontweight("bold" if k == state.label else "normal")
        verdict = "right" if state.correct else "wrong"
        bars_ax.set_title(f"predicted {name[state.predicted]} (p = {state.confidence:.2f}): {verdict}",
                          fontsize=8 if compact else 9,
                          color=plots.PALETTE["black"] if state.correct else plots.PALETTE["vermillion"])

    def _grey_range(self) -> dict:
        """One grey scale for every image (live and static views alike): vmin and vmax for imshow."""
        low, high = float(self.images.min()), float(self.images.max())
        return {"vmin": low, "vmax": high if high > low else low + 1}

    @staticmethod
    def _bar_colours(state: PredictionState) -> list[str]:
        """Grey bars; the predicted class green when right, vermillion when wrong (then the true class blue)."""
        colours = [plots.PALETTE["grey"]] * len(state.probabilities)
        colours[state.predicted] = plots.PALETTE["green"] if state.correct else plots.PALETTE["vermillion"]
        if not state.correct:
            colours[state.label] = plots.PALETTE["blue"]
        return colours

    def _style_bars(self, bars_ax) -> None:
        positions = np.arange(len(self.class_names))
        bars_ax.set_yticks(positions, self.class_names, fontsize=8)
        bars_ax.invert_yaxis()
        bars_ax.set_xlim(0, 1)
        bars_ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"], fontsize=8)
        bars_ax.set_xlabel("predicted probability", fontsize=8)
        bars_ax.grid(axis="y", visible=False)

    def draw(self, state: PredictionState):
        """The image (left) and the probability bars (right), 6.8 × 2.9 inches, fixed layout.

        The live figure is built once and then only updated (image data, bar lengths and
        colours, texts): a redraw costs one rendering, not a new figure with new axes and ticks.
        """
        if getattr(self, "_live", None) is None:
            self._live = self._build_live_figure()
        figure, image_ax, bars_ax, picture, bars, texts = self._live
        name = self.class_names
        listed = ("" if state.true_class == ANY else f"{state.true_class}, ") + state.show
        texts["where"].set_text(f"image {state.position + 1} of {state.n_matching} listed ({listed}, {state.order})"
                                if state.n_matching else state.message)
        empty = state.index is None
        picture.set_visible(not empty)
        bars_ax.set_visible(not empty)
        texts["empty"].set_text(state.message if empty else "")
        if empty:
            texts["image"].set_text("")
            texts["verdict"].set_text("")
            return figure
        picture.set_data(self.images[state.index])
        texts["image"].set_text(f"test image {state.index}\ntrue: {name[state.label]}")
        wrong = not state.correct
        for bar, p, colour in zip(bars, state.probabilities, self._bar_colours(state)):
            bar.set_width(p)
            bar.set_color(colour)
        for k, tick in enumerate(bars_ax.get_yticklabels()):
            tick.set_fontweight("bold" if k == state.label else "normal")
        texts["verdict"].set_text(f"predicted {name[state.predicted]} (p = {state.confidence:.2f}): "
                                  f"{'wrong' if wrong else 'right'}")
        texts["verdict"].set_color(plots.PALETTE["vermillion"] if wrong else plots.PALETTE["black"])
        return figure

    def _build_live_figure(self):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6.8, 2.9))
        image_ax = figure.add_axes((0.03, 0.1, 0.26, 0.62))
        bars_ax = figure.add_axes((0.47, 0.17, 0.5, 0.62))
        image_ax.axis("off")
        picture = image_ax.imshow(self.images[0], cmap="binary", **self._grey_range())
        bars = bars_ax.barh(np.arange(len(self.class_names)), np.zeros(len(self.class_names)), height=0.7)
        self._style_bars(bars_ax)
        texts = {
            "where": figure.text(0.5, 0.965, "", ha="center", va="top", fontsize=9),
            "image": figure.text(0.16, 0.74, "", ha="center", va="bottom", fontsize=9),
            "verdict": figure.text(0.72, 0.82, "", ha="center", va="bottom", fontsize=9),
            "empty": figure.text(0.5, 0.5, "", ha="center", va="center", fontsize=10),
        }
        return figure, image_ax, bars_ax, picture, bars, texts

    tight_png = False  # draw() lays the figure out itself: saved as is, a fixed size and faster

    def static_figure(self):
        """Four cases side by side: the two most confident right answers, the most confident mistake and the
        least confident prediction."""
        from matplotlib.figure import Figure

        chosen: list[PredictionState] = []
        for show, order, position in (("right", ORDERS[1], 0), ("right", ORDERS[1], 1),
                                      ("mistakes", ORDERS[1], 0), ("all", ORDERS[2], 0)):
            state = self.state(ANY, show, order, position)
            if state.index is not None and state.index not in {s.index for s in chosen}:
                chosen.append(state)
        figure = Figure(figsize=(6.9, 2.6 * ((len(chosen) + 1) // 2)), layout="constrained")
        grid = figure.add_gridspec((len(chosen) + 1) // 2, 4, width_ratios=[1, 1.6, 1, 1.6])
        for i, state in enumerate(chosen):
            row, column = divmod(i, 2)
            self._draw_pair(state, figure.add_subplot(grid[row, 2 * column]),
                            figure.add_subplot(grid[row, 2 * column + 1]), compact=True)
        figure.suptitle("Confident and right, confidently wrong, and unsure", fontsize=10)
        return figure
