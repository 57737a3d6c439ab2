"""The glossary's lookup cache (bot/safety/glosscache.py): used when it was built from the same file, ignored
and written afresh when it is corrupt, stale or missing, and never needed."""
from __future__ import annotations

import hashlib
import marshal
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
      "dolor-agudo": "sharp pain"
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
    assert list(glosscache.folder().glob("glossary-*.bin"))
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
    assert cached is not built and list(glosscache.folder().glob("glossary-*.bin"))
    for part in ("english", "before", "joined", "_forms", "_tight", "_reach"):
        assert getattr(cached, part) == getattr(built, part), part
    assert len(built.english) > 30000 and built._forms and built._tight  # the real file, with CJK keys


def _rewrite(cache, body: bytes, digest: bytes | None = None) -> None:
    """The cache with `body` after its first line, that line's digest made to match it (or `digest`)."""
    head = cache.read_bytes().partition(b"\n")[0].rsplit(b" ", 1)[0]
    cache.write_bytes(head + b" " + (digest or hashlib.sha256(body).hexdigest().encode()) + b"\n" + body)


def _good_state(cache) -> dict:
    return marshal.loads(cache.read_bytes().partition(b"\n")[2])


@pytest.mark.parametrize("damage", [
    "random bytes", "truncated", "a bit flipped", "no first line", "another key", "a list",
    "english not a dict", "a spelling of no key", "a joiner of no key", "an English that is not text",
    "unmarshallable",
])
def test_a_corrupt_cache_is_ignored_and_written_afresh(glossary_file, damage):
    expected = readings(Glossary.load(glossary_file))
    (cache,) = glosscache.folder().glob("glossary-*.bin")
    whole = cache.read_bytes()
    head, _, body = whole.partition(b"\n")
    state = _good_state(cache)
    if damage == "random bytes":
        cache.write_bytes(b"\x00\xff not a cache")
    elif damage == "truncated":
        cache.write_bytes(whole[:len(whole) // 2])
    elif damage == "a bit flipped":  # the digest no longer matches: never unmarshalled
        cache.write_bytes(head + b"\n" + body[:40] + bytes([body[40] ^ 1]) + body[41:])
    elif damage == "no first line":
        cache.write_bytes(body)
    elif damage == "another key":
        cache.write_bytes(head.replace(b" " + V + b" ", b" " + V + b" 0", 1) + b"\n" + body)
    elif damage == "unmarshallable":  # a matching digest over bytes marshal refuses
        _rewrite(cache, b"\xff\x00\x01")
    else:
        if damage == "a list":
            state = [1, 2, 3]
        elif damage == "english not a dict":
            state["english"] = 5
        elif damage == "a spelling of no key":
            state["forms"]["hinchada"] = "x"
        elif damage == "a joiner of no key":
            state["joined"] = ["nowhere"]
        elif damage == "an English that is not text":
            state["english"]["hinchada"] = 7
        _rewrite(cache, marshal.dumps(state, 4))
    assert readings(Glossary.load(glossary_file)) == expected
    assert cache.read_bytes() == whole  # rebuilt and kept whole


def test_a_cache_written_by_another_python_is_not_read(glossary_file, monkeypatch):
    Glossary.load(glossary_file)
    monkeypatch.setattr(glosscache, "_PYTHON", "another-python")
    monkeypatch.setattr(Glossary, "_from_state", classmethod(lambda *a: pytest.fail("read another Python's cache")))
    assert Glossary.load(glossary_file).read("hinchada").text == "swollen"
    assert len(list(glosscache.folder().glob("glossary-*.bin"))) == 2


def test_strings_used_in_several_places_are_one_object_when_read_back(glossary_file):
    Glossary.load(glossary_file)
    cached = Glossary.load(glossary_file)
    key = cached._forms["doloragudo"]  # a spelling of "dolor-agudo"
    assert key is next(k for k in cached.english if k == "dolor-agudo")
    swollen = [v for v in cached.english.values() if v == "swollen"]  # "hinchada" and "ফোলা"
    assert len(swollen) == 2 and swollen[0] is swollen[1]


def test_a_cache_of_another_glossary_is_not_used(glossary_file, monkeypatch):
    Glossary.load(glossary_file)
    glossary_file.write_text(BLOCK.replace('"swollen"', '"puffed up"'), encoding="utf-8")
    assert Glossary.load(glossary_file).read("hinchada").text == "puffed up"
    assert len(list(glosscache.folder().glob("glossary-*.bin"))) == 2


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
    assert len(list(glosscache.folder().glob("glossary-*.bin"))) == 2
