"""`make lab` serves JupyterLab on lectures/, headless with LAB_ARGS."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_make_lab_serves_the_lectures() -> None:
    """Check that `make lab LAB_ARGS=--no-browser ...` serves lecture 01 and the UI"""
    port = _free_port()
    args = f"--no-browser --port {port} --ip 127.0.0.1 --IdentityProvider.token=''"
    proc = subprocess.Popen(
        ["make", "lab", f"LAB_ARGS={args}"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        listing = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(
                    f"{base}/api/contents/01_score_function"
                ) as r:
                    listing = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer within 60 s"
        names = [item["name"] for item in listing["content"]]
        assert "01_score_function.ipynb" in names, names
        with urllib.request.urlopen(f"{base}/lab") as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
