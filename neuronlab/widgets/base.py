"""The shared machinery of the course's explorables: controls → pure state → figure."""

from __future__ import annotations

import base64
import contextlib
import functools
from typing import Any

import ipywidgets as widgets
from IPython.display import Image, clear_output, display

from neuronlab import plots


class Explorable:
    """Base class of an explorable.

    A subclass defines:

    - ``title`` (str) and ``try_this`` (a sentence on what to try);
    - ``make_controls()`` → dict of name → ipywidgets control, in display order;
    - ``state(**values)`` → a pure description of what to show (no drawing);
    - ``draw(state)`` → a matplotlib ``Figure``.

    In a live notebook the controls redraw the figure on every change.  Displayed,
    an explorable also carries a PNG of its current state, which is what the
    built site shows (the executor drops the live view from stored outputs).
    """

    title: str = ""
    try_this: str = ""
    tight_png: bool = True
    """Crop the PNG of a state to its content; False for a ``draw`` that fixes its own layout."""

    def __init__(self) -> None:
        self._holding = False  # True while several controls change: one redraw at the end, not one per change
        self.controls: dict[str, widgets.ValueWidget] = self.make_controls()
        self.output = widgets.Output()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        header = widgets.HTML(f"<b>{self.title}</b>")
        # The controls keep their width; the figure takes what is left (and scrolls if it must).
        panel = widgets.VBox(list(self.controls.values()), layout=widgets.Layout(flex="0 0 auto"))
        self.widget = widgets.VBox([header, widgets.HBox([panel, self.output],
                                                         layout=widgets.Layout(overflow="auto"))])
        self.refresh()

    # --- to be provided by subclasses
    def make_controls(self) -> dict[str, widgets.ValueWidget]:
        raise NotImplementedError

    def state(self, **values: Any) -> Any:
        raise NotImplementedError

    def draw(self, state: Any):
        raise NotImplementedError

    # --- shared behaviour
    def values(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def current_state(self) -> Any:
        """The state for the controls' current values."""
        return self.state(**self.values())

    @contextlib.contextmanager
    def held(self):
        """Change controls inside this block without redrawing after each change (nested blocks allowed)."""
        holding, self._holding = getattr(self, "_holding", False), True
        try:
            yield
        finally:
            self._holding = holding

    def set(self, **values: Any) -> Any:
        """Set controls by name (as a learner would by clicking) and return the new state.

        The values given win whatever their order: a control whose change resets another
        (a new surface resetting the learning rates) cannot undo a value named in the same call.
        """
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(f"unknown control(s) {unknown}; this explorable has {list(self.controls)}")
        try:
            with self.held():
                for name, value in values.items():
                    self.controls[name].value = value
                for name, value in values.items():  # put back what a later change reset
                    if self.controls[name].value != value:
                        self.controls[name].value = value
        finally:
            self.refresh()  # even after a rejected value, show what the controls now say
        return self.current_state()

    def png(self) -> str:
        """A base64 PNG of the current state's figure."""
        return plots.figure_to_png(self.draw(self.current_state()), tight=self.tight_png)

    def static_figure(self):
        """The figure a page without a kernel shows; by default the current state's.

        Override it when a single state says too little (e.g. small multiples of a process).
        """
        return self.draw(self.current_state())

    def refresh(self) -> None:
        with self.output:
            clear_output(wait=True)
            display(Image(data=base64.b64decode(self.png())))

    def _on_change(self, change) -> None:
        if not self._holding:
            self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = plots.figure_to_png(self.static_figure())
        bundle["text/plain"] = f"{self.title}: run this notebook (locally, in Binder or in Colab) to use it. {self.try_this}"
        return bundle


@functools.cache
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController  # comes with scikit-learn
    except ImportError:  # pragma: no cover - without it BLAS keeps its threads: slower, still right
        return None
    return ThreadpoolController()


def one_blas_thread():
    """A context in which NumPy's matrix products run on a single thread (when threadpoolctl is there)."""
    controller = _blas_controller()
    if controller is None:  # pragma: no cover
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")
