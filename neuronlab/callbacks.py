"""Keras callbacks the course reuses: a learning-rate finder and a one-line run summary.

:class:`LearningRateFinder` grows the learning rate exponentially, one training
batch at a time, records the rate and the loss of every batch, and stops the run
once the loss has clearly diverged (chapter 04 uses it for the MNIST exercise,
chapter 05 for its guideline on the learning rate).  The pure functions beside it,
:func:`exponential_rates`, :func:`smooth`, :func:`finder_valley` and
:func:`suggest_learning_rate`, need no model, so a plot or a widget can reuse a finder's record.

:class:`RunSummary` replaces Keras's per-epoch log lines with a single line at the
end of ``fit`` (epochs run, time, final and best metrics).

:class:`LearningRateFinder` and :class:`RunSummary` subclass a Keras class, so touching
either name imports Keras (``neuronlab.setup()`` first, as always); the functions need
only NumPy.
"""

from __future__ import annotations

import functools
import math
import numbers
import time

import numpy as np

__all__ = ["exponential_rates", "smooth", "finder_valley", "suggest_learning_rate", "plot_finder",
           "LearningRateFinder", "RunSummary"]


WIDTH = 88
"""The longest line :class:`RunSummary` prints (the width of the course's code cells)."""


def _positive_number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def exponential_rates(start: float = 1e-5, end: float | None = 10.0, *, steps: int = 100,
                      factor: float | None = None) -> np.ndarray:
    """The learning rates of an exponential sweep: ``start · factor**i`` for ``i = 0 … steps − 1``.

    Give either ``end`` (the last rate; then ``factor = (end / start) ** (1 / (steps − 1))``)
    or ``factor`` (the growth per step, > 1; pass ``end=None``).

    Parameters
    ----------
    start : float > 0, default 1e-5
    end : float > start, or None; default 10
    steps : int >= 2, default 100
    factor : float > 1, optional

    Returns
    -------
    ndarray of shape (steps,), float64, increasing.

    >>> exponential_rates(1e-3, 1.0, steps=4).round(6).tolist()
    [0.001, 0.01, 0.1, 1.0]
    """
    start = _positive_number(start, "start")
    steps = _count(steps, "steps", 2)
    if factor is not None and end is not None:
        raise ValueError("give either end (the last rate) or factor (the growth per step), not both; "
                         "pass end=None with factor")
    if factor is not None:
        factor = _positive_number(factor, "factor")
        if factor <= 1:
            raise ValueError(f"factor must be > 1 for a growing rate, got {factor!r}")
        return start * factor ** np.arange(steps)
    if end is None:
        raise ValueError("give end (the last rate) or factor (the growth per step)")
    end = _positive_number(end, "end")
    if end <= start:
        raise ValueError(f"end must be larger than start, got start={start!r}, end={end!r}")
    return np.geomspace(start, end, steps)


def smooth(values, beta: float = 0.9) -> np.ndarray:
    """Exponential moving average with bias correction, as fastai and Smith (2018) smooth a finder's losses.

    ``s_i = β·s_{i−1} + (1 − β)·v_i`` from ``s_{−1} = 0``, divided by ``1 − β^(i+1)`` so that
    the first values are not pulled towards 0.  ``beta=0`` returns the values unchanged.

    Parameters
    ----------
    values : array-like of shape (n,)
    beta : float in [0, 1), default 0.9

    Returns
    -------
    ndarray of shape (n,), float64.
    """
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 <= beta < 1:
        raise ValueError(f"beta must be a number in [0, 1), got {beta!r}")
    try:
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"values must be a 1-D array of numbers, got {type(values).__name__}") from None
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {values.shape}")
    out = np.empty_like(values)
    average = 0.0
    for i, value in enumerate(values):
        average = beta * average + (1 - beta) * value
        out[i] = average / (1 - beta ** (i + 1))
    return out


def _finder_record(rates, losses, beta: float):
    """The finite part of a finder's record, validated, with the losses smoothed."""
    rates, losses = np.asarray(rates, dtype=float), np.asarray(losses, dtype=float)
    if rates.ndim != 1 or rates.shape != losses.shape:
        raise ValueError(f"rates and losses must be 1-D and of the same length, got shapes {rates.shape} and "
                         f"{losses.shape}")
    finite = np.isfinite(losses)
    if finite.sum() < 2:
        raise ValueError("need at least two finite losses to suggest a learning rate; run the finder for longer")
    if np.any(rates <= 0) or not np.all(np.isfinite(rates)):
        raise ValueError("rates must all be finite and > 0")
    return rates[finite], smooth(losses[finite], beta)


def finder_valley(rates, losses, *, beta: float = 0.9, tolerance: float = 0.1) -> tuple[float, float, float]:
    """The valley of a finder's curve: ``(low, lowest, turn)``.

    The valley is the set of rates whose smoothed loss stays within ``tolerance``
    (10 %) of the lowest smoothed loss.  ``low`` is its smallest rate, ``lowest`` the
    rate of the lowest smoothed loss, and ``turn`` its largest rate: where the loss
    leaves the valley for good and starts to climb (the *turning point*).  On a
    flat-bottomed curve the exact minimum is a matter of noise and smoothing, so the
    turning point, not the minimum, is what the rule of thumb divides.

    Parameters
    ----------
    rates, losses : array-like of shape (n,), n >= 2
        Learning rates (> 0) and the batch losses recorded with them; non-finite losses
        (a run that blew up) are ignored.
    beta : float in [0, 1), default 0.9
        Smoothing of the losses (see :func:`smooth`); 0 uses them raw.
    tolerance : float > 0, default 0.1
    """
    tolerance = _positive_number(tolerance, "tolerance")
    rates, smoothed = _finder_record(rates, losses, beta)
    inside = rates[smoothed <= (1 + tolerance) * smoothed.min()]
    return float(inside.min()), float(rates[int(np.argmin(smoothed))]), float(inside.max())


def suggest_learning_rate(rates, losses, *, beta: float = 0.9, divisor: float = 10.0,
                          tolerance: float = 0.1) -> float:
    """A learning rate from a finder's record: the turning point divided by ``divisor``.

    The rule of thumb (Géron's chapter 10, after Smith): the best constant rate is
    about ten times below the rate at which the loss starts to climb.  The turning
    point is the upper end of the curve's valley (see :func:`finder_valley`).

    Parameters
    ----------
    rates, losses : array-like of shape (n,), n >= 2
    beta : float in [0, 1), default 0.9
        Smoothing of the losses (see :func:`smooth`); 0 uses them raw.
    divisor : float > 0, default 10
    tolerance : float > 0, default 0.1
        How far above the lowest smoothed loss the valley reaches (see :func:`finder_valley`).
    """
    divisor = _positive_number(divisor, "divisor")
    return finder_valley(rates, losses, beta=beta, tolerance=tolerance)[2] / divisor


def _lower_is_better(metric: str) -> bool:
    """True for losses and errors (loss, mse, mae, rmse, …), False for scores such as accuracy."""
    return any(word in metric for word in ("loss", "error", "mse", "mae", "rmse", "crossentropy"))


def plot_finder(rates, losses, ax=None, *, beta: float = 0.9, divisor: float = 10.0, show_raw: bool = True):
    """Draw a finder's record: loss against learning rate (log scale), raw and smoothed.

    The valley (see :func:`finder_valley`) is shaded, its turning point and the
    suggestion are marked.

    Non-finite losses (a run that blew up at the end) are left out and counted in a note.
    :meth:`LearningRateFinder.plot` and chapter 05's finder explorer both draw with it.

    Parameters
    ----------
    rates, losses : array-like of shape (n,)
        As recorded by :class:`LearningRateFinder` (``finder.rates``, ``finder.losses``).
    ax : matplotlib Axes, optional
    beta, divisor : as for :func:`suggest_learning_rate`
    show_raw : bool, default True
        Draw the raw batch losses under the smoothed curve.

    Returns
    -------
    The matplotlib ``Axes``.
    """
    from neuronlab import plots

    rates, losses = np.asarray(rates, dtype=float), np.asarray(losses, dtype=float)
    suggestion = suggest_learning_rate(rates, losses, beta=beta, divisor=divisor)  # validates the record
    low, _, turn = finder_valley(rates, losses, beta=beta)
    finite = np.isfinite(losses)
    rates, losses, dropped = rates[finite], losses[finite], int((~finite).sum())
    smoothed = smooth(losses, beta)
    ax = plots.new_axes(ax, figsize=(6.8, 3.6))
    ax.axvspan(low, turn, color=plots.PALETTE["grey"], alpha=0.15, lw=0,
               label="valley: within 10 % of the lowest")
    if show_raw:
        ax.plot(rates, losses, color=plots.PALETTE["sky"], lw=0.8, label="batch loss")
    ax.plot(rates, smoothed, color=plots.PALETTE["blue"], lw=2, label=f"smoothed (β = {beta:.2f})")
    ax.axvline(turn, color=plots.PALETTE["grey"], ls=":", lw=1.5, label=f"loss turns up at η = {turn:.2g}")
    ax.axvline(suggestion, color=plots.PALETTE["vermillion"], ls="--", lw=1.5,
               label=f"suggestion η = {suggestion:.2g} (÷ {divisor:g})")
    start = float(np.max(losses[:max(2, len(losses) // 20)]))  # the loss before any progress
    ax.set(xscale="log", xlabel="learning rate η (log scale)", ylabel="training loss",
           ylim=(0, 1.3 * max(start, float(smoothed[0]))), title="Learning-rate finder: loss of each batch as η grows")
    ax.legend(fontsize=8, loc="lower left")
    if dropped:
        ax.text(0.99, 0.98, f"{dropped} non-finite loss{'es' if dropped > 1 else ''} not shown",
                transform=ax.transAxes, ha="right", va="top", fontsize=8, color=plots.PALETTE["grey"])
    return ax


# ---------------------------------------------------------------------------------------------- Keras classes
@functools.cache
def _keras_classes() -> dict[str, type]:
    import keras

    class LearningRateFinder(keras.callbacks.Callback):
        """Grow the learning rate exponentially over the batches of one ``fit`` and record the loss.

        Before batch ``i`` the optimizer's learning rate is set to ``start · factor**i``;
        after it, the rate and that batch's loss are appended to :attr:`rates` and
        :attr:`losses`.  Training stops when the loss diverges (it is not finite, or more
        than ``divergence`` times the lowest loss seen so far) or when the sweep reaches ``end``.

        Parameters
        ----------
        start : float > 0, default 1e-5
            The first learning rate.
        end : float > start, or None; default 10
            The last learning rate. The growth factor is chosen so that the last batch of
            the ``fit`` call (``epochs × steps per epoch``) uses it, unless ``steps`` is given.
        steps : int >= 2, optional
            Reach ``end`` after this many batches instead (the run stops there).
        factor : float > 1, optional
            The growth per batch, instead of ``end`` (pass ``end=None``); the sweep then lasts
            as long as the ``fit`` call or ``steps``.
        divergence : float > 1, default 4
            Stop once the smoothed loss exceeds ``divergence ×`` the lowest smoothed loss so far
            (after the first few batches); ``math.inf`` never stops early except on nan/inf.
        beta : float in [0, 1), default 0.9
            Smoothing of the losses for that test (see :func:`smooth`): a single unlucky batch
            must not end the sweep.
        restore : bool, default True
            At the end, put the model's weights and the optimizer's learning rate back as they
            were (the optimizer's own state, such as momentum, is not reset: compile again, or
            build a fresh model, before the real training).

        Attributes
        ----------
        rates, losses : list of float
            One entry per batch run. ``losses`` are per-batch losses (Keras reports a running
            mean over the epoch; the finder turns it back into each batch's own loss).
        stopped_by : str or None
            Why the sweep ended early: ``"divergence"``, ``"end"`` or None (the fit ran out).

        Examples
        --------
        >>> finder = LearningRateFinder(1e-4, 1.0)            # doctest: +SKIP
        >>> model.fit(X, y, epochs=1, callbacks=[finder])      # doctest: +SKIP
        >>> finder.suggestion()                                # doctest: +SKIP
        """

        def __init__(self, start: float = 1e-5, end: float | None = 10.0, *, steps: int | None = None,
                     factor: float | None = None, divergence: float = 4.0, beta: float = 0.9, restore: bool = True):
            super().__init__()
            self.start = _positive_number(start, "start")
            if factor is not None and end is not None:
                raise ValueError("give either end (the last rate) or factor (the growth per batch), not both; "
                                 "pass end=None with factor")
            if factor is None and end is None:
                raise ValueError("give end (the last rate) or factor (the growth per batch)")
            self.end = None if end is None else _positive_number(end, "end")
            if self.end is not None and self.end <= self.start:
                raise ValueError(f"end must be larger than start, got start={start!r}, end={end!r}")
            self.factor = None if factor is None else _positive_number(factor, "factor")
            if self.factor is not None and self.factor <= 1:
                raise ValueError(f"factor must be > 1 for a growing rate, got {factor!r}")
            self.steps = None if steps is None else _count(steps, "steps", 2)
            if isinstance(divergence, bool) or not isinstance(divergence, numbers.Real) or math.isnan(divergence):
                raise TypeError(f"divergence must be a number (math.inf to stop only on nan/inf), got {divergence!r}")
            self.divergence = float(divergence)
            if self.divergence <= 1:
                raise ValueError(f"divergence must be > 1 (a multiple of the best loss), got {divergence!r}")
            if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 <= beta < 1:
                raise ValueError(f"beta must be a number in [0, 1), got {beta!r}")
            self.beta = float(beta)
            if not isinstance(restore, bool):
                raise TypeError(f"restore must be True or False, got {restore!r}")
            self.restore = restore
            self.rates: list[float] = []
            self.losses: list[float] = []
            self.stopped_by: str | None = None

        # --- the schedule
        def _planned_steps(self) -> int | None:
            if self.steps is not None:
                return self.steps
            params = self.params or {}
            steps, epochs = params.get("steps"), params.get("epochs")
            return int(steps) * int(epochs) if steps and epochs else None

        def on_train_begin(self, logs=None):
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is None:
                raise RuntimeError("LearningRateFinder needs a compiled model: call model.compile(...) first")
            if isinstance(optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
                raise TypeError("LearningRateFinder sets the learning rate itself: compile the model with a "
                                "constant learning rate, not a schedule")
            self.rates, self.losses, self.stopped_by = [], [], None
            self._best = math.inf
            self._average = 0.0
            self._step = 0
            self._previous_mean, self._batches_in_epoch = 0.0, 0
            self._initial_rate = float(optimizer.learning_rate.numpy())
            self._initial_weights = self.model.get_weights() if self.restore else None
            if self.factor is not None:
                self._growth = self.factor
            else:
                planned = self._planned_steps()
                if planned is None:
                    raise ValueError("LearningRateFinder cannot tell how many batches this fit will run (a generator "
                                     "without a length?): pass steps=... or factor=...")
                if planned < 2:
                    raise ValueError(f"LearningRateFinder needs at least 2 batches to sweep, this fit has {planned}")
                self._growth = (self.end / self.start) ** (1 / (planned - 1))

        def rate_at(self, step: int) -> float:
            """The learning rate of batch ``step`` (0 for the first batch of the sweep)."""
            return self.start * self._growth ** step

        def on_epoch_begin(self, epoch, logs=None):
            self._previous_mean, self._batches_in_epoch = 0.0, 0

        def on_train_batch_begin(self, batch, logs=None):
            self.model.optimizer.learning_rate = self.rate_at(self._step)

        def on_train_batch_end(self, batch, logs=None):
            mean = float((logs or {}).get("loss", math.nan))
            # Keras logs the mean loss over the epoch's batches so far: undo the averaging.
            k = self._batches_in_epoch + 1
            loss = k * mean - (k - 1) * self._previous_mean
            self._previous_mean, self._batches_in_epoch = mean, k
            rate = self.rate_at(self._step)
            self.rates.append(rate)
            self.losses.append(loss)
            self._step += 1
            if not math.isfinite(loss):
                self.stopped_by = "divergence"
                self.model.stop_training = True
                return
            self._average = self.beta * self._average + (1 - self.beta) * loss
            smoothed = self._average / (1 - self.beta ** self._step)
            if self._step > 5 and smoothed > self.divergence * self._best:
                self.stopped_by = "divergence"
                self.model.stop_training = True
            elif self.steps is not None and self._step >= self.steps:
                self.stopped_by = "end"
                self.model.stop_training = True
            self._best = min(self._best, smoothed)

        def on_train_end(self, logs=None):
            if self.restore:
                self.model.set_weights(self._initial_weights)
                self.model.optimizer.learning_rate = self._initial_rate

        # --- reading the record
        def suggestion(self, *, beta: float = 0.9, divisor: float = 10.0) -> float:
            """The suggested learning rate: :func:`suggest_learning_rate` of this finder's record."""
            if len(self.losses) < 2:
                raise ValueError("the finder has recorded fewer than two batches: run fit with it first")
            return suggest_learning_rate(self.rates, self.losses, beta=beta, divisor=divisor)

        def plot(self, ax=None, *, beta: float = 0.9, divisor: float = 10.0):
            """Draw loss against learning rate (log scale), raw and smoothed, with the suggestion marked.

            Returns the matplotlib ``Axes`` (see :func:`plot_finder`).
            """
            if len(self.losses) < 2:
                raise ValueError("the finder has recorded fewer than two batches: run fit with it first")
            return plot_finder(self.rates, self.losses, ax, beta=beta, divisor=divisor)


    class RunSummary(keras.callbacks.Callback):
        """Print a short summary when ``fit`` ends: epochs run, seconds, the last (and best) value of each metric.

        The summary is wrapped at :data:`WIDTH` characters (:meth:`line` gives it on one line).

        Use it with ``verbose=0`` instead of Keras's per-epoch lines::

            model.fit(..., verbose=0, callbacks=[RunSummary("housing")])
            # housing: 20 epochs in 14 s · loss 0.31 · val_loss 0.33 (best 0.32 at epoch 18)

        Parameters
        ----------
        name : str, default "run"
            What the line starts with.
        digits : int >= 1, default 4
            Significant digits of each value.
        keys : sequence of str, optional
            The metrics to show, in this order (default: every metric Keras logs, in its order).
            A key the run does not log is an error at the end of the run.
        """

        def __init__(self, name: str = "run", *, digits: int = 4, keys=None):
            super().__init__()
            if not isinstance(name, str) or not name:
                raise TypeError(f"name must be a non-empty string, got {name!r}")
            if keys is not None and (isinstance(keys, str) or not all(isinstance(k, str) for k in keys)):
                raise TypeError(f"keys must be a list of metric names, got {keys!r}")
            self.name, self.digits = name, _count(digits, "digits", 1)
            self.keys = None if keys is None else list(keys)
            self.history: dict[str, list[float]] = {}

        def on_train_begin(self, logs=None):
            self.history, self._start = {}, time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                if key != "learning_rate":
                    self.history.setdefault(key, []).append(float(value))

        def _parts(self, seconds: float | None) -> list[str]:
            epochs = max((len(v) for v in self.history.values()), default=0)
            head = f"{self.name}: {epochs} epoch{'s' if epochs != 1 else ''}"
            if seconds is not None:
                head += f" in {seconds:.0f} s"
            parts = [head]
            keys = list(self.history) if self.keys is None else self.keys
            missing = [k for k in keys if k not in self.history]
            if missing and self.history:
                raise ValueError(f"keys {missing} were not logged; this run logs {list(self.history)}")
            for key in keys:
                values = self.history.get(key)
                if not values:
                    continue
                text = f"{key} {values[-1]:.{self.digits}g}"
                if key.startswith("val_") and len(values) > 1:
                    best = int(np.argmin(values) if _lower_is_better(key) else np.argmax(values))
                    if best != len(values) - 1:
                        text += f" (best {values[best]:.{self.digits}g} at epoch {best + 1})"
                parts.append(text)
            return parts

        def line(self, seconds: float | None = None) -> str:
            """The summary on one line (without printing it)."""
            return " · ".join(self._parts(seconds))

        def text(self, seconds: float | None = None, *, width: int = WIDTH) -> str:
            """The summary wrapped at ``width`` characters, continuation lines indented by two spaces."""
            lines: list[str] = []
            for part in self._parts(seconds):
                if lines and len(lines[-1]) + 3 + len(part) <= width:
                    lines[-1] += " · " + part
                else:
                    lines.append(("  " if lines else "") + part)
            return "\n".join(lines)

        def on_train_end(self, logs=None):
            print(self.text(time.perf_counter() - self._start))

    return {"LearningRateFinder": LearningRateFinder, "RunSummary": RunSummary}


def __getattr__(name: str):  # PEP 562: the Keras classes are made (and Keras imported) on first use
    if name in ("LearningRateFinder", "RunSummary"):
        return _keras_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
