"""Assembling a reply from reviewed templates and verbatim, cited corpus passages.

The builder words what the conversation decided; it reads the templates, the guidance passages, the
rules' questions and the evidence model's questions and scores, and nothing else of the assistant.
"""
from __future__ import annotations

import re

from bot.guidance.retrieval import tokenize
from bot.ids import RedFlag, Triage
from bot.reply import Citation, Reply, ReplyKind
from bot.services import Services
from bot.state import DialogueState, PendingKind

PASSAGES_SHOWN = 2
_POINTS_BACK = re.compile(r"\b(?:that|this|it|then|those|these|there)\b", re.I)
# A question right after a red flag about what to do or how soon ("should I wait till Monday?", "who do I
# see?") is about the flag, pointing back or not.
_ABOUT_CARE = re.compile(r"\b(?:wait|see|who|urgent\w*|serious|emergency|hospital|a&e|er|doctor|gp|physio|"
                         r"tomorrow|monday|morning|weekend|tonight|how\s+(?:soon|quickly|long))\b", re.I)
FLAG_FOLLOW_UP_TURNS = 3  # how many turns after a red flag a pointing-back question is read as about it
# Words every question about the guidance shares; they say nothing about which passage answers it.
_COMMON = frozenset(tokenize("knee knees pain stretch stretching hamstring hamstrings matter happen thing "
                             "really also help okay mean take make much many like actually something anything "
                             "stuff things maybe even still alright basically literally honestly"))


def _stems(text: str) -> set[str]:
    """Retrieval's stemmed content words of `text` (four letters or more), cut to five ("rotation" and "rotated"
    share "rotat")."""
    return {w[:5] for w in tokenize(text) if len(w) >= 4 and w not in _COMMON}


def _shares_words(stems: set[str], text: str) -> bool:
    """Whether a passage shares at least half of a question's content words `stems` (all, when it has none)."""
    return 2 * len(stems & _stems(text)) >= len(stems)


class ReplyBuilder:
    """Collects the lines and citations of one reply; `finish` makes the Reply."""

    def __init__(self, services: Services, state: DialogueState) -> None:
        self.t = services.wording
        self.guidance = services.guidance
        self.rules = services.safety.rules
        self.evidence = services.symptoms.evidence
        self.advice = services.advice
        self.state = state
        self.lines: list[str] = []
        self.citations: list[Citation] = []
        self.question: str | None = None
        self.kind = ReplyKind.ANSWER
        self.forgotten = False
        self._reminded = False

    # --- plain template lines -------------------------------------------------------------
    def say(self, key: str, **values: str) -> None:
        """Add one template line."""
        self.lines.append(self.t(key, **values))

    def quote(self, citation: Citation) -> None:
        """Add a verbatim passage with its section and source, once per reply."""
        if any(c.chunk_id == citation.chunk_id for c in self.citations):
            return
        self.citations.append(citation)
        self.lines.append("> " + citation.text.replace("\n", "\n> "))
        source = self.guidance.title(citation.source)
        self.lines.append("> " + self.t("citation_line", section=citation.section, source=source))

    def passage(self, phrase: str) -> Citation | None:
        """The corpus passage containing a phrase, quoted; None if the corpus lacks it."""
        citation = self.guidance.passage(phrase)
        if citation is not None:
            self.quote(citation)
        return citation

    def ask(self, key: str, **values: str) -> None:
        """Ask a question from a template; it becomes the reply's question."""
        self.question = self.t(key, **values)
        self.lines.append(self.question)
        self.kind = ReplyKind.QUESTION

    # --- safety -----------------------------------------------------------------------------
    def remind(self) -> None:
        """Keep an escalation visible on every reply while triage is raised."""
        if self._reminded or self.state.level is Triage.SELF_CARE:
            return
        self._reminded = True
        self.say("escalate_reminder", banner=self.t(f"escalate_banner.{self.state.level}"))

    def escalate(self, flags: list[RedFlag]) -> None:
        """Lead with what to do, why, and the passage behind it."""
        self._reminded = True
        self.kind = ReplyKind.ESCALATION
        self.lines.insert(0, self.t(f"escalate.{self.state.level}"))
        for flag in flags:
            self.say("escalate_because", reason=self.t(f"flag_labels.{flag}"))
        self.say("escalate_source")
        for flag in flags:
            self.passage(self.rules.rule(flag).cite)
        if self.state.level.rank >= Triage.SEEK_CARE.rank:
            self.say("escalate_still")

    def someone_else(self, flags: list[RedFlag]) -> None:
        """What someone else with a warning sign told as now should do ("typing for my dad, he says his chest
        hurts"); the conversation's own triage stays."""
        for flag in flags:
            self.say(f"someone_else.{self.rules.rule(flag).triage}", sign=self.t(f"flag_signs.{flag}"))

    def escalate_screen(self) -> None:
        """Escalate on a positive answer to the safety screen."""
        self._reminded = True
        self.kind = ReplyKind.ESCALATION
        self.lines.insert(0, self.t(f"escalate.{self.state.level}"))
        self.say("escalate_screen")
        self.say("escalate_source")
        self.passage(self.advice.screen_cite)
        self.say("escalate_still")

    def confirm(self, flag: RedFlag) -> None:
        """Ask the direct yes/no question for an uncertain red flag."""
        self.kind = ReplyKind.CONFIRM
        question = self.rules.rule(flag).question
        intro = self.t("confirm_intro")
        self.question = question if question.startswith(intro) else f"{intro} {question}"
        self.lines.append(self.question)

    # --- questions --------------------------------------------------------------------------
    def ask_slot(self, slot: str) -> None:
        """Ask the clarifying question of a symptom slot."""
        self.question = self.evidence.question(slot)
        self.lines.append(self.question)
        self.kind = ReplyKind.QUESTION

    def invite(self) -> None:
        """Ask the person to describe what they feel (a question, so channels can wait on it)."""
        self.ask("invite")

    def repeat_pending(self) -> None:
        """Repeat the pending question so the conversation carries on where it was."""
        s = self.state
        if s.pending is None:
            return
        self.say("back_to_question")
        if s.pending_kind is PendingKind.SLOT:
            self.ask_slot(s.pending_arg or "")
        elif s.pending_kind is PendingKind.CONFIRM:
            self.confirm(RedFlag(s.pending_arg or ""))
        elif s.pending_kind is PendingKind.SCREEN:
            self.ask("screen_question")
        else:
            self.ask("screen_which")

    def why(self) -> None:
        """Explain what the pending question is trying to tell apart, with its passage."""
        s = self.state
        self.remind()
        if s.pending_kind is PendingKind.SLOT and s.pending_arg:
            evidence = self.evidence
            self.lines.append(evidence.why(s.pending_arg))
            self.say("why_intro", options=self._join([self.t.cause(c) for c in evidence.separates(s.pending_arg)]))
            for phrase in evidence.why_cites(s.pending_arg):
                self.passage(phrase)
            self.repeat_pending()
        elif s.pending is not None:
            self.say("screen_why")
            self.passage(self.advice.screen_cite)
            self.repeat_pending()
        else:
            self.say("why_none")

    def passages_for(self, query: str) -> bool:
        """Answer a question about the guidance with the passages that answer it.

        A question that finds nothing on its own is read with what the conversation holds: a follow-up
        that points back ("why does that happen?") with what the person told last and the leading cause;
        any other question with the leading cause; either way a passage must share at least half of the
        question's own words ("why would the rotation matter?" finds "a rotated leg", "should I take
        ibuprofen for this?" and "a recipe for banana bread" find nothing).
        """
        hits = self.guidance.search(query, k=PASSAGES_SHOWN + 2)
        stems = _stems(query)
        flag = self._flag_asked_about(query)
        if flag is not None:  # "what could that be?" right after a red flag: that flag's own passage first
            cited = self.guidance.passage(self.rules.rule(flag).cite)
            if cited is not None:
                hits = [cited, *(h for h in hits if h.chunk_id != cited.chunk_id and stems
                                 and _shares_words(stems, h.text))]
        causes = self.evidence.scores(self.state.known) if not hits else []
        if causes and (stems or _POINTS_BACK.search(query)):
            context = [self.t.cause(causes[0][0])]
            if _POINTS_BACK.search(query):  # what the person told last comes first
                known = self.state.known
                context[:0] = [x for slot in self.state.recent for x in self.t.finding(slot, known.get(slot, ""))]
            hits = [h for h in self.guidance.search(" ".join([query, *context]), k=PASSAGES_SHOWN + 2)
                    if _shares_words(stems, h.text)]
        if self.state.level.rank >= Triage.SEEK_CARE.rank:
            hits = [h for h in hits if h.section != self.advice.stretching_section]
        if not hits:
            return False
        self.kind = ReplyKind.PASSAGES
        self.say("passages_intro")
        for hit in hits[:PASSAGES_SHOWN]:
            self.quote(hit)
        return True

    def _flag_asked_about(self, query: str) -> RedFlag | None:
        """The red flag recorded in the last few turns that a question points back to or asks care about."""
        s = self.state
        if not s.red_flags or s.turn - s.flag_turn > FLAG_FOLLOW_UP_TURNS:
            return None
        if not (_POINTS_BACK.search(query) or _ABOUT_CARE.search(query)):
            return None
        return RedFlag(s.red_flags[-1])

    # --- memory and summary -----------------------------------------------------------------
    def memory(self) -> None:
        """What the conversation has noted about the person."""
        s = self.state
        self.remind()
        labels = [lbl for slot, value in s.known.items() for lbl in self.t.finding(slot, value)]
        if not labels and not s.red_flags:
            self.say("no_memory")
        else:
            self.say("memory_intro")
            for label in labels:
                self.say("memory_item", label=label)
            if s.red_flags:
                self.say("memory_flags", labels="; ".join(self.t(f"flag_labels.{f}") for f in s.red_flags))
        self.say("memory_storage")
        self.repeat_pending()

    def summary(self, *, update: bool = False) -> None:
        """Name the likely cause(s) and why, quote the passages, give the guidance's advice.

        An update after a summary only restates the cause and why, without repeating the passages.
        """
        s = self.state
        evidence = self.evidence
        causes = evidence.scores(s.known)
        self.kind = ReplyKind.SUMMARY
        top = causes[0][0] if causes else None
        if top is None:
            self.say("summary_unclear")
        else:
            self.say("summary_intro", cause=self.t.cause(top))
            links = evidence.support(top, s.known)
            said = [lbl for link in links for lbl in self.t.finding(link.slot, link.value)]
            if said:
                self.say("summary_because", findings=self._join(said))
            if not update:
                for link in links[:2]:
                    self.passage(link.cite)
            if len(causes) > 1 and causes[1][1] >= self.advice.also_min_score:
                self.say("summary_also", cause=self.t.cause(causes[1][0]))
        if not update:
            self.advise(top)
        self.say("summary_more")

    def summary_once(self) -> None:
        """The summary, an update when findings changed since the last one, or only an acknowledgement."""
        s = self.state
        key = repr(sorted(s.known.items()))
        if s.summarised and key == s.summary_key:
            self.say("acknowledge")
            self.say("summary_more")
            return
        update = s.summarised
        s.summarised, s.summary_key = True, key
        self.summary(update=update)

    def advise(self, cause: str | None) -> None:
        """The guidance's advice for a cause (general advice for None), and when to get checked."""
        self.say("summary_advice")
        for step in self.advice.for_cause(cause):
            if step.cite is not None:
                self.passage(step.cite)
            elif step.say is not None:
                self.say(step.say)
        self.say("summary_when_care")
        self.passage(self.advice.when_care)

    def advice_again(self) -> None:
        """A practical ask after the summary: the advice for the leading cause, quoted again."""
        causes = self.evidence.scores(self.state.known)
        self.kind = ReplyKind.SUMMARY
        top = causes[0][0] if causes else None
        if top is not None:
            self.say("summary_intro", cause=self.t.cause(top))
        self.advise(top)
        self.say("summary_more")

    def corrected(self, slot: str, old: str, new: str) -> None:
        """Say back a correction, so the person sees what changed."""
        olds, news = self.t.finding(slot, old), self.t.finding(slot, new)
        if olds and news:
            self.say("correction", new=self._join(news), old=self._join(olds))

    @staticmethod
    def _join(items: list[str]) -> str:
        items = list(dict.fromkeys(items))
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    # --- the result -------------------------------------------------------------------------
    def with_note(self, key: str) -> Reply:
        """The finished reply with one more template line (e.g. a storage failure)."""
        self.say(key)
        return self._reply()

    def finish(self) -> Reply:
        """The Reply, with the once-per-conversation disclaimer on the first reply."""
        if not self.state.disclaimer_shown and not self.forgotten:
            self.state.disclaimer_shown = True
            self.say("disclaimer")
        return self._reply()

    def _reply(self) -> Reply:
        s = self.state
        level = s.level
        return Reply(
            text="\n".join(self.lines),
            triage=level,
            red_flags=tuple(s.red_flags),
            question=self.question,
            citations=tuple(self.citations),
            causes=tuple(self.evidence.scores(s.known)),
            kind=self.kind,
            escalation=None if level is Triage.SELF_CARE else self.t(f"escalate_banner.{level}"),
        )
