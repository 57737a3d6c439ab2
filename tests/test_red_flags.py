"""Red-flag rules: sentence tables, decisions, confirmation, loading and validation."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.answers import Answer
from bot.config import PROJECT_ROOT
from bot.errors import RulesError
from bot.ids import RedFlag, Triage
from bot.safety import ruletext
from bot.safety.rules import DEFAULT_PATH, Decision, RuleSet
from bot.safety.timeline import Timeline

TABLES = Path(__file__).parent / "red_flags"
SPEC_TRIAGE = {
    RedFlag.SUDDEN_SEVERE_PAIN: Triage.SEEK_CARE, RedFlag.CANNOT_BEAR_WEIGHT: Triage.SEEK_CARE,
    RedFlag.KNEE_INSTABILITY: Triage.SEEK_CARE, RedFlag.RAPID_SWELLING: Triage.SEEK_CARE,
    RedFlag.LOCKING_OR_CLICKING: Triage.SEEK_CARE, RedFlag.PERSISTENT_PAIN: Triage.BOOK_ASSESSMENT,
    RedFlag.LEG_NUMBNESS_OR_WEAKNESS: Triage.SEEK_CARE, RedFlag.CALF_CLOT_SIGNS: Triage.SEEK_CARE,
    RedFlag.HOT_SWOLLEN_KNEE_FEVER: Triage.SEEK_CARE, RedFlag.CAUDA_EQUINA_SIGNS: Triage.EMERGENCY,
    RedFlag.CHEST_PAIN_OR_BREATHLESS: Triage.EMERGENCY,
}
GUIDANCE_SECTION = "Recognizing When to Seek Medical Guidance"


def _firing() -> list[tuple[RedFlag, str, str]]:
    rows = []
    for flag in RedFlag:
        table = yaml.safe_load((TABLES / f"{flag}.yaml").read_text(encoding="utf-8"))
        assert table["rule"] == flag
        rows += [(flag, kind, s) for kind in ("record", "confirm") for s in table.get(kind) or []]
    return rows


def _silent() -> list[tuple[str, str]]:
    table = yaml.safe_load((TABLES / "silent.yaml").read_text(encoding="utf-8"))
    return [(category, s) for category, sentences in table.items() for s in sentences]


FIRING = _firing()
SILENT = _silent()


def _id(text: str) -> str:
    return text[:48].replace(" ", "_")


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load()


def _decision(rules: RuleSet, text: str, flag: RedFlag) -> Decision | None:
    return next((d.decision for d in rules.scan(text).detections if d.rule is flag), None)


# --- sentence tables -----------------------------------------------------------------------------

@pytest.mark.parametrize(("flag", "kind", "text"), FIRING, ids=[f"{f}-{k}-{_id(s)}" for f, k, s in FIRING])
def test_firing_sentence(rules, flag, kind, text):
    decision = _decision(rules, text, flag)
    if kind == "record":
        assert decision is Decision.RECORD, f"{text!r} should record {flag}, got {decision}"
    else:
        assert decision in (Decision.RECORD, Decision.CONFIRM), f"{text!r} should at least ask about {flag}"


@pytest.mark.parametrize(("category", "text"), SILENT, ids=[f"{c}-{_id(s)}" for c, s in SILENT])
def test_silent_sentence_records_nothing(rules, category, text):
    recorded = rules.scan(text).recorded
    assert recorded == [], f"{category}: {text!r} recorded {recorded}"


def test_table_sizes():
    for flag in RedFlag:
        assert sum(1 for f, _, _ in FIRING if f is flag) >= 20, flag
    assert len(SILENT) >= 150


def test_bars(rules):
    """Recall 100% on the firing tables; on the silent table at most 5% recorded and 25% asked."""
    fired = [_decision(rules, s, f) is not None for f, _, s in FIRING]
    assert sum(fired) / len(fired) == 1.0
    results = [rules.scan(s) for _, s in SILENT]
    recorded = sum(1 for r in results if r.recorded) / len(results)
    asked = sum(1 for r in results if not r.recorded and r.to_confirm) / len(results)
    assert recorded <= 0.05, f"silent set recorded {recorded:.1%}"
    assert asked <= 0.25, f"silent set asked {asked:.1%}"


# --- decisions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "No pain and then my knee gave way",
    "It's not just sore, my knee gave way",
    "no swelling my knee buckled",
    "no pain but my knee gave way",
    "I didn't stretch properly my knee gave way",
])
def test_unrelated_negation_does_not_spread(rules, text):
    assert _decision(rules, text, RedFlag.KNEE_INSTABILITY) is Decision.RECORD


@pytest.mark.parametrize(("text", "flag"), [
    ("can't put weight on it", RedFlag.CANNOT_BEAR_WEIGHT),
    ("my knee won't straighten", RedFlag.LOCKING_OR_CLICKING),
    ("it hasn't improved after a week of changing how I stretch", RedFlag.PERSISTENT_PAIN),
    ("the knee doesn't feel stable", RedFlag.KNEE_INSTABILITY),
])
def test_finding_keeps_its_own_negation(rules, text, flag):
    assert _decision(rules, text, flag) is Decision.RECORD


@pytest.mark.parametrize(("text", "flag"), [
    ("both legs are not numb", RedFlag.CAUDA_EQUINA_SIGNS),
    ("both legs are not numb", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("both of my legs aren't numb or weak, only the knee hurts", RedFlag.CAUDA_EQUINA_SIGNS),
    ("my calf is not swollen or red, just sore behind the knee", RedFlag.CALF_CLOT_SIGNS),
    ("both legs are fine, no tingling, no weakness, only the right knee aches", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
])
def test_a_denial_inside_the_finding_is_silent(rules, text, flag):
    """The "not" sits between the body part and its state, inside the cue's match."""
    assert _decision(rules, text, flag) is None


@pytest.mark.parametrize(("text", "flag"), [
    ("Patient reports a warm swollen calf after a long flight; should she stretch?", RedFlag.CALF_CLOT_SIGNS),
    ("one of our calves on the farm has a swollen hot leg, the vet is coming", RedFlag.CALF_CLOT_SIGNS),
])
def test_a_patient_or_an_animal_is_someone_else(rules, text, flag):
    assert _decision(rules, text, flag) is None


@pytest.mark.parametrize(("text", "flag"), [
    ("both legs are not working properly since the stretch", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("I am not able to put weight on it", RedFlag.CANNOT_BEAR_WEIGHT),
    ("both legs are numb", RedFlag.CAUDA_EQUINA_SIGNS),
])
def test_a_verbs_own_negation_inside_the_finding_still_counts(rules, text, flag):
    assert _decision(rules, text, flag) is Decision.RECORD


@pytest.mark.parametrize(("text", "flag"), [
    ("cant stand on it since the stretch, knee went snap", RedFlag.SUDDEN_SEVERE_PAIN),
    ("I think my knee gave way", RedFlag.KNEE_INSTABILITY),
    ("sort of wobbly", RedFlag.KNEE_INSTABILITY),
    ("maybe a bit wobbly", RedFlag.KNEE_INSTABILITY),
    ("a bit puffy", RedFlag.RAPID_SWELLING),
    ("I don't think it's swollen", RedFlag.RAPID_SWELLING),
    ("my knee gave way last year", RedFlag.KNEE_INSTABILITY),
    # a condition that is the person's own going on ("if I still ...", "keep stretching if ...")
    ("how long should I wait before seeing someone if I still can't walk on the leg?", RedFlag.CANNOT_BEAR_WEIGHT),
    ("should I keep stretching if my knee locks and I have to force it straight?", RedFlag.LOCKING_OR_CLICKING),
    ("should I carry on stretching if I get chest pain every time I bend forward?", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    # told painless two sentences on, and pain told nowhere: the click is asked about, not recorded
    ("Knee clicks every time I come out of a forward fold. I started yoga in January. It does not hurt at all.",
     RedFlag.LOCKING_OR_CLICKING),
])
def test_loose_context_or_vague_description_asks(rules, text, flag):
    assert _decision(rules, text, flag) is Decision.CONFIRM


@pytest.mark.parametrize(("text", "flag"), [
    ("knee gave way skiing in 2011, did the rehab, no probs since, just tight as a drum now",
     RedFlag.KNEE_INSTABILITY),
    ("Ages ago I had cellulitis in my calf, red, hot, swollen. Antibiotics sorted it. Not a peep since.",
     RedFlag.CALF_CLOT_SIGNS),
    ("I had a massive knee swelling after an injury as a teenager. It's been 20 years. Nothing since.",
     RedFlag.RAPID_SWELLING),
    ("My knee went pop in the stretch, agony, I couldn't carry on. This was in 2009 and it healed fine.",
     RedFlag.SUDDEN_SEVERE_PAIN),
    # a story its paragraph opens with the year, the sign a few sentences on, over by its end
    ("2011. Netball semi-final. Landed badly and the knee folded sideways under me. Carried off, knee like a "
     "melon by the evening. Surgery in the spring and I was playing again the next season.\n\nNow I just want "
     "to loosen my hamstrings.", RedFlag.KNEE_INSTABILITY),
    ("Summer of 2008, I was 19. Went over on the knee at a festival, a crunch I can still hear, and it gave way "
     "every few steps for days. Physio sorted it and it's been rock solid for years.", RedFlag.KNEE_INSTABILITY),
])
def test_history_told_as_over_is_silent(rules, text, flag):
    assert _decision(rules, text, flag) is None


@pytest.mark.parametrize("text", [
    "My knee gave way in 2015 and it hasn't been fine since",
    "Since my op in 2016 it's been rock solid, but this week my knee gave way twice",
    "My knee gave way in 2015, then it was fine, and today it gave way again",
    # a story opened by a year that reaches the present before the sign
    "2011. Netball semi-final, torn ligament, fine since. This week in the stretch my knee gave way twice.",
    "Summer of 2008 I hurt it dancing. It is fine most days. But my knee keeps giving way on the stairs now.",
])
def test_history_that_is_not_over_still_counts(rules, text):
    assert _decision(rules, text, RedFlag.KNEE_INSTABILITY) is not None


# a month or a holiday dates a history too; an episode that has come back since is now
@pytest.mark.parametrize(("text", "flag", "decision"), [
    ("Back in January I had a swollen knee after a fall. Totally gone now, this is just a stretch ache.",
     RedFlag.RAPID_SWELLING, None),
    ("I had a chest infection at Christmas that left me breathless for a couple of weeks. Fully better now.",
     RedFlag.CHEST_PAIN_OR_BREATHLESS, None),
    ("My left leg was numb for 2 weeks back in March, it went away. Now it's come back since Thursday, shin and foot.",
     RedFlag.LEG_NUMBNESS_OR_WEAKNESS, Decision.RECORD),
    ("My knee gave way years ago. It's come back again this week.", RedFlag.KNEE_INSTABILITY, Decision.RECORD),
])
def test_dated_by_a_month_and_come_back_since(rules, text, flag, decision):
    assert _decision(rules, text, flag) == decision


def test_dictated_punctuation_reads_as_the_mark(rules):
    """Voice-to-text writes "full stop" and "comma" as words: they end a sentence or a clause as the marks do, and
    every offset of the message stays where it was."""
    said = "the stretch band snapped and gave way full stop it flicked my arm full stop knee is fine"
    assert len(ruletext.dictated(said)) == len(said)
    assert ruletext.dictated("i fell comma it hurts full stop") == "i fell,      it hurts.         "
    assert _decision(rules, said, RedFlag.KNEE_INSTABILITY) is None
    # the full stop ends the knee's sentence, so the calf's swelling and heat are not the knee's
    calf = "the knee is fine full stop my calf is swollen and hot"
    assert _decision(rules, calf, RedFlag.CALF_CLOT_SIGNS) == Decision.RECORD
    assert _decision(rules, calf, RedFlag.HOT_SWOLLEN_KNEE_FEVER) is None
    told = "out of nowhere my knee just exploded with pain comma i fell out of the stretch full stop"
    detection = next(d for d in rules.scan(told).detections if d.rule == RedFlag.SUDDEN_SEVERE_PAIN)
    assert detection.decision == Decision.RECORD and told[slice(*detection.span)] == detection.matched


# Told as not the sign at all: exertion, idioms, transient numbness, an animal, a question for later,
# history that is over. Each of these once drew the flag's question.
@pytest.mark.parametrize("text", [
    'out of breath at the end of my 10k, which is normal for me',
    'huffing and puffing after my hill sprints, fine a minute later',
    'my singing teacher says i run out of breath on the long notes',
    'i almost wet myself laughing at my brother trying to touch his toes',
    'both my legs absolutely dead after leg day lol',
    "i'm on pins and needles waiting for my scan results",
    'football fever has me stretching in front of the match every night',
    'my legs went to jelly when i opened my exam results',
    'my feet were numb from the cold on the walk but they warmed up fine indoors',
    'i feel a tingle in my calf in the stretch but as soon as i let go it stops',
    "it tingles during the stretch and it's gone within a few seconds after stopping",
    'my knee looks like a potato but it always has',
    'for future reference, would swelling that comes up within an hour count?',
    "imagine i'm halfway through the stretch and get a sudden stabbing pain behind the knee. stop or breathe on?",
    "would a sudden sharp pain mean a tear? i haven't had one",
    'my knee used to click and hurt when i was a teenager but i grew out of it',
    "my knee used to swell and go hot with gout but i haven't had one in years",
    'our jersey calf has a swollen leg and the vet is coming',
    "i get a zingy tingle down my calf in the hamstring stretch. the second i let the leg down it's gone",
    'my toes tingle when i hold the stretch and it stops instantly when i bend the knee',
    'my overdraft is swelling and my hamstrings are tight',
    "the front door won't shut in the cold, the wood swells up in the frame lol",
    "my knee swelled up slowly over a week, it's not hot",
    'my knee used to lock before my meniscus repair in 2013, since the op nothing',
    'my knee gave way a lot as a teenager, had an acl rebuild at 19, solid as a rock since',
    "my old man has a sore knee. he reckons he's backed off for ten days with the gentle version and it's not a "
    "skerrick better",
    "it's been eight days on the softer version and it's about halfway better",
    'nine days of the micro-bend stretch and the pain went from 7 to 3 out of 10',
    "what happens if the pain doesn't improve after a week of the gentler stretches?",
    "a week on the gentle version and i'd say it's 50% better",
    'puffed out after running for the bus, got my breath back in a minute',
    'a bit out of puff after my run, which is normal, settles in a minute',
    'both calves a bit achy after my first parkrun',
    "hot, swollen and red, that's my face after the sauna",
    'in my twenties i had sciatica with a numb foot; it cleared completely within months',
    'ten years ago i had a hot swollen knee with gout. on allopurinol since and no flares',
    "twenty years ago i couldn't bear weight for three months after a fracture, and i've been back to hiking for years",
    'absolutely puffed after the footy final, back to normal in five minutes',
    'can you tell me what a bakers cyst is and whether it makes the back of the knee swell up',
    "i had a heart attack in 2016, did cardiac rehab, and i've had no chest pain or breathlessness since",
    'nearly gave myself a heart attack when my cat jumped on my back mid stretch',
    'the pins and needles in my sole are gone the second i take my foot off the step',
    'i keep holding my breath in forward folds like a numbskull',
    "what counts as pain that isn't improving? i keep seeing advice that pain which doesn't improve after a week of "
    "modified stretching should be assessed",
    "my mother-in-law's pain hasn't improved after two weeks of gentler stretching",
    'day 3 of gentle stretching: still 5/10. day 7: 3/10. day 10: 1/10.',
    "day 9 of the softer stretches and it's improving, maybe 3/10 now from 6/10 at the start",
    "Knee looked hot and swollen last night because I'd been in a very hot bath for an hour!",
    "whats foot drop",
    "Would it be bad if the back of my knee still hurt after a week of gentle stretching? I'm only on day 3 and "
    "it's already easing.",
    "Title: Mum (88) knee swollen and hot after physio stretches",
    "feeling numb about the breakup tbh, but the leg's ok, just tight",
    "I went numb to the pain of losing after the third defeat in a row lol. Actual question is about my stretch",
    "I'm absolutely cream crackered after the beep test, out of breath and knackered",
    "Decades ago I had gout in my knee, hot and swollen, but I've been on allopurinol since and not had a flare in "
    "20 years.",
    "Pull behind the knee since 2 March, it's 16 March now. I haven't changed how I stretch yet. "
    "Should I try the strap and the bent-knee version first?",
])
def test_told_as_not_the_sign_asks_nothing(rules, text):
    result = rules.scan(text)
    assert result.recorded == [] and result.to_confirm == [], (result.recorded, result.to_confirm)


@pytest.mark.parametrize(("text", "decision"), [
    ("my foot goes numb in the stretch and it isn't gone instantly", Decision.CONFIRM),  # the passing tingle denied
    ("the pins and needles in the stretch are gone instantly. my heel is numb all day though", Decision.RECORD),
])
def test_a_passing_tingle_does_not_excuse_lasting_numbness(rules, text, decision):
    assert _decision(rules, text, RedFlag.LEG_NUMBNESS_OR_WEAKNESS) is decision


def test_detection_fields(rules):
    text = "Yesterday my knee just buckled on the stairs"
    [d] = rules.scan(text).detections
    assert d.rule is RedFlag.KNEE_INSTABILITY and d.decision is Decision.RECORD
    assert text[d.span[0]:d.span[1]] == d.matched == "buckled"
    assert d.modifiers == frozenset()
    [d] = rules.scan("I think my knee gave way").detections
    assert d.modifiers == {"uncertain"}


def test_one_detection_per_rule_record_wins(rules):
    result = rules.scan("my knee felt a bit odd and then it gave way completely")
    assert [(d.rule, d.decision) for d in result.detections] == [(RedFlag.KNEE_INSTABILITY, Decision.RECORD)]


def test_several_rules_in_one_message(rules):
    result = rules.scan("my knee gave way, it ballooned and now I can't put weight on it")
    assert set(result.recorded) == {RedFlag.KNEE_INSTABILITY, RedFlag.RAPID_SWELLING, RedFlag.CANNOT_BEAR_WEIGHT}


# --- confirmation ------------------------------------------------------------------------------

@pytest.mark.parametrize("reply", ["yes", "a bit", "not sure", "I think so", "maybe", "kind of", "I don't know"])
def test_doubtful_answer_to_pending_question_records(rules, reply):
    result = rules.scan(reply, pending=RedFlag.KNEE_INSTABILITY)
    assert result.recorded == [RedFlag.KNEE_INSTABILITY]
    assert rules.read_confirmation(reply).counts_as_yes


@pytest.mark.parametrize("reply", ["no", "nope", "not at all", "no it hasn't given way"])
def test_no_to_pending_question_records_nothing(rules, reply):
    assert rules.scan(reply, pending=RedFlag.KNEE_INSTABILITY).detections == []
    assert rules.read_confirmation(reply) is Answer.NO


def test_pending_answer_still_scans_for_other_flags(rules):
    result = rules.scan("not sure, but I can't put weight on it", pending=RedFlag.RAPID_SWELLING)
    assert set(result.recorded) == {RedFlag.RAPID_SWELLING, RedFlag.CANNOT_BEAR_WEIGHT}
    result = rules.scan("no, but my chest feels tight", pending=RedFlag.RAPID_SWELLING)
    assert result.recorded == [RedFlag.CHEST_PAIN_OR_BREATHLESS]


def test_bare_yes_without_pending_question_records_nothing(rules):
    assert rules.scan("yes").detections == []


# --- persistent pain through scan ---------------------------------------------------------------

def test_persistent_pain_across_messages(rules):
    timeline = Timeline()
    for text in ["I've been doing the bent-knee version", "it's been two weeks"]:
        result = rules.scan(text, timeline=timeline)
        assert RedFlag.PERSISTENT_PAIN not in result.recorded
        timeline = rules.timeline_from(result.timeline.to_dict())
    result = rules.scan("no better", timeline=timeline)
    assert result.recorded == [RedFlag.PERSISTENT_PAIN]
    again = rules.scan("still no better", timeline=result.timeline)
    assert again.detections == [], "an already persistent timeline is not re-detected"


# --- the rule set as data ------------------------------------------------------------------------

def test_every_rule_matches_the_spec(rules):
    assert {r.id for r in rules.rules} == set(RedFlag)
    for rule in rules.rules:
        assert rule.triage is SPEC_TRIAGE[rule.id]
        assert rule.question.startswith("Just to check:") and rule.question.endswith("?")
        assert rule.why.endswith(".") and rule.why.count(". ") == 0, "one plain sentence"


def test_cites_are_verbatim_in_their_sources(rules):
    article = (PROJECT_ROOT / "corpus" / "000_292bc26db980c244.txt").read_text(encoding="utf-8")
    section = article[article.index(GUIDANCE_SECTION):]
    for rule in rules.rules:
        source = (PROJECT_ROOT / "corpus" / rule.source).read_text(encoding="utf-8")
        assert rule.cite in source, rule.id
        if rule.source.startswith("000_"):
            assert rule.cite in section, f"{rule.id} must cite the '{GUIDANCE_SECTION}' section"


def test_safety_document_names_its_sources():
    doc = (PROJECT_ROOT / "corpus" / "010_safety_general.md").read_text(encoding="utf-8")
    assert "## Sources" in doc and doc.count("https://www.nhs.uk/") >= 4
    assert "diagnosis" not in doc.lower()


def test_version_names_yaml_version_and_content_hash(rules, tmp_path):
    declared = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))["version"]
    assert rules.spec_version == declared and rules.version.startswith(f"{declared}+")
    changed = tmp_path / "red_flags.yaml"
    changed.write_text(DEFAULT_PATH.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert RuleSet.load(changed).version != rules.version


def _broken(tmp_path, old: str, new: str) -> Path:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "red_flags.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


BROKEN_FILES = [
    pytest.param("  knee_instability:", "  knee_instabilty:",
                 r"unknown id 'knee_instabilty'; must be one of .*knee_instability", id="unknown-id"),
    pytest.param("    triage: emergency\n", "    triage: emergency\n    urgency: high\n",
                 r"rules\.cauda_equina_signs\.urgency", id="unknown-field"),
    pytest.param("    triage: book_assessment", "    triage: soon", r"persistent_pain\.triage.*self_care",
                 id="bad-triage-lists-levels"),
    pytest.param(r"re: '\b(?P<f>buckl", r"re: '\b(?P<f>(buckl", r"rules\.knee_instability\.cues\[4\]",
                 id="bad-regex-names-the-cue"),
    pytest.param("<<swell>>", "<<swel>>", r"unknown definition <<swel>>", id="unknown-definition"),
    pytest.param("    triage: emergency\n", "    triage: emergency\n    triage: emergency\n",
                 r"red_flags\.yaml.*'triage' given twice", id="a-key-given-twice-is-refused-not-overwritten"),
    pytest.param("silent_if: ['<<after_heat>>', '", "silent_if: ['<<after_heat>>', '(",
                 r"rules\.rapid_swelling\.silent_if\[1\]: bad pattern", id="bad-regex-in-a-list-names-the-entry"),
]


@pytest.mark.parametrize(("old", "new", "message"), BROKEN_FILES)
def test_a_broken_rule_file_names_the_bad_entry(tmp_path, old, new, message):
    with pytest.raises(RulesError, match=message):
        RuleSet.load(_broken(tmp_path, old, new))


def test_missing_rule_is_named(tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    start = text.index("  chest_pain_or_breathless:")
    end = text.index("\n# persistent_pain is told")
    path = tmp_path / "red_flags.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(RulesError, match="missing chest_pain_or_breathless"):
        RuleSet.load(path)


def test_trying_the_toe_test_is_not_a_week_of_modified_stretching():
    result = RuleSet.load().scan("pointing my toes makes no difference")
    assert result.detections == []


@pytest.mark.parametrize(("text", "silent"), [
    ("my knees literally gave out laughing at my kid trying to copy my stretches", True),
    ("I laughed so hard at the best man's speech that my knees buckled", True),
    ("my knee went from under me in the kitchen, not from laughing, just went", False),
    ("I was laughing so hard my knee gave way and now it hurts to walk", False),
])
def test_laughing_as_the_cause_is_a_figure_of_speech(rules, text, silent):
    assert (_decision(rules, text, RedFlag.KNEE_INSTABILITY) is None) is silent


@pytest.mark.parametrize(("text", "flag"), [
    # the signs listed on the calf belong to the calf, not the knee
    ("My calf is swollen, red and warm and it's sore when I press it.", RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    # a list of signs denied at its end
    ("swelling, heat, fever: none of those. it just pulls behind the knee", RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    # a whole question about what might happen
    ("what if I stretch and afterwards I can't put weight on it? is that A&E or GP?", RedFlag.CANNOT_BEAR_WEIGHT),
    # a condition asked about after a lead-in and a colon
    ("Thinking ahead: if I ever felt like I had the flu with a hot knee, is that a doctor job?",
     RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    ("Before I start: if I got a sharp pain that stopped me mid-stretch, what then?", RedFlag.SUDDEN_SEVERE_PAIN),
    # someone the person cares for
    ("The lady I care for has a hot, swollen knee and a temperature.", RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    # a checklist answered no at once
    ("Gave way? No. It's just stiff.", RedFlag.KNEE_INSTABILITY),
    # a click told as painless in the short sentence after it, or "no pain at all"
    ("Whenever I do the stretch a little click happens behind my kneecap. Doesn't hurt. Should I stop?",
     RedFlag.LOCKING_OR_CLICKING),
    ("knee keeps clicking when i stretch, no pain at all, just sounds like bubble wrap", RedFlag.LOCKING_OR_CLICKING),
    # heat and swelling told after the calf was named belong to the calf's flag, not the knee's
    ("calf is swollen, red and hot and so painful", RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    ("Knee's settled now, it's the calf I'm worried about: swollen, warm to touch and a bit red.",
     RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    # stopping for breath is not stopping for pain
    ("knee pain's mild, but I had to stop halfway up the stairs because I was so out of breath",
     RedFlag.SUDDEN_SEVERE_PAIN),
    # asking why the guidance names a sign
    ("Why does the article say to watch for swelling that comes on quickly?", RedFlag.RAPID_SWELLING),
    # someone else's words, quoted
    ("My neighbour rang me and said, word for word: 'I can't put any weight on my leg since yoga.'",
     RedFlag.CANNOT_BEAR_WEIGHT),
    # a question about knees in general, alone or said not to be the person's own
    ("Can a swollen calf come from hamstring stretching?", RedFlag.CALF_CLOT_SIGNS),
    ("Does chest pain ever come from stretching? Just curious, I don't have any.", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("why would a knee lock halfway through a stretch? just reading up, no problems myself",
     RedFlag.LOCKING_OR_CLICKING),
    # a click told as "not a twinge of pain"
    ("my knee clicks like a ratchet when I straighten it, but not a twinge of pain", RedFlag.LOCKING_OR_CLICKING),
    # history dated by a season, over; a calf that is an animal
    ("Three winters ago my knee gave way a lot, fully recovered since.", RedFlag.KNEE_INSTABILITY),
    ("our calf on the farm has a swollen, hot leg, the vet is coming", RedFlag.CALF_CLOT_SIGNS),
])
def test_not_this_persons_sign_now(rules, text, flag):
    assert _decision(rules, text, flag) is None


@pytest.mark.parametrize(("text", "flag"), [
    ("My calf is swollen, red and warm and it's sore when I press it.", RedFlag.CALF_CLOT_SIGNS),
    # swelling told with how fast, in words no slow swelling is told in
    ("u can literally see it swelling, bk of knee was fine an hr ago", RedFlag.RAPID_SWELLING),
    ("9:00 finished stretch, knee normal. 9:30 a bit puffy. 10:00 can't see the kneecap.", RedFlag.RAPID_SWELLING),
    ("my jeans would not go past my knee after class, they went on fine before class", RedFlag.RAPID_SWELLING),
    # "nearly fell" and "maybe within half an hour" are not hedges on the sign
    ("knee keeps giving way today, nearly fell on the stairs twice", RedFlag.KNEE_INSTABILITY),
    ("the knee swelled up really quickly, maybe within half an hour", RedFlag.RAPID_SWELLING),
    ("Probably me being dramatic but my knee catches and it's a stab of pain each time", RedFlag.LOCKING_OR_CLICKING),
    ("I feel like I'm breathing through a straw just sitting on the sofa", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("Went to pivot in the kitchen and the knee slid out and back in, felt sick.", RedFlag.KNEE_INSTABILITY),
    ("the pain came out of nowhere in the stretch, 9 out of 10, had to let go of the strap",
     RedFlag.SUDDEN_SEVERE_PAIN),
    ("the lower leg on the side I've been stretching is puffy and red below the knee", RedFlag.CALF_CLOT_SIGNS),
    # a report told as a worry about oneself
    ("Should I be worried that I can't tell when I need to pee anymore?", RedFlag.CAUDA_EQUINA_SIGNS),
    # a condition the person then says is theirs
    ("If I've still got pins and needles in my leg the day after stretching, do I need it looked at? Because "
     "that's where I'm at.", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("what if my knee gives way when I walk? because it does.", RedFlag.KNEE_INSTABILITY),
    ("is it normal for a calf to be red and warm after stretching? mine's been like that for two days",
     RedFlag.CALF_CLOT_SIGNS),
    ("is a sudden tearing pain behind the knee normal? it happened to me tonight", RedFlag.SUDDEN_SEVERE_PAIN),
    ("the knee catches every time and it doesn't half hurt", RedFlag.LOCKING_OR_CLICKING),
    ("does a fever matter if my knee is swollen? I'm at 38.1 and the knee's puffy", RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    ("should a calf be hot and swollen after hamstring stretching? Mine is, and it's tender.", RedFlag.CALF_CLOT_SIGNS),
    # a fever has no place: it stays the knee's flag after the calf is named
    ("my calf is sore and I've got a fever since last night", RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    # the knee named again after the calf
    ("my calf was tight last week, now my knee is hot and swollen", RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    ("calf was tight last week, now the knwe is swollen and hot", RedFlag.HOT_SWOLLEN_KNEE_FEVER),  # as typed
    # a thing denied in a run-on is not what the finding is about ("no chest pain" beside a stop for pain)
    ("on a scale of one to ten it was a 9 and came out of nowhere, I stopped right away no chest pain",
     RedFlag.SUDDEN_SEVERE_PAIN),
    # pictures and lay words
    ("the other leg just won't take me since the stretch", RedFlag.CANNOT_BEAR_WEIGHT),
    ("Peeing's gone weird since yesterday, can't get it going", RedFlag.CAUDA_EQUINA_SIGNS),
    ("legs heavy as lead, both of them, ever since the stretching class", RedFlag.CAUDA_EQUINA_SIGNS),
    ("left leg numb, right leg tingling since the toe touch this morning", RedFlag.CAUDA_EQUINA_SIGNS),
    ("knee's come up like a pork pie in about an hour", RedFlag.RAPID_SWELLING),
    # a question about the person's own body, or one confirmed in the next sentence
    ("why would I be out of breath sitting on the sofa?", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("Is it bad if a knee gives way after stretching? Mine did it three times today.", RedFlag.KNEE_INSTABILITY),
    ("Why would stretching give me chest pain that spreads to my back? It's happening right now.",
     RedFlag.CHEST_PAIN_OR_BREATHLESS),
    # a lock that had to be forced free; urge incontinence told by the dash that failed
    ("the knee locked halfway through and I had to wiggle it free, it hurt", RedFlag.LOCKING_OR_CLICKING),
    ("since the stretching I've had to race to the toilet and didn't make it twice", RedFlag.CAUDA_EQUINA_SIGNS),
    ("my breathing's gone all funny and shallow since this morning", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    # pictures: the saddle gone to sleep, a knee whose halves are not connected, a noise told in quotes with pain
    ("the part I sit on feels like it's gone to sleep since the stretching", RedFlag.CAUDA_EQUINA_SIGNS),
    ("feels like my shin and thigh aren't connected properly any more", RedFlag.KNEE_INSTABILITY),
    ("each time I straighten it the knee goes 'clunk' and it really hurts", RedFlag.LOCKING_OR_CLICKING),
    # "it's fine otherwise" after a question about the person's own knee is not a denial
    ("does my knee giving way on the stairs mean a tear? it's fine otherwise", RedFlag.KNEE_INSTABILITY),
    # a general question followed by words of the person's own that deny nothing stays theirs
    ("Can chest pain come from stretching? Never had this before and it's scary", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    # both legs numb or weak is the leg's sign as well as the emergency's; a week told without a number
    ("my legs, both of them, went weak and heavy after the stretching class", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("wk of gentle stretches, still same pain, nothing changed", RedFlag.PERSISTENT_PAIN),
    # a comparison with before is not history; a picture of the chest
    ("can't hold my wee in like I used to since the stretching", RedFlag.CAUDA_EQUINA_SIGNS),
    ("it felt like someone was standing on my chest and I'm still short of breath", RedFlag.CHEST_PAIN_OR_BREATHLESS),
])
def test_told_plainly_enough_to_record(rules, text, flag):
    assert _decision(rules, text, flag) is Decision.RECORD


@pytest.mark.parametrize(("message", "flag"), [
    ("I've been stretching with my knee bent for well over a week and the pain is no better.", RedFlag.PERSISTENT_PAIN),
    ("Been doing them by the book for ten days and the pain behind the knee's no better.", RedFlag.PERSISTENT_PAIN),
    ("My waterworks have gone on strike. Stood there ten minutes and nothing.", RedFlag.CAUDA_EQUINA_SIGNS),
    ("straight after the stretch my knee blew right up", RedFlag.RAPID_SWELLING),
    ("When I walk, that foot drags now.", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("felt a sharp pain in my chest that took my breath away mid-stretch", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("7 days of bent knee stretches \u2705 pain still there \u2705 improvement \u274c", RedFlag.PERSISTENT_PAIN),
])
def test_modified_stretching_told_plainly_and_signs_told_as_pictures_are_recorded(rules, message, flag):
    assert flag in rules.scan(message).recorded


@pytest.mark.parametrize("message", [
    "Mum's been doing the gentler stretches for two weeks, knee bent and everything, and it's no better.",
    "I'm breathless from laughing at myself trying to touch my toes.",
    "The view from the top of the hill where I stretch took my breath away this morning.",
    "my mum's waterworks have gone on strike",
])
def test_someone_elses_and_the_words_in_other_senses_stay_silent(rules, message):
    assert rules.scan(message).recorded == []


@pytest.mark.parametrize(("message", "flag"), [
    # an accident that is not a bladder's, a hard saddle, a "week" that is no "wee", numb from the news
    ("Had a little accident with my yoga strap, it snapped and I fell onto the sofa \U0001F602 knee is fine",
     RedFlag.CAUDA_EQUINA_SIGNS),
    ("had a bit of an accident in the kitchen with a knife", RedFlag.CAUDA_EQUINA_SIGNS),
    ("everyone thought I'd had an accident because my water bottle leaked down my shorts", RedFlag.CAUDA_EQUINA_SIGNS),
    ("my saddle feels like a plank of wood on long rides", RedFlag.CAUDA_EQUINA_SIGNS),
    ("this week it takes ages to get going in the morning", RedFlag.CAUDA_EQUINA_SIGNS),
    ("I'm numb after the match result", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
])
def test_look_alikes_of_new_signs_neither_record_nor_ask(rules, message, flag):
    result = rules.scan(message)
    assert flag not in result.recorded and flag not in result.to_confirm


@pytest.mark.parametrize("message", ["'can you stand on it?' nope. tried twice, had to sit back down",
                                     "Q: Can you put weight on it? A: No.", "> Can you walk on it?\nno, not at all",
                                     "Can you bear weight? \u2014 No. Not on that side."])
def test_a_question_of_standing_answered_no_records_cannot_bear_weight(rules, message):
    """A question of whether they can stand, typed out at the start or quoted above, answered no."""
    result = rules.scan(message)
    assert RedFlag.CANNOT_BEAR_WEIGHT in result.recorded
    assert "answered" in next(d for d in result.detections if d.rule is RedFlag.CANNOT_BEAR_WEIGHT).modifiers


@pytest.mark.parametrize("message", ["can you walk on it? no problem", "Can you stand on it? No, I can stand fine",
                                     "my son's coach asked can he walk on it? no", "can you walk on it? no, it's fine"])
def test_a_question_of_standing_answered_otherwise_is_no_record(rules, message):
    assert RedFlag.CANNOT_BEAR_WEIGHT not in rules.scan(message).recorded


@pytest.mark.parametrize(("message", "flag"), [
    ("knee swollen? yes, hugely. came up within the hour", RedFlag.RAPID_SWELLING),
    ("calf red and hot? yeah, both, since last night", RedFlag.CALF_CLOT_SIGNS),
])
def test_a_short_question_typed_at_the_start_and_answered_yes_records_its_flag(rules, message, flag):
    """"knee swollen? yes, massively": the person asks and answers their own question, as under a quote."""
    result = rules.scan(message)
    assert flag in result.recorded
    assert "answered" in next(d for d in result.detections if d.rule is flag).modifiers


@pytest.mark.parametrize(("message", "flag"), [
    ("'Has your knee given way?' yes, twice this week.", RedFlag.KNEE_INSTABILITY),
    ("bot: 'any chest pain or trouble breathing?' me: a bit, yeah", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("'Can you put weight on it?' no. 'Did it swell?' yes, straight away", RedFlag.RAPID_SWELLING),
])
def test_a_question_quoted_inline_and_answered_yes_records_its_flag(rules, message, flag):
    result = rules.scan(message)
    assert flag in result.recorded
    assert "answered" in next(d for d in result.detections if d.rule is flag).modifiers


@pytest.mark.parametrize(("message", "flag"), [
    ("if it asks 'any swelling?' I'd say yes", RedFlag.RAPID_SWELLING),
    ("my son's coach asked 'does it give way?' yes, twice", RedFlag.KNEE_INSTABILITY),
    ("'Any swelling?' no. 'Any giving way?' nope", RedFlag.KNEE_INSTABILITY),
])
def test_a_question_quoted_inline_and_not_answered_yes_for_themselves_is_no_record(rules, message, flag):
    assert flag not in rules.scan(message).recorded


@pytest.mark.parametrize(("message", "flag"), [
    ("Is it normal for a knee to swell after stretching? yes or no?", RedFlag.RAPID_SWELLING),
    ("my brother's knee swollen? yes, badly, after football", RedFlag.RAPID_SWELLING),
    ("knee swollen? no, not at all", RedFlag.RAPID_SWELLING),
    ("Were my knee to become hot and swollen, would that be urgent? It is not, at present.",
     RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    ("Should I ever get numbness in the saddle area, is that an emergency? I have none.", RedFlag.CAUDA_EQUINA_SIGNS),
])
def test_a_question_typed_or_put_as_a_condition_and_not_answered_yes_for_themselves_is_no_record(rules, message, flag):
    assert flag not in rules.scan(message).recorded


@pytest.mark.parametrize(("message", "flag"), [
    ("My calf. Warm and puffy since Tuesday.", RedFlag.CALF_CLOT_SIGNS),
    ("It's my left calf that worries me. It's swollen and red.", RedFlag.CALF_CLOT_SIGNS),
    ("My chest. It feels like a weight is sitting on it.", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("It's right in the middle, behind the breastbone. It's a crushing ache.", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("Down there. Numb since the weekend.", RedFlag.CAUDA_EQUINA_SIGNS),
    ("It's my bottom that worries me. It's gone numb.", RedFlag.CAUDA_EQUINA_SIGNS),
])
def test_a_place_named_alone_and_its_signs_in_the_next_sentence_are_one_report(rules, message, flag):
    assert flag in rules.scan(message).recorded


@pytest.mark.parametrize(("message", "flag"), [
    ("My calf. It's fine now, thanks.", RedFlag.CALF_CLOT_SIGNS),
    ("My calf. It's my knee that's swollen and hot.", RedFlag.CALF_CLOT_SIGNS),
    ("My bum. It's fine, I just sat too long.", RedFlag.CAUDA_EQUINA_SIGNS),
])
def test_a_place_named_alone_whose_next_sentence_tells_no_sign_of_it_is_no_report(rules, message, flag):
    assert flag not in rules.scan(message).recorded


@pytest.mark.parametrize("text", ["My calf. Hot and swollen.", "My calf. \u0130t's swollen and hot.",
                                  "My chest. \u0130T HURTS"])
def test_joining_a_place_named_alone_keeps_every_offset(text):
    """Spans found in the joined text point into the message: the join may change characters, never their count."""
    from bot.safety.sentences import joined
    out = joined(text)
    assert len(out) == len(text) and out != text


@pytest.mark.parametrize("message", ["\U0001F351 numb \U0001F633 knee \U0001F623 since yday stretch",
                                     "\U0001F351numb since last night"])
def test_a_peach_emoji_for_the_bottom_told_numb_records_cauda_equina_signs(rules, message):
    """Texting: the peach stands for the bottom; "🍑 numb" is saddle numbness, an emergency sign."""
    assert RedFlag.CAUDA_EQUINA_SIGNS in rules.scan(message).recorded


def test_a_peach_emoji_numb_from_sitting_is_not_recorded(rules):
    message = "\U0001F351 numb from sitting on the bleachers, fine once I stood up"
    assert RedFlag.CAUDA_EQUINA_SIGNS not in rules.scan(message).recorded


@pytest.mark.parametrize(("message", "flag"), [
    ("is it normal for your knee to feel like it's sliding out of place? happens to me when I turn",
     RedFlag.KNEE_INSTABILITY),
    ("is it normal for a knee to balloon straight after a stretch? mine is huge now", RedFlag.RAPID_SWELLING),
    ("Is it normal to get a sharp electric pain that stops the stretch dead? Happened about 10 minutes ago.",
     RedFlag.SUDDEN_SEVERE_PAIN),
    ("The nurse said to tell someone if I lost control of my bladder. I have, twice today.",
     RedFlag.CAUDA_EQUINA_SIGNS),
    ("My GP said to come straight back if my calf got hot or swollen. It's both now.", RedFlag.CALF_CLOT_SIGNS),
    ("is a hot red swollen knee with a temperature serious? That's me right now.", RedFlag.HOT_SWOLLEN_KNEE_FEVER),
    ("is it normal for your chest to hurt when you stretch your legs? like mine does now",
     RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("is chest pain linked to a swollen calf? I have both right now", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("Would it be a torn cartilage if it locks and hurts? Mine does both when I come out of the stretch",
     RedFlag.LOCKING_OR_CLICKING),
    ("Is it a problem if my knee gives way on the stairs? Because it does, since Monday.", RedFlag.KNEE_INSTABILITY),
    ("is it bad if my knee gives way on the stairs? happened 3 times today", RedFlag.KNEE_INSTABILITY),
    ("is it bad if my chest hurts when I breathe in? started during my stretches about an hour ago",
     RedFlag.CHEST_PAIN_OR_BREATHLESS),
])
def test_a_question_the_next_sentence_makes_the_persons_own_is_recorded(rules, message, flag):
    """"...? happens to me", "...? mine is huge now", "...? Happened about 10 minutes ago", or a condition answered
    ("... if I lost control of my bladder. I have, twice today."): the sign is theirs."""
    assert flag in rules.scan(message).recorded


@pytest.mark.parametrize(("message", "flag"), [
    ("is it normal for a knee to balloon straight after a stretch? mine is fine now", RedFlag.RAPID_SWELLING),
    ("is it normal for the knee to swell straight after a stretch? mine is not swollen now, just asking",
     RedFlag.RAPID_SWELLING),
    ("is it normal for your knee to give way? it happened to my sister", RedFlag.KNEE_INSTABILITY),
    ("Is it a problem if a knee gives way on the stairs? Because it did for my sister", RedFlag.KNEE_INSTABILITY),
    ("is it bad if my knee gives way on the stairs? happened to my gran 3 times today", RedFlag.KNEE_INSTABILITY),
    ("Is it a problem if my knee gives way on the stairs? Because it does not, I only wondered",
     RedFlag.KNEE_INSTABILITY),
    ("is it normal for knees to click? happens like a lot to people", RedFlag.LOCKING_OR_CLICKING),
    ("is chest pain related to clots? ok I got it now, thanks", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("Is breathlessness ever linked to leg pain? I've seen something about clots", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("The nurse said to tell someone if I lost control of my bladder. I haven't.", RedFlag.CAUDA_EQUINA_SIGNS),
    ("My GP said to come straight back if my calf got hot or swollen. It's neither, thankfully.",
     RedFlag.CALF_CLOT_SIGNS),
])
def test_a_question_the_next_sentence_does_not_make_theirs_is_not_recorded(rules, message, flag):
    assert flag not in rules.scan(message).recorded
