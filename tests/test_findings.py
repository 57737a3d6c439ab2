"""Symptom findings in lay sentences: values recognised, context respected, short answers, merging."""
from __future__ import annotations

import pytest

from bot.errors import RulesError
from bot.symptoms.findings import Finding, FindingExtractor, merge, values_of

# (message, pending slot, what `merge({}, extract(...))` must hold; None: the slot must be absent)
SENTENCES = [
    # where
    ("I feel a pull behind my knee when I stretch", None, {"location": "behind", "sensation": "pulling"}),
    ("pain right in the back of my knee", None, {"location": "behind"}),
    ("it's in the crease behind the knee", None, {"location": "behind"}),
    ("hurts in the knee pit when i do toe touches", None, {"location": "behind"}),
    ("behnid my kne it kinda burns", None, {"location": "behind", "sensation": "burning"}),
    ("the pain is under my kneecap", None, {"location": "front"}),
    ("sore at the front of my knee", None, {"location": "front", "sensation": "ache"}),
    ("it aches behind the kneecap", None, {"location": "front", "sensation": "ache"}),
    ("my physio said runners knee maybe", None, {"location": "front"}),
    ("on the inside of my knee theres a sharp pain", None, {"location": "inner_side", "sensation": "sharp"}),
    ("outer side of the knee twinges", None, {"location": "outer_side", "sensation": "sharp"}),
    ("it runs down into my calf", None, {"location": "calf"}),
    ("my knee hurts at the back when i stretch", None, {"location": "behind"}),
    ("my knee hurts at the front when i stretch", None, {"location": "front"}),
    ("hamstring stretch hurts the inside of my knee at the back", None, {"location": "behind+inner_side"}),
    ("knee is fine, it's at the back of my thigh", None, {"location": "thigh"}),
    ("behind the knee and down into the calf", None, {"location": "behind+calf"}),
    ("mostly in the middle of my thigh, the muscle belly", None, {"location": "thigh"}),
    # what it feels like
    ("a burning sensation behind my knee", None, {"sensation": "burning", "location": "behind"}),
    ("its like a stabbing pain", None, {"sensation": "sharp"}),
    ("dull ache at the back of the knee", None, {"sensation": "ache", "location": "behind"}),
    ("it throbs afterwards", None, {"sensation": "throbbing"}),
    ("feels like something catches in there", None, {"sensation": "catching"}),
    ("tingling down the back of my leg while I hold the stretch", None, {"sensation": "tingling"}),
    ("pins and needles only while stretching", None, {"sensation": "tingling"}),
    ("a tight pulling feeling", None, {"sensation": "pulling"}),
    ("not burning, its more of a dull ache", None, {"sensation": "ache"}),
    # pointing the toes
    ("when I point my toes it eases off", None, {"toes_pointing_eases": "yes"}),
    ("if i point my foot down the pain goes away", None, {"toes_pointing_eases": "yes"}),
    ("it gets better when I point my toes", None, {"toes_pointing_eases": "yes"}),
    ("pointing my toes down makes no difference", None, {"toes_pointing_eases": "no"}),
    ("pointing my toes doesnt help", None, {"toes_pointing_eases": "no"}),
    ("no difference when i point my toes", None, {"toes_pointing_eases": "no"}),
    ("I point my toes and it still burns", None, {"toes_pointing_eases": "no", "sensation": "burning"}),
    ("pulling my toes up towards me makes it worse", None, {"toes_pointing_eases": "yes"}),
    # technique
    ("I lock my knee out when I stretch", None, {"technique": "locked"}),
    ("i keep my legs dead straight", None, {"technique": "locked"}),
    ("I think I hyperextend my knee", None, {"technique": "locked"}),
    ("I lock my knee and round my back", None, {"technique": "locked+rounded_back"}),
    ("my foot is turned out when I stretch", None, {"technique": "rotated"}),
    ("i bounce to get lower", None, {"technique": "forcing"}),
    ("I push as far as I can", None, {"technique": "forcing"}),
    ("I hunch over to reach my toes", None, {"technique": "rounded_back"}),
    ("I keep a slight bend in the knee", None, {"technique": "good_form"}),
    ("I hinge at the hips with a flat back", None, {"technique": "good_form"}),
    ("I never lock my knees", None, {"technique": "good_form"}),
    # back trouble
    ("I have a bad lower back", None, {"back_trouble": "yes", "sensation": None}),
    ("I've had sciatica for years", None, {"back_trouble": "yes", "duration": "years"}),
    ("slipped disc a couple of years ago", None, {"back_trouble": "yes"}),
    ("no back problems at all", None, {"back_trouble": "no"}),
    ("my back is fine", None, {"back_trouble": "no"}),
    # lump
    ("there's a lump behind my knee", None, {"lump_behind_knee": "yes", "location": "behind"}),
    ("the back of my knee feels full and tight", None, {"lump_behind_knee": "yes"}),
    ("it looks a bit puffy behind the knee", None, {"lump_behind_knee": "yes"}),
    ("no swelling", None, {"lump_behind_knee": "no"}),
    ("I haven't noticed any lump", None, {"lump_behind_knee": "no"}),
    # rotation, tendon attachment, repetition
    ("it's worse when I twist my leg", None, {"rotation_worse": "yes"}),
    ("yes way worse when its turned", None, {"rotation_worse": "yes"}),
    ("it's sharper when my foot is twisted out", None, {"rotation_worse": "yes"}),
    ("I stretch with my foot turned out and it hurts", None, {"technique": "rotated", "rotation_worse": None}),
    ("turning my foot out makes it worse", None, {"rotation_worse": "yes", "technique": None}),
    ("tender where the tendon attaches just below the knee", None, {"insertion_tender": "yes"}),
    ("the cords at the back of my knee are sore to touch", None, {"insertion_tender": "yes"}),
    ("it's not tender to touch", None, {"insertion_tender": "no"}),
    ("it builds up the more I stretch", None, {"repetition_worse": "yes"}),
    ("worse after a few sets", None, {"repetition_worse": "yes"}),
    ("I stretch every day after running", None, {"repetition_worse": None}),
    # onset and duration
    ("it started last week", None, {"onset": "last week"}),
    ("began about two weeks ago", None, {"onset": "about two weeks ago"}),
    ("been like this for months now", None, {"duration": "months"}),
    ("for a couple of weeks", None, {"duration": "a couple of weeks"}),
    # someone else, hypothetical, questions
    ("my friend has burning behind her knee", None, {"sensation": None, "location": None}),
    ("my wife has a bad back", None, {"back_trouble": None}),
    ("what is a bakers cyst?", None, {"lump_behind_knee": None}),
    ("what if it swells?", None, {"lump_behind_knee": None}),
    ("does pointing your toes help with nerve pain?", None, {"toes_pointing_eases": None}),
    ("can a bakers cyst cause throbbing?", None, {"lump_behind_knee": None, "sensation": None}),
    ("is it normal that my knee burns? it started yesterday", None,
     {"sensation": "burning", "onset": "yesterday"}),
    ("if I point my toes it goes away", None, {"toes_pointing_eases": "yes"}),
    # short answers read against the pending question
    ("yes", "toes_pointing_eases", {"toes_pointing_eases": "yes"}),
    ("nope", "toes_pointing_eases", {"toes_pointing_eases": "no"}),
    ("a bit", "back_trouble", {"back_trouble": "yes"}),
    ("kinda", "repetition_worse", {"repetition_worse": "yes"}),
    ("maybe", "rotation_worse", {"rotation_worse": None}),
    ("not really", "lump_behind_knee", {"lump_behind_knee": "no"}),
    ("it helps a little", "toes_pointing_eases", {"toes_pointing_eases": "yes"}),
    ("same as before", "toes_pointing_eases", {"toes_pointing_eases": "no"}),
    ("the back", "location", {"location": "behind", "back_trouble": None}),
    ("at the front", "location", {"location": "front"}),
    ("burning", "sensation", {"sensation": "burning"}),
    ("dull", "sensation", {"sensation": "ache"}),
    ("straight", "technique", {"technique": "locked"}),
    ("don't know", "back_trouble", {"back_trouble": None}),
    ("skip", "toes_pointing_eases", {"toes_pointing_eases": None}),
    ("not sure", "lump_behind_knee", {"lump_behind_knee": None}),
    ("yes and I have sciatica too", "toes_pointing_eases",
     {"toes_pointing_eases": "yes", "back_trouble": "yes"}),
    ("yes", None, {}),
    ("the back", None, {"location": None}),
]


@pytest.fixture(scope="module")
def fx() -> FindingExtractor:
    return FindingExtractor.load()


@pytest.mark.parametrize(("text", "pending", "expected"), SENTENCES, ids=[s[0][:40] for s in SENTENCES])
def test_sentence(fx: FindingExtractor, text: str, pending: str | None,
                  expected: dict[str, str | None]) -> None:
    known = merge({}, fx.extract(text, pending))
    for slot, value in expected.items():
        assert known.get(slot) == value, (slot, known)
    if not expected:
        assert known == {}


def test_table_is_big_enough() -> None:
    assert len(SENTENCES) >= 60
    assert sum(1 for _, _, e in SENTENCES if None in e.values()) >= 8


def test_spans_point_into_the_original_text(fx: FindingExtractor) -> None:
    text = "Behnid my KNEE it’s BURNING"
    found = {f.slot: f for f in fx.extract(text)}
    s, e = found["location"].span
    assert text[s:e] == "Behnid my KNEE"
    s, e = found["sensation"].span
    assert text[s:e] == "BURNING"


def test_findings_are_frozen_and_negation_is_marked(fx: FindingExtractor) -> None:
    [f] = fx.extract("no burning")
    assert f == Finding("sensation", "burning", (3, 10), negated=True, multi=True)
    with pytest.raises(AttributeError):
        f.value = "ache"  # type: ignore[misc]


def test_later_statements_override_earlier_ones(fx: FindingExtractor) -> None:
    known = merge({}, fx.extract("burning behind my knee and no lump"))
    assert known == {"sensation": "burning", "location": "behind", "lump_behind_knee": "no"}
    known = merge(known, fx.extract("actually it has swollen up since"))
    assert known["lump_behind_knee"] == "yes"
    known = merge(known, fx.extract("sorry, it's more at the front of the knee"))
    assert known["location"] == "front"
    known = merge(known, fx.extract("and it throbs too"))
    assert values_of(known, "sensation") == ("burning", "throbbing")
    known = merge(known, fx.extract("it's not burning any more"))
    assert known["sensation"] == "throbbing"
    corrected = fx.merge({"technique": "locked"}, fx.extract("now I keep a slight bend"))
    assert corrected == {"technique": "good_form"}


def test_unknown_pending_slot_is_harmless(fx: FindingExtractor) -> None:
    assert fx.extract("yes", "no_such_slot") == []


@pytest.mark.parametrize(("data", "message"), [
    ({"slots": {"location": {"kind": "lots", "values": {"behind": ["x"]}}}}, "unknown kind 'lots'"),
    ({"slots": {"location": {"kind": "multi", "values": {"behind": ["(unclosed"]}}}},
     "location.values.behind[0]"),
    ({"slots": {"toes": {"kind": "yes_no", "values": {"maybe": ["x"]}}}}, "yes and no"),
    ({"slots": {"location": {"kind": "multi", "values": {"behind": ["x"]}, "pending": {"front": ["y"]}}}},
     "unknown value 'front'"),
    ({"slots": {"onset": {"kind": "free", "values": {"said": ["started"]}}}}, "(?P<v>"),
    ({"slots": {"location": {"kind": "multi", "values": {"behind": ["x"]}, "suppresses": ["nope"]}}},
     "unknown slot 'nope'"),
    ({"slots": {"location": {"kind": "multi", "values": {"behind": ["x"]}, "colour": 1}}}, "colour"),
    ({"drop_modifiers": ["sarcastic"], "slots": {"x": {"kind": "multi", "values": {"a": ["a"]}}}},
     "sarcastic"),
])
def test_bad_data_is_named(data: dict, message: str) -> None:
    with pytest.raises(RulesError) as err:
        FindingExtractor(data)
    assert message in str(err.value)
