"""neuronlab.config: quick mode, epochs/sample sizes, where the offline data is."""

from pathlib import Path

import pytest

from neuronlab import config

SHARED_DATA = Path("/work/shared/data")


# --- quick_mode -------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["1", "true", "TRUE", "yes", "On", " on "])
def test_quick_mode_is_on_for_yes_words(monkeypatch, word):
    monkeypatch.setenv("NEURONLAB_QUICK", word)
    assert config.quick_mode() is True
    assert config.mode() == "quick"


@pytest.mark.parametrize("word", ["", "0", "false", "False", "no", "OFF"])
def test_quick_mode_is_off_for_no_words(monkeypatch, word):
    monkeypatch.setenv("NEURONLAB_QUICK", word)
    assert config.quick_mode() is False
    assert config.mode() == "full"


def test_quick_mode_is_off_when_unset(monkeypatch):
    monkeypatch.delenv("NEURONLAB_QUICK", raising=False)
    assert config.quick_mode() is False


@pytest.mark.parametrize("word", ["2", "maybe", "quick", "y"])
def test_quick_mode_garbage_raises_value_error_naming_the_variable(monkeypatch, word):
    monkeypatch.setenv("NEURONLAB_QUICK", word)
    with pytest.raises(ValueError, match="NEURONLAB_QUICK") as info:
        config.quick_mode()
    assert repr(word) in str(info.value)


# --- epochs / sample_size -----------------------------------------------------------------------

def test_epochs_full_run_uses_full(full):
    assert config.epochs(30) == 30
    assert config.epochs(30, quick=5) == 30


def test_epochs_quick_run_is_capped_by_quick(quick):
    assert config.epochs(30) == 2
    assert config.epochs(30, quick=5) == 5
    assert config.epochs(1, quick=5) == 1  # never more than the full run


def test_sample_size_full_and_quick(monkeypatch):
    monkeypatch.setenv("NEURONLAB_QUICK", "0")
    assert config.sample_size(60000, 6000) == 60000
    monkeypatch.setenv("NEURONLAB_QUICK", "1")
    assert config.sample_size(60000, 6000) == 6000
    assert config.sample_size(500, 6000) == 500


@pytest.mark.parametrize("helper", [config.epochs, config.sample_size])
@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"full": 2.0, "quick": 1}, "full"),
    ({"full": True, "quick": 1}, "full"),
    ({"full": "10", "quick": 1}, "full"),
    ({"full": 10, "quick": 1.5}, "quick"),
    ({"full": 10, "quick": None}, "quick"),
])
def test_epochs_and_sample_size_reject_non_int_naming_the_argument(full, helper, kwargs, argument):
    with pytest.raises(TypeError, match=f"^{argument} must be an int"):
        helper(**kwargs)


@pytest.mark.parametrize("helper", [config.epochs, config.sample_size])
@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"full": 0, "quick": 1}, "full"),
    ({"full": -3, "quick": 1}, "full"),
    ({"full": 10, "quick": 0}, "quick"),
])
def test_epochs_and_sample_size_reject_values_below_one_naming_the_argument(full, helper, kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument} must be >= 1"):
        helper(**kwargs)


def test_epochs_with_garbage_quick_variable_raises(monkeypatch):
    monkeypatch.setenv("NEURONLAB_QUICK", "sometimes")
    with pytest.raises(ValueError, match="NEURONLAB_QUICK"):
        config.epochs(10)


# --- data_dir ---------------------------------------------------------------------------------

def test_data_dir_pointing_at_a_file_raises_file_not_found_naming_the_variable(monkeypatch, tmp_path):
    not_a_folder = tmp_path / "data.txt"
    not_a_folder.write_text("not a folder")
    monkeypatch.setenv("NEURONLAB_DATA", str(not_a_folder))
    with pytest.raises(FileNotFoundError, match="NEURONLAB_DATA"):
        config.data_dir()


def test_data_dir_pointing_at_a_missing_path_raises_file_not_found(monkeypatch, tmp_path):
    monkeypatch.setenv("NEURONLAB_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="NEURONLAB_DATA"):
        config.data_dir()


def test_data_dir_pointing_at_shared_data_returns_it(monkeypatch):
    monkeypatch.setenv("NEURONLAB_DATA", str(SHARED_DATA))
    assert config.data_dir() == SHARED_DATA.resolve()


def test_data_dir_expands_and_resolves_the_path(monkeypatch, tmp_path):
    (tmp_path / "inner").mkdir()
    monkeypatch.setenv("NEURONLAB_DATA", str(tmp_path / "inner" / ".."))
    assert config.data_dir() == tmp_path.resolve()


def test_data_dir_unset_finds_shared_data_beside_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("NEURONLAB_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # found from the package's location, not the working directory
    found = config.data_dir()
    assert found is not None
    assert found.resolve() == SHARED_DATA.resolve()
    assert (found / "npz").is_dir()


def test_data_dir_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("NEURONLAB_DATA", "")
    assert config.data_dir().resolve() == SHARED_DATA.resolve()


def test_keras_home_follows_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert config.keras_home() == tmp_path
    monkeypatch.delenv("KERAS_HOME")
    assert config.keras_home() == Path.home() / ".keras"
