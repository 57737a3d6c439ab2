"""Cold start to the first reply, and peak RSS while serving.

    python benchmarks/bench_cold_start.py               # 5 cold starts, 50 turns each for RSS
    python benchmarks/bench_cold_start.py --runs 3 --turns 200

An index is built once in a temporary folder (not timed). Then each run spawns a fresh
`python -c` that imports kneebot, loads the Assistant from that existing index (real model),
sends one message and prints a marker; the parent times process start -> marker (the child splits
it into kneebot import, model load with its weights check, the rest of Assistant.load, and the
first turn). The child then serves --turns more messages and reports its peak RSS (resource.getrusage ru_maxrss).
Target: cold start under 6 s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BUILD = """
import sys
from pathlib import Path
from bot.config import Settings
from bot.guidance.embedding import load_embedder
from bot.guidance.index import build_index
s = Settings()
build_index(s.corpus_dir, Path(sys.argv[1]), load_embedder())
"""

CHILD = """
import time
t0 = time.perf_counter()
import json, resource, sys
from pathlib import Path
from bot import Assistant
from bot.config import Settings
from bot.guidance.embedding import load_embedder
t_import = time.perf_counter()
tmp = Path(sys.argv[1])
settings = Settings(index_dir=tmp / "index", db_path=tmp / f"state-{sys.argv[2]}.sqlite3")
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
for i in range(int(sys.argv[3])):
    if i % 8 == 0:
        chat = assistant.conversation()
        chat.send("burning behind my knee when I touch my toes")
    chat.send(messages[i % len(messages)])
print(json.dumps({"import": t_import - t0, "model": t_model - t_import, "load": t_load - t_model,
                  "first_turn": t_first - t_load,
                  "rss_first_kib": rss_first,
                  "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
"""


def run_child(tmp: str, run: int, turns: int) -> tuple[float, dict]:
    """(seconds from spawn to the first reply, the child's own report)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, tmp, str(run), str(turns)], cwd=ROOT, env=env,
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
        raise SystemExit(f"child run {run} failed (exit {proc.returncode}):\n{err}")
    return first, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="cold starts to take the median of (default 5)")
    parser.add_argument("--turns", type=int, default=50, help="turns served after the first, for RSS (default 50)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kneebot-bench-cold-") as tmp:
        subprocess.run([sys.executable, "-c", BUILD, str(Path(tmp) / "index")], cwd=ROOT, check=True,
                       env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
        results = [run_child(tmp, run, args.turns) for run in range(args.runs)]

    firsts = [f for f, _ in results]
    print(f"cold start, real model, index already built ({args.runs} runs)")
    print("run  first reply   import    model     rest  first turn  RSS@first  peak RSS")
    for i, (first, r) in enumerate(results):
        print(f"{i:>3}  {first:9.2f} s {r['import']:6.2f} s {r['model']:6.2f} s {r['load']:6.2f} s"
              f" {r['first_turn'] * 1000:8.1f} ms"
              f" {r['rss_first_kib'] / 1024:7.0f} MiB {r['rss_peak_kib'] / 1024:6.0f} MiB")
    median = statistics.median(firsts)
    peak = statistics.median(r["rss_peak_kib"] for _, r in results) / 1024
    print(f"median cold start to first reply: {median:.2f} s (target < 6 s: {'met' if median < 6 else 'missed'})")
    print(f"median peak RSS after {args.turns + 1} turns: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
