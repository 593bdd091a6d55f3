"""neuronlab.notebook: the first cell of every notebook (setup) and glue."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import neuronlab
from neuronlab import notebook

SETUP_THEN_KERAS = """
import json
import neuronlab
neuronlab.setup(verbose=False)
import numpy as np
import keras
print(json.dumps({
    "keras": keras.ops.convert_to_numpy(keras.random.normal((3,))).tolist(),
    "numpy": np.random.rand(3).tolist(),
}))
"""


@pytest.fixture(scope="module")
def two_fresh_runs():
    """Run setup + ``import keras`` in two fresh interpreters side by side (as two notebooks would)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_HOME", "TF_CPP_MIN_LOG_LEVEL")}
    runs = [subprocess.Popen([sys.executable, "-c", SETUP_THEN_KERAS], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        results.append((run.returncode, out, err))
    return results


def test_setup_then_import_keras_writes_nothing_to_stderr(two_fresh_runs):
    for returncode, out, err in two_fresh_runs:
        assert returncode == 0, err
        assert "oneDNN" not in err and "absl" not in err and "WARNING" not in err
        assert err == ""


def test_setup_makes_keras_and_numpy_random_numbers_identical_across_runs(two_fresh_runs):
    (_, first, _), (_, second, _) = two_fresh_runs
    first, second = json.loads(first), json.loads(second)
    assert first == second
    assert len(first["keras"]) == 3 and len(first["numpy"]) == 3
    assert first["keras"] != first["numpy"]


@pytest.mark.parametrize("seed", ["1", 1.0, None, True])
def test_setup_rejects_non_int_seed(seed):
    with pytest.raises(TypeError, match="seed must be an int"):
        neuronlab.setup(seed, verbose=False)


def test_setup_rejects_negative_seed():
    with pytest.raises(ValueError, match="seed must be >= 0"):
        neuronlab.setup(-1, verbose=False)


@pytest.mark.parametrize("name", ["", None, 3])
def test_glue_rejects_empty_or_non_string_name(name):
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        neuronlab.glue(name, 1.5)


def test_stderr_silenced_hides_writes_to_file_descriptor_2_and_restores_it(capfd):
    with notebook.stderr_silenced():
        os.write(2, b"noise from C\n")
    os.write(2, b"heard\n")
    assert capfd.readouterr().err == "heard\n"


def test_glue_stores_numpy_scalars_as_plain_numbers_so_format_specs_work(monkeypatch):
    import numpy as np

    stored = {}
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display=False: stored.update({name: value}))
    neuronlab.glue("share", np.float64(0.625))
    neuronlab.glue("count", np.int64(3))
    neuronlab.glue("array", np.array([1, 2]))
    assert type(stored["share"]) is float and repr(stored["share"]) == "0.625"
    assert type(stored["count"]) is int
    assert isinstance(stored["array"], np.ndarray)  # arrays are left alone


def test_claim_passes_silently_when_the_run_supports_the_sentence():
    assert neuronlab.claim("wider_is_better", 0.1 < 0.2, "the wider net fits better") is None
    assert neuronlab.claim("numpy_bool", np.float64(0.3) > 0.2, "numpy comparisons count") is None


def test_claim_stops_the_notebook_naming_the_claim_and_its_sentence():
    with pytest.raises(notebook.ClaimFailed, match="wider_is_better.*the wider net fits better"):
        neuronlab.claim("wider_is_better", 0.3 < 0.2, "the wider net fits better")


@pytest.mark.parametrize("condition", [1, 0.5, "yes", None, np.array([True, True])])
def test_claim_wants_a_comparison_not_a_truthy_value(condition):
    with pytest.raises(TypeError, match="condition of claim 'x' must be a bool"):
        neuronlab.claim("x", condition, "something")


@pytest.mark.parametrize("name", ["", None, 3])
def test_claim_rejects_empty_or_non_string_name(name):
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        neuronlab.claim(name, True, "something")
