"""How long a diary of dates covers: "3rd 5/10 ... 14th 5/10", "1 Mar ... 11 Mar", "Mon 6 ... Tue 6", "14/3 ... 23/3".

bot/safety/timeline.py takes the longest span a message's dates tell as the time the modified routine has run.
"""
from __future__ import annotations

import re

# "14/3 switched ... 23/3 pain 5": day/month dates of one month in a diary (a month of 10 would be a score)
_SLASH_DATE = re.compile(r"(?<![\d/.])(?P<d>[12]?\d|3[01])/(?P<m>0?[1-9]|1[12])(?![\d/])")
# "since the start of the month ... now the 12th"
_MONTH_START = re.compile(r"\bsince\s+the\s+(?:start|beginning)\s+of\s+the\s+month\b", re.I)
_ORDINAL_DATE = re.compile(
    r"\b([12]?\d|3[01])(?:st|nd|rd|th)\b"
    r"(?!\s+(?:week|time|day|floor|stretch|set|rep|of\s+(?:the|my)(?!\s+month)))", re.I)
# "1 Mar 6/10 ... 11 Mar 6/10", "March 3rd ... March 12th": dates of one month in a diary
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_NOW_BEFORE = re.compile(r"\b(?:now|today)\W+(?:(?:it'?s|is)\W+)?$", re.I)  # "... It's now 11 March"
# a date is on one line: "(pain 6)\njan 10" is a score, then a date
_MONTH_DATE = re.compile(rf"\b(?:(?P<a>[12]?\d|3[01])(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?(?P<m1>{_MONTHS})(?![a-z])|"
                         rf"(?P<m2>{_MONTHS})[ \t]+(?P<b>[12]?\d|3[01])(?:st|nd|rd|th)?\b)", re.I)
# "Mon 6/10 ... Wed 6/10 ... Sat 7/10 ... following Tue 6/10": a weekday diary over more than a week
_WEEKDAY = re.compile(r"\b(?P<d>mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rsday|urday|r|rs)?\b"
                      r"(?=[^.;!?\n\d]{0,40}?\d{1,2}\b)", re.I)
_DAYS_OF_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TODAY = re.compile(r"\b(?:today(?:'s|\s+is)?|it'?s\s+now|now\s+it'?s|now|it'?s|it\s+is)(?:\s+the)?\s*$", re.I)


def _dated_span(text: str) -> float | None:
    """Days between the first and last ordinal dates of a diary ("3rd – 5/10 ... 14th – 5/10")."""
    found = list(_ORDINAL_DATE.finditer(text))
    start = _MONTH_START.search(text)
    if start is not None and found and found[-1].start() > start.end():  # "since the start of the month ... the 12th"
        is_today = _TODAY.search(text, max(0, found[-1].start() - 16), found[-1].start()) is not None
        span = int(found[-1].group(1)) - 1
        return float(span) if is_today and 0 < span <= 30 else None
    if len(found) == 2:  # two dates are a diary when one is today ("started on the 1st. Today's the 12th")
        today = [m for m in found if _TODAY.search(text, max(0, m.start() - 16), m.start())]
        if len(today) != 1:
            return None
        other = found[0] if today[0] is found[1] else found[1]
        span = int(today[0].group(1)) - int(other.group(1))
        return float(span) if 0 < span <= 30 else None
    if len(found) < 3:
        return None
    days = [int(m.group(1)) for m in found]  # "since the 3rd ... the 4th ... today's the 14th, same as on the 3rd"
    span = max(days) - min(days)
    return float(span) if 0 < span <= 30 else None


def _month_span(text: str) -> float | None:
    """Days from the first to the last of three or more dates in one month, or two with the last told as now."""
    dates = list(_MONTH_DATE.finditer(text))
    found = [((m.group("m1") or m.group("m2"))[:3].lower(), int(m.group("a") or m.group("b"))) for m in dates]
    least = 2 if dates and _NOW_BEFORE.search(text, 0, dates[-1].start()) else 3
    if len(found) < least or len({month for month, _ in found}) != 1:  # "on 1 March ... It's now 11 March"
        return None
    span = found[-1][1] - found[0][1]
    return float(span) if 0 < span <= 30 else None


def _slash_span(text: str) -> float | None:
    """Days from the first to the last of three or more day/month dates in one month ("14/3 ... 23/3")."""
    found = [(int(m.group("m")), int(m.group("d"))) for m in _SLASH_DATE.finditer(text)]
    if len(found) < 3 or len({month for month, _ in found}) != 1:
        return None
    span = found[-1][1] - found[0][1]
    return float(span) if 0 < span <= 30 else None


def _weekday_span(text: str) -> float | None:
    """Days covered by three or more weekday entries with a number each, in the order told."""
    days = [_DAYS_OF_WEEK.index(m.group("d").lower()[:3]) for m in _WEEKDAY.finditer(text)]
    if len(days) < 3:
        return None
    return float(sum((b - a) % 7 or 7 for a, b in zip(days, days[1:], strict=False)))


def diary_span(text: str) -> float:
    """The most days any of the message's diaries covers (0 when none)."""
    return max(_dated_span(text) or 0.0, _month_span(text) or 0.0, _weekday_span(text) or 0.0, _slash_span(text) or 0.0)
