"""Where the course lives, and how to call nbgrader on a throwaway course directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox import ENV, Spec

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
LECTURES = REPO / "lectures"

# Warnings that libraries print on stderr (torch, gymnasium, matplotlib) must never zero
# a correct answer: nbgrader scores a test cell 0 when it wrote anything to stderr, so
# autograding drops stderr chunks that match this pattern first.
IGNORE_STDERR_PATTERN = r"(?i)warn"


def nbgrader_config(timeout: int) -> str:
    """The nbgrader_config.py of a scratch course directory."""
    return "\n".join(
        [
            "c = get_config()  # noqa: F821",
            'c.CourseDirectory.course_id = "pgcourse"',
            "c.IgnorePattern.enabled = True",
            f"c.IgnorePattern.pattern = {IGNORE_STDERR_PATTERN!r}",
            f"c.Execute.timeout = {int(timeout)}",
            "c.Execute.interrupt_on_timeout = True",
            # Huge outputs are cut in the autograded notebook, so never stored whole.
            "c.LimitOutput.max_lines = 1000",
            "c.LimitOutput.max_traceback = 100",
            # Kernels start in autograder.sandbox when PGCOURSE_SANDBOX is set.
            "from autograder.sandbox import configure_nbgrader",
            "configure_nbgrader(c)",
            "",
        ]
    )


def assignments(source: Path = SOLUTIONS) -> list[str]:
    """Assignment ids: one folder per lecture in the source directory."""
    if not source.is_dir():
        return []
    return sorted(
        p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))
    )


def notebooks(assignment: str, source: Path = SOLUTIONS) -> list[str]:
    """Notebook names (without .ipynb) of one assignment."""
    return sorted(p.stem for p in (source / assignment).glob("*.ipynb"))


def write_config(root: Path, timeout: int = 120) -> None:
    """Write nbgrader_config.py for a scratch course directory."""
    (root / "nbgrader_config.py").write_text(nbgrader_config(timeout))


def with_bin(path: str) -> str:
    """PATH with this interpreter's bin folder first (nbgrader's helpers live there)."""
    return os.pathsep.join([str(Path(sys.executable).parent), path])


@dataclass
class Completed:
    """The outcome of one nbgrader command."""

    returncode: int
    output: str
    timed_out: bool = False


def run_nbgrader(
    root: Path,
    *args: str,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    sandbox: Spec | None = None,
) -> Completed:
    """Run `nbgrader ARGS` in course ROOT; kill its process group on timeout.

    With SANDBOX, the kernels nbgrader starts run in `autograder.sandbox` with that
    spec (the course's nbgrader_config.py installs the sandboxing kernel manager).
    """
    cmd = [
        sys.executable,
        "-m",
        "nbgrader",
        *args,
        "--CourseDirectory.root=" + str(root),
    ]
    if sandbox is not None:
        env = {**(env or {}), ENV: sandbox.to_json()}
    proc = subprocess.Popen(
        cmd,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # nbgrader calls helper programs (alembic) that live next to this interpreter.
        env={
            **os.environ,
            "PATH": with_bin(os.environ.get("PATH", "")),
            **(env or {}),
        },
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        return Completed(proc.returncode, out)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return Completed(-9, out or "", timed_out=True)
