"""Blind-written red-flag message sets, and how the detector does on them.

A set is a YAML file written by someone who has not seen the rules, the code or the other sets:

    round: fresh-f2            # train-rN (training), fresh-fN (measuring), regression once tuned on
    writer: f2
    note: "styles it focuses on"
    messages:
      - {text: "...", flags: [knee_instability], style: slang, kind: report}
      - {text: "...", flags: [], style: plain, kind: other_person}      # [] = must stay silent

`measure` counts, over the (message, flag) pairs a set labels, the flags recorded directly and those
recorded or asked by the flag's own question; over silent messages, the false alarms (any flag
recorded) and questions (any flag asked, none recorded).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.datafile import SafeLoader
from bot.errors import DialogueFileError
from bot.ids import RedFlag
from bot.safety.rules import ScanResult

EMERGENCY = (RedFlag.CAUDA_EQUINA_SIGNS, RedFlag.CHEST_PAIN_OR_BREATHLESS)


@dataclass(frozen=True)
class Message:
    """One labelled message of a blind set."""

    text: str
    flags: frozenset[RedFlag]
    style: str = ""
    kind: str = ""
    source: str = ""


def load_set(path: Path | str) -> list[Message]:
    """The messages of one blind-set file; DialogueFileError names the file and entry that is wrong."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)  # a key given twice is an error
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DialogueFileError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise DialogueFileError(f"{path}: expected a mapping with a 'messages' list")
    out = []
    for i, m in enumerate(data["messages"]):
        if not isinstance(m, dict) or not isinstance(m.get("text"), str) or not isinstance(m.get("flags"), list):
            raise DialogueFileError(f"{path}: messages[{i}] needs 'text' (a string) and 'flags' (a list)")
        try:
            flags = frozenset(RedFlag(f) for f in m["flags"])
        except ValueError as exc:
            raise DialogueFileError(f"{path}: messages[{i}]: {exc}") from None
        out.append(Message(m["text"], flags, str(m.get("style") or ""), str(m.get("kind") or ""), path.name))
    return out


def load_tables(tables: Path | str) -> list[Message]:
    """The project's own tables (`<flag>.yaml` record lists, silent.yaml) as labelled messages."""
    tables, out = Path(tables), []
    for flag in RedFlag:
        data = yaml.safe_load((tables / f"{flag}.yaml").read_text(encoding="utf-8")) or {}
        out += [Message(t, frozenset({flag}), source=f"{flag}.yaml") for t in data.get("record") or []]
    silent = yaml.safe_load((tables / "silent.yaml").read_text(encoding="utf-8")) or {}
    out += [Message(t, frozenset(), kind=k, source="silent.yaml") for k, items in silent.items() for t in items]
    return out


def load_sets(paths: Iterable[Path | str]) -> list[Message]:
    """Every message of the given files, folders expanded to their *.yaml files."""
    out: list[Message] = []
    for p in paths:
        p = Path(p)
        for f in sorted(p.glob("*.yaml")) if p.is_dir() else [p]:
            out += load_set(f)
    return out


@dataclass
class Counts:
    """Figures of one run over one or more sets."""

    pairs: int = 0
    recorded: int = 0
    asked: int = 0
    silent_miss: int = 0
    no_question: int = 0  # flag messages that got neither a record nor any question
    silent: int = 0
    false_alarms: int = 0
    silent_asked: int = 0
    per_flag: dict[str, list[int]] = field(default_factory=dict)  # flag -> [pairs, recorded, recorded or asked]
    misses: list[tuple[str, str]] = field(default_factory=list)
    alarms: list[tuple[str, str]] = field(default_factory=list)

    def rate(self, part: int, whole: int) -> float:
        """part / whole, 0 when whole is 0."""
        return part / whole if whole else 0.0

    def summary(self) -> dict[str, Any]:
        """The headline figures, machine-readable."""
        emergency = [self.per_flag.get(str(f), [0, 0, 0]) for f in EMERGENCY]
        e_pairs, e_rec = sum(e[0] for e in emergency), sum(e[1] for e in emergency)
        return {
            "flag_pairs": self.pairs,
            "recorded_directly": round(self.rate(self.recorded, self.pairs), 4),
            "recorded_or_asked": round(self.rate(self.recorded + self.asked, self.pairs), 4),
            "silent_misses": self.silent_miss,
            "messages_with_no_question": self.no_question,
            "emergency_recorded_directly": round(self.rate(e_rec, e_pairs), 4),
            "emergency_pairs": e_pairs,
            "silent_messages": self.silent,
            "false_alarms": round(self.rate(self.false_alarms, self.silent), 4),
            "silent_asked": round(self.rate(self.silent_asked, self.silent), 4),
            "per_flag": {f: {"pairs": v[0], "recorded": round(self.rate(v[1], v[0]), 4),
                             "recorded_or_asked": round(self.rate(v[2], v[0]), 4)}
                         for f, v in sorted(self.per_flag.items())},
        }


def measure(messages: list[Message], scan: Callable[[str], ScanResult]) -> Counts:
    """Run `scan` over every message and count (see the module docstring)."""
    c = Counts()
    for m in messages:
        result = scan(m.text)
        recorded, asked = set(result.recorded), set(result.to_confirm)
        if not m.flags:
            c.silent += 1
            if recorded:
                c.false_alarms += 1
                c.alarms.append((m.text, ",".join(sorted(recorded))))
            elif asked:
                c.silent_asked += 1
            continue
        if not recorded and not asked:
            c.no_question += 1
        for flag in m.flags:
            row = c.per_flag.setdefault(str(flag), [0, 0, 0])
            c.pairs += 1
            row[0] += 1
            if flag in recorded:
                c.recorded += 1
                row[1] += 1
                row[2] += 1
            elif flag in asked:
                c.asked += 1
                row[2] += 1
            else:
                c.silent_miss += 1
                c.misses.append((m.text, str(flag)))
    return c


def format_counts(name: str, c: Counts) -> str:
    """A plain-text table of the figures."""
    s = c.summary()
    lines = [
        f"{name}: {c.pairs} flag reports, {c.silent} silent messages",
        f"  recorded directly        {s['recorded_directly']:.1%}",
        f"  recorded or asked        {s['recorded_or_asked']:.1%}   (silent misses: {c.silent_miss}; "
        f"flag messages with no question at all: {c.no_question})",
        f"  emergency recorded       {s['emergency_recorded_directly']:.1%} of {s['emergency_pairs']}",
        f"  false alarms (silent)    {s['false_alarms']:.1%}   ({c.false_alarms})",
        f"  asked on silent          {s['silent_asked']:.1%}   ({c.silent_asked})",
        "  per flag (pairs, recorded, recorded or asked):",
    ]
    for flag, v in s["per_flag"].items():
        lines.append(f"    {flag:26s} {v['pairs']:4d}  {v['recorded']:6.1%}  {v['recorded_or_asked']:6.1%}")
    return "\n".join(lines)

