"""Checking that every line a person reads is a reviewed template or a verbatim corpus passage.

A template's placeholders may only hold reviewed strings (other templates' leaves, rule and slot
questions, section titles, source names) joined by commas or "and", or a number.
"""
from __future__ import annotations

import re
import string
from collections.abc import Iterable

from bot.templates import Templates, leaves

_QUOTE = re.compile(r"^>\s?")
_JOINERS = re.compile(r", | and |; ")


class GroundingChecker:
    """Decides whether a reply line is grounded."""

    def __init__(self, templates: Templates, corpus_texts: Iterable[str], extra: Iterable[str] = ()) -> None:
        strings = leaves(templates.data)
        self.reviewed = {s for s in strings if "{" not in s} | set(extra)
        self.corpus = [" ".join(t.split()) for t in corpus_texts]
        self.patterns = [_compile(leaf) for leaf in strings]
        self.patterns += [re.compile(re.escape(s)) for s in extra]

    def grounded(self, line: str) -> bool:
        """Whether one line is a filled template, a reviewed string or a corpus substring."""
        line = _QUOTE.sub("", line).strip()
        if not line:
            return True
        flat = " ".join(line.split())
        if any(flat in doc for doc in self.corpus):
            return True
        if self._template(line):
            return True
        # A question line made of two reviewed parts joined by a space ("Just to check: …").
        return any(line[i] == " " and self._template(line[:i]) and self._template(line[i + 1:])
                   for i in range(1, len(line) - 1))

    def _template(self, line: str) -> bool:
        for pattern in self.patterns:
            m = pattern.fullmatch(line)
            if m and all(self._reviewed_value(v) for v in m.groups()):
                return True
        return False

    def _reviewed_value(self, value: str) -> bool:
        """A number, a reviewed string, or reviewed strings joined by ", ", " and " or "; "."""
        if value.isdigit() or value in self.reviewed:
            return True
        # Labels may contain commas themselves, so segment against the reviewed strings.
        return any(value.startswith(r) and (j := _JOINERS.match(value, len(r))) is not None
                   and self._reviewed_value(value[j.end():]) for r in self.reviewed)

    def ungrounded(self, text: str) -> list[str]:
        """The lines of a reply that are not grounded."""
        return [line for line in text.splitlines() if not self.grounded(line)]


def _compile(leaf: str) -> re.Pattern[str]:
    parts = []
    for literal, field, _, _ in string.Formatter().parse(leaf):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append("(.+?)")
    return re.compile("".join(parts), re.S)
