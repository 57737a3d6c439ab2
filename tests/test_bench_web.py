"""The web benchmark's lean load generator speaks the page's real API: each client keeps its own
conversation (a red flag reported by one never shows in another's), measured end to end on a served page."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_bench(client: str, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_web.py"), "--clients", "4", "--turns", "3",
         "--embedder", "hash", "--client", client, "--port", str(port)],
        capture_output=True, text=True, timeout=600, cwd=REPO,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )


def test_light_client_holds_separate_conversations_on_a_served_page():
    done = run_bench("light", 7931)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    # every turn answered, none reading another client's red flag
    assert re.search(r"requests=12 errors=0 crosstalk=0", done.stdout), done.stdout


def test_light_client_reports_a_refused_turn():
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_web import LightClient

    client = LightClient("http://127.0.0.1:9/")  # nothing listens on the discard port
    with pytest.raises(OSError):
        client.predict("hello")
    client.close()
