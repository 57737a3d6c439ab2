"""Median per-message time of the red-flag pass over the sentence tables, and the table bars.

Run: python benchmarks/bench_red_flags.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ids import RedFlag  # noqa: E402
from bot.red_flags import RuleSet  # noqa: E402

TABLES = ROOT / "tests" / "red_flags"
REPEATS = 20


def main() -> None:
    rules = RuleSet.load()
    firing = []
    for flag in RedFlag:
        table = yaml.safe_load((TABLES / f"{flag}.yaml").read_text(encoding="utf-8"))
        firing += [(flag, kind, s) for kind in ("record", "confirm") for s in table.get(kind) or []]
    silent = [s for items in yaml.safe_load((TABLES / "silent.yaml").read_text(encoding="utf-8")).values()
              for s in items]
    messages = [s for _, _, s in firing] + silent

    times = []
    for _ in range(REPEATS):
        for text in messages:
            start = time.perf_counter()
            rules.scan(text)
            times.append(time.perf_counter() - start)
    median_ms = statistics.median(times) * 1000
    p95_ms = sorted(times)[int(len(times) * 0.95)] * 1000

    def decision(flag: RedFlag, text: str) -> str | None:
        return next((str(d.decision) for d in rules.scan(text).detections if d.rule is flag), None)

    fired = sum(1 for f, _, s in firing if decision(f, s) is not None)
    clear = [(f, s) for f, k, s in firing if k == "record"]
    recorded_clear = sum(1 for f, s in clear if decision(f, s) == "record")
    results = [rules.scan(s) for s in silent]
    recorded = sum(1 for r in results if r.recorded)
    asked = sum(1 for r in results if not r.recorded and r.to_confirm)

    print(f"rule set {rules.version}")
    print(f"messages: {len(messages)} x {REPEATS}; median {median_ms:.3f} ms, p95 {p95_ms:.3f} ms per message")
    print(f"recall on firing tables: {fired}/{len(firing)} = {fired / len(firing):.1%} "
          f"(clear statements recorded: {recorded_clear}/{len(clear)})")
    print(f"silent table: {recorded}/{len(silent)} recorded = {recorded / len(silent):.1%}, "
          f"{asked}/{len(silent)} asked = {asked / len(silent):.1%}")


if __name__ == "__main__":
    main()
