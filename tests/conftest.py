"""Shared helpers for the test suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "solutions"


def run_cli(
    *args: str, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m autograder ARGS` from the repository root."""
    import os

    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def tiny_student(cells: dict[str, str]) -> nbformat.NotebookNode:
    """The tiny fixture's reference with some cells rewritten, as a student would."""
    nb = nbformat.read(FIXTURES / "00_tiny" / "00_tiny.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell.source = cells[grade_id]
    return nb


def grade_tiny(
    subs: Path, out: Path, expected: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`python -m autograder grade` on the tiny fixture course; asserts it exits 0."""
    done = run_cli(
        "grade",
        "--submissions",
        str(subs),
        "--out",
        str(out),
        "--source",
        str(FIXTURES),
        "--expected",
        str(expected),
        *extra,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="session")
def tiny_expected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny fixture's hidden-test references, recorded from its solution."""
    from autograder.release import record_expected

    folder = tmp_path_factory.mktemp("tiny-expected")
    record_expected("00_tiny", folder, source=FIXTURES)
    return folder


def free_port() -> int:
    """A TCP port that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_lab(
    notebook_dir: Path | None = None, lab_args: str = ""
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `make lab` headless on a free port; return the process and its base URL.

    LAB_ARGS are more options for jupyter lab, e.g. `--CourseDirectory.db_url=...`.
    """
    import json
    import time
    import urllib.request

    port = free_port()
    args = f"--no-browser --port {port} --ip 127.0.0.1 --IdentityProvider.token=''"
    args = f"{args} {lab_args}".strip()
    where = [f"LAB_DIR={notebook_dir}"] if notebook_dir is not None else []
    proc = subprocess.Popen(
        ["make", "lab", f"LAB_ARGS={args}", *where],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"{base}/api/status") as r:
                json.load(r)
            return proc, base
        except OSError:
            time.sleep(0.25)
    stop_lab(proc)
    raise RuntimeError("JupyterLab did not answer within 60 s")


def stop_lab(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started by start_lab, with its whole process group."""
    import os
    import signal

    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
