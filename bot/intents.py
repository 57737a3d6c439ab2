"""Conversation-control intents: what a message asks of the bot rather than what it reports."""
from __future__ import annotations

import re
from enum import StrEnum


class Intent(StrEnum):
    """What a message asks the bot to do."""

    START_OVER = "start_over"
    FORGET = "forget"
    MEMORY = "memory"
    WHY = "why"
    GREETING = "greeting"
    THANKS = "thanks"
    QUESTION = "question"
    STATEMENT = "statement"


_WHOLE = {
    Intent.START_OVER: r"(?:let'?s\s+)?(?:start|begin)\s+(?:over|again|afresh)|restart|reset|new\s+conversation",
    Intent.FORGET: r"forget\s+(?:me|everything|all\s+(?:of\s+)?(?:that|this|it)|what\s+i\s+(?:said|told\s+you))"
                   r"|delete\s+(?:my\s+data|everything|me|this\s+conversation)",
    Intent.MEMORY: r"what\s+do\s+you\s+(?:know|remember)\s+about\s+me|what\s+have\s+i\s+told\s+you"
                   r"|what\s+(?:do\s+you\s+have|have\s+you\s+(?:noted|stored|saved))(?:\s+(?:on|about)\s+me)?",
    Intent.WHY: r"(?:why|how\s+come|what\s+for|what'?s\s+that\s+for|why'?s\s+that)(?:\s+(?:do\s+you\s+(?:ask|want|need)"
                r"(?:\s+(?:that|this|it|to\s+know(?:\s+that)?))?|are\s+you\s+asking(?:\s+(?:that|this))?"
                r"|does\s+(?:that|it)\s+matter|that\s+question|is\s+that(?:\s+(?:important|relevant))?"
                r"|ask(?:\s+that)?|that|it\s+matters))?",
    Intent.GREETING: r"(?:hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening)|howdy)(?:\s+(?:there|kneebot))?",
    Intent.THANKS: r"(?:thanks?(?:\s+you)?|thank\s+you(?:\s+so\s+much|\s+very\s+much)?|cheers|ta|thx|ty)"
                   r"(?:\s+(?:kneebot|a\s+lot|that'?s\s+helpful|that\s+helps))?",
}
_LEAD = r"(?:(?:ok(?:ay)?|oh|ah|great|cool|right|alright)[\s,.!]+)?(?:please\s+)?"
_WHOLE_RE = {intent: re.compile(rf"^\s*{_LEAD}(?:{p})\s*[.!?]*\s*(?:please)?\s*[.!?]*\s*$", re.I)
             for intent, p in _WHOLE.items()}
_QUESTION_START = re.compile(
    r"^\s*(?:what|whats|what's|why|how|is|are|can|could|should|does|do|will|would|which|who|tell\s+me"
    r"|explain|any\s+tips|(?:when|where)\s+(?:is|are|do|does|did|should|can|could|will|would|might))\b", re.I)


def classify(text: str) -> Intent:
    """The control intent of a message; STATEMENT when it only reports symptoms."""
    for intent, pattern in _WHOLE_RE.items():
        if pattern.match(text):
            return intent
    stripped = text.strip()
    if stripped.endswith("?") or _QUESTION_START.match(stripped):
        return Intent.QUESTION
    return Intent.STATEMENT
