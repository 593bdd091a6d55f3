"""The course's datasets, through the real loaders, offline where a copy is at hand.

Each loader calls the library function a learner would call
(``keras.datasets.fashion_mnist.load_data()``,
``sklearn.datasets.fetch_california_housing()``).  When the course's offline data
folder is present (``NEURONLAB_DATA``, or ``shared/data`` beside the repository),
the loaders read it and never touch the network; elsewhere (Binder, Colab) they
download as usual.  Keras checks the hash of ``mnist.npz`` and of CIFAR-10, so
those two come from plain ``.npz`` files when reading offline.

In quick mode (``NEURONLAB_QUICK=1``) every loader returns a fixed random subset,
the same on every run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from neuronlab import config

__all__ = [
    "FASHION_MNIST_CLASSES", "CIFAR10_CLASSES", "CALIFORNIA_FEATURES",
    "DataUnavailableError", "prepare_keras_cache",
    "load_fashion_mnist", "fashion_mnist_splits", "load_mnist", "load_california_housing", "load_cifar10_subset", "toy_2d",
]

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
CALIFORNIA_FEATURES = ("MedInc", "HouseAge", "AveRooms", "AveBedrms",
                       "Population", "AveOccup", "Latitude", "Longitude")

# How many examples quick mode keeps (train, test).
QUICK_SIZES = {
    "fashion_mnist": (6000, 1000),
    "mnist": (6000, 1000),
    "cifar10_subset": (1000, 250),
    "california_housing": (4000, None),
}


class DataUnavailableError(FileNotFoundError):
    """A dataset has no offline copy here and could not be downloaded."""


def _unavailable(name: str, where: str, error: Exception) -> DataUnavailableError:
    """The error for a dataset that could not be had, saying which of the two ways failed."""
    data = config.data_dir()
    if data is not None:
        return DataUnavailableError(
            f"Could not load {name}: the offline data folder {data} has no {where} "
            f"({type(error).__name__}: {error}). Point {config.DATA_ENV} at a complete copy of the "
            "course's data folder (it holds keras/, scikit_learn_data/ and npz/)."
        )
    return DataUnavailableError(
        f"Could not load {name}: no offline copy was found and the download failed "
        f"({type(error).__name__}: {error}). Set {config.DATA_ENV} to the course's data folder "
        f"(the one holding {where}), or run where the internet is reachable."
    )


def _subset(n: int, keep: int) -> np.ndarray:
    """Indices of a fixed random subset of size ``keep`` out of ``n``, in their original order."""
    if keep >= n:
        return np.arange(n)
    rng = np.random.default_rng(config.SEED)
    return np.sort(rng.choice(n, size=keep, replace=False))


def _quick(name: str, *arrays_per_split):
    """Subsample each (x, y) split in quick mode; return the splits unchanged otherwise."""
    sizes = QUICK_SIZES[name]
    out = []
    for (x, y), size in zip(arrays_per_split, sizes):
        keep = len(x) if size is None else config.sample_size(len(x), size)
        index = _subset(len(x), keep)
        out.append((x[index], y[index]))
    return tuple(out)


def prepare_keras_cache() -> Path | None:
    """Give Keras a writable cache folder whose ``datasets`` is the offline data.

    Must run before Keras is imported (``neuronlab.setup`` calls it); Keras reads
    ``KERAS_HOME`` once.  The folder lives in the temporary directory, so nothing
    is ever written into the shared data.  Returns it, or None when there is no
    offline data (or Keras is already imported).
    """
    data = config.data_dir()
    if data is None or "keras" in sys.modules:
        return None
    home = Path(tempfile.gettempdir()) / f"neuronlab-keras-home-{os.getuid() if hasattr(os, 'getuid') else 0}"
    home.mkdir(exist_ok=True)
    link, target = home / "datasets", data / "keras" / "datasets"
    if link.is_symlink() and Path(os.readlink(link)) != target:
        link.unlink()
    if not link.exists():
        link.symlink_to(target, target_is_directory=True)
    config.set_keras_home(home)
    return home


def load_fashion_mnist():
    """Fashion-MNIST (Xiao et al., 2017) through ``keras.datasets.fashion_mnist``.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``uint8`` images of shape (60000, 28, 28) and (10000, 28, 28), ``uint8``
        labels 0–9 of shape (60000,) and (10000,); class names in
        :data:`FASHION_MNIST_CLASSES`.  Quick mode: 6000 and 1000 examples.
    """
    prepare_keras_cache()
    import keras

    try:
        train, test = keras.datasets.fashion_mnist.load_data()
    except Exception as error:  # Keras raises a bare Exception on a failed download
        raise _unavailable("Fashion-MNIST", "keras/datasets/fashion-mnist/", error) from error
    return _quick("fashion_mnist", train, test)


def fashion_mnist_splits(*, flatten: bool = False):
    """Fashion-MNIST split and scaled the way chapter 04 does it by hand.

    The last twelfth of the 60,000 training images (5,000; 500 in quick mode)
    is held out for validation, and pixels are scaled to [0, 1] in ``float32``
    (half the memory of ``float64``, and what Keras computes in anyway).

    Parameters
    ----------
    flatten : bool, default False
        Return images as rows of 784 pixels instead of 28 × 28 arrays.

    Returns
    -------
    (X_train, y_train), (X_valid, y_valid), (X_test, y_test)
        ``float32`` images of shape (55000, 28, 28), (5000, 28, 28) and
        (10000, 28, 28) — or (n, 784) with ``flatten=True`` — and ``uint8``
        labels 0–9.  Quick mode: 5500, 500 and 1000 images.
    """
    if not isinstance(flatten, bool):
        raise TypeError(f"flatten must be True or False, got {flatten!r}")
    (X_train_full, y_train_full), (X_test, y_test) = load_fashion_mnist()
    n_valid = len(X_train_full) // 12

    def scaled(images):
        images = images.astype(np.float32) / np.float32(255)
        return images.reshape(len(images), -1) if flatten else images

    return ((scaled(X_train_full[:-n_valid]), y_train_full[:-n_valid]),
            (scaled(X_train_full[-n_valid:]), y_train_full[-n_valid:]),
            (scaled(X_test), y_test))


def _npz_or_keras(npz_name: str, keras_dataset: str, title: str):
    """Train and test splits from the offline ``npz/<npz_name>`` if there is one, else from
    ``keras.datasets.<keras_dataset>.load_data()`` (which downloads)."""
    data = config.data_dir()
    if data is not None:
        try:
            with np.load(data / "npz" / npz_name) as f:
                return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        except (OSError, KeyError, EOFError, ValueError, zipfile.BadZipFile) as error:  # missing or damaged
            raise _unavailable(title, f"npz/{npz_name}", error) from error
    import keras

    try:
        return getattr(keras.datasets, keras_dataset).load_data()
    except Exception as error:  # Keras raises a bare Exception on a failed download
        raise _unavailable(title, f"npz/{npz_name}", error) from error


def load_mnist():
    """MNIST (LeCun et al., 1998): the offline ``npz/mnist.npz``, else ``keras.datasets.mnist``.

    Keras checks the hash of its own ``mnist.npz``, which the offline copy (same
    arrays, different bytes) does not match, so offline the file is read with NumPy.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``uint8`` images (60000, 28, 28) and (10000, 28, 28), labels 0–9.
        Quick mode: 6000 and 1000 examples.
    """
    train, test = _npz_or_keras("mnist.npz", "mnist", "MNIST")
    return _quick("mnist", train, test)


def load_california_housing():
    """California housing (Pace & Barry, 1997) through ``sklearn.datasets.fetch_california_housing``.

    Returns
    -------
    X : ndarray of shape (20640, 8), float64
        Features named in :data:`CALIFORNIA_FEATURES`.
    y : ndarray of shape (20640,), float64
        Median house value in units of 100,000 USD.
        Quick mode: a fixed random 4000 rows.
    """
    from sklearn.datasets import fetch_california_housing

    data = config.data_dir()
    home = None if data is None else data / "scikit_learn_data"
    try:
        bunch = fetch_california_housing(data_home=home, download_if_missing=home is None)
    except OSError as error:
        raise _unavailable("California housing", "scikit_learn_data/cal_housing_py3.pkz", error) from error
    ((X, y),) = _quick("california_housing", (bunch.data, bunch.target))
    return X, y


def load_cifar10_subset():
    """A real 4000/1000-image subset of CIFAR-10 (Krizhevsky, 2009).

    Offline it is ``npz/cifar10_subset.npz``; elsewhere the full set is downloaded
    with ``keras.datasets.cifar10`` and the same subset is taken (the first 4000
    training and first 1000 test images).

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``uint8`` images (4000, 32, 32, 3) and (1000, 32, 32, 3), ``uint8`` labels
        of shape (n, 1) as Keras returns them; class names in :data:`CIFAR10_CLASSES`.
        Quick mode: 1000 and 250 images.
    """
    (x_train, y_train), (x_test, y_test) = _npz_or_keras("cifar10_subset.npz", "cifar10", "CIFAR-10")
    # The offline file is already the subset; the downloaded full set is cut the same way.
    train, test = (x_train[:4000], y_train[:4000]), (x_test[:1000], y_test[:1000])
    return _quick("cifar10_subset", train, test)


def toy_2d(name: str, n_samples: int = 200, noise: float | None = None, random_state=None):
    """A small two-class dataset in the plane, for watching a network draw its boundary (chapter 03).

    ``"moons"``
        Two interleaving half circles: ``sklearn.datasets.make_moons`` (default noise 0.2).
    ``"circles"``
        A small circle inside a big one: ``sklearn.datasets.make_circles`` with
        ``factor=0.5`` (default noise 0.1).  No straight line separates them.
    ``"xor"``
        Chapter 02's four XOR points (0, 0), (0, 1), (1, 0), (1, 1), each blurred into a
        Gaussian cloud of standard deviation ``noise`` (default 0.15); class 1 where
        exactly one coordinate is 1.
    ``"spiral"``
        Two spirals winding 1.75 turns around each other out to radius 1, evenly
        spaced along each arm, with Gaussian noise (default 0.05) added to every point.

    Parameters
    ----------
    name : {"moons", "circles", "xor", "spiral"}
    n_samples : int >= 4, default 200
        Points in all; the classes get half each (one more for one of them when odd).
    noise : float >= 0, optional
        Standard deviation of the Gaussian noise; None takes the dataset's default above.
    random_state : int, numpy Generator or None, default None
        Seeds the noise (an int gives the same data as the scikit-learn function called
        with that ``random_state``); None draws fresh data every call.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64 labels 0 and 1
    """
    import numbers

    defaults = {"moons": 0.2, "circles": 0.1, "xor": 0.15, "spiral": 0.05}
    if not isinstance(name, str) or name not in defaults:
        raise ValueError(f"name must be one of {list(defaults)}, got {name!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"n_samples must be an int, got {type(n_samples).__name__}: {n_samples!r}")
    if n_samples < 4:
        raise ValueError(f"n_samples must be at least 4 (two points a class, one a corner for xor), got {n_samples}")
    if noise is None:
        noise = defaults[name]
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a number or None, got {type(noise).__name__}: {noise!r}")
    if not 0 <= noise < np.inf:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if not (random_state is None or isinstance(random_state, np.random.Generator)
            or (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool))):
        raise TypeError(f"random_state must be None, an int or a numpy Generator, got {type(random_state).__name__}")
    n_samples, noise = int(n_samples), float(noise)
    if name in ("moons", "circles"):
        from sklearn.datasets import make_circles, make_moons  # generated, no download

        seed = (int(random_state.integers(2**31)) if isinstance(random_state, np.random.Generator)
                else random_state)
        if name == "moons":
            X, y = make_moons(n_samples, noise=noise, random_state=seed)
        else:
            X, y = make_circles(n_samples, noise=noise, factor=0.5, random_state=seed)
        return X.astype(np.float64), y.astype(np.int64)
    rng = np.random.default_rng(random_state)
    if name == "xor":
        corners = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], dtype=float)  # classes 0, 1, 0, 1
        corner = rng.permutation(np.arange(n_samples) % 4)
        X = corners[corner] + rng.normal(0, noise, size=(n_samples, 2))
        return X, (corner % 2).astype(np.int64)
    # spiral: class k's arm is the curve r(t) = t, θ(t) = 3.5π·t + kπ for t in (0, 1]
    sizes = (n_samples - n_samples // 2, n_samples // 2)
    X = np.empty((n_samples, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), sizes)
    start = 0
    for k, size in enumerate(sizes):
        t = np.linspace(0.1, 1, size)
        theta = 3.5 * np.pi * t + k * np.pi
        X[start:start + size] = np.c_[t * np.cos(theta), t * np.sin(theta)]
        start += size
    order = rng.permutation(n_samples)
    return X[order] + rng.normal(0, noise, size=X.shape), y[order]
