"""The README's first command, run as a newcomer would: it brings the web page up."""
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_web_serves_the_page(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert "\n    make web\n" in readme
    port = free_port()
    env = {**os.environ, "KNEEBOT_PORT": str(port), "KNEEBOT_DB": str(tmp_path / "db.sqlite3"),
           "KNEEBOT_INDEX": str(tmp_path / "index")}
    proc = subprocess.Popen(["make", "web"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        page = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode("utf-8", "replace")
                    break
            except OSError:
                time.sleep(1)
        assert page is not None, "the page never came up; output:\n" + (
            proc.stdout.read().decode() if proc.poll() is not None else "")
        assert "kneebot" in page.lower()
        with socket.socket() as s:  # bound to loopback only
            assert s.connect_ex(("127.0.0.1", port)) == 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
