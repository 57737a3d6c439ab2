"""Choosing the learned layer's thresholds: budgets, and the project's own dialogue turns kept unasked."""
from __future__ import annotations

import numpy as np
import pytest

from bot.ids import RedFlag
from bot.safety.blindsets import Message
from bot.safety.layer import Thresholds
from bot.safety.rules import RuleSet
from bot.safety.thresholds import (
    ASK,
    FLAGS,
    NONE,
    RECORD,
    SHUT,
    VAGUE,
    alone,
    choose_thresholds,
    decide,
    rule_matrix,
)

FLAG = RedFlag.KNEE_INSTABILITY
J = FLAGS.index(FLAG)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load()


def _probs(values: list[float]) -> np.ndarray:
    out = np.zeros((len(values), len(FLAGS)))
    out[:, J] = values
    return out


def _arrays(t: Thresholds) -> tuple[np.ndarray, ...]:
    return tuple(np.array([getattr(t, name)[f] for f in FLAGS]) for name in ("record", "ask", "keep", "promote"))


def _held_out() -> tuple[list[Message], np.ndarray]:
    """Ten reports of one flag the rules cannot see, which the layer scores 0.75, and 100 silent messages."""
    reports = [Message(f"entry {i} of the diary", frozenset({FLAG})) for i in range(10)]
    silent = [Message(f"note {i} about lunch", frozenset()) for i in range(100)]
    return reports + silent, _probs([0.75] * 10 + [0.0] * 100)


def test_rules_see_nothing_in_the_synthetic_messages(rules: RuleSet) -> None:
    messages, _ = _held_out()
    assert not rule_matrix(messages, rules).any()


def test_reports_the_layer_is_fairly_sure_of_get_the_question(rules: RuleSet) -> None:
    messages, probs = _held_out()
    t, _ = choose_thresholds(messages, probs, rules)
    made = decide(rule_matrix(messages, rules), probs, *_arrays(t))
    assert (made[:10, J] == ASK).all()  # recorded or asked beats silence within the question budget
    assert (made[10:] == NONE).all()


def _silent_dialogue_turn(rules: RuleSet, score: float) -> tuple[int, float]:
    """The decision on a silent turn of the project's own dialogues the layer scores `score`, beside 200 silent
    table lines, and the question threshold chosen."""
    messages, probs = _held_out()
    tables = [Message(f"table line {i}", frozenset(), kind="table") for i in range(200)]
    turn = [Message("oh wait, it's more at the front", frozenset(), kind="project_dialogue")]
    own, own_probs = tables + turn, _probs([0.0] * 200 + [score])
    t, _ = choose_thresholds(messages, probs, rules, own=(own, own_probs))
    return int(decide(rule_matrix(own, rules), own_probs, *_arrays(t))[-1, J]), t.ask[FLAG]


def test_no_question_on_a_silent_turn_of_the_projects_own_dialogues(rules: RuleSet) -> None:
    # one question among 200 table messages is within the tables' own budget; on a dialogue turn it is not
    made, ask = _silent_dialogue_turn(rules, 0.76)
    assert made == NONE
    assert ask > 0.76


def test_the_same_message_in_the_tables_may_be_asked(rules: RuleSet) -> None:
    messages, probs = _held_out()
    own = [Message(f"table line {i}", frozenset(), kind="table") for i in range(201)]
    own_probs = _probs([0.0] * 200 + [0.76])
    t, _ = choose_thresholds(messages, probs, rules, own=(own, own_probs))
    assert t.ask[FLAG] <= 0.75  # the reports keep their question


def test_alone_reads_a_vague_rule_question_as_a_question() -> None:
    ruled = np.array([[0, 3, 2, 1]], dtype=np.int8)
    assert alone(ruled).tolist() == [[NONE, ASK, RECORD, ASK]]


def test_a_false_alarm_on_a_guarded_message_is_refused_even_when_another_is_removed(rules: RuleSet) -> None:
    messages, probs = _held_out()
    reports = [Message(f"entry {i} of the diary", frozenset({FLAG})) for i in range(10)]
    messages, probs = reports + messages[10:], _probs([0.96] * 10 + [0.0] * 100)  # worth recording at 0.95
    # a spent dialogue's silent turn the layer scores 0.97 (recorded at the best setting otherwise), and one
    # the rules record but the layer doubts (turned into a question): the one may not pay for the other
    guard = [Message("a turn the layer is sure of", frozenset()), Message("my knee gave way", frozenset())]
    t, _ = choose_thresholds(messages, probs, rules, guard=(guard, _probs([0.97, 0.0])))
    made = decide(rule_matrix(guard, rules), _probs([0.97, 0.0]), *_arrays(t))
    assert made[0, J] != RECORD
    assert t.record[FLAG] > 0.97


def test_within_the_budget_a_false_alarm_still_costs(rules: RuleSet) -> None:
    # 100 reports the rules record (the layer doubts one of them) and three silent messages the rules also
    # record, which the layer doubts as much: recording all 103 stays within the false-alarm budget, but one
    # flag more is not worth three false alarms, so the doubted hits become questions
    said = "my knee gave way on the stairs"
    reports = [Message(f"{said} {i}", frozenset({FLAG})) for i in range(100)]
    wrong = [Message(f"{said} again {i}", frozenset()) for i in range(3)]
    silent = [Message(f"note {i} about lunch", frozenset()) for i in range(100)]
    messages = reports + wrong + silent
    probs = _probs([0.99] * 99 + [0.003] + [0.003] * 3 + [0.0] * 100)
    assert (rule_matrix(messages[:103], rules)[:, J] == RECORD).all()
    t, figures = choose_thresholds(messages, probs, rules)
    made = decide(rule_matrix(messages, rules), probs, *_arrays(t))
    assert (made[100:103, J] == ASK).all() and made[99, J] == ASK
    assert figures["false_alarms"] == 0.0 and figures["recorded"] == 0.99


def test_the_choice_sees_the_questions_the_detector_may_promote(rules: RuleSet) -> None:
    # a report told with a laugh is promotable, as in the detector; a hedge is not
    told = [Message("since stretching i cant stand on my right leg at all, using a broom as a crutch lol",
                    frozenset({RedFlag.CANNOT_BEAR_WEIGHT})),
            Message("I think my knee gave way on the stairs", frozenset({FLAG}))]
    ruled = rule_matrix(told, rules)
    assert ruled[0, FLAGS.index(RedFlag.CANNOT_BEAR_WEIGHT)] == VAGUE
    assert ruled[1, J] == ASK


def test_a_dialogue_turn_the_layer_is_almost_sure_of_stays_unasked(rules: RuleSet) -> None:
    """A silent turn the layer scores 0.985 ("sharp pinch inside the knee"): the question threshold must be able to
    go above it (up to the record threshold), or the turn is asked whatever else is chosen."""
    made, ask = _silent_dialogue_turn(rules, 0.985)
    assert made == NONE
    assert ask > 0.985


def test_a_dialogue_turn_scored_above_every_step_stays_unasked(rules: RuleSet) -> None:
    """The round-21 layer scored a silent turn 0.998, above the highest record threshold the grid holds: the
    guard is hard, not a cost, so the thresholds go above the score."""
    made, ask = _silent_dialogue_turn(rules, 0.998)
    assert made == NONE
    assert ask > 0.998


def test_a_vague_rule_question_on_a_dialogue_turn_is_not_promoted(rules: RuleSet) -> None:
    messages, probs = _held_out()
    said = "since stretching i cant stand on my right leg at all, using a broom as a crutch lol"
    own = [Message(said, frozenset(), kind="project_dialogue")]
    flag = FLAGS.index(RedFlag.CANNOT_BEAR_WEIGHT)
    own_probs = np.zeros((1, len(FLAGS)))
    own_probs[0, flag] = 0.999
    ruled = rule_matrix(own, rules)
    assert ruled[0, flag] == VAGUE
    t, _ = choose_thresholds(messages, probs, rules, own=(own, own_probs))
    assert decide(ruled, own_probs, *_arrays(t))[0, flag] == ASK  # the rules' question, not a hit


def test_persistent_pain_from_the_layer_waits_for_the_timeline(rules: RuleSet) -> None:
    """Gentler stretching begun yesterday is not persistent pain, however sure the layer is."""
    said = "I started the bent-knee version yesterday and it's no better"
    ruled = rule_matrix([Message(said, frozenset())], rules)
    j = FLAGS.index(RedFlag.PERSISTENT_PAIN)
    assert ruled[0, j] == SHUT
    probs = np.zeros((1, len(FLAGS)))
    probs[0, j] = 1.0
    t = tuple(np.full(len(FLAGS), x) for x in (0.9, 0.5, 0.005, 0.6))
    assert decide(ruled, probs, *t)[0, j] == NONE
    told = "two weeks of the bent-knee version and it's no better"
    assert rule_matrix([Message(told, frozenset())], rules)[0, j] != SHUT
