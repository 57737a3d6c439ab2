"""The conversation: one turn in, one grounded reply out.

The safety order is the body of `_respond`, first match wins:
red flags -> confirm an uncertain flag -> control intents -> the safety screen -> a question about
the guidance -> the next clarifying question -> advice, with an explicit fallback.
"""
from __future__ import annotations

import logging
import re
import threading
import uuid
from typing import TYPE_CHECKING

from bot.answers import Answer, answer_to, read_answer
from bot.errors import StoreError
from bot.ids import RedFlag, Triage
from bot.intents import Intent, classify
from bot.replies import ReplyBuilder
from bot.reply import Reply
from bot.state import DialogueState
from bot.store import AuditEntry

if TYPE_CHECKING:
    from bot.assistant import Assistant

log = logging.getLogger(__name__)

MAX_QUESTIONS = 4
SCAN_LIMIT = 100_000  # red flags are looked for in this much of even an over-long message
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
_LATIN = re.compile(r"[A-Za-z]{2,}")
_TOPICAL = re.compile(
    r"\b(?:knee|hamstring|stretch|leg|calf|thigh|pain|hurt|sore|ache|burn|pull|toe|back|foot|feet|tendon|"
    r"nerve|cyst|meniscus|kneecap|swell|swollen|lump|tight|sharp|click|lock|numb|tingl)", re.I)
_ACK = re.compile(r"^\s*(?:ok(?:ay)?|got\s+it|i\s+see|alright|right|cool|great|fine|understood)\W*$", re.I)
_YES_NO_ANSWERS = {Answer.YES, Answer.NO, Answer.UNSURE, Answer.DONT_KNOW, Answer.SKIP}


class Conversation:
    """One person's conversation; `send` is the only thing a channel calls."""

    def __init__(self, assistant: Assistant, conversation_id: str | None = None) -> None:
        self.assistant = assistant
        self.id = conversation_id or uuid.uuid4().hex
        self._lock = threading.Lock()
        stored = None
        if conversation_id is not None:
            try:
                stored = assistant.store.load(conversation_id)
            except StoreError:
                log.exception("could not read conversation state")
        self.state = DialogueState.from_dict(stored) if stored else DialogueState()

    def send(self, text: str) -> Reply:
        """Answer one message from the person."""
        with self._lock:
            if not isinstance(text, str):
                text = str(text)
            try:
                stored = self.assistant.store.load(self.id)
            except StoreError:
                stored = None
            if stored:
                self.state = DialogueState.from_dict(stored)
            self.state.turn += 1
            clean = _CONTROL.sub(" ", text[:SCAN_LIMIT])
            builder = ReplyBuilder(self.assistant, self.state)
            self._respond(clean, len(text), builder)
            reply = builder.finish()
            if builder.forgotten:
                return reply
            try:
                self.assistant.store.save(self.id, self.state.to_dict(), user_text=text, reply_text=reply.text,
                                          turn=self.state.turn)
            except StoreError:
                log.exception("could not save conversation state")
                reply = builder.with_note("store_failed")
            return reply

    # The safety order. Each step either finishes the reply (return) or falls through.
    def _respond(self, text: str, length: int, b: ReplyBuilder) -> None:
        s = self.state
        if not text.strip():
            b.say("empty")
            b.remind()
            return
        intent = classify(text)
        if intent is Intent.START_OVER:
            self._start_over(b)
            return
        if intent is Intent.FORGET:
            self._forget(b)
            return

        recorded, confirm = self._scan_red_flags(text)
        if recorded or confirm:
            self._take_findings(text, b)  # what else they said still counts
        if recorded:
            b.escalate(recorded)
            if confirm and self.assistant.rules.rule(confirm).triage.rank > s.level.rank:
                self._ask_confirm(confirm, b)
            return
        if confirm:
            self._ask_confirm(confirm, b)
            return
        if s.pending_kind == "confirm":
            self._ask_confirm(RedFlag(s.pending_arg or ""), b, repeat=True)
            return

        if length > self.assistant.settings.max_message_chars:
            b.say("too_long", limit=str(self.assistant.settings.max_message_chars))
            b.remind()
            return
        if not _LATIN.search(text):
            b.say("unreadable")
            b.remind()
            return

        if intent is Intent.MEMORY:
            b.memory()
            return
        if intent is Intent.WHY:
            b.why()
            return
        if intent is Intent.GREETING:
            b.say("greeting")
            b.remind()
            b.say("invite") if s.pending is None else b.repeat_pending()
            return
        if intent is Intent.THANKS:
            b.say("thanks")
            b.remind()
            return

        if s.pending_kind in ("screen", "screen_which") and self._screen_answer(text, b):
            return
        if intent is Intent.QUESTION and not self._answers_pending(text):
            b.remind()
            if b.passages_for(text):
                b.repeat_pending()
            elif s.level is not Triage.SELF_CARE:
                # Nothing in the guidance matches, but what to do now is known: keep saying it.
                if s.level.rank >= Triage.SEEK_CARE.rank:
                    b.say("escalate_still")
            elif s.known and s.pending is None:
                self._advance(b)
            else:
                b.say("off_topic")
                b.repeat_pending()
            return

        if not self._take_findings(text, b):
            if (s.pending is None and read_answer(text) is not Answer.OTHER) or _ACK.match(text):
                if s.known and not s.summarised:
                    self._advance(b)
                    return
                b.remind()
                b.say("acknowledge")
                b.say("summary_more") if s.summarised else b.say("invite")
                return
            if s.pending is None and not _TOPICAL.search(text):
                b.say("off_topic")
                b.remind()
                return
        self._advance(b)

    def _scan_red_flags(self, text: str) -> tuple[list[RedFlag], RedFlag | None]:
        """Record clear red flags; return the newly recorded ones and one flag to confirm, if any."""
        s, rules = self.state, self.assistant.rules
        pending = RedFlag(s.pending_arg or "") if s.pending_kind == "confirm" else None
        result = self.assistant.detector.scan(text, timeline=rules.timeline_from(s.timeline), pending=pending)
        s.timeline = result.timeline.to_dict()
        recorded: list[RedFlag] = []
        confirm: RedFlag | None = None
        audit: list[AuditEntry] = []
        answered: RedFlag | None = None
        if pending is not None:
            answer = rules.read_confirmation(text)
            if answer.counts_as_yes:
                answered = pending
                if s.record_flag(pending, rules.rule(pending).triage):
                    recorded.append(pending)
                audit.append(self._audit(pending, None, (), "recorded_on_confirmation"))
                s.pending = None
            elif answer is Answer.NO:
                s.denied_flags.append(str(pending))
                audit.append(self._audit(pending, None, (), "denied_on_confirmation"))
                s.pending = None
        for d in result.detections:
            flag = RedFlag(d.rule)
            if flag == answered:
                continue  # already recorded above, as the answer to its question
            audit.append(self._audit(flag, d.span, tuple(sorted(d.modifiers)), str(d.decision), d.matched))
            if str(d.decision) == "record":
                if s.record_flag(flag, rules.rule(flag).triage) and flag not in recorded:
                    recorded.append(flag)
            elif (flag not in s.red_flags and str(flag) not in s.denied_flags and confirm is None
                  and flag != pending):
                confirm = flag
        self.assistant.audit(audit)
        if recorded and s.pending_kind in ("screen", "screen_which"):
            s.screened = True
            s.pending = None
        return recorded, confirm

    def _audit(self, flag: RedFlag, span: tuple[int, int] | None, modifiers: tuple[str, ...],
               decision: str, matched: str | None = None) -> AuditEntry:
        return AuditEntry(self.id, str(flag), span, modifiers, decision, self.assistant.detector.version, matched)

    def _ask_confirm(self, flag: RedFlag, b: ReplyBuilder, *, repeat: bool = False) -> None:
        s = self.state
        if repeat:
            s.pending_repeats += 1
            if s.pending_repeats > 1:
                # Asked twice without an answer: stop blocking, keep the audit trail.
                self.assistant.audit([self._audit(flag, None, (), "unanswered")])
                s.pending, s.pending_repeats = None, 0
                self._advance(b)
                return
        else:
            s.pending_repeats = 0
        s.pending = f"confirm:{flag}"
        b.remind()
        b.confirm(flag)

    def _screen_answer(self, text: str, b: ReplyBuilder) -> bool:
        """Read an answer to the safety screen; True when the reply is complete."""
        s = self.state
        if s.pending_kind == "screen_which":
            s.pending, s.screened = None, True
            b.remind()
            b.say("acknowledge")
            return True
        answer = answer_to(text)  # a doubt about something else is new information, not an answer
        if answer is Answer.NO:
            s.pending, s.screened = None, True
            self._take_findings(text, b)
            self._advance(b)
            return True
        if answer in (Answer.YES, Answer.UNSURE, Answer.DONT_KNOW):
            s.screen_positive = True
            s.raise_triage(Triage.SEEK_CARE)
            self.assistant.audit([AuditEntry(self.id, "screen", None, (), "screen_positive",
                                              self.assistant.detector.version)])
            b.escalate_screen()
            s.pending = "screen_which"
            b.ask("screen_which")
            return True
        return False

    def _answers_pending(self, text: str) -> bool:
        """Whether a question-shaped message is really an answer to the pending question."""
        if self.state.pending is None:
            return False
        if read_answer(text) in _YES_NO_ANSWERS:
            return True
        slot = self.state.pending_arg if self.state.pending_kind == "slot" else None
        return bool(slot and any(f.slot == slot for f in self.assistant.findings.extract(text, slot)))

    def _take_findings(self, text: str, b: ReplyBuilder) -> bool:
        """Merge what the message says into the known findings; True when it said anything."""
        s = self.state
        slot = s.pending_arg if s.pending_kind == "slot" else None
        found = self.assistant.findings.extract(text, slot)
        if slot is not None:
            answer = read_answer(text)
            if not any(f.slot == slot for f in found) and answer in (Answer.DONT_KNOW, Answer.SKIP):
                b.say("dont_know")
            s.pending = None
        if not found:
            return slot is not None
        before = dict(s.known)
        s.known = self.assistant.findings.merge(s.known, found)
        return s.known != before or slot is not None

    def _advance(self, b: ReplyBuilder) -> None:
        """Ask the next question that matters, or give what we have."""
        s = self.state
        b.remind()
        if s.level.rank >= Triage.SEEK_CARE.rank:
            b.say("acknowledge")
            return
        if not s.screened:
            s.pending = "screen"
            b.ask("screen_question")
            return
        evidence = self.assistant.evidence
        asked = set(s.asked)
        slot = None if evidence.is_clear(s.known) or len(asked) >= MAX_QUESTIONS else evidence.next_slot(
            s.known, asked)
        if slot is not None:
            s.asked.append(slot)
            s.pending = f"slot:{slot}"
            b.ask_slot(slot)
            return
        key = repr(sorted(s.known.items()))
        if s.summarised and key == s.summary_key:
            b.say("acknowledge")
            b.say("summary_more")
            return
        update = s.summarised
        s.summarised, s.summary_key = True, key
        b.summary(update=update)

    def _start_over(self, b: ReplyBuilder) -> None:
        was_high = self.state.level.rank >= Triage.SEEK_CARE.rank
        self.state = DialogueState(turn=self.state.turn)
        b.state = self.state
        b.say("start_over")
        if was_high:
            b.say("start_over_care")
        b.say("invite")

    def _forget(self, b: ReplyBuilder) -> None:
        self.assistant.forget(self.id)
        self.state = DialogueState(disclaimer_shown=True)
        b.state = self.state
        b.forgotten = True
        b.say("forgotten")
