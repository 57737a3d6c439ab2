"""Read two learned red-flag layers beside each other under one protocol:

    python benchmarks/compare_red_flag_layers.py LAYER_DIR... --sets tests/red_flags/blind/regression/f2[1-3]*.yaml

Each layer's thresholds are chosen on the held-out tenth of its training sets alone (with the rules as they are
now), never on the sets read; then the figures on the given sets are printed, rules + that layer. Use sets that
no layer trained on. This is how the glossary-reading retrain was compared with the shipped layer (RESULTS.md).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.safety import training  # noqa: E402
from bot.safety.blindsets import format_counts, load_sets, measure  # noqa: E402
from bot.safety.detector import RedFlagDetector  # noqa: E402
from bot.safety.layer import LearnedLayer  # noqa: E402
from bot.safety.rules import RuleSet  # noqa: E402
from bot.safety.thresholds import FLAGS, choose_thresholds  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("layers", nargs="+", type=Path)
    ap.add_argument("--sets", nargs="+", required=True, type=Path)
    args = ap.parse_args()
    rules = RuleSet.load()
    test = load_sets(args.sets)
    own, guard = training.project_silent(), training.dialogue_silent(training.SPENT_DIALOGUES)
    for layer_dir in args.layers:
        layer = LearnedLayer.load(layer_dir)
        manifest = json.loads((layer_dir / "manifest.json").read_text(encoding="utf-8"))
        val = [m for m in load_sets([training.ROOT / p for p in manifest["trained_on"]]) if training.held_out(m)]

        def probs(messages: list, layer: LearnedLayer = layer) -> np.ndarray:
            texts = [m.text for m in messages]
            rows = [r for i in range(0, len(texts), 32) for r in layer.scores_many(texts[i:i + 32])]
            return np.array([[row[f] for f in FLAGS] for row in rows], dtype=np.float32).reshape(-1, len(FLAGS))

        layer.thresholds, held = choose_thresholds(val, probs(val), rules, (own, probs(own)), (guard, probs(guard)))
        print(f"{layer_dir}: held-out tenth (thresholds chosen on it) {json.dumps(held)}")
        print(format_counts(f"{layer_dir} on {len(args.sets)} sets", measure(test, RedFlagDetector(rules, layer).scan)))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
