"""The word lists messages are read with (data/words.yaml), validated on load: a malformed file, a
missing key or a pattern that does not compile raises RulesError naming the file and the key."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.datafile import describe_validation, read_yaml
from bot.errors import RulesError

DEFAULT_PATH = Path(__file__).parent / "data" / "words.yaml"


class AnswerWords(BaseModel):
    """One kind of short answer and the pattern of its start."""

    model_config = ConfigDict(extra="forbid")
    answer: str
    re: str


class Words(BaseModel):
    """The word lists, each a Python regex (see the file's header)."""

    model_config = ConfigDict(extra="forbid")
    intents: dict[str, str]
    intent_lead: str
    question_start: str
    answer_filler: str
    answers: list[AnswerWords]
    safety_topic: str
    doubt_about: str
    i_am_not: str
    topical: str
    acknowledgement: str
    english: str


@lru_cache(maxsize=4)
def load_words(path: Path = DEFAULT_PATH) -> Words:
    """The validated word lists; every pattern is compiled once here to check it."""
    data = read_yaml(path, "word lists")
    try:
        words = Words.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{path}: {describe_validation(exc)}") from None
    patterns = {f"intents.{k}": v for k, v in words.intents.items()}
    patterns.update({f"answers[{i}]": a.re for i, a in enumerate(words.answers)})
    patterns.update({k: getattr(words, k) for k in ("intent_lead", "question_start", "answer_filler", "safety_topic",
                                                     "doubt_about", "i_am_not", "topical", "acknowledgement",
                                                     "english")})
    for key, pattern in patterns.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise RulesError(f"{path}: {key}: bad pattern: {exc}") from None
    return words


def known(path: Path, kind: str, keys: list[str], allowed: set[str]) -> None:
    """Check that the keys a list names are ids the code knows, naming file and key otherwise."""
    unknown = [k for k in keys if k not in allowed]
    if unknown:
        raise RulesError(f"{path}: {kind}: unknown {', '.join(unknown)}; must be one of {', '.join(sorted(allowed))}")
