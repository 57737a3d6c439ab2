"""The spans of time a message tells ("ten days", "2/52", "since Monday", "day 12", "the third week"), in days."""
from __future__ import annotations

import re

_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
            "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
            "couple": 2, "few": 3, "several": 4}
_UNIT_DAYS = {"d": 1, "w": 7, "f": 14, "m": 30, "n": 1, "e": 1}
_DURATION = re.compile(
    r"(?<!\btwice\s)(?<!\bonce\s)(?<!\bthrice\s)(?<!\btimes\s)(?:\b|(?<=\bx))(?:(?P<less>almost|nearly|not\s+quite|not(?:\s+even)?|less\s+than|under|just\s+under)\s+)?"
    r"(?P<n>\d+(?:\.\d+)?|an?(?:\s+(?:good|full|whole|solid)(?=\s+(?:weeks?|fortnights?|months?)))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|"
    r"(?<=\bmore\sthan\s)(?=weeks?\b)|"  # learners' "more than week": an empty number, one week
    r"(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|several|half\s+an?|(?=weeks?\s+(?:and|n|&|an)\s+(?:a\s+)?half\b)|"
    r"(?:(?<=for\s)|(?<=over\s)|(?<=during\s))the\s+(?:past|last)(?=\s+(?:fortnight|week|month)\b))"
    r"\s*-?\s*(?:(?:good|full|whole|solid|long|consecutive|straight|entire)\s+)?"
    r"(?P<u>days?|dys?|weeks?|weeeks?|wee?ks?|wks?|weak(?=\s+(?:now|already)\b|\s*[,.!?;]|\s*$)|months?|mont?hs?|mnths?|mths?|fortnights?|nights?|evenings?)\b"
    r"(?P<half>\s+(?:and|n|&|an)\s+(?:a\s+)?half)?",
    re.I,
)
# clinicians' durations: "x 2/52", "after 10/7 of ..." (not a date such as "10/7/2026" or a score "5/10"); "/7"
# and "/12" are also day/month dates ("3/7 switched to the strap"), so they count only after a duration's word
_CLINICAL = re.compile(r"(?<![\d/])(?P<n>\d{1,2})\s?/\s?(?P<u>7|52|12)\b(?!\s?/\s?\d)")
_CLINICAL_BEFORE = re.compile(r"(?:\bx\s?|\b(?:for|after|over|of|about|approx)\s|[>~:]\s?)\Z", re.I)
_CONTRAST = re.compile(r",\s*\Z")
_AND_A_HALF = re.compile(r"\b(?P<n>an?|one|two|three|four|\d)\s+(?:and|n|&|an)\s+a\s+half\s+(?P<u>days?|weeks?|wks?)\b",
                         re.I)
_CLINICAL_OF = re.compile(r"\s+of\s+(?!(?:the\s+)?(?:month|year|july)\b)", re.I)
_SINCE = re.compile(
    r"\b(?:since\s+)?(?P<w>yesterday|last\s+night|today|this\s+morning|(?:since\s+)?last\s+(?:week|month)|"
    r"since\s+the\s+weekend|since\s+(?:last\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)
_SINCE_DAYS = {"yesterday": 1, "last night": 1, "today": 0, "this morning": 0, "last week": 7,
               "last month": 30, "since the weekend": 3}
# A diary ("day 12: still a 6", "night 9: same") or an ordinal week ("my third week of the gentle version",
# "week 2 of babying it") also says how long.
DAY_N = re.compile(r"(?<!\btill\s)(?<!\buntil\s)(?<!\bbefore\s)(?<!\bby\s)"
                    r"\b(?:(?:day|night|morning|evening)\s*#?\s*|d(?=\d)|"
                    r"days\s*(?=\d{1,3}\b(?!\s*(?:x\b|times?|sets?|reps?|hours?|hrs?|mins?|minutes?))))"
                    r"(?P<n>\d{1,3}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b(?:\s*(?:-|\u2013|to)\s*(?P<n2>\d{1,3})\b(?!\s*/))?",
                    re.I)  # "day one" is where it started; "days 9-11" ends on day 11; "wait till day seven" is ahead
# "two Sundays ago", "the Monday before last": more than a week ago
_WEEKDAY_AGO = re.compile(r"\b(?:(?P<n>two|three|four|2|3|4)\s+(?:mon|tues|wednes|thurs|fri|satur|sun)days\s+ago|"
                          r"the\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day\s+before\s+last)\b", re.I)
_PLUS = re.compile(r"\s*(?:plus|and|n|&|\+)\s*(?:a\s+further\s+|another\s+|an\s+extra\s+)?", re.I)
_AGO = re.compile(r"\s+ago\b", re.I)
_NTH_DAY = re.compile(r"\b(?P<o>seventh|eighth|ninth|tenth|eleventh|twelfth|(?:[7-9]|1\d|2\d)(?:th|st|nd|rd))\s+day\s+"
                      r"(?:of|on|doing|since|in\s+a\s+row)\b", re.I)
_NTH_DAYS = {"seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12}
_NTH_WEEK = re.compile(r"\b(?:(?P<o>second|third|fourth|fifth|sixth|2nd|3rd|4th|5th|6th)\s+week|"
                       r"(?:week|wk)\s*(?P<w>two|three|four|five|six|[2-6])\b(?!\s*(?:weeks|days|x)))\b", re.I)
_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5,
             "6th": 6}
_WEEK_N = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6}
# "after the week of gentler stretching", "the whole week of ..." (reading 26);
# "in the fortnight since I switched" (reading 48)
_FORTNIGHT = re.compile(r"(?:(?:(?<!\w\s)(?<!\w)|(?<=\bafter\sthe\s)|(?<=\bthe\swhole\s)|(?<=\bthe\sfull\s)|"
                        r"(?<=\bthe\sentire\s))"
                        r"(?:fortnight|(?P<wk>week|wk)(?=\s+(?:and\s+a\s+bit\s+)?of\b)|weeks(?=\s+of\b))|"
                        r"(?:(?<=\bin\sthe\s)|(?<=\bfor\sthe\s)|(?<=\bover\sthe\s))fortnight)\b", re.I)


def durations(text: str, lo: int, hi: int) -> list[tuple[int, int, float]]:
    """(start, end, days) of each span of time told in text[lo:hi]; "1 week plus 3 days" is one span, the sum."""
    found = []
    for m in _DURATION.finditer(text, lo, hi):
        word = re.sub(r"\s+", " ", m.group("n").lower())
        if word.startswith("half"):
            n = 0.5
        else:
            key = word.removeprefix("a ").removesuffix(" of")
            n = float(word) if word[:1].isdigit() else float(_NUMBERS.get(key, 1))
        u = m.group("u").lower()
        days = n * _UNIT_DAYS["f" if u.startswith("f") else "m" if u.startswith("m") else u[0]]
        if m.group("half"):
            days += _UNIT_DAYS["m" if u.startswith("m") else u[0]] / 2
        if m.group("less"):
            if m.group("less").lower() == "not" and _CONTRAST.search(text, max(lo, m.start() - 3), m.start()):
                continue  # "more like 2 weeks, not a few days": the span taken back is not told
            days -= 1
        found.append((m.start(), m.end(), days))
    for m in _AND_A_HALF.finditer(text, lo, hi):  # "one and a half week", "2 n a half weeks"
        n = float(_NUMBERS.get(m.group("n").lower()) or m.group("n"))
        found.append((m.start(), m.end(), (n + 0.5) * _UNIT_DAYS[m.group("u")[0].lower()]))
    for m in _CLINICAL.finditer(text, lo, hi):  # clinicians' "10/7" (days), "2/52" (weeks), "3/12" (months)
        if m.group("u") != "52" and not _CLINICAL_BEFORE.search(text, max(0, m.start() - 8), m.start()) and not (
                m.group("u") == "7" and _CLINICAL_OF.match(text, m.end())):  # "10/7 of modified stretching"
            continue
        found.append((m.start(), m.end(), int(m.group("n")) * {"7": 1.0, "52": 7.0, "12": 30.0}[m.group("u")]))
    for m in _FORTNIGHT.finditer(text, lo, hi):  # "fortnight of the gentle routine", "wk of gentle stretches",
        found.append((m.start(), m.end(), 7.0 if m.group("wk") else 14.0))  # "weeks of ...": at least two
    for m in DAY_N.finditer(text, lo, hi):
        n = float(_NUMBERS.get(m.group("n").lower()) or m.group("n"))
        found.append((m.start(), m.end(), max(n, float(m.group("n2") or 0))))
    for m in _WEEKDAY_AGO.finditer(text, lo, hi):
        word = (m.group("n") or "2").lower()
        weeks = {"two": 2, "three": 3, "four": 4}.get(word) or int(word)
        found.append((m.start(), m.end(), 7.0 * (weeks - 1) + 3))
    for m in _NTH_DAY.finditer(text, lo, hi):
        o = m.group("o").lower()
        found.append((m.start(), m.end(), float(_NTH_DAYS.get(o) or int(re.sub(r"\D", "", o)))))
    for m in _NTH_WEEK.finditer(text, lo, hi):
        nth = _ORDINALS[m.group("o").lower()] if m.group("o") else _WEEK_N[m.group("w").lower()]
        found.append((m.start(), m.end(), (nth - 1) * 7 + 1.0))
    for m in _SINCE.finditer(text, lo, hi):
        word = re.sub(r"\s+", " ", m.group("w").lower()).removeprefix("since ")
        days = _SINCE_DAYS.get(word, 7 if word.startswith("last ") else 3)  # "since last Monday": a week or more
        found.append((m.start(), m.end(), float(days)))
    found.sort()
    merged: list[tuple[int, int, float]] = []
    for start, end, days in found:  # "1 week plus 3 days", "a week and two days": one time, the sum
        if merged and _PLUS.fullmatch(text, merged[-1][1], start) and not _AGO.match(text, end):
            merged[-1] = (merged[-1][0], end, merged[-1][2] + days)
        else:
            merged.append((start, end, days))
    return merged
