"""N fuzzed conversations through the real Assistant (hash embedder): exceptions and bad replies.

    python benchmarks/fuzz_conversations.py                    # 10,000 conversations of 1-6 turns
    python benchmarks/fuzz_conversations.py -n 500 --transcripts --max-chars 200000

Messages come from the strategies in tests/test_fuzz.py (random unicode with lone surrogates,
control characters, emoji, other languages, markdown/HTML, the bot's commands, red-flag sentences,
and messages over the length limit built by repetition, up to --max-chars). Every reply is checked
as in the tests (non-empty text, valid triage, red flags known and never withdrawn, citations from
the corpus). Prints exceptions (the bar is 0), replies with problems, turns and time taken, and
exits 1 when there was any exception.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from test_fuzz import conversations, reply_problems  # noqa: E402

from bot.assistant import Assistant  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.guidance.embedding import HashEmbedder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="conversations (default 10,000)")
    parser.add_argument("--max-chars", type=int, default=20_000,
                        help="longest generated message (default 20,000; the tests go to 200,000)")
    parser.add_argument("--transcripts", action="store_true", help="with transcript logging on")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    counts: Counter[str] = Counter()
    failures: list[tuple[list[str], str]] = []
    with tempfile.TemporaryDirectory(prefix="kneebot-fuzz-") as tmp:
        config = Settings(index_dir=Path(tmp) / "index", db_path=Path(tmp) / "kneebot.sqlite3",
                          transcripts=args.transcripts)
        assistant = Assistant.load(settings=config, embedder=HashEmbedder())

        @seed(args.seed)
        @settings(max_examples=args.n, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(turns=conversations(max_chars=args.max_chars))
        def one(turns: list[str]) -> None:
            counts["conversations"] += 1
            chat = assistant.conversation()
            previous = None
            for message in turns:
                counts["turns"] += 1
                counts["chars"] += len(message)
                try:
                    reply = chat.send(message)
                except Exception:  # the thing being counted
                    counts["exceptions"] += 1
                    failures.append((turns, traceback.format_exc()))
                    return
                problems = reply_problems(assistant, reply, previous, message)
                if problems:
                    counts["bad replies"] += 1
                    failures.append((turns, "; ".join(problems)))
                previous = reply

        start = time.perf_counter()
        one()
        elapsed = time.perf_counter() - start
        assistant.close()

    print(f"fuzzed conversations: {counts['conversations']} ({counts['turns']} turns, "
          f"{counts['chars'] / 1e6:.1f} M characters; max message {args.max_chars} chars, "
          f"transcripts {'on' if args.transcripts else 'off'})")
    print(f"exceptions: {counts['exceptions']}; replies with problems: {counts['bad replies']}")
    print(f"time: {elapsed:.1f} s ({elapsed / max(1, counts['turns']) * 1000:.2f} ms per turn)")
    for turns, what in failures[:5]:
        print("---", repr(turns)[:300])
        print(what[-2000:])
    sys.exit(1 if counts["exceptions"] else 0)


if __name__ == "__main__":
    main()
