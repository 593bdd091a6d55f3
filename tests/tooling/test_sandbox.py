"""The bubblewrap sandbox of grading: its command line, its limits' parsing, the refusal without bwrap, a kernel in it.

What hostile hand-ins meet inside it is tested end to end in ``test_grading.py``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import nbformat
import pytest

from neuronlab import config
from neuronlab.tools import grade, sandbox

ROOT = Path(__file__).resolve().parents[2]


def test_sizes_are_read_with_their_units_and_bad_ones_name_the_option():
    assert sandbox.parse_size("4G") == 4 * 2**30
    assert sandbox.parse_size("512M") == sandbox.parse_size("512MB") == sandbox.parse_size("512MiB") == 512 * 2**20
    assert sandbox.parse_size("1.5G") == 3 * 2**29
    assert sandbox.parse_size("4096") == sandbox.parse_size(4096) == 4096
    for bad in ("lots", "-1G", "0", "G", ""):
        with pytest.raises(ValueError, match="--memory must be a positive size such as 512M, 4G"):
            sandbox.parse_size(bad, "--memory")
    assert sandbox.format_size(4 * 2**30) == "4 GB" and sandbox.format_size(512 * 2**20) == "512 MB"


def test_limits_refuse_what_no_kernel_could_run_with():
    with pytest.raises(ValueError, match="Limits.processes must be at least 32"):
        sandbox.Limits(processes=8)
    with pytest.raises(ValueError, match="Limits.memory must be a positive whole number"):
        sandbox.Limits(memory=0)
    assert sandbox.Limits().address_space == sandbox.Limits().memory + 4 * 2**30


def _command(tmp_path, **env):
    connection = tmp_path / "connection.json"
    connection.write_text("{}")
    (tmp_path / "sockets").mkdir()
    return sandbox.command([sys.executable, "-m", "ipykernel_launcher", "-f", str(connection)],
                           limits=sandbox.Limits(scratch=64 * 2**20), connection_file=str(connection),
                           sockets=str(tmp_path / "sockets"), env=env)


def _mounts(args: list[str], option: str) -> list[tuple[str, str]]:
    return [(args[i + 1], args[i + 2]) for i, arg in enumerate(args) if arg == option]


def test_the_sandbox_binds_python_and_the_package_read_only_and_nothing_of_the_course(tmp_path):
    if sandbox.bwrap_path() is None:
        pytest.skip("bwrap is not installed")
    args = _command(tmp_path, NEURONLAB_QUICK="1", AWS_SECRET_ACCESS_KEY="secret", HOME="/root")
    read_only = {source for source, _ in _mounts(args, "--ro-bind")}
    writable = _mounts(args, "--bind")
    assert str((ROOT / "neuronlab").resolve()) in read_only
    assert str(Path(sys.prefix).resolve()) in read_only or any(Path(sys.prefix).resolve().is_relative_to(p)
                                                                for p in read_only)
    for hidden in (ROOT, ROOT / "solutions", ROOT.parent, Path.home(), tmp_path):
        assert str(hidden.resolve()) not in read_only, f"{hidden} is visible in the sandbox"
    assert writable == [(str(tmp_path / "sockets"), str(tmp_path / "sockets"))], "only the sockets' folder"
    for option in ("--unshare-net", "--unshare-pid", "--unshare-user", "--die-with-parent", "--new-session",
                   "--clearenv"):
        assert option in args
    assert args[args.index("--remount-ro") + 1] == "/"
    assert args[args.index("--tmpfs") - 1] == str(64 * 2**20), "the scratch folder has a size"
    settings = dict(_mounts(args, "--setenv"))
    assert settings["NEURONLAB_QUICK"] == "1" and settings["HOME"] == sandbox.HOME
    assert "AWS_SECRET_ACCESS_KEY" not in settings
    if config.data_dir() is not None:
        assert str(config.data_dir()) in read_only and settings["NEURONLAB_DATA"] == str(config.data_dir())


def test_without_bwrap_grading_refuses_and_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(grade.GradingError, match=r"apt-get install bubblewrap.*--unsandboxed"):
        grade.grade("02_perceptrons", tmp_path, tmp_path / "course", out=io.StringIO())
    assert not (tmp_path / "course").exists(), "nothing is written before the refusal"
    assert grade.main(["grade", "02_perceptrons", str(tmp_path), "--course", str(tmp_path / "course")]) == 2
    assert "apt-get install bubblewrap" in capsys.readouterr().err
    assert grade.main(["grade", "02_perceptrons", str(tmp_path), "--course", str(tmp_path / "c"),
                       "--memory", "lots"]) == 2
    assert "--memory must be a positive size" in capsys.readouterr().err


def test_the_course_configuration_turns_the_sandbox_on_with_its_limits(tmp_path):
    from traitlets.config import Config

    c = Config()
    grade.configure(c, tmp_path, sandbox={"memory": 2**30, "processes": 64, "file_size": 2**20,
                                          "scratch": 2**24, "threads": 1})
    assert c.BoundedExecute.sandbox is True and c.BoundedExecute.sandbox_limits["processes"] == 64
    assert c.BoundedExecute.report_dir == str(tmp_path / "logs")
    c = Config()
    grade.configure(c, tmp_path, sandbox=None)
    assert c.BoundedExecute.sandbox is False
    with pytest.raises(ValueError, match="Limits.processes"):
        grade.configure(Config(), tmp_path, sandbox={"processes": 4})


def test_a_sandboxed_kernel_gets_a_copy_of_the_hand_ins_files_but_not_the_notebook(tmp_path):
    from nbclient import NotebookClient

    if sandbox.problem():
        pytest.skip(sandbox.problem())
    folder = tmp_path / "autograded"
    folder.mkdir()
    (folder / "data.csv").write_text("x,y\n1,2\n")
    (folder / "graded.ipynb").write_text("{}")  # as nbgrader leaves it: restored tests, hidden ones too
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for source in ("import os\nprint(sorted(n for n in os.listdir('.') if not n.startswith('.')))",
                   "open('data.csv', 'a').write('3,4\\n')\nprint(open('data.csv').read().count('\\n'))",
                   "while True:\n    pass", "print('interrupted, then on')"):
        notebook.cells.append(nbformat.v4.new_code_cell(source))
    client = NotebookClient(notebook, timeout=10, allow_errors=True, interrupt_on_timeout=True,
                            kernel_manager_class=sandbox.SandboxedKernelManager,
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in notebook.cells]
    assert texts[0] == "['data.csv']\n" and texts[1] == "3\n"
    assert (folder / "data.csv").read_text() == "x,y\n1,2\n", "the grader's copy is unchanged"
    assert [o.ename for o in notebook.cells[2].outputs if o.output_type == "error"] == ["KeyboardInterrupt"]
    assert texts[3] == "interrupted, then on\n"
