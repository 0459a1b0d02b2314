"""Score an autograded notebook in the grader's process, not in the student's kernel.

Inside the kernel, hidden tests only *capture* the student's values (see
`autograder.expected`). Here they are compared with the references recorded from
`solutions/`, by code the student's notebook never ran in: monkeypatching ``numpy``,
``torch``, ``shared.checking`` or ``expect`` itself changes nothing, and an object that
"equals everything" never gets this far because it cannot become a float array.

A test cell earns its points only when both hold:

* nbgrader's own verdict on the executed cell (no error, nothing on stderr), and
* every reference key recorded for that cell was captured *while that cell ran* (same
  execution count) and matches within the tolerances recorded with the reference, not
  the ones written at the call site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from shared.checking import check_close

CAPTURE_NAME = ".pgcourse-capture.jsonl"
# Captures beyond this are not read: a student cannot make the grader parse gigabytes.
MAX_CAPTURE_BYTES = 64 * 2**20

NOT_REACHED = (
    "a hidden check in this cell never reached the grader: the cell stopped early, "
    "or `expect` was replaced"
)
MISMATCH = (
    "the visible self-check passed, but hidden tests on other inputs failed: "
    "check edge cases and the exact definition in the exercise"
)

Captures = dict[tuple[str, int | None], list[dict[str, Any]]]


@dataclass
class Verdict:
    """The score of one test cell and, when it lost points, why."""

    grade_id: str
    score: float
    max_score: float
    # Set when the cell ran cleanly but the grader's own checks failed.
    message: str | None


def read_captures(path: Path) -> Captures:
    """Captured values by (key, execution count); unreadable lines are skipped."""
    found: Captures = {}
    if not path.is_file() or path.is_symlink():
        return found
    with path.open("rb") as fh:
        raw = fh.read(MAX_CAPTURE_BYTES + 1)
    if len(raw) > MAX_CAPTURE_BYTES:
        return found
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
            key, count = str(item["key"]), item.get("count")
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(item, dict) and (count is None or isinstance(count, int)):
            found.setdefault((key, count), []).append(item)
    return found


def _matches(reference: dict[str, Any], captured: dict[str, Any]) -> bool:
    if "choice" in reference:
        return captured.get("choice") == reference["choice"]
    try:
        actual = np.asarray(captured["data"], dtype=np.float64)
        actual = actual.reshape([int(n) for n in captured["shape"]])
        expected = np.asarray(reference["data"], dtype=np.float64).reshape(
            reference["shape"]
        )
        check_close(
            "hidden",
            actual,
            expected,
            rtol=float(reference.get("rtol", 1e-6)),
            atol=float(reference.get("atol", 1e-8)),
        )
    except (AssertionError, KeyError, TypeError, ValueError):
        return False
    return True


def grade_id(cell: NotebookNode) -> str | None:
    """The nbgrader grade_id of CELL, if it has one."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def test_cells(nb: NotebookNode) -> list[NotebookNode]:
    """The nbgrader test cells of NB (graded code cells that are not solutions)."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and c.get("metadata", {}).get("nbgrader", {}).get("grade")
        and not c.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]


def score(
    executed: NotebookNode,
    template: NotebookNode,
    references: dict[str, Any],
    captures: Captures,
    assignment: str,
    notebook: str,
) -> list[Verdict]:
    """A verdict for every test cell of TEMPLATE (its points, never the student's)."""
    ran: dict[str | None, NotebookNode] = {}
    for cell in executed.cells:
        ran.setdefault(grade_id(cell), cell)
    verdicts = []
    for reference_cell in test_cells(template):
        gid = str(grade_id(reference_cell))
        points = float(reference_cell.metadata["nbgrader"].get("points", 0))
        cell = ran.get(gid)
        if cell is None or cell.cell_type != "code":
            verdicts.append(Verdict(gid, 0, points, "the test cell did not run"))
            continue
        judged = NotebookNode({**cell, "metadata": reference_cell.metadata})
        got, _ = determine_grade(judged)
        if got is None or got < points:
            # The feedback page explains in-kernel failures from the cell's outputs.
            verdicts.append(Verdict(gid, float(got or 0), points, None))
            continue
        keys = [
            case
            for case, entry in references.items()
            if entry.get("cell") == gid and entry.get("notebook") == notebook
        ]
        if not keys and points > 0:
            # `make release` refuses a test cell without keys, so the references are
            # stale; grading on the kernel's word alone would be cheatable.
            raise RuntimeError(
                f"no recorded reference values for test cell {gid!r} of "
                f"{assignment}/{notebook}: run `make release` to re-record them"
            )
        problem = None
        for case in keys:
            found = captures.get((f"{assignment}/{case}", cell.get("execution_count")))
            if not found:
                problem = NOT_REACHED
                break
            if not all(_matches(references[case], item) for item in found):
                problem = MISMATCH
                break
        verdicts.append(Verdict(gid, 0 if problem else points, points, problem))
    return verdicts
