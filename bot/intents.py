"""Conversation-control intents: what a message asks of the bot rather than what it reports
(patterns in data/words.yaml)."""
from __future__ import annotations

import re
from enum import StrEnum

from bot.words import DEFAULT_PATH, known, load_words


class Intent(StrEnum):
    """What a message asks the bot to do."""

    START_OVER = "start_over"
    FORGET = "forget"
    MEMORY = "memory"
    WHY = "why"
    GREETING = "greeting"
    THANKS = "thanks"
    ADVICE = "advice"
    QUESTION = "question"
    STATEMENT = "statement"


_WORDS = load_words()
known(DEFAULT_PATH, "intents", list(_WORDS.intents), {str(i) for i in Intent})
_WHOLE_RE = {Intent(intent): re.compile(rf"^\s*{_WORDS.intent_lead}(?:{p})\s*[.!?]*\s*(?:please)?\s*[.!?]*\s*$", re.I)
             for intent, p in _WORDS.intents.items()}
_QUESTION_START = re.compile(_WORDS.question_start, re.I)


def classify(text: str) -> Intent:
    """The control intent of a message; STATEMENT when it only reports symptoms."""
    for intent, pattern in _WHOLE_RE.items():
        if pattern.match(text):
            return intent
    stripped = text.strip()
    if stripped.endswith("?") or _QUESTION_START.match(stripped):
        return Intent.QUESTION
    return Intent.STATEMENT
