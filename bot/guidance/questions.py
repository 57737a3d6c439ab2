"""Questions each passage answers: reviewed data beside the corpus, one file per document.

`corpus/questions/<document file name>.yaml` lists, for each passage of that document (found by its
opening words), questions people ask that the passage answers. They become extra dense rows that point
to their passage and extra BM25 text for it, so a question in everyday words finds the passage whose
clinical wording it does not share. A passage listed with no questions (a list of sources) is
deliberately answerable by nothing; `thin_passages` names passages with too few.

    document: 000_article.txt
    passages:
      - starts: "The hamstring muscle group is composed"
        framing: false            # an introduction: its own wording must not outrank the answer
        questions: ["which muscles are the hamstrings", ...]
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.datafile import read_yaml
from bot.errors import CorpusError

QUESTIONS_DIR = "questions"
MIN_QUESTIONS = 10


@dataclass(frozen=True)
class PassageQuestions:
    """The questions one passage answers, and whether it only frames the document."""

    document: str
    starts: str
    questions: tuple[str, ...]
    framing: bool = False


def question_files(corpus_dir: Path) -> list[Path]:
    """The question files of a corpus, sorted by name (none is fine: retrieval then uses passages only)."""
    folder = Path(corpus_dir) / QUESTIONS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")
                  and not p.name.startswith((".", "_")))


def file_hashes(corpus_dir: Path) -> dict[str, str]:
    """SHA-256 of each question file, for the index manifest."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in question_files(corpus_dir)}


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CorpusError(f"{where}: must be non-empty text")
    return " ".join(value.split())


def read_questions(path: Path) -> list[PassageQuestions]:
    """One question file, checked: errors name the file and the entry."""
    data = read_yaml(path, "passage questions")
    if not isinstance(data, dict) or set(data) != {"document", "passages"}:
        raise CorpusError(f"{path}: must be a mapping with exactly `document` and `passages`")
    document = _text(data["document"], f"{path}: document")
    if not isinstance(data["passages"], list) or not data["passages"]:
        raise CorpusError(f"{path}: `passages` must be a non-empty list")
    out = []
    for n, entry in enumerate(data["passages"], 1):
        where = f"{path}: passage {n}"
        if not isinstance(entry, dict) or not {"starts", "questions"} <= set(entry) \
                or set(entry) - {"starts", "questions", "framing"}:
            raise CorpusError(f"{where}: must have `starts` and `questions` (and optionally `framing`)")
        questions = entry["questions"]
        if not isinstance(questions, list):
            raise CorpusError(f"{where}: `questions` must be a list")
        framing = entry.get("framing", False)
        if not isinstance(framing, bool):
            raise CorpusError(f"{where}: `framing` must be true or false")
        texts = tuple(_text(q, f"{where}: question {i}") for i, q in enumerate(questions, 1))
        out.append(PassageQuestions(document, _text(entry["starts"], f"{where}: starts"), texts, framing))
    return out


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def attach(chunks: list, corpus_dir: Path) -> list:
    """The chunks with the questions and framing mark of their passage (bot.guidance.corpus.Chunk)."""
    by_doc: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        by_doc.setdefault(c.source, []).append(i)
    out = list(chunks)
    for path in question_files(corpus_dir):
        for n, entry in enumerate(read_questions(path), 1):
            if entry.document not in by_doc:
                raise CorpusError(f"{path}: document {entry.document!r} is not a corpus file")
            starts = _squash(entry.starts)
            hits = [i for i in by_doc[entry.document] if _squash(chunks[i].text).startswith(starts)]
            if len(hits) != 1:
                found = "no passage" if not hits else f"{len(hits)} passages"
                raise CorpusError(f"{path}: passage {n}: {found} of {entry.document} starts with {entry.starts!r}")
            i = hits[0]
            out[i] = replace(out[i], questions=out[i].questions + entry.questions,
                             framing=out[i].framing or entry.framing, listed=True)
    return out


def thin_passages(chunks: list | tuple, minimum: int = MIN_QUESTIONS) -> list:
    """Passages with fewer than `minimum` questions (unlisted ones included; listed-empty ones excluded)."""
    return [c for c in chunks if not (c.listed and not c.questions) and len(c.questions) < minimum]
