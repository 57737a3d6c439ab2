"""Red-flag figures on blind-written sets beside the project's own tables, for the evaluation report:
what the detector does on messages nobody on the team wrote, next to the tables it was tuned on."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.safety.blindsets import format_counts, load_sets, load_tables, measure
from bot.safety.detector import RedFlagDetector

RUNS = ("rules alone", "rules + learned layer")
# the targets of issue 10: (summary key, label, target, whether higher is better)
FIGURES = (("recorded_directly", "red flags recorded directly", 0.95, True),
           ("recorded_or_asked", "recorded or asked by the flag's own question", 1.0, True),
           ("emergency_recorded_directly", "emergency flags recorded directly", 1.0, True),
           ("false_alarms", "false alarms on silent messages", 0.05, False),
           ("silent_asked", "the flag's question on silent messages", 0.15, False))


def blind_figures(detector: RedFlagDetector, fresh: list[str], tables: str | Path) -> list[dict[str, Any]]:
    """Rules alone and rules + layer on the fresh sets `fresh` and on the project's tables; each run's text
    table is under "text"."""
    rules_only = RedFlagDetector(detector.rules, None)
    out = []
    for name, messages in ((f"fresh, untuned: {', '.join(fresh)}", load_sets(fresh)),
                           (f"project's own tables: {tables}", load_tables(tables))):
        runs, texts = {}, []
        for run, scan in zip(RUNS, (rules_only.scan, detector.scan), strict=True):
            counts = measure(messages, scan)
            texts.append(format_counts(f"{run} ({name})", counts).split("\n  per flag")[0])
            runs[run] = counts.summary()
        out.append({"name": name, "messages": len(messages), "runs": runs, "text": "\n".join(texts)})
    return out
