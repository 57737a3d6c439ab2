"""A denial told inside a finding: "both legs are not numb", "my calf isn't swollen or red".

A cue may span the words between a body part and its finding ("both legs ... numb"), so a "not" between
them is inside the match, where the context rules (which read what comes before it) do not look. A
copula with "not" just before a state word that ends the finding denies it. A verb's own negation is
the finding itself and stays a hit: "are not working", "am not able to", "can't walk", "won't hold me".
"""
from __future__ import annotations

import re

_STATE = (r"(?:numb\w*|swollen|swelled|swelling|puffy|tight|hot|warm|red|tender|sore|painful|weak|tingl\w*|"
          r"cold|pale|blue|purple|bruised|stiff|feverish|achy|dead)")
_DENIAL = re.compile(
    r"(?:\b(?:is|are|was|were|am|feels?|felt|seems?|looks?)|'m|'re|'s)\s+(?:not|never|no\s+longer)\s+"
    r"(?:(?:at\s+all|even|really|that|too|very|remotely)\s+)?" + _STATE + r"\W*$"
    r"|\b(?:isn'?t|aren'?t|wasn'?t|weren'?t|ain'?t|(?:do|does|did)(?:n'?t|\s+not)\s+(?:feel|look|seem))\s+"
    r"(?:(?:at\s+all|even|really|that|too|very|remotely)\s+)?" + _STATE + r"\W*$", re.I)


def denied_inside(text: str, core: tuple[int, int]) -> bool:
    """Whether the finding `text[core[0]:core[1]]` ends in a state word its own copula denies."""
    return _DENIAL.search(text, core[0], core[1]) is not None
