"""neuronlab.tuning: fresh tuner folders, checked search spaces, trials as a table, and failed trials caught."""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

kt = pytest.importorskip("keras_tuner")
keras = pytest.importorskip("keras")

from neuronlab import config, tuning  # noqa: E402


# --------------------------------------------------------------------- a tiny problem and hypermodel
def _data(n=160, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)).astype("float32")
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype("int64")
    return X, y


def build_tiny(hp):
    units = hp.Int("units", 2, 8, sampling="log")
    activation = hp.Choice("activation", ["relu", "tanh"])
    rate = hp.Float("learning_rate", 1e-3, 1e-1, sampling="log")
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(units, activation=activation),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(rate),
                  metrics=["accuracy"])
    return model


def _search(tmp_path, hypermodel=build_tiny, *, trials=2, callbacks=(), name="tiny"):
    X, y = _data()
    keras.utils.set_random_seed(0)
    tuner = kt.RandomSearch(hypermodel, objective="val_accuracy", max_trials=trials, seed=1,
                            **tuning.fresh_project(name, root=tmp_path))
    with tuning.quiet_search():
        tuner.search(X, y, epochs=2, validation_split=0.25, verbose=0, callbacks=list(callbacks))
    return tuner


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """One real search of three trials, logged for TensorBoard (shared by the tests that only read it)."""
    root = tmp_path_factory.mktemp("tuning")
    logs = root / "logs"
    tuner = _search(root, trials=3, callbacks=[keras.callbacks.TensorBoard(logs)], name="shared")
    return tuner, logs


# --------------------------------------------------------------------- the silent failure
def test_a_real_search_logged_for_tensorboard_gives_every_trial_a_score(searched):
    # Without the tensorboard package every trial of this search crashes, and Keras Tuner carries on silently.
    tuner, logs = searched
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 3
    assert all(t.score is not None and np.isfinite(t.score) for t in trials), [t.message for t in trials]
    assert tuning.check_scores(tuner) == 3
    assert sorted(p.name for p in logs.iterdir()) == sorted(t.trial_id for t in trials)


def test_trials_that_crashed_are_caught_not_silently_skipped(tmp_path, monkeypatch):
    # The real failure: Keras Tuner imports TensorBoard's hparams plugin inside each trial that logs for TensorBoard.
    monkeypatch.setitem(sys.modules, "tensorboard.plugins.hparams", None)  # as if tensorboard were not installed
    monkeypatch.setitem(sys.modules, "tensorboard.plugins.hparams.api", None)
    tuner = _search(tmp_path, trials=2, callbacks=[keras.callbacks.TensorBoard(tmp_path / "logs")])
    assert len(tuner.oracle.trials) == 2  # two failures, under Keras Tuner's limit of three in a row: no error
    assert all(t.score is None for t in tuner.oracle.trials.values())
    with pytest.raises(tuning.TrialsFailedError, match=r"2 of 2 trials have no score.*pip install tensorboard"):
        tuning.check_scores(tuner)
    with pytest.raises(tuning.TrialsFailedError):
        tuning.trials_frame(tuner)
    assert tuning.trials_frame(tuner, check=False)["score"].isna().all()


class FailingFit(kt.HyperModel):
    def build(self, hp):
        return build_tiny(hp)

    def fit(self, hp, model, *args, **kwargs):
        raise RuntimeError("the GPU caught fire")


def test_check_scores_names_the_error_of_a_crashed_trial(tmp_path):
    tuner = _search(tmp_path, FailingFit(), trials=1)
    with pytest.raises(tuning.TrialsFailedError, match="the GPU caught fire") as caught:
        tuning.check_scores(tuner)
    assert "tensorboard" not in str(caught.value)


def test_check_scores_rejects_a_search_that_never_ran(tmp_path):
    tuner = kt.RandomSearch(build_tiny, objective="val_accuracy", max_trials=1,
                            **tuning.fresh_project("idle", root=tmp_path))
    with pytest.raises(tuning.TrialsFailedError, match="no trials"):
        tuning.check_scores(tuner)


@pytest.mark.parametrize("function", [tuning.check_scores, tuning.trials_frame])
def test_results_helpers_want_a_tuner(function):
    with pytest.raises(TypeError, match="tuner must be a Keras Tuner tuner"):
        function(object())


# --------------------------------------------------------------------- results as a table
def test_trials_frame_lists_hyperparameters_and_scores_best_first(searched):
    tuner, _ = searched
    frame = tuning.trials_frame(tuner)
    assert list(frame.columns) == ["units", "activation", "learning_rate", "score", "best_epoch"]
    assert frame.index.name == "trial" and len(frame) == 3
    assert list(frame["score"]) == sorted(frame["score"], reverse=True)
    assert frame.attrs == {"objective": "val_accuracy", "direction": "max"}
    best = tuner.get_best_hyperparameters()[0].values
    assert frame.iloc[0][list(best)].to_dict() == pytest.approx(best)
    assert frame["best_epoch"].between(1, 2).all()
    unchecked = tuning.trials_frame(tuner, check=False)
    assert list(unchecked.columns)[-1] == "status" and set(unchecked["status"]) == {"COMPLETED"}


def test_trials_frame_keeps_hyperbands_epoch_budget(tmp_path):
    X, y = _data()
    keras.utils.set_random_seed(0)
    tuner = kt.Hyperband(build_tiny, objective="val_accuracy", max_epochs=3, factor=3, seed=1,
                         **tuning.fresh_project("hyperband", root=tmp_path))
    with tuning.quiet_search():
        tuner.search(X, y, validation_split=0.25, verbose=0)
    frame = tuning.trials_frame(tuner)
    assert {"epochs", "initial_epoch"} <= set(frame.columns)
    assert not any(c.startswith("tuner/") for c in frame.columns)
    assert (frame["epochs"] > frame["initial_epoch"]).all() and frame["epochs"].max() == 3


def test_trials_frame_sorts_a_minimised_objective_lowest_first(tmp_path):
    X, y = _data()
    keras.utils.set_random_seed(0)
    tuner = kt.RandomSearch(build_tiny, objective="val_loss", max_trials=2, seed=1,
                            **tuning.fresh_project("loss", root=tmp_path))
    tuner.search(X, y, epochs=1, validation_split=0.25, verbose=0)
    frame = tuning.trials_frame(tuner)
    assert frame.attrs["direction"] == "min"
    assert list(frame["score"]) == sorted(frame["score"])


def test_trials_frame_rejects_a_non_boolean_check(searched):
    with pytest.raises(TypeError, match="check must be True or False"):
        tuning.trials_frame(searched[0], check="yes")


# --------------------------------------------------------------------- folders
def test_fresh_project_empties_the_folder_and_overwrites(tmp_path):
    first = tuning.fresh_project("search", root=tmp_path)
    folder = Path(first["directory"]) / first["project_name"]
    assert first["overwrite"] is True and folder.is_dir()
    (folder / "stale_trial.json").write_text("{}")
    again = tuning.fresh_project("search", root=tmp_path)
    assert again == first and not any(folder.iterdir())


def test_fresh_project_lives_in_the_temporary_directory_by_default():
    from neuronlab.keras_models import RUNS_ROOT

    location = tuning.fresh_project("unit-test-default")
    folder = Path(location["directory"]) / location["project_name"]
    assert folder.is_relative_to(RUNS_ROOT) and not folder.resolve().is_relative_to(config.REPOSITORY)


def test_a_rerun_searches_again_instead_of_reloading_stale_trials(tmp_path):
    X, y = _data()
    first = _search(tmp_path, trials=1, name="rerun")
    ids = {t for t in first.oracle.trials}
    second = _search(tmp_path, trials=2, name="rerun")
    assert len(second.oracle.trials) == 2  # a reloaded tuner would hold the old trial and run one more at most
    assert all(t.score is not None for t in second.oracle.trials.values()) and ids


@pytest.mark.parametrize("name, error", [("", ValueError), ("../escape", ValueError), ("a b", ValueError),
                                         (3, TypeError)])
def test_fresh_project_rejects_bad_names(tmp_path, name, error):
    with pytest.raises(error, match="name"):
        tuning.fresh_project(name, root=tmp_path)


def test_fresh_project_refuses_a_folder_inside_the_repository():
    with pytest.raises(ValueError, match="root must lie outside the repository"):
        tuning.fresh_project("search", root=config.REPOSITORY / "chapters")
    with pytest.raises(TypeError, match="root must be a path"):
        tuning.fresh_project("search", root=42)


def test_max_trials_is_smaller_in_quick_mode(quick):
    assert tuning.max_trials(8) == 2 and tuning.max_trials(8, 3) == 3 and tuning.max_trials(1) == 1


def test_max_trials_is_the_full_budget_normally(full):
    assert tuning.max_trials(8) == 8
    with pytest.raises(ValueError, match="full must be >= 1"):
        tuning.max_trials(0)


# --------------------------------------------------------------------- the search space
def test_search_space_lists_what_build_model_declares():
    space = tuning.search_space(build_tiny)
    assert list(space.index) == ["units", "activation", "learning_rate"]
    assert list(space["kind"]) == ["Int", "Choice", "Float"]
    assert space.loc["learning_rate", "sampling"] == "log" and space.loc["units", "values"].startswith("2 … 8")
    assert space.loc["activation", "values"] == "relu, tanh" and space.loc["activation", "default"] == "relu"


def test_search_space_accepts_a_hypermodel():
    class Tiny(kt.HyperModel):
        def build(self, hp):
            hp.Boolean("normalize")
            return build_tiny(hp)

    assert list(tuning.search_space(Tiny()).index) == ["normalize", "units", "activation", "learning_rate"]


@pytest.mark.parametrize("declare, match", [
    (lambda hp: hp.Choice("activation", []), r"'activation': Choice needs at least one value"),
    (lambda hp: hp.Choice("optimizer", "adam"), r"'optimizer': Choice needs a list"),
    (lambda hp: hp.Choice("units", [32, 32]), r"'units': Choice has repeated values"),
    (lambda hp: hp.Choice("mixed", [1, "two"]), r"'mixed': Choice values must all be of one type"),
    (lambda hp: hp.Choice("act", ["relu"], default="tanh"), r"'act': default 'tanh' is not one of"),
    (lambda hp: hp.Int("n_hidden", 5, 1), r"'n_hidden': min_value 5 is greater than max_value 1"),
    (lambda hp: hp.Float("learning_rate", 1e-2, 1e-4, sampling="log"), r"'learning_rate': min_value 0.01 is greater"),
    (lambda hp: hp.Float("learning_rate", 0.0, 1e-2, sampling="log"), r"'learning_rate': sampling='log' needs min"),
    (lambda hp: hp.Int("units", 8, 64, step=0), r"'units': step must be > 0"),
    (lambda hp: hp.Int("units", 8.5, 64), r"'units': min_value must be an int"),
    (lambda hp: hp.Float("dropout", 0.0, float("inf")), r"'dropout': max_value must be finite"),
    (lambda hp: hp.Float("dropout", 0.0, 0.5, sampling="square"), r"'dropout': sampling must be"),
])
def test_a_malformed_space_is_an_error_naming_the_hyperparameter(declare, match):
    def build(hp):
        declare(hp)
        return build_tiny(hp)

    with pytest.raises(tuning.SearchSpaceError, match=match):
        tuning.search_space(build)


def test_search_space_errors_are_value_errors_and_other_bad_input_is_reported():
    assert issubclass(tuning.SearchSpaceError, ValueError)
    with pytest.raises(tuning.SearchSpaceError, match="declares no hyperparameter"):
        tuning.search_space(lambda hp: build_tiny(kt.HyperParameters()))
    with pytest.raises(TypeError, match="hypermodel must be a function"):
        tuning.search_space("build_model")


def test_checked_hyperparameters_work_as_a_tuners_space(tmp_path):
    hp = tuning.checked_hyperparameters()
    assert isinstance(hp, kt.HyperParameters)
    hp.Fixed("units", 4)
    X, y = _data()
    tuner = kt.RandomSearch(build_tiny, objective="val_accuracy", max_trials=1, hyperparameters=hp, seed=0,
                            **tuning.fresh_project("fixed", root=tmp_path))
    tuner.search(X, y, epochs=1, validation_split=0.25, verbose=0)
    assert tuning.trials_frame(tuner)["units"].tolist() == [4]


# --------------------------------------------------------------------- quiet searches
def test_quiet_search_hides_the_expected_messages_only(caplog):
    logger = logging.getLogger("tensorflow")
    level = logger.level
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with tuning.quiet_search():
            logger.warning("5 out of the last 5 calls triggered tf.function retracing")
            warnings.warn("Skipping variable loading for optimizer 'adam', because it has 2 variables", UserWarning)
            warnings.warn("something else", UserWarning)
    assert [str(w.message) for w in caught] == ["something else"]
    assert "retracing" not in caplog.text
    assert logger.level == level
