"""The lean query path: the bundled model and the red-flag layer exported to ONNX at index time, and
every query-time path running on onnxruntime + tokenizers without torch or sentence-transformers."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.datafile import file_sha256
from bot.errors import ModelError, SafetyLayerError
from bot.guidance import runtime as rt
from bot.guidance.runtime import EXPORT_MANIFEST, LOWER, ensure_runtime, export_status, load_runtime

CORPUS = PROJECT_ROOT / "corpus"
TESTS = PROJECT_ROOT / "tests"
HEAVY = ("torch", "sentence_transformers", "transformers")
EDGE_CASES = [
    "", "ok", "?", "KNEE PAIN!!!", "knee pain " * 200, "Ünïcødé, emoji 🦵🔥 and CJK 膝の痛み",
    "tabs\tand\nnew lines", "it's 3 weeks now, 2x a day, 45 degrees", "<b>html</b> & *markdown*",
    "dolor detrás de la rodilla al estirar", "a" * 600, "why?", "I don't know", "skip",
]


def strings(node: object) -> list[str]:
    """Every string in a parsed YAML file, depth first."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


def varied_sentences() -> list[str]:
    """People's messages (dialogue turns, red-flag tables), retrieval queries, corpus sentences, edge cases."""
    from bot.guidance.corpus import load_chunks, sentence_spans

    found: list[str] = []
    for path in sorted((TESTS / "dialogues").glob("*.yaml")):
        dialogues = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("dialogues") or []
        found += [t["user"] for d in dialogues for t in d.get("turns") or [] if isinstance(t.get("user"), str)]
    for path in sorted((TESTS / "red_flags").glob("*.yaml")):
        found += strings(yaml.safe_load(path.read_text(encoding="utf-8")))
    queries = yaml.safe_load((TESTS / "retrieval" / "queries.yaml").read_text(encoding="utf-8"))["queries"]
    found += [q["q"] for q in queries]
    found += [c.text[a:b] for c in load_chunks(CORPUS) for a, b in sentence_spans(c.text)]
    return list(dict.fromkeys(EDGE_CASES + found))


@pytest.fixture(scope="session")
def lean_index(real_index, model_embedder) -> Path:
    """The real index with the model export beside it, as `kneebot index` writes them."""
    from bot.guidance.export import ensure_export

    ensure_export(real_index.path, st_model=model_embedder.model)
    return Path(real_index.path)


@pytest.fixture(scope="session")
def runtime(lean_index):
    """The exported models loaded on onnxruntime."""
    return load_runtime(lean_index)


@pytest.fixture
def index_copy(lean_index, tmp_path) -> Path:
    """A writable copy of the lean index, to damage."""
    return Path(shutil.copytree(lean_index, tmp_path / "index", ignore=shutil.ignore_patterns(".lock")))


def child(code: str, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run Python code in a fresh process from the project root."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PROJECT_ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, timeout=300)


@pytest.mark.slow
def test_export_manifest_records_what_it_was_made_from(lean_index):
    manifest = json.loads((lean_index / EXPORT_MANIFEST).read_text(encoding="utf-8"))
    layer = json.loads((rt.layer_dir_default() / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["weights_sha256"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    assert manifest["layer"] == {"weights_sha256": layer["weights_sha256"], "top_layers": layer["top_layers"]}
    folder = lean_index / manifest["folder"]
    assert manifest["files"] == {name: file_sha256(folder / name) for name in rt.FILES}
    assert manifest["check"]["min_cosine"] >= 0.9999
    assert export_status(lean_index).ok


@pytest.mark.slow
def test_python_api_and_channels_never_import_torch(lean_index, tmp_path):
    code = """
import json, sys
from bot import Assistant
assistant = Assistant.load()
chat = assistant.conversation()
replies = [chat.send(m) for m in ("I feel a pull behind my knee when I stretch", "no", "what is a Baker's cyst?")]
flagged = assistant.conversation().send("my knee gave way and now I can't put weight on it")
hits = assistant.search("why does pointing my toes help", k=3)
import ui.discord_bot  # the channels build on the same assistant
from ui.web import build_app
build_app(assistant)
print(json.dumps({"kinds": [r.kind for r in replies], "cited": bool(replies[2].citations), "hits": len(hits),
                  "flags": flagged.red_flags, "heavy": [m for m in sys.argv[1:] if m in sys.modules]}))
"""
    env = {"KNEEBOT_INDEX": str(lean_index), "KNEEBOT_DB": str(tmp_path / "db.sqlite3")}
    done = child(code, *HEAVY, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["heavy"] == []
    assert out["cited"] and out["hits"] == 3 and len(out["kinds"]) == 3
    assert {"knee_instability", "cannot_bear_weight"} <= set(out["flags"])


@pytest.mark.slow
def test_cli_chat_ask_and_eval_never_import_torch(lean_index, tmp_path):
    code = """
import sys
from bot.cli import main
common = ["--index", sys.argv[1], "--db", sys.argv[2]]
codes = [main([*common, "chat"]), main([*common, "ask", "what is a Baker's cyst?"]),
         main([*common, "eval", sys.argv[3]])]
print("CODES", codes, "HEAVY", [m for m in sys.argv[4:] if m in sys.modules])
"""
    dialogues = TESTS / "dialogues" / "conversations_nerve.yaml"
    done = child(code, str(lean_index), str(tmp_path / "db.sqlite3"), str(dialogues), *HEAVY,
                 stdin="burning behind my knee when I touch my toes\nno\nquit\n")
    assert done.returncode == 0, done.stderr
    assert "Baker" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "CODES [0, 0, 0] HEAVY []"


@pytest.mark.slow
def test_query_embeddings_match_sentence_transformers(runtime, model_embedder):
    sentences = varied_sentences()
    assert len(sentences) >= 200
    ours, theirs = runtime.embedder.encode(sentences), model_embedder.encode(sentences)
    assert ours.shape == theirs.shape == (len(sentences), 384) and ours.dtype == np.float32
    cosine = np.sum(ours * theirs, axis=1)
    worst = int(np.argmin(cosine))
    assert cosine[worst] >= 0.9999, sentences[worst]
    one_by_one = np.vstack([runtime.embedder.encode([s]) for s in sentences[:40]])
    assert np.allclose(one_by_one, ours[:40], atol=1e-5)  # padding in a batch changes nothing
    assert runtime.embedder.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_retrieval_results_are_identical(real_index, runtime, model_embedder):
    from bot.guidance.retrieval import Retriever

    lean, plain = Retriever(real_index, runtime.embedder), Retriever(real_index, model_embedder)
    queries = varied_sentences()[:300]  # edge cases, dialogue turns, red-flag table sentences
    assert len(queries) == 300
    for query in queries:
        ours, theirs = lean.search(query, k=5), plain.search(query, k=5)
        assert [c.chunk_id for c in ours] == [c.chunk_id for c in theirs], query
        assert [c.score for c in ours] == pytest.approx([c.score for c in theirs], abs=1e-3), query
        dense = [c.chunk_id for c in lean.search_by(query, k=5, method="dense")]
        assert dense == [c.chunk_id for c in plain.search_by(query, k=5, method="dense")], query


@pytest.mark.slow
def test_red_flag_layer_on_the_runtime_matches_torch(runtime):
    from bot.safety.detector import RedFlagDetector
    from bot.safety.layer import LearnedLayer
    from bot.safety.rules import RuleSet

    rules = RuleSet.load()
    torch_layer = LearnedLayer.load(rules_version=rules.spec_version)
    lean_layer = LearnedLayer.load(rules_version=rules.spec_version, runtime=runtime)
    assert lean_layer.runtime is runtime and torch_layer.runtime is None
    messages = varied_sentences()
    for start in range(0, len(messages), 64):
        batch = messages[start:start + 64]
        ours, theirs = lean_layer.scores_many(batch), torch_layer.scores_many(batch)
        worst = max(abs(a[f] - b[f]) for a, b in zip(ours, theirs, strict=True) for f in a)
        assert worst <= 1e-4, batch
    lean, plain = RedFlagDetector(rules, lean_layer), RedFlagDetector(rules, torch_layer)
    for message in messages[:400]:  # edge cases, dialogue turns, the red-flag tables
        decided = [(d.rule, d.decision) for d in lean.scan(message).detections]
        assert decided == [(d.rule, d.decision) for d in plain.scan(message).detections], message


@pytest.mark.slow
def test_the_token_table_read_row_by_row_gives_what_the_mapped_file_gives_bit_for_bit(lean_index):
    """The lower graph on the rows read in (bot/guidance/tokentable.py) and on onnxruntime's own map of lower.data."""
    import onnxruntime as ort

    from bot.tokens import encode

    runtime = load_runtime(lean_index).ready()
    assert runtime._table is not None
    mapped = ort.InferenceSession(str(runtime.folder / LOWER), rt.session_options(), providers=rt.CPU)
    texts = varied_sentences()
    batches = [texts[i:i + 1] for i in range(0, len(texts), 7)] + [texts[i:i + 16] for i in range(0, len(texts), 16)]
    for batch in batches:
        ids, mask = encode(runtime.tokenizer, batch, rt.MAX_SEQ_LENGTH)
        ours = runtime.hidden(ids, mask)
        assert ours.tobytes() == mapped.run(None, {"input_ids": ids, "attention_mask": mask})[0].tobytes(), batch
    assert 0 < runtime._table._read.sum() < len(runtime._table.array)


@pytest.mark.slow
def test_a_corrupt_export_is_refused_with_what_to_run(index_copy):
    folder = index_copy / json.loads((index_copy / EXPORT_MANIFEST).read_text())["folder"]
    with (folder / LOWER).open("r+b") as fh:  # one byte flipped: same size, another hash
        fh.seek(1_000_000)
        byte = fh.read(1)
        fh.seek(1_000_000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    status = export_status(index_copy)
    assert status.state == "corrupt" and "does not match its manifest checksum" in str(status)
    with pytest.raises(ModelError, match=r"lower\.onnx does not match.*run `kneebot index`"):
        load_runtime(index_copy)


@pytest.mark.slow
def test_a_missing_or_stale_export_is_reported(index_copy, tmp_path):
    layer_dir = Path(shutil.copytree(rt.layer_dir_default(), tmp_path / "layer"))
    manifest = json.loads((layer_dir / "manifest.json").read_text())
    (layer_dir / "manifest.json").write_text(json.dumps({**manifest, "weights_sha256": "0" * 64}))
    status = export_status(index_copy, layer_dir)
    assert status.state == "stale" and "layer" in str(status)
    (index_copy / EXPORT_MANIFEST).write_text("{not json")
    assert export_status(index_copy).state == "corrupt"
    (index_copy / EXPORT_MANIFEST).unlink()
    assert export_status(index_copy).state == "missing"
    with pytest.raises(ModelError, match="missing.*run `kneebot index`"):
        load_runtime(index_copy)


@pytest.mark.slow
def test_without_build_tools_a_bad_export_says_what_to_install(index_copy, monkeypatch):
    (index_copy / EXPORT_MANIFEST).unlink()
    monkeypatch.setattr(rt, "build_tools_missing", lambda: ["torch", "sentence_transformers"])
    with pytest.raises(ModelError, match=r"cannot rebuild it \(no torch, sentence_transformers\).*"
                                         r"kneebot index.*pip install 'kneebot\[index\]'"):
        ensure_runtime(index_copy)


@pytest.mark.slow
def test_assistant_load_re_exports_a_tampered_export(index_copy, tmp_path):
    from bot.assistant import Assistant
    from bot.config import Settings

    manifest = json.loads((index_copy / EXPORT_MANIFEST).read_text())
    manifest["files"][LOWER] = "0" * 64  # the manifest no longer vouches for the file
    (index_copy / EXPORT_MANIFEST).write_text(json.dumps(manifest))
    assert export_status(index_copy).state == "corrupt"
    assistant = Assistant.load(settings=Settings(index_dir=index_copy, db_path=tmp_path / "db.sqlite3"))
    assert export_status(index_copy).ok
    assert json.loads((index_copy / EXPORT_MANIFEST).read_text())["folder"] != manifest["folder"]
    assert assistant.detector.layer is not None and assistant.detector.layer.runtime is not None
    assert assistant.search("what is a Baker's cyst?", k=1)
    assistant.close()


@pytest.mark.slow
def test_layer_refuses_an_export_of_other_weights(runtime):
    from bot.safety.layer import LearnedLayer

    other = rt.Runtime.__new__(rt.Runtime)
    other.folder, other.manifest, other.tokenizer = runtime.folder, {**runtime.manifest}, runtime.tokenizer
    other.manifest["layer"] = {**runtime.manifest["layer"], "weights_sha256": "f" * 64}
    with pytest.raises(SafetyLayerError, match="other red-flag layer weights; run `kneebot index`"):
        LearnedLayer.load(runtime=other)


def test_installed_defaults_are_the_packaged_corpus_and_the_user_data_folder(tmp_path):
    from bot.config import data_home, packaged_corpus, source_checkout

    assert source_checkout(PROJECT_ROOT) and not source_checkout(tmp_path)
    assert data_home({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "kneebot"
    assert data_home({}) == Path.home() / ".local" / "share" / "kneebot"
    assert packaged_corpus().parts[-3:] == ("share", "kneebot", "corpus")


def test_assistant_load_honours_the_kneebot_settings(corpus_copy, tmp_path, monkeypatch):
    from bot.assistant import Assistant
    from bot.guidance.embedding import HashEmbedder

    monkeypatch.setenv("KNEEBOT_CORPUS", str(corpus_copy))
    monkeypatch.setenv("KNEEBOT_INDEX", str(tmp_path / "elsewhere" / "index"))
    monkeypatch.setenv("KNEEBOT_DB", str(tmp_path / "elsewhere" / "kneebot.sqlite3"))
    monkeypatch.setenv("KNEEBOT_MAX_MESSAGE_CHARS", "500")
    assistant = Assistant.load(embedder=HashEmbedder())
    assert assistant.settings.corpus_dir == corpus_copy
    assert assistant.settings.max_message_chars == 500
    assert (tmp_path / "elsewhere" / "index" / "manifest.json").exists()
    assert {c.source for c in assistant.retriever.chunks} == {p.name for p in corpus_copy.iterdir()}
    assistant.conversation().send("I feel a pull behind my knee when I stretch")
    assert (tmp_path / "elsewhere" / "kneebot.sqlite3").exists()
    assistant.close()


def test_the_layer_and_retrieval_share_one_lower_pass_when_asked_at_once(runtime, monkeypatch):
    """A turn's layer pass and its question's embedding run on the runtime's workers side by side: the lower
    layers run once for both, and the results are those of running them one after the other."""
    import threading
    import time

    from bot.tokens import encode

    ids, mask = encode(runtime.tokenizer, ["what is hamstring tendinopathy, asked 4181 times?"], 256)
    alone = (runtime.embed(ids, mask), runtime.flag_probabilities(ids, mask))
    runtime._hidden.clear()
    lowers: list[str] = []
    real_lower = runtime._lower
    second = threading.Event()

    def counted(i: np.ndarray, m: np.ndarray) -> np.ndarray:
        lowers.append(threading.current_thread().name)
        second.wait(5)  # the second job asks for the same lower pass while the first is computing it
        time.sleep(0.2)
        return real_lower(i, m)

    def flags(i: np.ndarray, m: np.ndarray) -> np.ndarray:
        second.set()
        return runtime.flag_probabilities(i, m)

    monkeypatch.setattr(runtime, "_lower", counted)
    embedding = runtime.submit(runtime.embed, ids, mask)
    probabilities = runtime.submit(flags, ids, mask)
    assert np.array_equal(embedding.result(timeout=30), alone[0])
    assert np.array_equal(probabilities.result(timeout=30), alone[1])
    assert len(lowers) == 1 and lowers[0].startswith("kneebot-model")


def test_a_failed_lower_pass_is_not_kept(runtime, monkeypatch):
    from bot.tokens import encode

    ids, mask = encode(runtime.tokenizer, ["a message the lower pass fails on, 5512"], 256)
    real_lower = runtime._lower

    def failing(i: np.ndarray, m: np.ndarray) -> np.ndarray:
        raise ModelError("the lower graph failed")

    monkeypatch.setattr(runtime, "_lower", failing)
    with pytest.raises(ModelError, match="lower graph failed"):
        runtime.submit(runtime.embed, ids, mask).result(timeout=30)
    monkeypatch.setattr(runtime, "_lower", real_lower)
    assert runtime.embed(ids, mask).shape == (1, 384)  # computed again, not the failure kept


def test_a_question_is_embedded_while_the_message_is_scanned(lean_index, tmp_path, monkeypatch):
    """On the lean path a question's embedding is begun before the red-flag scan and the search uses it."""
    from concurrent.futures import Future

    from bot.assistant import Assistant
    from bot.config import Settings
    from bot.guidance.retrieval import expand_query

    assistant = Assistant.load(settings=Settings(index_dir=lean_index, db_path=tmp_path / "db.sqlite3"))
    retriever = assistant.retriever
    begun: list[str] = []
    real_start, real_scan = retriever.embedder.start, assistant.detector.rules.scan

    def start(text: str) -> Future:
        begun.append(text)
        return real_start(text)

    def scan(text: str, **kw):  # type: ignore[no-untyped-def]
        assert begun, "the question's embedding was not begun before the scan"
        return real_scan(text, **kw)

    monkeypatch.setattr(retriever.embedder, "start", start)
    monkeypatch.setattr(assistant.detector.rules, "scan", scan)
    monkeypatch.setattr(retriever.embedder, "encode", lambda texts: pytest.fail(f"embedded again: {texts}"))
    question = "what is a Baker's cyst, asked 7303 times?"
    reply = assistant.conversation().send(question)
    assert begun == [expand_query(question)]
    assert reply.citations and any("Baker" in c.text for c in reply.citations)
    assistant.close()


def test_a_failed_prefetch_is_embedded_again_by_the_search(real_index, runtime):
    from concurrent.futures import Future

    from bot.guidance.retrieval import Retriever

    class Failing:
        model_id, weights_sha256, dim = runtime.embedder.model_id, runtime.embedder.weights_sha256, 384

        def start(self, text: str) -> Future:
            failed: Future = Future()
            failed.set_exception(ModelError("the worker failed"))
            return failed

        def encode(self, texts: list[str]) -> np.ndarray:
            return runtime.embedder.encode(texts)

    flaky, plain = Retriever(real_index, Failing()), Retriever(real_index, runtime.embedder)
    flaky.prefetch("what is a Baker's cyst?")
    assert [c.chunk_id for c in flaky.search("what is a Baker's cyst?")] == \
        [c.chunk_id for c in plain.search("what is a Baker's cyst?")] != []
