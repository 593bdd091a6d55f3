"""Plumbing around Keras Tuner: fresh tuner folders, a checked search space, trials as a DataFrame.

Keras Tuner (``keras_tuner``) does the searching; this module handles what goes wrong
around it in practice:

- :func:`fresh_project` gives a tuner a new, empty folder under the system's temporary
  directory (never inside the repository) and ``overwrite=True``, so that rerunning a
  notebook never silently *reloads* the trials of an earlier run instead of searching;
- :func:`search_space` builds a model once from a hypermodel with hyperparameters that
  check themselves (an empty ``Choice``, ``min_value > max_value``, a zero ``step``, log
  sampling from 0 …), raising :class:`SearchSpaceError` naming the hyperparameter, and
  returns the space as a table;
- :func:`trials_frame` turns a finished search into a DataFrame, one row per trial, with
  its hyperparameters, score and status, best first; it calls :func:`check_scores`,
  which raises :class:`TrialsFailedError` when trials have no score.  Keras Tuner
  records a trial that crashed and carries on; without ``tensorboard`` installed, for
  instance, every trial of a search logged for TensorBoard crashes, and a short search
  ends "successfully" having trained nothing;
- :func:`quiet_search` silences two messages that are expected when a tuner builds and
  reloads many models (TensorFlow's retracing notice, Keras's optimizer-reload warning);
- :func:`max_trials` is the trial budget: ``full`` normally, fewer in quick mode.

Keras Tuner (and with it Keras) is imported inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import numbers
import os
import warnings
from pathlib import Path

import numpy as np

from neuronlab import config

__all__ = ["SearchSpaceError", "TrialsFailedError", "max_trials", "fresh_project", "checked_hyperparameters",
           "search_space", "check_scores", "trials_frame", "quiet_search"]


class SearchSpaceError(ValueError):
    """A hyperparameter's range or list of values is empty or malformed; the message names it."""


class TrialsFailedError(RuntimeError):
    """A search has trials without a score: they crashed (the message shows the first error)."""


def max_trials(full: int, quick: int = 2) -> int:
    """The number of trials of a search: ``full`` normally, at most ``quick`` in quick mode.

    Parameters
    ----------
    full : int >= 1
    quick : int >= 1, default 2
    """
    return config.sample_size(full, quick)


# ---------------------------------------------------------------------- folders
def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def fresh_project(name: str, *, root: str | os.PathLike | None = None) -> dict:
    """Where a tuner keeps its trials: a fresh folder, and ``overwrite=True``.

    Pass the result to a tuner as keyword arguments::

        tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=10,
                                **tuning.fresh_project("random_search"))

    The folder is ``<root>/tuners/<name>`` (emptied first), by default under
    :data:`neuronlab.keras_models.RUNS_ROOT` in the system's temporary directory.  A
    tuner created with ``overwrite=False`` on a folder holding an earlier search
    *reloads* that search and runs no new trial (it prints "Reloading Tuner from …"),
    so results can be stale without any error: this never happens here.

    Parameters
    ----------
    name : str
        The search, e.g. ``"random_search"``: letters, digits and ``_ . = + -``
        (``/`` makes sub-folders).
    root : path, optional
        The parent of every run; it must not lie inside the course's repository.

    Returns
    -------
    dict with keys ``directory`` (str), ``project_name`` (str) and ``overwrite`` (True).
    """
    from neuronlab import keras_models

    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a path or None, got {type(root).__name__}: {root!r}")
        if _inside(Path(root), config.REPOSITORY):
            raise ValueError(f"root must lie outside the repository ({config.REPOSITORY}), got {root!r}: tuner "
                             "folders hold thousands of files that must never be committed")
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}: {name!r}")
    folder = keras_models.run_folder(f"tuners/{name}", root=root)  # validates name, empties the folder
    return {"directory": str(folder.parent), "project_name": folder.name, "overwrite": True}


# ---------------------------------------------------------------------- the search space
def _name(name) -> str:
    if not isinstance(name, str) or not name:
        raise SearchSpaceError(f"a hyperparameter's name must be a non-empty string, got {name!r}")
    return name


def _number(value, name: str, what: str, *, integer: bool) -> None:
    kinds = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an int" if integer else "a number"
        raise SearchSpaceError(f"hyperparameter {name!r}: {what} must be {kind}, got {value!r}")
    if not math.isfinite(value):
        raise SearchSpaceError(f"hyperparameter {name!r}: {what} must be finite, got {value!r}")


def _check_range(name: str, min_value, max_value, step, sampling, *, integer: bool) -> None:
    _number(min_value, name, "min_value", integer=integer)
    _number(max_value, name, "max_value", integer=integer)
    if min_value > max_value:
        raise SearchSpaceError(f"hyperparameter {name!r}: min_value {min_value!r} is greater than max_value "
                               f"{max_value!r}, so the range is empty; swap them")
    if step is not None:
        _number(step, name, "step", integer=integer)
        if step <= 0:
            raise SearchSpaceError(f"hyperparameter {name!r}: step must be > 0 (or None), got {step!r}")
    if sampling not in (None, "linear", "log", "reverse_log"):
        raise SearchSpaceError(f"hyperparameter {name!r}: sampling must be 'linear', 'log' or 'reverse_log', "
                               f"got {sampling!r}")
    if sampling in ("log", "reverse_log") and min_value <= 0:
        raise SearchSpaceError(f"hyperparameter {name!r}: sampling={sampling!r} needs min_value > 0 (a logarithm "
                               f"of {min_value!r} does not exist), e.g. 1e-4 instead of 0")


@functools.cache
def _checked_class():
    """A ``keras_tuner.HyperParameters`` subclass whose declarations check themselves (built once, lazily)."""
    import keras_tuner as kt

    class CheckedHyperParameters(kt.HyperParameters):
        """``keras_tuner.HyperParameters`` whose ``Choice``, ``Int`` and ``Float`` reject an empty or malformed
        space with a :class:`SearchSpaceError` naming the hyperparameter."""

        def Choice(self, name, values, ordered=None, default=None, parent_name=None, parent_values=None):
            name = _name(name)
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
                raise SearchSpaceError(f"hyperparameter {name!r}: Choice needs a list of values, got {values!r}")
            if len(values) == 0:
                raise SearchSpaceError(f"hyperparameter {name!r}: Choice needs at least one value, got an empty "
                                       "list")
            if len(set(map(repr, values))) != len(values):
                raise SearchSpaceError(f"hyperparameter {name!r}: Choice has repeated values {list(values)!r}; "
                                       "list each value once")
            kinds = {type(v) for v in values}
            if len(kinds) > 1 and not kinds <= {int, float}:
                raise SearchSpaceError(f"hyperparameter {name!r}: Choice values must all be of one type, got "
                                       f"{sorted(k.__name__ for k in kinds)}")
            if default is not None and default not in values:
                raise SearchSpaceError(f"hyperparameter {name!r}: default {default!r} is not one of {list(values)!r}")
            return super().Choice(name, values, ordered=ordered, default=default, parent_name=parent_name,
                                  parent_values=parent_values)

        def Int(self, name, min_value, max_value, step=None, sampling="linear", default=None, parent_name=None,
                parent_values=None):
            name = _name(name)
            _check_range(name, min_value, max_value, step, sampling, integer=True)
            return super().Int(name, min_value, max_value, step=step, sampling=sampling, default=default,
                               parent_name=parent_name, parent_values=parent_values)

        def Float(self, name, min_value, max_value, step=None, sampling="linear", default=None, parent_name=None,
                  parent_values=None):
            name = _name(name)
            _check_range(name, min_value, max_value, step, sampling, integer=False)
            return super().Float(name, min_value, max_value, step=step, sampling=sampling, default=default,
                                 parent_name=parent_name, parent_values=parent_values)

    return CheckedHyperParameters


def checked_hyperparameters():
    """A new, empty ``keras_tuner.HyperParameters`` whose declarations check themselves.

    ``hp.Choice("activation", [])`` or ``hp.Int("units", 100, 10)`` on it raise
    :class:`SearchSpaceError` naming ``"activation"`` or ``"units"`` (Keras Tuner's own
    message for an empty ``Choice`` does not say which one).  A tuner given it as
    ``hyperparameters=`` searches the space it holds.
    """
    return _checked_class()()


def _describe(hp) -> dict:
    kind = type(hp).__name__
    row = {"name": hp.name, "kind": kind, "values": "", "sampling": "", "default": hp.default}
    if kind == "Choice":
        row["values"] = ", ".join(map(str, hp.values))
    elif kind in ("Int", "Float"):
        step = f", step {hp.step:g}" if getattr(hp, "step", None) else ""
        row["values"] = f"{hp.min_value:g} … {hp.max_value:g}{step}"
        row["sampling"] = hp.sampling or "linear"
    elif kind == "Boolean":
        row["values"] = "True, False"
    elif kind == "Fixed":
        row["values"] = str(hp.value)
    return row


def search_space(hypermodel):
    """Build one model from ``hypermodel`` with self-checking hyperparameters; return the space as a table.

    Run it before a search: a malformed space fails here, with the hyperparameter's
    name, instead of deep inside the tuner (or not at all).

    Parameters
    ----------
    hypermodel : callable ``build_model(hp)`` or ``keras_tuner.HyperModel``
        Its ``build(hp)`` is called once.  Hyperparameters a ``HyperModel`` declares in
        its ``fit`` (such as the batch size) are only declared during a search, so they
        are not in this table.

    Returns
    -------
    pandas.DataFrame
        One row per hyperparameter, in the order declared: ``name``, ``kind`` (Int,
        Float, Choice, Boolean, Fixed), ``values`` (the range or the list), ``sampling``,
        ``default``; indexed by name.

    Raises
    ------
    SearchSpaceError (a ValueError)
        An empty ``Choice``, ``min_value > max_value``, a step <= 0, log sampling from a
        value <= 0, or no hyperparameter at all.
    TypeError
        ``hypermodel`` is neither callable nor a HyperModel.
    """
    import keras_tuner as kt
    import pandas as pd

    if isinstance(hypermodel, kt.HyperModel):
        build = hypermodel.build
    elif callable(hypermodel):
        build = hypermodel
    else:
        raise TypeError(f"hypermodel must be a function build_model(hp) or a keras_tuner.HyperModel, got "
                        f"{type(hypermodel).__name__}: {hypermodel!r}")
    hp = checked_hyperparameters()
    build(hp)
    if not hp.space:
        raise SearchSpaceError("the hypermodel declares no hyperparameter: nothing to search. Declare them with "
                               "hp.Int, hp.Float, hp.Choice or hp.Boolean inside build_model(hp)")
    frame = pd.DataFrame([_describe(h) for h in hp.space])
    return frame.set_index("name")


# ---------------------------------------------------------------------- results
def _tuner_parts(tuner):
    oracle = getattr(tuner, "oracle", None)
    trials = getattr(oracle, "trials", None)
    if oracle is None or not isinstance(trials, dict):
        raise TypeError(f"tuner must be a Keras Tuner tuner (RandomSearch, Hyperband, BayesianOptimization …), "
                        f"got {type(tuner).__name__}")
    return oracle, trials


def _status(trial) -> str:
    return str(getattr(trial.status, "value", trial.status))


def _scored(trial) -> bool:
    return trial.score is not None and np.isfinite(trial.score)


def check_scores(tuner) -> int:
    """Raise :class:`TrialsFailedError` unless every trial of ``tuner`` has a finite score.

    Keras Tuner catches an exception inside a trial, marks the trial FAILED and goes on
    to the next one; only three failures *in a row* stop a search.  A short search can
    thus end without error having trained nothing.  The classic cause: a search with a
    ``keras.callbacks.TensorBoard`` callback where the ``tensorboard`` package is not
    installed (Keras Tuner needs its ``hparams`` plugin).

    Returns the number of scored trials.
    """
    oracle, trials = _tuner_parts(tuner)
    if not trials:
        raise TrialsFailedError("the tuner has no trials: run tuner.search(...) first")
    failed = [t for t in trials.values() if not _scored(t)]
    if failed:
        message = next((t.message for t in failed if getattr(t, "message", None)), "") or ""
        lines = [line for line in message.strip().splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else "no error message was recorded"
        hint = (" The tensorboard package is missing: pip install tensorboard (Keras Tuner needs it to log a "
                "search for TensorBoard)." if "tensorboard" in message.lower() else
                " Call the hypermodel on keras_tuner.HyperParameters() and fit the model yourself to see the "
                "error in full.")
        ids = ", ".join(t.trial_id for t in failed[:8]) + (" …" if len(failed) > 8 else "")
        raise TrialsFailedError(f"{len(failed)} of {len(trials)} trials have no score (trial {ids}; status "
                                f"{_status(failed[0])}): they crashed, and Keras Tuner went on without them. "
                                f"The last line of the first error: {reason}.{hint}")
    return len(trials)


_HYPERBAND = {"tuner/epochs": "epochs", "tuner/initial_epoch": "initial_epoch"}


def trials_frame(tuner, *, check: bool = True):
    """The trials of a search as a DataFrame, best first.

    Parameters
    ----------
    tuner : a Keras Tuner tuner, after ``search``
    check : bool, default True
        Call :func:`check_scores` first (a search with crashed trials raises
        :class:`TrialsFailedError` instead of returning a table with holes).  With
        ``check=False`` the table also has a ``status`` column (every trial of a checked
        table has completed, so it would say nothing there).

    Returns
    -------
    pandas.DataFrame, indexed by ``trial`` (Keras Tuner's trial id)
        One column per hyperparameter (Hyperband's bookkeeping ``tuner/epochs`` becomes
        ``epochs``, the epoch a trial trains up to, and ``tuner/initial_epoch`` becomes
        ``initial_epoch``, where it starts: a trial continuing an earlier one's checkpoint
        trains ``epochs − initial_epoch`` epochs; its other ``tuner/…`` entries are left
        out), then ``score`` (the objective's best value during the trial),
        ``best_epoch`` (counted from 1) and, unchecked, ``status``.  Rows are sorted by score, best
        first (highest for a "max" objective such as ``val_accuracy``), ties kept in
        trial order.  ``frame.attrs`` holds ``objective`` and ``direction``.
    """
    import pandas as pd

    if not isinstance(check, bool):
        raise TypeError(f"check must be True or False, got {check!r}")
    oracle, trials = _tuner_parts(tuner)
    if check:
        check_scores(tuner)
    rows, names = [], []
    for trial in trials.values():
        values = dict(trial.hyperparameters.values)
        row = {}
        for key, value in values.items():
            if key in _HYPERBAND:
                key = _HYPERBAND[key]
            elif key.startswith("tuner/"):
                continue
            row[key] = value
            if key not in names:
                names.append(key)
        row.update(trial=trial.trial_id, score=trial.score, best_epoch=(trial.best_step or 0) + 1,
                   status=_status(trial))
        rows.append(row)
    columns = ["trial", *names, "score", "best_epoch", *([] if check else ["status"])]
    frame = pd.DataFrame(rows, columns=columns).set_index("trial")
    direction = getattr(oracle.objective, "direction", "max")
    frame = frame.sort_values("score", ascending=direction == "min", kind="stable", na_position="last")
    frame.attrs.update(objective=getattr(oracle.objective, "name", "score"), direction=direction)
    return frame


@contextlib.contextmanager
def quiet_search():
    """Silence three expected messages while a tuner builds and reloads many models.

    - TensorFlow's "triggered tf.function retracing" notice: each new model traces its
      own training function, which is the point of a search, not a mistake;
    - Keras's "Skipping variable loading for optimizer" warning: Hyperband continues a
      promising model from its checkpoint with a fresh optimizer, on purpose;
    - scikit-learn's ``ConvergenceWarning`` from the Gaussian process of Bayesian
      optimisation, when a length scale ends at its bound: with a few noisy trials it
      often does, and the search goes on with that fit.

    Other warnings and errors still show.
    """
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Skipping variable loading for optimizer")
            warnings.filterwarnings("ignore", message=r"The optimal value found for dimension",
                                    module=r"sklearn\.gaussian_process")
            yield
    finally:
        logger.setLevel(level)
