"""Batch normalisation in NumPy, training and inference, and folding it into the Dense layer before it (chapter 06).

Chapter 06 writes the algorithm out in cells and checks it against
``keras.layers.BatchNormalization``; this module is the tidy version of those
cells, with the same conventions as Keras:

- in training, each feature is normalised with the *batch* mean and the batch
  variance (dividing by m, not m − 1), and the moving averages move towards them:
  ``moving = momentum · moving + (1 − momentum) · batch statistic``;
- at inference, the moving averages replace the batch statistics, so the layer is
  an affine map, ``y = a · x + c`` feature by feature, which
  :func:`fuse_dense_batch_norm` folds into the weights of the Dense layer before it.

>>> import numpy as np
>>> X = np.array([[1.0, 10.0], [3.0, 30.0]])
>>> Y, mean, var = batch_norm_training(X, gamma=np.ones(2), beta=np.zeros(2), moving_mean=np.zeros(2),
...                                    moving_variance=np.ones(2), epsilon=0.0)
>>> Y
array([[-1., -1.],
       [ 1.,  1.]])
>>> mean   # 0.99 · 0 + 0.01 · the batch means (2, 20)
array([0.02, 0.2 ])
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["batch_norm_training", "batch_norm_inference", "fuse_dense_batch_norm"]


def _features(X, argument: str = "X") -> np.ndarray:
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{argument} must be an array of numbers, got {type(X).__name__}") from None
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{argument} must have shape (batch, features) with at least one row, got {X.shape}")
    return X


def _vectors(n: int, **vectors) -> list[np.ndarray]:
    out = []
    for name, value in vectors.items():
        try:
            value = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}") from None
        if value.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), one value per feature, got {value.shape}")
        out.append(value)
    return out


def _number(value, argument: str, low: float, high: float, *, high_inclusive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number, got {type(value).__name__}: {value!r}")
    if not (low <= value and (value <= high if high_inclusive else value < high)):
        raise ValueError(f"{argument} must be in [{low:g}, {high:g}{']' if high_inclusive else ')'}, got {value!r}")
    return float(value)


def batch_norm_training(X, gamma, beta, moving_mean, moving_variance, *, momentum: float = 0.99,
                        epsilon: float = 1e-3):
    """One training step of batch normalisation on a batch ``X``.

    Parameters
    ----------
    X : array of shape (m, n)
        The batch: m samples, n features.
    gamma, beta : arrays of shape (n,)
        The learned scale γ and shift β.
    moving_mean, moving_variance : arrays of shape (n,)
        The moving averages before this batch.
    momentum : float in [0, 1], default 0.99 (Keras's default)
        How much of the old moving averages to keep.
    epsilon : float >= 0, default 1e-3 (Keras's default)
        Added to the variance before the square root.

    Returns
    -------
    Y : ndarray of shape (m, n)
        γ ⊗ (X − μ_B) / √(σ²_B + ε) + β, with the batch mean μ_B and variance σ²_B.
    new_moving_mean, new_moving_variance : ndarrays of shape (n,)
        momentum · old + (1 − momentum) · batch statistic.
    """
    X = _features(X)
    gamma, beta, moving_mean, moving_variance = _vectors(X.shape[1], gamma=gamma, beta=beta, moving_mean=moving_mean,
                                                         moving_variance=moving_variance)
    momentum = _number(momentum, "momentum", 0, 1, high_inclusive=True)
    epsilon = _number(epsilon, "epsilon", 0, np.inf)
    mean = X.mean(axis=0)
    variance = X.var(axis=0)                    # divides by m, as Keras does
    Y = gamma * (X - mean) / np.sqrt(variance + epsilon) + beta
    return (Y, momentum * moving_mean + (1 - momentum) * mean,
            momentum * moving_variance + (1 - momentum) * variance)


def batch_norm_inference(X, gamma, beta, moving_mean, moving_variance, *, epsilon: float = 1e-3) -> np.ndarray:
    """Batch normalisation at inference: γ ⊗ (X − moving mean) / √(moving variance + ε) + β.

    Shapes: ``X`` (m, n); the four vectors (n,).  Returns an (m, n) array.  Each
    sample's output depends on that sample alone, not on the rest of the batch.
    """
    X = _features(X)
    gamma, beta, moving_mean, moving_variance = _vectors(X.shape[1], gamma=gamma, beta=beta, moving_mean=moving_mean,
                                                         moving_variance=moving_variance)
    epsilon = _number(epsilon, "epsilon", 0, np.inf)
    return gamma * (X - moving_mean) / np.sqrt(moving_variance + epsilon) + beta


def fuse_dense_batch_norm(kernel, bias, gamma, beta, moving_mean, moving_variance, *, epsilon: float = 1e-3):
    """Fold an inference-mode batch normalisation into the Dense layer that feeds it.

    ``BN(X W + b)`` with the moving statistics is ``X W' + b'`` with, for each unit j,
    ``s_j = γ_j / √(σ²_j + ε)``, ``W'[:, j] = s_j W[:, j]`` and ``b'_j = s_j (b_j − μ_j) + β_j``.
    This holds when nothing sits between the two layers (the Dense layer has no
    activation, or the activation comes after the BN layer).

    Parameters
    ----------
    kernel : array of shape (n_inputs, units)
    bias : array of shape (units,), or None for a Dense layer with ``use_bias=False``
    gamma, beta, moving_mean, moving_variance : arrays of shape (units,)
    epsilon : float >= 0, default 1e-3

    Returns
    -------
    (kernel, bias) : ndarrays of shapes (n_inputs, units) and (units,)
        The weights of one Dense layer that computes both.
    """
    try:
        kernel = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"kernel must be an array of numbers, got {type(kernel).__name__}") from None
    if kernel.ndim != 2:
        raise ValueError(f"kernel must have shape (n_inputs, units), got {kernel.shape}")
    units = kernel.shape[1]
    if bias is None:
        bias = np.zeros(units)
    bias, gamma, beta, moving_mean, moving_variance = _vectors(
        units, bias=bias, gamma=gamma, beta=beta, moving_mean=moving_mean, moving_variance=moving_variance)
    epsilon = _number(epsilon, "epsilon", 0, np.inf)
    scale = gamma / np.sqrt(moving_variance + epsilon)
    return kernel * scale, (bias - moving_mean) * scale + beta
