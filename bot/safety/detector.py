"""Red-flag detection: the hand-written rules first, then the learned layer over them.

The layer may add a hit (its score reaches the flag's `record` threshold) or the flag's own question
(`ask`), may turn a rule's question into a hit, and may turn a rule's hit into the flag's question when
it is confident the message does not report the flag (its score is under `keep`). It never silences a
rule: whatever the rules found is at least asked. An answer to the flag's own question, and the
persistent-pain timeline built over several messages, are the rules' alone.
"""
from __future__ import annotations

from dataclasses import replace

from bot.ids import RedFlag
from bot.red_flags import TIMELINE, Decision, Detection, RuleSet, ScanResult
from bot.safety.layer import LearnedLayer
from bot.timeline import Timeline

LAYER_DOUBT = "layer_doubt"  # modifier on a rule's hit that the layer turned into a question
LAYER_HIT = "layer"  # modifier on a detection that only the layer made


class RedFlagDetector:
    """Rules plus the learned layer; `scan` is what the conversation calls on every message."""

    def __init__(self, rules: RuleSet, layer: LearnedLayer | None) -> None:
        self.rules = rules
        self.layer = layer

    @property
    def version(self) -> str:
        """Rule-set version plus the layer's weights, as the audit log records them."""
        return f"{self.rules.version}/{self.layer.version}" if self.layer else self.rules.version

    def scan(self, text: str, timeline: Timeline | None = None, pending: RedFlag | None = None,
             scores: dict[RedFlag, float] | None = None) -> ScanResult:
        """Every flag's decision on `text`; `pending` is the flag whose question was just asked."""
        result = self.rules.scan(text, timeline=timeline, pending=pending)
        if self.layer is None:
            return result
        scores = scores if scores is not None else self.layer.scores(text)
        return combine(result, scores, self.layer, text, pending)


def combine(result: ScanResult, scores: dict[RedFlag, float], layer: LearnedLayer, text: str,
            pending: RedFlag | None = None) -> ScanResult:
    """The rules' result with the layer's decisions applied (see the module docstring)."""
    t = layer.thresholds
    by_flag = {d.rule: d for d in result.detections}
    out: list[Detection] = []
    for flag in RedFlag:
        p = scores.get(flag, 0.0)
        d = by_flag.get(flag)
        own = flag == pending or (d is not None and TIMELINE in d.modifiers)
        if d is not None:
            if own:
                out.append(d)
            elif d.decision is Decision.RECORD and p < t.keep[flag]:
                out.append(replace(d, decision=Decision.CONFIRM, modifiers=d.modifiers | {LAYER_DOUBT}))
            elif d.decision is Decision.CONFIRM and p >= t.record[flag]:
                out.append(replace(d, decision=Decision.RECORD, modifiers=d.modifiers | {LAYER_HIT}))
            else:
                out.append(d)
        elif p >= t.ask[flag]:
            decision = Decision.RECORD if p >= t.record[flag] else Decision.CONFIRM
            lo = len(text) - len(text.lstrip())
            hi = min(len(text.rstrip()), lo + 200)
            out.append(Detection(flag, decision, (lo, hi), text[lo:hi], frozenset({LAYER_HIT})))
    return ScanResult(out, result.timeline)
