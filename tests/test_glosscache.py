"""The glossary's lookup cache (bot/safety/glosscache.py): used when it was built from the same file, ignored
and written afresh when it is corrupt, stale or missing, and never needed."""
from __future__ import annotations

import json
import os

import pytest

from bot.safety import glosscache
from bot.safety.glossary import Glossary

BLOCK = """version: 1
languages:
  es:
    terms:
      "la rodilla": "the knee"
      "hinchada": "swollen"
      "mi madre": "my mother"
    joiners:
      "y": "and"
  bn_script:
    terms:
      "ফোলা": "swollen"
    joiners:
      "নেই": "<there is no"
"""
MESSAGES = ["la rodilla está hinchada y roja", "mi madre y la rodilla", "হাঁটু ফোলা নেই", "my knee is fine"]


def readings(g: Glossary) -> list[str | None]:
    return [r.text if (r := g.read(m)) is not None else None for m in MESSAGES]


@pytest.fixture
def glossary_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KNEEBOT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "glossary.yaml"
    path.write_text(BLOCK, encoding="utf-8")
    return path


def test_a_second_load_reads_the_cache_built_by_the_first(glossary_file, monkeypatch):
    built = Glossary.load(glossary_file)
    assert list(glosscache.folder().glob("glossary-*.json"))
    monkeypatch.setattr(Glossary, "__init__", lambda *a, **k: pytest.fail("built again despite a cache"))
    cached = Glossary.load(glossary_file)
    assert readings(cached) == readings(built)
    assert readings(built)[0] == "the knee está swollen and roja"
    assert cached.sha256 == built.sha256 and cached.before == built.before and cached.joined == built.joined


V = str(glosscache.FORMAT).encode()


def test_the_packaged_glossary_read_from_its_cache_is_the_one_built(tmp_path, monkeypatch):
    monkeypatch.setenv("KNEEBOT_CACHE_DIR", str(tmp_path / "cache"))
    built = Glossary.load()
    cached = Glossary.load()
    assert cached is not built and list(glosscache.folder().glob("glossary-*.json"))
    for part in ("english", "before", "joined", "_forms", "_tight", "_reach"):
        assert getattr(cached, part) == getattr(built, part), part
    assert len(built._forms) > 30000 and built._tight  # the real file, with keys in scripts without spaces


@pytest.mark.parametrize("content", [b"\x00\xff not json", b"{\"format\": V}", b"[1, 2, 3]",
                                     b"{\"format\": V, \"key\": \"SHA\", \"english\": 5}",
                                     b"{\"format\": V, \"key\": \"SHA\", \"english\": \"y\", "
                                     b"\"forms\": \"y\"}",
                                     b"{\"format\": V, \"key\": \"SHA\", \"english\": \"y\\tand\\t\", "
                                     b"\"forms\": \"hinchada\\tx\\t\"}"])
def test_a_corrupt_cache_is_ignored_and_written_afresh(glossary_file, content):
    expected = readings(Glossary.load(glossary_file))
    (cache,) = glosscache.folder().glob("glossary-*.json")
    sha = json.loads(cache.read_bytes())["key"]
    cache.write_bytes(content.replace(b"SHA", sha.encode()).replace(b"V", V))
    assert readings(Glossary.load(glossary_file)) == expected
    assert json.loads(cache.read_bytes())["key"] == sha  # rebuilt and kept whole


def test_a_cache_of_another_glossary_is_not_used(glossary_file, monkeypatch):
    Glossary.load(glossary_file)
    glossary_file.write_text(BLOCK.replace('"swollen"', '"puffed up"'), encoding="utf-8")
    assert Glossary.load(glossary_file).read("hinchada").text == "puffed up"
    assert len(list(glosscache.folder().glob("glossary-*.json"))) == 2


def test_a_folder_that_cannot_be_written_costs_only_the_saving(glossary_file, tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("KNEEBOT_CACHE_DIR", str(blocked / "cache"))
    assert readings(Glossary.load(glossary_file))[2] is not None
    assert not os.path.isdir(blocked / "cache")


def test_a_cache_built_by_other_code_is_not_used(glossary_file, monkeypatch):
    from bot.safety import glossary
    Glossary.load(glossary_file)
    monkeypatch.setattr(glossary, "_code_digest", lambda: b"another version of the reading code")
    monkeypatch.setattr(Glossary, "_from_state", classmethod(lambda *a: pytest.fail("read another code's cache")))
    assert Glossary.load(glossary_file).read("hinchada").text == "swollen"
    assert len(list(glosscache.folder().glob("glossary-*.json"))) == 2
