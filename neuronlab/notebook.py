"""What the first cell of every notebook does, and ``glue`` for numbers quoted in the prose."""

from __future__ import annotations

import contextlib
import importlib.abc
import os
import random
import sys

import numpy as np

from neuronlab import config, data

__all__ = ["setup", "glue", "claim", "ClaimFailed", "stderr_silenced"]


@contextlib.contextmanager
def stderr_silenced():
    """Point file descriptor 2 at /dev/null for the duration of the block.

    TensorFlow's C++ core writes its start-up notices straight to the process's
    standard error, below Python (so ``TF_CPP_MIN_LOG_LEVEL`` and
    ``contextlib.redirect_stderr`` do not reach them, see ``NOTES.md``).
    """
    with contextlib.suppress(AttributeError, ValueError):
        sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader of ``tensorflow``/``keras`` with standard error silenced,
    then seeds Keras, so that ``import keras`` in a notebook is clean and deterministic."""

    def __init__(self, loader, seed: int):
        self._loader, self._seed = loader, seed

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with stderr_silenced():
            self._loader.exec_module(module)
        if module.__name__ == "keras":
            module.utils.set_random_seed(self._seed)

    def __getattr__(self, name):  # is_package, get_code, … as the real loader has them
        return getattr(self._loader, name)


class _QuietImportFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` and ``keras`` as usual, but hands them to :class:`_QuietLoader`."""

    names = ("tensorflow", "keras")

    def __init__(self, seed: int):
        self.seed = seed

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _QuietLoader(spec.loader, self.seed)
                return spec
        return None


def _quiet_deep_learning_imports(seed: int) -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _QuietImportFinder)]
    sys.meta_path.insert(0, _QuietImportFinder(seed))
    if "keras" in sys.modules:  # already imported (setup run twice): just reseed
        sys.modules["keras"].utils.set_random_seed(seed)


def setup(seed: int = config.SEED, *, verbose: bool = True) -> None:
    """Prepare a notebook: seeds, quiet deep-learning imports, offline data, figure style.

    Safe to call more than once.  Steps:

    1. seed Python's and NumPy's global generators with ``seed`` (Keras is seeded
       with it too, the moment it is imported);
    2. make ``import tensorflow`` / ``import keras`` silent on standard error;
    3. point Keras and scikit-learn at the offline data folder when there is one;
    4. apply the course's matplotlib style; in Colab, enable ipywidgets 8.

    Parameters
    ----------
    seed : int, default ``neuronlab.config.SEED`` (42)
    verbose : bool, default True
        Print one line saying the mode and the seed.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    config.quiet_tensorflow_logging()
    data.prepare_keras_cache()
    _quiet_deep_learning_imports(seed)

    from neuronlab import plots

    plots.use_style()
    if "google.colab" in sys.modules:
        from google.colab import output  # type: ignore[import-not-found]

        output.enable_custom_widget_manager()
    if verbose:
        from neuronlab import __version__

        quick = " · QUICK MODE (small data, few epochs)" if config.quick_mode() else ""
        print(f"neuronlab {__version__} ready · seed {seed}{quick}")


def glue(name: str, value, display: bool = False) -> None:
    """Store ``value`` under ``name`` so the text can quote it with ``{glue:text}`name```.

    This is myst-nb's ``glue``; it is used through here so that a learner's
    environment does not need myst-nb (the site build has it).  When myst-nb is
    missing, the same notebook output is written by hand.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()  # NumPy 2 shows np.float64(0.5), which {glue:text}`x:.0%` cannot format
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        from IPython.core.formatters import format_display_data
        from IPython.display import display as ipy_display

        bundle, metadata = format_display_data(value)
        prefix = "" if display else "application/papermill.record/"
        metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
        ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
    else:
        myst_glue(name, value, display=display)


class ClaimFailed(RuntimeError):
    """A sentence in the prose states something this run of the notebook does not show."""


def claim(name: str, condition, message: str) -> None:
    """Check that the run supports a sentence of the prose; stop the notebook if not.

    Numbers in the text come from the run through :func:`glue`; comparisons and
    conclusions ("SELU beats ReLU", "the error shrinks with width") are checked
    here, so that re-executing a notebook whose results changed fails at the cell
    that makes the claim instead of leaving a false sentence on the page.  Call it
    in the hidden cell beside the ``glue`` calls (tag ``remove-cell``).

    Parameters
    ----------
    name : str
        A short identifier of the claim, e.g. ``"selu_beats_relu"``.
    condition : bool
        What the run must show for the sentence to be true (a Python or NumPy bool).
    message : str
        The sentence's premise in words, shown when the condition is false.

    Raises
    ------
    ClaimFailed
        When ``condition`` is false.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    if not isinstance(message, str) or not message:
        raise TypeError(f"message must be a non-empty string, got {message!r}")
    if type(condition).__module__ == "numpy" and getattr(condition, "ndim", None) == 0:
        condition = condition.item()
    if not isinstance(condition, bool):
        raise TypeError(
            f"condition of claim {name!r} must be a bool (a comparison), "
            f"got {type(condition).__name__}"
        )
    if not condition:
        raise ClaimFailed(
            f"claim {name!r} is false for this run: the text says {message!r}; "
            "rewrite the sentence or find out why the result changed"
        )
