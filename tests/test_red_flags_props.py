"""Property tests: firing sentences survive harmless surroundings; nothing raises."""
from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ids import RedFlag
from bot.safety.context import assess
from bot.safety.rules import RuleSet
from bot.safety.sentences import sentences
from bot.safety.timeline import Timeline

TABLES = Path(__file__).parent / "red_flags"
RULES = RuleSet.load()
FIRING = [
    (flag, s)
    for flag in RedFlag
    for kind in ("record", "confirm")
    for s in yaml.safe_load((TABLES / f"{flag}.yaml").read_text(encoding="utf-8")).get(kind) or []
    if flag is not RedFlag.PERSISTENT_PAIN  # told over time; its own tests cover surroundings
]
HARMLESS = [
    "hi there", "I'm 34 and run twice a week", "I was doing the standing hamstring stretch",
    "it started on Monday", "I stretch every morning", "thanks for the help", "I feel a pull in my hamstring",
    "my hamstrings are really tight", "I do yoga on Sundays", "this is my first time using this",
    "I sit at a desk all day", "I was at the gym", "sorry for the long message", "hello",
]
# Negated findings, each with the rules whose finding it is about (the others must still fire).
SWELLING = {RedFlag.RAPID_SWELLING, RedFlag.CALF_CLOT_SIGNS, RedFlag.HOT_SWOLLEN_KNEE_FEVER}
NUMBNESS = {RedFlag.LEG_NUMBNESS_OR_WEAKNESS, RedFlag.CAUDA_EQUINA_SIGNS}
NEGATED = {
    "no swelling": SWELLING, "it hasn't given way": {RedFlag.KNEE_INSTABILITY},
    "no numbness": NUMBNESS, "it doesn't lock": {RedFlag.LOCKING_OR_CLICKING},
    "no fever": {RedFlag.HOT_SWOLLEN_KNEE_FEVER}, "no chest pain": {RedFlag.CHEST_PAIN_OR_BREATHLESS},
    "my calf isn't swollen": SWELLING, "no clicking": {RedFlag.LOCKING_OR_CLICKING},
    "I can walk fine": {RedFlag.CANNOT_BEAR_WEIGHT}, "no pins and needles": NUMBNESS,
    "there was no pop": {RedFlag.SUDDEN_SEVERE_PAIN}, "no bladder problems": {RedFlag.CAUDA_EQUINA_SIGNS},
}
SEPARATORS = [". ", "! ", "\n", ", ", "; ", " and then ", " but "]
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fires(flag: RedFlag, text: str) -> bool:
    return any(d.rule is flag for d in RULES.scan(text).detections)


def bare(text: str) -> str:
    """Lower case without punctuation or symbols; the vowel signs of Indic scripts are letters' parts and stay."""
    kept = "".join(c for c in text.lower() if not unicodedata.category(c).startswith(("P", "S")))
    return re.sub(r"\s+", " ", kept).strip()


firing = st.sampled_from(FIRING)
harmless = st.lists(st.sampled_from(HARMLESS), max_size=3)
separator = st.sampled_from(SEPARATORS)


@PROPS
@given(firing, harmless, harmless, separator, separator)
def test_fires_with_harmless_text_around(case, before, after, sep1, sep2):
    flag, sentence = case
    text = sep1.join([*before, sentence]) + (sep2 + sep2.join(after) if after else "")
    assert fires(flag, text), text


@PROPS
@given(firing, st.sampled_from(sorted(NEGATED)), st.sampled_from([*SEPARATORS, " "]), st.booleans())
def test_fires_next_to_a_negated_other_finding(case, negated, sep, negated_first):
    flag, sentence = case
    if flag in NEGATED[negated]:
        return
    text = f"{negated}{sep}{sentence}" if negated_first else f"{sentence}{sep}{negated}"
    assert fires(flag, text), text


@pytest.mark.parametrize(("flag", "sentence"), FIRING, ids=[f"{f}-{s[:40]}" for f, s in FIRING])
def test_fires_lowercased_without_punctuation(flag, sentence):
    assert fires(flag, sentence.lower())
    assert fires(flag, bare(sentence)), bare(sentence)


@PROPS
@given(st.text(max_size=3000), st.sampled_from([None, *RedFlag]))
def test_any_text_scans_without_raising(text, pending):
    result = RULES.scan(text, timeline=Timeline(), pending=pending)
    for d in result.detections:
        assert 0 <= d.span[0] <= d.span[1] <= len(text)
        assert d.matched == text[d.span[0]:d.span[1]]
    Timeline.from_dict(result.timeline.to_dict())


@PROPS
@given(st.text(max_size=500), st.integers(-5, 600), st.integers(-5, 600))
def test_assess_and_sentences_never_raise(text, a, b):
    assess(text, (min(a, b), max(a, b)))
    for lo, hi in sentences(text):
        assert 0 <= lo < hi <= len(text)


@PROPS
@given(st.dictionaries(st.text(max_size=20), st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                                        st.text(max_size=10))))
def test_timeline_from_any_dict(data):
    RULES.scan("no better", timeline=Timeline.from_dict(data))


@pytest.mark.parametrize("text", [
    "no " * 40_000,
    "my knee gave way " * 5_000,
    "swelling " * 20_000 + "ballooned",
    "a" * 200_000,
    "é́́́" * 20_000,
    "\u0130" * 50_000 + " gave way",
    "not sure if " * 10_000,
])
def test_huge_inputs_are_fast_and_safe(text):
    """A hostile message costs time in proportion to its length, not its square (docs/red_flags.md, "Cost"):
    the whole message against a quarter of it, on the same machine in the same run, and never a hang."""
    def timed(t: str) -> float:
        start = time.perf_counter()
        RULES.scan(t, pending=RedFlag.KNEE_INSTABILITY)
        return time.perf_counter() - start
    quarter = timed(text[:len(text) // 4])
    whole = timed(text)
    assert whole < 8 * quarter + 1.0, (whole, quarter)  # linear is about 4x; quadratic would be 16x
    assert whole < 60


def test_a_word_for_someone_inside_another_word_does_not_make_a_quote_theirs():
    """"da" (dad) inside "Monday" on the line before is no speaker: the quoted post is the person's own sign."""
    text = "it started on Monday\na post said 'my knee swelled up in minutes' and that is exactly what happened to me"
    assert fires(RedFlag.RAPID_SWELLING, text)
