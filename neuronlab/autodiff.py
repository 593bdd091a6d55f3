"""A small reverse-mode automatic differentiation engine on NumPy arrays (chapter 03).

A :class:`Tensor` holds an array ``data``.  Every operation on tensors returns a
new tensor that remembers its inputs (``parents``) and a small closure that,
given the gradient of the final scalar with respect to the output, adds each
input's share by the chain rule.  :meth:`Tensor.backward` runs those closures
from the output back to the inputs (reverse topological order), so each node
passes its gradient on only once all of it has arrived: two passes, one forward
and one backward, give the gradient of every parameter.

This is micrograd (Karpathy, 2020) made vectorised: one node per array
operation rather than per number, so an MLP trains on MNIST at close to the
speed of NumPy's own matrix products.  The dtype follows the inputs: float64
for gradient checks, float32 for speed.

>>> x = Tensor([[1.0, 2.0]])                        # data: no gradient wanted
>>> w = Tensor([[3.0], [-1.0]], requires_grad=True)  # a parameter
>>> loss = relu(x @ w).sum()                        # relu(1*3 + 2*(-1)) = 1
>>> loss.backward()
>>> w.grad.ravel().tolist()                         # d loss / d w = x.T (the unit is active)
[1.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "Tensor", "linear", "sigmoid", "tanh", "relu", "softplus", "step", "exp", "log",
    "softmax", "softmax_cross_entropy", "sigmoid_cross_entropy", "mse", "mae", "huber",
    "numerical_gradient", "relative_error", "gradient_check",
]


def _array(value, argument: str) -> np.ndarray:
    """``value`` as a floating-point array: floats keep their dtype, ints and bools become float64."""
    array = np.asarray(value)
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    if array.dtype.kind != "f":
        raise TypeError(f"{argument} must hold real numbers, got dtype {array.dtype}")
    return array


def _as_tensor(value, argument: str) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(_array(value, argument))


def _node(data, parents: tuple, backward: Callable, op: str) -> Tensor:
    """The output of an operation: it needs a gradient when any of its inputs does."""
    out = Tensor.__new__(Tensor)
    out.data, out.grad, out.parents, out.op, out.requires_grad, out._backward = (
        np.asarray(data), None, parents, op, False, None)
    for parent in parents:
        if parent.requires_grad:
            out.requires_grad, out._backward = True, backward
            break
    return out


def _accumulate(tensor: Tensor, grad) -> None:
    """Add ``grad`` to ``tensor.grad`` (a tensor used twice receives two contributions)."""
    if not tensor.requires_grad:
        return
    grad = np.asarray(grad, dtype=tensor.data.dtype)
    tensor.grad = grad if tensor.grad is None else tensor.grad + grad


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def _check_matmul(a: Tensor, b: Tensor, op: str) -> None:
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"{op}: both operands must be 2-D, got shapes {a.shape} and {b.shape}; "
                         "reshape a vector to (1, n) or (n, 1)")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not line up "
                         f"({a.shape[1]} columns against {b.shape[0]} rows)")


def _broadcasting(function, a: Tensor, b: Tensor, op: str) -> np.ndarray:
    try:
        return function(a.data, b.data)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None


class Tensor:
    """An array that remembers how it was computed, so that gradients can flow back through it.

    Parameters
    ----------
    data : array_like of real numbers
        The values.  Floating-point dtypes are kept (float32 stays float32);
        integers and bools become float64.
    requires_grad : bool, default False
        Whether :meth:`backward` computes ``grad`` for this tensor: True for
        parameters, False for data.

    Attributes
    ----------
    data : ndarray
    grad : ndarray of data's shape, or None
        d(scalar)/d(data) after :meth:`backward`; it accumulates over calls, so
        set it to None before the next one.
    parents : tuple of Tensor
        The tensors this one was computed from (empty for a leaf).
    op : str
        The operation that made it ("matmul", "relu", …; "" for a leaf).
    """

    __slots__ = ("data", "grad", "requires_grad", "parents", "op", "_backward")
    __array_ufunc__ = None  # so that ndarray @ Tensor and ndarray + Tensor come to Tensor

    def __init__(self, data, requires_grad: bool = False) -> None:
        self.data = _array(data, "data")
        self.grad, self.requires_grad, self.parents, self.op, self._backward = None, bool(requires_grad), (), "", None

    shape = property(lambda self: self.data.shape, doc="The shape of ``data``.")
    ndim = property(lambda self: self.data.ndim, doc="The number of axes of ``data``.")
    dtype = property(lambda self: self.data.dtype, doc="The dtype of ``data``.")

    def __repr__(self) -> str:
        made = f", op={self.op!r}" if self.op else ""
        return f"Tensor(shape={self.shape}, dtype={self.dtype}{made}, requires_grad={self.requires_grad})"

    def __float__(self) -> float:
        return float(self.data)

    def _other(self, other) -> Tensor:
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float, np.number)):  # a plain number keeps this tensor's dtype
            return Tensor(np.asarray(other, dtype=self.dtype))
        return Tensor(_array(other, "the other operand"))

    # --- arithmetic (elementwise with broadcasting) and matrix product -------------------------
    def __add__(self, other) -> Tensor:
        a, b = self, self._other(other)

        def backward(g):
            _accumulate(a, _unbroadcast(g, a.shape))
            _accumulate(b, _unbroadcast(g, b.shape))
        return _node(_broadcasting(np.add, a, b, "add"), (a, b), backward, "add")

    def __mul__(self, other) -> Tensor:
        a, b = self, self._other(other)

        def backward(g):
            _accumulate(a, _unbroadcast(g * b.data, a.shape))
            _accumulate(b, _unbroadcast(g * a.data, b.shape))
        return _node(_broadcasting(np.multiply, a, b, "mul"), (a, b), backward, "mul")

    def __neg__(self) -> Tensor:
        return _node(-self.data, (self,), lambda g: _accumulate(self, -g), "neg")

    def __pow__(self, exponent) -> Tensor:
        if isinstance(exponent, (bool, Tensor)) or not isinstance(exponent, (int, float, np.number)):
            raise TypeError(f"pow: exponent must be a plain number, got {type(exponent).__name__}")
        return _node(self.data ** exponent, (self,),
                     lambda g: _accumulate(self, g * exponent * self.data ** (exponent - 1)), "pow")

    __radd__ = __add__
    __rmul__ = __mul__
    __sub__ = lambda self, other: self + (-self._other(other))  # noqa: E731
    __rsub__ = lambda self, other: self._other(other) + (-self)  # noqa: E731
    __truediv__ = lambda self, other: self * self._other(other) ** -1  # noqa: E731
    __rtruediv__ = lambda self, other: self._other(other) * self ** -1  # noqa: E731

    def __matmul__(self, other) -> Tensor:
        """Matrix product of an (n, k) and a (k, m) tensor: (n, m)."""
        a, b = self, self._other(other)
        _check_matmul(a, b, "matmul")

        def backward(g):  # only the products that are needed: data (requires_grad=False) gets none
            if a.requires_grad:
                _accumulate(a, g @ b.data.T)
            if b.requires_grad:
                _accumulate(b, a.data.T @ g)
        return _node(a.data @ b.data, (a, b), backward, "matmul")

    def __rmatmul__(self, other) -> Tensor:
        return self._other(other) @ self

    @property
    def T(self) -> Tensor:
        """The transpose."""
        return _node(self.data.T, (self,), lambda g: _accumulate(self, g.T), "transpose")

    # --- reductions -------------------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes by default); the gradient is copied back to every summed element."""
        def backward(g):
            g = g if keepdims or axis is None else np.expand_dims(g, axis)
            _accumulate(self, np.broadcast_to(g, self.shape).copy())
        return _node(np.sum(self.data, axis=axis, keepdims=keepdims), (self,), backward, "sum")

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes by default)."""
        total = self.sum(axis, keepdims)
        return total * (total.data.size / max(self.data.size, 1))

    # --- the backward pass ------------------------------------------------------------------------
    def topological_order(self, only_requires_grad: bool = False) -> list[Tensor]:
        """Every tensor this one was computed from, inputs first, each after all of its parents.

        With ``only_requires_grad``, just the tensors that gradients flow through.
        """
        order, seen, stack = [], {id(self)}, [(self, iter(self.parents))]
        while stack:  # depth-first, without recursion (a long chain would exhaust Python's stack)
            node, parents = stack[-1]
            for parent in parents:
                if id(parent) not in seen and (parent.requires_grad or not only_requires_grad):
                    seen.add(id(parent))
                    stack.append((parent, iter(parent.parents)))
                    break
            else:  # all of node's parents are placed
                stack.pop()
                order.append(node)
        return order

    def backward(self, grad=None) -> None:
        """Fill in ``grad`` for every tensor with ``requires_grad`` that this one depends on.

        Parameters
        ----------
        grad : array_like of self.shape, optional
            d(scalar)/d(self).  Leave it out when this tensor is the scalar loss (it is then 1).
        """
        if not self.requires_grad:
            raise ValueError("backward: this tensor does not depend on any tensor with requires_grad=True")
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward: this tensor has shape {self.shape}, not a single number; pass grad, "
                                 f"the gradient of the final scalar with respect to it (shape {self.shape})")
            grad = np.ones_like(self.data)
        elif np.shape(grad) != self.shape:
            raise ValueError(f"backward: grad must have this tensor's shape {self.shape}, got {np.shape(grad)}")
        _accumulate(self, _array(grad, "grad"))
        for node in reversed(self.topological_order(only_requires_grad=True)):
            if node._backward is not None and node.grad is not None:
                node._backward(node.grad)


def linear(x, weight, bias=None) -> Tensor:
    """A dense layer as one node: ``x @ weight + bias``, the same as writing it out, but faster.

    Parameters
    ----------
    x : Tensor of shape (n_samples, n_in)
    weight : Tensor of shape (n_in, n_out)
    bias : Tensor of shape (n_out,), optional

    Returns
    -------
    Tensor of shape (n_samples, n_out)
        The bias is added in place to the fresh product (no second array), and the
        backward pass computes only the products that are needed.
    """
    x, weight = _as_tensor(x, "x"), _as_tensor(weight, "weight")
    _check_matmul(x, weight, "linear")
    data = x.data @ weight.data
    if bias is not None:
        bias = _as_tensor(bias, "bias")
        if bias.shape != (weight.shape[1],):
            raise ValueError(f"linear: bias must have shape ({weight.shape[1]},) to match weight of shape "
                             f"{weight.shape}, got {bias.shape}")
        data += bias.data

    def backward(g):
        if x.requires_grad:
            _accumulate(x, g @ weight.data.T)
        if weight.requires_grad:
            _accumulate(weight, x.data.T @ g)
        if bias is not None and bias.requires_grad:
            _accumulate(bias, g.sum(axis=0))
    return _node(data, (x, weight) if bias is None else (x, weight, bias), backward, "linear")


# --- elementwise functions: value and derivative --------------------------------------------------
def _pointwise(x, value: Callable, derivative: Callable, op: str) -> Tensor:
    """y = f(x) elementwise; ``derivative(x, y)`` is f'(x), so that d/dx = g * f'(x)."""
    x = _as_tensor(x, "x")
    y = value(x.data)
    return _node(y, (x,), lambda g: _accumulate(x, g * derivative(x.data, y)), op)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + e^-z), without overflow for large |z|


def sigmoid(x) -> Tensor:
    """σ(x) = 1 / (1 + e^(−x)), elementwise; σ'(x) = σ(x)(1 − σ(x))."""
    return _pointwise(x, _sigmoid, lambda z, s: s * (1.0 - s), "sigmoid")


def tanh(x) -> Tensor:
    """tanh(x) = 2σ(2x) − 1, elementwise; tanh' = 1 − tanh²."""
    return _pointwise(x, np.tanh, lambda z, t: 1.0 - t * t, "tanh")


def relu(x) -> Tensor:
    """max(0, x), elementwise; its derivative is 1 where x > 0 and 0 elsewhere (0 at x = 0)."""
    return _pointwise(x, lambda z: np.maximum(z, 0), lambda z, y: z > 0, "relu")


def softplus(x) -> Tensor:
    """log(1 + e^x), elementwise, a smooth ReLU; its derivative is σ(x)."""
    return _pointwise(x, lambda z: np.logaddexp(0, z), lambda z, y: _sigmoid(z), "softplus")


def step(x) -> Tensor:
    """The Heaviside step, 1 where x >= 0 else 0; its derivative is 0 wherever it exists, so no gradient flows."""
    return _pointwise(x, lambda z: (z >= 0).astype(z.dtype), lambda z, y: np.zeros_like(z), "step")


def exp(x) -> Tensor:
    """e^x, elementwise; its own derivative."""
    return _pointwise(x, np.exp, lambda z, y: y, "exp")


def log(x) -> Tensor:
    """Natural logarithm, elementwise (x > 0); derivative 1/x."""
    return _pointwise(x, np.log, lambda z, y: 1.0 / z, "log")


def softmax(logits) -> np.ndarray:
    """Row-wise softmax of an (n, k) array (a plain array: for predictions, not for training)."""
    z = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- losses, each one fused node returning a scalar --------------------------------------------
def softmax_cross_entropy(logits, labels) -> Tensor:
    """Mean cross-entropy between softmax(logits) and integer class labels.

    Parameters
    ----------
    logits : Tensor of shape (n_samples, n_classes)
    labels : array_like of int, shape (n_samples,)
        Each sample's class, 0 … n_classes − 1.

    Returns
    -------
    Tensor of shape ()
        −mean_i log softmax(logits_i)[labels_i], by the log-sum-exp trick so that
        large logits never overflow.  The gradient is (softmax − one_hot) / n_samples.
    """
    logits = _as_tensor(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: logits must have shape (n_samples, n_classes), got {logits.shape}")
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"softmax_cross_entropy: labels must be integer class indices, got dtype {labels.dtype}")
    (n, k), rows = logits.shape, np.arange(len(labels))
    if labels.shape != (n,) or n == 0:
        raise ValueError(f"softmax_cross_entropy: labels must have shape ({n},) to match logits of shape "
                         f"{logits.shape} (and at least one sample), got {labels.shape}")
    low, high = labels.min(), labels.max()
    if low < 0 or high >= k:
        raise ValueError(f"softmax_cross_entropy: labels must lie in 0 … {k - 1} (logits have {k} columns), "
                         f"got values from {low} to {high}")
    shifted = logits.data - logits.data.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    loss = (np.log(total).sum() - shifted[rows, labels].sum()) / n

    def backward(g):
        p = e / total
        p[rows, labels] -= 1
        p *= g / n
        _accumulate(logits, p)
    return _node(loss.astype(logits.dtype), (logits,), backward, "softmax_cross_entropy")


def _elementwise_loss(prediction, target, op: str, value: Callable, slope: Callable) -> Tensor:
    """mean(value(p, t)) over all elements; d/dp = slope(p, t) / size (the target gets no gradient)."""
    prediction = _as_tensor(prediction, "prediction")
    t = np.asarray(target.data if isinstance(target, Tensor) else _array(target, "target"), prediction.dtype)
    if t.shape != prediction.shape:
        raise ValueError(f"{op}: prediction has shape {prediction.shape} but target has shape {t.shape}; "
                         "they must match exactly ((n,) against (n, 1) would broadcast to (n, n))")
    p = prediction.data
    return _node(value(p, t).mean(dtype=p.dtype), (prediction,),
                 lambda g: _accumulate(prediction, slope(p, t) * (g / max(p.size, 1))), op)


def sigmoid_cross_entropy(logits, targets) -> Tensor:
    """Mean binary cross-entropy of σ(logits) against targets in [0, 1] of the same shape.

    One column per yes/no question: binary classification (one column) or
    multilabel (several).  Computed as softplus(z) − t·z, stable for any logit z;
    the gradient is (σ(logits) − targets) / size.
    """
    return _elementwise_loss(logits, targets, "sigmoid_cross_entropy",
                             lambda z, t: np.logaddexp(0, z) - t * z, lambda z, t: _sigmoid(z) - t)


def mse(prediction, target) -> Tensor:
    """Mean squared error, mean((prediction − target)²); the shapes must match exactly."""
    return _elementwise_loss(prediction, target, "mse", lambda p, t: (p - t) ** 2, lambda p, t: 2 * (p - t))


def mae(prediction, target) -> Tensor:
    """Mean absolute error, mean(|prediction − target|); its derivative is the sign of the error."""
    return _elementwise_loss(prediction, target, "mae", lambda p, t: np.abs(p - t), lambda p, t: np.sign(p - t))


def huber(prediction, target, delta: float = 1.0) -> Tensor:
    """Huber loss: d²/2 where |d| <= delta, else delta·(|d| − delta/2), with d = prediction − target.

    Quadratic near zero like MSE, linear for large errors like MAE, so outliers pull less.
    """
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.number)) or not delta > 0:
        raise ValueError(f"huber: delta must be a number > 0, got {delta!r}")

    def value(p, t):
        d = np.abs(p - t)
        return np.where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _elementwise_loss(prediction, target, "huber", value, lambda p, t: np.clip(p - t, -delta, delta))


# --- gradient checking ------------------------------------------------------------------------------
def _scalar(value, what: str) -> float:
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.size != 1:
        raise ValueError(f"{what} must return a single number (the loss), but it returned shape {array.shape}; "
                         "reduce it first, e.g. with .sum() or .mean()")
    return float(array.reshape(()))


def numerical_gradient(f: Callable, x, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences: (f(x + eps·e_i) − f(x − eps·e_i)) / (2·eps) for every element i.

    Parameters
    ----------
    f : callable, ndarray → number (a float or a one-element Tensor)
    x : array_like
        The point; it is copied to float64 before it is nudged.
    eps : float > 0
    Returns
    -------
    ndarray of x's shape, float64
    """
    if not callable(f):
        raise TypeError(f"f must be a function, got {type(f).__name__}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = _scalar(f(x), "f")
        x[i] = old - eps
        down = _scalar(f(x), "f")
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """‖a − b‖ / max(‖a‖, ‖b‖): 0 for identical arrays (and for two zero arrays), 1 for unrelated ones."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes {a.shape} and {b.shape} differ")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def gradient_check(f: Callable, *arrays, eps: float = 1e-6) -> list[float]:
    """Compare the engine's gradients of ``f`` with central differences, in float64.

    Parameters
    ----------
    f : callable
        Takes one Tensor per array and returns a scalar Tensor (a loss).
    *arrays : array_like
        The point at which to check; each is converted to float64.

    Returns
    -------
    list of float
        :func:`relative_error` between backward's and the numerical gradient, one per array.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = f(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"f must return a Tensor (built from its arguments), got {type(out).__name__}")
    _scalar(out, "f")
    out.backward()
    errors = []
    for i, t in enumerate(tensors):
        nudged = lambda x, i=i: f(*(Tensor(x if j == i else a) for j, a in enumerate(arrays)))  # noqa: E731
        errors.append(relative_error(np.zeros_like(t.data) if t.grad is None else t.grad,
                                     numerical_gradient(nudged, arrays[i], eps)))
    return errors
