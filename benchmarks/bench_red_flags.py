"""Red-flag scan time, rules alone and with the learned layer, measured side by side in one run:
median and p95 per message over the project's tables and a blind set, and the worst case (a
200,000-character hostile message), plus the table bars.

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
from bot.safety.blindsets import load_sets  # noqa: E402
from bot.safety.detector import RedFlagDetector  # noqa: E402
from bot.safety.layer import LearnedLayer  # noqa: E402
from bot.safety.rules import RuleSet  # noqa: E402

TABLES = ROOT / "tests" / "red_flags"
BLIND = ROOT / "tests" / "red_flags" / "blind" / "regression"
REPEATS = 3
HOSTILE = {
    "noise 200k": ("<p>**" + "a b " * 10) * 4000,
    "symptom words 200k": "knee pain swelling gave way numb chest " * 5000,
    "one word 200k": "x" * 200_000,
}


def timed(fn, text: str) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(text)
    return time.perf_counter() - start


def main() -> None:
    rules = RuleSet.load()
    detector = RedFlagDetector(rules, LearnedLayer.load(rules_version=rules.spec_version))
    firing = []
    for flag in RedFlag:
        table = yaml.safe_load((TABLES / f"{flag}.yaml").read_text(encoding="utf-8"))
        firing += [(flag, kind, s) for kind in ("record", "confirm") for s in table.get(kind) or []]
    silent = [s for items in yaml.safe_load((TABLES / "silent.yaml").read_text(encoding="utf-8")).values()
              for s in items]
    blind = [m.text for m in load_sets([BLIND])][:300] if BLIND.is_dir() else []
    messages = [s for _, _, s in firing] + silent + blind
    detector.scan("warm up")

    print(f"rule set {rules.version}; layer {detector.version}")
    print(f"{len(messages)} messages ({len(blind)} blind-written) x {REPEATS}")
    for name, fn in (("rules alone", rules.scan), ("rules + layer", detector.scan)):
        times = sorted(timed(fn, text) for _ in range(REPEATS) for text in messages)
        median = statistics.median(times) * 1000
        p95 = times[int(len(times) * 0.95)] * 1000
        worst = {k: timed(fn, v) * 1000 for k, v in HOSTILE.items()}
        print(f"{name:14s} median {median:7.2f} ms  p95 {p95:7.2f} ms per message; worst case: "
              + ", ".join(f"{k} {v:.0f} ms" for k, v in worst.items()))

    def decision(flag: RedFlag, text: str) -> str | None:
        return next((str(d.decision) for d in detector.scan(text).detections if d.rule is flag), None)

    fired = sum(1 for f, _, s in firing if decision(f, s) is not None)
    clear = [(f, s) for f, k, s in firing if k == "record"]
    recorded_clear = sum(1 for f, s in clear if decision(f, s) == "record")
    results = [detector.scan(s) for s in silent]
    recorded = sum(1 for r in results if r.recorded)
    asked = sum(1 for r in results if not r.recorded and r.to_confirm)
    print(f"recall on firing tables: {fired}/{len(firing)} = {fired / len(firing):.1%} "
          f"(clear statements recorded: {recorded_clear}/{len(clear)})")
    print(f"silent table: {recorded}/{len(silent)} recorded = {recorded / len(silent):.1%}, "
          f"{asked}/{len(silent)} asked = {asked / len(silent):.1%}")


if __name__ == "__main__":
    main()
