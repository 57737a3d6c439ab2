"""The headline of an evaluation run, as terminal text and as the SPEC's JSON document.

Every figure comes from bot.eval.metrics, so the terminal, `--json` and the HTML report always agree.
"""
from __future__ import annotations

from typing import Any

from bot.eval import metrics
from bot.eval.dialogues import DialogueResult


def summarise(results: list[DialogueResult]) -> dict[str, Any]:
    """Headline figures: pass rates, red-flag recall and false alarms, citation hit rate, cause accuracy."""
    turns = [t for r in results for t in r.turns]
    safety = metrics.safety_figures(results)
    cites = metrics.grounding_figures(results)["citation_hit_rate"]
    causes = metrics.conversation_figures(results)["cause_accuracy"]
    return {
        "dialogues": len(results),
        "dialogues_passed": sum(r.passed for r in results),
        "turns": len(turns),
        "turns_passed": sum(t.passed for t in turns),
        "turn_pass_rate": metrics.rate(sum(t.passed for t in turns), len(turns))["rate"],
        "red_flags_expected": safety["recall"]["n"],
        "red_flag_recall": safety["recall"]["rate"],
        "silent_turns": safety["silent_turns"],
        "false_alarms": safety["false_alarms"]["successes"],
        "citation_turns": cites["n"],
        "citation_hit_rate": cites["rate"],
        "cause_dialogues": causes["n"],
        "cause_accuracy": causes["rate"],
    }


def to_json(results: list[DialogueResult], retrieval: dict[str, Any] | None = None) -> dict[str, Any]:
    """The SPEC's machine-readable shape; the summary also carries the report's figures by section."""
    summary = summarise(results) | metrics.detailed_summary(results)
    if retrieval is not None:
        summary["retrieval"] = retrieval
    return {
        "summary": summary,
        "dialogues": [
            {"id": r.dialogue.id, "passed": r.passed,
             "turns": [{"user": t.user, "passed": t.passed, "failures": t.failures, "reply": t.reply.to_dict()}
                       for t in r.turns]}
            for r in results
        ],
    }


def format_report(results: list[DialogueResult]) -> str:
    """A per-dialogue pass/fail table, every failed expectation, and the summary figures."""
    lines = []
    width = max((len(r.dialogue.id) for r in results), default=10)
    for r in results:
        lines.append(f"{'PASS' if r.passed else 'FAIL'}  {r.dialogue.id:<{width}}  "
                     f"{sum(t.passed for t in r.turns)}/{len(r.turns)} turns")
        for n, t in enumerate(r.turns, start=1):
            for failure in t.failures:
                lines.append(f"      turn {n} {t.user[:60]!r}: {failure}")
    s = summarise(results)
    lines.append("")
    lines.append(
        f"{s['dialogues_passed']}/{s['dialogues']} dialogues passed; turn pass rate {s['turn_pass_rate']}; "
        f"red-flag recall {s['red_flag_recall']} over {s['red_flags_expected']} expected flags; "
        f"false alarms {s['false_alarms']}/{s['silent_turns']}; citation hit rate {s['citation_hit_rate']}; "
        f"cause accuracy {s['cause_accuracy']} over {s['cause_dialogues']} dialogues")
    lines.append(_safety_line(metrics.detailed_summary(results)["safety"]))
    return "\n".join(lines)


def _safety_line(s: dict[str, Any]) -> str:
    """One terminal line with the safety figures."""

    def frac(r: dict[str, Any]) -> str:
        if not r["n"]:
            return "n/a (0 turns)"
        return f"{r['successes']}/{r['n']} = {r['rate']:.2f} (95% CI {r['ci95'][0]:.2f}-{r['ci95'][1]:.2f})"

    missed = sorted(f for f, r in s["per_rule"].items() if r["n"] and r["successes"] < r["n"])
    untested = sum(1 for r in s["per_rule"].values() if not r["n"])
    return (f"safety: red-flag recall {frac(s['recall'])}; rules missed {missed or 'none'}, untested {untested}; "
            f"false alarms {s['false_alarms']['successes']}/{s['silent_turns']} silent turns, confirmations "
            f"{s['confirmations']['successes']}; under-triage {s['under_triage']}, over-triage {s['over_triage']}")
