"""How a laugh bears on a red-flag finding: the sign told as a joke ("cant breathe lol"), or caused by laughing
("laughed so hard I couldn't breathe"); and where the clause of a finding starts, so that a laugh in an earlier
clause ("doing the stretch lol and suddenly my chest got tight") is not taken as one about it."""
from __future__ import annotations

import re

# A joke told with the words ("laughed so hard I couldn't breathe", "lol"); someone laughing *at* the
# person ("the baby was laughing at me") is not, nor "don't laugh, but ...".
JOKING = re.compile(r"(?<!n't\s)(?<!dont\s)(?<!not\s)\b"
                    r"(?:laugh(?!\w*\s+(?:at\s+me|when\s+i\s+(?:said|told)|when\s+my\s+(?:knee|leg)s?)\b)\w*|"
                    r"lol+|lmf?ao+|haha\w*|rofl|jk|kidding|joking|meme|(?:is|was|are|keeps?)\s+sending\s+me)\b|"
                    r"[\U0001F602\U0001F923\U0001F606]|"
                     # taken back in brackets ("(it's fine, i'm just lazy)", "(no actually it's fine)")
                     r"\((?:no\s+)?(?:but\s+)?(?:actually\s+|seriously\s+|honestly\s+|jk\s*,?\s*)?(?:it'?s|i'?m|its|im)\s+"
                     r"(?:totally\s+|actually\s+|really\s+|honestly\s+)?fine\b", re.I)
# told as meant in earnest beside the laugh ("cant breathe lol, and not in the funny way"): no joke
_EARNEST = re.compile(r"\bnot\s+(?:in\s+(?:the|a)\s+(?:funny|joke|jokey|fun|good|cute)\s+way|emotional\w*|"
                      r"from\s+(?:sitting|laughing)|a\s+joke|the\s+funny\s+kind)\b|\bno\s+joke\b|\b(?:\d+(?:st|nd|rd|th)|second|third|fourth|fifth)\s+time\s+(?:this|today|in)\b|\bhappened\s+(?:loads|lots|a\s+lot|again|several\s+times)\b|\b(?:toilet\s+paper|paper|wipe|wiping)\s+test\b|\bactual\s+chest\s+pain\b|"
                      r"\bno\s+(?:but\s+)?(?:actually|seriously|for\s+real)\b(?!\s+(?:it'?s|its|i'?m|im)\s+(?:\w+\s+)?fine\b)|\bbut\s+seriously\b|\bnot\s+(?:even\s+)?joking\b|"
                      r"\b(?:twice|two\s+times|three\s+times|[2-9]\s*x)\s+(?:today|this\s+(?:week|morning)|now|since)\b|"
                      r"\bnot\s+funny\s+(?:now|any\s*more)\b|\bnot\s+(?:actually|really|even)\s+funny\b|\bwon'?t\s+go\s+away\b|"
                      # a nervous laugh after the cause is played down, or told as new ("prob just anxiety lol")
                      r"\b(?:prob(?:ably)?|probs|prolly|likely|maybe)\s+(?:just\s+)?(?:nothing|anxiety|stress|tired\w*|overthinking|"
                      r"(?:the\s+)?(?:coffee|caffeine|energy\s+drinks?|nerves)|(?:i'?m\s+|im\s+|i\s+am\s+)?(?:just\s+)?(?:out\s+of\s+shape|unfit|getting\s+old))\b|"
                      r"\bnot\s+(?:ideal|great|good|fun)\b|\b(?:sorry|sry)\W{0,3}(?:lol+|haha\w*|lmf?ao+)\b|\b(?:lol+|haha\w*|lmf?ao+)\W{0,3}(?:sorry|sry)\b(?!\s+(?:for|about))|\b(?:tmi|embarrass\w*|mortif\w*)\b|\bnot\s+crying\b|\bnot\s+(?:lol+|funny)\s+actually\b|\bnot\s+(?:so\s+|that\s+|very\s+)?lol+\b|\b(?:no|not|nae)\s+kiddin\w*|"
                      r"\bwhich\s+never\s+happens\b|\b(?:has|had)\s+never\s+happened\s+before\b|"
                      r"\(\s*don'?t\s+ask\W*(?:lol+|haha\w*)\W*\)", re.I)  # "(don't ask lol)": a laugh at the story


def joking(text: str, lo: int, hi: int, laugh_from: int = 0) -> bool:
    """Whether text[lo:hi] tells the finding with a laugh (from `laugh_from` on) and does not say it is in earnest."""
    return JOKING.search(text, max(lo, laugh_from), hi) is not None and _EARNEST.search(text, lo, hi) is None


# The finding caused by laughing ("my knees gave out laughing", "laughed so hard I couldn't breathe"): a figure of
# speech when the sentence tells no pain.
LAUGHED = re.compile(r"\blaugh\w*\s+so\s+(?:hard|much)\b|\b(?:from|with|while|after|of)\s+laugh\w*|"
                     r"\b(?:gave\s+out|gave\s+way|buckled|collapsed|went|fell\s+over|fell\s+down)\s+(?:from\s+)?laughing\b|"
                     r"\blaughing\s+so\s+(?:hard|much)\b|\bin\s+stitches\b", re.I)
# the cause told just after the sentence ends ("my chest is SO tight... from laughing at my brother")
LAUGHED_NEXT = re.compile(r"[.\u2026\s]*(?:from|with|after)\s+laugh\w*", re.I)

# Where a new clause starts: a comma, a dash, or "and" told as the next event ("and suddenly", "and then", "and now")
_CLAUSE = re.compile(r",|\s[-\u2013\u2014]\s|\b(?:and|but|then)\s+(?:(?:then|suddenly|all\s+of\s+a\s+sudden|"
                     r"out\s+of\s+nowhere|now|right\s+then|at\s+that\s+point)\b|(?=(?:i|i'?m|my|it)\b))", re.I)


def clause_start(text: str, lo: int, at: int) -> int:
    """Where the clause holding `at` starts within text[lo:at]: after the last clause break, else `lo`."""
    return max((m.end() for m in _CLAUSE.finditer(text, lo, at)), default=lo)
