"""Grade one student's submission of one assignment: the unit of work of a grading run.

`grade_task` runs in a worker (a thread of this process, or a Dask worker) and writes
nothing outside its own scratch course directory. It returns the rows and the feedback
pages; the main process alone writes them to the output folder and the gradebook.

Inside the scratch course, nbgrader autogrades the prepared notebook with the kernel in
a sandbox (`autograder.sandbox`); the score then comes from `autograder.verify`, which
reads the executed notebook and the captured values, never the scratch gradebook the
student's code could have written to.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import course, feedback, normalise, verify
from autograder.execute import TIMEOUT, error_text
from autograder.expected import CAPTURE_ENV
from autograder.rows import Row
from autograder.sandbox import Spec


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs, picklable for Dask."""

    source: Path
    expected: Path
    scratch: Path
    timeout: int = 120
    notebook_timeout: float = 1800
    # Paths a sandboxed kernel must not see besides the course's own (submissions, OUT);
    # None runs kernels without a sandbox (trusted code only).
    hide: tuple[Path, ...] | None = ()

    def sandbox(self) -> Spec | None:
        """What the kernel may see: the library and Python, not the references."""
        if self.hide is None:
            return None
        repo = course.REPO
        hidden = [repo, repo / "autograder" / "expected", self.scratch]
        hidden += [self.source, self.expected, *self.hide]
        return Spec(hide=hidden, reveal=[repo / "shared", repo / "autograder"])


@dataclass
class Task:
    """One student's submission of one assignment."""

    number: int
    student: str
    assignment: str
    folder: Path

    @property
    def key(self) -> str:
        """A stable name for the resume journal."""
        return json.dumps([self.student, self.assignment])


@dataclass
class Result:
    """What a worker hands back: rows, and feedback pages by relative path."""

    key: str
    fingerprint: str
    rows: list[Row]
    pages: dict[str, str] = field(default_factory=dict)
    # False when the grader itself failed: a resumed run tries the task again.
    final: bool = True


_templates: dict[tuple[str, str, int], Path] = {}
_templates_lock = threading.Lock()


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


def template(settings: Settings, assignment: str) -> Path:
    """This process's template course for ASSIGNMENT (prepared once, then reused)."""
    key = (str(settings.source), assignment, settings.timeout)
    with _templates_lock:
        if key not in _templates:
            root = settings.scratch / f"template-{os.getpid()}-{assignment}"
            if root.exists():
                shutil.rmtree(root)
            root.parent.mkdir(parents=True, exist_ok=True)
            prepare_template(root, assignment, settings.source, settings.timeout)
            _templates[key] = root
        return _templates[key]


def test_cells(
    template_root: Path, assignment: str
) -> dict[str, list[tuple[str, float]]]:
    """Notebook name -> [(grade_id, points)] of its test cells, from the release."""
    return {
        p.stem: [
            (
                c.metadata["nbgrader"]["grade_id"],
                float(c.metadata["nbgrader"]["points"]),
            )
            for c in verify.test_cells(nbformat.read(p, as_version=4))
        ]
        for p in sorted((template_root / "release" / assignment).glob("*.ipynb"))
    }


def fingerprint(task: Task, settings: Settings) -> str:
    """Changes when the submission, the references or the time limits change."""
    digest = hashlib.sha256()
    for folder in (task.folder, settings.source / task.assignment):
        for path in sorted(folder.glob("*.ipynb")):
            digest.update(path.name.encode())
            if path.is_file() and not path.is_symlink():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    references = settings.expected / f"{task.assignment}.json"
    if references.is_file():
        digest.update(references.read_bytes())
    digest.update(f"{settings.timeout}/{settings.notebook_timeout}".encode())
    return digest.hexdigest()


def _row(task: Task, name: str, status: str, message: str, maximum: float) -> Row:
    return Row(task.student, task.assignment, name, 0, maximum, status, message)


def grade_task(task: Task, settings: Settings) -> Result:
    """Autograde one (student, assignment); never raises for a bad submission."""
    result = Result(task.key, fingerprint(task, settings), [])
    try:
        _grade(task, settings, result)
    except Exception as err:  # noqa: BLE001 - one bad submission never stops a batch
        result.final = False
        result.rows = [
            _row(task, name, "error", f"grader failure: {type(err).__name__}: {err}", 0)
            for name in course.notebooks(task.assignment, settings.source)
        ]
    return result


def _grade(task: Task, settings: Settings, result: Result) -> None:
    base = template(settings, task.assignment)
    maxima = {
        name: sum(points for _, points in cells)
        for name, cells in test_cells(base, task.assignment).items()
    }
    names = sorted(maxima)
    root = settings.scratch / f"task{task.number:05d}"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(base, root)
    try:
        rows = _grade_in(root, task, settings, names, maxima, result)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result.rows = [rows[n] for n in names]


def _grade_in(
    root: Path,
    task: Task,
    settings: Settings,
    names: list[str],
    maxima: dict[str, float],
    result: Result,
) -> dict[str, Row]:
    sid = f"student{task.number:05d}"  # nbgrader-safe id; the real one goes in the csv
    target = root / "submitted" / sid / task.assignment
    target.mkdir(parents=True)
    rows: dict[str, Row] = {}
    notes: dict[str, list[str]] = {}
    releases = {
        name: nbformat.read(
            root / "release" / task.assignment / f"{name}.ipynb", as_version=4
        )
        for name in names
    }
    for name in names:
        try:
            path, renamed = normalise.find_notebook(task.folder, name, names)
            nb = normalise.read(path, task.folder)
            prepared = normalise.prepare(nb, releases[name])
        except FileNotFoundError as err:
            rows[name] = _row(task, name, "missing", str(err), maxima[name])
            continue
        except normalise.Unusable as err:
            rows[name] = _row(task, name, "error", str(err), maxima[name])
            continue
        notes[name] = [renamed] * bool(renamed) + prepared.notes
        nbformat.write(prepared.nb, target / f"{name}.ipynb")
    if not notes:
        return rows

    graded_dir = root / "autograded" / sid / task.assignment
    capture = graded_dir / verify.CAPTURE_NAME
    done = course.run_nbgrader(
        root,
        "autograde",
        task.assignment,
        "--student",
        sid,
        "--create",
        "--force",
        timeout=settings.notebook_timeout,
        env={CAPTURE_ENV: str(capture)},
        sandbox=settings.sandbox(),
    )
    references = json.loads((settings.expected / f"{task.assignment}.json").read_text())
    for name, extra in notes.items():
        graded = graded_dir / f"{name}.ipynb"
        if done.timed_out:
            rows[name] = _row(
                task,
                name,
                "timeout",
                f"grading stopped after {settings.notebook_timeout:g} s for the "
                "whole notebook; look for an endless loop",
                maxima[name],
            )
        elif done.returncode != 0 or not graded.exists():
            rows[name] = _row(
                task,
                name,
                "error",
                "the notebook could not be run to the end (did it exit the kernel or "
                "exhaust a limit?): " + _nbgrader_errors(done.output),
                maxima[name],
            )
        else:
            rows[name] = _score(
                task, name, graded, releases[name], references, extra, result
            )
    return rows


def _score(
    task: Task,
    name: str,
    graded: Path,
    release: NotebookNode,
    references: dict,
    notes: list[str],
    result: Result,
) -> Row:
    executed = nbformat.read(graded, as_version=4)
    captures = verify.read_captures(graded.parent / verify.CAPTURE_NAME)
    verdicts = verify.score(
        executed, release, references, captures, task.assignment, name
    )
    scores = {v.grade_id: (v.score, v.max_score) for v in verdicts}
    timeouts = [c for c in executed.cells if (error_text(c) or "").startswith(TIMEOUT)]
    status = "timeout" if timeouts else "graded"
    passed = sum(v.score >= v.max_score for v in verdicts)
    message = "; ".join(
        [
            f"{len(timeouts)} cell(s) ran past the per-cell time limit"
            if timeouts
            else f"{passed}/{len(verdicts)} tests passed",
            *notes,
        ]
    )
    overrides = {v.grade_id: v.message for v in verdicts if v.message}
    page = feedback.render(
        f"{task.assignment} / {name} — {task.student}",
        feedback.parts(executed, scores, overrides),
        status,
        message,
    )
    result.pages[f"{task.student}/{task.assignment}/{name}.html"] = page
    return Row(
        task.student,
        task.assignment,
        name,
        sum(s for s, _ in scores.values()),
        sum(m for _, m in scores.values()),
        status,
        message,
        scores,
    )
