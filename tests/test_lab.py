"""`make lab` serves JupyterLab on lectures/, headless with LAB_ARGS."""

from __future__ import annotations

import json
import urllib.request

from tests.conftest import start_lab, stop_lab


def test_make_lab_serves_the_lectures() -> None:
    """Check that `make lab LAB_ARGS=--no-browser ...` serves lecture 01 and the UI"""
    proc, base = start_lab()
    try:
        with urllib.request.urlopen(f"{base}/api/contents/01_score_function") as r:
            names = [item["name"] for item in json.load(r)["content"]]
        assert "01_score_function.ipynb" in names, names
        with urllib.request.urlopen(f"{base}/lab") as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
    finally:
        stop_lab(proc)
