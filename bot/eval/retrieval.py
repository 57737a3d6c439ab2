"""Retrieval evaluation on labelled queries (SPEC query-file format): recall@k and MRR per retriever."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import DialogueFileError
from bot.guidance.retrieval import METHODS, Retriever, normalise
from bot.reply import Citation

KS = (1, 3, 5)
METRICS = ("recall@1", "recall@3", "recall@5", "mrr", "queries")


@dataclass(frozen=True)
class LabelledQuery:
    """A question and the phrases any one of which marks a passage as answering it."""

    q: str
    relevant: tuple[str, ...]
    line: int = 0


def _where(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _string(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise DialogueFileError(f"{_where(path, node)}: {what} must be non-empty text")
    return str(node.value)


def load_queries(path: Path) -> list[LabelledQuery]:
    """Parse a `queries:` file; DialogueFileError names the line and key of any problem."""
    path = Path(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DialogueFileError(f"cannot read query file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise DialogueFileError(f"query file {path} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise DialogueFileError(f"query file {path} is not valid YAML: {exc}") from None
    if not isinstance(root, yaml.MappingNode):
        raise DialogueFileError(f"{path}: must be a mapping with a `queries:` list")
    top = {k.value: v for k, v in root.value}
    if set(top) != {"queries"}:
        extra = sorted(set(top) - {"queries"})
        raise DialogueFileError(f"{path}: expected only the key `queries`, got {extra or 'none'}")
    items = top["queries"]
    if not isinstance(items, yaml.SequenceNode) or not items.value:
        raise DialogueFileError(f"{_where(path, items)}: `queries` must be a non-empty list")
    out = []
    for n, item in enumerate(items.value, 1):
        if not isinstance(item, yaml.MappingNode):
            raise DialogueFileError(f"{_where(path, item)}: query {n} must be a mapping "
                                    "with `q` and `relevant`")
        fields = {k.value: (k, v) for k, v in item.value}
        for key, (knode, _) in fields.items():
            if key not in ("q", "relevant", "style"):
                raise DialogueFileError(f"{_where(path, knode)}: query {n} has unknown key `{key}` "
                                        "(allowed: q, relevant, style)")
        for key in ("q", "relevant"):
            if key not in fields:
                raise DialogueFileError(f"{_where(path, item)}: query {n} lacks `{key}`")
        q = _string(path, fields["q"][1], f"`q` of query {n}")
        rel = fields["relevant"][1]
        if not isinstance(rel, yaml.SequenceNode) or not rel.value:
            raise DialogueFileError(f"{_where(path, rel)}: `relevant` of query {n} must be a non-empty list")
        phrases = tuple(_string(path, p, f"a `relevant` phrase of query {n}") for p in rel.value)
        out.append(LabelledQuery(q, phrases, item.start_mark.line + 1))
    return out


def is_relevant(text: str, phrases: Iterable[str]) -> bool:
    """Whether a passage contains any of the phrases (case-insensitive, typographic quotes folded)."""
    haystack = normalise(text)
    return any(normalise(p) in haystack for p in phrases)


def _check_labels(retriever: Retriever, queries: list[LabelledQuery]) -> None:
    """Raise DialogueFileError for a query whose phrases match no passage of the corpus at all."""
    for query in queries:
        if not any(is_relevant(c.text, query.relevant) for c in retriever.chunks):
            raise DialogueFileError(f"line {query.line}: no passage in the corpus contains any of "
                                    f"{list(query.relevant)} (query {query.q!r})")


def _first_relevant_rank(ranked: list[Citation], phrases: tuple[str, ...]) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    for rank, citation in enumerate(ranked, 1):
        if is_relevant(citation.text, phrases):
            return rank
    return None


def evaluate(retriever: Retriever, queries: list[LabelledQuery]) -> dict[str, dict[str, float]]:
    """Recall@1/3/5 and MRR per method, in the SPEC JSON shape {"dense": M, "bm25": M, "hybrid": M}."""
    _check_labels(retriever, queries)
    depth = len(retriever.chunks)
    results: dict[str, dict[str, float]] = {}
    for method in METHODS:
        ranks = [_first_relevant_rank(retriever.search_by(q.q, depth, method), q.relevant) for q in queries]
        n = len(ranks)
        metrics = {f"recall@{k}": sum(r is not None and r <= k for r in ranks) / n for k in KS}
        metrics["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n
        results[method] = {key: round(value, 4) for key, value in metrics.items()} | {"queries": n}
    return results


def format_table(results: dict[str, dict[str, float]]) -> str:
    """The metrics side by side: one row per metric, one column per retriever."""
    methods = [m for m in METHODS if m in results]
    rows = [["metric", *methods]]
    for metric in METRICS:
        cells = [results[m][metric] for m in methods]
        rows.append([metric, *(str(int(c)) if metric == "queries" else f"{c:.3f}" for c in cells)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths,
                                                                                                    strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
