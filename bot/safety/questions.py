"""Whether a sentence asks about a sign rather than tells it: a condition ("what if my knee locks?"), a question
about knees in general with no word of the person's own, or a question the person says is not about them."""
from __future__ import annotations

import re

from bot.safety.persons import FIRST_PERSON

_WHAT_IF = re.compile(r"\W*(?:(?:and|but|so|ok|okay|also|like)\W+)?(?:(?:just\s+)?(?:planning\s+ahead|quick\s+question|"
                      r"hypothetical(?:ly)?|random\s+(?:question|thought)|curious)\s*[:,\-\u2013]\s*)?(?:in\s+case|"
                      r"if\b(?=[^.?!]*,\s*what\s+(?:should|do|would|must|can)\s+i\s+do\b)|if\b(?=[^.?!]*,\s*(?:is|would|will|"
                      r"should|does|could)\s+(?:that|this|it)\s+(?:be\s+)?(?:a\s+|an\s+)?(?:problem|serious|bad|"
                      r"dangerous|emergency|worr\w*|concern\w*|reason|red\s+flag|sign))|wh?at+\s+(?:if|happens\s+if|"
                      r"would\s+happen\s+if|do\s+i\s+do\s+if|should\s+i\s+do\s+if)|say\s+(?:i|my|the\s+knee|your)\b|should\s+i\s+(?:worry|be\s+(?:worried|concerned))\s+if\b|let'?s\s+say|"
                      r"suppose|supposing|hypothetically|should\s+there\s+(?:ever\s+)?(?:come|be)\s+a\s+(?:day|time)|(?:would|will|could)\s+it\s+be\s+(?:\w+\s+)?(?:serious|bad|"
                      r"dangerous|worrying|an\s+emergency|a\s+(?:problem|worry|concern))\s+if|(?P<generic>(?:would|"
                      r"could|can|does|is)\s+(?:a\s+|the\s+|any\s+)?(?:\w+\s+)?(?:swelling|pain|numbness|tingling|"
                      r"knee|leg|calf)\s+(?:that|which|with)\s)|imagine\s+(?:if\s+)?(?:i|my)|(?:my\s+)?(?:worry|fear|concern)"
                      r"\s+is\s+(?:that\s+)?if|if\s+(?:i|it|(?:my|me|the)\s+\w+)\s+(?:ever\s+)?(?:goes|went|(?:get|gets|got)(?!\s+(?:up|out|down|off|into|in|on|back|to|from)\b)|develop\w*|were|had|become|became|"
                      # "If the numbness ever spreads to both legs is that when I go to hospital?" (reading 78)
                      r"spreads?|spread|starts?|started|reach\w*|packs?\s+(?:it\s+)?in)\b(?=[^.?!]*(?:,\s*|\s)(?:(?:do|should|shall|would|will|can|is|does)\s+(?:i|that|this|it)\b|"
                      r"which\s+(?:of|one)|what\s+(?:should|do|would|does)\b))|(?:can|could|does|do|would|will|might)\s+"
                      r"(?:\w+\s+){0,3}?ever\s+(?:cause|give\s+(?:you|someone|people)|lead\s+to|trigger|bring\s+on|result\s+in)|if\s+i\b(?=[^.?!]{0,120}?"
                      r"\bwhat\s+(?:do|should|would|shall)\s+i\s+do\b)|(?:could|can|will|would|might)\s+i\s+(?:\w+\s+)?end\s+up\s+"
                      r"(?:with|having|getting))\b",
                      re.I)
_MINE = re.compile(r"\b(?:i|my|me|i'm|i've|mine)\b", re.I)
_NOW = re.compile(r"\b(?:again|still(?!\s+(?:stretch|do|go|train|run|carry|exercise|keep|continue|play|need|ok|okay|"
                  r"safe|be\s+(?:ok|okay|safe|able|fine)|have\s+to)\b)|already|now|right\s+now|today|yesterday|like\s+(?:it\s+did\s+|last\s+)|"
                  r"this\s+time)\b", re.I)


_DENIED = re.compile(r"\b(?:just\s+reading\s+up|i\s+(?:haven'?t|have\s+not)(?=\s*[,.;!])|"
                     r"(?:haven'?t|have\s+not|never)\s+had\s+(?:it|that|this)\s+happen\b(?!\s+(?:before|b4|till|until))|"
                     r"(?:just\s+)?been\s+reading\s+(?:up|about)|no\s+problems?\s+(?:myself|for\s+me)|mine(?:'s|\s+is|"
                     r"\s+feels|\s+looks)\s+(?:\w+\s+)?(?:normal|fine)|i\s+(?:don'?t|do\s+not)\s+have\s+(?:it|that|"
                     r"this|one|any)|not\s+me\b|(?:hasn'?t|has\s+not|never)\s+happened"
                     r"(?!\s+(?:to\s+me\s+)?(?:before|b4|till|until|like\s+th))|never\s+had\s+(?:it|that|"
                     r"this|one|any)\b(?!\s+(?:before|b4|till|until|in\s+my))|nothing\s+wrong\s+with\s+me)\b", re.I)
_GENERAL_Q = re.compile(r"\W*(?:is|are|does|do|can|could|would|should|will|why|how|what|when)\b(?!\s+(?:it|a\s+knee|"
                        r"the\s+knee|a\s+calf)\s+(?:\w+\s+)?(?:normal|usual|ok|okay|common|natural|expected|fine|"
                        r"meant|supposed)\b)", re.I)
# the person says the question is not about them ("just curious", "I don't have any", "for my first aid course");
# a denial (`_DENIED`) says so too, but "I'm not sure", "I don't understand" or "never had this before" do not
_NOT_ME = re.compile(_DENIED.pattern + r"|\b(?:just\s+(?:curious|wondering|asking|reading|checking)|curious\w*|"
                     r"asking\s+(?:for|about)\s+(?:a|my|an|our)\s+(?:\w+\s+)?(?:friend|mate|mum|mom|dad|partner|wife|husband|"
                     r"son|daughter|client|patient|colleague|brother|sister|relative|neighbou?r|kid|child)|"
                     r"wondering|reading\s+up|in\s+general|for\s+(?:my|a|our)\s+(?:\w+\s+)?(?:class|club|group|leaflet|"
                     r"handout|course|exam|quiz|notes|plan|project|essay|assignment|article|thesis|dissertation|blog|podcast)|"
                     r"not\s+about\s+(?:anyone|anybody|me|myself)\b|first\s+aid|studying|textbook|(?:mine|i)(?:'s|\s+am|'m|\s+is)\s+"
                     r"(?:fine|ok|okay|painless)|nothing\s+(?:wrong|new)|no\s+issues|planning\s+ahead|in\s+advance|"
                     r"before\s+i\s+start|peace\s+of\s+mind|purely|in\s+theory|(?:keep\s+)?(?:seeing|saw|seen)\s+it\s+(?:mentioned|on|in)|"
                     r"(?:want|trying|just)\s+to\s+understand|not\s+sure\s+what\s+(?:that|it|this)\s+(?:covers|means)|"
                     r"i(?:'m|\s+am)\s+not\s+(?:breathless|numb|swollen|in\s+pain)|i\s+(?:don'?t|do\s+not)\s+have\s+(?:any\s+)?"
                     r"(?:pain|symptoms?)|never\s+had\s+the\s+(?:\w+\s+)?(?:one|thing))\b", re.I)


_TOPIC_Q = re.compile(r"[^,.?!;:]{3,80},\s*" + _GENERAL_Q.pattern.removeprefix(r"\W*"), re.I)
_PLAIN_IF = re.compile(r"\W*(?:in\s+case|wh?at+\s+(?:if|happens\s+if|would\s+happen\s+if)|suppos(?:e|ing)|"
                       r"hypothetically)\b", re.I)


def what_if(text: str, lo: int, hi: int) -> bool:
    """Whether the sentence text[lo:hi] is a question about what might happen ("what if I stretch and
    afterwards I can't put weight on it?"), or about knees in general with no word of the person's own
    ("is persistent pain after a week of gentler stretching a reason to see a physio?"), and says
    nothing of now."""
    if _NOW.search(text, lo, hi) is not None:
        return False
    if "?" not in text[hi:hi + 3]:  # texted without the mark: only a plain condition ("in case my knee ever goes hot")
        return _PLAIN_IF.match(text, lo, hi) is not None
    if _DENIED.search(text, hi, hi + 120) is not None:  # "why would my knee lock? just reading up, no problem myself"
        return True
    # "fast swelling after stretching, what does that mean? asking for a project": the sign named, then asked about
    if (_TOPIC_Q.match(text, lo, hi) and FIRST_PERSON.search(text, lo, hi) is None
            and _NOT_ME.search(text, hi, hi + 200) is not None):
        return True
    if _GENERAL_Q.match(text, lo, hi) and FIRST_PERSON.search(text, lo, hi) is None:
        before, after = text[:lo], text[hi + 1:]
        if all(not part.strip(" ?!.") or _NOT_ME.search(part) or (part is before and not FIRST_PERSON.search(part))
               or (part is after and "?" in part and not FIRST_PERSON.search(part)) for part in (before, after)):
            return True
    m = _WHAT_IF.match(text, lo, hi)
    if m is None:
        return False
    # "would swelling that comes up overnight be worse?" asks in general; "... under me when I turn" does not
    return m.group("generic") is None or _MINE.search(text, lo, hi + 250) is None
