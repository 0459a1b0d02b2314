"""The project installs what it needs, the two commands exist, CI cannot pass empty."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib

from tests.conftest import REPO


def _pyproject_deps() -> list[str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    return list(data["project"]["dependencies"])


def _environment_pip_deps() -> list[str]:
    """The `pip:` entries of environment.yml (a flat list, so no YAML parser needed)."""
    lines = (REPO / "environment.yml").read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "- pip:")
    deps = []
    for line in lines[start + 1 :]:
        match = re.match(r"^\s{6,}- (.+?)\s*$", line)
        if not match:
            break
        deps.append(match.group(1))
    return deps


def test_environment_yml_names_the_same_packages_as_pyproject() -> None:
    """Check that the conda route and the pip route install the same packages"""
    conda = _environment_pip_deps()
    assert "-e ." in conda, "environment.yml must install the course itself (-e .)"
    assert sorted(d for d in conda if d != "-e .") == sorted(_pyproject_deps())


def test_design_card_packages_are_declared() -> None:
    """Check that the design card's stack is declared, with torch pinned to 2.13.0"""
    names = {re.split(r"[<>=!~ ]", d)[0].lower() for d in _pyproject_deps()}
    card = {"jupyterlab", "numpy", "torch", "matplotlib", "gymnasium", "nbgrader"}
    assert card | {"pytest", "nbval", "ipywidgets", "tqdm", "ruff"} <= names
    assert "torch==2.13.0" in _pyproject_deps(), "a looser torch spec pulls CUDA wheels"
    assert any(d.startswith("gymnasium>=1.0,<2") for d in _pyproject_deps())


def test_readme_shows_the_two_commands_first() -> None:
    """Check that the README's first commands are make lab and make test"""
    blocks = re.findall(
        r"```(?:bash|sh)?\n(.*?)```", (REPO / "README.md").read_text(), re.S
    )
    first = "\n".join(blocks[:2])
    assert "make lab" in first and "make test" in first, blocks[:2]


def test_make_lab_passes_lab_args_through() -> None:
    """Check that `make lab LAB_ARGS=...` reaches jupyter lab (dry run)"""
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-o",
            ".venv/.installed",
            "lab",
            "LAB_ARGS=--no-browser --port 8899",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    lab = [ln for ln in done.stdout.splitlines() if "jupyter lab" in ln]
    assert len(lab) == 1, done.stdout
    assert "--notebook-dir=lectures" in lab[0]
    assert lab[0].rstrip().endswith("--no-browser --port 8899"), lab[0]


def test_ci_run_fails_when_no_test_runs() -> None:
    """Check that .ci/run exits non-zero when pytest selects no test (exit code 5)"""
    env = {**os.environ, "PYTEST_ARGS": "-k no_test_has_this_name -p no:cacheprovider"}
    done = subprocess.run(
        ["bash", ".ci/run"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode != 0, done.stdout[-2000:]
    assert "deselected" in done.stdout, done.stdout[-2000:]
