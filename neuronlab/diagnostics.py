"""Looking inside a deep network: per-layer activation and gradient statistics (chapter 06).

Two ways to get the same :class:`LayerStatistics` for a multilayer perceptron:

- :func:`layer_statistics` runs a real Keras model (``Sequential`` or functional)
  on a batch and records, with ``tf.GradientTape``, what every ``Dense`` layer
  outputs and the gradient of the loss with respect to its weights;
- :func:`forward_backward` does the same for an MLP given as NumPy weights, with
  a hand-written forward and backward pass. It is fast enough to redraw an
  explorable on every click (:mod:`neuronlab.widgets.deep_explorer`), and a unit
  test checks it against :func:`layer_statistics`.

:func:`dead_units` counts the units that output exactly zero for every sample,
the "dead" ReLUs. :func:`plot_std_by_layer` and :func:`draw_histogram_map` draw
the statistics.

TensorFlow and Keras are imported inside the functions that need them, so this
module imports quickly.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X, y = rng.normal(size=(64, 10)), rng.integers(0, 3, size=64)
>>> weights = initial_weights([10, 20, 20, 3], "He", random_state=0)
>>> stats = forward_backward(X, y, weights, "relu")
>>> stats.names
('hidden 1', 'hidden 2', 'output')
>>> [a.shape for a in stats.activations], [g.shape for g in stats.gradients]
([(64, 20), (64, 20), (64, 3)], [(10, 20), (20, 20), (20, 3)])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from neuronlab.autodiff import softmax
from neuronlab.config import SEED

__all__ = ["ACTIVATIONS", "LEAKY_SLOPE", "SELU_ALPHA", "SELU_SCALE", "INITIALIZERS",
           "LayerStatistics", "layer_statistics", "dead_units",
           "initial_weights", "forward_backward", "simulate",
           "plot_std_by_layer", "histogram_shares", "draw_histogram_map"]

# --- activation functions in NumPy, each with its derivative ------------------------------------------

LEAKY_SLOPE = 0.2
"""The leaky ReLU's slope for z < 0, as ``keras.activations.leaky_relu`` has it by default."""
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
"""SELU's constants α and λ (Klambauer et al., 2017), the values Keras uses."""


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # the logistic function, without overflow


def _softplus(z):
    return np.logaddexp(0, z)


def _normal_cdf(z):
    from scipy.special import ndtr

    return ndtr(z)


def _elu(z, alpha=1.0):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def _elu_slope(z, alpha=1.0):
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))


def _mish_slope(z):
    s = _softplus(z)
    return np.tanh(s) + z * _sigmoid(z) / np.cosh(np.minimum(s, 350)) ** 2


ACTIVATIONS = {
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
    "leaky_relu": (lambda z: np.where(z > 0, z, LEAKY_SLOPE * z), lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE)),
    "elu": (_elu, _elu_slope),
    "selu": (lambda z: SELU_SCALE * _elu(z, SELU_ALPHA), lambda z: SELU_SCALE * _elu_slope(z, SELU_ALPHA)),
    "gelu": (lambda z: z * _normal_cdf(z),
             lambda z: _normal_cdf(z) + z * np.exp(-0.5 * z ** 2) / math.sqrt(2 * math.pi)),
    "swish": (lambda z: z * _sigmoid(z), lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z)))),
    "mish": (lambda z: z * np.tanh(_softplus(z)), _mish_slope),
}
"""Hidden-layer activations by their Keras names: name → (φ, φ′), NumPy functions of an array.

They match ``keras.activations.<name>`` with its default arguments (leaky ReLU's
slope 0.2, the exact GELU, Swish = SiLU = z·σ(z)); φ′ is the derivative, taken
as 0 (or the left slope) at a kink.
"""

# --- initialisers: the standard deviation of the weights of a layer with fan_in inputs and fan_out units --

INITIALIZERS = {
    "N(0, 1)": lambda fan_in, fan_out: 1.0,
    "N(0, 0.01²)": lambda fan_in, fan_out: 0.01,
    "Glorot": lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out)),
    "LeCun": lambda fan_in, fan_out: math.sqrt(1 / fan_in),
    "He": lambda fan_in, fan_out: math.sqrt(2 / fan_in),
}
"""Initialisers by name → the standard deviation σ(fan_in, fan_out) of normal weights (biases start at 0).

Glorot: σ² = 1/fan_avg = 2/(fan_in + fan_out); LeCun: σ² = 1/fan_in; He: σ² = 2/fan_in.
(Keras's ``glorot_normal``, ``lecun_normal`` and ``he_normal`` draw from a normal
distribution truncated at two standard deviations, rescaled to the same variance.)
"""


@dataclass(frozen=True)
class LayerStatistics:
    """What every dense layer of an MLP did on one batch.

    Attributes
    ----------
    names : tuple of str
        One name per dense layer, from the input to the output.
    activations : tuple of ndarray
        ``activations[l]`` has shape (batch, units of layer l): what layer l passes on,
        after its activation function (and after any activation, normalisation or dropout
        layer that follows it before the next dense layer).
    gradients : tuple of ndarray
        ``gradients[l]`` has shape (fan_in, units) like layer l's weight matrix: the
        gradient of the loss with respect to those weights, ∂L/∂W.
    loss : float
        The mean loss on the batch.
    """

    names: tuple[str, ...]
    activations: tuple[np.ndarray, ...]
    gradients: tuple[np.ndarray, ...]
    loss: float

    def __len__(self) -> int:
        return len(self.names)

    def activation_mean(self) -> np.ndarray:
        """Mean of each layer's activations, shape (layers,)."""
        return np.array([float(np.mean(a, dtype=np.float64)) for a in self.activations])

    def activation_std(self) -> np.ndarray:
        """Standard deviation of each layer's activations (over the batch and the units), shape (layers,)."""
        return np.array([float(np.std(a, dtype=np.float64)) for a in self.activations])

    def gradient_std(self) -> np.ndarray:
        """Standard deviation of each layer's weight gradients ∂L/∂W, shape (layers,)."""
        return np.array([float(np.std(g, dtype=np.float64)) for g in self.gradients])

    def dead_fraction(self) -> np.ndarray:
        """Fraction of each layer's units that output exactly 0 for every sample of the batch, shape (layers,)."""
        return np.array([float(np.mean(np.all(a == 0, axis=0))) for a in self.activations])

    def table(self):
        """A pandas DataFrame, one row per layer: units, activation mean and std, dead units, gradient std."""
        import pandas as pd

        return pd.DataFrame({
            "units": [a.shape[1] for a in self.activations],
            "activation mean": self.activation_mean(),
            "activation std": self.activation_std(),
            "dead units": [int(np.sum(np.all(a == 0, axis=0))) for a in self.activations],
            "gradient std": self.gradient_std(),
        }, index=pd.Index(self.names, name="layer"))


# --- Keras models -----------------------------------------------------------------------------------

def _dense_blocks(model):
    """[(dense layer, last layer of its block)] in order; a block is a Dense layer and the layers after it
    up to the next Dense layer (its activation, normalisation, dropout …)."""
    import keras

    blocks = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            blocks.append([layer, layer])
        elif blocks and not isinstance(layer, keras.layers.InputLayer):
            blocks[-1][1] = layer
    return [tuple(block) for block in blocks]


def _check_model(model, function: str):
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a Keras model (Sequential or functional), got {type(model).__name__}")
    blocks = _dense_blocks(model)
    if not blocks:
        kinds = ", ".join(type(layer).__name__ for layer in model.layers) or "none"
        raise ValueError(f"{function} needs a model with Dense layers (an MLP); model {model.name!r} has none "
                         f"(its layers: {kinds})")
    functional = not isinstance(model, keras.Sequential)
    if functional:
        try:
            inputs = model.inputs
        except AttributeError:
            inputs = None
        if not inputs:
            raise TypeError(f"{function} works with Sequential and functional models; {model.name!r} is a "
                            f"subclassed {type(model).__name__} with no graph of layers to follow")
        if len(inputs) != 1:
            raise ValueError(f"{function} needs a model with one input, {model.name!r} has {len(inputs)}")
    return blocks, functional


def _expected_shape(model):
    """The shape of one sample the model expects, or None when it does not say (an unbuilt Sequential)."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    return tuple(inputs[0].shape[1:])


def _check_batch(model, X, argument: str = "X") -> np.ndarray:
    try:
        X = np.asarray(X, dtype="float32")
    except (TypeError, ValueError):
        raise TypeError(f"{argument} must be an array of numbers, got {type(X).__name__}") from None
    expected = _expected_shape(model)
    if X.ndim < 2 or X.shape[0] == 0:
        want = "(batch, " + ", ".join("?" if d is None else str(d) for d in expected) + ")" if expected else \
            "(batch, features)"
        raise ValueError(f"{argument} must be a batch of samples of shape {want}, got shape {X.shape}")
    if expected is not None:
        matches = len(expected) == X.ndim - 1 and all(d is None or d == n for d, n in zip(expected, X.shape[1:]))
        if not matches:
            want = ", ".join("?" if d is None else str(d) for d in expected)
            hint = " (reshape the images, or add a Flatten layer)" if X.ndim != len(expected) + 1 else ""
            raise ValueError(f"{argument} has shape {X.shape}, but model {model.name!r} expects batches of shape "
                             f"(batch, {want}){hint}")
    return X


def _run_blocks(model, X, blocks, functional):
    """Outputs of each block's last layer and of the whole model, in one eager pass (call under a tape)."""
    import keras

    if functional:
        outputs = [last.output for _, last in blocks]
        probe = keras.Model(model.inputs[0], outputs + [model.outputs[0]])
        *kept, final = probe(X, training=False)
        return kept, final
    wanted = {id(last): index for index, (_, last) in enumerate(blocks)}
    kept = [None] * len(blocks)
    h = X
    for layer in model.layers:
        h = layer(h, training=False)
        if id(layer) in wanted:
            kept[wanted[id(layer)]] = h
    return kept, h


def layer_statistics(model, X, y, *, loss=None) -> LayerStatistics:
    """Activations and weight gradients of every Dense layer of ``model`` on one batch, with ``tf.GradientTape``.

    Parameters
    ----------
    model : keras.Sequential or functional keras.Model
        An MLP: a chain of layers with at least one ``Dense`` layer (other layers,
        such as ``Flatten``, activation or normalisation layers, may sit in between).
    X : array of shape (batch, *input shape)
        The batch, shaped as the model's input.
    y : array of shape (batch,) or (batch, outputs)
        Its targets, as ``loss`` expects them.
    loss : str or callable, optional
        A Keras loss (``"sparse_categorical_crossentropy"``, ``"mse"``, a function of
        ``(y_true, y_pred)`` …); by default the loss the model was compiled with.

    Returns
    -------
    LayerStatistics
        One entry per Dense layer; the model runs in inference mode (``training=False``).

    Raises
    ------
    TypeError
        If ``model`` is not a Sequential or functional Keras model.
    ValueError
        If the model has no Dense layer, ``X`` does not have the input shape the
        model expects, ``y`` has another batch size, or no loss is known.
    """
    import keras
    import tensorflow as tf

    blocks, functional = _check_model(model, "layer_statistics")
    X = _check_batch(model, X)
    if not model.built:  # a Sequential model without an Input: calling it builds it for this batch's shape
        model(X[:1])
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"y must hold one target per sample of X ({len(X)}), got shape {y.shape}")
    if loss is None:
        loss = getattr(model, "loss", None)
        if loss is None:
            raise ValueError(f"model {model.name!r} is not compiled, so it has no loss: pass loss=, for example "
                             "loss='sparse_categorical_crossentropy'")
    try:
        loss_function = keras.losses.get(loss)
    except (ValueError, TypeError) as error:
        raise ValueError(f"loss must be a Keras loss name or function, got {loss!r} ({error})") from None
    kernels = [dense.kernel for dense, _ in blocks]
    with tf.GradientTape() as tape:
        kept, final = _run_blocks(model, X, blocks, functional)
        value = tf.reduce_mean(loss_function(y, final))
    gradients = tape.gradient(value, kernels)
    return LayerStatistics(
        names=tuple(dense.name for dense, _ in blocks),
        activations=tuple(np.asarray(keras.ops.convert_to_numpy(a)) for a in kept),
        gradients=tuple(np.zeros(tuple(k.shape), "float32") if g is None else np.asarray(g) for g, k in
                        zip(gradients, kernels)),
        loss=float(value))


def dead_units(model, X, *, batch_size: int = 1024):
    """Count the units of each hidden Dense layer that output exactly 0 for every sample of ``X``.

    A ReLU unit whose weighted sum is negative for every input outputs 0 and gets a
    zero gradient: gradient descent can no longer revive it (a "dying ReLU").

    Parameters
    ----------
    model : keras.Sequential or functional keras.Model
        An MLP, as for :func:`layer_statistics`; the output layer is not counted.
    X : array of shape (n_samples, *input shape)
        The samples to try, typically the whole training set.
    batch_size : int, default 1024
        Samples per forward pass.

    Returns
    -------
    pandas.DataFrame
        One row per hidden Dense layer: ``units``, ``dead`` (count) and ``dead fraction``.
    """
    import keras
    import pandas as pd

    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    blocks, functional = _check_model(model, "dead_units")
    if len(blocks) < 2:
        raise ValueError(f"dead_units counts the hidden Dense layers; model {model.name!r} has only an output layer")
    X = _check_batch(model, X)
    if not model.built:
        model(X[:1])
    blocks = blocks[:-1]
    alive = None
    for start in range(0, len(X), batch_size):
        kept, _ = _run_blocks(model, X[start:start + batch_size], blocks, functional)
        batch_alive = [np.any(keras.ops.convert_to_numpy(a) != 0, axis=0) for a in kept]
        alive = batch_alive if alive is None else [a | b for a, b in zip(alive, batch_alive)]
    units = [len(a) for a in alive]
    dead = [int(np.sum(~a)) for a in alive]
    return pd.DataFrame({"units": units, "dead": dead, "dead fraction": np.divide(dead, units)},
                        index=pd.Index([dense.name for dense, _ in blocks], name="layer"))


# --- the same statistics in NumPy -------------------------------------------------------------------

def _choice(value, argument: str, accepted) -> str:
    if not isinstance(value, str) or value not in accepted:
        raise ValueError(f"{argument} must be one of {list(accepted)}, got {value!r}")
    return value


def initial_weights(layer_sizes: Sequence[int], initializer: str = "He", *, random_state: int = SEED):
    """Weights of an MLP drawn from a normal distribution scaled by ``initializer``; biases 0.

    Parameters
    ----------
    layer_sizes : sequence of int >= 1
        ``[n_inputs, hidden units …, n_outputs]``, at least two numbers.
    initializer : one of :data:`INITIALIZERS`
        How the standard deviation depends on fan-in and fan-out ("N(0, 1)", "Glorot", "LeCun", "He" …).
    random_state : int, default ``neuronlab.config.SEED``
        Layer ``l`` draws from ``numpy.random.default_rng([random_state, l])``, so a
        deeper network starts with the same lower layers as a shallower one.

    Returns
    -------
    list of (W, b)
        ``W`` of shape (layer_sizes[l], layer_sizes[l + 1]) and ``b`` of shape
        (layer_sizes[l + 1],), float64.
    """
    sizes = list(layer_sizes) if not isinstance(layer_sizes, (str, bytes)) else None
    if (sizes is None or len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1
                                               for n in sizes)):
        raise ValueError(f"layer_sizes must list at least two ints >= 1 (inputs, …, outputs), got {layer_sizes!r}")
    _choice(initializer, "initializer", INITIALIZERS)
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral) or random_state < 0:
        raise ValueError(f"random_state must be an int >= 0, got {random_state!r}")
    weights = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        rng = np.random.default_rng([int(random_state), index])
        std = INITIALIZERS[initializer](int(fan_in), int(fan_out))
        weights.append((rng.normal(0.0, std, size=(int(fan_in), int(fan_out))), np.zeros(int(fan_out))))
    return weights


def forward_backward(X, y, weights, activation: str) -> LayerStatistics:
    """One forward and one backward pass of an MLP given as NumPy weights: its :class:`LayerStatistics`.

    Every hidden layer computes ``φ(H W + b)``; the last layer is a softmax over the
    classes, and the loss is the mean cross-entropy, as ``keras.losses``'
    ``sparse_categorical_crossentropy`` computes it.

    Parameters
    ----------
    X : array of shape (batch, n_inputs)
    y : array of shape (batch,)
        Class indices from 0 to n_outputs − 1.
    weights : list of (W, b)
        As :func:`initial_weights` returns them; the last pair is the output layer.
    activation : one of :data:`ACTIVATIONS`
        The hidden layers' activation function.

    Returns
    -------
    LayerStatistics
        Layers named "hidden 1", …, "output"; the output layer's activations are the
        softmax probabilities.  Overflow gives inf or NaN rather than warnings.
    """
    _choice(activation, "activation", ACTIVATIONS)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or not len(X):
        raise ValueError(f"X must have shape (batch, n_inputs), got {X.shape}")
    if not weights or X.shape[1] != np.shape(weights[0][0])[0]:
        first = np.shape(weights[0][0])[0] if weights else "?"
        raise ValueError(f"X has {X.shape[1]} features per sample but the first layer expects {first}")
    n_classes = np.shape(weights[-1][0])[1]
    if y.shape != (len(X),) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"y must hold {len(X)} class indices from 0 to {n_classes - 1}, got shape {y.shape}")
    phi, slope = ACTIVATIONS[activation]
    with np.errstate(all="ignore"):
        inputs, pre, outs = [], [], []
        h = X
        for W, b in weights[:-1]:
            z = h @ W + b
            inputs.append(h)
            pre.append(z)
            h = phi(z)
            outs.append(h)
        W, b = weights[-1]
        inputs.append(h)
        p = softmax(h @ W + b)
        outs.append(p)
        m = len(X)
        loss = float(-np.mean(np.log(np.clip(p[np.arange(m), y], 1e-30, None))))
        delta = p.copy()
        delta[np.arange(m), y] -= 1
        delta /= m                                            # ∂L/∂z of the output layer
        gradients = [None] * len(weights)
        for index in range(len(weights) - 1, -1, -1):
            gradients[index] = inputs[index].T @ delta        # ∂L/∂W = input of the layer (m, n)ᵀ @ δ (m, k)
            if index:
                delta = (delta @ weights[index][0].T) * slope(pre[index - 1])
    names = tuple(f"hidden {i}" for i in range(1, len(weights))) + ("output",)
    return LayerStatistics(names, tuple(outs), tuple(gradients), loss)


def simulate(X, y, *, depth: int, activation: str, initializer: str, width: int = 100,
             n_classes: int = 10, random_state: int = SEED) -> LayerStatistics:
    """:func:`forward_backward` for a fresh MLP: ``depth`` hidden layers of ``width`` units, then a softmax.

    Shapes: ``X`` (batch, n_inputs), ``y`` (batch,) with classes 0 to ``n_classes`` − 1.
    The weights come from :func:`initial_weights` with ``initializer`` and ``random_state``.
    """
    for value, argument in ((depth, "depth"), (width, "width"), (n_classes, "n_classes")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{argument} must be an int >= 1, got {value!r}")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (batch, n_inputs), got {X.shape}")
    sizes = [X.shape[1]] + [int(width)] * int(depth) + [int(n_classes)]
    return forward_backward(X, y, initial_weights(sizes, initializer, random_state=random_state), activation)


# --- drawing ------------------------------------------------------------------------------------------

def plot_std_by_layer(results: Mapping[str, LayerStatistics], *, hidden_only: bool = True, title: str = ""):
    """Two panels: the standard deviation of the activations and of the weight gradients, layer by layer.

    Parameters
    ----------
    results : mapping of label → LayerStatistics
        One line per entry (at most 7, the palette's colours), e.g. one per initialiser.
    hidden_only : bool, default True
        Leave out the output layer, whose softmax is not like the others.
    title : str, optional
        A title over both panels.

    Returns
    -------
    matplotlib.figure.Figure
        6.9 × 3 inches; both y axes logarithmic.
    """
    import matplotlib.pyplot as plt

    if not isinstance(results, Mapping) or not results:
        raise TypeError("results must be a non-empty mapping of label → LayerStatistics")
    if not all(isinstance(v, LayerStatistics) for v in results.values()):
        raise TypeError("every value of results must be a LayerStatistics")
    fig, (act_ax, grad_ax) = plt.subplots(1, 2, figsize=(6.9, 3.0), layout="constrained")
    markers = "osD^vP*"
    for (label, stats), marker in zip(results.items(), markers):
        keep = len(stats) - 1 if hidden_only and len(stats) > 1 else len(stats)
        layers = np.arange(1, keep + 1)
        act_ax.plot(layers, stats.activation_std()[:keep], marker=marker, ms=4, lw=1.5, label=label)
        grad_ax.plot(layers, stats.gradient_std()[:keep], marker=marker, ms=4, lw=1.5, label=label)
    act_ax.set(yscale="log", xlabel="hidden layer", ylabel="std of activations", title="forward: activations")
    grad_ax.set(yscale="log", xlabel="hidden layer", ylabel="std of ∂L/∂W", title="backward: weight gradients")
    for ax in (act_ax, grad_ax):
        _decade_limits(ax)
    act_ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def _decade_limits(ax) -> None:
    """Let a log axis run from the decade below its lowest point to the decade above its highest.

    A narrow range then still shows two labelled decades (labelled 0.01, 0.1 … when
    the range is a few decades, 10⁻¹⁴ … when it is wide), and no minor-tick labels.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    values = np.concatenate([np.asarray(line.get_ydata(), dtype=float) for line in ax.lines] or [np.ones(1)])
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return
    low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    high = max(high, low + 1)
    ax.set_ylim(10 ** low, 10 ** high)
    ax.yaxis.set_minor_formatter(NullFormatter())
    if high - low <= 4:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def histogram_shares(arrays: Sequence[np.ndarray], edges) -> np.ndarray:
    """One histogram per layer, as the share of the layer's values in each bin.

    Parameters
    ----------
    arrays : sequence of ndarray
        ``arrays[l]`` holds layer l + 1's values (any shape; flattened).  Values below
        ``edges[0]`` count in the first bin and values above ``edges[-1]`` (inf included)
        in the last, so nothing is dropped; NaN values are left out.
    edges : 1-D array of at least two increasing bin edges

    Returns
    -------
    ndarray of shape (len(edges) − 1, len(arrays))
        Column l sums to 1 (or is all 0 when layer l holds only NaN).
    """
    edges = np.asarray(edges, dtype=float)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be a 1-D array of at least two increasing numbers")
    if not len(arrays):
        raise ValueError("arrays must hold at least one layer's values")
    n_bins = len(edges) - 1
    steps = np.diff(edges)
    uniform = np.allclose(steps, steps[0], rtol=1e-9, atol=0)
    shares = np.zeros((n_bins, len(arrays)))
    for column, values in enumerate(arrays):
        values = np.asarray(values, dtype=float).ravel()
        values = values[~np.isnan(values)]
        if values.size:
            values = np.clip(values, edges[0], edges[-1])
            if uniform:  # bin by arithmetic: much faster than np.histogram's search through the edges
                index = np.minimum(((values - edges[0]) / steps[0]).astype(np.int64), n_bins - 1)
                counts = np.bincount(index, minlength=n_bins)
            else:
                counts, _ = np.histogram(values, bins=edges)
            shares[:, column] = counts / values.size
    return shares


def draw_histogram_map(ax, shares: np.ndarray, edges, *, cmap: str = "viridis"):
    """Draw per-layer histograms (from :func:`histogram_shares`) as columns of colour.

    Layer 1, 2, … on x, the value on y, the share of the layer's values in each bin as
    the colour, on a square-root scale so that thin tails stay visible.  Returns the image.
    """
    shares = np.asarray(shares, dtype=float)
    edges = np.asarray(edges, dtype=float)
    if shares.ndim != 2 or shares.shape[0] != len(edges) - 1:
        raise ValueError(f"shares must have shape (len(edges) - 1, layers) = ({len(edges) - 1}, …), "
                         f"got {shares.shape}")
    image = ax.imshow(np.sqrt(shares), origin="lower", aspect="auto", cmap=cmap, vmin=0, vmax=1,
                      interpolation="nearest", extent=(0.5, shares.shape[1] + 0.5, edges[0], edges[-1]))
    ax.grid(False)
    return image
