"""Generate `lectures/` and the hidden tests' reference values from `solutions/`."""

from __future__ import annotations

import filecmp
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from nbformat import NotebookNode

from autograder import course, execute, index
from autograder.expected import EXPECTED_DIR, RECORD_ENV
from autograder.verify import grade_id, test_cells


def generate_release(
    assignment: str, dest: Path, source: Path = course.SOLUTIONS
) -> None:
    """Run nbgrader generate_assignment in a scratch course; copy its release."""
    with tempfile.TemporaryDirectory(prefix="pgcourse-release-") as tmp:
        root = Path(tmp)
        shutil.copytree(source / assignment, root / "source" / assignment)
        course.write_config(root)
        done = course.run_nbgrader(root, "generate_assignment", assignment, "--force")
        released = root / "release" / assignment
        if done.returncode != 0 or not released.is_dir():
            raise RuntimeError(
                f"nbgrader generate_assignment {assignment} failed:\n{done.output}"
            )
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(released, dest)


def _attribute_cells(table: dict, nb: NotebookNode, name: str, label: str) -> None:
    """Replace each new entry's execution count by the grade_id of the cell it ran in.

    The grader later asks, for every test cell, whether the keys recorded here were all
    captured in that cell and match; a test cell without keys could only be judged
    inside the student's kernel, so that is an error.
    """
    by_count = {
        c.execution_count: grade_id(c) for c in nb.cells if c.cell_type == "code"
    }
    for entry in table.values():
        if "count" in entry:
            entry["cell"] = by_count.get(entry.pop("count"))
            entry["notebook"] = name
    covered = {e.get("cell") for e in table.values() if e.get("notebook") == name}
    bare = [
        g
        for c in test_cells(nb)
        if float(c.metadata["nbgrader"].get("points", 0)) > 0
        and (g := grade_id(c)) not in covered
    ]
    if bare:
        raise RuntimeError(
            f"{label}: test cell(s) {bare} call no expect()/expect_choice() in their "
            "hidden tests, so the grader could not check them outside the kernel"
        )


def record_expected(
    assignment: str, dest: Path, source: Path = course.SOLUTIONS
) -> None:
    """Execute the solutions in record mode and write DEST/<assignment>.json."""
    with tempfile.TemporaryDirectory(prefix="pgcourse-record-") as tmp:
        work, record = Path(tmp) / assignment, Path(tmp) / "record"
        shutil.copytree(source / assignment, work)
        recorded = record / f"{assignment}.json"
        table: dict = {}
        for name in course.notebooks(assignment, source):
            nb = execute.execute(
                work / f"{name}.ipynb",
                env={RECORD_ENV: str(record), "NBGRADER_EXECUTION": "autograde"},
            )
            errors = [
                f"cell {i}: {err}"
                for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and (err := execute.error_text(c))
            ]
            if errors:
                raise RuntimeError(
                    f"solution {assignment}/{name} does not run cleanly: "
                    + "; ".join(errors)
                )
            table = json.loads(recorded.read_text()) if recorded.exists() else {}
            _attribute_cells(table, nb, name, f"{assignment}/{name}")
            if table:
                recorded.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
        dest.mkdir(parents=True, exist_ok=True)
        if table:
            shutil.copyfile(recorded, dest / f"{assignment}.json")


def _compare_tree(new: Path, committed: Path) -> list[str]:
    """Files of the committed release that differ from, or are missing in, NEW."""
    names = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    if committed.is_dir():
        names |= {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()}
    return [
        f"lectures/{committed.name}/{name.as_posix()} is out of date"
        for name in sorted(names)
        if not (
            (new / name).is_file()
            and (committed / name).is_file()
            and filecmp.cmp(new / name, committed / name, shallow=False)
        )
    ]


def _same_values(a: dict, b: dict) -> list[str]:
    """Keys whose recorded values differ (floats compared to 1e-9 relative)."""
    diffs = sorted(set(a) ^ set(b))
    for key in sorted(set(a) & set(b)):
        x, y = a[key], b[key]
        if x.get("cell") != y.get("cell"):
            same = False
        elif "choice" in x or "choice" in y:
            same = x == y
        else:
            same = x["shape"] == y["shape"] and np.allclose(
                x["data"], y["data"], rtol=1e-9, atol=1e-12, equal_nan=True
            )
        if not same:
            diffs.append(key)
    return diffs


def release(assignments: list[str] | None = None, *, check: bool = False) -> list[str]:
    """Regenerate (or with CHECK, compare) lectures/ and autograder/expected/.

    Returns the problems found; empty means everything is (now) in sync. The lecture
    index (lectures/README.md) is regenerated or checked when no assignment is named.
    """
    problems: list[str] = []
    if not assignments:
        readme = course.LECTURES / "README.md"
        text = index.render()
        if not check:
            readme.parent.mkdir(exist_ok=True)
            readme.write_text(text)
        elif not readme.exists() or readme.read_text() != text:
            problems.append("lectures/README.md (the lecture index) is out of date")
    for assignment in assignments or course.assignments():
        with tempfile.TemporaryDirectory(prefix="pgcourse-check-") as tmp:
            lecture_dest = (
                Path(tmp) / "lecture" if check else course.LECTURES / assignment
            )
            expected_dest = Path(tmp) / "expected" if check else EXPECTED_DIR
            generate_release(assignment, lecture_dest)
            record_expected(assignment, expected_dest)
            if not check:
                continue
            problems += _compare_tree(lecture_dest, course.LECTURES / assignment)
            new = expected_dest / f"{assignment}.json"
            old = EXPECTED_DIR / f"{assignment}.json"
            if new.exists() != old.exists():
                problems.append(
                    f"autograder/expected/{assignment}.json is missing or extra"
                )
            elif new.exists():
                for key in _same_values(
                    json.loads(new.read_text()), json.loads(old.read_text())
                ):
                    problems.append(
                        f"autograder/expected/{assignment}.json: {key} is stale"
                    )
    return problems
