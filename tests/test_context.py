"""ConText-style modifiers on lay sentences, and the sentence splitter."""
from __future__ import annotations

import pytest

from bot.errors import RulesError
from bot.safety.context import DEFAULT_PATH, Assessment, ContextRules, Modifier, assess
from bot.safety.quoted import quote_end, unquoted
from bot.safety.rules import RuleSet
from bot.safety.sentences import MAX_SENTENCE, headline, sentences, with_next

NEG, HYP, INF, HIS, OTH, UNC = (Modifier.NEGATED, Modifier.HYPOTHETICAL, Modifier.INFORMATIONAL, Modifier.HISTORICAL,
                    Modifier.OTHER_PERSON, Modifier.UNCERTAIN)


def _assess(text: str, finding: str) -> Assessment:
    start = text.lower().index(finding.lower())
    return assess(text, (start, start + len(finding)))


# (text, finding, modifiers clearly attached, modifiers present but loose)
CASES = [
    ("no swelling", "swelling", {NEG}, set()),
    ("it hasn't given way", "given way", {NEG}, set()),
    ("I haven't noticed any swelling", "swelling", {NEG}, set()),
    ("no pain or swelling", "swelling", {NEG}, set()),
    ("no pain, swelling or redness", "redness", {NEG}, set()),
    ("swelling: none at all", "swelling", set(), set()),
    # every head word counts after a comma (a line-folding slip once hid lock*, instability, stiff*, injur*)
    ("no swelling, locking or numbness", "locking", {NEG}, set()),
    ("no pain, instability", "instability", {NEG}, set()),
    # a long clinical list: its commas do not use up the window
    ("Denies locking, instability, effusion, paraesthesia, saddle anaesthesia, or sphincter disturbance",
     "saddle anaesthesia", {NEG}, set()),
    ("No pain and then my knee gave way", "gave way", set(), set()),
    ("It's not just sore, it's swollen", "swollen", set(), set()),
    ("no swelling my knee buckled", "buckled", set(), set()),
    ("no pain but my knee gave way", "gave way", set(), set()),
    ("I didn't stretch properly my knee gave way", "gave way", set(), set()),
    ("it gave way for no reason", "gave way", set(), set()),
    ("can't put weight on it", "can't put weight", set(), set()),
    ("I don't think it's swollen", "swollen", set(), {NEG}),
    ("what if it swells?", "swells", {INF}, set()),
    ("what are the warning signs of a knee giving way", "giving way", {INF}, set()),
    ("what does it mean if my knee gives way?", "gives way", set(), {INF}),
    ("if it swells up I'll go to the doctor", "swells", {HYP}, set()),
    ("I hold a chair in case my knee buckles", "buckles", {HYP}, set()),
    ("my friend's knee gave way", "gave way", {OTH}, set()),
    ("her knee buckled at netball", "buckled", {OTH}, set()),
    ("my friend said my knee gave way", "gave way", set(), set()),
    ("gave way years ago, fine since", "gave way", {HIS}, set()),
    ("it buckled years ago. Been fine since.", "buckled", {HIS}, set()),
    ("my knee gave way years ago", "gave way", set(), {HIS}),
    ("it gave way years ago and again today", "gave way", set(), {HIS}),
    ("I think my knee gave way", "gave way", {UNC}, set()),
    ("it sort of gave way", "gave way", {UNC}, set()),
    ("maybe it gave way", "gave way", {UNC}, set()),
]


@pytest.mark.parametrize(("text", "finding", "attached", "loose"), CASES, ids=[c[0] for c in CASES])
def test_modifiers(text, finding, attached, loose):
    a = _assess(text, finding)
    assert a.attached == attached
    assert a.loose == loose
    assert a.modifiers == attached | loose
    assert all(a.clearly(m) for m in attached)


def test_modifier_ids():
    assert {str(m) for m in Modifier} == {
        "negated", "hypothetical", "informational", "historical", "other_person", "uncertain", "joking"}


def test_assessment_is_frozen():
    a = _assess("no swelling", "swelling")
    with pytest.raises(AttributeError):
        a.modifiers = frozenset()  # type: ignore[misc]


def test_scope_stops_at_sentence_end():
    assert _assess("No swelling. My knee gave way.", "gave way").modifiers == frozenset()
    assert _assess("no swelling\nmy knee gave way", "gave way").modifiers == frozenset()


def test_window_limits_a_long_forward_scope():
    text = "I didn't do anything special at all on that long walk home from work and it gave way"
    assert NEG not in _assess(text, "gave way").attached


@pytest.mark.parametrize(("text", "expected"), [
    ("My knee gave way. It hurts!", ["My knee gave way", "It hurts"]),
    ("my knee gave way yesterday It hurts now", ["my knee gave way yesterday", "It hurts now"]),
    ("no swelling\nbut it clicks", ["no swelling", "but it clicks"]),
    ("is it bad? i cant walk", ["is it bad", "i cant walk"]),
    ("1.5 weeks of this", ["1.5 weeks of this"]),
    ("", []),
    ("   ", []),
])
def test_sentences(text, expected):
    assert [text[a:b] for a, b in sentences(text)] == expected


@pytest.mark.parametrize(("text", "reaches"), [
    ("pins and needles in my shin. They're there for hours after.", True),
    ("numb legs, both sides. started last night", True),
    ("the tingling in my foot. It's been constant for 4 days", True),
    ("pins and needles in my shin. They are gone in seconds.", False),  # goes on, but says it is gone
    ("my leg went dead for a moment. It hasn't happened since.", False),
    ("toes tingle in the fold. Been like this a while.", False),  # a pattern of episodes, not one lasting
    ("pins and needles in my shin. My knee is fine.", False),  # another subject
])
def test_with_next_reaches_a_sentence_that_goes_on(text, reaches):
    first = text.index(".")
    assert (with_next(text, (0, first)) != (0, first)) is reaches
    if reaches:
        assert with_next(text, (0, first))[1] == len(text.rstrip("."))


@pytest.mark.parametrize(("text", "title"), [
    ("Title: knee hot and swollen\n\nMy dad's knee is hot.", "Title: knee hot and swollen\n"),
    ("Re: Knee gave way in class\n> mine too", "Re: Knee gave way in class\n"),
    ("Subject: numb foot", ""),  # no body under it
    ("My title: knee gave way\nagain", ""),  # not at the start
])
def test_headline_is_a_leading_title_line_over_a_body(text, title):
    assert text[:headline(text)] == title


def test_a_title_counts_unless_its_body_tells_the_sign_as_someone_elses():
    rules = RuleSet.load()
    theirs = rules.scan("Title: asking for my mum - knee locked\n\nMy mum says her knee locked on the stairs today.")
    assert "locking_or_clicking" not in {str(d.rule) for d in theirs.detections}
    mine = rules.scan("Title: knee locked on the stairs today\n\nWhat should I do?")
    assert {str(f) for f in mine.recorded} == {"locking_or_clicking"}


def test_clause_cuts_at_terminators():
    rules = ContextRules.load()
    text = "no pain and then my knee gave way but it feels ok now"
    start = text.index("gave way")
    lo, hi = rules.clause(text, (start, start + 8))
    assert text[lo:hi].strip() == "my knee gave way"


def test_rules_validate_on_load(tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "context_rules.yaml"
    bad.write_text(text.replace("modifier: negated", "modifier: negative", 1), encoding="utf-8")
    with pytest.raises(RulesError, match=r"triggers\.0\.modifier.*negated"):
        ContextRules.load(bad)
    bad.write_text(text.replace("window: 8\n", "window: 8\nwindows: 9\n", 1), encoding="utf-8")
    with pytest.raises(RulesError, match="windows"):
        ContextRules.load(bad)


def test_spans_at_the_edges_do_not_raise():
    for span in [(0, 0), (0, 1), (5, 5), (0, 100)]:
        assert isinstance(assess("swollen", span), Assessment)


def test_a_run_on_is_read_in_bounded_pieces_and_a_finding_in_it_still_counts():
    run_on = "so I was stretching and then " * 120 + "my knee gave way and I fell " + "and then " * 100
    spans = sentences(run_on)
    assert len(spans) > 1 and all(hi - lo <= MAX_SENTENCE for lo, hi in spans)
    assert " ".join(run_on[lo:hi] for lo, hi in spans).split() == run_on.split()
    assert "knee_instability" in [str(f) for f in RuleSet.load().scan(run_on).recorded]


@pytest.mark.parametrize(("text", "cut"), [
    ("> Any swelling?\nyes, loads", len("> Any swelling?\n")),
    ("> line one\n> line two\nmy answer", len("> line one\n> line two\n")),
    ("> only a quote", 0),  # nothing under it
    ("no quote > here\nyes", 0),
])
def test_a_leading_quote_with_a_reply_under_it_is_blanked(text, cut):
    assert quote_end(text) == cut
    assert len(unquoted(text)) == len(text) and unquoted(text)[cut:] == text[cut:] and not unquoted(text)[:cut].strip()
