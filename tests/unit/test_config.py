"""neuronlab.config: quick mode, epochs/sample sizes, where the offline data is."""

from pathlib import Path

import pytest

from neuronlab import config

# The course's offline data as CI lays it out: ../shared/data beside the repository.
SHARED_DATA = config.REPOSITORY.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not (SHARED_DATA / "npz").is_dir(),
                                  reason="no ../shared/data beside this clone (CI always has it)")


# --- quick_mode -------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["1", "true", "TRUE", "yes", "On", " on "])
def test_quick_mode_is_on_for_yes_words(monkeypatch, word):
    monkeypatch.setenv("NEURONLAB_QUICK", word)
    assert config.quick_mode() is True


@pytest.mark.parametrize("word", ["", "0", "false", "False", "no", "OFF"])
def test_quick_mode_is_off_for_no_words(monkeypatch, word):
    monkeypatch.setenv("NEURONLAB_QUICK", word)
    assert config.quick_mode() is False


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


@needs_shared
def test_data_dir_pointing_at_shared_data_returns_it(monkeypatch):
    monkeypatch.setenv("NEURONLAB_DATA", str(SHARED_DATA))
    assert config.data_dir() == SHARED_DATA.resolve()


def test_data_dir_expands_and_resolves_the_path(monkeypatch, tmp_path):
    (tmp_path / "inner").mkdir()
    monkeypatch.setenv("NEURONLAB_DATA", str(tmp_path / "inner" / ".."))
    assert config.data_dir() == tmp_path.resolve()


@needs_shared
def test_data_dir_unset_finds_shared_data_beside_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("NEURONLAB_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # found from the package's location, not the working directory
    found = config.data_dir()
    assert found is not None
    assert found.resolve() == SHARED_DATA.resolve()
    assert (found / "npz").is_dir()


@needs_shared
def test_data_dir_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("NEURONLAB_DATA", "")
    assert config.data_dir().resolve() == SHARED_DATA.resolve()


def test_repository_is_the_folder_holding_the_package():
    import neuronlab

    assert config.REPOSITORY == Path(neuronlab.__file__).resolve().parent.parent
    assert (config.REPOSITORY / "neuronlab" / "config.py").is_file()


def make_data_folder(root, *, npz=True):
    """``root/shared/data`` laid out like the course's data (or without its ``npz/``)."""
    data = root / "shared" / "data"
    (data / "keras").mkdir(parents=True)
    if npz:
        (data / "npz").mkdir()
    return data


@pytest.fixture
def repository(monkeypatch, tmp_path):
    """A stand-in repository folder ``tmp/course/repo``; NEURONLAB_DATA unset."""
    repo = tmp_path / "course" / "repo"
    repo.mkdir(parents=True)
    monkeypatch.setattr(config, "REPOSITORY", repo)
    monkeypatch.delenv("NEURONLAB_DATA", raising=False)
    return repo


def test_data_dir_uses_shared_data_beside_the_repository(repository):
    data = make_data_folder(repository.parent)
    assert config.data_dir() == data


def test_data_dir_without_shared_data_beside_the_repository_is_none(repository):
    assert config.data_dir() is None


def test_data_dir_ignores_a_shared_data_folder_without_npz(repository):
    make_data_folder(repository.parent, npz=False)
    assert config.data_dir() is None


@pytest.mark.parametrize("where", ["cwd", "cwd_parent", "repository_grandparent", "inside_repository"])
def test_data_dir_never_searches_the_working_directory_or_other_folders(monkeypatch, repository, where):
    root = {"cwd": repository.parent / "elsewhere", "cwd_parent": repository.parent / "elsewhere",
            "repository_grandparent": repository.parent.parent, "inside_repository": repository}[where]
    root.mkdir(exist_ok=True)
    make_data_folder(root)
    cwd = repository.parent / "elsewhere" / "deeper" if where == "cwd_parent" else repository.parent / "elsewhere"
    cwd.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(cwd)
    assert config.data_dir() is None


def test_data_variable_wins_over_shared_data_beside_the_repository(monkeypatch, repository, tmp_path):
    make_data_folder(repository.parent)
    other = tmp_path / "mine"
    other.mkdir()  # NEURONLAB_DATA is taken as it is, complete or not
    monkeypatch.setenv("NEURONLAB_DATA", str(other))
    assert config.data_dir() == other.resolve()


def test_data_variable_pointing_at_a_missing_path_raises_even_with_shared_data_beside(monkeypatch, repository):
    make_data_folder(repository.parent)
    monkeypatch.setenv("NEURONLAB_DATA", str(repository / "nowhere"))
    with pytest.raises(FileNotFoundError, match="^NEURONLAB_DATA='.*nowhere' is not a folder"):
        config.data_dir()


def test_data_dir_empty_variable_falls_back_to_beside_the_repository(monkeypatch, repository):
    monkeypatch.setenv("NEURONLAB_DATA", "")
    assert config.data_dir() is None
    data = make_data_folder(repository.parent)
    assert config.data_dir() == data


def test_keras_home_follows_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert config.keras_home() == tmp_path
    monkeypatch.delenv("KERAS_HOME")
    assert config.keras_home() == Path.home() / ".keras"
