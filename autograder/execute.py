"""Execute a notebook with a fresh kernel and read the verdict of its test cells."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# On a cell timeout the kernel is interrupted: the cell shows KeyboardInterrupt, or
# nbclient's CellTimeoutError when the kernel did not answer at all.
TIMEOUT_ERRORS = ("CellTimeoutError", "KeyboardInterrupt")
TIMEOUT = "Timeout"


@contextmanager
def environment(extra: dict[str, str]) -> Iterator[None]:
    # The kernel inherits this process's environment when it starts.
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute(
    path: Path, *, env: dict[str, str] | None = None, timeout: int = 120
) -> NotebookNode:
    """Run every cell of PATH in its own folder, keep going past errors, return it."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    with environment(env or {}):
        client.execute()
    return nb


def error_text(cell: NotebookNode) -> str | None:
    """`Name: message` of the first error a code cell raised, or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            name = output.get("ename", "Error")
            if name in TIMEOUT_ERRORS:
                return f"{TIMEOUT}: the cell ran past the per-cell time limit"
            if name == "NotImplementedError":
                return (
                    "NotImplementedError: this part is not done yet; replace "
                    "`raise NotImplementedError()` with your code"
                )
            return f"{name}: {_ANSI.sub('', output.get('evalue', ''))}"
    return None


@dataclass
class TestResult:
    """What one nbgrader test cell reported."""

    grade_id: str
    points: float
    passed: bool
    message: str | None


def test_results(nb: NotebookNode) -> list[TestResult]:
    """The verdict of every test cell (nbgrader `grade: true` code cell)."""
    results = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        err = error_text(cell)
        results.append(
            TestResult(
                meta.get("grade_id", "?"),
                float(meta.get("points", 0)),
                err is None,
                err,
            )
        )
    return results
