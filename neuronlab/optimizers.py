"""Faster optimizers written from scratch in NumPy, following ``keras.optimizers`` to the letter (chapter 07).

Each optimizer keeps, for every parameter array, a few arrays of state (its
"slots": a velocity, a running mean of squared gradients …) and turns a
gradient into a step with a rule of three to six lines: read :meth:`_update`
of any class below.  The rules are Keras's own, including its conventions
where they differ from the papers, so that a from-scratch optimizer and the
Keras one, fed the same gradients, take the same steps (the chapter's notebook
and ``tests/unit/test_optimizers.py`` check this to 1e-12 in float64):

- momentum is written ``m ← β m − η g; θ ← θ + m`` (:class:`Momentum`);
- AdaGrad's accumulator starts at 0.1, not 0, and ε sits *inside* the square
  root, as in RMSProp: ``θ ← θ − η g / √(s + ε)``;
- Adam, AdaMax, Nadam and AdamW fold the bias corrections into the step size
  and add ε to √v, not to √v̂ (Kingma & Ba's "ε hat");
- Nadam's momentum follows Dozat's schedule μ_t = β₁ (1 − ½ · 0.96^t);
- AdamW first shrinks every weight by ``η λ θ`` (λ = ``weight_decay``), then
  takes an Adam step with the gradient of the unshrunk weights.

Usage::

    opt = Adam(learning_rate=0.01)
    params = [W, b]                      # any list of arrays (or one array)
    for _ in range(100):
        params = opt.step(params, gradient_of_loss(params))

or, for a function of one vector, ``path = opt.minimize(gradient, start, n_steps)``.
The module also holds the 2-D test surfaces of the chapter's optimizer race
(:data:`SURFACES`, :func:`surface`).

Nothing here imports Keras except :meth:`Optimizer.to_keras`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdaMax", "Nadam", "AdamW",
    "OPTIMIZERS", "make_optimizer", "Surface", "SURFACES", "surface",
]


# ---------------------------------------------------------------------------------------------- validation
def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    return float(value)


def _positive(value, name: str) -> float:
    value = _real(value, name)
    if not 0 < value < math.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def _non_negative(value, name: str) -> float:
    value = _real(value, name)
    if not 0 <= value < math.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


def _beta(value, name: str) -> float:
    value = _real(value, name)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1) (a decay rate: 0 forgets at once, near 1 remembers long), "
                         f"got {value!r}")
    return value


# ---------------------------------------------------------------------------------------------- the base class
class Optimizer:
    """Base class: keeps one set of slots per parameter array and applies :meth:`_update` to each.

    Parameters
    ----------
    learning_rate : float > 0
        The step size η.

    Attributes
    ----------
    iterations_ : int
        Steps taken so far (0 before the first; :meth:`reset` sets it back).
    slots_ : list of dict of ndarray, or None
        Per parameter array, the optimizer's state (same shapes as the array);
        None before the first step.
    """

    keras_name: str = ""
    """The ``keras.optimizers`` class this one mirrors."""
    _hyperparameters: tuple[str, ...] = ("learning_rate",)

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = _positive(learning_rate, "learning_rate")
        self.reset()

    # --- what a subclass provides
    def _new_slots(self, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
        """Fresh state for one parameter array of ``shape``."""
        return {}

    def _update(self, theta: np.ndarray, g: np.ndarray, s: dict[str, np.ndarray], t: int) -> np.ndarray:
        """The new value of one parameter array ``theta`` given its gradient ``g``, at step ``t`` (1, 2, …).

        Updates the slots ``s`` in place.
        """
        raise NotImplementedError

    def _keras_kwargs(self) -> dict:
        """The arguments of the Keras twin: the same names as this optimizer's own."""
        return self.get_params()

    # --- shared behaviour
    def reset(self) -> Optimizer:
        """Forget all state (slots and step count), as a new optimizer would."""
        self.iterations_ = 0
        self.slots_: list[dict[str, np.ndarray]] | None = None
        return self

    def step(self, params, grads):
        """One update of every parameter array.

        Parameters
        ----------
        params : ndarray or list of ndarray
            The current parameters (not modified).
        grads : same structure and shapes as ``params``
            The gradient of the loss at ``params``.

        Returns
        -------
        The updated parameters, float64, in the structure of ``params``.
        """
        single = not isinstance(params, (list, tuple))
        thetas = [np.asarray(params, dtype=np.float64)] if single else [np.asarray(p, dtype=np.float64) for p in params]
        gs = [np.asarray(grads, dtype=np.float64)] if single else (
            [np.asarray(g, dtype=np.float64) for g in grads] if isinstance(grads, (list, tuple)) else None)
        if gs is None or len(gs) != len(thetas):
            raise ValueError(f"grads must match params: {len(thetas)} array(s) expected, "
                             f"got {type(grads).__name__ if gs is None else len(gs)}")
        for i, (theta, g) in enumerate(zip(thetas, gs)):
            if theta.shape != g.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape} but params[{i}] has shape {theta.shape}")
        shapes = [theta.shape for theta in thetas]
        if self.slots_ is None:
            self.slots_ = [self._new_slots(shape) for shape in shapes]
            self._shapes = shapes
        elif shapes != self._shapes:
            raise ValueError(f"params have shapes {shapes}, but the optimizer's state was made for {self._shapes}: "
                             "call reset() to start afresh")
        self.iterations_ += 1
        new = [self._update(theta, g, s, self.iterations_) for theta, g, s in zip(thetas, gs, self.slots_)]
        return new[0] if single else new

    def minimize(self, gradient: Callable[[np.ndarray], np.ndarray], start, n_steps: int,
                 limit: float = 1e6) -> np.ndarray:
        """Run ``n_steps`` steps from ``start`` on a function of one vector; return the path.

        Starts afresh (:meth:`reset`).  The path stops early, holding fewer rows, when the
        optimizer diverges: a coordinate leaves [−limit, limit] or stops being finite.

        Parameters
        ----------
        gradient : callable, vector of shape (d,) → shape (d,)
        start : array-like of shape (d,)
        n_steps : int >= 0
        limit : float > 0, default 1e6

        Returns
        -------
        ndarray of shape (k + 1, d), k <= n_steps: the start and the point after each step.
        """
        if not callable(gradient):
            raise TypeError(f"gradient must be a function, got {type(gradient).__name__}")
        if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral) or n_steps < 0:
            raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
        theta = np.asarray(start, dtype=np.float64).copy()
        if theta.ndim != 1:
            raise ValueError(f"start must be a vector, got shape {theta.shape}")
        limit = _positive(limit, "limit")
        self.reset()
        path = [theta]
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(int(n_steps)):
                theta = self.step(theta, gradient(theta))
                if not np.all(np.abs(theta) <= limit):  # also catches inf and nan
                    break
                path.append(theta)
        return np.array(path)

    def get_params(self) -> dict:
        """The constructor's arguments, by name (as scikit-learn's ``get_params``)."""
        return {name: getattr(self, name) for name in self._hyperparameters}

    def to_keras(self):
        """The ``keras.optimizers`` optimizer with the same settings (imports Keras)."""
        import keras

        return getattr(keras.optimizers, self.keras_name)(**self._keras_kwargs())

    def __repr__(self) -> str:
        arguments = ", ".join(f"{name}={value!r}" for name, value in self.get_params().items())
        return f"{type(self).__name__}({arguments})"


class SGD(Optimizer):
    """Plain gradient descent: θ ← θ − η g.  Mirrors ``keras.optimizers.SGD(learning_rate)``."""

    keras_name = "SGD"

    def __init__(self, learning_rate: float = 0.01) -> None:
        super().__init__(learning_rate)

    def _update(self, theta, g, s, t):
        return theta - self.learning_rate * g


class Momentum(Optimizer):
    """Momentum optimisation (Polyak, 1964): m ← β m − η g; θ ← θ + m.

    Mirrors ``keras.optimizers.SGD(learning_rate, momentum=β)``.

    Parameters
    ----------
    learning_rate : float > 0, default 0.01
    momentum : float in [0, 1), default 0.9
        β: how much of the previous velocity is kept (0 is plain gradient descent).
    """

    keras_name = "SGD"
    _hyperparameters = ("learning_rate", "momentum")

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__(learning_rate)
        self.momentum = _beta(momentum, "momentum")

    def _new_slots(self, shape):
        return {"m": np.zeros(shape)}

    def _update(self, theta, g, s, t):
        s["m"] = self.momentum * s["m"] - self.learning_rate * g
        return theta + s["m"]


class Nesterov(Momentum):
    """Nesterov accelerated gradient (Nesterov, 1983; Sutskever et al., 2013), in Keras's form.

    m ← β m − η g; θ ← θ + β m − η g: the step looks ahead along the new velocity.
    Mirrors ``keras.optimizers.SGD(learning_rate, momentum=β, nesterov=True)``.
    """

    def _update(self, theta, g, s, t):
        s["m"] = self.momentum * s["m"] - self.learning_rate * g
        return theta + self.momentum * s["m"] - self.learning_rate * g

    def _keras_kwargs(self):
        return {**super()._keras_kwargs(), "nesterov": True}


class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011): s ← s + g²; θ ← θ − η g / √(s + ε).

    The accumulator only grows, so every parameter's step shrinks for ever.
    Mirrors ``keras.optimizers.Adagrad`` (accumulator starting at
    ``initial_accumulator_value``, ε inside the root).

    Parameters
    ----------
    learning_rate : float > 0, default 0.001
    initial_accumulator_value : float >= 0, default 0.1
    epsilon : float >= 0, default 1e-7
    """

    keras_name = "Adagrad"
    _hyperparameters = ("learning_rate", "initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        self.initial_accumulator_value = _non_negative(initial_accumulator_value, "initial_accumulator_value")
        self.epsilon = _non_negative(epsilon, "epsilon")

    def _new_slots(self, shape):
        return {"s": np.full(shape, self.initial_accumulator_value)}

    def _update(self, theta, g, s, t):
        s["s"] = s["s"] + g ** 2
        return theta - self.learning_rate * g / np.sqrt(s["s"] + self.epsilon)


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton, 2012): s ← ρ s + (1 − ρ) g²; θ ← θ − η g / √(s + ε).

    Like AdaGrad, but the accumulator is a decaying average, so old gradients are forgotten.
    Mirrors ``keras.optimizers.RMSprop`` (ε inside the root).

    Parameters
    ----------
    learning_rate : float > 0, default 0.001
    rho : float in [0, 1), default 0.9
    epsilon : float >= 0, default 1e-7
    """

    keras_name = "RMSprop"
    _hyperparameters = ("learning_rate", "rho", "epsilon")

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        self.rho = _beta(rho, "rho")
        self.epsilon = _non_negative(epsilon, "epsilon")

    def _new_slots(self, shape):
        return {"s": np.zeros(shape)}

    def _update(self, theta, g, s, t):
        s["s"] = self.rho * s["s"] + (1 - self.rho) * g ** 2
        return theta - self.learning_rate * g / np.sqrt(s["s"] + self.epsilon)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): momentum and RMSProp together, with bias correction.

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    θ ← θ − η · √(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (√v + ε).

    The factor √(1 − β₂ᵗ) / (1 − β₁ᵗ) is the bias correction m̂ = m / (1 − β₁ᵗ),
    v̂ = v / (1 − β₂ᵗ) folded into the step size, as Keras does; its ε is added to
    √v, not √v̂.  Mirrors ``keras.optimizers.Adam``.

    Parameters
    ----------
    learning_rate : float > 0, default 0.001
    beta_1 : float in [0, 1), default 0.9
        Decay of the running mean of gradients (the momentum).
    beta_2 : float in [0, 1), default 0.999
        Decay of the running mean of squared gradients.
    epsilon : float >= 0, default 1e-7
    """

    keras_name = "Adam"
    _hyperparameters = ("learning_rate", "beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        self.beta_1 = _beta(beta_1, "beta_1")
        self.beta_2 = _beta(beta_2, "beta_2")
        self.epsilon = _non_negative(epsilon, "epsilon")

    def _new_slots(self, shape):
        return {"m": np.zeros(shape), "v": np.zeros(shape)}

    def _update(self, theta, g, s, t):
        s["m"] = self.beta_1 * s["m"] + (1 - self.beta_1) * g
        s["v"] = self.beta_2 * s["v"] + (1 - self.beta_2) * g ** 2
        step_size = self.learning_rate * np.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        return theta - step_size * s["m"] / (np.sqrt(s["v"]) + self.epsilon)


class AdaMax(Adam):
    """AdaMax (Kingma & Ba, 2015): Adam with the ℓ∞ norm of past gradients in place of √v.

    m ← β₁ m + (1 − β₁) g;  u ← max(β₂ u, |g|);  θ ← θ − η m / ((1 − β₁ᵗ)(u + ε)).
    Mirrors ``keras.optimizers.Adamax`` (same parameters as :class:`Adam`).
    """

    keras_name = "Adamax"

    def _new_slots(self, shape):
        return {"m": np.zeros(shape), "u": np.zeros(shape)}

    def _update(self, theta, g, s, t):
        s["m"] = self.beta_1 * s["m"] + (1 - self.beta_1) * g
        s["u"] = np.maximum(self.beta_2 * s["u"], np.abs(g))
        return theta - self.learning_rate * s["m"] / ((1 - self.beta_1 ** t) * (s["u"] + self.epsilon))


class Nadam(Adam):
    """Nadam (Dozat, 2016): Adam with Nesterov momentum, in Keras's form.

    The momentum follows a schedule μ_t = β₁ (1 − ½ · 0.96^t) and the look-ahead mixes
    the next step's momentum with the current gradient:

    m̂ = μ_{t+1} m / (1 − Π_{i≤t+1} μ_i) + (1 − μ_t) g / (1 − Π_{i≤t} μ_i);
    v̂ = v / (1 − β₂ᵗ);  θ ← θ − η m̂ / (√v̂ + ε).

    Mirrors ``keras.optimizers.Nadam`` (same parameters as :class:`Adam`).
    """

    keras_name = "Nadam"

    def reset(self):
        super().reset()
        self.mu_product_ = 1.0  # Π μ_i over the steps taken (shared by all parameter arrays, as in Keras)
        return self

    def step(self, params, grads):
        t = self.iterations_ + 1
        self.mu_product_ *= self._mu(t)
        return super().step(params, grads)

    def _mu(self, t: int) -> float:
        return self.beta_1 * (1 - 0.5 * 0.96 ** t)

    def _update(self, theta, g, s, t):
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        s["m"] = self.beta_1 * s["m"] + (1 - self.beta_1) * g
        s["v"] = self.beta_2 * s["v"] + (1 - self.beta_2) * g ** 2
        m_hat = mu_next * s["m"] / (1 - self.mu_product_ * mu_next) + (1 - mu_t) * g / (1 - self.mu_product_)
        v_hat = s["v"] / (1 - self.beta_2 ** t)
        return theta - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay, in Keras's form.

    θ ← θ − η λ θ, then an :class:`Adam` step with the gradient g (taken at the
    weights before the decay).  The decay never enters m or v, unlike an ℓ2
    penalty added to the loss.  Mirrors ``keras.optimizers.AdamW``.

    Parameters
    ----------
    learning_rate, beta_1, beta_2, epsilon
        As for :class:`Adam`.
    weight_decay : float >= 0, default 0.004
        λ (Keras's default); the decay per step is η λ.
    """

    keras_name = "AdamW"
    _hyperparameters = ("learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self.weight_decay = _non_negative(weight_decay, "weight_decay")

    def _update(self, theta, g, s, t):
        theta = theta - self.learning_rate * self.weight_decay * theta
        return super()._update(theta, g, s, t)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "SGD": SGD, "momentum": Momentum, "Nesterov": Nesterov, "AdaGrad": AdaGrad, "RMSProp": RMSProp,
    "Adam": Adam, "AdaMax": AdaMax, "Nadam": Nadam, "AdamW": AdamW,
}
"""Every optimizer of the module, by the name the chapter uses."""


def make_optimizer(name: str, **kwargs) -> Optimizer:
    """The optimizer called ``name`` (a key of :data:`OPTIMIZERS`), built with ``kwargs``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"name must be one of {list(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](**kwargs)


# ---------------------------------------------------------------------------------------------- test surfaces
@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface to race optimizers on.

    Attributes
    ----------
    name : str
    description : str
    start : tuple of float
        Where every optimizer starts.
    minimum : tuple of float, or None
        A minimiser (the one the race aims at), None when there is no minimum.
    xlim, ylim : (float, float)
        The window worth drawing.
    """

    name: str
    description: str
    function: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gradient_xy: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    start: tuple[float, float]
    minimum: tuple[float, float] | None
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def __call__(self, point) -> float:
        """The loss at ``point`` (shape (2,))."""
        x, y = point
        return float(self.function(np.float64(x), np.float64(y)))

    def gradient(self, point) -> np.ndarray:
        """The gradient at ``point`` (shape (2,)) → shape (2,)."""
        x, y = point
        return np.array(self.gradient_xy(np.float64(x), np.float64(y)), dtype=np.float64)

    def values(self, path: np.ndarray) -> np.ndarray:
        """The loss along a path of shape (k, 2) → shape (k,)."""
        path = np.asarray(path, dtype=np.float64)
        return self.function(path[:, 0], path[:, 1])


_BOWL_RATIO = 25.0  # the ratio of the two curvatures: the condition number of the bowl's Hessian

SURFACES: dict[str, Surface] = {
    "bowl": Surface(
        "bowl", f"an ill-conditioned bowl ½(x² + {_BOWL_RATIO:g} y²): {_BOWL_RATIO:g} times steeper across than along",
        lambda x, y: 0.5 * (x ** 2 + _BOWL_RATIO * y ** 2),
        lambda x, y: (x, _BOWL_RATIO * y),
        (-4.5, 1.0), (0.0, 0.0), (-5.0, 1.5), (-1.6, 1.6)),
    "rosenbrock": Surface(
        "rosenbrock", "Rosenbrock's banana (1 − x)² + 100 (y − x²)²: a curved, flat-bottomed valley",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
        lambda x, y: (-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)),
        (-1.5, 2.0), (1.0, 1.0), (-2.0, 2.0), (-1.0, 3.0)),
    "saddle": Surface(
        "saddle", "a saddle point at the origin, minima at (0, ±1): ½x² + ¼y⁴ − ½y²",
        lambda x, y: 0.5 * x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2,
        lambda x, y: (x, y ** 3 - y),
        (-2.5, 0.001), (0.0, 1.0), (-3.0, 1.0), (-1.6, 1.6)),
}
"""The race's surfaces, by name."""


def surface(name: str) -> Surface:
    """The surface called ``name``; an unknown name is rejected with the list of known ones."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}: choose one of {list(SURFACES)}")
    return SURFACES[name]
