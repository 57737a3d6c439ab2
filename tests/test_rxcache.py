"""The compiled-pattern cache (bot/safety/rxcache.py): a pattern read from it is the one re.compile builds, the
rules read through it decide as the rules compiled afresh, and a missing, corrupt or unwritable cache only costs
time."""
from __future__ import annotations

import json
import re
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


def test_every_cached_pattern_is_the_code_re_compile_builds(cache_dir):
    RuleSet.load()
    (path,) = cache_dir.glob("patterns-*.json")
    entries = json.loads(path.read_bytes())["patterns"]
    assert len(entries) > 300  # the cues, their conditions and the context rules
    for key, (all_flags, code, groups, groupindex) in entries.items():
        flags, pattern = key.split(":", 1)
        parsed = _parser.parse(pattern, int(flags))
        assert code == _compiler._code(parsed, int(flags))
        assert (all_flags, groups, groupindex) == (parsed.state.flags | int(flags), parsed.state.groups - 1,
                                                   dict(parsed.state.groupdict))


def test_rules_read_from_the_cache_decide_as_rules_compiled_afresh(cache_dir, monkeypatch):
    built = RuleSet.load()
    assert list(cache_dir.glob("patterns-*.json"))
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


@pytest.mark.parametrize("content", [b"\x00\xff not json", b"[]", b'{"version": "other", "patterns": {}}'])
def test_a_corrupt_or_foreign_cache_is_ignored_and_written_afresh(cache_dir, content):
    expected = decisions(RuleSet.load())
    (path,) = cache_dir.glob("patterns-*.json")
    path.write_bytes(content)
    assert decisions(RuleSet.load()) == expected
    assert json.loads(path.read_bytes())["patterns"]


def test_code_the_regex_engine_refuses_is_compiled_afresh(cache_dir):
    expected = decisions(RuleSet.load())
    (path,) = cache_dir.glob("patterns-*.json")
    data = json.loads(path.read_bytes())
    for entry in data["patterns"].values():
        entry[1] = [99999, 1, 2]  # not valid engine code
    path.write_text(json.dumps(data), encoding="utf-8")
    assert decisions(RuleSet.load()) == expected


def test_a_folder_that_cannot_be_written_costs_only_the_saving(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KNEEBOT_CACHE_DIR", str(blocker / "cache"))
    assert any(decisions(RuleSet.load()))
    assert glosscache.folder() == blocker / "cache"
