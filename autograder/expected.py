"""Reference values for hidden tests, recorded from `solutions/`, never typed by hand.

A hidden test cell calls ``expect("01_score_function/part_a/random_4x3", value)``.

* When ``PGCOURSE_RECORD`` names a directory, the call *records* ``value`` (the
  reference solution's output) into ``<dir>/<assignment>.json``.
  ``python -m autograder release`` does this by executing every solution notebook,
  so the references always come from ``solutions/`` and a test fails when the
  committed files are stale.
* When ``PGCOURSE_CAPTURE`` names a file (grading), the call only *captures* the
  student's value, converted to a plain float array, into that file. The grader then
  compares it with the reference *outside* the kernel (`autograder.verify`), so code in
  the notebook can neither read the reference nor fool the comparison by
  monkeypatching ``expect``, ``numpy`` or ``shared.checking``.
* Otherwise (nbval on solutions/) the call *compares* ``value`` with the recorded one,
  using ``shared.checking`` on plain float arrays.

Every recorded entry also stores the tolerances and the execution count of the cell
that made the call; `autograder.release` turns that count into the cell's grade_id, so
the grader knows which keys each test cell must produce.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from shared.checking import check_close

EXPECTED_DIR = Path(__file__).resolve().parent / "expected"
RECORD_ENV = "PGCOURSE_RECORD"
CAPTURE_ENV = "PGCOURSE_CAPTURE"
# Points compare mode at another folder of references (the grading tests' fixtures).
EXPECTED_ENV = "PGCOURSE_EXPECTED"


def _cell_count() -> int | None:
    # IPython bumps its counter before running a cell, so while cell In[n] runs the
    # counter already reads n + 1.
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        return None
    shell = get_ipython()
    return int(shell.execution_count) - 1 if shell is not None else None


def _capture(key: str, entry: dict[str, Any]) -> None:
    _split(key)
    line = json.dumps({"key": key, "count": _cell_count(), **entry})
    with open(os.environ[CAPTURE_ENV], "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _split(key: str) -> tuple[str, str]:
    assignment, sep, case = key.partition("/")
    if not sep or not case:
        raise ValueError(f"expected key {key!r} must look like 'assignment/case'")
    return assignment, case


def _as_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def _plain(key: str, value: Any) -> dict[str, Any]:
    """A JSON entry for VALUE as a plain float array; teaches when it is not numeric."""
    if value is None:
        raise AssertionError(
            f"{_split(key)[1]}: got None; did the function forget to `return`?"
        )
    try:
        array = _as_array(value)
    except (TypeError, ValueError) as err:
        raise AssertionError(
            f"{_split(key)[1]}: expected numbers (a float, array or tensor), got "
            f"{type(value).__name__} that cannot be converted: {err}"
        ) from err
    return {"shape": list(array.shape), "data": array.ravel().tolist()}


def _record(key: str, entry: dict[str, Any]) -> None:
    assignment, case = _split(key)
    path = Path(os.environ[RECORD_ENV]) / f"{assignment}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    table = json.loads(path.read_text()) if path.exists() else {}
    table[case] = entry
    path.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")


def load(assignment: str, directory: Path | None = None) -> dict[str, Any]:
    """All recorded reference values of one assignment (grading, all lectures)."""
    folder = directory or Path(os.environ.get(EXPECTED_ENV) or EXPECTED_DIR)
    path = folder / f"{assignment}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"no recorded reference values for {assignment!r} at {path}: "
            "run `make release` to record them from solutions/"
        )
    return json.loads(path.read_text())


def _lookup(key: str) -> dict[str, Any]:
    assignment, case = _split(key)
    table = load(assignment)
    if case not in table:
        raise KeyError(
            f"no recorded reference for {key!r}: run `make release` to re-record "
            "the reference values from solutions/"
        )
    return table[case]


def expect(
    key: str,
    actual: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hint: str | None = None,
) -> None:
    """Compare a result with the reference recorded from solutions/ (all lectures)."""
    if os.environ.get(RECORD_ENV):
        entry = _plain(key, actual)
        _record(key, {**entry, "rtol": rtol, "atol": atol, "count": _cell_count()})
        return
    if os.environ.get(CAPTURE_ENV):
        _capture(key, _plain(key, actual))
        return
    entry = _lookup(key)
    expected = np.asarray(entry["data"], dtype=np.float64).reshape(entry["shape"])
    check_close(_split(key)[1], actual, expected, rtol=rtol, atol=atol, hint=hint)


def expect_choice(key: str, answer: Iterable[int]) -> None:
    """Compare a multiple-choice answer (a set of option numbers) with the reference."""
    if os.environ.get(RECORD_ENV):
        _record(key, {"choice": sorted(int(x) for x in answer), "count": _cell_count()})
        return
    try:
        given = sorted({int(x) for x in answer})
    except (TypeError, ValueError) as err:
        raise AssertionError(
            f"{_split(key)[1]}: the answer must be a set of option numbers, "
            f"such as {{1, 3}}; got {answer!r}"
        ) from err
    if os.environ.get(CAPTURE_ENV):
        _capture(key, {"choice": given})
        return
    if given != _lookup(key)["choice"]:
        raise AssertionError(
            f"{_split(key)[1]}: {set(given) or '{}'} is not the right selection. "
            "Re-read the options: each is either always true or has a counterexample."
        )
