"""Shared helpers for the test suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "solutions"


def run_cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run `python -m autograder ARGS` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
