"""The learned red-flag layer: the shipped weights, how it combines with the rules, and bad files."""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace

import pytest

from bot.datafile import file_sha256
from bot.errors import SafetyLayerError
from bot.ids import RedFlag
from bot.safety import layer as layer_mod
from bot.safety.detector import LAYER_AGREES, LAYER_DOUBT, LAYER_HIT, RedFlagDetector, combine
from bot.safety.layer import DEFAULT_DIR, MANIFEST, MAX_WINDOWS, WEIGHTS, LearnedLayer, Thresholds
from bot.safety.rules import Decision, Detection, RuleSet, ScanResult

MAX_MODEL_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load()


@pytest.fixture(scope="module")
def layer(rules) -> LearnedLayer:
    return LearnedLayer.load(rules_version=rules.spec_version)


@pytest.fixture(scope="module")
def detector(rules, layer) -> RedFlagDetector:
    return RedFlagDetector(rules, layer)


def test_shipped_weights_are_small_and_match_their_manifest():
    manifest = json.loads((DEFAULT_DIR / MANIFEST).read_text())
    weights = DEFAULT_DIR / WEIGHTS
    assert weights.stat().st_size <= MAX_MODEL_BYTES
    assert file_sha256(weights) == manifest["weights_sha256"]
    assert manifest["flags"] == [str(f) for f in RedFlag]
    assert manifest["rules_version"] == RuleSet.load().spec_version
    assert all(p.startswith("tests/red_flags/blind/train/") for p in manifest["trained_on"]), \
        "the layer is trained only on blind-written training sets, never on a measuring set"


@pytest.mark.parametrize(("text", "flag"), [
    ("the leg just won't have me on it since the stretch", RedFlag.CANNOT_BEAR_WEIGHT),
    ("I can't feel the toilet paper when I wipe and my bladder is acting strange", RedFlag.CAUDA_EQUINA_SIGNS),
    ("there's a crushing weight on my chest and it goes into my left arm", RedFlag.CHEST_PAIN_OR_BREATHLESS),
    ("my kneecap has disappeared into the puffiness, came up in an hour", RedFlag.RAPID_SWELLING),
])
def test_clear_reports_score_high(layer, text, flag):
    assert layer.scores(text)[flag] >= layer.thresholds.ask[flag]


@pytest.mark.parametrize("text", [
    "what are the warning signs I should watch for?",
    "my husband's knee gave way at football, he's getting it looked at",
    "no swelling, no clicking, it just feels tight behind the knee",
])
def test_silent_messages_score_low(layer, text):
    scores = layer.scores(text)
    assert all(p < layer.thresholds.record[f] for f, p in scores.items()), scores


def _rule_result(decision: Decision) -> ScanResult:
    return ScanResult([Detection(RedFlag.KNEE_INSTABILITY, decision, (0, 4), "gave")])


def test_layer_never_silences_a_rule(layer):
    zero = {f: 0.0 for f in RedFlag}
    recorded = combine(_rule_result(Decision.RECORD), zero, layer, "gave way")
    assert [(d.rule, d.decision) for d in recorded.detections] == [(RedFlag.KNEE_INSTABILITY, Decision.CONFIRM)]
    assert LAYER_DOUBT in recorded.detections[0].modifiers
    asked = combine(_rule_result(Decision.CONFIRM), zero, layer, "gave way")
    assert [(d.rule, d.decision) for d in asked.detections] == [(RedFlag.KNEE_INSTABILITY, Decision.CONFIRM)]


def test_layer_adds_hits_and_questions(layer):
    t = layer.thresholds
    flag = next(f for f in RedFlag if t.ask[f] < t.record[f])
    high = combine(ScanResult(), {**{f: 0.0 for f in RedFlag}, flag: t.record[flag]}, layer, "text")
    assert [(d.rule, d.decision) for d in high.detections] == [(flag, Decision.RECORD)]
    assert LAYER_HIT in high.detections[0].modifiers
    mid = combine(ScanResult(), {**{f: 0.0 for f in RedFlag}, flag: t.ask[flag]}, layer, "text")
    assert [(d.rule, d.decision) for d in mid.detections] == [(flag, Decision.CONFIRM)]


@pytest.mark.parametrize(("text", "asked"), [
    ("partners calf is massive and hot", True),
    ("his knee gave way on the stairs twice", True),
    ("calf is massive and hot", False),
    ("my partner says my calf is massive and hot", False),
    ("the back of my knee swelled up, my husband noticed", False),
])
def test_a_learned_hit_on_a_message_only_about_someone_else_is_asked(layer, rules, text, asked):
    """The layer's confident hit becomes the flag's question when the message names someone else and
    never the person writing; with a first person anywhere it stays a record."""
    flag = RedFlag.CALF_CLOT_SIGNS
    made = combine(ScanResult(), {**{f: 0.0 for f in RedFlag}, flag: 1.0}, layer, text, rules=rules)
    assert [(d.rule, d.decision) for d in made.detections] == [
        (flag, Decision.CONFIRM if asked else Decision.RECORD)]


@pytest.mark.parametrize(("text", "asked"), [
    ("my wife has a swollen, warm calf since yesterday. I only have knee pain when I stretch", True),
    ("Meine Frau hat seit gestern eine geschwollene, warme Wade. Ich habe nur Knieschmerzen beim Dehnen.", True),
    ("my wife noticed a funny tightness. I only have knee pain when I stretch", False),
])
def test_a_learned_hit_on_a_sign_the_rules_found_told_of_someone_else_is_asked(layer, rules, text, asked):
    """The rules found the sign and silenced it as someone else's, with a first person elsewhere in the message:
    the layer's confident hit for the same flag is asked, not recorded (it still may not silence anything)."""
    flag = RedFlag.CALF_CLOT_SIGNS
    found = rules.scan(text)
    assert (flag in found.others) is asked
    made = combine(found, {**{f: 0.0 for f in RedFlag}, flag: 1.0}, layer, text, rules=rules)
    assert [(d.rule, d.decision) for d in made.detections] == [
        (flag, Decision.CONFIRM if asked else Decision.RECORD)]


@pytest.mark.parametrize(("text", "made"), [
    ("I started the bent-knee version yesterday and it's no better", []),
    ("three days into the gentle stretches, still sore behind the knee", []),
    ("two weeks of the bent-knee version and it's no better", [(RedFlag.PERSISTENT_PAIN, Decision.RECORD)]),
    ("still sore behind the knee", [(RedFlag.PERSISTENT_PAIN, Decision.RECORD)]),
    ("week 1 modified: 6/10, week 2: 3/10. getting there", []),
])
def test_the_layers_persistent_pain_waits_for_the_timeline(layer, rules, text, made):
    """Where the rules' timeline tells gentler stretching for less than the minimum, or the pain improving, the
    layer adds no persistent pain however sure it is; where it tells enough, or nothing, the layer may."""
    flag = RedFlag.PERSISTENT_PAIN
    found = combine(rules.scan(text), {**{f: 0.0 for f in RedFlag}, flag: 1.0}, layer, text, rules=rules)
    assert [(d.rule, d.decision) for d in found.detections] == made


def test_a_vague_description_both_agree_on_is_recorded_a_hedge_stays_a_question(layer):
    t = layer.thresholds
    flag = next(f for f in RedFlag if t.promote[f] <= 1.0)
    confident = {**{f: 0.0 for f in RedFlag}, flag: max(t.promote[flag], 0.999)}
    vague = ScanResult([Detection(flag, Decision.CONFIRM, (0, 5), "puffy")])
    agreed = combine(vague, confident, layer, "puffy")
    assert [(d.rule, d.decision) for d in agreed.detections] == [(flag, Decision.RECORD)]
    assert LAYER_AGREES in agreed.detections[0].modifiers
    unsure = combine(vague, {**confident, flag: t.promote[flag] - 0.01}, layer, "puffy")
    assert [(d.rule, d.decision) for d in unsure.detections] == [(flag, Decision.CONFIRM)]
    # SPEC: a hedge only downgrades to the flag's question, however confident the layer is
    hedged = ScanResult([Detection(flag, Decision.CONFIRM, (0, 5), "puffy", frozenset({"uncertain"}))])
    kept = combine(hedged, {**confident, flag: 1.0}, layer, "I think it's puffy")
    assert [(d.rule, d.decision) for d in kept.detections] == [(flag, Decision.CONFIRM)]


def test_a_report_told_with_a_laugh_is_a_hit_where_the_layer_is_sure_a_joking_hedge_stays_a_question(layer, rules):
    # the rules ask on "lol": the report may be a joke; a confident layer agrees that it is a report
    told = rules.scan("since stretching i cant stand on my right leg at all, using a broom as a crutch lol")
    d = next(d for d in told.detections if d.rule is RedFlag.CANNOT_BEAR_WEIGHT)
    assert d.decision is Decision.CONFIRM and d.modifiers == {"joking"}
    t = layer.thresholds
    sure = {**{f: 0.0 for f in RedFlag}, d.rule: 1.0}
    agreed = combine(ScanResult([d]), sure, layer, "lol")
    assert [(x.rule, x.decision) for x in agreed.detections] == [(d.rule, Decision.RECORD)]
    unsure = combine(ScanResult([d]), {**sure, d.rule: t.promote[d.rule] - 0.01}, layer, "lol")
    assert [(x.rule, x.decision) for x in unsure.detections] == [(d.rule, Decision.CONFIRM)]
    both = ScanResult([replace(d, modifiers=frozenset({"joking", "uncertain"}))])
    assert combine(both, sure, layer, "lol maybe").detections[0].decision is Decision.CONFIRM


def test_a_manifest_from_before_promote_promotes_nothing():
    one = {str(f): 0.5 for f in RedFlag}
    t = Thresholds.from_dict({"record": one, "ask": one, "keep": one})
    assert all(v > 1.0 for v in t.promote.values())
    assert Thresholds.from_dict(t.to_dict()) == t


def test_answer_to_the_pending_question_is_the_rules_alone(detector):
    result = detector.scan("not sure", pending=RedFlag.RAPID_SWELLING)
    assert RedFlag.RAPID_SWELLING in result.recorded


def test_hostile_input_costs_a_bounded_number_of_windows(layer, detector):
    noise = ("knee pain swelling " * 20 + ". ") * 2000
    assert len(layer.windows(noise)) <= MAX_WINDOWS
    assert len(layer.windows("x" * 200_000)) <= MAX_WINDOWS
    start = time.perf_counter()
    detector.scan("\ud800 lone surrogate and a knee that gave way")
    assert time.perf_counter() - start < 30  # a bound on a hang, not a speed target (bench_red_flags)


def test_long_story_is_read_in_windows_and_finds_a_buried_flag(layer):
    story = ("We went to the coast for the weekend and the weather was lovely. " * 12
             + "Then on Sunday my knee suddenly gave way on the stairs and I fell. "
             + "Anyway the food was great and we saw some seals. " * 6)
    assert len(layer.windows(story)) > 1
    assert layer.scores(story)[RedFlag.KNEE_INSTABILITY] >= layer.thresholds.ask[RedFlag.KNEE_INSTABILITY]


# --- bad files: the assistant never runs without its safety layer ----------------------------------

@pytest.fixture
def layer_copy(tmp_path):
    folder = tmp_path / "layer"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


def _load_error(folder, rules_version=None) -> str:
    with pytest.raises(SafetyLayerError) as err:
        LearnedLayer.load(folder, rules_version=rules_version)
    return str(err.value)


def test_missing_weights(layer_copy):
    (layer_copy / WEIGHTS).unlink()
    msg = _load_error(layer_copy)
    assert str(layer_copy / WEIGHTS) in msg and "kneebot train-red-flags" in msg


def test_missing_manifest(layer_copy):
    (layer_copy / MANIFEST).unlink()
    msg = _load_error(layer_copy)
    assert "manifest" in msg and "kneebot train-red-flags" in msg


def test_corrupt_weights_fail_the_checksum(layer_copy):
    data = bytearray((layer_copy / WEIGHTS).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (layer_copy / WEIGHTS).write_bytes(bytes(data))
    msg = _load_error(layer_copy)
    assert "checksum" in msg and str(layer_copy / WEIGHTS) in msg


def test_truncated_weights_with_a_matching_hash_are_refused(layer_copy):
    weights = layer_copy / WEIGHTS
    weights.write_bytes(weights.read_bytes()[:1000])
    manifest = json.loads((layer_copy / MANIFEST).read_text())
    manifest["weights_sha256"] = file_sha256(weights)
    (layer_copy / MANIFEST).write_text(json.dumps(manifest))
    assert "cannot load the red-flag layer" in _load_error(layer_copy)


def test_weights_for_another_rule_set_version(layer_copy):
    msg = _load_error(layer_copy, rules_version="1999.1")
    assert "rule-set version" in msg and "kneebot train-red-flags" in msg


def test_unreadable_manifest(layer_copy):
    (layer_copy / MANIFEST).write_text("{not json")
    assert "unreadable" in _load_error(layer_copy)


def test_assistant_does_not_start_without_its_layer(layer_copy, monkeypatch, hash_embedder, tmp_path):
    from bot.assistant import Assistant
    from bot.config import Settings

    (layer_copy / WEIGHTS).unlink()
    monkeypatch.setattr(layer_mod, "DEFAULT_DIR", layer_copy)
    settings = Settings(index_dir=tmp_path / "index", db_path=tmp_path / "db.sqlite3")
    with pytest.raises(SafetyLayerError):
        Assistant.load(settings=settings, embedder=hash_embedder)


# Stretching technique told in words easily taken for a sign: the rules and the layer ask, never record;
# the sign itself, told plainly, is still recorded.
@pytest.mark.parametrize(("text", "flag"), [
    ("it's a pulling ache and I keep my knee locked when I stretch", RedFlag.LOCKING_OR_CLICKING),
    ("Honestly I just bounce and round my back to get my fingers to the floor, knee locked",
     RedFlag.LOCKING_OR_CLICKING),
    ("also my foot is rotated right out when I stretch", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("my foot turns out when I stretch and it hurts behind the knee", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("I am keeping leg very tight and straight, knee fully locked, and pushing down hard",
     RedFlag.LOCKING_OR_CLICKING),
    ("i always jam the knee fully locked, and it goes away when i soften it", RedFlag.LOCKING_OR_CLICKING),
    ("my leg feels weird", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("it's really more burning than sharp, like a hot line down to the calf", RedFlag.CALF_CLOT_SIGNS),
])
def test_technique_in_words_of_a_sign_is_asked_not_recorded(detector, text, flag):
    decisions = {d.rule: d.decision for d in detector.scan(text).detections}
    assert decisions.get(flag) in (None, Decision.CONFIRM), decisions
    assert Decision.RECORD not in decisions.values(), decisions


@pytest.mark.parametrize(("text", "flag"), [
    ("my knee locked and I couldn't straighten it", RedFlag.LOCKING_OR_CLICKING),
    ("my knee locked up during the stretch", RedFlag.LOCKING_OR_CLICKING),
    ("my leg has been numb since yesterday", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("my leg feels weird and numb since yesterday", RedFlag.LEG_NUMBNESS_OR_WEAKNESS),
    ("my calf is hot, red and swollen", RedFlag.CALF_CLOT_SIGNS),
])
def test_the_sign_itself_is_still_recorded(detector, text, flag):
    assert {d.rule: d.decision for d in detector.scan(text).detections}.get(flag) is Decision.RECORD


def test_threshold_choice_matches_how_the_detector_combines():
    import numpy as np

    from bot.safety.thresholds import ASK, NONE, RECORD, VAGUE, decide

    rules = np.array([[NONE, NONE, ASK, VAGUE, VAGUE, RECORD, RECORD]])
    probs = np.array([[0.95, 0.5, 0.99, 0.8, 0.5, 0.001, 0.5]])
    one = np.ones(7)
    got = decide(rules, probs, 0.9 * one, 0.4 * one, 0.01 * one, 0.7 * one)
    # layer hit, layer question, a hedged question stays, a vague one both agree on is a hit, one the
    # layer doubts stays a question, a hit the layer is sure of is doubted, a hit stays
    assert got.tolist() == [[RECORD, ASK, ASK, RECORD, ASK, ASK, RECORD]]


def test_training_scores_messages_as_the_layer_reads_them(layer):
    """Thresholds are chosen on the scores the shipped layer gives: the same glossary reading (typos,
    fillers, other languages) and the same windows, so a threshold means at run time what it meant then."""
    import numpy as np

    from bot.safety.blindsets import Message
    from bot.safety.thresholds import FLAGS
    from bot.safety.training import score_messages

    texts = ["pain behid my kne when i strech, shoots down into my calf sometimes",
             "my knee literally collapsed on the stairs", "Mi rodilla se bloquea y no puedo estirarla",
             "I feel a pull behind my knee when I stretch. " * 40]
    assert any(layer.glossary.read(t) is not None and layer.glossary.read(t).text != t for t in texts)
    trained = score_messages(layer.model, layer.tokenizer, [Message(t, frozenset()) for t in texts], layer.max_tokens)
    running = np.array([[row[f] for f in FLAGS] for row in layer.scores_many(texts)])
    assert np.abs(trained - running).max() <= 1e-4


def test_training_runs_from_a_copy_of_the_model_and_records_where(tmp_path, monkeypatch):
    """`kneebot train-red-flags --device D --base-model DIR` trains from a copy of the MiniLM (one made to
    travel to a training machine) and the manifest says which weights and which device it was trained on;
    the shipped layer still runs on the bundled model."""
    import json
    import shutil

    import yaml
    from safetensors.numpy import load_file, save_file

    import bot.safety.training as training
    from bot.guidance.embedding import bundled_model_dir, weights_sha256
    from bot.safety.layer import LearnedLayer

    base = tmp_path / "base"
    shutil.copytree(bundled_model_dir(), base)
    weights = load_file(str(base / "model.safetensors"))  # a copy that is not byte for byte the bundled one
    name = sorted(weights)[-1]
    weights[name] = weights[name] * 1.0001
    save_file(weights, str(base / "model.safetensors"))
    assert weights_sha256(base) != weights_sha256(bundled_model_dir())
    train_dir, spent = tmp_path / "train", tmp_path / "spent"
    train_dir.mkdir()
    spent.mkdir()
    texts = [("my knee gave way on the stairs", ["knee_instability"]),
             ("my calf is hot, red and swollen", ["calf_clot_signs"]),
             ("a gentle pull behind my knee in the stretch", []),
             ("both legs numb and I can't feel the toilet paper", ["cauda_equina_signs"])]
    messages = [{"text": f"{t} ({i})", "flags": f, "kind": "report" if f else "benign"}
                for i in range(12) for t, f in texts]
    for folder, name in ((train_dir, "t.yaml"), (spent, "s.yaml")):
        (folder / name).write_text(yaml.safe_dump({"round": "train-r0", "writer": "w0", "messages": messages}))
    monkeypatch.setattr(training, "REGRESSION_DIR", spent)
    monkeypatch.setattr(training, "project_silent", lambda *a: [])
    monkeypatch.setattr(training, "dialogue_silent", lambda *a: [])
    monkeypatch.setattr(training, "load_tables", lambda *a: [])
    manifest = training.train(tmp_path / "out", [train_dir], epochs=1, device="cpu", base_dir=base, log=lambda s: None)
    assert manifest["settings"]["device"] == "cpu"
    assert manifest["settings"]["trained_from_sha256"] == weights_sha256(base)
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["weights_sha256"] == manifest["weights_sha256"]
    scores = LearnedLayer.load(tmp_path / "out").scores("my knee gave way on the stairs")
    assert set(map(str, scores)) == set(manifest["flags"])


@pytest.mark.parametrize(("text", "recorded"), [
    # a reply under a quoted question: a yes answers the flag the quote asks about, a no leaves it out
    ("> Any chest pain or shortness of breath?\nyes, since this morning", {RedFlag.CHEST_PAIN_OR_BREATHLESS}),
    ("> Has your knee swollen up quickly?\nnope, looks the same as the other one", set()),
    ("> Is your calf swollen, warm or red?\nno, it just aches a bit when I press it", set()),
    # the yes is the rules' alone, however little the reply says to the layer (reading 78)
    ("> Any numbness in your saddle area or genitals?\nerm yes actually, a little, didn't think it mattered",
     {RedFlag.CAUDA_EQUINA_SIGNS}),
    # of equally urgent flags the quote names, the one it names most fully: the calf's, not swelling in general
    ("> Is your calf looking swollen?\nyes, fatter than the other one and warm", {RedFlag.CALF_CLOT_SIGNS}),
])
def test_a_reply_under_a_quoted_question_is_read_alone(detector, text, recorded):
    assert set(detector.scan(text).recorded) == recorded
