"""The compiled-pattern cache (bot/safety/rxcache.py): a pattern read from it is the one re.compile builds, the
rules read through it decide as the rules compiled afresh, and a missing, corrupt or unwritable cache only costs
time."""
from __future__ import annotations

import hashlib
import json
import os
import re
from array import array
from re import _compiler, _parser  # type: ignore[attr-defined]

import pytest

from bot.safety import glosscache, rxcache
from bot.safety.rules import RuleSet
from bot.safety.rxcache import PatternCache

MESSAGES = [
    "my knee gave way on the stairs and now it's swollen",
    "can't feel my bum when I wipe and I haven't peed since yesterday",
    "chest feels tight and I can't catch my breath",
    "no swelling, no numbness, just a pull behind the knee",
    "my friend's calf is red and hot",
    "if my knee locked would that be bad?",
    "both my legs have gone numb since the stretch",
    "the pain has been the same for two weeks of gentler stretching",
]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KNEEBOT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def decisions(rules: RuleSet) -> list[list[tuple[str, str, tuple[int, int]]]]:
    return [[(d.rule.value, d.decision.value, d.span) for d in rules.scan(m).detections] for m in MESSAGES]


def read_cache(path):
    head, _, code = path.read_bytes().partition(b"\n")
    return json.loads(head), code


def test_every_cached_pattern_is_the_code_re_compile_builds(cache_dir):
    rules = RuleSet.load()
    (path,) = cache_dir.glob("patterns-*.bin")
    head, code = read_cache(path)
    patterns = {p.pattern: p for p in _patterns_of(rules)}
    assert len(head["index"]) > 300 and len(patterns) > 300  # the cues, their conditions and the context rules
    by_name = {hashlib.sha256(f"{int(p.flags & ~re.UNICODE)}:{t}".encode()).hexdigest(): t for t, p in patterns.items()}
    checked = 0
    for name, (all_flags, at, size, groups, groupindex) in head["index"].items():
        if name not in by_name:
            continue
        pattern = by_name[name]
        parsed = _parser.parse(pattern, re.I)
        words = array("I")
        words.frombytes(code[at:at + size])
        assert words.tolist() == _compiler._code(parsed, re.I)
        assert (all_flags, groups, groupindex) == (parsed.state.flags | re.I, parsed.state.groups - 1,
                                                   dict(parsed.state.groupdict))
        checked += 1
    assert checked > 300


def _patterns_of(rules: RuleSet) -> list[re.Pattern[str]]:
    """Every compiled pattern a rule set holds (its cues, their conditions, the context rules)."""
    found, seen, todo = [], set(), [rules]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, re.Pattern):
            found.append(obj)
        elif isinstance(obj, dict):
            todo.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            todo.extend(obj)
        elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("bot."):
            todo.extend(vars(obj).values())
        elif hasattr(obj, "__dataclass_fields__"):
            todo.extend(getattr(obj, f) for f in obj.__dataclass_fields__)
    return found


def test_rules_read_from_the_cache_decide_as_rules_compiled_afresh(cache_dir, monkeypatch):
    built = RuleSet.load()
    assert list(cache_dir.glob("patterns-*.bin"))
    monkeypatch.setattr(rxcache._parser, "parse", lambda *a: pytest.fail("compiled again despite the cache"))
    cached = RuleSet.load()
    monkeypatch.undo()
    assert decisions(cached) == decisions(built)
    assert any(decisions(built))  # the messages do reach the rules


def test_a_pattern_object_from_the_cache_matches_as_re_compile_s(cache_dir):
    first = PatternCache()
    pattern = r"\b(?P<f>numb\w*)\s+(?:bum|butt)\b|(?P<g>both\s+legs)"
    first.compile(pattern, re.I)
    first.save()
    second = PatternCache()
    cached = second.compile(pattern, re.I)
    assert second.built == 0
    fresh = re.compile(pattern, re.I)
    assert (cached.pattern, cached.flags, cached.groups, cached.groupindex) == (
        fresh.pattern, fresh.flags, fresh.groups, fresh.groupindex)
    for text in ["Numbness bum", "BOTH legs", "numb hands", ""]:
        a, b = cached.search(text), fresh.search(text)
        assert (a and (a.span(), a.groupdict())) == (b and (b.span(), b.groupdict()))


@pytest.mark.parametrize("content", [b"\x00\xff not json", b"[]\n", b'{"version": "other", "index": {}}\n'])
def test_a_corrupt_or_foreign_cache_is_ignored_and_written_afresh(cache_dir, content):
    expected = decisions(RuleSet.load())
    (path,) = cache_dir.glob("patterns-*.bin")
    path.write_bytes(content)
    assert decisions(RuleSet.load()) == expected
    assert read_cache(path)[0]["index"]


@pytest.mark.parametrize("spoil", ["code", "places"])
def test_code_the_regex_engine_refuses_is_compiled_afresh(cache_dir, spoil):
    expected = decisions(RuleSet.load())
    (path,) = cache_dir.glob("patterns-*.bin")
    head, code = read_cache(path)
    if spoil == "code":  # not valid engine code
        code = array("I", [99999, 1, 2] * (len(code) // 12 + 1)).tobytes()[:len(code)]
    else:  # code said to lie past the end of the file, or at a place that is not a number
        for i, entry in enumerate(head["index"].values()):
            entry[1] = len(code) + 4 if i % 2 else "here"
    path.write_bytes(json.dumps(head).encode() + b"\n" + code)
    assert decisions(RuleSet.load()) == expected


def test_a_folder_that_cannot_be_written_costs_only_the_saving(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KNEEBOT_CACHE_DIR", str(blocker / "cache"))
    assert any(decisions(RuleSet.load()))
    assert glosscache.folder() == blocker / "cache"


def test_caches_of_other_pythons_are_dropped_past_the_few_kept(cache_dir):
    cache_dir.mkdir(parents=True)
    for i in range(glosscache.KEEP + 4):
        old = cache_dir / f"patterns-old{i:02d}.bin"
        old.write_bytes(b"{}\n")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    RuleSet.load()
    kept = sorted(p.name for p in cache_dir.glob("patterns-*.bin"))
    assert len(kept) == glosscache.KEEP
    assert rxcache._path().name in kept and "patterns-old00.bin" not in kept
