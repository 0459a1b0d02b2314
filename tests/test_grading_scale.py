"""Many submissions: serial, parallel and Dask runs; kill-and-resume; the gradebook."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.grade import JOURNAL, Row, read_csv
from autograder.release import generate_release
from tests.conftest import FIXTURES, REPO, grade_tiny, tiny_student

SOLUTION = FIXTURES / "00_tiny" / "00_tiny.ipynb"
WRONG_SQUARE = "def square(x):\n    return x + x\n"


def _class(folder: Path, release: Path) -> None:
    """Six students: right, wrong, untouched, and right again under odd names."""
    right = nbformat.read(SOLUTION, as_version=4)
    wrong = tiny_student({"square": WRONG_SQUARE})
    untouched = nbformat.read(release / "00_tiny.ipynb", as_version=4)
    for name, nb in [
        ("ada", right),
        ("bo", wrong),
        ("cy", untouched),
        ("dee", right),
        ("émile", wrong),
        ("fay lee", right),
    ]:
        (folder / name / "00_tiny").mkdir(parents=True)
        nbformat.write(nb, folder / name / "00_tiny" / "00_tiny.ipynb")


def _grade(subs: Path, out: Path, expected: Path, *extra: str) -> str:
    return grade_tiny(subs, out, expected, "--timeout", "20", *extra).stdout


def _table(out: Path) -> list[tuple[str, ...]]:
    return [
        (r.student_id, r.notebook, f"{r.score:g}", r.status, r.message)
        for r in read_csv(out / "grades.csv")
    ]


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory, tiny_expected: Path
) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("scale")
    generate_release("00_tiny", tmp / "release", source=FIXTURES)
    _class(tmp / "subs", tmp / "release")
    _grade(tmp / "subs", tmp / "serial", tiny_expected, "--workers", "1")
    return tmp, tmp / "subs", tmp / "serial"


def test_serial_grades_are_right(setup: tuple[Path, Path, Path]) -> None:
    """Check the serial run's scores: right 3, wrong 1, untouched 0"""
    scores = {row[0]: row[2] for row in _table(setup[2])}
    assert scores == {
        "ada": "3",
        "bo": "1",
        "cy": "0",
        "dee": "3",
        "émile": "1",
        "fay lee": "3",
    }


def test_master_gradebook_matches_the_csv(setup: tuple[Path, Path, Path]) -> None:
    """Check that gradebook.db (one writer) holds the same totals as grades.csv"""
    from nbgrader.api import Gradebook

    from autograder.course import with_bin
    from autograder.execute import environment

    rows: list[Row] = read_csv(setup[2] / "grades.csv")
    with (
        environment({"PATH": with_bin(os.environ["PATH"])}),
        Gradebook(f"sqlite:///{setup[2] / 'gradebook.db'}") as gb,
    ):
        for row in rows:
            sub = gb.find_submission_notebook("00_tiny", "00_tiny", row.student_id)
            assert (sub.score, sub.max_score) == (row.score, row.max_score), row


def test_kill_and_resume_gives_the_serial_grades(
    setup: tuple[Path, Path, Path], tiny_expected: Path
) -> None:
    """Check that a run killed midway resumes, skips finished work, adds no duplicate"""
    tmp, subs, serial = setup
    out = tmp / "resumed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", "--submissions", str(subs)]
        + ["--out", str(out), "--source", str(FIXTURES), "--workers", "2"]
        + ["--expected", str(tiny_expected), "--timeout", "20"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    journal = out / JOURNAL
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 1:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = journal.read_text().count("\n")
    assert 1 <= finished < 6, f"the kill came too late to test resuming ({finished})"
    stdout = _grade(subs, out, tiny_expected, "--workers", "2")
    assert f"resuming: {finished} of 6 already graded" in stdout, stdout
    assert _table(out) == _table(serial)
    again = _grade(subs, out, tiny_expected, "--regrade")
    assert "resuming" not in again and _table(out) == _table(serial)


def test_dask_local_cluster_gives_the_serial_grades(
    setup: tuple[Path, Path, Path], tiny_expected: Path
) -> None:
    """Check that --scheduler fans the tasks out to Dask workers, same grades"""
    from dask.distributed import LocalCluster

    tmp, subs, serial = setup
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        _grade(
            subs, tmp / "dask", tiny_expected, "--scheduler", cluster.scheduler_address
        )
    assert _table(tmp / "dask") == _table(serial)
