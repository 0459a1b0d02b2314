"""The kernel sandbox: what a submitted notebook can and cannot reach.

One sandboxed kernel runs a notebook of probes (fixture `probes`); each test reads the
answer of one probe. The host side checks what the kernel must not have left behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import NotebookNode

from autograder import sandbox
from autograder.sandbox import ENV, Limits, SandboxKernelManager, Spec

REPO = Path(__file__).resolve().parents[1]
# Secrets live outside /tmp, which the sandbox replaces anyway, so only hiding them
# keeps them from the kernel. test-artifacts/ is ignored by git.
ARTIFACTS = REPO / "test-artifacts"
# Small limits keep the probes fast; the memory limit is the real default.
LIMITS = Limits(memory_mb=Limits().memory_mb, processes=64, file_mb=8, tmp_mb=16)
MIB = 1024 * 1024
LOOP_TIMEOUT = 3
TIMEOUT_ERROR = {"ename": "CellTimeoutError", "evalue": "", "traceback": []}

needs_namespaces = pytest.mark.skipif(
    not sandbox.capabilities()["hidden_paths"], reason=sandbox.describe()
)


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains MARKER (pid namespaces renumber pids)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and marker.encode() in (entry / "cmdline").read_bytes()
            ):
                found.append(int(entry.name))
        except OSError:
            pass  # it exited while we looked
    return found


def outputs(cell: NotebookNode) -> str:
    """A cell's stdout, then `ename: evalue` of its error if it raised."""
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    for o in cell.outputs:
        if o.output_type == "error":
            text += f"{o.ename}: {o.evalue}"
    return text.strip()


@dataclass
class Host:
    """What the host prepared for the probes, and what it saw while they ran."""

    cwd: Path
    secret_dir: Path
    secret_file: Path
    open_dir: Path
    host_tmp: Path
    port: int
    marker: str
    child_marker: str
    answers: dict[str, str]
    connected: bool = False
    detached_while_running: int = 0
    detached_after_shutdown: int = 0


def probe_cells(host: Host) -> dict[str, str]:
    """The probes, by name; each prints what happened."""
    m = host.marker
    secrets = [str(host.secret_dir / "secret.txt"), str(host.secret_file)]
    writes = {
        "host_tmp": host.host_tmp / f"{m}.txt",
        "repo": REPO / f"{m}.txt",
        "open_dir": host.open_dir / f"{m}.txt",
        "home": Path.home() / f"{m}.txt",
        "dev_shm": Path("/dev/shm") / f"{m}.txt",
        "var_tmp": Path("/var/tmp") / f"{m}.txt",
        "cwd": host.cwd / "inside.txt",
    }
    return {
        "helper": (
            "import json, os, socket, subprocess, sys\n"
            "def attempt(f):\n"
            "    try:\n"
            "        return 'ok ' + repr(f())\n"
            "    except Exception as e:\n"
            "        return type(e).__name__\n"
            "print('ready')"
        ),
        "libraries": (
            "import gymnasium, matplotlib.pyplot as plt, numpy as np, torch\n"
            "import shared.checking\n"
            "plt.plot(np.arange(3)); plt.savefig('plot.png')\n"
            "print(torch.ones(2).sum().item())"
        ),
        "identity": "print(os.getuid(), os.environ['HOME'])",
        "secret": (
            f"files = {secrets!r}\n"
            "print(json.dumps([attempt(lambda: open(f).read()) for f in files]"
            f" + [attempt(lambda: os.listdir({str(host.secret_dir)!r}))]))"
        ),
        "writes": (
            f"targets = { ({k: str(v) for k, v in writes.items()})!r}\n"
            "print(json.dumps({k: attempt(lambda: open(p, 'w').write('x'))"
            " for k, p in targets.items()}))"
        ),
        "network": (
            "print(attempt(lambda: socket.create_connection("
            f"('127.0.0.1', {host.port}), timeout=3)))"
        ),
        "memory": (
            "try:\n"
            f"    np.empty({(LIMITS.memory_mb + 1024) * MIB}, dtype=np.uint8)\n"
            "    print('allocated')\n"
            "except MemoryError:\n"
            "    print('MemoryError')"
        ),
        "alive": "print('alive')",
        "file_size": (
            f"print(attempt(lambda: open('big.bin', 'wb').write(bytes({9 * MIB}))))"
        ),
        "fork": (
            "import time\n"
            "children, error = [], None\n"
            "try:\n"
            "    for _ in range(1000):\n"
            "        pid = os.fork()\n"
            "        if pid == 0:\n"
            "            time.sleep(60)\n"
            "            os._exit(0)\n"
            "        children.append(pid)\n"
            "except OSError as exc:\n"
            "    error = exc\n"
            "for pid in children:\n"
            "    os.kill(pid, 9)\n"
            "    os.waitpid(pid, 0)\n"
            "print(len(children), type(error).__name__)"
        ),
        "detach": (
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)',"
            f" {host.child_marker!r}], start_new_session=True)\n"
            "print('started')"
        ),
        "loop": "while True:\n    pass",
        "after_loop": "print('after the loop')",
    }


def run_probes(host: Host, spec: Spec) -> None:
    """Run the probes in one sandboxed kernel; fill in host.answers and observations."""
    cells = probe_cells(host)
    nb = nbformat.v4.new_notebook()
    for name, source in cells.items():
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["probe"] = name
        nb.cells.append(cell)
    client = NotebookClient(
        nb,
        kernel_manager_class=SandboxKernelManager,
        timeout=60,
        timeout_func=lambda cell: LOOP_TIMEOUT if "while True" in cell.source else 60,
        interrupt_on_timeout=True,
        # As nbgrader does: record a timeout and go on, so a failed interrupt fails
        # the test instead of hanging it.
        error_on_timeout=TIMEOUT_ERROR,
        allow_errors=True,
        resources={"metadata": {"path": str(host.cwd)}},
    )
    server = socket.create_server(("127.0.0.1", host.port))
    server.setblocking(False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV, spec.to_json())
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
                if cell.metadata["probe"] == "detach":
                    time.sleep(0.5)
                    running = processes_with(host.child_marker)
                    host.detached_while_running = len(running)
    try:
        server.accept()
        host.connected = True
    except BlockingIOError:
        pass
    server.close()
    deadline = time.monotonic() + 10
    while processes_with(host.child_marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    host.detached_after_shutdown = len(processes_with(host.child_marker))
    host.answers = {c.metadata["probe"]: outputs(c) for c in nb.cells}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """Run the probe notebook once, in a sandbox that hides a secret folder and file."""
    if not sandbox.capabilities()["hidden_paths"]:
        pytest.skip(sandbox.describe())
    marker = f"pgsbx-probe-{uuid.uuid4().hex}"
    ARTIFACTS.mkdir(exist_ok=True)
    secret_dir = ARTIFACTS / f"{marker}-secret"
    secret_dir.mkdir()
    (secret_dir / "secret.txt").write_text("the answer")
    secret_file = ARTIFACTS / f"{marker}.key"
    secret_file.write_text("the key")
    open_dir = ARTIFACTS / f"{marker}-open"
    open_dir.mkdir()
    # Readable and writable by everyone on the host: only the sandbox stops the kernel.
    for path, mode in [(secret_dir, 0o755), (secret_file, 0o644), (open_dir, 0o777)]:
        path.chmod(mode)
    (secret_dir / "secret.txt").chmod(0o644)
    host = Host(
        cwd=tmp_path_factory.mktemp("kernel-cwd"),
        secret_dir=secret_dir,
        secret_file=secret_file,
        open_dir=open_dir,
        host_tmp=tmp_path_factory.mktemp("host-tmp"),
        port=free_port(),
        marker=marker,
        # Not the marker: that names the hidden paths, which the launcher's argv shows.
        child_marker=f"pgsbx-child-{uuid.uuid4().hex}",
        answers={},
    )
    # As the grader does: `shared` stays visible even when the checkout lies under /tmp,
    # which the sandbox replaces with a private one.
    spec = Spec(
        hide=[secret_dir, secret_file, REPO / ".git"],
        reveal=[REPO / "shared"],
        limits=LIMITS,
    )
    try:
        run_probes(host, spec)
        yield host
    finally:
        shutil.rmtree(secret_dir, ignore_errors=True)
        shutil.rmtree(open_dir, ignore_errors=True)
        secret_file.unlink(missing_ok=True)
        (REPO / f"{marker}.txt").unlink(missing_ok=True)


UNREADABLE = ("PermissionError", "FileNotFoundError")


def test_libraries_and_shared_work(probes: Host) -> None:
    """Check that numpy, torch, gymnasium, matplotlib and `shared` work, quietly."""
    assert probes.answers["libraries"] == "2.0", (
        "a normal cell failed in the sandbox (or wrote to stderr, e.g. a matplotlib "
        f"cache warning): {probes.answers['libraries']!r}"
    )
    assert (probes.cwd / "plot.png").is_file()


def test_kernel_runs_as_its_own_user(probes: Host) -> None:
    """Check the kernel's uid and private HOME."""
    uid, home = probes.answers["identity"].split()
    if sandbox.capabilities()["separate_uid"]:
        assert int(uid) >= sandbox.UID_BASE, f"the kernel runs as uid {uid}"
    assert home == str(sandbox.HOME)


def test_hidden_paths_cannot_be_read(probes: Host) -> None:
    """Check that a hidden folder and a hidden file cannot be read."""
    in_dir, single, listing = json.loads(probes.answers["secret"])
    assert in_dir == "FileNotFoundError", f"read the hidden folder's file: {in_dir}"
    # PermissionError where the file is masked; FileNotFoundError when the checkout
    # lies under /tmp, which the kernel does not see at all.
    assert single in UNREADABLE, f"read the hidden file: {single}"
    assert listing in ("ok []", "FileNotFoundError"), (
        f"the hidden folder should look empty (or be absent): {listing}"
    )


def test_writes_outside_cwd_fail(probes: Host) -> None:
    """Check that only the kernel's folder (and its private tmp) is writable."""
    results = json.loads(probes.answers["writes"])
    assert results["cwd"] == "ok 1", f"cannot write in its own folder: {results}"
    for target in ("host_tmp", "repo", "open_dir", "home"):
        assert not results[target].startswith("ok"), f"wrote to {target}: {results}"
    m = probes.marker
    leaked = [
        p
        for p in [
            probes.host_tmp / f"{m}.txt",
            REPO / f"{m}.txt",
            probes.open_dir / f"{m}.txt",
            Path.home() / f"{m}.txt",
            Path("/dev/shm") / f"{m}.txt",
            Path("/var/tmp") / f"{m}.txt",
        ]
        if p.exists()
    ]
    assert not leaked, f"the kernel wrote these host files: {leaked}"
    assert (probes.cwd / "inside.txt").read_text() == "x"


def test_no_network(probes: Host) -> None:
    """Check that the kernel cannot connect to a port listening on the host."""
    assert not probes.answers["network"].startswith("ok"), probes.answers["network"]
    assert not probes.connected, "the host's listening socket accepted a connection"


def test_memory_limit_raises_and_kernel_survives(probes: Host) -> None:
    """Check that allocating past the limit raises MemoryError and the kernel lives."""
    assert probes.answers["memory"] == "MemoryError", probes.answers["memory"]
    assert probes.answers["alive"] == "alive"


def test_file_size_limit(probes: Host) -> None:
    """Check that a file larger than file_mb cannot be written."""
    assert probes.answers["file_size"] == "OSError", probes.answers["file_size"]


def test_fork_bomb_hits_process_limit(probes: Host) -> None:
    """Check that forking without end stops at the process limit with an error."""
    count, error = probes.answers["fork"].split()
    assert error == "BlockingIOError", f"forked {count} times, then: {error}"
    assert int(count) < LIMITS.processes


def test_no_process_outlives_the_kernel(probes: Host) -> None:
    """Check that a detached child is gone once the kernel has shut down."""
    assert probes.answers["detach"] == "started"
    assert probes.detached_while_running == 1, "could not see the child on the host"
    assert probes.detached_after_shutdown == 0, "the detached child survived"


def test_cell_timeout_interrupts(probes: Host) -> None:
    """Check that `while True` is stopped by the cell timeout and the next cell runs."""
    loop = probes.answers["loop"]
    assert loop.startswith("KeyboardInterrupt"), f"the looping cell ended with {loop!r}"
    assert probes.answers["after_loop"] == "after the loop"


# ---------------------------------------------------------------- without a kernel


def test_spec_round_trips_through_json() -> None:
    """Check that a Spec survives the environment variable."""
    spec = Spec(hide=[Path("/a"), Path("/a/b/c")], reveal=[Path("/a/b")])
    spec.limits.tmp_mb = 7
    assert Spec.from_json(spec.to_json()) == spec
    assert Spec.from_env({ENV: spec.to_json()}) == spec
    assert Spec.from_env({}) is None


def test_spec_rejects_relative_paths() -> None:
    """Check that a relative path is refused, since the kernel runs elsewhere."""
    with pytest.raises(ValueError, match="absolute"):
        Spec(hide=[Path("solutions")])


def test_describe_warns_when_protections_are_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Check that the plain fallback is described loudly, protection by protection."""
    monkeypatch.setattr(sandbox, "mode", lambda: "plain")
    text = sandbox.describe()
    assert text.startswith("WARNING")
    assert "NO   hidden paths cannot be read" in text
    assert "NO   no network" in text
    monkeypatch.setattr(sandbox, "mode", lambda: "root")
    assert not sandbox.describe().startswith("WARNING")


def test_manager_without_spec_is_plain(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Check that without PGCOURSE_SANDBOX the kernel command is left alone."""
    monkeypatch.delenv(ENV, raising=False)
    km = SandboxKernelManager(kernel_name="python3")
    cmd, _ = asyncio.run(km.pre_start_kernel(cwd=str(tmp_path)))
    km.cleanup_connection_file()
    assert "ipykernel_launcher" in cmd
    assert "unshare" not in cmd and km.transport == "tcp"


# ---------------------------------------------------------------- other kernels


def test_plain_mode_still_limits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Check the fallback without namespaces: limits hold and interrupts work."""
    if not sandbox.capabilities()["memory_limit"]:
        pytest.skip("this platform does not enforce the address-space limit")
    monkeypatch.setattr(sandbox, "mode", lambda: "plain")
    monkeypatch.setenv(ENV, Spec(limits=LIMITS).to_json())
    sources = [
        "import numpy as np\n"
        "try:\n"
        f"    np.empty({(LIMITS.memory_mb + 1024) * MIB}, dtype=np.uint8)\n"
        "except MemoryError:\n"
        "    print('MemoryError')",
        "while True:\n    pass",
        "print('after the loop')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(
        nb,
        kernel_manager_class=SandboxKernelManager,
        timeout=LOOP_TIMEOUT,
        startup_timeout=60,
        interrupt_on_timeout=True,
        error_on_timeout=TIMEOUT_ERROR,
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    answers = [outputs(c) for c in nb.cells]
    assert answers[0] == "MemoryError", answers
    assert answers[1].startswith("KeyboardInterrupt"), answers
    assert answers[2] == "after the loop", answers


@needs_namespaces
def test_nbgrader_autograde_uses_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Check that configure_nbgrader puts nbgrader's Execute in the sandbox."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = LOOP_TIMEOUT
    sandbox.configure_nbgrader(config)
    pipeline = config.Autograde.autograde_preprocessors
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    assert len(pipeline) == len(default), "configure_nbgrader changed the pipeline"
    execute = next(p for p in pipeline if issubclass(p, Execute))(config=config)
    assert execute.kernel_manager_class is SandboxKernelManager

    secret = ARTIFACTS / f"pgsbx-nbgrader-{uuid.uuid4().hex}"
    ARTIFACTS.mkdir(exist_ok=True)
    secret.write_text("the answer")
    secret.chmod(0o644)
    monkeypatch.setenv(ENV, Spec(hide=[secret]).to_json())
    sources = [
        f"open({str(secret)!r}).read()",
        "while True:\n    pass",
        "print('after the loop')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    try:
        execute.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    finally:
        secret.unlink()
    answers = [outputs(c) for c in nb.cells]
    assert answers[0].startswith(UNREADABLE), answers
    assert answers[1].startswith("KeyboardInterrupt"), answers
    assert answers[2] == "after the loop", answers


MANAGER = """
import asyncio, sys
from autograder.sandbox import SandboxKernelManager

async def main():
    km = SandboxKernelManager(kernel_name="python3")
    await km.start_kernel(cwd=sys.argv[1])
    print(km.connection_file, flush=True)
    await asyncio.sleep(300)

asyncio.run(main())
"""


@needs_namespaces
def test_kernel_dies_with_its_manager(tmp_path: Path) -> None:
    """Check that killing the grading process (an nbgrader timeout) ends the kernel."""
    # A hidden path that does not exist: harmless, and it marks the launcher's argv.
    marker = f"pgsbx-manager-{uuid.uuid4().hex}"
    spec = Spec(hide=[Path("/nonexistent") / marker])
    manager = subprocess.Popen(
        [sys.executable, "-c", MANAGER, str(tmp_path)],
        env={**os.environ, ENV: spec.to_json()},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert manager.stdout is not None
    connection_file = manager.stdout.readline().strip()
    kernel = processes_with(connection_file)
    launcher = processes_with(marker)
    manager.kill()
    manager.wait()
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernel and launcher, "could not find the sandboxed kernel on the host"
    left = processes_with(marker) + processes_with(connection_file)
    assert not left, f"the sandbox outlived the process that started it: pids {left}"
