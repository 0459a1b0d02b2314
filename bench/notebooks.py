"""Benchmark: seconds to execute each solution notebook and to grade one submission.

Prints figures; asserts nothing. The budget is 60 s per notebook on a 2-core CPU. An
empty notebook runs in the same session as a peer, so the kernel's start-up cost is
visible and the ratio to it is less sensitive to how busy the machine is.

    .venv/bin/python bench/notebooks.py [ASSIGNMENT ...]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import course, execute
from autograder.grade import grade

BUDGET_S = 60.0


def _timed_execution(path: Path, env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    nb = execute.execute(path, env=env, timeout=600)
    errors = sum(1 for c in nb.cells if c.cell_type == "code" and execute.error_text(c))
    return time.perf_counter() - start, errors


def main(argv: list[str]) -> None:
    """Time each lecture: full run, grading run, and one graded submission."""
    ids = argv or course.assignments()
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.ipynb"
        nbformat.write(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), empty
        )
        peer, _ = _timed_execution(empty, {})
        print(f"peer: empty notebook (kernel start-up) {peer:.1f} s")
        print(
            f"{'notebook':28} {'full s':>7} {'grading s':>9} {'x peer':>7} {'60 s':>7}"
        )
        for assignment in ids:
            for name in course.notebooks(assignment):
                path = Path(tmp) / assignment / f"{name}.ipynb"
                shutil.copytree(
                    course.SOLUTIONS / assignment, path.parent, dirs_exist_ok=True
                )
                full, err_full = _timed_execution(path, {})
                fast, err_fast = _timed_execution(
                    path, {"NBGRADER_EXECUTION": "autograde"}
                )
                flag = (
                    "ok" if full <= BUDGET_S and not (err_full or err_fast) else "OVER"
                )
                print(
                    f"{name:28} {full:7.1f} {fast:9.1f} {full / peer:7.1f} "
                    f"{flag:>7}{'  (errors!)' if err_full or err_fast else ''}"
                )
            subs = Path(tmp) / "subs" / "student" / assignment
            subs.mkdir(parents=True)
            for name in course.notebooks(assignment):
                shutil.copy(course.SOLUTIONS / assignment / f"{name}.ipynb", subs)
            start = time.perf_counter()
            rows = grade(
                subs.parent.parent, Path(tmp) / "out" / assignment, [assignment]
            )
            took = time.perf_counter() - start
            scores = ", ".join(f"{r.score:g}/{r.max_score:g} {r.status}" for r in rows)
            print(f"grading one {assignment} submission: {took:.1f} s ({scores})")
            shutil.rmtree(subs.parent.parent)


if __name__ == "__main__":
    main(sys.argv[1:])
