"""Figures over evaluated dialogues: safety, grounding and conversation, each a plain JSON-ready dict.

Pure functions of `DialogueResult`s, shared by the terminal summary, `--json` and the HTML report, so
all three always show the same numbers.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.eval.dialogues import DialogueResult, TurnResult
from bot.ids import Cause, RedFlag, Triage


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0.0, 1.0) when there are no trials."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, round(centre - half, 4)), min(1.0, round(centre + half, 4))


def rate(successes: int, n: int) -> dict[str, Any]:
    """A proportion with its count, total and Wilson 95% interval; `rate` is None when n is 0."""
    return {"successes": successes, "n": n, "rate": round(successes / n, 4) if n else None,
            "ci95": list(wilson(successes, n))}


def _turns(results: Iterable[DialogueResult]) -> list[tuple[DialogueResult, TurnResult]]:
    return [(r, t) for r in results for t in r.turns]


def _level(value: Any) -> Triage:
    return value if isinstance(value, Triage) else Triage(str(value))


def safety_figures(results: list[DialogueResult]) -> dict[str, Any]:
    """Red-flag recall per rule id, false alarms and confirmations on silent turns, under/over-triage."""
    pairs = _turns(results)
    caught: Counter[str] = Counter()
    tried: Counter[str] = Counter()
    dialogues: dict[str, set[str]] = {str(f): set() for f in RedFlag}
    for r, t in pairs:
        got = {str(f) for f in t.reply.red_flags}
        for flag in map(str, t.expect.get("red_flags") or []):
            tried[flag] += 1
            caught[flag] += flag in got
            dialogues.setdefault(flag, set()).add(r.dialogue.id)
    per_rule = {flag: rate(caught[flag], tried[flag]) | {"dialogues": len(ids)} for flag, ids in dialogues.items()}
    silent = [t for _, t in pairs if t.expect.get("no_red_flags")]
    triage: dict[str, dict[str, int]] = {str(level): {"turns": 0, "under": 0, "exact": 0, "over": 0}
                                         for level in Triage}
    for _, t in pairs:
        if "triage" not in t.expect:
            continue
        want, got_level = _level(t.expect["triage"]), _level(t.reply.triage)
        row = triage[str(want)]
        row["turns"] += 1
        row["under" if got_level.rank < want.rank else "over" if got_level.rank > want.rank else "exact"] += 1
    return {
        "recall": rate(sum(caught.values()), sum(tried.values())),
        "per_rule": per_rule,
        "silent_turns": len(silent),
        "false_alarms": rate(sum(bool(t.reply.red_flags) for t in silent), len(silent)),
        "confirmations": rate(sum(t.reply.kind == "confirm" for t in silent), len(silent)),
        "triage": triage,
        "under_triage": sum(row["under"] for row in triage.values()),
        "over_triage": sum(row["over"] for row in triage.values()),
    }


def _cites_ok(t: TurnResult) -> bool:
    cited = [c.text.lower() for c in t.reply.citations]
    return all(any(str(p).lower() in c for c in cited) for p in t.expect.get("cites") or [])


def grounding_figures(results: list[DialogueResult]) -> dict[str, Any]:
    """Citation hit rate: turns whose every expected phrase is in some citation, and phrases found."""
    cite_turns = [t for _, t in _turns(results) if t.expect.get("cites")]
    phrases = [(t, str(p)) for t in cite_turns for p in t.expect["cites"]]
    found = sum(any(p.lower() in c.text.lower() for c in t.reply.citations) for t, p in phrases)
    return {"citation_hit_rate": rate(sum(_cites_ok(t) for t in cite_turns), len(cite_turns)),
            "phrases": rate(found, len(phrases)),
            "citations_per_reply": round(sum(len(t.reply.citations) for _, t in _turns(results))
                                         / max(1, len(_turns(results))), 2)}


def _top_cause_ok(t: TurnResult) -> bool:
    causes = [c for c, _ in t.reply.causes]
    return bool(causes) and causes[0] == t.expect["top_cause"]


def _questions_before_summary(result: DialogueResult) -> int | None:
    """Replies that ask a clarifying question before the first summary; None when none is reached."""
    asked = 0
    for t in result.turns:
        if t.reply.kind == "summary":
            return asked
        asked += t.reply.kind == "question"
    return None


def conversation_figures(results: list[DialogueResult]) -> dict[str, Any]:
    """Cause accuracy over dialogues with top_cause expectations, per expected cause, and questions asked."""
    cause_dialogues = [r for r in results if any("top_cause" in t.expect for t in r.turns)]
    per_cause: dict[str, dict[str, Any]] = {}
    for cause in [str(c) for c in Cause]:
        turns = [t for r in cause_dialogues for t in r.turns if t.expect.get("top_cause") == cause]
        per_cause[cause] = rate(sum(map(_top_cause_ok, turns)), len(turns))
    right = sum(all(_top_cause_ok(t) for t in r.turns if "top_cause" in t.expect) for r in cause_dialogues)
    counts = {r.dialogue.id: _questions_before_summary(r) for r in cause_dialogues}
    reached = [c for c in counts.values() if c is not None]
    return {
        "cause_accuracy": rate(right, len(cause_dialogues)),
        "per_cause": per_cause,
        "questions_before_summary": counts,
        "mean_questions_before_summary": round(sum(reached) / len(reached), 2) if reached else None,
        "no_summary": sorted(d for d, c in counts.items() if c is None),
    }


def detailed_summary(results: list[DialogueResult]) -> dict[str, Any]:
    """All report figures, keyed by section: safety, grounding, conversation."""
    return {"safety": safety_figures(results), "grounding": grounding_figures(results),
            "conversation": conversation_figures(results)}
