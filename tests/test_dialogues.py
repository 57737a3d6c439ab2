"""The golden dialogues in tests/dialogues/, through the real assistant (the same files `kneebot eval` runs)."""
from pathlib import Path

import pytest

from bot.eval.dialogues import collect, run
from bot.ids import Cause

DIALOGUES = collect([Path(__file__).parent / "dialogues"])


@pytest.mark.slow
@pytest.mark.parametrize("dialogue", DIALOGUES, ids=[d.id for d in DIALOGUES])
def test_dialogue(dialogue, real_assistant, grounding):
    [result] = run([dialogue], real_assistant.conversation)
    problems = [f"turn {n} {t.user!r}: {f}" for n, t in enumerate(result.turns, 1) for f in t.failures]
    problems += [f"turn {n}: ungrounded line {line!r}" for n, t in enumerate(result.turns, 1)
                 for line in grounding.ungrounded(t.reply.text)]
    assert problems == []


def test_there_are_enough_dialogues():
    assert len(DIALOGUES) >= 40
    aimed = {}
    for d in DIALOGUES:
        for t in d.turns:
            if "top_cause" in t.expect:
                aimed.setdefault(t.expect["top_cause"], set()).add(d.id)
    assert all(len(aimed.get(c, ())) >= 4 for c in Cause), aimed
