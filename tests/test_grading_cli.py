"""The grading CLI on a tiny two-part assignment: statuses, scores, feedback."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.grade import Row, read_csv
from autograder.release import generate_release
from tests.conftest import FIXTURES, grade_tiny, run_cli, tiny_student

SOLUTION = FIXTURES / "00_tiny" / "00_tiny.ipynb"


TOTAL_WARNS = """def total(xs):
    import warnings
    warnings.warn("numpy is being noisy", RuntimeWarning, stacklevel=1)
    return float(sum(xs))"""
SQUARE_PRINTS_STDERR = """def square(x):
    import sys
    print("debugging output", file=sys.stderr)
    return x * x"""
SQUARE_LOOPS = """def square(x):
    while True:
        pass"""


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory, tiny_expected: Path
) -> tuple[dict[str, Row], Path, str]:
    tmp = tmp_path_factory.mktemp("grading")
    subs, out = tmp / "submissions", tmp / "out"

    def put(student: str, nb: nbformat.NotebookNode | bytes | None) -> None:
        folder = subs / student / "00_tiny"
        folder.mkdir(parents=True)
        if isinstance(nb, bytes):
            (folder / "00_tiny.ipynb").write_bytes(nb)
        elif nb is not None:
            nbformat.write(nb, folder / "00_tiny.ipynb")

    put("correct", nbformat.read(SOLUTION, as_version=4))
    generate_release("00_tiny", tmp / "release", source=FIXTURES)
    put("untouched_release", nbformat.read(tmp / "release" / "00_tiny.ipynb", 4))
    put("invalid_json", b"{this is not json")
    put("empty_file", b"")
    put("no_cells", nbformat.v4.new_notebook())
    put("no_notebook", None)
    put("warns", tiny_student({"total": TOTAL_WARNS}))
    put("prints_stderr", tiny_student({"square": SQUARE_PRINTS_STDERR}))
    put("loops", tiny_student({"square": SQUARE_LOOPS}))
    put("zoë van der berg", nbformat.read(SOLUTION, as_version=4))
    (subs / "no_folder").mkdir()
    (subs / "no_folder" / "other_course_work").mkdir()

    done = grade_tiny(subs, out, tiny_expected, "--workers", "2", "--timeout", "10")
    rows = {
        r.student_id: r
        for r in read_csv(out / "grades.csv")
        if r.assignment == "00_tiny"
    }
    return rows, out, done.stdout


def test_correct_solution_gets_full_marks(
    graded: tuple[dict[str, Row], Path, str],
) -> None:
    """Check that the reference solution earns every point"""
    rows, _, _ = graded
    for student in ("correct", "zoë van der berg"):
        assert (rows[student].status, rows[student].score) == ("graded", 3), rows[
            student
        ]
        assert rows[student].max_score == 3


def test_untouched_release_scores_zero(
    graded: tuple[dict[str, Row], Path, str],
) -> None:
    """Check that the student version with its stubs is graded, not crashed, at 0"""
    row = graded[0]["untouched_release"]
    assert (row.status, row.score, row.max_score) == ("graded", 0, 3)


@pytest.mark.parametrize(
    ("student", "status", "words"),
    [
        ("invalid_json", "error", "not a readable Jupyter notebook"),
        ("empty_file", "error", "not a readable Jupyter notebook"),
        ("no_cells", "error", "no cells"),
        ("no_notebook", "missing", "no 00_tiny.ipynb"),
        ("no_folder", "missing", "no folder 00_tiny/"),
    ],
)
def test_bad_input_becomes_a_row(
    graded: tuple[dict[str, Row], Path, str], student: str, status: str, words: str
) -> None:
    """Check that each broken submission is a row with a status and a message"""
    row = graded[0][student]
    assert row.status == status and words in row.message, row
    assert row.score == 0 and row.max_score == 3


def test_warnings_on_stderr_cost_nothing(
    graded: tuple[dict[str, Row], Path, str],
) -> None:
    """Check that IgnorePattern keeps a library warning from zeroing a right answer"""
    row = graded[0]["warns"]
    assert row.score == 3 and row.parts["test_total"] == (1, 1), row


def test_other_stderr_output_still_loses_points(
    graded: tuple[dict[str, Row], Path, str],
) -> None:
    """Check that the ignore pattern is narrow: other stderr output still scores 0

    (nbclient merges a cell's stderr into one chunk, so a warning in the same cell
    hides a plain stderr print; test_square has no warning of its own.)
    """
    row = graded[0]["prints_stderr"]
    assert row.parts["test_square"] == (0, 2) and row.parts["test_total"] == (1, 1), row


def test_endless_loop_times_out_and_the_rest_goes_on(
    graded: tuple[dict[str, Row], Path, str],
) -> None:
    """Check that a looping cell is a timeout row and later parts are still graded"""
    row = graded[0]["loops"]
    assert row.status == "timeout" and "time limit" in row.message, row
    assert row.parts == {"test_square": (0, 2), "test_total": (1, 1)}


def test_summary_and_progress_are_printed(
    graded: tuple[dict[str, Row], Path, str],
) -> None:
    """Check that the CLI reports every row and a summary by status"""
    stdout = graded[2]
    assert "12 rows: 5 graded, 2 missing, 4 error, 1 timeout" in stdout, stdout


def test_unknown_folder_is_reported(graded: tuple[dict[str, Row], Path, str]) -> None:
    """Check that a folder that is not an assignment of the course gets an error row"""
    rows = read_csv(graded[1] / "grades.csv")
    extra = [r for r in rows if r.assignment == "other_course_work"]
    assert len(extra) == 1 and "not an assignment of this course" in extra[0].message


def test_feedback_shows_parts_but_never_hidden_tests(
    graded: tuple[dict[str, Row], Path, str],
) -> None:
    """Check that feedback pages list each part's points and hide the hidden tests"""
    _, out, _ = graded
    page = (
        out / "feedback" / "untouched_release" / "00_tiny" / "00_tiny.html"
    ).read_text()
    assert "Part A (2 points): squares" in page and "0 / 2" in page
    assert "not done yet" in page
    for student in ("correct", "untouched_release", "loops", "prints_stderr"):
        page = (out / "feedback" / student / "00_tiny" / "00_tiny.html").read_text()
        assert "square(-4)" not in page and "total([])" not in page
        assert "BEGIN HIDDEN" not in page


def test_validate_exit_codes(tmp_path: Path, tiny_expected: Path) -> None:
    """Check that validate fails on a failing visible test, unlike nbgrader validate"""
    ok = run_cli(
        "validate", str(SOLUTION), env={"PGCOURSE_EXPECTED": str(tiny_expected)}
    )
    assert ok.returncode == 0 and "2 passed, 0 failed" in ok.stdout, ok.stdout
    generate_release("00_tiny", tmp_path / "rel", source=FIXTURES)
    stub = run_cli("validate", str(tmp_path / "rel" / "00_tiny.ipynb"))
    assert stub.returncode == 1 and "[FAIL] test_square" in stub.stdout, stub.stdout
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{nope")
    broken = run_cli("validate", str(bad))
    assert broken.returncode == 2 and "not valid JSON" in broken.stdout, broken.stdout


def test_release_strips_solutions_and_hidden_tests(tmp_path: Path) -> None:
    """Check that the generated student version has stubs and no hidden tests"""
    generate_release("00_tiny", tmp_path / "rel", source=FIXTURES)
    text = (tmp_path / "rel" / "00_tiny.ipynb").read_text()
    assert "raise NotImplementedError()" in text
    for secret in (
        "BEGIN SOLUTION",
        "return x * x",
        "BEGIN HIDDEN TESTS",
        "square(-4)",
    ):
        assert secret not in text


def test_unknown_assignment_is_a_clear_error(tmp_path: Path) -> None:
    """Check that asking for an assignment the course lacks names the known ones"""
    (tmp_path / "s" / "alice").mkdir(parents=True)
    done = run_cli(
        "grade",
        "--submissions",
        str(tmp_path / "s"),
        "--out",
        str(tmp_path / "o"),
        "--source",
        str(FIXTURES),
        "--assignment",
        "99_nope",
    )
    assert (
        done.returncode == 2 and "99_nope" in done.stderr and "00_tiny" in done.stderr
    )
    shutil.rmtree(tmp_path / "s")
