"""Grade a folder of submissions: DIR/<student_id>/<assignment>/<notebook>.ipynb.

Each (student, assignment) is autograded by nbgrader in its own scratch course
directory, copied from a template prepared once per assignment, so workers never share
a gradebook (SQLite is unsafe under concurrent writers) and one broken submission
cannot stop the batch: it becomes a row with a status and a message.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from autograder import course, feedback
from autograder.execute import TIMEOUT, error_text

STATUSES = ("graded", "missing", "error", "timeout")


@dataclass
class Row:
    """One line of grades.csv."""

    student_id: str
    assignment: str
    notebook: str
    score: float
    max_score: float
    status: str
    message: str
    # grade_id -> (score, max_score) of each test cell; written to parts.csv
    parts: dict[str, tuple[float, float]] = field(default_factory=dict, compare=False)


COLUMNS = [
    "student_id",
    "assignment",
    "notebook",
    "score",
    "max_score",
    "status",
    "message",
]


@dataclass
class Task:
    """One student's submission of one assignment."""

    number: int
    student: str
    assignment: str
    folder: Path


def _nbgrader_errors(output: str, limit: int = 3) -> str:
    lines = [ln for ln in output.splitlines() if "ERROR" in ln or "Error" in ln]
    return " | ".join(ln.strip()[:300] for ln in lines[:limit]) or output.strip()[-300:]


def prepare_template(root: Path, assignment: str, source: Path, timeout: int) -> None:
    """A scratch course with the assignment generated into its own gradebook."""
    shutil.copytree(source / assignment, root / "source" / assignment)
    course.write_config(root, timeout)
    done = course.run_nbgrader(root, "generate_assignment", assignment, "--force")
    if done.returncode != 0:
        raise RuntimeError(
            f"nbgrader could not generate {assignment!r} from {source}: "
            + _nbgrader_errors(done.output)
        )


def _check_notebook(path: Path) -> str | None:
    """Why PATH is not a gradable notebook, or None."""
    if path.is_symlink():
        return "the notebook is a symbolic link; submit the file itself"
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - any parse failure is the student's file
        return (
            f"not a readable Jupyter notebook ({type(err).__name__}: {str(err)[:200]})"
        )
    if not nb.cells:
        return "the notebook has no cells"
    return None


def grade_task(
    task: Task,
    template: Path,
    source: Path,
    out: Path,
    scratch: Path,
    notebook_timeout: float,
) -> list[Row]:
    """Autograde one (student, assignment) and write its feedback pages."""
    names = course.notebooks(task.assignment, source)
    rows: dict[str, Row] = {}
    root = scratch / f"task{task.number:05d}"
    shutil.copytree(template, root)
    sid = f"student{task.number:05d}"  # nbgrader-safe id; the real one goes in the csv
    target = root / "submitted" / sid / task.assignment
    target.mkdir(parents=True)
    present = []
    for name in names:
        path = task.folder / f"{name}.ipynb"
        if not path.exists():
            rows[name] = Row(
                task.student,
                task.assignment,
                name,
                0,
                0,
                "missing",
                f"no {name}.ipynb in the submission",
            )
            continue
        problem = _check_notebook(path)
        if problem:
            rows[name] = Row(
                task.student, task.assignment, name, 0, 0, "error", problem
            )
            continue
        shutil.copyfile(path, target / f"{name}.ipynb")
        present.append(name)
    if not present:
        return _fill_max(list(rows.values()), template, task.assignment)

    done = course.run_nbgrader(
        root,
        "autograde",
        task.assignment,
        "--student",
        sid,
        "--create",
        "--force",
        timeout=notebook_timeout,
    )
    for name in present:
        graded = root / "autograded" / sid / task.assignment / f"{name}.ipynb"
        if done.timed_out:
            rows[name] = Row(
                task.student,
                task.assignment,
                name,
                0,
                0,
                "timeout",
                f"grading stopped after {notebook_timeout:g} s for the "
                "whole notebook; look for an endless loop",
            )
        elif done.returncode != 0 or not graded.exists():
            rows[name] = Row(
                task.student,
                task.assignment,
                name,
                0,
                0,
                "error",
                "nbgrader could not grade it: " + _nbgrader_errors(done.output),
            )
        else:
            rows[name] = _score(root, sid, task, name, graded, out)
    return _fill_max([rows[n] for n in names], template, task.assignment)


def _score(root: Path, sid: str, task: Task, name: str, graded: Path, out: Path) -> Row:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(name, task.assignment, sid)
        scores = {g.name: (float(g.score or 0), float(g.max_score)) for g in sub.grades}
        total, possible = float(sub.score), float(sub.max_score)
    nb = nbformat.read(graded, as_version=4)
    timeouts = [c for c in nb.cells if (error_text(c) or "").startswith(TIMEOUT)]
    status = "timeout" if timeouts else "graded"
    message = (
        f"{len(timeouts)} cell(s) ran past the per-cell time limit"
        if timeouts
        else f"{sum(s >= m for s, m in scores.values())}/{len(scores)} tests passed"
    )
    page = out / "feedback" / task.student / task.assignment / f"{name}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    title = f"{task.assignment} / {name} — {task.student}"
    page.write_text(feedback.render(title, feedback.parts(nb, scores), status, message))
    return Row(
        task.student, task.assignment, name, total, possible, status, message, scores
    )


def _fill_max(rows: list[Row], template: Path, assignment: str) -> list[Row]:
    """Ungraded rows still report the assignment's maximum score."""
    with Gradebook(f"sqlite:///{template / 'gradebook.db'}") as gb:
        maxima = {
            nb.name: float(nb.max_score)
            for nb in gb.find_assignment(assignment).notebooks
        }
    for row in rows:
        if row.status in ("missing", "error") or row.max_score == 0:
            row.max_score = maxima.get(row.notebook, row.max_score)
    return rows


def find_tasks(
    submissions: Path, wanted: list[str] | None, source: Path
) -> tuple[list[Task], list[Row]]:
    """Every (student, assignment) to grade, and rows for what cannot be graded."""
    known = course.assignments(source)
    unknown = sorted(set(wanted or []) - set(known))
    if unknown:
        raise SystemExit(f"unknown assignment(s) {unknown}; {source} has {known}")
    students = sorted(
        p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    found = {a.name for s in students for a in s.iterdir() if a.is_dir()}
    chosen = wanted or sorted(found & set(known))
    tasks: list[Task] = []
    rows: list[Row] = []
    for student in students:
        for assignment in chosen:
            folder = student / assignment
            if folder.is_dir() and not folder.is_symlink():
                tasks.append(Task(len(tasks), student.name, assignment, folder))
            else:
                for name in course.notebooks(assignment, source):
                    rows.append(
                        Row(
                            student.name,
                            assignment,
                            name,
                            0,
                            0,
                            "missing",
                            f"no folder {assignment}/ for this student",
                        )
                    )
        if not wanted:
            for extra in sorted(
                {a.name for a in student.iterdir() if a.is_dir()} - set(known)
            ):
                rows.append(
                    Row(
                        student.name,
                        extra,
                        "",
                        0,
                        0,
                        "error",
                        f"{extra!r} is not an assignment of this course ({known})",
                    )
                )
    return tasks, rows


def grade(
    submissions: Path,
    out: Path,
    wanted: list[str] | None = None,
    *,
    workers: int = 1,
    timeout: int = 120,
    notebook_timeout: float = 1800,
    source: Path = course.SOLUTIONS,
    progress: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Grade every submission; write OUT/grades.csv and OUT/feedback/; return rows."""
    tasks, rows = find_tasks(submissions, wanted, source)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pgcourse-grade-") as tmp:
        scratch = Path(tmp)
        templates: dict[str, Path] = {}
        for assignment in sorted({t.assignment for t in tasks} | set(wanted or [])):
            templates[assignment] = scratch / f"template-{assignment}"
            prepare_template(templates[assignment], assignment, source, timeout)
        for row in rows:
            if row.assignment in templates:
                _fill_max([row], templates[row.assignment], row.assignment)

        def run(task: Task) -> list[Row]:
            try:
                result = grade_task(
                    task,
                    templates[task.assignment],
                    source,
                    out,
                    scratch,
                    notebook_timeout,
                )
            except Exception as err:  # noqa: BLE001 - one bad submission never stops the batch
                result = [
                    Row(
                        task.student,
                        task.assignment,
                        name,
                        0,
                        0,
                        "error",
                        f"grader failure: {type(err).__name__}: {err}",
                    )
                    for name in course.notebooks(task.assignment, source)
                ]
            for row in result:
                if progress:
                    progress(row)
            return result

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for result in pool.map(run, tasks):
                rows.extend(result)
    rows.sort(key=lambda r: (r.student_id, r.assignment, r.notebook))
    write_csv(out / "grades.csv", rows)
    return rows


def write_csv(path: Path, rows: list[Row]) -> None:
    """grades.csv, and parts.csv beside it with the points of every test cell."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    r.student_id,
                    r.assignment,
                    r.notebook,
                    f"{r.score:g}",
                    f"{r.max_score:g}",
                    r.status,
                    r.message,
                ]
            )
    with path.with_name("parts.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["student_id", "assignment", "notebook", "grade_id", "score", "max_score"]
        )
        for r in rows:
            for grade_id, (score, max_score) in r.parts.items():
                writer.writerow(
                    [
                        r.student_id,
                        r.assignment,
                        r.notebook,
                        grade_id,
                        f"{score:g}",
                        f"{max_score:g}",
                    ]
                )


def read_csv(path: Path) -> list[Row]:
    """Rows of a grades.csv (with their parts from parts.csv when it is there)."""
    parts: dict[tuple[str, str, str], dict[str, tuple[float, float]]] = {}
    if path.with_name("parts.csv").exists():
        with path.with_name("parts.csv").open(newline="", encoding="utf-8") as fh:
            for p in csv.DictReader(fh):
                key = (p["student_id"], p["assignment"], p["notebook"])
                parts.setdefault(key, {})[p["grade_id"]] = (
                    float(p["score"]),
                    float(p["max_score"]),
                )
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            Row(
                r["student_id"],
                r["assignment"],
                r["notebook"],
                float(r["score"]),
                float(r["max_score"]),
                r["status"],
                r["message"],
                parts.get((r["student_id"], r["assignment"], r["notebook"]), {}),
            )
            for r in csv.DictReader(fh)
        ]
