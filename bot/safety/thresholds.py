"""Choosing the learned layer's thresholds on held-out messages, with the rules' own decisions.

A rule's decision is one of: none, a question because the description is vague (nothing hedged:
"a bit puffy", "it catches"), a question for any other reason (a hedge, a condition, a joke, the
persistent-pain timeline), or a hit. The layer adds a hit at `record`, a question at `ask`, turns a vague
question into a hit at `promote` (rules and layer agree; a hedged report stays a question, as the
contract says), and turns a rule's hit into a question under `keep`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bot.ids import RedFlag
from bot.safety.blindsets import EMERGENCY, Message
from bot.safety.context import PROMOTABLE
from bot.safety.detector import timeline_rules_out
from bot.safety.layer import NEVER, Thresholds
from bot.safety.rules import Decision, RuleSet

FALSE_ALARM_BUDGET = 0.035  # on held-out silent messages, rules and layer together
QUESTION_BUDGET = 0.13
OWN_QUESTION_BUDGET = 0.01  # questions the layer may add to the rules' on the project's own silent messages
# each flag's question threshold is tried at these (up to the record threshold, so that a silent dialogue turn
# the layer scores 0.98 can be kept unasked)
ASK_STEPS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995)
GUARD_MARGIN = 2e-4  # above a score the hard guard must not reach (the ONNX export differs by up to 1e-4)
DIALOGUE_TURN_COST = 1.0  # a question or a record the layer adds on a silent turn of the project's dialogues: none
GUARD_COST = 1.0  # a false alarm the layer adds on a message of `guard`: outweighs every budget (none allowed)
RECORD_FLOOR = 0.9  # the layer alone records a flag only when this confident
PROMOTE_FLOOR = 0.6  # and turns a rule's vague question into a hit only when this confident
ASK_FLOOR = 0.4  # and asks the flag's question only when this confident (noise scores up to ~0.25 on some flags)
EMERGENCY_FLOOR = 0.5
FLAGS = list(RedFlag)
NONE, ASK, RECORD, VAGUE = 0, 1, 2, 3  # the rules' decisions in a matrix (VAGUE: a question `promote` may record)
SHUT = 4  # none, and the layer may add nothing (persistent pain the timeline rules out: too short, or improving)


def rule_matrix(messages: list[Message], rules: RuleSet) -> np.ndarray:
    """The rules' decision per message and flag: NONE, ASK, RECORD, VAGUE or SHUT."""
    out = np.zeros((len(messages), len(FLAGS)), dtype=np.int8)
    for i, m in enumerate(messages):
        result = rules.scan(m.text)
        if timeline_rules_out(result.timeline, rules):
            out[i, FLAGS.index(RedFlag.PERSISTENT_PAIN)] = SHUT
        for d in result.detections:
            out[i, FLAGS.index(d.rule)] = (RECORD if d.decision is Decision.RECORD
                                           else VAGUE if d.modifiers <= PROMOTABLE else ASK)
    return out


def decide(rules: np.ndarray, probs: np.ndarray, t_record: np.ndarray, t_ask: np.ndarray,
           t_keep: np.ndarray, t_promote: np.ndarray) -> np.ndarray:
    """The combined decision matrix (0 none, 1 ask, 2 record), as bot.safety.detector.combine decides."""
    out = np.where(probs >= t_record, RECORD, np.where(probs >= t_ask, ASK, NONE))
    out = np.where(rules == RECORD, np.where(probs < t_keep, ASK, RECORD), out)
    out = np.where(rules == VAGUE, np.where(probs >= t_promote, RECORD, ASK), out)
    out = np.where(rules == ASK, ASK, out)
    return np.where(rules == SHUT, NONE, out)


def figures(messages: list[Message], decisions: np.ndarray) -> dict[str, float]:
    """Recorded, recorded-or-asked, false alarms and questions on silent, from a decision matrix."""
    labels = np.array([[f in m.flags for f in FLAGS] for m in messages], dtype=bool)
    silent = ~labels.any(axis=1)
    pairs = labels.sum()
    emergency = labels[:, [FLAGS.index(f) for f in EMERGENCY]]
    return {
        "recorded": float((decisions[labels] == 2).sum() / max(pairs, 1)),
        "recorded_or_asked": float((decisions[labels] >= 1).sum() / max(pairs, 1)),
        "emergency_recorded": float((decisions[:, [FLAGS.index(f) for f in EMERGENCY]][emergency] == 2).sum()
                                    / max(emergency.sum(), 1)),
        "false_alarms": float((decisions[silent] == 2).any(axis=1).mean()) if silent.any() else 0.0,
        "silent_asked": float(((decisions[silent] == 1).any(axis=1) & ~(decisions[silent] == 2).any(axis=1)).mean())
        if silent.any() else 0.0,
    }


def alone(ruled: np.ndarray) -> np.ndarray:
    """The rules' decisions alone, as a decision matrix (a vague question is a question)."""
    return np.where(ruled == VAGUE, ASK, np.where(ruled == SHUT, NONE, ruled)).astype(np.int64)


FALSE_ALARM_COST = 0.5  # a false alarm within the budget, against one flag recorded


def choose_thresholds(messages: list[Message], probs: np.ndarray, rules: RuleSet,
                      own: tuple[list[Message], np.ndarray] | None = None,
                      guard: tuple[list[Message], np.ndarray] | None = None) -> tuple[Thresholds, dict]:
    """The thresholds that record most held-out flags within the false-alarm and question budgets
    (or, when no setting keeps within them, the one that exceeds them least), never recording on the
    project's own silent messages (`own`) nor adding any false alarm to the rules' on other messages that
    must stay silent (`guard`; one the layer turns into a question does not pay for one it adds) nor
    asking on the silent turns of the project's own dialogues; emergency flags then get the lowest
    thresholds allowed.
    The layer alone records only when confident: `record` is at least RECORD_FLOOR (EMERGENCY_FLOOR), `ask` at
    least ASK_FLOOR, `promote` at least PROMOTE_FLOOR (EMERGENCY_FLOOR)."""
    ruled = rule_matrix(messages, rules)
    own_msgs, own_probs = own if own is not None else ([], np.zeros((0, len(FLAGS))))
    own_ruled = rule_matrix(own_msgs, rules)
    own_alone = figures(own_msgs, alone(own_ruled)) if own_msgs else None
    # the turns of the project's own dialogues: a question there changes the conversation the test expects
    turns = np.array([m.kind == "project_dialogue" for m in own_msgs], dtype=bool)
    turns_ruled = alone(own_ruled)[turns]
    turns_alone, turns_recorded = (turns_ruled > 0).any(axis=1), (turns_ruled == RECORD).any(axis=1)
    guard_msgs, guard_probs = guard if guard is not None else ([], np.zeros((0, len(FLAGS))))
    guard_ruled = rule_matrix(guard_msgs, rules)
    n = len(FLAGS)

    def rank_of(t: tuple[np.ndarray, ...]) -> tuple[float, float]:
        f = figures(messages, decide(ruled, probs, *t))
        excess = max(0.0, f["false_alarms"] - FALSE_ALARM_BUDGET) * 2 + max(0.0, f["silent_asked"] - QUESTION_BUDGET)
        if own_alone is not None:
            own_made = decide(own_ruled, own_probs, *t)
            o = figures(own_msgs, own_made)
            excess += 10 * max(0.0, o["false_alarms"] - own_alone["false_alarms"]) + max(0.0, o["silent_asked"] - 0.05)
            excess += 2 * max(0.0, o["silent_asked"] - own_alone["silent_asked"] - OWN_QUESTION_BUDGET)
            said = (own_made[turns] > 0).any(axis=1) & ~turns_alone
            recorded = (own_made[turns] == RECORD).any(axis=1) & ~turns_recorded  # "some tingling": asked, not recorded
            excess += DIALOGUE_TURN_COST * int((said | recorded).sum())
        if guard_msgs:  # each false alarm the layer adds counts, whatever rule hits it turns into questions
            added = ((decide(guard_ruled, guard_probs, *t) == RECORD) & (guard_ruled != RECORD)).any(axis=1)
            excess += GUARD_COST * int(added.sum())
        # within the budgets a false alarm still costs: half a recorded flag (keeps a rule's doubtful hit
        # a question unless recording it finds far more flags than it raises false alarms)
        return (-round(excess, 3), f["recorded"] + 0.5 * f["recorded_or_asked"] + f["emergency_recorded"]
                - FALSE_ALARM_COST * f["false_alarms"])

    def with_flag(t: tuple[np.ndarray, ...], which: int, j: int, value: float) -> tuple[np.ndarray, ...]:
        out = [x.copy() for x in t]
        out[which][j] = value
        return tuple(out)

    best: tuple[tuple[float, float], tuple[np.ndarray, ...]] | None = None
    t: tuple[np.ndarray, ...]
    for r in (RECORD_FLOOR, 0.95, 0.98):
        for a in (0.5, 0.6, 0.7, 0.8, 0.9):
            for k in (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2):
                for pr in (PROMOTE_FLOOR, 0.7, 0.8, 0.9, NEVER):
                    grid = (np.full(n, r), np.full(n, a), np.full(n, k), np.full(n, pr))
                    key = rank_of(grid)
                    if best is None or key > best[0]:
                        best = (key, grid)
    assert best is not None
    t = best[1]
    for flag in EMERGENCY:
        j = FLAGS.index(flag)
        base = rank_of(t)
        for lower in (EMERGENCY_FLOOR, 0.6, 0.7, 0.8):
            if lower >= t[0][j]:
                break
            trial = with_flag(with_flag(t, 0, j, lower), 1, j, max(ASK_FLOOR, min(t[1][j], lower / 2)))
            if rank_of(trial)[0] >= base[0]:
                t = trial
                break
    for _ in range(2):  # then each flag on its own: a flag the layer over-asks gets higher thresholds
        for j in range(n):
            best_key = rank_of(t)
            floor = EMERGENCY_FLOOR if FLAGS[j] in EMERGENCY else RECORD_FLOOR
            for r_j in (x for x in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.995) if x >= floor):
                for a_j in (x for x in ASK_STEPS if ASK_FLOOR <= x <= r_j):
                    trial = with_flag(with_flag(t, 0, j, r_j), 1, j, a_j)
                    key = rank_of(trial)
                    if key > best_key:
                        best_key, t = key, trial
            floor = EMERGENCY_FLOOR if FLAGS[j] in EMERGENCY else PROMOTE_FLOOR
            for p_j in (x for x in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, NEVER) if x >= floor):
                trial = with_flag(t, 3, j, p_j)
                key = rank_of(trial)
                if key > best_key:
                    best_key, t = key, trial
    if own_msgs and turns.any():  # and a hard guard: the layer adds nothing to a silent turn of the dialogues
        t = guard_turns(own_ruled[turns], own_probs[turns], t)
    chosen = Thresholds(*({f: float(x[i]) for i, f in enumerate(FLAGS)} for x in t))
    final = figures(messages, decide(ruled, probs, *t))
    result: dict[str, Any] = {k2: round(v, 4) for k2, v in final.items()}
    result["rules_alone"] = {k2: round(v, 4) for k2, v in figures(messages, alone(ruled)).items()}
    result["messages"] = len(messages)
    return chosen, result


def guard_turns(ruled: np.ndarray, probs: np.ndarray, t: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Thresholds raised just above the scores of silent dialogue turns where the layer would still add a
    question or a hit the rules do not make (the chooser's costs only weigh against it; this forbids it)."""
    record, ask, keep, promote = (x.astype(np.float64).copy() for x in t)
    for _ in range(2):
        made = decide(ruled, probs, record, ask, keep, promote)
        base = alone(ruled)
        for i, j in zip(*np.nonzero(((made > 0) & (base == NONE)) | ((made == RECORD) & (base != RECORD))),
                        strict=True):
            above = float(probs[i, j]) + GUARD_MARGIN
            if ruled[i, j] == VAGUE:
                promote[j] = max(promote[j], above)
            else:
                ask[j] = max(ask[j], above)
                record[j] = max(record[j], ask[j])
    return record, ask, keep, promote
