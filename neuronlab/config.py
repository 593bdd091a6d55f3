"""Run-time settings: quick mode, where the data lives, the seed.

This is the only module that reads environment variables, so that a notebook
never needs an ``if`` of its own to behave differently under the tests.

Environment variables
---------------------
NEURONLAB_QUICK
    ``1`` (or ``true``/``yes``/``on``) switches on quick mode: data helpers
    subsample and training helpers shorten, so that the whole course runs in
    minutes.  The test suite sets it; learners normally leave it unset.
NEURONLAB_DATA
    A folder laid out like the course's offline data (``keras/``,
    ``scikit_learn_data/``, ``npz/``).  When unset, a folder ``shared/data``
    beside the repository (``../shared/data``) is
    used if there is one; otherwise the real loaders download as usual.
"""

from __future__ import annotations

import os
from pathlib import Path

SEED = 42
"""The seed every notebook starts from (``neuronlab.setup`` applies it)."""

QUICK_ENV = "NEURONLAB_QUICK"
DATA_ENV = "NEURONLAB_DATA"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def quick_mode() -> bool:
    """Return True when the tests' quick mode is on (``NEURONLAB_QUICK``).

    Raises
    ------
    ValueError
        If the variable holds something other than a yes/no word.
    """
    raw = os.environ.get(QUICK_ENV, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(
        f"{QUICK_ENV}={os.environ[QUICK_ENV]!r} is not understood: "
        f"use one of {sorted(_TRUE)} to switch quick mode on, or {sorted(_FALSE - {''})} "
        "(or leave it unset) for the full run."
    )


def _full_or_quick(full: int, quick: int) -> int:
    for name, value in (("full", full), ("quick", quick)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    return min(full, quick) if quick_mode() else full


def epochs(full: int, quick: int = 2) -> int:
    """Number of training epochs: ``full`` normally, at most ``quick`` in quick mode.

    Parameters
    ----------
    full : int >= 1
        Epochs for the real run.
    quick : int >= 1, default 2
        Upper bound on the epochs under the tests' quick mode.
    """
    return _full_or_quick(full, quick)


def sample_size(full: int, quick: int) -> int:
    """How many examples a data helper keeps: all ``full`` normally, ``quick`` in quick mode."""
    return _full_or_quick(full, quick)


REPOSITORY = Path(__file__).resolve().parent.parent
"""The folder holding the ``neuronlab`` package: the repository, for the course's editable install."""


def data_dir() -> Path | None:
    """The offline data folder, or None when there is none (the loaders then download).

    Raises
    ------
    FileNotFoundError
        If ``NEURONLAB_DATA`` is set but is not a folder.
    """
    explicit = os.environ.get(DATA_ENV)
    if explicit:
        path = Path(explicit).expanduser().resolve()
        if not path.is_dir():
            raise FileNotFoundError(
                f"{DATA_ENV}={explicit!r} is not a folder. Point it at the course's data folder "
                "(the one holding keras/, scikit_learn_data/ and npz/), or unset it to download."
            )
        return path
    beside = REPOSITORY.parent / "shared" / "data"  # ../shared/data next to the repository
    if (beside / "npz").is_dir():
        return beside
    return None


def quiet_tensorflow_logging() -> None:
    """Ask TensorFlow's C++ logging for errors only (set before TensorFlow is imported).

    This does not reach the oneDNN notice printed at import: ``neuronlab.setup``
    silences that one separately.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def set_keras_home(path: Path) -> None:
    """Point Keras at ``path`` for its cache (read once, when Keras is imported).

    A ``KERAS_HOME`` the user has set already is left alone.
    """
    os.environ.setdefault("KERAS_HOME", str(path))


def keras_home() -> Path:
    """The folder Keras uses as its cache: ``KERAS_HOME`` or ``~/.keras``."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
