"""Passage questions: reviewed data beside the corpus, checked on load, rows in the index, used by retrieval."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import CorpusError
from bot.guidance.corpus import load_chunks
from bot.guidance.index import build_index, index_status, vector_texts
from bot.guidance.questions import MIN_QUESTIONS, QUESTIONS_DIR, read_questions, thin_passages
from bot.guidance.retrieval import Retriever

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"


def test_every_shipped_passage_has_enough_questions() -> None:
    chunks = load_chunks(CORPUS_DIR)
    assert thin_passages(chunks) == []
    answered = [c for c in chunks if c.questions]
    assert len(answered) >= len(chunks) - 1  # only the list of sources answers nothing
    assert all(len(c.questions) >= MIN_QUESTIONS for c in answered)
    assert [c.section for c in chunks if c.framing] == ["Introduction", "Safety signs beyond the stretching guidance"]


def test_a_passage_without_questions_is_thin(corpus_copy: Path) -> None:
    chunks = load_chunks(corpus_copy)  # the article alone, no question files
    assert len(thin_passages(chunks)) == len(chunks)


def _questions_file(corpus: Path, text: str) -> Path:
    folder = corpus / QUESTIONS_DIR
    folder.mkdir(exist_ok=True)
    path = folder / "000_292bc26db980c244.txt.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("document: 000_292bc26db980c244.txt\npassages:\n  - starts: \"No passage starts like this\"\n"
     "    questions: [\"what is it\"]\n", "no passage of 000_292bc26db980c244.txt starts with"),
    ("document: nowhere.txt\npassages:\n  - starts: \"The hamstring muscle group\"\n    questions: [\"q\"]\n",
     "is not a corpus file"),
    ("document: 000_292bc26db980c244.txt\npassages:\n  - starts: \"The hamstring muscle group\"\n"
     "    questions: [\"\"]\n", "question 1: must be non-empty text"),
    ("document: 000_292bc26db980c244.txt\npassages:\n  - starts: \"The hamstring muscle group\"\n"
     "    questions: [\"q\"]\n    extra: 1\n", "must have `starts` and `questions`"),
    ("passages: []\n", "exactly `document` and `passages`"),
])
def test_bad_question_files_name_file_and_entry(corpus_copy: Path, text: str, message: str) -> None:
    path = _questions_file(corpus_copy, text)
    with pytest.raises(CorpusError, match=message) as err:
        load_chunks(corpus_copy)
    assert str(path) in str(err.value)


def test_questions_attach_to_their_passage_and_become_rows(corpus_copy: Path) -> None:
    _questions_file(corpus_copy, "document: 000_292bc26db980c244.txt\npassages:\n"
                    "  - starts: \"The hamstring muscle group is composed\"\n"
                    "    questions: [\"which three muscles are in the back of my thigh\", \"hammies anatomy\"]\n")
    chunks = load_chunks(corpus_copy)
    [owner] = [c for c in chunks if c.questions]
    assert owner.text.startswith("The hamstring muscle group") and len(owner.questions) == 2
    assert read_questions(corpus_copy / QUESTIONS_DIR / "000_292bc26db980c244.txt.yaml")[0].framing is False
    texts, owners = vector_texts(chunks)
    assert texts[-2:] == list(owner.questions)
    assert [chunks[i] for i in owners[-2:]] == [owner, owner]


def test_changing_questions_makes_the_index_stale(corpus_copy: Path, tmp_path: Path, hash_embedder) -> None:
    path = _questions_file(corpus_copy, "document: 000_292bc26db980c244.txt\npassages:\n"
                           "  - starts: \"The hamstring muscle group is composed\"\n    questions: [\"a\"]\n")
    build_index(corpus_copy, tmp_path / "index", hash_embedder)
    assert index_status(corpus_copy, tmp_path / "index", hash_embedder).ok
    path.write_text(path.read_text().replace('["a"]', '["a", "b"]'))
    status = index_status(corpus_copy, tmp_path / "index", hash_embedder)
    assert status.state == "stale" and "passage questions changed" in str(status)


def test_a_question_row_finds_its_passage(corpus_copy: Path, tmp_path: Path, hash_embedder) -> None:
    """With the hash embedder, only an exact question row is close: the passage is found through it."""
    asked = "zebra quokka wombat marmoset"
    _questions_file(corpus_copy, "document: 000_292bc26db980c244.txt\npassages:\n"
                    "  - starts: \"Only move into the stretch until\"\n"
                    f"    questions: [\"{asked}\"]\n")
    index = build_index(corpus_copy, tmp_path / "index", hash_embedder)
    retriever = Retriever(index, hash_embedder)
    for method in ("dense", "bm25", "hybrid"):
        top = retriever.search_by(asked, k=1, method=method)[0]  # type: ignore[arg-type]
        assert top.text.startswith("Only move into the stretch until"), method


@pytest.mark.slow
def test_off_topic_stays_unanswerable_with_question_rows(real_retriever) -> None:
    """Question rows rank passages; they do not make an off-topic question look answerable."""
    for query in ("how do I fix my car", "my dog is sick", "what's a good lasagne recipe"):
        assert real_retriever.search(query) == [], query


def test_operator_adds_a_document_with_its_questions(corpus_copy: Path) -> None:
    doc = corpus_copy / "020_extra.md"
    doc.write_text("# Warming up\n\nA short walk before stretching warms the muscles and makes the stretch "
                   "gentler on the knee, which many people find eases the pull behind it.\n", encoding="utf-8")
    assert any(c.source == "020_extra.md" for c in thin_passages(load_chunks(corpus_copy)))
    (corpus_copy / QUESTIONS_DIR).mkdir()
    shutil.copy(CORPUS_DIR / QUESTIONS_DIR / "000_292bc26db980c244.txt.yaml", corpus_copy / QUESTIONS_DIR)
    questions = "\n".join(f"      - \"warm up question {i}\"" for i in range(MIN_QUESTIONS))
    (corpus_copy / QUESTIONS_DIR / "020_extra.md.yaml").write_text(
        f"document: 020_extra.md\npassages:\n  - starts: \"A short walk before stretching\"\n"
        f"    questions:\n{questions}\n", encoding="utf-8")
    assert thin_passages(load_chunks(corpus_copy)) == []
