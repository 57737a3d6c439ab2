import multiprocessing
import os
import sqlite3
import stat

import pytest

from bot.config import Settings
from bot.errors import ConfigError, StoreError
from bot.store import AuditEntry, SQLiteStore, open_store


def test_state_round_trips_and_survives_a_new_store_object(tmp_path):
    db = tmp_path / "s.sqlite3"
    SQLiteStore(db).save("c1", {"known": {"location": "behind"}, "turn": 2})
    assert SQLiteStore(db).load("c1") == {"known": {"location": "behind"}, "turn": 2}
    assert SQLiteStore(db).load("missing") is None


def test_raw_text_is_not_stored_unless_transcripts_are_on(tmp_path):
    db = tmp_path / "s.sqlite3"
    SQLiteStore(db).save("c1", {"turn": 1}, user_text="my secret knee", reply_text="ok", turn=1)
    SQLiteStore(db).audit([AuditEntry("c1", "knee_instability", (0, 5), ("uncertain",), "confirm", "v1",
                                      matched="my secret knee")])
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert "secret" not in dump
    logged = SQLiteStore(db, transcripts=True)
    logged.save("c2", {"turn": 1}, user_text="my secret knee", reply_text="ok", turn=1)
    assert logged.transcript("c2") == [("user", "my secret knee"), ("bot", "ok")]


def test_forget_leaves_no_rows(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite3", transcripts=True)
    store.save("c1", {"turn": 1}, user_text="hi", reply_text="hello", turn=1)
    store.audit([AuditEntry("c1", "rapid_swelling", None, (), "record", "v1")])
    store.bind("web", "browser-1", "c1")
    store.forget("c1")
    conn = sqlite3.connect(store.path)
    for table in ("conversations", "transcript", "audit", "channel_keys"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_channel_keys_map_to_conversations(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite3")
    store.bind("discord", "thread-9", "c9")
    assert store.bound("discord", "thread-9") == "c9"
    assert store.bound("web", "thread-9") is None


def test_audit_log_keeps_decisions_in_order(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite3")
    store.audit([AuditEntry("c1", "knee_instability", (3, 9), ("uncertain",), "confirm", "v1"),
                 AuditEntry("c1", "knee_instability", None, (), "recorded_on_confirmation", "v1")])
    log = store.audit_log("c1")
    assert [e.decision for e in log] == ["confirm", "recorded_on_confirmation"]
    assert log[0].span == (3, 9) and log[0].modifiers == ("uncertain",) and log[0].matched is None


def test_purge_applies_retention(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite3")
    store.save("old", {"turn": 1})
    store.save("new", {"turn": 1})
    sqlite3.connect(store.path).execute("UPDATE conversations SET updated_at = 0 WHERE id = 'old'").connection.commit()
    assert store.purge(30) == 1
    assert store.load("old") is None and store.load("new") is not None


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_the_folders_it_creates_are_private_to_their_owner(tmp_path):
    folder = tmp_path / "state" / "deeper"
    old = os.umask(0)  # checked by mode bits, which hold for root as for anyone, whatever the umask
    try:
        store = SQLiteStore(folder / "s.sqlite3")
        store.save("c1", {"turn": 1})
    finally:
        os.umask(old)
    for name in ("s.sqlite3", "s.sqlite3-wal", "s.sqlite3-shm"):
        assert _mode(folder / name) == 0o600, name
    assert _mode(folder) == _mode(folder.parent) == 0o700
    before = _mode(tmp_path)
    SQLiteStore(tmp_path / "t.sqlite3")
    assert _mode(tmp_path) == before, "a folder that already exists keeps its mode"


def test_open_store_opens_sqlite_for_a_file_path(tmp_path):
    store = open_store(tmp_path / "s.sqlite3", transcripts=True)
    assert isinstance(store, SQLiteStore)
    store.save("c1", {"turn": 1}, user_text="hi", turn=1)
    assert store.transcript("c1") == [("user", "hi")]


@pytest.mark.parametrize("url", ["postgresql://kneebot:s3cret@db.example/kneebot", "postgres://db.example/k"])
def test_open_store_refuses_a_postgresql_url_without_repeating_it(url):
    for db in (url, Settings.from_env({"KNEEBOT_DB": url}).db_path):
        with pytest.raises(ConfigError, match="KNEEBOT_DB.*PostgreSQL support is not installed") as caught:
            open_store(db)
        assert "db.example" not in str(caught.value)


def test_corrupt_database_is_reported(tmp_path):
    db = tmp_path / "s.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be used"):
        SQLiteStore(db)


def _writer(db, name):
    store = SQLiteStore(db)
    for i in range(50):
        store.save(f"{name}-{i % 5}", {"turn": i, "owner": name})


def test_several_processes_share_one_file(tmp_path):
    db = tmp_path / "s.sqlite3"
    SQLiteStore(db)
    procs = [multiprocessing.get_context("spawn").Process(target=_writer, args=(db, f"p{n}")) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = SQLiteStore(db)
    for n in range(3):
        for i in range(5):
            assert store.load(f"p{n}-{i}")["owner"] == f"p{n}"
