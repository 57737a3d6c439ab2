"""Hybrid retrieval: dense (FAISS) and BM25 rankings fused by reciprocal rank fusion.

A relevance floor decides whether the guidance answers the question at all: the best passage's
similarity must reach a floor that is lower the more distinctive guidance words the query uses.
Below it `search` returns [] ("nothing in the guidance answers this") rather than weak passages.
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from rank_bm25 import BM25Okapi

from bot.datafile import read_yaml
from bot.errors import ModelError, RulesError
from bot.guidance.corpus import Chunk
from bot.guidance.embedding import Embedder
from bot.guidance.index import LoadedIndex, embed_text
from bot.reply import Citation

Method = Literal["dense", "bm25", "hybrid"]
METHODS: tuple[Method, ...] = ("dense", "bm25", "hybrid")
Ranked = tuple[int, float, tuple[str, ...]]  # chunk position, score, retrievers that found it

_STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just me more most my myself no nor
not now of off on once only or other our out over own same she should so some such than that the their
them then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yourself im ive dont cant get got feel feels
""".split())
# People describe symptoms in everyday words; the guidance uses clinical ones. Queries are expanded
# with the guidance's terms for common lay phrasings before either retriever sees them.
LAY_TERMS_PATH = Path(__file__).resolve().parent.parent / "data" / "lay_terms.yaml"


def load_lay_terms(path: Path = LAY_TERMS_PATH) -> dict[str, str]:
    """Everyday word -> guidance words, from packaged YAML, checked on load."""
    data = read_yaml(path, "lay terms")
    if not isinstance(data, dict):
        raise RulesError(f"{path}: must map everyday words to guidance words")
    for key, value in data.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key.strip() or not value.strip():
            raise RulesError(f"{path}: entry {key!r}: both the word and its expansion must be non-empty text")
    return {key.casefold(): value for key, value in data.items()}


LAY_TERMS = load_lay_terms()
_LAY = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(LAY_TERMS, key=len, reverse=True))) + r")\b")
_WORD = re.compile(r"[a-z0-9]+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "`": "'"})


def normalise(text: str) -> str:
    """Case-folded text with typographic quotes made plain and whitespace collapsed."""
    return " ".join(text.translate(_QUOTES).casefold().split())


def stem(word: str) -> str:
    """A light suffix-stripping stemmer: stretch/stretching, glide/gliding, attach/attachment, tight/tightness."""
    for suffix, keep in (("ness", ""), ("ments", ""), ("ment", ""), ("ies", "y"), ("ing", ""), ("ed", ""),
                         ("es", ""), ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes")):
                continue
            word = word[: len(word) - len(suffix)] + keep
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # stopped -> stop, but swelling -> swell
            break
    # A final e goes too, so that glide and gliding, cause and caused meet.
    return word[:-1] if len(word) > 3 and word.endswith("e") and not word.endswith("ee") else word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed content words (possessive 's dropped, stopwords removed)."""
    text = normalise(text).replace("'s ", " ").replace("'", "")
    return [stem(w) for w in _WORD.findall(text) if w not in _STOPWORDS]


def expand_query(query: str) -> str:
    """The query followed by the guidance's terms for any everyday phrasings it uses."""
    extra = [LAY_TERMS[m.group(0)] for m in _LAY.finditer(normalise(query))]
    return " ".join([query, *extra])


@dataclass(frozen=True)
class RetrievalSettings:
    """Fusion constant and depth, the weight of a passage's best sentence, and the relevance floor.

    A query is answerable when its best passage's similarity reaches a floor that is lower the more
    of its words (or everyday phrases) are distinctive words of the guidance: none, one, two or more;
    or when it is at least min_question_similarity close to a question a passage answers.
    A passage is shown when its similarity reaches min_result_similarity or it has such a word.
    """

    rrf_k: int = 10
    candidates: int = 20
    sentence_weight: float = 0.7
    question_weight: float = 1.0  # a passage is as close as its closest question, times this
    framing_weight: float = 0.95  # an introduction (framing: true) scores this much of its similarity
    min_similarity: float = 0.45
    min_similarity_one_word: float = 0.30
    min_similarity_two_words: float = 0.10
    min_result_similarity: float = 0.20
    min_question_similarity: float = 0.55  # this close to a passage's question answers, whatever the floor


DEFAULT_RETRIEVAL = RetrievalSettings()


class Retriever:
    """Searches a loaded index with dense, BM25 or fused rankings."""

    def __init__(self, index: LoadedIndex, embedder: Embedder,
                 settings: RetrievalSettings = DEFAULT_RETRIEVAL):
        self.index, self.embedder, self.settings = index, embedder, settings
        self.chunks: tuple[Chunk, ...] = index.chunks
        self._bm25 = BM25Okapi([tokenize(" ".join([embed_text(c), *c.questions])) for c in self.chunks])
        self._normalised = [normalise(c.text) for c in self.chunks]
        self._words = [set(tokenize(embed_text(c))) for c in self.chunks]
        self._df = Counter(w for words in self._words for w in words)
        self._common = max(1, len(self.chunks) // 2)
        self._vectors: dict[str, np.ndarray | Future[np.ndarray]] = {}
        self._first_question_row = index.vectors.ntotal - sum(len(c.questions) for c in self.chunks)
        self._framing = np.array([c.framing for c in self.chunks], dtype=bool)
        self._lock = threading.Lock()

    def prefetch(self, query: str) -> None:
        """Begin embedding a query that is about to be searched, where the embedder can work alongside the caller
        (the lean path's runtime): a turn's question is embedded while the rules read the message."""
        start = getattr(self.embedder, "start", None)
        text = expand_query(query)
        if start is None or not tokenize(query) or text in self._vectors:
            return
        try:
            self._keep(text, start(text))
        except ModelError:  # the search embeds it again and says what is wrong
            return

    def _keep(self, text: str, vector: np.ndarray | Future[np.ndarray]) -> None:
        with self._lock:  # a small cache: evaluation and replies repeat queries; channels use threads
            if text not in self._vectors and len(self._vectors) >= 256:
                self._vectors.pop(next(iter(self._vectors)))
            self._vectors[text] = vector

    def _dense(self, query: str) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Chunk positions by descending similarity, every chunk's similarity, and that of its own words.

        A chunk's own similarity mixes the cosine of the whole passage with that of its best sentence;
        its similarity is the larger of that and its closest question's (an introduction's is scaled
        down). The relevance floor reads the own similarity: a question row must not make "how do I fix
        my car" look answerable.
        """
        text = expand_query(query)
        cached = self._vectors.get(text)
        vector = cached
        if isinstance(cached, Future):  # begun by `prefetch`; one that failed is done again here, failing here
            vector = cached.result() if cached.exception() is None else None
        if vector is None:
            vector = self.embedder.encode([text])
        if vector is not cached:
            self._keep(text, vector)
        rows = self.index.vectors.ntotal
        scores, ids = self.index.vectors.search(vector, rows)
        by_row = np.full(rows, -1.0, dtype=np.float32)
        by_row[ids[0]] = scores[0]
        n, q0 = len(self.chunks), self._first_question_row
        best_sentence = np.full(n, -1.0, dtype=np.float32)
        np.maximum.at(best_sentence, self.index.owners[n:q0], by_row[n:q0])
        best_question = np.full(n, -1.0, dtype=np.float32)
        np.maximum.at(best_question, self.index.owners[q0:], by_row[q0:])
        s = self.settings
        w = s.sentence_weight
        own = (1 - w) * by_row[:n] + w * np.where(best_sentence > -1, best_sentence, by_row[:n])
        sims = np.maximum(own, s.question_weight * best_question)
        sims = np.where(self._framing, sims * s.framing_weight, sims)
        return [int(i) for i in np.argsort(-sims, kind="stable")], sims, own

    def _bm25_ranking(self, query: str) -> tuple[list[int], np.ndarray]:
        tokens = tokenize(expand_query(query))
        scores = self._bm25.get_scores(tokens) if tokens else np.zeros(len(self.chunks))
        order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
        return order, scores

    def _rank(self, query: str, method: Method, k: int) -> tuple[list[Ranked], np.ndarray, np.ndarray]:
        """(chunk position, score, found_by) best first, plus the chunks' dense similarities and their own
        words' similarities (zeros for bm25).

        found_by names the retrievers that rank the chunk in their own top k (else in their candidates).
        """
        if method not in METHODS:
            raise ValueError(f"unknown retrieval method {method!r}; must be one of {', '.join(METHODS)}")
        n = len(self.chunks)
        if n == 0:
            return [], np.zeros(0), np.zeros(0)
        if method == "bm25":
            order, scores = self._bm25_ranking(query)
            return [(i, float(scores[i]), ("bm25",)) for i in order], np.zeros(n), np.zeros(n)
        dense, sims, own = self._dense(query)
        if method == "dense":
            return [(i, float(sims[i]), ("dense",)) for i in dense], sims, own
        bm25, _ = self._bm25_ranking(query)
        c, depth = self.settings.rrf_k, self.settings.candidates
        fused: dict[int, float] = {}
        top: dict[int, list[str]] = {}
        anywhere: dict[int, list[str]] = {}
        for name, ranking in (("dense", dense[:depth]), ("bm25", bm25[:depth])):
            for rank, i in enumerate(ranking):
                fused[i] = fused.get(i, 0.0) + 1.0 / (c + rank + 1)
                anywhere.setdefault(i, []).append(name)
                top.setdefault(i, []).extend([name] if rank < k else [])
        for i in fused:
            if self._framing[i]:
                fused[i] *= self.settings.framing_weight
        best = 2.0 / (c + 1)  # first in both rankings: a fused score of 1.0
        order = sorted(fused, key=lambda i: (-fused[i], -sims[i]))
        return [(i, fused[i] / best, tuple(top[i] or anywhere[i])) for i in order], sims, own

    def _citation(self, i: int, score: float | None, found_by: tuple[str, ...]) -> Citation:
        chunk = self.chunks[i]
        return Citation(chunk.id, chunk.source, chunk.section, chunk.text,
                        None if score is None else round(score, 4), found_by)

    def search_by(self, query: str, k: int = 5, method: Method = "hybrid") -> list[Citation]:
        """The top k passages by one method, with no relevance floor (for evaluation).

        Scores: cosine for dense, BM25 for bm25, and for hybrid the fused score scaled so that 1.0
        means first in both rankings.
        """
        ranked, _, _ = self._rank(query, method, k)
        return [self._citation(i, s, f) for i, s, f in ranked[:k]]

    def _evidence(self, query: str) -> tuple[set[int], int]:
        """Chunks sharing a distinctive word (in at most half the chunks) with the query, and how many
        of the query's words or everyday phrases have one."""
        def distinctive(word: str) -> bool:
            return 0 < self._df.get(word, 0) <= self._common

        units = {frozenset([w]) for w in tokenize(query)}
        units |= {frozenset(tokenize(LAY_TERMS[m.group(0)])) for m in _LAY.finditer(normalise(query))}
        matched = [u for u in units if any(distinctive(w) for w in u)]
        terms = {w for u in matched for w in u if distinctive(w)}
        return {i for i, words in enumerate(self._words) if words & terms}, len(matched)

    def _answerable(self, own: np.ndarray, sims: np.ndarray, matched: int) -> bool:
        best = float(own.max()) if len(own) else -1.0
        s = self.settings
        floor = s.min_similarity if matched == 0 else s.min_similarity_one_word if matched == 1 \
            else s.min_similarity_two_words
        return best >= floor or (len(sims) > 0 and float(sims.max()) >= s.min_question_similarity)

    def relevant(self, query: str) -> bool:
        """Whether anything in the guidance is close enough to the query to answer it."""
        if not tokenize(query) or not self.chunks:
            return False
        _, sims, own = self._dense(query)
        return self._answerable(own, sims, self._evidence(query)[1])

    def search(self, query: str, k: int = 5) -> list[Citation]:
        """The best k passages by fused ranking (scored as in search_by), or [] when nothing answers it."""
        if not tokenize(query) or not self.chunks:
            return []
        ranked, sims, own = self._rank(query, "hybrid", k)
        hits, matched = self._evidence(query)
        if not self._answerable(own, sims, matched):
            return []
        kept = [r for r in ranked if sims[r[0]] >= self.settings.min_result_similarity or r[0] in hits]
        return [self._citation(i, s, f) for i, s, f in kept[:k]]

    def passage(self, phrase: str) -> Citation:
        """The first chunk containing the phrase verbatim (case- and quote-insensitive); KeyError if none."""
        needle = normalise(phrase)
        for i, text in enumerate(self._normalised):
            if needle and needle in text:
                return self._citation(i, None, ())
        raise KeyError(f"no passage contains {phrase!r}")
