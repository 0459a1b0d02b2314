"""A student's self-check from the shell: run the notebook, report the visible tests."""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder import execute


def validate(path: Path, timeout: int = 300) -> int:
    """Print each test verdict; return 0 if all pass, 1 if one fails, 2 on bad input."""
    if not path.is_file():
        print(f"error: {path} does not exist")
        return 2
    try:
        nb = execute.execute(
            path, env={"NBGRADER_EXECUTION": "validate"}, timeout=timeout
        )
    except nbformat.reader.NotJSONError:
        print(f"error: {path} is not a Jupyter notebook (it is not valid JSON)")
        return 2
    except Exception as err:  # noqa: BLE001 - report, don't crash, on any unreadable file
        print(f"error: could not run {path}: {type(err).__name__}: {err}")
        return 2
    results = execute.test_results(nb)
    if not results:
        print(f"error: {path} has no test cells (nbgrader `grade` cells) to check")
        return 2
    for r in results:
        mark = "PASS" if r.passed else "FAIL"
        print(f"[{mark}] {r.grade_id} ({r.points:g} points)")
        if r.message:
            print("       " + r.message.replace("\n", "\n       "))
    failed = [r for r in results if not r.passed]
    earned = sum(r.points for r in results if r.passed)
    print(
        f"{len(results) - len(failed)} passed, {len(failed)} failed "
        f"({earned:g}/{sum(r.points for r in results):g} points from visible tests; "
        "hidden tests run only when your work is graded)"
    )
    return 1 if failed else 0
