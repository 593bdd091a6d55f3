"""Learning-rate schedules as formulas, and a 1cycle callback for Keras (chapter 07).

The formulas take the training step (or epoch) ``t`` as a number or an array and
return the learning rate, with NumPy; they are what the chapter plots, and what
the Keras schedules are checked against:

- power: η₀ / (1 + t/s)^c; Keras's ``InverseTimeDecay(η₀, s, 1.0)`` when c = 1, :class:`PowerDecay` for any c;
- exponential: η₀ · 0.1^(t/s); Keras's ``ExponentialDecay(η₀, s, 0.1)``;
- piecewise constant: values[i] for boundaries[i−1] < t ≤ boundaries[i]; Keras's
  ``PiecewiseConstantDecay(boundaries, values)``;
- 1cycle (Smith, 2018): up, down, then far down (:func:`one_cycle`); :class:`OneCycleScheduler`, a callback.

Performance scheduling has no formula: ``keras.callbacks.ReduceLROnPlateau``
watches the validation loss; :func:`plateau` replays its rule on a list of losses.

:class:`PowerDecay` and :class:`OneCycleScheduler` subclass Keras classes, so
touching either name imports Keras (``neuronlab.setup()`` first, as always); the
formulas need only NumPy.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

__all__ = ["power", "exponential", "piecewise_constant", "plateau", "one_cycle", "one_cycle_knots",
           "PowerDecay", "OneCycleScheduler"]


def _steps(t, name: str = "t") -> np.ndarray:
    try:
        array = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(t).__name__}: {t!r}") from None
    if np.asarray(t).dtype == bool or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must hold finite numbers >= 0 (steps or epochs), got {t!r}")
    return array


def _positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _result(array: np.ndarray, t):
    return float(array) if np.ndim(t) == 0 else array


def power(t, initial_rate: float, s: float, c: float = 1.0):
    """Power scheduling: η(t) = η₀ / (1 + t/s)^c.

    The rate halves (for c = 1) after s steps, falls to a third after 2s, …: fast at
    first, ever more slowly.

    Parameters
    ----------
    t : float or array-like of floats >= 0
        Step (or epoch) numbers.
    initial_rate : float > 0
        η₀, the rate at t = 0.
    s : float > 0
        The number of steps over which the rate drops to η₀ / 2^c.
    c : float > 0, default 1
        The power.

    Returns
    -------
    float, or ndarray of the shape of ``t``.
    """
    t = _steps(t)
    initial_rate, s, c = _positive(initial_rate, "initial_rate"), _positive(s, "s"), _positive(c, "c")
    return _result(initial_rate / (1 + t / s) ** c, t)


def exponential(t, initial_rate: float, s: float):
    """Exponential scheduling: η(t) = η₀ · 0.1^(t/s), a factor 10 smaller every s steps.

    Parameters and returns as for :func:`power`.
    """
    t = _steps(t)
    initial_rate, s = _positive(initial_rate, "initial_rate"), _positive(s, "s")
    return _result(initial_rate * 0.1 ** (t / s), t)


def piecewise_constant(t, boundaries, values):
    """Piecewise constant scheduling: ``values[0]`` up to and including ``boundaries[0]``, then ``values[1]`` …

    The same convention as ``keras.optimizers.schedules.PiecewiseConstantDecay``:
    η(t) = values[i] for boundaries[i−1] < t ≤ boundaries[i].

    Parameters
    ----------
    t : float or array-like of floats >= 0
    boundaries : sequence of k increasing numbers
    values : sequence of k + 1 numbers > 0
    """
    t = _steps(t)
    bounds = np.asarray(boundaries, dtype=np.float64)
    rates = np.asarray(values, dtype=np.float64)
    if bounds.ndim != 1 or rates.ndim != 1 or len(rates) != len(bounds) + 1:
        raise ValueError(f"values must hold one more number than boundaries: got {len(np.atleast_1d(rates))} values "
                         f"for {len(np.atleast_1d(bounds))} boundaries")
    if np.any(np.diff(bounds) <= 0):
        raise ValueError(f"boundaries must increase, got {list(boundaries)}")
    if not np.all((rates > 0) & np.isfinite(rates)):
        raise ValueError(f"values must be finite numbers > 0, got {list(values)}")
    return _result(rates[np.searchsorted(bounds, t, side="left")], t)


def plateau(losses, initial_rate: float, factor: float = 0.1, patience: int = 10, min_delta: float = 1e-4,
            min_rate: float = 0.0) -> np.ndarray:
    """Performance scheduling: the rates ``keras.callbacks.ReduceLROnPlateau`` would set for these losses.

    After each epoch the callback compares the validation loss with the best so far;
    an epoch that does not beat it by more than ``min_delta`` is a miss, and after
    ``patience`` misses in a row the rate is multiplied by ``factor`` (never below
    ``min_rate``) and the count starts again.  Keras's rules, without the cool-down.

    Parameters
    ----------
    losses : sequence of n floats
        The validation loss after each epoch.
    initial_rate : float > 0
    factor : float in (0, 1), default 0.1
    patience : int >= 0, default 10
    min_delta : float >= 0, default 1e-4
    min_rate : float >= 0, default 0

    Returns
    -------
    ndarray of shape (n,)
        The rate used *during* each epoch: ``[initial_rate, …]``; a cut decided after
        epoch i shows from epoch i + 1.
    """
    values = np.asarray(losses, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"losses must be a non-empty sequence of finite numbers, got {losses!r}")
    rate = _positive(initial_rate, "initial_rate")
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 0:
        raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
    for name, value in (("min_delta", min_delta), ("min_rate", min_rate)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    rates, best, wait = [], None, 0
    for loss in values:
        rates.append(rate)
        if best is None or loss - min_delta < best:
            best, wait = loss, 0
            continue
        wait += 1
        if wait >= patience and rate > np.float32(min_rate):
            rate, wait = max(rate * factor, min_rate), 0
    return np.array(rates)


def one_cycle_knots(total_steps: int, max_rate: float, start_rate: float | None = None,
                    last_rate: float | None = None, final_fraction: float = 0.1):
    """The corners of the 1cycle schedule: steps and rates between which it is linear.

    Returns
    -------
    steps : tuple of 4 floats
        0, the peak ``a``, the end of the cycle ``2a`` and the last step ``total_steps − 1``,
        where ``a = (1 − final_fraction) · total_steps / 2``.
    rates : tuple of 4 floats
        ``start_rate``, ``max_rate``, ``start_rate``, ``last_rate``.

    See :func:`one_cycle` for the parameters.
    """
    if isinstance(total_steps, bool) or not isinstance(total_steps, numbers.Integral) or total_steps < 2:
        raise ValueError(f"total_steps must be an integer >= 2, got {total_steps!r}")
    max_rate = _positive(max_rate, "max_rate")
    start_rate = max_rate / 10 if start_rate is None else _positive(start_rate, "start_rate")
    if start_rate > max_rate:
        raise ValueError(f"start_rate must not exceed max_rate ({max_rate!r}), got {start_rate!r}")
    last_rate = start_rate / 1000 if last_rate is None else _positive(last_rate, "last_rate")
    if last_rate > start_rate:
        raise ValueError(f"last_rate must not exceed start_rate ({start_rate!r}), got {last_rate!r}")
    if isinstance(final_fraction, bool) or not isinstance(final_fraction, numbers.Real) or not 0 <= final_fraction < 1:
        raise ValueError(f"final_fraction must be in [0, 1), got {final_fraction!r}")
    last = float(total_steps - 1)
    peak = (1 - final_fraction) * total_steps / 2
    return (0.0, min(peak, last), min(2 * peak, last), last), (start_rate, max_rate, start_rate, last_rate)


def one_cycle(t, total_steps: int, max_rate: float, start_rate: float | None = None,
              last_rate: float | None = None, final_fraction: float = 0.1):
    """1cycle scheduling (Smith, 2018): up to a peak, back down, then much further down.

    Over the first ``(1 − final_fraction) / 2`` of training the rate rises linearly
    from ``start_rate`` to ``max_rate``; over the next equal stretch it falls back
    to ``start_rate``; over the last ``final_fraction`` it falls linearly to
    ``last_rate``, and stays there after ``total_steps − 1``.

    Parameters
    ----------
    t : float or array-like of floats >= 0
        Training steps (batches), counting from 0.
    total_steps : int >= 2
        Steps in the whole training run (epochs × batches per epoch).
    max_rate : float > 0
        The peak; a good value is a little below the rate where the loss starts to climb
        (a learning-rate finder shows it).
    start_rate : float in (0, max_rate], default ``max_rate / 10``
    last_rate : float in (0, start_rate], default ``start_rate / 1000``
    final_fraction : float in [0, 1), default 0.1
        The share of training spent in the final descent.

    Returns
    -------
    float, or ndarray of the shape of ``t``.
    """
    steps, rates = one_cycle_knots(total_steps, max_rate, start_rate, last_rate, final_fraction)
    t = _steps(t)
    return _result(np.interp(t, steps, rates), t)


# ---------------------------------------------------------------------------------------------- Keras classes
@functools.cache
def _keras_classes() -> dict[str, type]:
    import keras

    @keras.saving.register_keras_serializable(package="neuronlab")
    class PowerDecay(keras.optimizers.schedules.LearningRateSchedule):
        """Power scheduling η₀ / (1 + step/s)^c as a Keras learning-rate schedule.

        Keras has ``InverseTimeDecay`` for c = 1 only.  Pass it as an optimizer's
        ``learning_rate``; Keras calls it with the optimizer's step count.
        """

        def __init__(self, initial_rate: float, s: float, c: float = 1.0) -> None:
            self.initial_rate, self.s, self.c = (_positive(initial_rate, "initial_rate"), _positive(s, "s"),
                                                 _positive(c, "c"))

        def __call__(self, step):
            step = keras.ops.cast(step, "float32")
            return self.initial_rate / (1 + step / self.s) ** self.c

        def get_config(self):
            return {"initial_rate": self.initial_rate, "s": self.s, "c": self.c}

    class OneCycleScheduler(keras.callbacks.Callback):
        """A callback that sets the optimizer's learning rate before every batch by :func:`one_cycle`.

        Parameters
        ----------
        total_steps : int >= 2
            Batches in the whole run: ``epochs * math.ceil(n_train / batch_size)``.
        max_rate, start_rate, last_rate, final_fraction
            As for :func:`one_cycle`.

        Attributes
        ----------
        step : int
            Batches seen so far (it carries on if ``fit`` is called again).
        rates : list of float
            The rate set for each batch.

        Use it with an optimizer built from a plain float learning rate (not a
        schedule) and the default ``steps_per_execution=1``; it cycles only the learning
        rate.  Smith also cycles the momentum the other way (0.95 → 0.85 → 0.95).
        """

        def __init__(self, total_steps: int, max_rate: float, start_rate: float | None = None,
                     last_rate: float | None = None, final_fraction: float = 0.1) -> None:
            super().__init__()
            self.knots = one_cycle_knots(total_steps, max_rate, start_rate, last_rate, final_fraction)
            self.total_steps = int(total_steps)
            self.step = 0
            self.rates: list[float] = []

        def rate(self, step) -> float:
            """The schedule's rate at ``step``."""
            steps, rates = self.knots
            return float(np.interp(step, steps, rates))

        def on_train_batch_begin(self, batch, logs=None):
            rate = self.rate(self.step)
            self.model.optimizer.learning_rate = rate
            self.rates.append(rate)
            self.step += 1

    return {"PowerDecay": PowerDecay, "OneCycleScheduler": OneCycleScheduler}


def __getattr__(name: str):  # PEP 562: the Keras classes are made (and Keras imported) on first use
    if name in ("PowerDecay", "OneCycleScheduler"):
        return _keras_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
