"""Faults and privacy: kill -9 mid-turn and mid-build, read-only and full disks, corrupt files, no leaks."""
from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.errors import StoreError
from bot.ids import RedFlag, Triage
from bot.state import DialogueState
from bot.store import SQLiteStore

RED = "my knee gave way and I can't put weight on it"
RED_FLAGS = {RedFlag.KNEE_INSTABILITY, RedFlag.CANNOT_BEAR_WEIGHT}
CORPUS = PROJECT_ROOT / "corpus"
ARTICLE = CORPUS / "000_292bc26db980c244.txt"
ENV = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1"}
TABLES = ("conversations", "channel_keys", "transcript", "audit")


def _child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=PROJECT_ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _dump(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def _fast(fast_settings: Settings, db: Path, **changes) -> object:  # type: ignore[no-untyped-def]
    """An assistant on the fast index with its own store."""
    from bot.assistant import Assistant
    from bot.guidance.embedding import HashEmbedder

    return Assistant.load(settings=replace(fast_settings, db_path=db, **changes), embedder=HashEmbedder())


# --- kill -9 mid-turn -------------------------------------------------------------------------------

TURNS = """
import itertools, sys
from pathlib import Path
from bot.assistant import Assistant
from bot.config import Settings
from bot.guidance.embedding import HashEmbedder
settings = Settings(index_dir=Path(sys.argv[1]), db_path=Path(sys.argv[2]))
assistant = Assistant.load(settings=settings, embedder=HashEmbedder())
messages = ["I feel a pull behind my knee when I stretch", "no", "it's right behind the knee", "skip",
            "what is a Baker's cyst?", RED_SENTENCE, "not sure", "thanks", "start over", "burning when I touch my toes"]
print("READY", flush=True)
for i in itertools.count():
    cid = f"conv-{i % 7}"
    assistant.conversation(cid).send(messages[i % len(messages)] + " " + "x" * (i % 50))
    print(cid, flush=True)
""".replace("RED_SENTENCE", repr(RED))


def _run_and_kill(index_dir: Path, db: Path, rng: random.Random) -> list[str]:
    """Run turns in a child, SIGKILL it after a random number of acknowledged turns plus a random delay."""
    proc = _child(TURNS, index_dir, db)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    want = rng.randint(3, 40)
    deadline = time.monotonic() + 120
    while sum(1 for line in lines if line.startswith("conv-")) < want:
        assert proc.poll() is None, f"the turn loop died by itself: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "the turn loop made no progress"
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.05))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(10)
    assert proc.returncode == -signal.SIGKILL
    return [line.strip() for line in lines if line.startswith("conv-")]


def test_kill_9_mid_turn_loses_no_acknowledged_turn_and_corrupts_nothing(fast_assistant, fast_settings, tmp_path):
    db = tmp_path / "state" / "kneebot.sqlite3"
    rng = random.Random()
    acked: dict[str, int] = {}
    for _ in range(3):
        for cid in _run_and_kill(fast_settings.index_dir, db, rng):
            acked[cid] = acked.get(cid, 0) + 1
        store = SQLiteStore(db)  # opens: runs its own quick_check
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        for cid, count in acked.items():
            state = DialogueState.from_dict(store.load(cid))
            # A turn acknowledged is stored; at most one more may have committed before its ack was printed.
            assert count <= state.turn <= count + 1, (cid, count, state.turn)
            acked[cid] = state.turn
        conn = sqlite3.connect(db)
        ids = [row[0] for row in conn.execute("SELECT id FROM conversations")]
        conn.close()
        assert set(acked) <= set(ids)
        for cid in ids:  # every stored state, acknowledged or not, loads
            assert DialogueState.from_dict(store.load(cid)).turn >= 1
        store.close()
    assistant = _fast(fast_settings, db)
    resumed = assistant.conversation("conv-0")
    before = resumed.state.turn
    assert resumed.send("thanks").text and assistant.store.load("conv-0")["turn"] == before + 1
    assistant.close()


# --- kill -9 mid index build --------------------------------------------------------------------

BUILD = """
import os, shutil, signal, sys
from pathlib import Path
from bot.guidance.embedding import HashEmbedder
from bot.guidance.index import build_index
corpus, index_dir, target, nth = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
embedder = HashEmbedder()
owners = {"encode": embedder, "fsync": os, "rename": os, "replace": os, "rmtree": shutil}
if target in owners:
    owner, real, calls = owners[target], getattr(owners[target], target), [0]
    def killer(*args, **kwargs):
        calls[0] += 1
        if calls[0] >= nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    setattr(owner, target, killer)
elif target == "slow":
    real_encode = embedder.encode
    def slow(texts):
        import time; time.sleep(0.02)
        return real_encode(texts)
    embedder.encode = slow
build_index(corpus, index_dir, embedder)
print("BUILT", flush=True)
"""
# Kill points across the build: while embedding, after each fsync (vectors, chunks, the build
# folder, the manifest), before the build folder's rename, before the manifest switch, and while
# the old build is being removed.
KILL_POINTS = [("encode", 2), ("fsync", 1), ("fsync", 2), ("fsync", 3), ("fsync", 4), ("rename", 1),
               ("replace", 1), ("rmtree", 1)]


@pytest.fixture
def old_index(tmp_path):
    """A corpus of the article alone with a good index, then the safety document added (so stale)."""
    from bot.guidance.embedding import HashEmbedder
    from bot.guidance.index import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / ARTICLE.name).write_bytes(ARTICLE.read_bytes())
    index_dir = tmp_path / "index"
    old = build_index(corpus, index_dir, HashEmbedder())
    for extra in CORPUS.iterdir():
        if extra.name != ARTICLE.name and extra.suffix in {".md", ".txt"}:
            (corpus / extra.name).write_bytes(extra.read_bytes())
    return corpus, index_dir, old


def _check_after_kill(corpus: Path, index_dir: Path, old) -> str:  # type: ignore[no-untyped-def]
    """The index loads as the old or the new build, never a mix; a rebuild then gets the new corpus."""
    from bot.guidance.embedding import HashEmbedder
    from bot.guidance.index import ensure_index, load_index

    loaded = load_index(index_dir)
    sources = {c.source for c in loaded.chunks}
    if loaded.manifest["build"] == old.manifest["build"]:
        which = "old"
        assert loaded.chunks == old.chunks
    else:
        which = "new"
        assert sources == {p.name for p in corpus.iterdir()}
    assert loaded.vectors.ntotal == len(loaded.owners)  # type: ignore[attr-defined]
    current = ensure_index(corpus, index_dir, HashEmbedder())
    assert {c.source for c in current.chunks} == {p.name for p in corpus.iterdir()}
    assert load_index(index_dir).manifest["build"] == current.manifest["build"]
    leftovers = [p.name for p in index_dir.iterdir() if p.is_dir() and p.name != current.manifest["build"]]
    if which == "old":
        assert leftovers == [], "the rebuild cleans up what the crashed build left"
    else:
        # Killed while removing the old build: the new one is whole and current; the old folder waits
        # for the next build to remove it.
        assert set(leftovers) <= {old.manifest["build"]}
    return which


@pytest.mark.parametrize("target, nth", KILL_POINTS, ids=[f"{t}-{n}" for t, n in KILL_POINTS])
def test_kill_9_mid_index_build_leaves_a_whole_index(old_index, target, nth):
    corpus, index_dir, old = old_index
    proc = _child(BUILD, corpus, index_dir, target, nth)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"the kill point {target}#{nth} was never reached: {out} {err}"
    which = _check_after_kill(corpus, index_dir, old)
    assert which == ("new" if target == "rmtree" else "old")


def test_kill_9_at_a_random_moment_of_an_index_build(old_index):
    corpus, index_dir, old = old_index
    delay = random.uniform(0.3, 2.5)
    proc = _child(BUILD, corpus, index_dir, "slow", 0)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=120)
    _check_after_kill(corpus, index_dir, old)


# --- read-only and full disks ---------------------------------------------------------------------

def _mount(*args: str) -> bool:
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def _assert_red_flags_still_answered(assistant, caplog, says: str) -> None:  # type: ignore[no-untyped-def]
    """A red flag gets the escalation even though nothing can be saved, and the StoreError says why."""
    chat = assistant.conversation()
    with caplog.at_level(logging.ERROR, logger="bot"):
        reply = chat.send(RED)
    assert RED_FLAGS <= set(reply.red_flags)
    assert reply.triage == Triage.SEEK_CARE and reply.escalation
    assert "couldn't save this conversation" in reply.text
    errors = [r.exc_info[1] for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], StoreError)]
    assert errors, "the storage failure is logged as a StoreError"
    assert str(assistant.store.path) in str(errors[-1]) and says in str(errors[-1]), str(errors[-1])
    later = chat.send("what should I do?")
    assert RED_FLAGS <= set(later.red_flags) and later.escalation, "kept in memory while the disk is unusable"


def test_read_only_disk_gives_a_clear_error_and_red_flags_are_still_answered(fast_assistant, fast_settings,
                                                                             tmp_path, caplog):
    folder = tmp_path / "ro"
    folder.mkdir()
    if not _mount("--bind", str(folder), str(folder)):
        pytest.skip("needs root and mount (bind) to make a real read-only file system")
    try:
        db = folder / "kneebot.sqlite3"
        assistant = _fast(fast_settings, db)
        assistant.conversation("before").send("hi")
        assistant.store.close()  # a remount read-only is refused while files are open for writing
        assert _mount("-o", "remount,bind,ro", str(folder)), "remounting the bind mount read-only"
        _assert_red_flags_still_answered(assistant, caplog, "read-only file system")
        assistant.close()
        with pytest.raises(StoreError, match=r"kneebot\.sqlite3.*read-only file system"):
            SQLiteStore(db).save("c", {"turn": 1})
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], capture_output=True)  # even if a handle is open


def test_full_disk_gives_a_clear_error_and_red_flags_are_still_answered(fast_assistant, fast_settings,
                                                                        tmp_path, caplog):
    folder = tmp_path / "small"
    folder.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)):
        pytest.skip("needs root and mount (tmpfs) to fill a real file system")
    try:
        db = folder / "kneebot.sqlite3"
        assistant = _fast(fast_settings, db)
        assistant.conversation("before").send("hi")
        with (folder / "filler").open("wb", buffering=0) as fh:  # take every byte that is left
            try:
                while True:
                    fh.write(b"\0" * 4096)
            except OSError:
                pass
        # The WAL may still have room in pages it already holds: write until it really runs out.
        with pytest.raises(StoreError, match=r"kneebot\.sqlite3.*(full|disk I/O)"):
            for i in range(10_000):
                assistant.store.save(f"filler-{i}", {"turn": 1, "pad": "p" * 2000})
        _assert_red_flags_still_answered(assistant, caplog, "full")
        assistant.close()
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], capture_output=True)  # even if a handle is open


class _FailingWrites:
    """A connection whose writes fail as SQLite's do on a read-only or full disk."""

    def __init__(self, conn: sqlite3.Connection, message: str) -> None:
        self._conn, self._message = conn, message

    def execute(self, sql: str, *args):  # type: ignore[no-untyped-def]
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "BEGIN")):
            raise sqlite3.OperationalError(self._message)
        return self._conn.execute(sql, *args)

    executemany = execute

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._conn, name)


@pytest.mark.parametrize("message", ["attempt to write a readonly database", "database or disk is full"])
def test_store_write_failures_are_store_errors_and_do_not_block_red_flags(fast_assistant, fast_settings,
                                                                          tmp_path, caplog, message):
    assistant = _fast(fast_settings, tmp_path / "kneebot.sqlite3")
    store = assistant.store
    store._local.conn = _FailingWrites(store._connect(), message)
    with pytest.raises(StoreError, match=message):
        store.save("c", {"turn": 1})
    _assert_red_flags_still_answered(assistant, caplog, message)


# --- corrupt SQLite files ---------------------------------------------------------------------------

def _filled_store(db: Path) -> None:
    store = SQLiteStore(db, transcripts=True)
    for i in range(300):
        store.save(f"c{i}", {"turn": i, "pad": "p" * 500}, user_text="hello", reply_text="hi", turn=1)
    store.close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _garbage_header(data: bytearray) -> None:
    data[:100] = os.urandom(100)


def _garbage_pages(data: bytearray) -> None:
    page = int.from_bytes(data[16:18], "big") or 65536
    for n in range(1, len(data) // page):
        data[n * page:n * page + 64] = b"\xff" * 64


def _truncated(data: bytearray) -> None:
    del data[len(data) // 3:]


def _not_a_database(data: bytearray) -> None:
    data[:] = b"I am a text file, not a database.\n" * 100


@pytest.mark.parametrize("damage", [_garbage_header, _garbage_pages, _truncated, _not_a_database],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_corrupt_database_file_is_detected_and_reported(tmp_path, damage):
    db = tmp_path / "kneebot.sqlite3"
    _filled_store(db)
    data = bytearray(db.read_bytes())
    damage(data)
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught:
        SQLiteStore(db)
    assert str(db) in str(caught.value) and "cannot be used" in str(caught.value)


def test_assistant_load_reports_a_corrupt_store(fast_assistant, fast_settings, tmp_path):
    db = tmp_path / "kneebot.sqlite3"
    _filled_store(db)
    db.write_bytes(b"garbage" * 1000)
    with pytest.raises(StoreError, match="cannot be used"):
        _fast(fast_settings, db)


# --- privacy ------------------------------------------------------------------------------------------

CANARY = "quixotebanjo"
PRIVATE = [f"I feel a pull behind my knee when I stretch {CANARY}", f"no {CANARY}", f"{CANARY} skip",
           f"what is a Baker's cyst? {CANARY}", f"my knee gave way and I can't put weight on it {CANARY}",
           f"it has been hurting for two weeks {CANARY}", f"{CANARY}"]


def _all_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))


def test_no_raw_message_text_reaches_the_database_or_logs_with_transcripts_off(fast_assistant, fast_settings,
                                                                               tmp_path, caplog):
    db = tmp_path / "kneebot.sqlite3"
    assistant = _fast(fast_settings, db, transcripts=False)
    with caplog.at_level(logging.DEBUG):
        chat = assistant.conversation()
        assistant.store.bind("web", "browser-1", chat.id)
        for message in PRIVATE:
            chat.send(message)
        assistant.conversation(chat.id).send(f"why? {CANARY}")  # resumed from the store
        store = assistant.store
        store._local.conn = _FailingWrites(store._connect(), "database or disk is full")
        chat.send(f"thanks {CANARY}")  # the failure path logs too
    assistant.close()
    dump = _dump(db)
    assert "audit" in dump and chat.id in dump  # the store was written
    assert CANARY not in dump
    assert CANARY.encode() not in _all_bytes(db), "not in free pages or the WAL either"
    logged = "\n".join(r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
                       for r in caplog.records)
    assert caplog.records, "logging at DEBUG captured the conversation's records"
    assert CANARY not in logged


def test_forget_me_leaves_no_rows_for_that_conversation(fast_assistant, fast_settings, tmp_path):
    db = tmp_path / "kneebot.sqlite3"
    assistant = _fast(fast_settings, db, transcripts=True)  # the most that could be stored
    kept = assistant.conversation()
    kept.send("I feel a pull behind my knee when I stretch")
    chat = assistant.conversation()
    assistant.store.bind("discord", "thread-1", chat.id)
    for message in PRIVATE:
        chat.send(message)
    assert CANARY in _dump(db)
    reply = chat.send("forget me")
    assert reply.text
    conn = sqlite3.connect(db)
    for table in TABLES:
        column = "id" if table == "conversations" else "conversation_id"
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", (chat.id,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM conversations WHERE id = ?", (kept.id,)).fetchone()[0] == 1
    conn.close()
    dump = _dump(db)
    assert chat.id not in dump and CANARY not in dump
    assert assistant.store.bound("discord", "thread-1") is None
    assistant.close()
