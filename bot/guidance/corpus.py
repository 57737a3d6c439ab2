"""Guidance documents turned into section-aware chunks.

Every chunk's text is an exact slice of its source file (`source_text[start:end]`), so a citation
is always verbatim. A chunk never spans two sections: paragraphs are the unit, short paragraphs are
merged with the next one in the same section, long ones are split at sentence boundaries.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.errors import CorpusError
from bot.guidance.questions import attach

# Bump when chunk boundaries or ids would change for the same input; the index manifest records it.
CHUNKER_VERSION = 1
SUFFIXES = (".txt", ".md")
FIRST_SECTION = "Introduction"

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_CLOSING = tuple(".!?:;,…)]\"'”’")
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "dr.", "mr.", "mrs.", "ms.", "st.", "approx.", "cf.")


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into chunks (recorded in the index manifest)."""

    max_chars: int = 800
    min_chars: int = 150

    def to_dict(self) -> dict:
        """A JSON-ready form, including the chunker version."""
        return {**asdict(self), "chunker_version": CHUNKER_VERSION}


DEFAULT_CHUNKING = ChunkSettings()


@dataclass(frozen=True)
class Chunk:
    """A verbatim passage: `text == source_text[start:end]`; position is its paragraph's index."""

    id: str
    source: str
    section: str
    text: str
    start: int
    end: int
    position: int
    questions: tuple[str, ...] = ()  # what people ask that this passage answers (bot.guidance.questions)
    framing: bool = False  # an introduction: its own wording must not outrank the passage that answers
    listed: bool = False  # named in a question file (an empty list there means: answers nothing)

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", tuple(self.questions))  # JSON gives a list

    def to_dict(self) -> dict:
        """A JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class Document:
    """One corpus file, decoded."""

    name: str
    path: Path
    text: str
    sha256: str


@dataclass(frozen=True)
class _Block:
    section: str
    start: int
    end: int


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The guidance files in a folder, sorted by name (hidden files and README.* are skipped)."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist or is not a folder")
    files = sorted(
        p for p in corpus_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES
        and not p.name.startswith((".", "_")) and not p.stem.upper() == "README"
    )
    if not files:
        raise CorpusError(f"corpus folder {corpus_dir} has no .txt or .md guidance files")
    return files


def read_document(path: Path) -> Document:
    """Read one file as UTF-8, with a clear error naming it when it cannot be used."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read corpus file {path}: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"corpus file {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    return Document(path.name, path, text, hashlib.sha256(data).hexdigest())


def load_documents(corpus_dir: Path) -> list[Document]:
    """Every guidance document in the folder, sorted by file name."""
    return [read_document(p) for p in corpus_files(corpus_dir)]


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, without its line break."""
    spans, pos = [], 0
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        spans.append((pos, pos + len(stripped)))
        pos += len(line)
    return spans


def is_text_heading(line: str) -> bool:
    """A plain-text heading: a short line that starts with a capital and has no closing punctuation."""
    s = line.strip()
    return (0 < len(s) <= 90 and len(s.split()) <= 12 and (s[0].isupper() or s[0].isdigit())
            and not s.endswith(_CLOSING))


def _blocks(doc: Document) -> list[_Block]:
    """Paragraph spans with their section: blank-line paragraphs in Markdown, lines in plain text."""
    text, markdown = doc.text, doc.path.suffix.lower() == ".md"
    section, blocks = FIRST_SECTION, []
    para: list[tuple[int, int]] = []
    in_fence = False

    def flush() -> None:
        if para:
            blocks.append(_Block(section, para[0][0], para[-1][1]))
            para.clear()

    lines = _lines(text)
    for a, b in lines:
        line = text[a:b]
        if not line.strip() or line.strip() == "\ufeff":
            flush()
            continue
        if markdown:
            if _FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence and (m := _MD_HEADING.match(line)):
                flush()
                section = m.group(2).strip() or section
                continue
            elif not in_fence and _MD_SETEXT.match(line) and len(para) <= 1:
                # A setext heading (one line underlined with === or ---), or a thematic break.
                if para:
                    section = text[para[0][0]:para[0][1]].strip()
                    para.clear()
                continue
            para.append((a, b))
        else:
            flush()
            if is_text_heading(line.lstrip("\ufeff")):
                section = line.strip().lstrip("\ufeff")
            else:
                para.append((a, b))
    flush()
    return [_trim(text, blk) for blk in blocks]


def _trim(text: str, blk: _Block) -> _Block:
    a, b = blk.start, blk.end
    while a < b and (text[a].isspace() or text[a] == "\ufeff"):
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return _Block(blk.section, a, b)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence in text[start:end]; line breaks also end a sentence."""
    end = len(text) if end is None else end
    cuts = [start]
    for m in _SENTENCE_END.finditer(text, start, end):
        word = text[max(start, text.rfind(" ", start, m.end()) + 1):m.end()].lower()
        if word not in _ABBREVIATIONS:
            cuts.append(m.end())
    cuts.extend(i + 1 for i in range(start, end) if text[i] == "\n")
    cuts = sorted(set(cuts)) + [end]
    spans = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def _split_long(text: str, a: int, b: int, max_chars: int) -> list[tuple[int, int]]:
    """Pack sentences of text[a:b] into spans of at most max_chars (a longer sentence is cut at spaces)."""
    units: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, a, b):
        while e - s > max_chars:
            cut = text.rfind(" ", s, s + max_chars)
            cut = cut if cut > s else s + max_chars
            units.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        units.append((s, e))
    spans: list[tuple[int, int]] = []
    for s, e in units:
        if spans and e - spans[-1][0] <= max_chars:
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return spans


def chunk_id(source: str, section: str, text: str) -> str:
    """A stable id: the same source, section and text always give the same id."""
    return hashlib.sha256(f"{source}\x00{section}\x00{text}".encode()).hexdigest()[:16]


def chunk_document(doc: Document, settings: ChunkSettings = DEFAULT_CHUNKING) -> list[Chunk]:
    """Cut one document into chunks; raises CorpusError when it has no text."""
    blocks = _blocks(doc)
    if not blocks:
        raise CorpusError(f"corpus file {doc.path} has no text (only blank lines or headings)")
    # Merge a short paragraph with the next one when both are in the same section.
    groups: list[tuple[_Block, int]] = []  # (span, position of the first paragraph)
    for pos, blk in enumerate(blocks):
        if groups:
            prev, ppos = groups[-1]
            if (prev.section == blk.section and prev.end - prev.start < settings.min_chars
                    and blk.end - prev.start <= settings.max_chars):
                groups[-1] = (_Block(blk.section, prev.start, blk.end), ppos)
                continue
        groups.append((blk, pos))
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for blk, pos in groups:
        for a, b in _split_long(doc.text, blk.start, blk.end, settings.max_chars):
            text = doc.text[a:b]
            cid = chunk_id(doc.name, blk.section, text)
            seen[cid] = seen.get(cid, 0) + 1
            if seen[cid] > 1:  # identical passage repeated in one section
                cid = f"{cid}-{seen[cid]}"
            chunks.append(Chunk(cid, doc.name, blk.section, text, a, b, pos))
    return chunks


def load_chunks(corpus_dir: Path, settings: ChunkSettings = DEFAULT_CHUNKING) -> list[Chunk]:
    """All chunks of the corpus, in file order then text order."""
    return attach([c for doc in load_documents(corpus_dir) for c in chunk_document(doc, settings)], corpus_dir)
