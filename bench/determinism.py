"""Grade each reference solution under many global seeds: always full marks.

A lecture must draw its randomness from explicit generators, so reseeding the global
``random``, ``numpy.random`` and ``torch`` states before the notebook runs must change
nothing the hidden tests look at. For each seed this executes the solution the way the
grader does (``NBGRADER_EXECUTION=autograde``, hidden-test values captured in the
kernel) and scores it with the grader's own out-of-kernel comparison.

    .venv/bin/python bench/determinism.py [--seeds 20] [ASSIGNMENT ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import course, execute, verify
from autograder.expected import CAPTURE_ENV, EXPECTED_DIR

SEED_CELL = """import random as _random
import numpy as _np
import torch as _torch
_random.seed({seed}); _np.random.seed({seed}); _torch.manual_seed({seed})
"""


def full_marks(assignment: str, name: str, seed: int, tmp: Path) -> tuple[float, float]:
    """(score, max) of the reference notebook graded after reseeding the globals."""
    work = tmp / f"{assignment}-{seed}"
    shutil.copytree(course.SOLUTIONS / assignment, work)
    path = work / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SEED_CELL.format(seed=seed)))
    nbformat.write(nb, path)
    capture = work / verify.CAPTURE_NAME
    executed = execute.execute(
        path, env={CAPTURE_ENV: str(capture), "NBGRADER_EXECUTION": "autograde"}
    )
    references = json.loads((EXPECTED_DIR / f"{assignment}.json").read_text())
    verdicts = verify.score(
        executed,
        nbformat.read(course.SOLUTIONS / assignment / f"{name}.ipynb", as_version=4),
        references,
        verify.read_captures(capture),
        assignment,
        name,
    )
    shutil.rmtree(work)
    return sum(v.score for v in verdicts), sum(v.max_score for v in verdicts)


def main(argv: list[str]) -> None:
    """Print, per lecture, how many seeds gave full marks."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("assignment", nargs="*")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pgcourse-seeds-") as tmp:
        for assignment in args.assignment or course.assignments():
            for name in course.notebooks(assignment):
                start, perfect, worst = time.perf_counter(), 0, None
                for seed in range(args.seeds):
                    got, best = full_marks(assignment, name, 1000 + seed, Path(tmp))
                    perfect += got == best
                    worst = got if worst is None else min(worst, got)
                    print(f"  {name} seed {1000 + seed}: {got:g}/{best:g}", flush=True)
                print(
                    f"{name:28} full marks {perfect}/{args.seeds} seeds "
                    f"(lowest {worst:g}/{best:g}), {time.perf_counter() - start:.0f} s",
                    flush=True,
                )


if __name__ == "__main__":
    main(sys.argv[1:])
