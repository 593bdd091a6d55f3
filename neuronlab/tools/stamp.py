"""The stamp the executor leaves on a notebook, and the freshness test built on it.

A stamp (``notebook.metadata["neuronlab"]``) records everything that made the stored outputs:

``code_sha256``
    a hash of the notebook's code cells;
``modules``
    for every ``neuronlab`` module the kernel had imported at the end of the run, a hash of its
    *code*: the source with comments, docstrings and blank lines removed (:func:`module_hash`),
    so that rewording a docstring or a comment does not make a notebook stale, while any change
    to what runs does;
``data``
    for every file of the offline data folder (``neuronlab.config.data_dir()``) the kernel opened,
    the SHA-256 of its bytes, keyed by its path inside that folder;
``versions``
    the versions of the libraries that shape results (:data:`LIBRARIES`) that the kernel had
    imported;
``mode``, ``run_seconds``, ``peak_memory_mib``
    full or quick data, how long the run took and the kernel's peak resident memory.

A stored notebook is *fresh* when all of these still hold and its mode is ``full``;
:func:`freshness` says which of them no longer does.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import io
import json
import os
import tokenize
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from neuronlab import config

KEY = "neuronlab"
FORMAT = 2
"""Version of the stamp's layout: 1 had only the code hash, mode and run time; 2 adds what the run
depended on (modules, data, library versions) and the peak memory."""

LIBRARIES = {
    "numpy": ("numpy", ("numpy",)),
    "keras": ("keras", ("keras",)),
    "tensorflow": ("tensorflow", ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos")),
    "scikit-learn": ("sklearn", ("scikit-learn",)),
}
"""The libraries whose versions shape results: name in the stamp → (import name, the distributions
that install it; the first one installed gives the version). A stamp records those the kernel imported."""

PACKAGE = "neuronlab"
REPOSITORY = config.REPOSITORY  # module keys ("neuronlab/mlp.py") are paths relative to it


def code_hash(notebook: nbformat.NotebookNode) -> str:
    """SHA-256 of the notebook's code cells' sources, in order (outputs and markdown excluded)."""
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    return hashlib.sha256(json.dumps(sources, ensure_ascii=False).encode("utf-8")).hexdigest()


# --- what a module's hash covers -------------------------------------------------------------

def normalised_source(source: str) -> str:
    """``source`` without its comments, docstrings, blank lines and trailing spaces.

    What is left is the code that runs, as written (no reformatting: a change of indentation or
    of a string's quotes still counts). Docstrings are the string statements Python stores as
    ``__doc__`` (first statement of the module, of a class or of a function). Works the same on
    every Python from 3.11 on: it cuts the source text at positions that ``ast`` and ``tokenize``
    agree on, instead of hashing an AST dump or an unparse, whose text changes between versions.

    Raises
    ------
    SyntaxError
        If ``source`` is not valid Python.
    """
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line + "\n" for line in source.split("\n")]  # the lines ast and tokenize count (not \f, \u2028…)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(row: int, column: int, *, utf8: bool) -> int:
        if row > len(lines):
            return starts[-1]
        if utf8:  # ast columns count UTF-8 bytes; tokenize's count characters
            column = len(lines[row - 1].encode("utf-8")[:column].decode("utf-8", "ignore"))
        return starts[row - 1] + column

    cuts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                cuts.append((offset(first.lineno, first.col_offset, utf8=True),
                             offset(first.end_lineno, first.end_col_offset, utf8=True)))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            cuts.append((offset(*token.start, utf8=False), offset(*token.end, utf8=False)))
    kept, position = [], 0
    for start, end in sorted(cuts):
        if start > position:
            kept.append(source[position:start])
        position = max(position, end)
    kept.append(source[position:])
    code_lines = (line.rstrip() for line in "".join(kept).split("\n"))
    return "\n".join(line for line in code_lines if line.strip()) + "\n"


@functools.lru_cache(maxsize=None)
def _module_hash(path: str, size: int, mtime_ns: int) -> str:
    raw = Path(path).read_bytes()
    try:
        text = normalised_source(raw.decode("utf-8"))
    except (SyntaxError, UnicodeDecodeError, tokenize.TokenError):  # cannot be parsed: hash it as it is
        return hashlib.sha256(raw).hexdigest()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def module_hash(path: str | Path) -> str:
    """SHA-256 of the module's :func:`normalised_source` (of its bytes if it does not parse).

    Cached by path, size and modification time, so a report hashes each module once.
    """
    found = os.stat(path)
    return _module_hash(str(Path(path).resolve()), found.st_size, found.st_mtime_ns)


@functools.lru_cache(maxsize=None)
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hash(path: str | Path) -> str:
    """SHA-256 of the file's bytes, cached by path, size and modification time."""
    found = os.stat(path)
    return _file_hash(str(Path(path).resolve()), found.st_size, found.st_mtime_ns)


@functools.lru_cache(maxsize=None)
def installed_version(library: str) -> str | None:
    """The version of ``library`` (a key of :data:`LIBRARIES`) installed for this Python, or None."""
    if library not in LIBRARIES:
        raise ValueError(f"library must be one of {sorted(LIBRARIES)}, got {library!r}")
    for distribution in LIBRARIES[library][1]:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


# --- writing a stamp -------------------------------------------------------------------------

@dataclass(frozen=True)
class Dependencies:
    """What a run depended on, hashed: the stamp's ``modules``, ``data`` and ``versions``."""

    modules: dict[str, str] = field(default_factory=dict)  # "neuronlab/mlp.py" → module_hash
    data: dict[str, str] = field(default_factory=dict)  # "npz/mnist.npz" → file_hash
    versions: dict[str, str] = field(default_factory=dict)  # "keras" → "3.13.2" (keys of LIBRARIES)

    @classmethod
    def from_paths(cls, modules, data, versions, *, package_root: str | Path | None = None,
                   data_dir: str | Path | None = None, hashed_before: dict[str, str] | None = None
                   ) -> Dependencies:
        """Hash the files a kernel reported.

        Parameters
        ----------
        modules : iterable of paths
            Files of ``neuronlab`` modules; keyed by their path relative to ``package_root``
            (the folder holding the ``neuronlab`` package; default :data:`REPOSITORY`).
        data : iterable of paths
            Files under ``data_dir`` (default ``neuronlab.config.data_dir()``); keyed by their
            path inside it.
        versions : mapping
            Library (a key of :data:`LIBRARIES`) → version.
        hashed_before : mapping, optional
            Module hashes taken when the run started (:func:`package_hashes`): they win over the
            files' hashes now, so a module edited during the run leaves the notebook stale
            instead of stamping code the kernel may never have run.
        """
        package_root = Path(package_root or REPOSITORY).resolve()
        hashed_before = hashed_before or {}
        module_hashes = {}
        for path in modules:
            key = Path(path).resolve().relative_to(package_root).as_posix()
            module_hashes[key] = hashed_before.get(key) or module_hash(path)
        data_hashes = {}
        data = list(data)
        if data:
            root = Path(data_dir) if data_dir is not None else config.data_dir()
            if root is None:
                raise ValueError("data files were given but there is no data folder to key them by")
            root = root.resolve()
            data_hashes = {Path(p).resolve().relative_to(root).as_posix(): file_hash(p) for p in data}
        return cls(dict(sorted(module_hashes.items())), dict(sorted(data_hashes.items())),
                   {k: versions[k] for k in sorted(versions)})


def package_hashes(package_root: str | Path | None = None) -> dict[str, str]:
    """:func:`module_hash` of every module of the ``neuronlab`` package under ``package_root``."""
    package_root = Path(package_root or REPOSITORY).resolve()
    return {path.relative_to(package_root).as_posix(): module_hash(path)
            for path in sorted((package_root / PACKAGE).rglob("*.py"))}


def stamp(notebook: nbformat.NotebookNode, *, seconds: float, mode: str,
          depends: Dependencies | None = None, peak_memory_mib: float | None = None) -> None:
    """Write the stamp into ``notebook.metadata`` (in place).

    ``depends`` is what the run depended on (nothing by default); ``peak_memory_mib`` the
    kernel's peak resident memory in MiB, when it was measured.
    """
    if mode not in ("full", "quick"):
        raise ValueError(f"mode must be 'full' or 'quick', got {mode!r}")
    depends = depends or Dependencies()
    info = {"format": FORMAT, "code_sha256": code_hash(notebook), "mode": mode,
            "run_seconds": round(float(seconds), 1)}
    if peak_memory_mib is not None:
        info["peak_memory_mib"] = round(float(peak_memory_mib), 1)
    info.update(versions=dict(depends.versions), modules=dict(depends.modules), data=dict(depends.data))
    notebook.metadata[KEY] = info


# --- reading it back -------------------------------------------------------------------------

@dataclass(frozen=True)
class Freshness:
    path: Path
    fresh: bool
    reason: str  # "fresh", or every reason it is not, joined by "; "
    mode: str | None
    seconds: float | None
    peak_memory_mib: float | None = None
    reasons: tuple[str, ...] = ()


def stale_reasons(info: dict, notebook: nbformat.NotebookNode | None = None) -> list[str]:
    """Why a stamp ``info`` no longer holds (empty when it does); ``notebook`` for its code hash."""
    reasons = []
    if notebook is not None and info.get("code_sha256") != code_hash(notebook):
        reasons.append("code changed since it was run")
    if info.get("format", 1) < FORMAT:
        reasons.append("old stamp: made before the executor recorded the neuronlab modules, data files "
                       "and library versions a run uses")
    else:
        reasons += _module_reasons(info.get("modules", {}))
        reasons += _data_reasons(info.get("data", {}))
        reasons += _version_reasons(info.get("versions", {}))
    mode = info.get("mode")
    if mode != "full":
        reasons.append(f"outputs come from a {mode!r} run, not the full one")
    return reasons


def _module_reasons(modules: dict[str, str]) -> list[str]:
    reasons = []
    for key, recorded in modules.items():
        path = REPOSITORY / key
        if not path.is_file():
            reasons.append(f"{key} no longer exists")
        elif module_hash(path) != recorded:
            reasons.append(f"{key} changed")
    return reasons


def _data_reasons(data: dict[str, str]) -> list[str]:
    if not data:
        return []
    root = config.data_dir()
    if root is None:
        return [f"no data folder to check {', '.join(data)} against (set {config.DATA_ENV})"]
    reasons = []
    for key, recorded in data.items():
        path = root / key
        if not path.is_file():
            reasons.append(f"data file {key} is missing from {root}")
        elif file_hash(path) != recorded:
            reasons.append(f"data file {key} changed")
    return reasons


def _version_reasons(versions: dict[str, str]) -> list[str]:
    reasons = []
    for library, recorded in versions.items():
        now = installed_version(library) if library in LIBRARIES else None
        if now != recorded:
            reasons.append(f"{library} {recorded} → {now or 'not installed'}")
    return reasons


def freshness(path: str | Path) -> Freshness:
    """Say whether the stored outputs of the notebook at ``path`` are fresh, and if not why."""
    path = Path(path)
    with warnings.catch_warnings():  # a cell without an id (nbformat's MissingIDFieldWarning) is no concern here
        warnings.simplefilter("ignore", nbformat.warnings.MissingIDFieldWarning)
        notebook = nbformat.read(path, as_version=4)
    info = notebook.metadata.get(KEY)
    if not info:
        reason = "never run by the executor (no stamp)"
        return Freshness(path, False, reason, None, None, None, (reason,))
    reasons = stale_reasons(info, notebook)
    return Freshness(path, not reasons, "; ".join(reasons) or "fresh", info.get("mode"),
                     info.get("run_seconds"), info.get("peak_memory_mib"), tuple(reasons))
