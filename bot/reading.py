"""A message read once: control intent, answer to the pending question, findings and red-flag scan.

Every step of the conversation decides on this value; nothing reads the message again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answers import Answer, answer_to, read_answer
from bot.ids import RedFlag
from bot.intents import Intent, classify
from bot.safety.rules import ScanResult
from bot.services import Services
from bot.state import DialogueState, PendingKind
from bot.symptoms.findings import Finding
from bot.words import load_words

SCAN_LIMIT = 100_000  # red flags are looked for in this much of even an over-long message, in every channel
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
_WORDS = re.compile(r"[A-Za-z]{2,}")
_TOPICAL = re.compile(load_words().topical, re.I)
_ACK = re.compile(load_words().acknowledgement, re.I)
_ENGLISH = re.compile(load_words().english, re.I)
# A question that tells the person's own symptom ("is it normal for my knee to hurt when I stretch?").
_OWN_PAIN = re.compile(r"\b(?:my|i|i'm|im|i've|ive)\b[^.!]{0,60}?\b(?:hurt\w*|pain\w*|sore|ach\w*|burn\w*|"
                       r"pull\w*|tight\w*|click\w*|tingl\w*|numb\w*|throb\w*)\b|\b(?:hurt\w*|pain\w*|sore|ach\w*|"
                       r"burn\w*|tingl\w*|throb\w*)\b[^.?!]{0,40}?\b(?:my|me)\b", re.I)


@dataclass(frozen=True)
class Reading:
    """One message, read once: everything the steps decide on."""

    text: str  # without control characters, at most SCAN_LIMIT long
    length: int  # of the message as sent
    intent: Intent
    answer: Answer  # as an answer to the pending question (a doubt about something else is OTHER)
    findings: tuple[Finding, ...]  # read with the pending slot, if any
    scan: ScanResult  # rules and learned layer, with the pending flag's answer
    has_words: bool  # some words to read: Latin-script, and not four or more with almost none in English
    topical: bool  # mentions the knee, the stretch or a symptom
    acknowledges: bool  # only "ok", "got it", "I see"
    own_symptom: bool  # tells the person's own symptom ("is it normal for my knee to hurt when I stretch?")


def read_message(services: Services, state: DialogueState, text: str) -> Reading:
    """Read a message once, against the question pending in `state`."""
    safety = services.safety
    clean = _CONTROL.sub(" ", text[:SCAN_LIMIT])
    kind = state.pending_kind
    flag = RedFlag(state.pending_arg or "") if kind is PendingKind.CONFIRM else None
    slot = state.pending_arg if kind is PendingKind.SLOT else None
    answer = answer_to(clean) if kind in (PendingKind.CONFIRM, PendingKind.SCREEN) else read_answer(clean)
    intent = classify(clean)
    if intent is Intent.QUESTION:  # most are searched: the query is embedded while the message is scanned
        services.guidance.prefetch(clean)
    scan = safety.scan(clean, timeline=safety.rules.timeline_from(state.timeline), pending=flag)
    findings = tuple(services.symptoms.findings.extract(clean, slot))
    return Reading(clean, len(text), intent, answer, findings, scan, reads_english(clean),
                   bool(_TOPICAL.search(clean)), bool(_ACK.match(clean)), bool(_OWN_PAIN.search(clean)))


def reads_english(text: str) -> bool:
    """Whether there are words to read: Latin-script words, and, among the first 200 of four or more, a topical
    word or at least one in five common English ("seene mein dard ho raha hai" is not read as English)."""
    words = _WORDS.findall(text)[:200]
    if len(words) < 4:
        return bool(words)
    english = sum(1 for w in words if _ENGLISH.fullmatch(w) or _TOPICAL.match(w))
    return english * 5 >= len(words)
