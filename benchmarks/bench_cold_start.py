"""Cold start to the first reply and peak memory, side by side: the plain sentence-transformers stack
against the lean path (the index's ONNX export on onnxruntime + tokenizers), in one run.

    python benchmarks/bench_cold_start.py               # 5 cold starts of each, 50 turns each for RSS
    python benchmarks/bench_cold_start.py --runs 9 --turns 50 --web

An index and its model export are built once in a temporary folder (not timed), as `kneebot index`
does. Then each run spawns a fresh `python -c` (plain and lean alternate, so load from other processes
hits both alike) that imports kneebot, loads the Assistant from that index, sends one message and
prints a marker; the parent times process start -> marker. The child splits it into kneebot import,
model load (plain: sentence-transformers with its weights check; lean: the export's sessions, inside
Assistant.load), the rest of Assistant.load, and the first turn, then serves --turns more messages and
reports its peak RSS (resource.getrusage ru_maxrss). --web also serves the web page (lean) in a child,
sends it --turns messages through gradio_client and reports the server's peak RSS.
Targets (lean): first reply <= 1.0 s median and >= 6x faster than plain; peak RSS <= 250 MiB for the
Python API, <= 400 MiB for the web server after 50 turns.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}

BUILD = """
import sys
from pathlib import Path
from bot.config import Settings
from bot.guidance.embedding import load_embedder
from bot.guidance.export import ensure_export
from bot.guidance.index import build_index
embedder = load_embedder()
build_index(Settings().corpus_dir, Path(sys.argv[1]), embedder)
ensure_export(Path(sys.argv[1]), st_model=embedder.model)
"""

CHILD = """
import time
t0 = time.perf_counter()
import json, resource, sys
from pathlib import Path
from bot import Assistant
from bot.config import Settings
t_import = time.perf_counter()
tmp, run, turns, mode = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
settings = Settings(index_dir=tmp / "index", db_path=tmp / f"state-{mode}-{run}.sqlite3")
embedder = None
if mode == "plain":
    from bot.guidance.embedding import load_embedder
    embedder = load_embedder()
t_model = time.perf_counter()
assistant = Assistant.load(settings=settings, embedder=embedder)
t_load = time.perf_counter()
chat = assistant.conversation()
reply = chat.send("I feel a pull behind my knee when I stretch")
t_first = time.perf_counter()
print("FIRST_REPLY", flush=True)
rss_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
messages = ["no", "it's right behind the knee", "what is a Baker's cyst?", "I don't know",
            "why does pointing my toes help?", "my knee gave way and I can't put weight on it", "thanks"]
for i in range(turns):
    if i % 8 == 0:
        chat = assistant.conversation()
        chat.send("burning behind my knee when I touch my toes")
    chat.send(messages[i % len(messages)] + (f" {i}?" if "?" in messages[i % len(messages)] else ""))
print(json.dumps({"import": t_import - t0, "model": t_model - t_import, "load": t_load - t_model,
                  "first_turn": t_first - t_load, "rss_first_kib": rss_first,
                  "torch": "torch" in sys.modules,
                  "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
"""

# `kneebot web` as the CLI builds it (Assistant.load from the KNEEBOT_* settings), without the rate limiter,
# which would refuse the benchmark's back-to-back turns.
SERVE = """
import sys
from bot import Assistant
from ui.web import build_app, launch
launch(build_app(Assistant.load(), rate_limits=False), port=int(sys.argv[1]), block=True)
"""


def run_child(tmp: str, run: int, turns: int, mode: str) -> tuple[float, dict]:
    """(seconds from spawn to the first reply, the child's own report)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, tmp, str(run), str(turns), mode], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = None
    report = None
    for line in proc.stdout:
        if line.startswith("FIRST_REPLY") and first is None:
            first = time.perf_counter() - start
        elif line.startswith("{"):
            report = json.loads(line)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.wait() != 0 or first is None or report is None:
        raise SystemExit(f"{mode} child run {run} failed (exit {proc.returncode}):\n{err}")
    return first, report


def peak_rss_mib(pid: int) -> float:
    """A live process's peak resident set (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def web_peak(tmp: str, turns: int) -> tuple[float, float]:
    """(seconds to the first reply, server peak RSS MiB) of `kneebot web` on the lean path after `turns`."""
    from gradio_client import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**ENV, "KNEEBOT_INDEX": str(Path(tmp) / "index"), "KNEEBOT_DB": str(Path(tmp) / "web.sqlite3")}
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = None
        while client is None:
            if server.poll() is not None or time.perf_counter() - start > 120:
                raise SystemExit(f"kneebot web did not come up: {server.stderr.read() if server.stderr else ''}")
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
            except Exception:  # not listening yet
                time.sleep(0.3)
        client.predict("I feel a pull behind my knee when I stretch", api_name="/chat")
        first = time.perf_counter() - start
        messages = ["no", "it's right behind the knee", "what is a Baker's cyst?", "I don't know",
                    "why does pointing my toes help?", "thanks", "when I straighten my leg"]
        for i in range(turns):
            text = messages[i % len(messages)]
            client.predict(f"{text.rstrip('?')} {i}?" if text.endswith("?") else text, api_name="/chat")
        return first, peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def summary(name: str, results: list[tuple[float, dict]], turns: int) -> tuple[float, float]:
    """Print one stack's runs; (median first reply s, median peak RSS MiB)."""
    print(f"\n{name}")
    print("run  first reply   import    model     rest  first turn  RSS@first  peak RSS  torch")
    for i, (first, r) in enumerate(results):
        print(f"{i:>3}  {first:9.2f} s {r['import']:6.2f} s {r['model']:6.2f} s {r['load']:6.2f} s"
              f" {r['first_turn'] * 1000:8.1f} ms {r['rss_first_kib'] / 1024:7.0f} MiB"
              f" {r['rss_peak_kib'] / 1024:6.0f} MiB  {'yes' if r['torch'] else 'no'}")
    return (statistics.median(f for f, _ in results),
            statistics.median(r["rss_peak_kib"] for _, r in results) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="cold starts of each stack (default 5)")
    parser.add_argument("--turns", type=int, default=50, help="turns served after the first, for RSS (default 50)")
    parser.add_argument("--web", action="store_true", help="also measure `kneebot web` (lean) after --turns")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kneebot-bench-cold-") as tmp:
        subprocess.run([sys.executable, "-c", BUILD, str(Path(tmp) / "index")], cwd=ROOT, check=True, env=ENV)
        runs: dict[str, list[tuple[float, dict]]] = {"plain": [], "lean": []}
        for run in range(args.runs):
            for mode in runs:
                runs[mode].append(run_child(tmp, run, args.turns, mode))
        web = web_peak(tmp, args.turns) if args.web else None

    print(f"cold start to the first reply, index and export already built ({args.runs} runs of each, alternating)")
    plain_first, plain_rss = summary("plain: sentence-transformers + torch (embedder and red-flag layer)",
                                     runs["plain"], args.turns)
    lean_first, lean_rss = summary("lean: ONNX export on onnxruntime + tokenizers", runs["lean"], args.turns)
    ratio = plain_first / lean_first
    print(f"\n{'':<24}{'plain':>10}{'lean':>10}{'ratio':>10}")
    print(f"{'first reply (median)':<24}{plain_first:>8.2f} s{lean_first:>8.2f} s{ratio:>9.1f}x")
    print(f"{'peak RSS (median)':<24}{plain_rss:>6.0f} MiB{lean_rss:>6.0f} MiB{plain_rss / lean_rss:>9.1f}x")
    met = lean_first <= 1.0 and ratio >= 6
    print(f"target: lean first reply <= 1.0 s and >= 6x faster -> {lean_first:.2f} s, {ratio:.1f}x "
          f"({'met' if met else 'missed'})")
    print(f"target: lean peak RSS <= 250 MiB after {args.turns + 1} turns -> {lean_rss:.0f} MiB "
          f"({'met' if lean_rss <= 250 else 'missed'})")
    if web is not None:
        print(f"kneebot web (lean): first reply {web[0]:.2f} s from spawn, server peak RSS {web[1]:.0f} MiB after "
              f"{args.turns + 1} turns (target <= 400 MiB: {'met' if web[1] <= 400 else 'missed'})")


if __name__ == "__main__":
    main()
