"""Monte Carlo dropout and calibration (chapter 07): an always-on dropout layer, many passes, and how honest they are.

- :class:`MCDropout` and :class:`MCAlphaDropout` are Keras's ``Dropout`` and
  ``AlphaDropout`` that stay on at inference, so every prediction is one
  stochastic pass (Gal & Ghahramani, 2016).
- :func:`mc_predict` runs many such passes and returns their mean and spread.
- :func:`reliability` and :func:`expected_calibration_error` measure calibration:
  whether a model that says "90 %" is right 90 % of the time.

This module imports Keras (run ``neuronlab.setup()`` first, as every notebook does);
the calibration functions need only NumPy.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import keras
import numpy as np

__all__ = ["MCDropout", "MCAlphaDropout", "MCPrediction", "mc_predict", "reliability",
           "expected_calibration_error"]


@keras.saving.register_keras_serializable(package="neuronlab")
class MCDropout(keras.layers.Dropout):
    """A ``keras.layers.Dropout`` that drops units at inference too (``training`` is always True).

    Use it in place of ``Dropout`` to build a model whose every prediction is a random
    thinned network; average many predictions with :func:`mc_predict`.  Same
    arguments as ``keras.layers.Dropout`` (``rate``, ``noise_shape``, ``seed``).
    """

    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


@keras.saving.register_keras_serializable(package="neuronlab")
class MCAlphaDropout(keras.layers.AlphaDropout):
    """A ``keras.layers.AlphaDropout`` (for SELU networks) that stays on at inference, like :class:`MCDropout`."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


@dataclass(frozen=True)
class MCPrediction:
    """The result of :func:`mc_predict`.

    Attributes
    ----------
    samples : ndarray of shape (n_samples, n, k)
        Every pass's class probabilities.
    mean : ndarray of shape (n, k)
        Their average: the MC-dropout prediction.
    std : ndarray of shape (n, k)
        Their standard deviation: how much the passes disagree.
    """

    samples: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    @property
    def predicted(self) -> np.ndarray:
        """The most probable class of each sample under the mean, shape (n,)."""
        return self.mean.argmax(axis=1)


def mc_predict(model, X, n_samples: int = 100, *, batch_size: int = 1024, training: bool = False) -> MCPrediction:
    """Average ``n_samples`` stochastic predictions of ``model`` on ``X``.

    Parameters
    ----------
    model : keras.Model
        With :class:`MCDropout` layers (``training=False``), or ordinary dropout
        layers turned on by ``training=True``.
    X : array-like of shape (n, ...)
    n_samples : int >= 1, default 100
    batch_size : int >= 1, default 1024
    training : bool, default False
        Call the model with ``training=True``, which switches on ordinary ``Dropout``
        layers, and also batch normalisation's training behaviour: with batch
        normalisation, prefer :class:`MCDropout` layers and ``training=False``.

    Returns
    -------
    MCPrediction
        Float32 samples; mean and std over the passes.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if not isinstance(training, bool):
        raise TypeError(f"training must be True or False, got {training!r}")
    if not callable(model):
        raise TypeError(f"model must be a Keras model, got {type(model).__name__}")
    X = np.asarray(X)
    if training:
        passes = [np.concatenate([keras.ops.convert_to_numpy(model(X[i:i + batch_size], training=True))
                                  for i in range(0, len(X), batch_size)]) for _ in range(int(n_samples))]
    else:
        passes = [model.predict(X, batch_size=int(batch_size), verbose=0) for _ in range(int(n_samples))]
    samples = np.stack(passes).astype(np.float32)
    return MCPrediction(samples, samples.mean(axis=0), samples.std(axis=0))


def _probabilities_and_labels(probabilities, labels):
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels).reshape(-1)
    if p.ndim != 2 or len(p) != len(y) or len(p) == 0:
        raise ValueError(f"probabilities must have shape (n, k) with one row per label: got {p.shape} "
                         f"for {len(y)} labels")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= p.shape[1]:
        raise ValueError(f"labels must be class indices from 0 to {p.shape[1] - 1}")
    return p, y


def reliability(probabilities, labels, n_bins: int = 10):
    """A reliability table: predictions binned by confidence, with each bin's accuracy.

    The confidence of a prediction is its largest probability.  A calibrated model's
    predictions made with confidence c are right a fraction c of the time.

    Parameters
    ----------
    probabilities : array-like of shape (n, k)
    labels : array-like of n ints
    n_bins : int >= 1, default 10
        Equal-width bins over (0, 1].

    Returns
    -------
    dict of ndarray of shape (n_bins,)
        ``"confidence"`` (mean confidence in the bin, NaN when empty), ``"accuracy"``
        (fraction right, NaN when empty), ``"count"``, and ``"edges"`` of shape (n_bins + 1,).
    """
    p, y = _probabilities_and_labels(probabilities, labels)
    if isinstance(n_bins, bool) or not isinstance(n_bins, numbers.Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    confidence = p.max(axis=1)
    right = p.argmax(axis=1) == y
    edges = np.linspace(0, 1, int(n_bins) + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, int(n_bins) - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(which, weights=right, minlength=n_bins) / count
    return {"confidence": mean_confidence, "accuracy": accuracy, "count": count, "edges": edges}


def expected_calibration_error(probabilities, labels, n_bins: int = 10) -> float:
    """ECE: the gap between confidence and accuracy, averaged over the bins of :func:`reliability`
    weighted by how many predictions each holds (Guo et al., 2017).  0 is perfectly calibrated."""
    table = reliability(probabilities, labels, n_bins)
    full = table["count"] > 0
    weights = table["count"][full] / table["count"].sum()
    return float(np.sum(weights * np.abs(table["accuracy"][full] - table["confidence"][full])))
