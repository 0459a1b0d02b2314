"""Run an untrusted notebook's kernel in a sandbox.

A submitted notebook is code we did not write, run with the grader's rights. Here each
kernel gets the following:

- hidden paths it cannot read (solutions, expected answers, other students' work);
- a read-only view of everything else except its own folder (the cwd that nbclient
  gives it) and a private, size-limited /tmp (also used for /var/tmp and /dev/shm);
- no network;
- no processes left behind when it shuts down;
- limits on address space, processes (threads count), file size and core dumps;
- its own unprivileged uid.

Wiring, for a scratch nbgrader course directory:

    # nbgrader_config.py
    from autograder.sandbox import configure_nbgrader
    configure_nbgrader(c)

and, in the environment of the `nbgrader autograde` process, the variable
PGCOURSE_SANDBOX=Spec(...).to_json(), which tells the kernel manager what to hide.
Without the variable, SandboxKernelManager is jupyter_client's AsyncKernelManager. Call
describe() once per batch and print it: it says loudly which protections are missing.

Which protections hold (capabilities() answers this for the machine it runs on):

- Linux, grader running as root: all of them. The kernel runs in new mount, pid, net,
  ipc and uts namespaces, as a uid of its own from UID_BASE up, so each sandbox's
  process limit is its own and file permissions apply.
- Linux, a normal user, with unprivileged user namespaces (`unshare -r` works): the same
  through a user namespace, except the separate uid. The kernel is uid 0 of its
  namespace without any capability, so it cannot undo the mounts. It is the grader's
  own uid on the host, so only the hiding and the read-only view keep it from the
  grader's files.
- Linux without namespaces (a container without CAP_SYS_ADMIN, user namespaces off, or
  util-linux missing): limits on address space, file size and core dumps, and a new
  session. Nothing is hidden, there is network, everything the grader may write is
  writable, detached processes survive the kernel, and there is no process limit
  (RLIMIT_NPROC would count all of the grading user's processes).
- macOS: the same as Linux without namespaces, and macOS does not enforce the
  address-space limit.

How it works: SandboxKernelManager starts the kernel through `unshare`, whose child
runs this file as a launcher. The launcher is pid 1 of the new pid namespace, so when it
exits every process in the namespace dies. It mounts tmpfs over the hidden paths and
binds back the revealed ones, makes every other mount read-only, forks, and execs the
kernel through `setpriv`, which sets the uid and drops all capabilities. Then it reaps
orphans until the kernel exits. The kernel's sockets are unix sockets in a short folder
bound into the sandbox, so the kernel needs no network. Interrupts are messages
(interrupt_request on the control channel), which need no signal to find its way
through `unshare`.

Seen from the kernel, a hidden folder is empty and a hidden file cannot be opened.
Everything not hidden stays readable (read-only) as far as file permissions allow.
The host's /tmp is out of sight, so scratch course folders made with tempfile are too.
Anything else sensitive must be hidden: other scratch folders, the gradebook, the
submissions, answer files.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from jupyter_client.manager import AsyncKernelManager

ENV = "PGCOURSE_SANDBOX"
# As root, kernels run as UID_BASE + a random offset below UID_SPAN: just above the
# uids that systemd hands to containers (up to 0x6FFFFFFF), far above accounts. A fresh
# uid per kernel gives each its own RLIMIT_NPROC count: under a shared uid such as
# nobody, one student's fork bomb would use up the process limit of every kernel
# graded at the same time.
UID_BASE = 0x7000_0000
UID_SPAN = 1 << 20
# A unix socket path has at most 107 bytes; the folder gets "k-<port>" appended.
MAX_SOCKET_DIR = 90
# Each kernel gets its own copy of these: an empty tmpfs, size-limited and writable.
PRIVATE = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))
# The kernel's HOME, inside its private /tmp.
HOME = Path("/tmp/home")


@dataclass
class Limits:
    """Resource limits of one kernel (sizes in MiB).

    memory_mb is address space (RLIMIT_AS), not resident memory. A kernel that imports
    numpy, torch, gymnasium and matplotlib and trains a small network peaks at 1.6 GiB
    of address space (VmPeak, 2 cores, 15 threads, RSS 370 MiB). With 32 torch threads
    it peaks at 2.3 GiB, or 1.6 GiB with the MALLOC_ARENA_MAX=4 that the sandbox sets.
    4 GiB leaves about 2 GiB of headroom for the student's arrays.
    """

    memory_mb: int = 4096
    # RLIMIT_NPROC counts threads, and torch starts about two per core.
    processes: int = 256
    file_mb: int = 64
    tmp_mb: int = 256


@dataclass
class Spec:
    """What a sandboxed kernel may see: absolute paths to hide, and paths under them to
    reveal again, read-only.

    The most specific path wins: hide /repo, reveal /repo/shared, and hide
    /repo/shared/answers to see all of shared except its answers. At equal paths, hide
    wins over reveal. The launcher also always hides the grader's home directory and
    /run, and reveals the Python installation that runs the kernel.
    """

    hide: list[Path] = field(default_factory=list)
    reveal: list[Path] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        self.hide = [Path(p) for p in self.hide]
        self.reveal = [Path(p) for p in self.reveal]
        relative = [str(p) for p in self.hide + self.reveal if not p.is_absolute()]
        if relative:
            raise ValueError(
                f"sandbox paths must be absolute, got {relative}: the kernel runs in "
                "another folder, so a relative path would name a different place"
            )

    def to_json(self) -> str:
        """The value of the PGCOURSE_SANDBOX environment variable for this spec."""
        return json.dumps(
            {
                "hide": [str(p) for p in self.hide],
                "reveal": [str(p) for p in self.reveal],
                "limits": asdict(self.limits),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Spec:
        """The spec that to_json wrote."""
        data = json.loads(text)
        return cls(
            hide=[Path(p) for p in data.get("hide", [])],
            reveal=[Path(p) for p in data.get("reveal", [])],
            limits=Limits(**data.get("limits", {})),
        )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Spec | None:
        """The spec in PGCOURSE_SANDBOX, or None when it is not set."""
        text = (os.environ if environ is None else environ).get(ENV)
        return cls.from_json(text) if text else None


# ---------------------------------------------------------------- what holds here


@functools.cache
def mode() -> str:
    """How kernels are sandboxed here: "root", "userns" or "plain" (limits only)."""
    if sys.platform != "linux" or not (
        shutil.which("unshare") and shutil.which("setpriv")
    ):
        return "plain"
    name = "root" if os.geteuid() == 0 else "userns"
    probe = subprocess.run([*_unshare(name), "true"], capture_output=True, check=False)
    return name if probe.returncode == 0 else "plain"


PROTECTIONS = {
    "hidden_paths": "hidden paths cannot be read",
    "read_only_files": "nothing outside the kernel's folder and its /tmp is writable",
    "private_tmp": "/tmp, /var/tmp and /dev/shm are the kernel's own, size-limited",
    "no_network": "no network (a network namespace with no interface up)",
    "no_leftover_processes": "no process outlives the kernel (a pid namespace)",
    "separate_uid": "the kernel runs as a uid of its own",
    "memory_limit": "address space is limited",
    "process_limit": "the number of processes and threads is limited",
    "file_size_limit": "file size is limited",
    "no_core_dumps": "no core dumps",
}


def capabilities() -> dict[str, bool]:
    """Which of PROTECTIONS hold for kernels started on this machine by this user."""
    namespaces = mode() != "plain"
    return {
        "hidden_paths": namespaces,
        "read_only_files": namespaces,
        "private_tmp": namespaces,
        "no_network": namespaces,
        "no_leftover_processes": namespaces,
        "separate_uid": mode() == "root",
        # macOS accepts RLIMIT_AS and ignores it.
        "memory_limit": sys.platform == "linux",
        # Without a uid or user namespace of its own, RLIMIT_NPROC would count every
        # process of the grading user, so the plain mode does not set it.
        "process_limit": namespaces,
        "file_size_limit": True,
        "no_core_dumps": True,
    }


def describe() -> str:
    """What the sandbox protects against here, after a loud warning if not all."""
    how = {
        "root": "namespaces, running as root: every protection holds",
        "userns": "an unprivileged user namespace: the kernel shares the grader's uid",
        "plain": "no namespaces (not Linux, no util-linux unshare/setpriv, or "
        "namespaces not permitted): only resource limits",
    }[mode()]
    caps = capabilities()
    missing = [PROTECTIONS[k] for k, ok in caps.items() if not ok]
    lines = [f"Kernel sandbox: {how}."]
    lines += [f"  {'yes' if ok else 'NO '}  {PROTECTIONS[k]}" for k, ok in caps.items()]
    if missing:
        lines.insert(
            0,
            "WARNING: student code runs with weaker isolation than intended; missing: "
            + "; ".join(missing)
            + ". Grade untrusted submissions as root on Linux for full isolation.",
        )
    return "\n".join(lines)


def _unshare(name: str) -> list[str]:
    """The unshare command line that creates the namespaces for mode NAME."""
    # ipykernel exits when the process that started it dies, but it cannot see that
    # process from inside the pid namespace. unshare gets a SIGKILL when its parent
    # dies instead (nbgrader killed on a timeout), and --kill-child passes that on to
    # the namespace.
    cmd = ["setpriv", "--pdeathsig=SIGKILL", "unshare", "--kill-child", "--fork"]
    cmd += ["--mount", "--net", "--pid", "--ipc", "--uts", "--mount-proc"]
    return cmd + (["--user", "--map-root-user"] if name == "userns" else [])


# ---------------------------------------------------------------- kernel manager


class SandboxKernelManager(AsyncKernelManager):
    """AsyncKernelManager that starts each kernel in the sandbox that PGCOURSE_SANDBOX
    describes (plain AsyncKernelManager when it is not set)."""

    _sandbox_dir: str | None = None

    async def _async_pre_start_kernel(  # type: ignore[override]
        self, **kw: Any
    ) -> tuple[list[str], dict[str, Any]]:
        env = kw.get("env")
        spec = Spec.from_env(env if env and ENV in env else None)
        if spec is None:
            return await super()._async_pre_start_kernel(**kw)
        if not kw.get("cwd"):
            raise RuntimeError(
                "a sandboxed kernel needs its folder, the only place it may write: "
                "pass cwd= to start_kernel, or resources={'metadata': {'path': ...}} "
                "to nbclient (nbgrader does)"
            )
        if mode() == "plain":
            self.log.warning("%s", describe())
        uid = UID_BASE + secrets.randbelow(UID_SPAN) if mode() == "root" else None
        if self._sandbox_dir is None:
            folder = tempfile.mkdtemp(prefix="pgsbx-")
            if len(folder) > MAX_SOCKET_DIR:
                os.rmdir(folder)
                raise RuntimeError(
                    f"the kernel's socket folder {folder} is too long for unix "
                    "sockets (107 bytes at most): set TMPDIR to a short folder"
                )
            self._sandbox_dir = folder
        # The kernel talks over unix sockets in a folder bound into the sandbox: it has
        # no network to use TCP on.
        self.transport = "ipc"
        self.ip = os.path.join(self._sandbox_dir, "k")
        self.connection_file = os.path.join(self._sandbox_dir, "kernel.json")
        # jupyter's SIGINT would go to unshare's process group and need the launcher
        # to relay it (it does); a message goes straight to ipykernel, which then
        # interrupts its own process group.
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        if uid is not None:
            os.chown(self._sandbox_dir, uid, uid)
            os.chown(self.connection_file, uid, uid)
        launcher = [sys.executable, "-I", str(Path(__file__).resolve())]
        launcher += ["--spec", spec.to_json(), "--mode", mode()]
        launcher += ["--rw", self._sandbox_dir]
        launcher += ["--uid", str(uid)] if uid is not None else []
        prefix = _unshare(mode()) if mode() != "plain" else []
        return [*prefix, *launcher, "--", *cmd], kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._sandbox_dir is not None:
            shutil.rmtree(self._sandbox_dir, ignore_errors=True)
            self._sandbox_dir = None

    # AsyncKernelManager binds these names to KernelManager's functions, not ours.
    pre_start_kernel = _async_pre_start_kernel  # type: ignore[assignment]
    cleanup_resources = _async_cleanup_resources  # type: ignore[assignment]


def configure_nbgrader(c: Any) -> None:
    """Make `nbgrader autograde` (configured by C) use SandboxKernelManager."""
    # nbgrader 0.9's Execute passes kernel_manager_class=AsyncKernelManager to its own
    # constructor, and traitlets lets constructor arguments beat configuration, so
    # `c.Execute.kernel_manager_class` is silently ignored. Swap in a subclass instead.
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute

    class SandboxExecute(Execute):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
            super().__init__(**kwargs)

    section = c.Autograde
    if "autograde_preprocessors" in section:
        pipeline = list(section.autograde_preprocessors)
    else:
        pipeline = Autograde.class_traits()["autograde_preprocessors"].default()
    if Execute not in pipeline:
        raise RuntimeError(
            f"nbgrader's autograde pipeline {pipeline} has no Execute step to sandbox: "
            "has nbgrader changed? Check nbgrader/converters/autograde.py"
        )
    section.autograde_preprocessors = [
        SandboxExecute if p is Execute else p for p in pipeline
    ]


# ---------------------------------------------------------------- the launcher

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 14, 1 << 18, 1 << 21, 1 << 24
# Per-mount flags that a read-only remount must repeat: in a user namespace the kernel
# refuses to clear the ones the parent namespace set (EPERM).
MOUNT_FLAGS = {
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME,
    "relatime": MS_RELATIME,
}


@functools.cache
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _mount(
    source: str | None, target: Path, fstype: str | None, flags: int, data: str = ""
) -> None:
    args = [
        s.encode() if s is not None else None for s in (source, str(target), fstype)
    ]
    if _libc().mount(*args, flags, data.encode() or None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _mounts() -> list[tuple[Path, int]]:
    """(mount point, per-mount flags) of every mount, from /proc/self/mountinfo."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        # Octal escapes: "\040" is a space in a mount point.
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])
        options = fields[5].split(",")
        flags = sum(MOUNT_FLAGS.get(o, 0) for o in options)
        if not {"noatime", "relatime"} & set(options):
            flags |= MS_STRICTATIME
        found.append((Path(point), flags))
    return found


def _make_mountpoint(path: Path, is_dir: bool, ours: set[int]) -> None:
    """Create PATH (and its parents) to mount on, but only inside our own tmpfs."""
    if os.path.lexists(path):
        return
    existing = next(p for p in path.parents if p.exists())
    if os.stat(existing).st_dev not in ours:
        raise RuntimeError(f"{path} vanished from the host while the sandbox was built")
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_dir:
        path.mkdir()
    else:
        path.touch()


def _build_filesystem(spec: Spec, rw: list[Path], uid: int | None) -> None:
    """Hide and reveal as SPEC says, bind RW writable, make the rest read-only."""
    python = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    home = Path.home()
    hide = [*spec.hide, Path("/run"), *([home] if home != Path("/") else [])]
    reveal = [*spec.reveal, *map(Path, python)]
    order = {"reveal": 0, "hide": 1, "rw": 2}
    steps = [(Path(os.path.realpath(p)), "hide") for p in hide]
    steps += [(Path(os.path.realpath(p)), "reveal") for p in reveal]
    steps += [(p, "rw") for p in rw]
    steps = list(dict.fromkeys(steps))
    if any(p == Path("/") for p, kind in steps if kind == "hide"):
        raise ValueError("hiding / would leave the kernel nothing to run")
    # Open what must stay reachable before anything is mounted over it (the kernel's
    # folder may lie under a hidden path, or under /tmp): binds come from these.
    sources = {}
    for path, kind in steps:
        if kind != "hide" and path not in sources and os.path.lexists(path):
            sources[path] = os.open(path, os.O_PATH)
    _mount(None, Path("/"), None, MS_REC | MS_PRIVATE)

    # One private tmpfs for /tmp, /var/tmp and /dev/shm, so tmp_mb bounds them all.
    tmp = Path("/tmp")
    _mount(
        "tmpfs",
        tmp,
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={spec.limits.tmp_mb}m,mode=1777",
    )
    ours = {os.stat(tmp).st_dev}
    scratch = tmp / ".sandbox"
    scratch.mkdir(mode=0o755)
    void = scratch / "void"  # bound over hidden files: empty, and no one may open it
    void.touch(mode=0o000)
    for private in PRIVATE[1:]:
        if private.is_dir():
            own = scratch / private.name
            own.mkdir()
            own.chmod(0o1777)
            _mount(str(own), private, None, MS_BIND)

    mounted: list[Path] = []
    for path, kind in sorted(steps, key=lambda s: (len(s[0].parts), order[s[1]])):
        if kind == "hide":
            if not os.path.lexists(path):
                continue  # absent, or already under something hidden
            if path.is_dir() and not path.is_symlink():
                _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
                ours.add(os.stat(path).st_dev)
            else:
                _mount(str(void), path, None, MS_BIND)
        elif path in sources:
            fd = sources[path]
            _make_mountpoint(path, os.path.isdir(f"/proc/self/fd/{fd}"), ours)
            flags = MS_BIND | (MS_REC if kind == "reveal" else 0)
            _mount(f"/proc/self/fd/{fd}", path, None, flags)
        if kind != "rw":
            mounted.append(path)
    for fd in sources.values():
        os.close(fd)

    HOME.mkdir(mode=0o700)
    if uid is not None:
        os.chown(HOME, uid, uid)
        for folder in rw:
            # The kernel's folder and what nbgrader copied into it become the kernel's.
            # A file with several links may be someone else's file linked in: skip it.
            os.chown(folder, uid, uid)
            for root, dirs, files in os.walk(folder):
                for name in dirs + files:
                    entry = os.path.join(root, name)
                    if name in dirs or os.lstat(entry).st_nlink == 1:
                        os.lchown(entry, uid, uid)

    # Read-only everywhere, except the writable places. Mounts under a writable place
    # that are not ours are host mounts shadowed by our tmpfs or binds: unreachable.
    writable = [*PRIVATE, *rw]
    for point, flags in _mounts():
        if any(_within(point, w) for w in writable) and point not in mounted:
            continue
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except OSError:
            if point in mounted:
                raise
            # Otherwise a host mount hidden under one of ours: not a mount point here.
    if not os.statvfs("/").f_flag & os.ST_RDONLY:
        raise RuntimeError("could not make / read-only in the sandbox")


def _limit(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        if sys.platform == "linux":
            raise
        # macOS refuses some limits; capabilities() says which do not hold there.


def _kernel_env(name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    # glibc reserves 64 MiB of address space per thread arena; capping the arenas keeps
    # the memory limit about memory rather than about the number of cores.
    env.setdefault("MALLOC_ARENA_MAX", "4")
    if name != "plain":
        # The grader's home is hidden: the kernel gets a writable one (IPython profile,
        # matplotlib cache), and no directory variables that point into hidden places.
        for key in (
            "IPYTHONDIR",
            "MPLCONFIGDIR",
            "JUPYTER_CONFIG_DIR",
            "JUPYTER_DATA_DIR",
        ):
            env.pop(key, None)
        for key in [k for k in env if k.startswith("XDG_")]:
            env.pop(key)
        env.update(HOME=str(HOME), TMPDIR="/tmp")
        # The kernel's parent is the launcher, pid 1 of the namespace. ipykernel polls
        # the host pid that jupyter passes, sees pid 1 instead and exits; told "1",
        # it polls nothing (_unshare ties the kernel's life to jupyter's instead).
        env["JPY_PARENT_PID"] = "1"
    return env


def _exec_kernel(
    cmd: list[str], cwd: Path, limits: Limits, name: str, uid: int | None
) -> NoReturn:
    mib = 1024 * 1024
    _limit(resource.RLIMIT_AS, limits.memory_mb * mib)
    _limit(resource.RLIMIT_FSIZE, limits.file_mb * mib)
    _limit(resource.RLIMIT_CORE, 0)
    env = _kernel_env(name)
    if name == "plain":
        os.chdir(cwd)
        os.execvpe(cmd[0], cmd, env)
    _limit(resource.RLIMIT_NPROC, limits.processes)
    # Its own session, so ipykernel's interrupt (killpg of its group) reaches the
    # kernel and the processes it started, and nothing else.
    os.setsid()
    os.chdir(cwd)
    drop = ["setpriv", "--no-new-privs", "--inh-caps=-all", "--ambient-caps=-all"]
    drop += ["--bounding-set=-all"]
    if uid is not None:
        drop += [f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    os.execvpe(drop[0], [*drop, "--", *cmd], env)


def _reap(kernel: int) -> NoReturn:
    """Be pid 1 of the namespace: reap orphans, relay signals, exit with the kernel."""
    os.chdir("/")

    def forward(signum: int, _frame: Any) -> None:
        try:
            os.killpg(kernel, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    while True:
        pid, status = os.wait()
        if pid == kernel:
            code = os.waitstatus_to_exitcode(status)
            # Exiting kills every other process in the namespace.
            os._exit(code if code >= 0 else 128 - code)


def _launch(argv: list[str]) -> NoReturn:
    parser = argparse.ArgumentParser(prog="autograder.sandbox")
    parser.add_argument("--spec", required=True)
    parser.add_argument("--mode", choices=["root", "userns", "plain"], required=True)
    parser.add_argument("--rw", action="append", default=[])
    parser.add_argument("--uid", type=int)
    parser.add_argument("cmd", nargs="+")
    args = parser.parse_args(argv)
    spec = Spec.from_json(args.spec)
    cwd = Path.cwd()  # jupyter_client starts us in the kernel's folder
    if args.mode == "plain":
        _exec_kernel(args.cmd, cwd, spec.limits, args.mode, None)
    # Mount points we create must be traversable by the kernel's uid.
    umask = os.umask(0o022)
    _build_filesystem(spec, [cwd, *map(Path, args.rw)], args.uid)
    kernel = os.fork()
    if kernel == 0:
        os.umask(umask)
        _exec_kernel(args.cmd, cwd, spec.limits, args.mode, args.uid)
    _reap(kernel)


if __name__ == "__main__":
    try:
        _launch(sys.argv[1:])
    except Exception as exc:
        print(
            f"pgcourse sandbox: could not start the kernel: {exc!r}. Run\n"
            "  python -c 'import autograder.sandbox as s; print(s.describe())'\n"
            "to see what this machine supports.",
            file=sys.stderr,
        )
        sys.exit(1)
