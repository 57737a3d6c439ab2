"""Index build time and query latency versus corpus size.

    python benchmarks/bench_index_scale.py                          # real model; 10, 100, 1000 documents
    python benchmarks/bench_index_scale.py --sizes 10 100           # skip the long 1,000 case
    python benchmarks/bench_index_scale.py --embedder hash          # chunking + FAISS + BM25 without the model
    python benchmarks/bench_index_scale.py --budget 600             # skip a size projected to take longer

The owner's article is copied N times into a temporary corpus folder. Each copy varies a word in
every paragraph ("In copy 17, ...") so that no two chunks are alike. At each size the index is
built with `build_index` (timed once: chunking, embedding every passage and sentence, FAISS write)
and loaded into a Retriever; query latency is the median of `Assistant.search`-style hybrid searches
(dense + BM25) over a few guidance questions. Embedding dominates the build and grows linearly with
the number of passages and sentences; on 2 shared CPU cores the 1,000 case takes a while (the
script prints the projected time before starting a size, from the rate measured so far, and with
--budget skips a size whose projected build time is over the budget, printing the projection instead).
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

from bot.guidance.corpus import is_text_heading  # noqa: E402
from bot.guidance.embedding import Embedder, HashEmbedder, load_embedder  # noqa: E402
from bot.guidance.index import build_index  # noqa: E402
from bot.guidance.retrieval import Retriever  # noqa: E402

ARTICLE = ROOT / "corpus" / "000_292bc26db980c244.txt"
QUERIES = (
    "what is a Baker's cyst?",
    "why does pointing my toes help?",
    "pain behind the knee when I lock it",
    "how long before I should see a physiotherapist?",
    "is a rounded back a problem when stretching?",
)
QUERY_REPEATS = 5


def variant(text: str, copy: int) -> str:
    """The article with a per-copy word in every paragraph line (headings left alone)."""
    lines = []
    for line in text.splitlines():
        if line.strip() and not is_text_heading(line.lstrip("\ufeff")):
            body = line.lstrip()
            line = f"In copy {copy}, {body[0].lower()}{body[1:]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def make_corpus(folder: Path, size: int) -> None:
    """`size` varied copies of the article as .txt files."""
    folder.mkdir(parents=True)
    text = ARTICLE.read_text(encoding="utf-8")
    for copy in range(size):
        (folder / f"{copy:05d}_article.txt").write_text(variant(text, copy), encoding="utf-8")


def measure(size: int, embedder: Embedder, tmp: Path) -> dict:
    """Build and query an index of `size` documents."""
    corpus = tmp / f"corpus-{size}"
    make_corpus(corpus, size)
    start = time.perf_counter()
    index = build_index(corpus, tmp / f"index-{size}", embedder)
    build = time.perf_counter() - start
    start = time.perf_counter()
    retriever = Retriever(index, embedder)
    load = time.perf_counter() - start
    retriever.search(QUERIES[0], k=5)  # warm-up
    times = []
    for n in range(QUERY_REPEATS):
        for query in QUERIES:
            query = f"{query.rstrip('?')} {n}?"  # unique: the retriever caches recent query embeddings
            start = time.perf_counter()
            retriever.search(query, k=5)
            times.append(time.perf_counter() - start)
    rows = index.vectors.ntotal  # type: ignore[attr-defined]
    return {"docs": size, "chunks": len(index.chunks), "rows": rows, "build": build, "retriever": load,
            "query": statistics.median(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--embedder", choices=("model", "hash"), default="model")
    parser.add_argument("--budget", type=float, default=None, help="seconds; skip sizes projected to take longer")
    args = parser.parse_args()

    embedder: Embedder = load_embedder() if args.embedder == "model" else HashEmbedder()
    embedder.encode(["warm-up"])
    results: list[dict] = []
    print(f"{'docs':>6} {'chunks':>7} {'vectors':>8} {'build':>9} {'rows/s':>7} {'retriever':>10} {'query p50':>10}"
          f"   (embedder: {embedder.model_id})", flush=True)
    with tempfile.TemporaryDirectory(prefix="kneebot-bench-scale-") as tmp:
        for size in sorted(args.sizes):
            if results:
                rate = results[-1]["rows"] / results[-1]["build"]
                projected = results[-1]["rows"] / results[-1]["docs"] * size / rate
                print(f"   ... {size} documents: projected build {projected:.0f} s at {rate:.0f} rows/s", flush=True)
                if args.budget is not None and projected > args.budget:
                    print(f"   ... {size} documents skipped: over the budget of {args.budget:.0f} s", flush=True)
                    continue
            results.append(measure(size, embedder, Path(tmp)))
            r = results[-1]
            print(f"{r['docs']:>6} {r['chunks']:>7} {r['rows']:>8} {r['build']:>7.1f} s {r['rows'] / r['build']:>7.0f}"
                  f" {r['retriever']:>8.2f} s {r['query'] * 1000:>7.1f} ms", flush=True)
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"{last['docs'] // first['docs']}x the documents: build {last['build'] / first['build']:.0f}x, "
              f"query {last['query'] / first['query']:.1f}x")


if __name__ == "__main__":
    main()
