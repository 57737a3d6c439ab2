"""Warm turn latency in process, against the floor of one bare query embedding.

    python benchmarks/bench_turn.py                 # the lean path (ONNX export), 5 rounds of the mix
    python benchmarks/bench_turn.py --plain         # the sentence-transformers + torch stack instead
    python benchmarks/bench_turn.py --rounds 20

The real Assistant (all-MiniLM-L6-v2 and the red-flag layer, FAISS index and SQLite store in a
temporary folder; by default as `Assistant.load()` serves it, on the index's ONNX export) answers a
mix of scripted conversations: symptom statements, short answers, questions about the guidance and
red flags. Every turn is timed after a warm-up. "No red flag, with retrieval" is timed on its own:
questions about the guidance in a conversation with no red flag, where the reply quotes passages.
The floor is the same stack's `embedder.encode([q])` for the same questions. Target: a warm retrieval
turn p50 <= 1.2x the floor (it also runs the red-flag layer on the message).
The retriever caches recent query embeddings, so every timed question is made unique (a number
before its question mark), as a person's messages are; a repeated question is timed as its own row.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import Assistant  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.guidance.embedding import load_embedder  # noqa: E402
from bot.guidance.export import ensure_export  # noqa: E402
from bot.guidance.index import build_index  # noqa: E402

QUESTIONS = (
    "what is a Baker's cyst?",
    "why does pointing my toes help?",
    "how should I position my foot when I stretch?",
    "what does the article say about a rounded back?",
    "is it normal to feel a pull behind the knee?",
    "what is hamstring tendinopathy?",
)
# Each script is one conversation; together they are the realistic mix.
SCRIPTS = (
    ("I feel a pull behind my knee when I stretch", "no", "it's right behind the knee", "I don't know",
     "it eases when I bend the knee", "thanks"),
    ("burning behind my knee when I touch my toes", "no, none of those", "yes, pointing my toes eases it",
     "skip", "what is a Baker's cyst?"),
    ("hi", "sharp pain on the inside of my knee when I twist", "no", "not sure", "ok"),
    ("my knee gave way and I can't put weight on it", "what should I do?", "thanks"),
    ("pain under my kneecap during the stretch", "no", "why?", "only when I lock my knee", "what do you know?"),
    ("what is hamstring tendinopathy?", "why does pointing my toes help?", "I have a dull ache behind the knee",
     "no", "how should I position my foot when I stretch?"),
)


_serial = itertools.count()


def fresh(question: str) -> str:
    """The question made unique, so its embedding is not in the retriever's cache."""
    return f"{question.rstrip('?')} {next(_serial)}?"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for the table."""
    return f"{seconds * 1000:8.2f} ms"


def timed_turns(assistant: Assistant, rounds: int) -> list[tuple[float, bool]]:
    """(seconds, no red flag with retrieval) for every turn of every script, `rounds` times."""
    out = []
    for _ in range(rounds):
        for script in SCRIPTS:
            chat = assistant.conversation()
            for message in script:
                question = message in QUESTIONS
                start = time.perf_counter()
                reply = chat.send(fresh(message) if question else message)
                elapsed = time.perf_counter() - start
                retrieval = question and not reply.red_flags and bool(reply.citations)
                out.append((elapsed, retrieval))
    return out


def retrieval_turns(assistant: Assistant, rounds: int, repeat: bool = False) -> list[float]:
    """Seconds per guidance question in a conversation that has no red flag (repeated: asked before)."""
    out = []
    for _ in range(rounds):
        for question in QUESTIONS:
            chat = assistant.conversation()
            chat.send("I feel a pull behind my knee when I stretch")
            chat.send("no")
            message = question if repeat else fresh(question)
            start = time.perf_counter()
            reply = chat.send(message)
            elapsed = time.perf_counter() - start
            if reply.red_flags or not reply.citations:
                raise SystemExit(f"expected passages and no red flag for {question!r}, got {reply.text!r}")
            out.append(elapsed)
    return out


def floor(embedder, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds per bare query embedding of the same questions."""
    out = []
    for _ in range(rounds * 3):
        for question in QUESTIONS:
            start = time.perf_counter()
            embedder.encode([fresh(question)])
            out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="times through the conversation mix (default 5)")
    parser.add_argument("--plain", action="store_true", help="sentence-transformers and torch instead of ONNX")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kneebot-bench-turn-") as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", db_path=Path(tmp) / "kneebot.sqlite3")
        plain = load_embedder()  # builds the index and its export, as `kneebot index` does
        build_index(settings.corpus_dir, settings.index_dir, plain)
        ensure_export(settings.index_dir, st_model=plain.model)
        assistant = Assistant.load(settings=settings, embedder=plain if args.plain else None)
        embedder = assistant.embedder
        timed_turns(assistant, 1)  # warm-up: model, BM25, SQLite pages, code paths
        floor(embedder, 1)
        # Interleave the three measurements so that load from other processes hits them alike.
        mixed: list[tuple[float, bool]] = []
        retrieval: list[float] = []
        repeated: list[float] = []
        bare: list[float] = []
        retrieval_turns(assistant, 1, repeat=True)  # put the plain questions in the cache
        for _ in range(args.rounds):
            mixed += timed_turns(assistant, 1)
            retrieval += retrieval_turns(assistant, 1)
            repeated += retrieval_turns(assistant, 1, repeat=True)
            bare += floor(embedder, 1)
        assistant.close()

    all_turns = [t for t, _ in mixed]
    mix_retrieval = [t for t, r in mixed if r]
    floor_p50 = statistics.median(bare)
    stack = "sentence-transformers + torch" if args.plain else "lean: ONNX export on onnxruntime"
    print(f"warm turns, real model, {stack} ({len(all_turns)} turns in the mix, {len(retrieval)} retrieval "
          f"turns, {len(bare)} bare embeddings)")
    print(f"{'case':<42} {'p50':>11} {'p95':>11} {'p50 / floor':>12}")
    rows = (
        ("bare query embedding (floor)", bare),
        ("all turns (mix)", all_turns),
        ("no red flag, with retrieval (dedicated)", retrieval),
        ("no red flag, with retrieval (in the mix)", mix_retrieval),
        ("repeated question (cached embedding)", repeated),
    )
    for name, values in rows:
        if values:
            p50 = statistics.median(values)
            print(f"{name:<42} {ms(p50)} {ms(percentile(values, 0.95))} {p50 / floor_p50:11.2f}x")
    ratio = statistics.median(all_turns) / floor_p50
    worst = statistics.median(retrieval) / floor_p50
    verdict = "meets" if worst <= 1.2 else "misses"
    print(f"target: warm retrieval turn p50 <= 1.2x floor -> {worst:.2f}x ({verdict} the target); mix {ratio:.2f}x")


if __name__ == "__main__":
    main()
