"""The evidence table: cited links, scoring sanity, question choice, and simulated conversations."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from bot.errors import RulesError
from bot.symptoms.evidence import CAUSES, DEFAULT_PATH, EvidenceModel
from bot.symptoms.findings import FindingExtractor, merge

ARTICLE = Path(__file__).resolve().parent.parent / "corpus" / "000_292bc26db980c244.txt"


@pytest.fixture(scope="module")
def model() -> EvidenceModel:
    return EvidenceModel.load()


@pytest.fixture(scope="module")
def fx() -> FindingExtractor:
    return FindingExtractor.load()


def test_every_cite_occurs_verbatim_in_the_article(model: EvidenceModel) -> None:
    article = ARTICLE.read_text(encoding="utf-8")
    missing = [lk for lk in model.links if lk.cite not in article]
    missing += [q for q in model.questions.values() if q.cite not in article]
    assert not missing
    EvidenceModel.load(corpus_text=article)  # the same check, as load does it


def test_a_cite_not_in_the_article_is_named(model: EvidenceModel) -> None:
    with pytest.raises(RulesError, match=r"links\[0\].*not found verbatim"):
        model.check_cites("nothing of the article")


def test_causes_have_links_and_slots_match_the_findings(model: EvidenceModel, fx: FindingExtractor) -> None:
    assert {lk.cause for lk in model.links} == set(CAUSES)
    for slot, kind in model.kinds.items():
        assert fx.slots[slot].kind == kind
        assert set(model.values[slot]) == set(fx.slots[slot].values)


def test_nothing_known_means_no_causes(model: EvidenceModel) -> None:
    assert model.scores({}) == []
    assert not model.is_clear({})
    thigh = model.posterior({"location": "thigh"})["sciatic_nerve_tension"]
    ranked = model.scores({"onset": "last week", "location": "thigh+nowhere"})
    assert ranked == [("sciatic_nerve_tension", pytest.approx(thigh))]


def test_posteriors_are_probabilities(model: EvidenceModel) -> None:
    post = model.posterior({"location": "behind", "sensation": "burning", "lump_behind_knee": "no"})
    assert sum(post.values()) == pytest.approx(1.0)
    assert all(0 < p < 1 for p in post.values())


SCENARIOS = [
    ("burning behind my knee when I stretch, it eases when I point my toes and I have a bad lower back",
     "sciatic_nerve_tension"),
    ("it hurts under my kneecap at the front", "patellofemoral_pain"),
    ("a sharp pain on the inner side and something catches, worse when I twist my leg", "meniscus"),
    ("there's a lump behind my knee and it throbs, a dull ache", "popliteal_fossa"),
    ("I lock my knee and round my back when I stretch", "technique"),
    ("tender where the tendon attaches just below the knee, a pulling there that builds up the more I "
     "stretch",
     "hamstring_tendinopathy"),
]


@pytest.mark.parametrize(("text", "cause"), SCENARIOS, ids=[c for _, c in SCENARIOS])
def test_scenario_top_cause(model: EvidenceModel, fx: FindingExtractor, text: str, cause: str) -> None:
    known = merge({}, fx.extract(text))
    ranked = model.scores(known)
    assert ranked[0][0] == cause, (known, ranked)
    links = model.support(cause, known)
    assert links and all(lk.cause == cause and known[lk.slot].count(lk.value) for lk in links)


def test_support_lists_only_the_persons_findings(model: EvidenceModel) -> None:
    known = {"location": "behind", "sensation": "burning", "toes_pointing_eases": "yes", "back_trouble": "no"}
    said = {(lk.slot, lk.value) for lk in model.support("sciatic_nerve_tension", known)}
    assert said == {("location", "behind"), ("sensation", "burning"), ("toes_pointing_eases", "yes")}
    assert model.support("meniscus", known) == []


def test_first_question_is_where_or_what(model: EvidenceModel) -> None:
    assert model.next_slot({}, set()) in {"location", "sensation"}


def test_question_separates_the_leading_causes(model: EvidenceModel) -> None:
    # Behind the knee with an ache: the area behind the knee leads, tendons next; the lump or the tendon
    # attachment tells them apart, the toes or a twisted leg do not.
    known = {"location": "behind", "sensation": "ache"}
    leading = [c for c, _ in model.scores(known)[:2]]
    assert set(leading) == {"popliteal_fossa", "hamstring_tendinopathy"}
    slot = model.next_slot(known, set())
    assert slot in {"lump_behind_knee", "insertion_tender"}
    gains = {s: model.expected_gain(s, known) for s in model.questions if s not in known}
    assert gains[slot] == max(gains.values())
    assert gains["toes_pointing_eases"] < gains[slot] / 2
    assert gains["rotation_worse"] < gains[slot] / 2
    assert set(leading) & set(model.separates(slot))


def test_asked_slots_are_not_asked_again(model: EvidenceModel) -> None:
    asked = set(model.questions) - {"back_trouble"}
    assert model.next_slot({}, asked) == "back_trouble"
    assert model.next_slot({}, set(model.questions)) is None


def test_no_question_once_a_cause_is_clear(model: EvidenceModel) -> None:
    known = {"location": "front", "sensation": "ache"}
    assert model.is_clear(known)
    assert model.next_slot(known, set()) is None


def test_question_texts_and_why(model: EvidenceModel) -> None:
    assert model.question("location").startswith("Where exactly do you feel it")
    assert "pointing" in model.question("toes_pointing_eases")
    assert model.why_cites("toes_pointing_eases") == [
        "pointing the toes down can relieve nerve tension without significantly changing muscle length"]
    assert model.why("toes_pointing_eases")
    assert model.separates("toes_pointing_eases") == ["sciatic_nerve_tension"]


# A prototypical case per cause, and how a person would answer each question.
PROTOTYPES = {
    "technique": {"location": "behind", "sensation": "pulling", "technique": "locked+rounded_back"},
    "hamstring_tendinopathy": {"location": "behind", "sensation": "pulling", "insertion_tender": "yes",
                               "repetition_worse": "yes"},
    "sciatic_nerve_tension": {"location": "behind", "sensation": "burning", "toes_pointing_eases": "yes",
                              "back_trouble": "yes"},
    "patellofemoral_pain": {"location": "front", "sensation": "ache"},
    "meniscus": {"location": "inner_side", "sensation": "sharp", "technique": "rotated",
                 "rotation_worse": "yes"},
    "popliteal_fossa": {"location": "behind", "sensation": "throbbing", "lump_behind_knee": "yes"},
}
DEFAULTS = {"technique": "good_form", "toes_pointing_eases": "no", "back_trouble": "no",
            "lump_behind_knee": "no", "rotation_worse": "no", "insertion_tender": "no",
            "repetition_worse": "no"}
SAID = {
    ("location", "behind"): "right behind the knee",
    ("location", "front"): "at the front, under the kneecap",
    ("location", "inner_side"): "on the inner side",
    ("sensation", "pulling"): "a pulling feeling",
    ("sensation", "burning"): "kind of burning",
    ("sensation", "sharp"): "sharp",
    ("sensation", "ache"): "a dull ache",
    ("sensation", "throbbing"): "it throbs",
    ("technique", "locked+rounded_back"): "I lock my knee and round my back",
    ("technique", "rotated"): "my foot is turned out",
    ("technique", "good_form"): "I keep a slight bend and hinge at the hips",
    ("toes_pointing_eases", "yes"): "yes it eases off",
    ("toes_pointing_eases", "no"): "no difference",
    ("back_trouble", "yes"): "yeah I have sciatica",
    ("back_trouble", "no"): "no",
    ("lump_behind_knee", "yes"): "there's a lump there",
    ("lump_behind_knee", "no"): "nope",
    ("rotation_worse", "yes"): "yes, worse when I twist",
    ("rotation_worse", "no"): "not really",
    ("insertion_tender", "yes"): "yes it's tender there",
    ("insertion_tender", "no"): "no",
    ("repetition_worse", "yes"): "yes it builds up the more I stretch",
    ("repetition_worse", "no"): "no, same every time",
}


def _converse(model: EvidenceModel, fx: FindingExtractor, answer) -> tuple[str | None, int]:
    known: dict[str, str] = {}
    asked: list[str] = []
    while len(asked) < 8 and (slot := model.next_slot(known, asked)) is not None:
        asked.append(slot)
        known = merge(known, fx.extract(answer(slot), slot))
    ranked = model.scores(known)
    return (ranked[0][0] if ranked else None), len(asked)


def test_simulated_conversations_reach_the_cause_within_four_questions(model: EvidenceModel,
                                                                       fx: FindingExtractor) -> None:
    asked = []
    for cause, case in PROTOTYPES.items():
        truth = {**DEFAULTS, **case}

        def answer(slot: str, truth: dict[str, str] = truth) -> str:
            text = SAID[(slot, truth[slot])]
            assert merge({}, fx.extract(text, slot)).get(slot) == truth[slot], (slot, text)
            return text

        top, n = _converse(model, fx, answer)
        assert top == cause
        asked.append(n)
    assert sum(asked) / len(asked) <= 4
    assert max(asked) <= 5


def test_answers_drawn_from_the_table_mostly_reach_the_cause(model: EvidenceModel) -> None:
    # Answers sampled from each cause's own likelihoods: noisy cases, the model's accuracy on its own terms.
    rng = random.Random(7)
    hits = questions = runs = 0
    for cause in CAUSES:
        for _ in range(100):
            known: dict[str, str] = {}
            asked: list[str] = []
            while len(asked) < 6 and (slot := model.next_slot(known, asked)) is not None:
                dist = model._like[slot][cause]
                known[slot] = rng.choices(list(dist), weights=list(dist.values()))[0]
                asked.append(slot)
            ranked = model.scores(known)
            hits += bool(ranked) and ranked[0][0] == cause
            questions += len(asked)
            runs += 1
    assert hits / runs >= 0.68
    assert questions / runs <= 4


def _table() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["links"][0].update(cause="knee_gremlins"), "unknown cause 'knee_gremlins'"),
    (lambda d: d["links"][0].update(slot="mood"), "unknown slot 'mood'"),
    (lambda d: d["links"][0].update(value="sideways"), "unknown value 'sideways'"),
    (lambda d: d["links"][0].update(weight=3), "links[0].weight"),
    (lambda d: d["links"][0].pop("cite"), "links[0]"),
    (lambda d: d["links"].append(dict(d["links"][0])), "a second link"),
    (lambda d: d["slots"]["location"].update(kind="multi"), "declared once, in findings.yaml"),
    (lambda d: d["slots"]["location"].update(values=["behind"]), "declared once, in findings.yaml"),
    (lambda d: d["slots"].update(mood=dict(d["slots"]["location"])), "unknown slot 'mood'"),
    (lambda d: d["slots"].update(onset=dict(d["slots"]["location"])), "unknown slot 'onset'"),
    (lambda d: d["slots"]["location"].pop("question"), "slots.location.question"),
    (lambda d: d["stop"].update(patience=3), "patience"),
])
def test_bad_tables_are_named(change, message: str) -> None:
    data = _table()
    change(data)
    with pytest.raises(RulesError) as err:
        EvidenceModel(data)
    assert message in str(err.value)
