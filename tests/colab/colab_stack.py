"""A Colab-like Python environment for the Colab-stack test, built once and cached.

Colab's runtime is described by its published package list (``colab-pip-freeze.txt``,
copied unchanged from Colab's ``backend-info`` repository, the same list as
``../shared/colab/pip-freeze.txt``).  This module builds a virtual environment under
Python 3.13 holding the packages the course touches at exactly those versions (pip
resolves their dependencies under the whole list as constraints), plus a stand-in for
Colab's own ``google-colab`` package with its pins (``google-colab/``).

Building costs a few minutes and about 2 GB of downloads, so the environment is kept
in ``~/.cache/neuronlab-colab-venv/<key>``, where the key hashes everything that goes
into it; a test works on a hard-linked copy (:func:`working_copy`) so that what it
installs never reaches the cache.  To build or inspect it by hand::

    python tests/colab/colab_stack.py          # prints the cached environment's path
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FREEZE = HERE / "colab-pip-freeze.txt"
STANDIN = HERE / "google-colab"
CACHE_ROOT = Path.home() / ".cache" / "neuronlab-colab-venv"

COURSE_PACKAGES = (
    # what the course's code and notebooks import, and the kernel that runs them
    "tensorflow", "keras", "tensorboard", "numpy", "scipy", "scikit-learn", "matplotlib",
    "pandas", "h5py", "pillow", "threadpoolctl", "psutil", "ipywidgets", "ipykernel",
    "ipython", "setuptools", "wheel",
)
"""Installed at Colab's versions together with the stand-in ``google-colab``."""

STARTUP_IMPORTS = ("google.colab", "numpy", "pandas", "matplotlib")
"""Modules Colab's kernel has imported before a notebook's first cell runs."""

_BUILD_VERSION = "2"  # bump to force a rebuild when this module changes how it builds


def normalise(name: str) -> str:
    """A distribution name in PEP 503 form (``Keras_Tuner`` → ``keras-tuner``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_pins() -> dict[str, str]:
    """``{name: version}`` for every ``name==version`` line of Colab's list."""
    pins = {}
    for line in FREEZE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line.strip())
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    return pins


def find_python313() -> Path | None:
    """A Python 3.13 interpreter: pyenv's, else ``python3.13`` on the PATH.

    pyenv is looked for in ``$PYENV_ROOT``, ``~/.pyenv`` and the account's own home folder
    (CI runs the tests with an empty ``HOME`` and a bare PATH, without pyenv's shims).
    """
    homes = [Path.home(), Path(pwd.getpwuid(os.getuid()).pw_dir)]
    roots = [Path(os.environ["PYENV_ROOT"])] if os.environ.get("PYENV_ROOT") else []
    for root in roots + [home / ".pyenv" for home in homes]:
        for candidate in sorted(root.glob("versions/3.13*/bin/python3.13"), reverse=True):
            return candidate
    found = shutil.which("python3.13")
    return Path(found) if found else None


def _standin_files() -> list[Path]:
    return sorted(p for p in STANDIN.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and not p.name.endswith(".egg-info") and ".egg-info" not in str(p))


def cache_key(python: Path) -> str:
    """Hash of everything the environment is built from."""
    digest = hashlib.sha256()
    version = subprocess.run([str(python), "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True, check=True).stdout
    for part in (_BUILD_VERSION, version, FREEZE.read_text(encoding="utf-8"), *COURSE_PACKAGES):
        digest.update(part.encode())
    for path in _standin_files():
        digest.update(str(path.relative_to(STANDIN)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                           f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def _uv() -> str | None:
    """The ``uv`` installed beside this interpreter, or on PATH; None without one."""
    beside = Path(sys.executable).with_name("uv")
    return str(beside) if beside.exists() else shutil.which("uv")


def build(destination: Path, python: Path) -> None:
    """Create the Colab-like environment in ``destination`` (which must not exist)."""
    pins = colab_pins()
    _run([str(python), "-m", "venv", str(destination)])
    env_python = str(destination / "bin" / "python")
    with tempfile.TemporaryDirectory() as scratch:
        constraints = Path(scratch) / "constraints.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())
                                       if n != "pip"), encoding="utf-8")
        standin = Path(scratch) / "google-colab"
        shutil.copytree(STANDIN, standin, ignore=shutil.ignore_patterns("*.egg-info", "build"))
        # Colab's pip does the setup cell's install; then the course's packages at Colab's versions
        steps = [[f"pip=={pins['pip']}"], ["-c", str(constraints), *COURSE_PACKAGES, str(standin)]]
        # uv (in requirements-dev.txt) fetches and unpacks the ~2 GB in parallel, several times faster
        # than pip from a cold cache. It trusts the system's certificates, as pip does here (a proxy
        # with its own authority); where uv is missing or fails, pip does the same job.
        uv = _uv()
        try:
            if uv is None:
                raise RuntimeError("uv is not installed")
            for step in steps:
                _run([uv, "pip", "install", "--quiet", "--system-certs", "--python", env_python, *step])
        except RuntimeError as trouble:
            print(f"building the Colab-like environment with pip ({str(trouble)[:300]})", file=sys.stderr)
            for step in steps:
                _run([env_python, "-m", "pip", "--disable-pip-version-check", "--no-input", "install", *step])
    installed = installed_versions(destination)
    wrong = {n: (v, pins[n]) for n, v in installed.items() if n in pins and pins[n] != v}
    if wrong:
        raise RuntimeError(f"the Colab-like environment has versions Colab does not: {wrong}")


def base_environment(cache_root: Path = CACHE_ROOT, python: Path | None = None) -> Path:
    """The cached Colab-like environment, built first if it is not there yet."""
    python = python or find_python313()
    if python is None:
        raise FileNotFoundError("no Python 3.13 found (pyenv's versions/3.13*, or python3.13 on PATH)")
    target = cache_root / cache_key(python)
    if (target / "complete").exists():
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    # Parallel test workers wait for one build rather than each making their own.
    with open(cache_root / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "complete").exists():
            _build_into(target, python, cache_root)
    return target


def _build_into(target: Path, python: Path, cache_root: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix="building-", dir=cache_root))
    shutil.rmtree(staging)
    try:
        build(staging, python)
        (staging / "complete").write_text(json.dumps(installed_versions(staging), indent=1))
        try:
            staging.rename(target)  # atomic: a target that exists is complete
        except OSError:
            if not (target / "complete").exists():  # not another run's finished build
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def working_copy(base: Path, destination: Path) -> Path:
    """A hard-linked copy of ``base`` at ``destination``: pip replaces files, never edits them
    in place, so what a test installs or removes there leaves the cached environment as it was."""
    _run(["cp", "-al", str(base), str(destination)])
    return destination


def installed_versions(env: Path) -> dict[str, str]:
    """``{normalised name: version}`` of every distribution installed in the environment."""
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")
    out = _run([str(env / "bin" / "python"), "-I", "-c", code]).stdout  # -I: not the current folder
    return {normalise(n): v for n, v in json.loads(out).items()}


if __name__ == "__main__":
    print(base_environment())
    sys.exit(0)
