"""Timings for the index and retrieval targets: build < 5 s after the model is loaded, warm search < 30 ms.

Run: .venv/bin/python benchmarks/bench_index.py [--repeat N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.eval.retrieval import load_queries  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the query set (default 5)")
    parser.add_argument("--queries", type=Path, default=ROOT / "tests" / "retrieval" / "queries.yaml")
    args = parser.parse_args()
    settings = Settings.from_env()

    started = time.perf_counter()
    from bot.guidance.embedding import load_embedder
    from bot.guidance.index import build_index
    from bot.guidance.retrieval import Retriever

    embedder = load_embedder(settings.model_dir)
    load_s = time.perf_counter() - started
    print(f"model load (imports + checksum + weights): {load_s:6.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        builds = []
        for _ in range(3):
            started = time.perf_counter()
            index = build_index(settings.corpus_dir, Path(tmp) / "index", embedder)
            builds.append(time.perf_counter() - started)
        print(f"build_index ({len(index.chunks)} chunks, {index.vectors.ntotal} vectors): "
              f"median {statistics.median(builds):.2f} s of {len(builds)} (target < 5 s)")

        retriever = Retriever(index, embedder)
        queries = [q.q for q in load_queries(args.queries)]
        for q in queries[:5]:
            retriever.search(q)  # warm-up
        times = []
        for _ in range(args.repeat):
            for q in queries:
                retriever._vectors.clear()  # time the query embedding too, not the cache
                started = time.perf_counter()
                retriever.search(q)
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(f"warm search over {len(queries)} queries x {args.repeat}: median {statistics.median(times):.1f} ms, "
              f"p95 {p95:.1f} ms (target < 30 ms)")
        started = time.perf_counter()
        embedder.encode([queries[0]])
        print(f"  of which one query embedding: {(time.perf_counter() - started) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
