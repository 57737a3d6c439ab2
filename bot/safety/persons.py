"""Whose finding it is: someone else named as its subject ("my friend felt a pop"), quoted in someone else's words,
a clinician's note about a patient, or a message about someone else with no first person in it at all."""
from __future__ import annotations

import re

from bot.safety.sentences import sentence_at

_PEOPLE = (r"(?:friend|mate|pal|buddy|wife|husband|hubby|partner|girlfriend|boyfriend|gf|bf|mum|mom|mother|"
           r"(?<=\bmy\s)madam|(?<=\bmy\s)oga|"
           r"esposo|esposa|marido|madre|padre|hermano|hermana|hijo|hija|"
           r"dad|father|step\s*(?:dad|mum|mom|son|daughter)|son|daughter|brother|sister|gran|grandma|granny|"
           r"grandmother|grandad|grandpa|grandfather|grandson|granddaughter|grandchild(?:ren)?|grandkid|grandbaby|nan|nana|nani|dadi|mummy|mommy|mumma|daddy|aunt|auntie|uncle|cousin|kid|child|"
           r"toddler|baby(?!\s+(?:toe|toes|steps?|oil|wipes|carrots?|bump|fat))|teen|teenager|coach(?!\s+(?:trip|journey|ride|holiday|tour|station|travel|seat|park|party|company|trips|journeys|rides|holidays|tours)\b)|trainer|teammate|captain|client|patient|athlete|player|resident|"
           r"colleague|co-?worker|co-?driver|manager|supervisor|foreman|gaffer|workmate|landlord|landlady|co-?pilot|apprentice|trainee|neighbou?r|flatmate|roommate|housemate|dog|cat|puppy|horse|(?<=\bthe\s)mare|(?<=\bmy\s)mare|(?<=\bour\s)mare|pony|gelding|foal|heifer|(?<=\bour\s)calf|(?<=\bour\s)calves|student|pupil|crew|crewmate|"
           r"classmate|boss|niece|nephew|fianc[eé]e?|old\s+man|old\s+lady|in-?law|lady(?!\s+(?:parts|bits|garden|region))|bloke|guy|woman|man(?!\s+(?:bits|parts|region)\b)|"
           r"rider|tito|tita|lolo|lola|girl|boy(?!s\s+downstairs\b)|(?<!\blike\s)(?<!\bas\sif\s)(?<!\bas\sthough\s)(?:someone|somebody)|runner|member|footballer|sprinter|swimmer|dancer|cyclist|lifter|climber|"
           r"gymnast|rower|golfer|customer|attendee|participant|mam|missus|missis|fella|lad|hubs|twin|sibling|spouse|"
           r"bestie|bff|sis|bro|da|eldest|youngest|oldest|ouma|oupa|oma|opa|nonna|nonno|abuela|abuelo|breddah|bredda|pug|dh|dw|ds|\d{1,2}\s*yo|winger|striker|goalie|goalkeeper|keeper|defender|midfielder|fullback|full-back|skipper|regular(?=\s+(?:at|from|in|who)\b))")
# "my kid's party balloons", "my mate's wedding": a thing of theirs, not them as the subject
_OWNED = (r"\s+(?:\w+\s+)?(?:party|birthday|wedding|funeral|house|place|flat|car|garden|school|balloons?|toys?|pram|"
          r"buggy|bike|sofa|bed|kitchen|stairs|office|shop|graduation|crutch(?:es)?|walking\s+stick|cane|zimmer|walker|"
          r"wheelchair|shoes|trainers|boots|phone|room|bedroom|laptop|couch|bags?|shopping|luggage|suitcases?)\b")
_OTHER_SUBJECT = re.compile(
    rf"\b(?:(?<!\bat\s)(?<!\bnot\s)(?<!\bcarrying\s)(?<!\bholding\s)(?<!\blifting\s)(?<!\bpushing\s)(?<!\bcarried\s)"
    rf"(?<!\bpick\sup\s)(?<!\bpicking\sup\s)(?<!\bpicked\sup\s)(?<!\blift\s)(?<!\bcarry\s)(?<!\bhold\s)"
    rf"(?<!\bfeeding\s)(?<!\breading\s)(?<!\breading\sto\s)(?<!\bstory\sfor\s)(?<!\bbathing\s)(?<!\bhelping\s)(?<!\bwalking\s)(?<!\bwalked\s)(?<!\bwalk\s)(?<!\bwalks\s)(?:(?<!\bwith\s)(?<!\bsaw\s)my|mi|(?<!\bwith\s)our|(?<!\blike\s)a|(?<!\blike\s)an|the|his|her|their|some|one\s+of\s+(?:my|our|the)|(?:two|three|four|five|six|several|"
    rf"a\s+few|a\s+couple\s+of)(?:\s+of\s+(?:my|our|the))?)\s+(?:(?!(?:to|with|at|for|of|on|in|from|by)\b)\w+\s+){{0,2}}?{_PEOPLE}(?!'?s{_OWNED})s?(?:'s|\s+of\s+(?:mine|ours))?"
    rf"|(?<!\blike\sa\s)(?<!\blike\san\s){_PEOPLE}'s(?!{_OWNED})|{_PEOPLE}s?\s+of\s+(?:mine|ours|me)\b|\bme\s+(?:old\s+)?{_PEOPLE}'s(?!{_OWNED})"
    rf"|(?<!\bmine\sand\s)(?<!\bmine\s&\s)\b(?:hers|theirs)\b(?=\s+(?:gets?|got|is|are|was|were|went|goes|keeps?|swell\w*|lock\w*|click\w*))|(?:his|her|(?<!\belse\sget\s)(?<!\belse\sgot\s)(?<!\belse\shave\s)(?<!\belse\shad\s)their)\s+(?:knees?|legs?|calf|calves|chest|foot|feet|ankles?|back|bladder)|\b(?:she|he|they)(?:'s|\s+is|\s+are|'re)\s+the\s+one\s+whose\b|(?:\A|(?<=[.!?:\n]\s))"
    rf"(?:patient|client|pt)(?=\s*(?:\(|,|(?:(?:last\s+\w+|yesterday|today|this\s+\w+)\s+)?(?:reports|says|has|had|complains|presents|describes|states|c/o)\b|"
    rf"\d{{1,3}}\s*(?:m|f|yo|y/o|yrs?|years?\s+old)\b))"
    rf"|(?:\A|(?<=[.!?:\n]\s))(?:teammate|team-mate|colleague|co-?worker|flatmate|roommate|housemate|hubby|wifey|bestie|"
    rf"buddy|gf|bf|grandad|grandpa|grandma|granny|gran|nan|nana|mum|mom|dad|apprentice|trainee|client|father|mother|"
    rf"husband|wife|son|daughter|brother|sister|uncle|aunt|auntie|aunty|cousin|nephew|niece|grandfather|grandmother)"
    rf"(?:\s+ji)?(?=\s*\(\d{{1,3}}\)\s*:|(?:\s*\(\d{{1,3}}\))?(?:\s+(?:i|we)\s+(?:train|coach|see|treat|look\s+after|work\s+with))?\s+(?:went|goes|has|had|is|was|got|gets|says|"
    rf"said|keeps|kept|felt|feels|fell|pulled|tore)\b)"
    rf"|(?<=\bwhen\s)(?:someone|somebody|anyone|anybody|people|a\s+person)(?=\s+(?:gets|has|feels|got|had|is|was|say|says|said|talk\s+about|mention|describe|write)\b)"
    rf"|(?<!knee\s)(?<!leg\s)(?<!foot\s)\b(?:she|he)\b(?!(?:'s|\s+is|\s+was)?\s+(?:not\s+wrong|right|correct)\b)(?:'s|'d)?)\b",
    re.I)
# the writer says the sign just named is theirs, in its own sentence ("the leaflet says call 999 with chest pain like a
# tight band i do have that right now", typed without stops)
HAVE_IT_NOW = re.compile(r"\bi\s+(?:do\s+|really\s+)?(?:kind\s+of\s+|sort\s+of\s+|kinda\s+)?(?:have|'?ve\s+got|got)\s+"
                         r"(?:that|this|it|them|those|all\s+(?:of\s+)?(?:that|them|those))\s+(?:right\s+)?now\b", re.I)
# the person has it too, told after someone else's ("my mate's knee gave way and so did mine", "she can feel a
# clunk in the knee, and I can feel it too")
MINE_TOO = re.compile(r"\b(?:(?:so\s+(?:(?:did|has|does|is|was)\s+(?:mine|i)|(?:do|am|have)\s+i(?=\s*(?:[.,;!]|$|too"
                      r"\b)))|mine\s+(?:\w+\s+)?(?:too|as\s+well))\b|mine(?:'?s|\s+has|\s+is)\s+(?:now\s+|also\s+)?(?:"
                      r"\w+\s+)?(?:doing\s+(?:it|that|the\s+same)|at\s+it)\b|(?:and|&)\s+me\s+too\b|same\s+(?:here|"
                      r"with\s+me)\b|(?:pt|patient|client)\s+is\s+m(?:e|yself)\b|n(?:either|or)\s+can\s+i\b|"
                      r"i\s+(?:can\s+)?(?:feel|felt|hear|heard)\s+it\s+(?:too|as\s+well)\b)", re.I)
# "the back of my knee" is mine too, when telling whose the finding is (not a question's own first person)
_MY_PART = re.compile(r"\b(?:back|side|front|top|pit)\s+of\s+my\b", re.I)
FIRST_PERSON = re.compile(r"\b(?:i(?!\s+(?:care\s+for|look\s+after|work\s+with|coach|train|support|nurse|"
                           r"visit|teach|babysit)\b)(?!(?<=where\si)\s+(?:work|volunteer|train|teach|coach)\b)|i'm|im|i've|ive|i'd|id|(?<!told\s)(?<!tells\s)(?<!texted\s)(?<!messaged\s)me|myself|mine)\b|(?<!\bin\s)(?<!\bat\s)(?<!\bof\s)"
                           r"(?<!\bfrom\s)\bmy\b(?!\s+(?:own\s+)?(?:class|club|team|gym|group|walking|running|"
                           r"pilates|yoga|work|office|school))|"
                           # "she looked at my calf": a body part of the writer's own after "at" (reading 77)
                           r"(?<=\bat\s)my(?=\s+(?:left\s+|right\s+|bad\s+|sore\s+|other\s+)?(?:calf|calves|knee|knees|kneecap|leg|legs|"
                           r"foot|feet|ankle|ankles|thigh|thighs|chest|hamstrings?)\b)", re.I)
_SOMEONE = re.compile(rf"\b{_PEOPLE}(?:'?s)?\b|\b(?:he|she|his|her|him)\b", re.I)


def only_others(text: str) -> bool:
    """Whether the message names someone else and has no first person anywhere ("partners calf is massive
    and hot"), or is a clinician's note about a patient: a learned hit on it is asked about, never recorded."""
    if patient_note(text):
        return True
    return FIRST_PERSON.search(text) is None and _MY_PART.search(text) is None and _SOMEONE.search(text) is not None


def names_someone(text: str) -> bool:
    """Whether the message names anyone besides the writer ("my wife", "she", "our coach")."""
    return _SOMEONE.search(text) is not None


def other_subject(text: str, lo: int, core: tuple[int, int]) -> bool:
    """Whether the finding's clause is about someone else: an other-person subject or possessive
    ("my friend felt a pop and couldn't walk", "our captain's knee ballooned") comes before it with no
    first-person word in between or just after ("my friend says I'm limping", "my partner had to carry
    me" stay mine)."""
    if _THEIR.search(text, max(lo, core[0] - 8), core[0]):  # "now says his chest hurts"
        return True
    if _ON_THEIRS.match(text, core[1]):  # "and then couldn't put weight on his leg"
        return True
    if patient_note(text):  # "Handover: bed 4, c/o sudden knee pain ..."
        return True
    opening = _opening(text, core)
    if opening is not None and _own_words(text, opening):
        lo = max(lo, opening.end())  # the writer's own words to someone: "my text to my partner: '... my foot'"
    # not "back from my daughter's in Australia"
    matches = [m for m in _OTHER_SUBJECT.finditer(text, lo, core[0])
               if (not _PLACE_OF.search(text, max(0, m.start() - 8), m.start())
                   or not _PLACE_AFTER.match(text, m.end()))
               and not _ASKER.match(text, m.end())  # "to answer the question someone asked, yes, my bum ..."
               and _OTHER_SUBJECT.match(text, m.start()) is not None]  # not "using my son's old crutches"
    last = matches[-1] if matches else None
    if last is None or _mine_after(text, last.end(), core[1]) or _MY_PART.search(text, last.end(), core[1]):
        return quoted_other(text, core)
    after = FIRST_PERSON.search(text, core[1], min(len(text), core[1] + 12))
    if after is None or _NEW_CLAUSE.search(text, core[1], after.start()) or _ENDS.search(text, core[1], after.start()):
        return True
    return quoted_other(text, core)


# "my client (I'm a PT) has numbness": the writer's aside about themselves leaves the subject someone else's
_ASIDE = re.compile(r"\((?:i'?m|i\s+am|im|i\s+work\s+as)\s[^()]{0,30}\)", re.I)


_ALONG = re.compile(r"\b(?:with|beside|alongside|next\s+to)\s+$", re.I)  # "... walking with me"


def _mine_after(text: str, lo: int, hi: int) -> bool:
    """Whether a first-person word in text[lo:hi] makes the finding the writer's (not one in an aside, nor a "me"
    who only went along: "my husband ran out of breath walking up the hill with me and has chest pains")."""
    asides = [m.span() for m in _ASIDE.finditer(text, lo, hi)]
    return any(not any(a <= m.start() < b for a, b in asides)
               and not (m.group().lower() == "me" and _ALONG.search(text, lo, m.start()))
               for m in FIRST_PERSON.finditer(text, lo, hi))


_THEIR = re.compile(r"\b(?:his|her|their)\s+$", re.I)
_ON_THEIRS = re.compile(r"\s+(?:on|onto|through|into|in|down)\s+(?:his|her|their)\s+"
                        r"(?:left\s+|right\s+|bad\s+|other\s+|sore\s+)?(?:leg|legs|knee|knees|foot|feet|ankle)\b", re.I)
_PLACE_OF = re.compile(r"\b(?:from|at|to)\s+$", re.I)  # a home told by its owner: "back from my daughter's in ..."
_ASKER = re.compile(r"\s+(?:asked|wanted\s+to\s+know|was\s+asking|were\s+asking)\b"
                    r"(?!\s+(?:me\s+)?(?:if|whether|about)\s+(?:his|her|their))", re.I)
# "back from my sister's in Leeds", "... my sister's and since then": a home, told by its owner
_PLACE_AFTER = re.compile(r"(?<='s)(?:\s+(?:in|at|over|near|for|last|this|yesterday|on|and|then|but|so)\b|"
                          r"\s*[.,;!?])", re.I)
# A clinician's note about a patient, with no word of the writer's own ("Pt 52F, ... Reports knee gave way x2",
# "Hx today: pt's R calf swollen", "Handover: bed 4, c/o ..."): every finding in it is the patient's.
_PATIENT_NOTE = re.compile(r"(?i)\A\s*(?:pt|patient|client)\b(?:\s*\(?\d{1,3}\s*(?:m|f|yo|y/o)\b|"
                           r"\s*[,(]|\s+(?:w/|fu\s*:))|\A\s*(?:handover|clinic\s+note|hx\s+today|ward\s+round|referr(?:ing|al)\b[^.:]{0,30}?\b(?:client|patient|pt))\b|"
                           r"\bpt'?s\b|\bon\s+behalf\s+of\s+(?:a\s+|the\s+)?(?:client|patient|pt)\b|\b(?:client|patient|pt)\s+not\s+on\b|\bcase\s+study\b|\A\s*o/e\s*\((?:pt|patient)\)|\A\s*s:\s*\d{1,3}\s*[mf]\b|\b(?:resident|athlete)(?:'s|\s*\(|\s+(?:report\w*|c/o|felt))\b|"
                           r"\A[\w\s]{0,20}?\b(?:pt|clinic|ax|gp|visit)\s+notes?\b|\bquery\s+from\s+(?:a\s+)?(?:family\s+member|relative|carer)\b|\bre:?\s+(?:an?\s+|the\s+)?(?:elderly\s+|older\s+)?(?:relative|relation|grandparent)\b|"
                           r"\A\s*(?:asking|posting|writing|keeping\s+(?:notes?|a\s+(?:log|diary))|notes?)\s+(?:for|on|about)\s+my\s+(?:dad|mum|mom|father|mother|husband|wife|son|daughter|gran\w*|grand[a-z]+|nan|nana|partner|brother|sister|aunt|uncle)\b")
_SELF = re.compile(r"(?i)\b(?:i|i'm|im|i've|ive|i'd|me|myself|mine|self|own)\b|"  # "my dad", "my patient": not mine
                   r"\bmy\b(?!\s+(?:case|patient|client|pt|shift|ward|caseload|clinic|group|team|notes?|(?:dad|mum|mom|father|mother|husband|wife|son|daughter|gran\w*|grand[a-z]+|nan|nana|partner|brother|sister|aunt|uncle))\b)")


def patient_note(text: str) -> bool:
    """Whether the message is a clinician's note about a patient with no word of the writer's own."""
    return (_PATIENT_NOTE.search(text) is not None and _SELF.search(text) is None) or _NOT_ME.search(text) is not None


def theirs(text: str, span: tuple[int, int]) -> bool:
    """Whether the pain whose course is told at `span` is someone else's: a clinician's note, or a pain told
    as his, her or their own in that sentence ("the stretches with my mum for two weeks and her pain hasn't
    improved")."""
    lo, hi = sentence_at(text, span[0])
    return patient_note(text) or (_THEIR_PAIN.search(text, lo, hi) is not None
                                  and _MY_PAIN.search(text, lo, hi) is None)


_THEIR_PAIN = re.compile(r"\b(?:his|her|their)\s+(?:\w+\s+)?(?:pain|ache|soreness)\b", re.I)
# the writer's own pain anywhere in the sentence ("my knee pain is no better, same as her pain") keeps it theirs too
_MY_PAIN = re.compile(r"\b(?:my|mine)\s+(?:\w+\s+)?(?:pain|ache|soreness|knee|leg|hamstring)s?\b"
                      r"|\bi\s+(?:still\s+)?(?:hurt|ache)\b", re.I)


# the writer says outright that the message is about someone else ("but I'm writing about my patient, not me")
_NOT_ME = re.compile(r"(?i)\b(?:about|for|re|on\s+behalf\s+of)\s+(?:my|a|the|our)\s+(?:\w+\s+)?"
                     r"(?:patient|client|resident|"
                     r"friend|mum|mom|dad|mother|father|son|daughter|husband|wife|partner|brother|sister|neighbou?r|colleague)"
                     r"\s*[,\-\u2013\u2014]?\s*(?:and\s+)?not\s+(?:about\s+|for\s+)?(?:me|myself|mine)\b|"
                     r"\bi'?ve\s+(?:got|had)\s+a\s+(?:patient|client)\s+(?:whose|who)\b")

# a first person after it starts another clause ("..., so I sent her to A&E", "..., how do I help him?")
_NEW_CLAUSE = re.compile(r"[,;:]\s*(?:(?:so|and|then|but)\s+)?$|"
                         r"[,;:]\s*(?:how|what|should|can|could|would|do|does)\s+(?:\w+\s+)?$")
_ENDS = re.compile(r"[.!?]")  # "..., so I sent her to A&E", "... had to stop. Put me right off."
_OPEN_QUOTE = re.compile(r"(?:^|(?<=[\s:(]))['\"‘“]")
_CLOSE_QUOTE = re.compile(r"['\"’”](?=[\s.,!?;:)]|$)")
_SPOKEN = re.compile(rf"(?:\b{_PEOPLE}s?\b|\b(?:he|she|they)\b)[^.!?]{{0,80}}?\b(?<!\bi\s)(?:told|tells?|telling|"
                     rf"said|says|saying|say|yelled|yells|shouted|shouts|wrote|writes|texted|messaged|rang|phoned|called|posted|notes?|"
                     rf"put\s+it|word\s+for\s+word|"
                     rf"in\s+(?:his|her|their)\s+words)\b|\bfor\s+(?:my|our)\s+(?:\w+\s+)?{_PEOPLE}s?\b[^.!?]{{0,60}}?:\s*$"
                     rf"|\b(?:my|our|a|the)\s+(?:\w+\s+)?{_PEOPLE}'s\s+(?:message|text|post|email|words)\b"
                     # "My wife, not me: '...'", "Text from my sister: '...'", not "Note to my mum: '...'"
                     rf"|(?<!\bto\s)(?<!\bfor\s)(?<!\bto\smy\s)(?<!\bfor\smy\s)(?<!\bto\sour\s)(?<!\bfor\sour\s)"
                     rf"\b{_PEOPLE}s?\b[^.!?:'\"‘“]{{0,30}}:\s*$"
                     rf"|\bquot(?:e|es|ed|ing)\b(?!\s+(?:me|myself)\b)[^.!?]{{0,60}}$|\bthe\s+OP\b[^.!?]{{0,40}}$"
                     rf"|\b(?:guidance|guide|article|leaflet|website|textbook|study)\s+(?:says|said|lists|calls|mentions)\b"
                     rf"|\b(?:saw|seen|read|found|came\s+across)\s+(?:this|a|that|the)\s+(?:\w+\s+)?(?:post|thread|comment|"
                     rf"question|tweet|article)\b[^.!?]{{0,40}}$",
                     re.I)


_MY_PART_SAID = re.compile(r"\bmy\s+(?:knee|leg|calf|foot|ankle|thigh|chest)s?\s+(?:\w+\s+){0,2}?"
                           r"(?:looked|looks|was|is|went|felt|feels)(?:\s+like)?\s*$", re.I)


_LIKE = re.compile(r"\s*(?:like|as)\b", re.I)


# the writer's own words to someone, quoted: "Pasting what I sent my sister:", "my own message to my husband:"
_MY_WORDS = re.compile(r"\bi\s+(?:sent|texted|wrote|messaged|replied|posted|told)\b[^.!?'\"‘“]{0,40}$"
                       r"|\b(?:note|reply|message|text|email|update)\s+to\s+(?:my|our)\s+[^.!?'\"‘“]{0,30}$"
                       r"|\bmy\s+(?:own\s+)?(?:message|text|reply|email|post|words|whatsapp)\b(?!\s+from)[^.!?'\"‘“]{0,40}$",
                       re.I)
# the speaker told after the quote: "'It just locks', that's what my son keeps saying", "'...' - my mate"
_SPOKEN_AFTER = re.compile(rf"\W{{0,3}}\s*(?:(?:that'?s|is)\s+what\s+(?:my\s+|our\s+)?(?:\w+\s+){{0,2}}?"
                           rf"(?:{_PEOPLE}s?|he|she|they)\b|(?:says|said|writes|wrote|texted)\s+(?:my\s+|our\s+)?"
                           rf"(?:\w+\s+)?{_PEOPLE}\b|[-\u2013\u2014]\s*(?:my\s+|our\s+)(?:\w+\s+)?{_PEOPLE}\b)", re.I)


def _opening(text: str, core: tuple[int, int]) -> re.Match[str] | None:
    """The opening quotation mark of the quote the finding is inside, if it is inside one."""
    openings = list(_OPEN_QUOTE.finditer(text, max(0, core[0] - 200), core[0]))
    opening = openings[-1] if openings else None
    if opening is None or _CLOSE_QUOTE.search(text, opening.end(), core[0]) is not None:
        return None
    return opening


def _own_words(text: str, opening: re.Match[str]) -> bool:
    """Whether the quote opening here holds the writer's own words sent to someone ("my text to my partner: '...'",
    "Reply to my sister: '...'")."""
    return _MY_WORDS.search(text[max(0, opening.start() - 160):opening.start()]) is not None


def quoted_other(text: str, core: tuple[int, int]) -> bool:
    """Whether the finding is inside someone else's words, quoted ("my client told me, word for word: 'I
    can't put any weight on it'"; "writing this for my partner: 'my leg won't take any weight'"; "'it just
    locks', that's what my son keeps saying")."""
    opening = _opening(text, core)
    if opening is None:
        return False
    if _own_words(text, opening):
        return False  # the writer's own words to someone: "Pasting what I sent my sister: '...'"
    closing = _CLOSE_QUOTE.search(text, core[1], core[1] + 300)
    if closing is not None and _SPOKEN_AFTER.match(text, closing.end()):
        return True
    if _MY_PART_SAID.search(text, max(0, opening.start() - 40), opening.start()) and _LIKE.match(text, opening.end()):
        return False  # their word for my knee: "partner says my knee looked 'like a grapefruit'"
    return _SPOKEN.search(text[max(0, opening.start() - 160):opening.start()]) is not None


# someone exclaiming at the writer's own body ("my wife walked in and said why does your knee look like a football",
# "she goes what happened to your leg"): that "your" is the writer's, read as "my" (reading 56)
_ADDRESSED = re.compile(r"\b(?:said|says|asked|asks|goes|went|yelled|shouted|screamed|gasped)\b[,:]?\s*[\"']?\s*(?:"
                        r"what(?:'s|\s+is|s)?\s+(?:happened\s+to|wrong\s+with|up\s+with|going\s+on\s+with)|"
                        r"what\s+have\s+you\s+done\s+to|why\s+(?:is|does|are|do|has)|why's|look\s+at|wow,?)\s+"
                        r"(?P<your>your)(?=\s+(?:left\s+|right\s+|other\s+)?(?:knees?|legs?|calf|calves|ankles?|foot|feet)\b)",
                        re.I)


def addressed(text: str) -> str:
    """`text` with a "your" said to the writer about their own leg read as "my", offsets kept."""
    return _ADDRESSED.sub(lambda m: m.group()[:m.start("your") - m.start()] + "my  ", text)
