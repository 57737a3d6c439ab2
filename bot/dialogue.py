"""The conversation: one turn in, one grounded reply out.

A message is read once into a `Reading` (control intent, answer to the pending question, findings,
red-flag scan); then the steps in `STEPS` run in order and the first that answers finishes the reply.
The red-flag step is first: nothing a message says can skip it.
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from bot.answers import Answer
from bot.errors import StoreError
from bot.flagging import apply_scan
from bot.ids import RedFlag, Triage
from bot.intents import Intent
from bot.reading import Reading, read_message
from bot.replies import ReplyBuilder
from bot.reply import Reply
from bot.services import Services
from bot.state import DialogueState, PendingKind
from bot.store.base import AuditEntry

log = logging.getLogger(__name__)

MAX_QUESTIONS = 4
_YES_NO_ANSWERS = {Answer.YES, Answer.NO, Answer.UNSURE, Answer.DONT_KNOW, Answer.SKIP}


class Conversation:
    """One person's conversation; `send` is the only thing a channel calls."""

    def __init__(self, services: Services, conversation_id: str | None = None) -> None:
        self.services = services
        self.id = conversation_id or uuid.uuid4().hex
        self._lock = threading.Lock()
        self._unsaved = False  # the last turn could not be saved: its state lives only here
        self.state = self._stored() or DialogueState()

    def _stored(self) -> DialogueState | None:
        try:
            stored = self.services.store.load(self.id)
        except StoreError:
            log.exception("could not read conversation state")
            return None
        return DialogueState.from_dict(stored) if stored else None

    def send(self, text: str) -> Reply:
        """Answer one message from the person."""
        with self._lock, self.services.turn(self.id):  # no other worker runs a turn of it meanwhile
            text = text if isinstance(text, str) else str(text)
            if not self._unsaved:  # reloading would bring back the stored state, without a red flag since
                self.state = self._stored() or self.state
            self.state.turn += 1
            reading = self.read(text)
            builder = ReplyBuilder(self.services, self.state)
            for step in STEPS:
                if step(self, reading, builder):
                    break
            reply = builder.finish()
            if builder.forgotten:
                return reply
            try:
                self.services.store.save(self.id, self.state.to_dict(), user_text=text, reply_text=reply.text,
                                         turn=self.state.turn)
                self._unsaved = False
            except StoreError:
                self._unsaved = True
                log.exception("could not save conversation state")
                reply = builder.with_note("store_failed")
            return reply

    def read(self, text: str) -> Reading:
        """Read a message once, against the question pending."""
        return read_message(self.services, self.state, text)

    # --- the red-flag step: first, always -----------------------------------------------------
    def red_flags(self, r: Reading, b: ReplyBuilder) -> bool:
        """Record what the scan found, escalate, or ask one flag's own question."""
        outcome = apply_scan(self.state, r.scan, r.answer, self.services.safety.rules, self._audit)
        self.services.audit(outcome.audit)
        recorded, confirm = outcome.recorded, outcome.confirm
        if recorded or confirm:
            self._take_findings(r, b)  # what else they said still counts
        if recorded:
            b.escalate(recorded)
        if confirm and (not recorded or  # after an escalation, only a flag that would raise triage
                        self.services.safety.rules.rule(confirm).triage.rank > self.state.level.rank):
            self._ask_confirm(confirm, b)
        b.someone_else([f for f in RedFlag if f in r.scan.theirs and f not in self.state.red_flags])
        return bool(recorded or confirm)

    def _audit(self, flag: str, span: tuple[int, int] | None, modifiers: tuple[str, ...],
               decision: str, matched: str | None = None) -> AuditEntry:
        return AuditEntry(self.id, str(flag), span, modifiers, decision, self.services.safety.version, matched)

    def _ask_confirm(self, flag: RedFlag, b: ReplyBuilder, *, repeat: bool = False) -> None:
        s = self.state
        if repeat:
            s.pending_repeats += 1
            if s.pending_repeats > 1:
                # Asked twice without an answer: stop blocking, keep the audit trail.
                self.services.audit([self._audit(flag, None, (), "unanswered")])
                s.pending, s.pending_repeats = None, 0
                self._advance(b)
                return
        else:
            s.pending_repeats = 0
        s.wait_for(PendingKind.CONFIRM, str(flag))
        b.remind()
        b.confirm(flag)

    # --- the other steps, in order ----------------------------------------------------------
    def empty(self, r: Reading, b: ReplyBuilder) -> bool:
        if r.text.strip():
            return False
        b.say("empty")
        b.remind()
        return True

    def control(self, r: Reading, b: ReplyBuilder) -> bool:
        """Start over or forget me."""
        if r.intent is Intent.START_OVER:
            b.say("start_over")
            if self.state.level.rank >= Triage.SEEK_CARE.rank:
                b.say("start_over_care")
            self.state = b.state = DialogueState(turn=self.state.turn)
            b.invite()
            return True
        if r.intent is Intent.FORGET:
            self.services.forget(self.id)
            self.state = b.state = DialogueState(disclaimer_shown=True)
            b.forgotten = True
            b.say("forgotten")
            return True
        return False

    def pending_confirm(self, r: Reading, b: ReplyBuilder) -> bool:
        """A flag's question unanswered: answer their own question, or ask it again (twice at most)."""
        if self.state.pending_kind is not PendingKind.CONFIRM:
            return False
        if r.intent is Intent.QUESTION and r.answer is Answer.OTHER and b.passages_for(r.text):
            b.repeat_pending()
            return True
        self._ask_confirm(RedFlag(self.state.pending_arg or ""), b, repeat=True)
        return True

    def unreadable(self, r: Reading, b: ReplyBuilder) -> bool:
        """Too long, or no words to read."""
        limit = self.services.max_message_chars
        if r.length > limit:
            b.say("too_long", limit=str(limit))
        elif not r.has_words:
            b.say("unreadable")
        else:
            return False
        b.remind()
        return True

    def intents(self, r: Reading, b: ReplyBuilder) -> bool:
        """What do you know about me, why, hello, thanks."""
        if r.intent is Intent.MEMORY:
            b.memory()
        elif r.intent is Intent.WHY:
            b.why()
        elif r.intent is Intent.GREETING:
            b.say("greeting")
            b.remind()
            b.invite() if self.state.pending is None else b.repeat_pending()
        elif r.intent is Intent.ADVICE:
            self._advice(b)
        elif r.intent is Intent.THANKS:
            b.say("thanks")
            b.remind()
        else:
            return False
        return True

    def screen(self, r: Reading, b: ReplyBuilder) -> bool:
        """An answer to the safety screen (a doubt about something else is new information)."""
        s = self.state
        if s.pending_kind is PendingKind.SCREEN_WHICH:
            s.pending, s.screened = None, True
            b.remind()
            b.say("acknowledge")
            return True
        if s.pending_kind is not PendingKind.SCREEN:
            return False
        if r.answer is Answer.NO:
            s.pending, s.screened = None, True
            self._take_findings(r, b)
            self._advance(b)
            return True
        if r.answer in (Answer.YES, Answer.UNSURE, Answer.DONT_KNOW):
            s.screen_positive = True
            s.raise_triage(Triage.SEEK_CARE)
            self.services.audit([AuditEntry(self.id, "screen", None, (), "screen_positive",
                                            self.services.safety.version)])
            b.escalate_screen()
            s.wait_for(PendingKind.SCREEN_WHICH)
            b.ask("screen_which")
            return True
        return False

    def question(self, r: Reading, b: ReplyBuilder) -> bool:
        """A question of the person's own: the passages that answer it, or what we can help with."""
        s = self.state
        if r.intent is not Intent.QUESTION or self._answers_pending(r):
            return False
        b.remind()
        if b.passages_for(r.text):
            if s.pending is None:
                self._take_findings(r, b)  # "I get pain behind my knee, is that normal?" reports too
            if s.pending is None and (s.known or r.own_symptom) and not s.screened and s.level is Triage.SELF_CARE:
                s.wait_for(PendingKind.SCREEN)
                b.ask("screen_question")
            else:
                b.repeat_pending()
        elif r.own_symptom and s.pending is None and not s.screened and s.level is Triage.SELF_CARE:
            return self.statement(r, b)  # "can you tell me what's wrong? it hurts behind the knee": a report
        elif s.level is not Triage.SELF_CARE:  # nothing in the guidance answers; what to do is known
            if s.level.rank >= Triage.SEEK_CARE.rank:
                b.say("escalate_still")
        elif s.known and s.pending is None and not s.summarised:
            self._advance(b)
        elif s.summarised and s.pending is None:
            b.say("nothing_found")
            b.say("summary_more")
        else:
            b.say("off_topic")
            b.repeat_pending() if s.pending is not None or s.known else b.invite()
        return True

    def statement(self, r: Reading, b: ReplyBuilder) -> bool:
        """What the person reports: take the findings and ask the next question, or acknowledge."""
        s = self.state
        if not self._take_findings(r, b):
            if (s.pending is None and r.answer is not Answer.OTHER) or r.acknowledges:
                if s.known and not s.summarised:
                    self._advance(b)
                    return True
                b.remind()
                b.say("acknowledge")
                b.say("summary_more") if s.summarised else b.invite()
                return True
            if s.pending is None and not r.topical:
                b.say("off_topic")
                b.remind()
                if not s.known and not s.red_flags:
                    b.invite()  # nothing to go on yet: ask for a description
                return True
        self._advance(b)
        return True

    # --- helpers ------------------------------------------------------------------------------
    def _advice(self, b: ReplyBuilder) -> None:
        """A practical ask: the advice for the leading cause, or what is still needed to give it."""
        s = self.state
        high = s.level.rank >= Triage.SEEK_CARE.rank
        if s.known and not s.screened and s.pending is None and not high:
            self._advance(b)  # the safety screen comes before any advice
            return
        b.remind()
        if high:
            b.say("escalate_still")
        elif s.summarised:
            b.advice_again()
        elif s.known and s.screened:  # they want advice now: give what we have instead of asking on
            s.pending = None
            b.summary_once()
        else:
            b.say("advice_need_more")
            b.invite() if s.pending is None else b.repeat_pending()

    def _answers_pending(self, r: Reading) -> bool:
        """Whether a question-shaped message is really an answer to the pending question."""
        s = self.state
        if s.pending is None:
            return False
        if r.answer in _YES_NO_ANSWERS:
            return True
        slot = s.pending_arg if s.pending_kind is PendingKind.SLOT else None
        return bool(slot and any(f.slot == slot for f in r.findings))

    def _take_findings(self, r: Reading, b: ReplyBuilder) -> bool:
        """Merge what the message says into the known findings; True when it said anything."""
        s = self.state
        slot = s.pending_arg if s.pending_kind is PendingKind.SLOT else None
        if slot is not None:
            if not any(f.slot == slot for f in r.findings) and r.answer in (Answer.DONT_KNOW, Answer.SKIP):
                b.say("dont_know")
            s.pending = None
        if not r.findings:
            return slot is not None
        before = dict(s.known)
        s.known = self.services.symptoms.findings.merge(s.known, r.findings)
        s.recent = [f.slot for f in r.findings if f.slot in s.known]
        for name, old in before.items():
            new = s.known.get(name)
            if new and new != old and not set(new.split("+")) >= set(old.split("+")):
                b.corrected(name, old, new)
        return s.known != before or slot is not None

    def _advance(self, b: ReplyBuilder) -> None:
        """Ask the next question that matters, or give what we have."""
        s = self.state
        b.remind()
        if s.level.rank >= Triage.SEEK_CARE.rank:
            b.say("acknowledge")
            return
        if not s.screened:
            s.wait_for(PendingKind.SCREEN)
            b.ask("screen_question")
            return
        evidence = self.services.symptoms.evidence
        asked = set(s.asked)
        slot = None if evidence.is_clear(s.known) or len(asked) >= MAX_QUESTIONS else evidence.next_slot(
            s.known, asked)
        if slot is not None:
            s.asked.append(slot)
            s.wait_for(PendingKind.SLOT, slot)
            b.ask_slot(slot)
            return
        b.summary_once()


# The safety order: the first step that answers finishes the reply.
STEPS: tuple[Callable[[Conversation, Reading, ReplyBuilder], bool], ...] = (
    Conversation.red_flags,
    Conversation.empty,
    Conversation.control,
    Conversation.pending_confirm,
    Conversation.unreadable,
    Conversation.intents,
    Conversation.screen,
    Conversation.question,
    Conversation.statement,
)
