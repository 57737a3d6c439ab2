"""Corpus loading and chunking: verbatim, section-aware, nothing lost, stable ids, clear errors."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.errors import CorpusError
from bot.guidance.corpus import (
    DEFAULT_CHUNKING,
    FIRST_SECTION,
    Chunk,
    ChunkSettings,
    chunk_document,
    load_chunks,
    load_documents,
    read_document,
)
from tests.conftest import ARTICLE, CORPUS_DIR

ARTICLE_HEADINGS = [
    "The Anatomy of Hamstring Tension and the Knee",
    "Proximal Causes: Nerve and Tendon Irritation",
    "Underlying Knee Joint Conditions Exacerbated by Stretching",
    "Safe Stretching Techniques and Modifications",
    "Recognizing When to Seek Medical Guidance",
]
SHARED_ARTICLE = Path("/work/shared/guidance") / ARTICLE.name


def naive_sentences(text: str) -> list[str]:
    """Sentences by a rule independent of the chunker's own splitter."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def chunks_of(path: Path, settings: ChunkSettings = DEFAULT_CHUNKING) -> list[Chunk]:
    return chunk_document(read_document(path), settings)


@pytest.fixture
def article_chunks() -> list[Chunk]:
    return chunks_of(ARTICLE)


def test_article_is_kept_verbatim():
    if not SHARED_ARTICLE.exists():
        pytest.skip("the owner's original is not on this machine")
    assert ARTICLE.read_bytes() == SHARED_ARTICLE.read_bytes()


def test_every_chunk_is_an_exact_slice_of_its_source(article_chunks):
    source = ARTICLE.read_text(encoding="utf-8")
    for chunk in article_chunks:
        assert source[chunk.start:chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        assert chunk.source == ARTICLE.name


def test_article_sections_are_its_heading_lines(article_chunks):
    sections = list(dict.fromkeys(c.section for c in article_chunks))
    assert sections == [FIRST_SECTION, *ARTICLE_HEADINGS]
    assert article_chunks[0].text.startswith("The experience of feeling pain behind")


def test_no_chunk_spans_two_sections(article_chunks):
    source = ARTICLE.read_text(encoding="utf-8")
    heading_starts = [source.index(h + "\n") for h in ARTICLE_HEADINGS]
    for chunk in article_chunks:
        assert not any(chunk.start <= h < chunk.end for h in heading_starts)
        assert not any(h in chunk.text for h in ARTICLE_HEADINGS)
        before = [h for h, at in zip(ARTICLE_HEADINGS, heading_starts, strict=True) if at < chunk.start]
        assert chunk.section == (before[-1] if before else FIRST_SECTION)


def test_no_sentence_is_lost(article_chunks):
    source = ARTICLE.read_text(encoding="utf-8")
    body = "\n".join(line for line in source.splitlines() if line.strip() not in ARTICLE_HEADINGS)
    sentences = naive_sentences(body)
    assert len(sentences) > 40
    for sentence in sentences:
        assert any(sentence in c.text for c in article_chunks), sentence


def test_every_character_of_text_is_covered(article_chunks):
    source = ARTICLE.read_text(encoding="utf-8")
    covered = [False] * len(source)
    for chunk in article_chunks:
        covered[chunk.start:chunk.end] = [True] * (chunk.end - chunk.start)
    for line in ARTICLE_HEADINGS:
        at = source.index(line + "\n")
        covered[at:at + len(line)] = [True] * len(line)
    missing = [i for i, ch in enumerate(source) if not ch.isspace() and not covered[i]]
    assert missing == []


def test_positions_are_paragraph_order(article_chunks):
    assert [c.position for c in article_chunks] == sorted(c.position for c in article_chunks)
    assert len({c.position for c in article_chunks}) == len(article_chunks)


def test_long_paragraphs_split_at_sentence_boundaries(tmp_path):
    sentences = [f"Sentence number {i} talks about the knee and the hamstring stretch." for i in range(30)]
    doc = tmp_path / "long.txt"
    doc.write_text("A heading\n" + " ".join(sentences) + "\n", encoding="utf-8")
    chunks = chunks_of(doc, ChunkSettings(max_chars=300, min_chars=50))
    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk.text) <= 300
        assert chunk.text.endswith(".") and chunk.text[0].isupper()
        assert chunk.section == "A heading"
        assert chunk.position == 0
    for sentence in sentences:
        assert sum(sentence in c.text for c in chunks) == 1


def test_a_sentence_longer_than_the_limit_is_cut_not_lost(tmp_path):
    doc = tmp_path / "run-on.txt"
    text = " ".join(["word"] * 200) + "."
    doc.write_text(text, encoding="utf-8")
    chunks = chunks_of(doc, ChunkSettings(max_chars=100, min_chars=10))
    assert all(len(c.text) <= 100 for c in chunks)
    assert sum(c.text.count("word") for c in chunks) == 200


def test_markdown_headings_fences_and_short_paragraphs(tmp_path):
    doc = tmp_path / "010_safety.md"
    doc.write_text(
        "Lead paragraph before any heading. It has two sentences.\n\n"
        "# Safety beyond the guidance\n\n"
        "Short one.\n\n"
        "Another short paragraph that follows it.\n\n"
        "## Calf clots\n\n"
        "A swollen, warm or red calf needs urgent care.\n"
        "Seek help the same day.\n\n"
        "```\n# not a heading\n```\n\n"
        "Underlined heading\n"
        "------------------\n\n"
        "- first item\n- second item\n",
        encoding="utf-8",
    )
    chunks = chunks_of(doc)
    by_section = {}
    for c in chunks:
        by_section.setdefault(c.section, []).append(c.text)
    assert list(by_section) == [FIRST_SECTION, "Safety beyond the guidance", "Calf clots", "Underlined heading"]
    # Short paragraphs merge with the next one in the same section, never across a heading.
    assert by_section["Safety beyond the guidance"] == ["Short one.\n\nAnother short paragraph that follows it."]
    assert "# not a heading" in by_section["Calf clots"][-1]
    assert by_section["Underlined heading"] == ["- first item\n- second item"]
    assert not any(c.text.startswith("#") and "not a heading" not in c.text for c in chunks)


def test_plain_text_heading_rule(tmp_path):
    doc = tmp_path / "notes.txt"
    doc.write_text("Title Line\nA sentence ends here.\nNot a heading, it ends with a comma,\n"
                   "what about this lower-case line\n", encoding="utf-8")
    chunks = chunks_of(doc, ChunkSettings(min_chars=0))
    assert {c.section for c in chunks} == {"Title Line"}
    assert [c.text for c in chunks] == ["A sentence ends here.", "Not a heading, it ends with a comma,",
                                        "what about this lower-case line"]


def test_ids_are_stable_across_rebuilds_and_unrelated_edits(tmp_path, corpus_copy):
    before = {c.text: c.id for c in load_chunks(corpus_copy)}
    assert {c.text: c.id for c in load_chunks(corpus_copy)} == before
    path = corpus_copy / ARTICLE.name
    text = path.read_text(encoding="utf-8")
    edited = text.replace("The meniscus, a C-shaped", "The meniscus, a C‑shaped (edited)")
    path.write_text("An extra opening paragraph about knees.\n" + edited, encoding="utf-8")
    after = {c.text: c.id for c in load_chunks(corpus_copy)}
    unchanged = [t for t in before if t in after]
    assert len(unchanged) == len(before) - 2  # the edited paragraph and the merged first one
    assert all(after[t] == before[t] for t in unchanged)
    assert len(set(after.values())) == len(after)


def test_chunks_are_frozen(article_chunks):
    with pytest.raises(dataclasses.FrozenInstanceError):
        article_chunks[0].text = "changed"  # type: ignore[misc]


def test_shipped_corpus_loads_sorted_with_the_article_first():
    docs = load_documents(CORPUS_DIR)
    assert docs[0].name == ARTICLE.name
    assert [d.name for d in docs] == sorted(d.name for d in docs)
    assert load_chunks(CORPUS_DIR)


def test_only_guidance_files_are_read(corpus_copy):
    (corpus_copy / "README.md").write_text("# About this folder\n", encoding="utf-8")
    (corpus_copy / ".draft.md").write_text("# Draft\n", encoding="utf-8")
    (corpus_copy / "notes.json").write_text("{}", encoding="utf-8")
    assert [d.name for d in load_documents(corpus_copy)] == [ARTICLE.name]


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match=r"has no \.txt or \.md"):
        load_chunks(tmp_path)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_chunks(tmp_path / "nowhere")


def test_non_utf8_file_is_named(corpus_copy):
    (corpus_copy / "020_latin1.txt").write_bytes("Caf\xe9 knees.\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"020_latin1\.txt is not UTF-8"):
        load_chunks(corpus_copy)


@pytest.mark.parametrize("content", ["", "   \n\n", "# Only a heading\n\n## And another\n"])
def test_file_without_text_is_named(corpus_copy, content):
    (corpus_copy / "030_empty.md").write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=r"030_empty\.md has no text"):
        load_chunks(corpus_copy)


def test_byte_order_mark_is_not_part_of_a_chunk(tmp_path):
    doc = tmp_path / "bom.txt"
    doc.write_bytes("\ufeffThe first line of text.\n".encode())
    (chunk,) = chunks_of(doc)
    assert chunk.text == "The first line of text."
    assert read_document(doc).text[chunk.start:chunk.end] == chunk.text
