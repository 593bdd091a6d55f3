"""Run a hand-in's Jupyter kernel in a bubblewrap sandbox, with limits.

nbgrader runs each submitted notebook in a Jupyter kernel; :class:`SandboxedKernelManager` starts that
kernel inside `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``), the unprivileged
sandbox that Flatpak uses. Only the kernel is inside: nbgrader itself, its gradebook and the files it
writes stay outside, and the kernel talks to nbgrader over Unix sockets in a folder of their own.

Inside the sandbox the kernel sees

- the system's ``/usr`` (and ``/etc``), the Python environment and the ``neuronlab`` package, and the
  course's data folder, all read-only;
- its scratch folder ``/tmp``, a size-limited memory file system, with its working and home folder
  ``/tmp/learner`` holding a copy of the hand-in's files other than the notebooks; it is the only
  writable place and vanishes with the kernel;
- no network (a network namespace of its own, with only a loopback device), no other process (a PID
  namespace of its own), and nothing else of the machine: not the course folder (``source/``,
  ``gradebook.db``, other hand-ins), not the repository's ``solutions/``, not any home folder.

Limits (:class:`Limits`): address space, file size and processes per sandbox (``setrlimit`` inside the
sandbox), the scratch folder's size (the file system's), and the sandbox's resident memory and number of
processes and threads, watched while it runs: a sandbox over a limit is stopped at once, and the reason
is written where the grader reads it (:func:`stop_reason`).

When the grader runs as root, the sandbox runs as the unprivileged user ``nobody`` (the kernel does not
limit root's processes).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Dict as DictTrait
from traitlets import Unicode

INSTALL = ("bubblewrap (the `bwrap` command) is not installed, and every hand-in runs in its sandbox. "
           "Install it: `sudo apt-get install bubblewrap` (Debian, Ubuntu), `sudo dnf install bubblewrap` "
           "(Fedora), `sudo pacman -S bubblewrap` (Arch). Or pass --unsandboxed to grade without a sandbox: "
           "submitted code then runs with all of your user's rights (book/instructors.md).")
SCRATCH = "/tmp"
"""The hand-in's scratch folder inside the sandbox (a size-limited memory file system)."""
HOME = "/tmp/learner"
"""Its working folder and home folder, inside the scratch folder."""
HANDED_IN = "/run/handed-in"
CONNECTION = "/run/kernel/connection.json"
NOBODY = 65534
WATCHED_SHARE = 0.9
"""The watch stops a sandbox whose processes and threads reach this share of its limit."""
UNITS = {"": 1, "K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30, "T": 2 ** 40}
PASSED_ON = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED", "KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL",
             "TF_ENABLE_ONEDNN_OPTS")
"""Environment variables a kernel keeps (with every ``NEURONLAB_*``); the others are not passed in."""


def parse_size(text: str | int, name: str = "size") -> int:
    """Bytes from ``"4G"``, ``"512M"``, ``"1.5G"`` or a number of bytes; ValueError naming ``name`` otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        raw = str(text).strip().upper().removesuffix("IB").removesuffix("B")
        unit = raw[-1:] if raw[-1:] in UNITS and raw[-1:] else ""
        try:
            value = int(float(raw[:len(raw) - len(unit)]) * UNITS[unit])
        except ValueError:
            value = -1
    if value <= 0:
        raise ValueError(f"{name} must be a positive size such as 512M, 4G or a number of bytes, got {text!r}")
    return value


def format_size(value: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if value >= UNITS[unit] and value % (UNITS[unit] // 4 or 1) == 0:
            return f"{value / UNITS[unit]:g} {unit}B"
    return f"{value} bytes"


@dataclass(frozen=True)
class Limits:
    """What one hand-in's sandbox may use. Sizes in bytes."""

    memory: int = 4 * 2 ** 30
    """Resident memory of all its processes together (watched); each process may also reserve at most
    ``memory`` + 4 GiB of address space (``RLIMIT_AS``), so one huge allocation fails with MemoryError."""
    processes: int = 256
    """Processes and threads together (``RLIMIT_NPROC``, and watched)."""
    file_size: int = 256 * 2 ** 20
    """Largest file it may write (``RLIMIT_FSIZE``)."""
    scratch: int = 512 * 2 ** 20
    """Size of its scratch folder (the whole writable file system)."""
    threads: int = 1
    """Threads for BLAS, OpenMP and TensorFlow's pools (set so parallel workers do not fight for cores)."""

    def __post_init__(self):
        for name in ("memory", "processes", "file_size", "scratch", "threads"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive whole number, got {value!r}")
        if self.processes < 32:
            raise ValueError(f"Limits.processes must be at least 32 (a kernel runs a dozen threads), "
                             f"got {self.processes}")

    @property
    def address_space(self) -> int:
        return self.memory + 4 * 2 ** 30

    def describe(self) -> str:
        return (f"memory {format_size(self.memory)}, {self.processes} processes and threads, "
                f"files up to {format_size(self.file_size)}, scratch folder {format_size(self.scratch)}, "
                f"no network")


# --------------------------------------------------------------------------- is it there, does it work
def bwrap_path() -> str | None:
    return shutil.which("bwrap")


_checked: dict[str, str | None] = {}


def problem() -> str | None:
    """Why kernels cannot be sandboxed here (bwrap missing, or user namespaces refused), or None."""
    path = bwrap_path()
    if path is None:
        return INSTALL
    if path not in _checked:
        try:
            binds = [arg for folder in _python_folders() for arg in ("--ro-bind", str(folder), str(folder))]
            done = subprocess.run([path, *_system_binds(), *binds, "--proc", "/proc", "--dev", "/dev",
                                   "--unshare-user", "--unshare-net", "--unshare-pid", "--die-with-parent", "--",
                                   sys.executable, "-I", "-c", "import neuronlab"],
                                  capture_output=True, text=True, timeout=60, cwd="/", **_as_user())
            _checked[path] = None if done.returncode == 0 else (
                f"bubblewrap ({path}) cannot run Python in a sandbox here: "
                f"{done.stderr.strip()[-500:] or done.returncode}. It needs unprivileged user namespaces "
                "(`sudo sysctl kernel.unprivileged_userns_clone=1` on older Debian; on Ubuntu 24.04 the AppArmor "
                "profile bwrap-userns-restrict, see book/instructors.md)"
                + (", and, as the grader runs as root, a Python environment that other users may read"
                   if os.geteuid() == 0 else "")
                + ". Or pass --unsandboxed to grade without a sandbox.")
        except (OSError, subprocess.TimeoutExpired) as error:
            _checked[path] = f"bubblewrap ({path}) did not run: {error}"
    return _checked[path]


def _as_user() -> dict:
    """Popen arguments that run the sandbox as ``nobody`` when the grader is root."""
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}


# --------------------------------------------------------------------------- the command
def _system_binds() -> list[str]:
    args = []
    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"):
        path = Path("/", top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _python_folders() -> list[Path]:
    """Folders the kernel's Python needs: its environment, its packages, and the neuronlab package.

    Never the repository itself (its ``solutions/``), a folder holding it, or a home folder: of those,
    only the virtual environment and ``neuronlab/`` are bound.
    """
    import neuronlab

    from neuronlab import config

    repository = config.REPOSITORY.resolve()
    home = Path.home().resolve()
    prefixes = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    found = [*prefixes, Path(neuronlab.__file__).resolve().parent]
    for entry in filter(None, sys.path):  # "" is the working folder (the course folder, for nbgrader)
        path = Path(entry).resolve()
        if path.name in ("site-packages", "dist-packages") or path.suffix == ".zip" or prefixes & {*path.parents}:
            found.append(path)
    kept: list[Path] = []
    for path in sorted({p.resolve() for p in found if p.exists()}, key=lambda p: len(p.parts)):
        if path in (repository, home) or path in repository.parents or path in home.parents:
            continue
        if repository in path.parents and path.relative_to(repository).parts[0] not in (".venv", "venv", "neuronlab"):
            continue
        if path.parts[1:2] in (("usr",), ("etc",)):
            continue  # the system's, bound whole
        if not any(parent in kept for parent in path.parents):
            kept.append(path)
    return kept


def command(kernel_command: list[str], *, limits: Limits, connection_file: str, sockets: str,
            handed_in: str | None = None, env: dict[str, str] | None = None) -> list[str]:
    """The bwrap command line that runs ``kernel_command`` (whose connection file is ``connection_file``).

    ``sockets`` is the folder of the kernel's Unix sockets (bound writable, at the same path);
    ``handed_in`` a folder of files to copy into the scratch folder first.
    """
    from neuronlab import config

    bwrap = bwrap_path()
    if bwrap is None:
        raise RuntimeError(INSTALL)
    env = dict(os.environ if env is None else env)
    python_path = kernel_command[0]
    args = [bwrap, "--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox",
            *_system_binds(), "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.scratch), "--tmpfs", SCRATCH,
            "--size", str(min(limits.scratch, 64 * 2 ** 20)), "--tmpfs", "/dev/shm"]
    for folder in _python_folders():
        args += ["--ro-bind", str(folder), str(folder)]
    data = None
    try:
        data = config.data_dir()
    except FileNotFoundError:
        pass
    if data is not None:
        args += ["--ro-bind", str(data), str(data)]
    args += ["--ro-bind", connection_file, CONNECTION, "--bind", sockets, sockets, "--dir", HOME]
    if handed_in:
        args += ["--ro-bind", handed_in, HANDED_IN]
    args += ["--remount-ro", "/", "--chdir", HOME, "--clearenv"]
    threads = str(limits.threads)
    inside = {"HOME": HOME, "PATH": f"{Path(python_path).parent}:/usr/local/bin:/usr/bin:/bin",
              "TMPDIR": SCRATCH, "PYTHONDONTWRITEBYTECODE": "1", "MPLCONFIGDIR": f"{HOME}/.config/matplotlib",
              "XDG_CACHE_HOME": f"{HOME}/.cache", "USER": "learner", "LOGNAME": "learner",
              "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
              "BLIS_NUM_THREADS": threads, "NUMEXPR_NUM_THREADS": threads, "VECLIB_MAXIMUM_THREADS": threads,
              "TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": threads}
    for key, value in env.items():
        if key in PASSED_ON or key.startswith("NEURONLAB_"):
            inside.setdefault(key, value)
    if data is not None:
        inside[config.DATA_ENV] = str(data)
    for key, value in inside.items():
        args += ["--setenv", key, value]
    kernel = [CONNECTION if arg == connection_file else arg for arg in kernel_command]
    rlimits = {"RLIMIT_AS": limits.address_space, "RLIMIT_FSIZE": limits.file_size,
               "RLIMIT_NPROC": limits.processes, "RLIMIT_CORE": 0}
    return [*args, "--", python_path, "-I", "-S", "-c", LAUNCHER, json.dumps(rlimits), HANDED_IN, *kernel]


LAUNCHER = """\
import json, os, resource, shutil, sys
for name, value in json.loads(sys.argv[1]).items():
    resource.setrlimit(getattr(resource, name), (value, value))
if os.path.isdir(sys.argv[2]):
    shutil.copytree(sys.argv[2], '.', dirs_exist_ok=True)
os.execv(sys.argv[3], sys.argv[3:])
"""
"""Runs first inside the sandbox: sets the limits, copies the hand-in's files, then becomes the kernel."""


# --------------------------------------------------------------------------- the kernel manager
def stop_reason(report: str | Path) -> str | None:
    """The reason a sandbox was stopped, as written to ``report`` by the watch, or None."""
    try:
        return Path(report).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start in a bubblewrap sandbox (see the module's description).

    Set ``limits`` (a dict of :class:`Limits` fields) and ``report`` (a file where the reason is written
    if the watch stops the sandbox). The kernel is interrupted by message, not by signal (a signal would
    reach bwrap, not the kernel), and talks over Unix sockets in a private folder.
    """

    limits = DictTrait(help="Limits fields (sizes in bytes)").tag(config=True)
    report = Unicode("", help="File where the reason is written when the sandbox is stopped").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        # A private folder, outside the course folder (whose parents the sandbox's user may not be
        # allowed to cross), holding the connection file, the sockets and a copy of the hand-in's files.
        base = tempfile.gettempdir()
        root = os.geteuid() == 0
        self._private = tempfile.mkdtemp(prefix="nl-kernel-", dir="/tmp" if root or len(base) > 60 else base)
        self._sockets = os.path.join(self._private, "sockets")
        os.mkdir(self._sockets)
        self.connection_file = os.path.join(self._private, "connection.json")
        self.ip = os.path.join(self._sockets, "k")
        self._handed_in: str | None = None
        self._watch: threading.Thread | None = None
        self._stop_watch = threading.Event()
        if root:
            os.chmod(self._private, 0o711)
            os.chown(self._sockets, NOBODY, NOBODY)

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None and spec.interrupt_mode != "message":
            spec.interrupt_mode = "message"
        if spec is not None:
            spec.metadata = {key: value for key, value in (spec.metadata or {}).items() if key != "supported_encryption"}
        return spec

    @property
    def sandbox_limits(self) -> Limits:
        return Limits(**self.limits)

    async def _async_pre_start_kernel(self, **kw):
        cwd = kw.get("cwd")
        self._handed_in = None
        if cwd and Path(cwd).is_dir():
            files = [p for p in Path(cwd).iterdir() if p.suffix != ".ipynb" and not p.is_symlink()]
            if files:  # the hand-in's other files (data it reads), without the graded notebook
                self._handed_in = os.path.join(self._private, "files")
                shutil.rmtree(self._handed_in, ignore_errors=True)
                os.mkdir(self._handed_in)
                _copy_regular(files, Path(self._handed_in))
        kw["cwd"] = self._sockets  # bwrap's own working folder, outside; the kernel's is HOME
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        kernel = super().format_kernel_cmd(extra_arguments)
        connection = os.path.realpath(self.connection_file)
        if os.geteuid() == 0:
            os.chown(connection, NOBODY, NOBODY)
        return command(kernel, limits=self.sandbox_limits, connection_file=connection, sockets=self._sockets,
                       handed_in=self._handed_in, env=(self._launch_args or {}).get("env"))

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        kw.update(_as_user())
        kw["start_new_session"] = True
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self._stop_watch.clear()
        self._watch = threading.Thread(target=self._watch_sandbox, args=(self.provisioner.process.pid,),
                                       daemon=True)
        self._watch.start()

    def _watch_sandbox(self, pid: int) -> None:
        """Every 0.2 s: the sandbox's resident memory, processes and threads, and its socket folder."""
        import psutil

        limits = self.sandbox_limits
        try:
            outer = psutil.Process(pid)
        except psutil.Error:
            return
        while not self._stop_watch.wait(0.2):
            try:
                family = outer.children(recursive=True)
            except psutil.Error:
                return
            memory = tasks = 0
            for member in family:
                try:
                    tasks += member.num_threads()
                except psutil.Error:
                    pass
                memory += _proportional_memory(member.pid)
            reason = None
            if tasks >= WATCHED_SHARE * limits.processes:  # RLIMIT_NPROC stops it short of the limit
                reason = (f"reached its limit of {limits.processes} processes and threads "
                          "(a fork bomb, or runaway threads): stopped")
            elif memory > limits.memory:
                reason = (f"used more than its {format_size(limits.memory)} of memory "
                          f"({memory / 2 ** 30:.2f} GB): stopped")
            elif _stray_bytes(self._sockets) > 1_000_000:
                reason = "wrote files into the kernel's socket folder: stopped"
            if reason:
                self._stopped(reason, outer, family)
                return

    def _stopped(self, reason: str, outer, family) -> None:
        import psutil

        if self.report:
            Path(self.report).parent.mkdir(parents=True, exist_ok=True)
            Path(self.report).write_text(reason + "\n", encoding="utf-8")
        self.log.warning("sandbox stopped: %s", reason)
        for member in [outer, *family]:
            try:
                member.send_signal(signal.SIGKILL)
            except psutil.Error:
                pass

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        self._stop_watch.set()
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._private, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources  # AsyncKernelManager binds its name to the base's method



def _proportional_memory(pid: int) -> int:
    """Bytes of memory process ``pid`` uses, pages shared with others counted in part (Linux's PSS).

    Summing resident sizes would count a forked process's pages once per copy.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _copy_regular(paths: list[Path], target: Path) -> None:
    """Copy the regular files and folders among ``paths`` (recursively) into ``target``; links are skipped."""
    for path in paths:
        if path.is_symlink():
            continue
        if path.is_dir():
            (target / path.name).mkdir()
            _copy_regular(list(path.iterdir()), target / path.name)
        elif path.is_file():
            shutil.copyfile(path, target / path.name)
        if os.geteuid() == 0 and (target / path.name).exists():
            os.chown(target / path.name, NOBODY, NOBODY)
    if os.geteuid() == 0:
        os.chown(target, NOBODY, NOBODY)


def _stray_bytes(folder: str) -> int:
    total = 0
    for directory, _, names in os.walk(folder):
        for name in names:
            try:
                info = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            if not (info.st_mode & 0o170000) == 0o140000:  # not a socket
                total += info.st_size
    return total


def describe_limits(limits: Limits) -> dict:
    return asdict(limits)
