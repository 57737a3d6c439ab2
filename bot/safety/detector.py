"""Red-flag detection: the hand-written rules first, then the learned layer over them.

The layer may add a hit (its score reaches the flag's `record` threshold) or the flag's own question
(`ask`) where the rules found nothing, and may turn a rule's hit into the flag's question when it is
confident the message does not report the flag (its score is under `keep`). It never silences a rule:
whatever the rules found is at least asked. A rule's question on a vague description ("a bit puffy",
"it catches"), with nothing hedged, or told with a laugh ("... lol"), becomes a hit when the layer is
confident too (`promote`): the two agree. A rule's question for a hedge or a condition ("I think it gave
way") stays a question, as the contract says. An answer to the flag's own question (kneebot's, or one quoted
above the reply), and the persistent-pain timeline built over several messages, are the rules' alone, and where
the timeline says the gentler stretching began less than the rules' minimum ago, or that the pain is improving,
the layer adds no persistent pain.
"""
from __future__ import annotations

from dataclasses import replace

from bot.ids import RedFlag
from bot.safety.context import PROMOTABLE
from bot.safety.layer import LearnedLayer
from bot.safety.quoted import unquoted
from bot.safety.rules import ANSWERED, TIMELINE, Decision, Detection, RuleSet, ScanResult
from bot.safety.timeline import Timeline

LAYER_DOUBT = "layer_doubt"  # modifier on a rule's hit that the layer turned into a question
LAYER_HIT = "layer"  # modifier on a detection that only the layer made
LAYER_AGREES = "layer_agrees"  # modifier on a rule's question on a vague description that the layer made a hit
NEAR = 600  # characters around a rule's hit that the layer reads again in a long message


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
        if self.layer is None:
            return self.rules.scan(text, timeline=timeline, pending=pending)
        # the layer's pass over the message runs on the model's worker while the rules scan it; a reply under a
        # quoted question is read alone (`quoted`): the quote is not the person's report
        started = self.layer.start([unquoted(text).strip() or text]) if scores is None else None
        result = self.rules.scan(text, timeline=timeline, pending=pending)
        # In a long message the layer reads only some windows: a rule's hit is judged on its own
        # neighbourhood too, so a part the layer did not read never turns a hit into a question.
        hits = [d for d in result.detections if d.decision is Decision.RECORD] if len(text) > NEAR else []
        rows = self.layer.scores_many([text[max(0, d.span[0] - NEAR // 2):d.span[1] + NEAR // 2]
                                       for d in hits]) if hits else []
        scores = started.result()[0] if started is not None else scores or {}
        near = {d.rule: row[d.rule] for d, row in zip(hits, rows, strict=True)}
        return combine(result, scores, self.layer, text, pending, near, self.rules)


def combine(result: ScanResult, scores: dict[RedFlag, float], layer: LearnedLayer, text: str,
            pending: RedFlag | None = None, near: dict[RedFlag, float] | None = None,
            rules: RuleSet | None = None) -> ScanResult:
    """The rules' result with the layer's decisions applied (see the module docstring); `near` holds
    the score of the text around a rule's hit, which a hit needs to fall under `keep` too. A layer hit
    on a message using words in a sense easily taken for the flag (`rules.asks_instead`) is asked."""
    near = near or {}
    t = layer.thresholds
    # the rules' timeline knows the gentler stretching began too recently for persistent pain ("I started
    # the bent-knee version yesterday and it's no better"), or that the pain is improving: the layer does not
    # overrule that
    ruled_out = rules is not None and timeline_rules_out(result.timeline, rules)
    by_flag = {d.rule: d for d in result.detections}
    out: list[Detection] = []
    for flag in RedFlag:
        p = scores.get(flag, 0.0)
        d = by_flag.get(flag)
        own = flag == pending or (d is not None and bool(d.modifiers & {TIMELINE, ANSWERED}))
        if d is not None:
            if own:
                out.append(d)
            elif d.decision is Decision.RECORD and max(p, near.get(flag, 0.0)) < t.keep[flag]:
                out.append(replace(d, decision=Decision.CONFIRM, modifiers=d.modifiers | {LAYER_DOUBT}))
            elif (d.decision is Decision.CONFIRM and d.modifiers <= PROMOTABLE and p >= t.promote[flag]
                  and not (rules is not None and rules.asks_instead(flag, text))):
                out.append(replace(d, decision=Decision.RECORD, modifiers=frozenset({LAYER_AGREES})))
            else:
                out.append(d)
        elif p >= t.ask[flag] and not (ruled_out and flag is RedFlag.PERSISTENT_PAIN):
            decision = Decision.RECORD if p >= t.record[flag] else Decision.CONFIRM
            # the rules found this sign told of someone else ("my gran is breathless"), or words in a sense easily
            # taken for it: the layer's hit is asked
            if decision is Decision.RECORD and (
                    flag in result.others or rules is not None and rules.asks_instead(flag, text)):
                decision = Decision.CONFIRM
            lo = len(text) - len(text.lstrip())
            hi = min(len(text.rstrip()), lo + 200)
            out.append(Detection(flag, decision, (lo, hi), text[lo:hi], frozenset({LAYER_HIT})))
    return replace(result, detections=out)


def timeline_rules_out(timeline: Timeline, rules: RuleSet) -> bool:
    """Whether the timeline rules persistent pain out: modified stretching for less than the rules' minimum, or
    the pain told as improving ("week 1 modified: 6/10, week 2: 3/10, getting there")."""
    return timeline.improving is True or (
        timeline.modified_days is not None and timeline.modified_days < rules.timeline_cues.min_days)
