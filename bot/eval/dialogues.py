"""Test dialogues in the SPEC format: reading their files, playing them, checking every turn."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.datafile import SafeLoader
from bot.errors import DialogueFileError
from bot.ids import Cause, RedFlag, Triage
from bot.reply import Reply

EXPECT_KEYS = {"red_flags", "no_red_flags", "triage", "asks", "cites", "says", "not_says", "top_cause",
               "causes_include"}


@dataclass(frozen=True)
class Turn:
    """One user message and what must hold of the reply."""

    user: str
    expect: dict[str, Any]


@dataclass(frozen=True)
class Dialogue:
    """A test dialogue from a file."""

    id: str
    turns: tuple[Turn, ...]
    source: str
    description: str = ""


@dataclass
class TurnResult:
    """How one turn went."""

    user: str
    expect: dict[str, Any]
    reply: Reply
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures


@dataclass
class DialogueResult:
    """How one dialogue went."""

    dialogue: Dialogue
    turns: list[TurnResult]

    @property
    def passed(self) -> bool:
        """Whether every turn passed."""
        return all(t.passed for t in self.turns)


def _fail(path: Path, node: yaml.Node | None, message: str) -> DialogueFileError:
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    return DialogueFileError(f"{path}{line}: {message}")


def _mapping_get(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for k, v in node.value:
        if k.value == key:
            return v
    return None


def load_dialogues(path: Path) -> list[Dialogue]:
    """Parse one dialogue file, with errors that name the line and key."""
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.load(text, Loader=SafeLoader)  # a key given twice is an error, not a silent overwrite
    except (OSError, UnicodeDecodeError) as exc:
        raise DialogueFileError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise DialogueFileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("dialogues"), list):
        raise _fail(path, root, "expected a top-level 'dialogues:' list")
    assert isinstance(root, yaml.MappingNode)
    list_node = _mapping_get(root, "dialogues")
    out = []
    for i, (item, node) in enumerate(zip(data["dialogues"], list_node.value, strict=True)):  # type: ignore[union-attr]
        if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("turns"), list):
            raise _fail(path, node, f"dialogue #{i + 1} needs 'id' and a 'turns' list")
        unknown = set(item) - {"id", "description", "turns"}
        if unknown:
            raise _fail(path, node, f"dialogue {item['id']!r}: unknown key(s) {sorted(unknown)}")
        turns_node = _mapping_get(node, "turns")
        turns = []
        for j, (turn, tnode) in enumerate(zip(item["turns"], turns_node.value, strict=True)):  # type: ignore[union-attr]
            where = f"dialogue {item['id']!r} turn {j + 1}"
            if not isinstance(turn, dict) or not isinstance(turn.get("user"), str):
                raise _fail(path, tnode, f"{where}: needs 'user' (a string)")
            expect = turn.get("expect") or {}
            if not isinstance(expect, dict):
                raise _fail(path, tnode, f"{where}: 'expect' must be a mapping")
            bad = set(expect) - EXPECT_KEYS
            if bad:
                raise _fail(path, tnode, f"{where}: unknown expect key(s) {sorted(bad)}; "
                                         f"allowed: {sorted(EXPECT_KEYS)}")
            _check_ids(path, tnode, where, expect)
            turns.append(Turn(turn["user"], expect))
        out.append(Dialogue(str(item["id"]), tuple(turns), str(path), str(item.get("description", ""))))
    return out


def _check_ids(path: Path, node: yaml.Node, where: str, expect: dict[str, Any]) -> None:
    flags, causes, levels = {str(f) for f in RedFlag}, {str(c) for c in Cause}, {str(t) for t in Triage}
    for flag in expect.get("red_flags", []):
        if flag not in flags:
            raise _fail(path, node, f"{where}: unknown red flag {flag!r}; must be one of {sorted(flags)}")
    for cause in list(expect.get("causes_include", [])) + ([expect["top_cause"]] if "top_cause" in expect else []):
        if cause not in causes:
            raise _fail(path, node, f"{where}: unknown cause {cause!r}; must be one of {sorted(causes)}")
    if "triage" in expect and expect["triage"] not in levels:
        raise _fail(path, node, f"{where}: unknown triage {expect['triage']!r}; must be one of {sorted(levels)}")


def collect(paths: Iterable[Path | str]) -> list[Dialogue]:
    """Dialogues from files and folders (*.yaml, *.yml), in a stable order."""
    dialogues: list[Dialogue] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted([*p.rglob("*.yaml"), *p.rglob("*.yml")])
        elif p.exists():
            files = [p]
        else:
            raise DialogueFileError(f"{p}: no such file or folder")
        for f in files:
            dialogues.extend(load_dialogues(f))
    return dialogues


def check(expect: dict[str, Any], reply: Reply) -> list[str]:
    """The expectations that do not hold of a reply, each as a readable line."""
    failures = []
    text = reply.text.lower()
    cited = [c.text.lower() for c in reply.citations]
    causes = [c for c, _ in reply.causes]
    if missing := [f for f in expect.get("red_flags", []) if f not in reply.red_flags]:
        failures.append(f"red_flags: expected {missing}, got {[str(f) for f in reply.red_flags]}")
    if expect.get("no_red_flags") and reply.red_flags:
        failures.append(f"no_red_flags: got {[str(f) for f in reply.red_flags]}")
    if "triage" in expect and str(reply.triage) != expect["triage"]:
        failures.append(f"triage: expected {expect['triage']}, got {reply.triage}")
    if "asks" in expect and (reply.question is not None) != bool(expect["asks"]):
        failures.append(f"asks: expected {expect['asks']}, got question={reply.question!r}")
    for phrase in expect.get("cites", []):
        if not any(phrase.lower() in c for c in cited):
            failures.append(f"cites: no citation contains {phrase!r}")
    for phrase in expect.get("says", []):
        if phrase.lower() not in text:
            failures.append(f"says: reply does not contain {phrase!r}")
    for phrase in expect.get("not_says", []):
        if phrase.lower() in text:
            failures.append(f"not_says: reply contains {phrase!r}")
    if "top_cause" in expect and (not causes or causes[0] != expect["top_cause"]):
        failures.append(f"top_cause: expected {expect['top_cause']}, got {causes[:3]}")
    if missing := [c for c in expect.get("causes_include", []) if c not in causes]:
        failures.append(f"causes_include: expected {missing}, got {causes}")
    return failures


def run(dialogues: list[Dialogue], new_conversation: Callable[[], Any]) -> list[DialogueResult]:
    """Play each dialogue in a fresh conversation and check every turn."""
    results = []
    for dialogue in dialogues:
        chat = new_conversation()
        turns = []
        for turn in dialogue.turns:
            reply = chat.send(turn.user)
            turns.append(TurnResult(turn.user, turn.expect, reply, check(turn.expect, reply)))
        results.append(DialogueResult(dialogue, turns))
    return results
