"""The schema of data/red_flags.yaml: cues, rules and the timeline phrases, validated before compiling."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.ids import Triage


class CueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    re: str
    vague: bool = False
    clear_if: list[str] = []
    unless: list[str] = []
    scope: Literal["overlap", "sentence"] = "overlap"
    clear_in: Literal["sentence", "message"] = "sentence"
    anywhere: bool = False  # the finding has no place (a fever): the rule's `elsewhere` does not apply
    # anywhere in the message, not negated, says the hit is not the sign ("gone the second I let go"), unless
    # the message tells it lasting (`clear_if`, not negated): silent
    unless_told: list[str] = []


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    triage: Triage
    question: str
    why: str
    cite: str
    source: str
    not_about: list[str] = []
    ask_if: list[str] = []
    # anywhere in the hit's sentence, past a "but" too, says what may explain it (a heat pack on a warm knee): ask
    ask_told: list[str] = []
    silent_if: list[str] = []
    elsewhere: list[str] = []
    cues: list[CueSpec]


class TimelineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_days: float
    modifying: list[str]
    improving: list[str]
    not_improving: list[str]
    pain: list[str]


class FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    defs: dict[str, str] = {}
    rules: dict[str, RuleSpec]
    timeline: TimelineSpec
