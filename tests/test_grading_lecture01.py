"""Lecture 01 through the grading CLI: right code earns points, wrong code does not."""

from __future__ import annotations

import nbformat
import pytest

from autograder import course
from autograder.grade import Row, read_csv
from tests.conftest import run_cli
from tests.mutants import lecture01 as mutants

ASSIGNMENT = mutants.ASSIGNMENT
SOLUTION = course.SOLUTIONS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
RELEASE = course.LECTURES / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _test_ids() -> list[str]:
    nb = nbformat.read(SOLUTION, as_version=4)
    return [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
    ]


def student_version(replacements: dict[str, str]) -> nbformat.NotebookNode:
    """The reference notebook with some solution cells rewritten, as a student would."""
    nb = nbformat.read(SOLUTION, as_version=4)
    unknown = set(replacements) - {c.metadata["nbgrader"]["grade_id"] for c in nb.cells}
    assert not unknown, f"mutants name cells the notebook lacks: {unknown}"
    for cell in nb.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if grade_id in replacements:
            assert cell.metadata["nbgrader"]["solution"], (
                f"{grade_id} is not a solution cell"
            )
            cell.source = replacements[grade_id]
    return nb


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Row]:
    tmp = tmp_path_factory.mktemp("lecture01")
    subs, out = tmp / "submissions", tmp / "out"
    versions = {"reference": nbformat.read(SOLUTION, as_version=4)}
    versions["untouched_release"] = nbformat.read(RELEASE, as_version=4)
    versions |= {f"wrong_{k}": student_version(v) for k, v in mutants.WRONG.items()}
    versions |= {f"right_{k}": student_version(v) for k, v in mutants.CORRECT.items()}
    for student, nb in versions.items():
        folder = subs / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    done = run_cli(
        "grade",
        "--submissions",
        str(subs),
        "--out",
        str(out),
        "--workers",
        "2",
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return {r.student_id: r for r in read_csv(out / "grades.csv")}


def test_reference_solution_earns_full_marks(rows: dict[str, Row]) -> None:
    """Check that the solution notebook scores every point"""
    row = rows["reference"]
    assert row.status == "graded" and row.score == row.max_score > 0, row


def test_untouched_release_scores_zero(rows: dict[str, Row]) -> None:
    """Check that the student version, as released, scores 0 without a crash"""
    row = rows["untouched_release"]
    assert (row.status, row.score) == ("graded", 0), row
    assert row.max_score == rows["reference"].max_score


@pytest.mark.parametrize("name", sorted(mutants.WRONG))
def test_wrong_implementation_loses_its_points(rows: dict[str, Row], name: str) -> None:
    """Check that a plausible wrong implementation loses that exercise's points"""
    row = rows[f"wrong_{name}"]
    target = mutants.LOSES[name]
    assert row.status == "graded", row
    score, max_score = row.parts[target]
    assert score < max_score, f"{name} kept the points of {target}: {row.parts}"


@pytest.mark.parametrize("name", sorted(mutants.CORRECT))
def test_differently_written_solution_keeps_full_marks(
    rows: dict[str, Row], name: str
) -> None:
    """Check that a correct but differently written solution earns every point"""
    row = rows[f"right_{name}"]
    assert row.status == "graded" and row.score == row.max_score, row


def test_every_exercise_has_two_wrong_implementations() -> None:
    """Check that each test cell is targeted by at least two wrong implementations"""
    assert set(mutants.LOSES) == set(mutants.WRONG)
    for test_id in _test_ids():
        count = sum(target == test_id for target in mutants.LOSES.values())
        assert count >= 2, f"{test_id} has {count} wrong implementations, needs 2"


def test_solution_notebook_has_no_saved_outputs() -> None:
    """Check that the source notebook is committed clean (no outputs or errors)"""
    nb = nbformat.read(SOLUTION, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_no_submission_errors_or_times_out(rows: dict[str, Row]) -> None:
    """Check that every submission of the class is graded (no error or timeout)"""
    bad = {k: r for k, r in rows.items() if r.status != "graded"}
    assert not bad, bad
