"""The store suite: every backend (SQLite, PostgreSQL) keeps the same promises."""
import multiprocessing
import os
import sqlite3
import stat

import pytest

from bot.config import Settings
from bot.errors import StoreError
from bot.store import AuditEntry, SQLiteStore, open_store
from bot.store import postgres as pg
from bot.store import sqlite as lite


class Backend:
    """One database behind the suite: new store objects on it, and raw SQL to look underneath."""

    def __init__(self, name, db):
        self.name, self.db = name, db
        self.opened = []

    def open(self, *, transcripts=False):
        """A new store object on the same database, as another process would open it."""
        self.opened.append(open_store(self.db, transcripts=transcripts))
        return self.opened[-1]

    def close(self):
        """Close every store object opened."""
        for store in self.opened:
            store.close()

    def rows(self, sql):
        """Run SQL on the database directly; the rows it returns, if any."""
        if self.name == "sqlite":
            with sqlite3.connect(self.db) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.db, autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    def dump(self):
        """Every value in every table, as text."""
        tables = ("conversations", "channel_keys", "transcript", "audit")
        return "\n".join(repr(row) for table in tables for row in self.rows(f"SELECT * FROM {table}"))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path):
    """Each backend in turn, on a new, empty database."""
    if request.param == "sqlite":
        db = Backend("sqlite", str(tmp_path / "s.sqlite3"))
    else:
        db = Backend("postgres", request.getfixturevalue("pg_url"))
    yield db
    db.close()


def test_state_round_trips_and_survives_a_new_store_object(backend):
    backend.open().save("c1", {"known": {"location": "behind"}, "turn": 2})
    assert backend.open().load("c1") == {"known": {"location": "behind"}, "turn": 2}
    assert backend.open().load("missing") is None


def test_raw_text_is_not_stored_unless_transcripts_are_on(backend):
    backend.open().save("c1", {"turn": 1}, user_text="my secret knee", reply_text="ok", turn=1)
    backend.open().audit([AuditEntry("c1", "knee_instability", (0, 5), ("uncertain",), "confirm", "v1",
                                     matched="my secret knee")])
    assert "secret" not in backend.dump()
    logged = backend.open(transcripts=True)
    logged.save("c2", {"turn": 1}, user_text="my secret knee", reply_text="ok", turn=1)
    logged.save("c2", {"turn": 2}, user_text="a \x00 and a \ud800", reply_text="fine", turn=2)
    assert logged.transcript("c2") == [("user", "my secret knee"), ("bot", "ok"),
                                       ("user", "a \\x00 and a \\ud800" if backend.name == "postgres"
                                        else "a \x00 and a \\ud800"), ("bot", "fine")]


def test_forget_leaves_no_rows(backend):
    store = backend.open(transcripts=True)
    store.save("c1", {"turn": 1}, user_text="hi", reply_text="hello", turn=1)
    store.audit([AuditEntry("c1", "rapid_swelling", None, (), "record", "v1")])
    store.bind("web", "browser-1", "c1")
    store.forget("c1")
    for table in ("conversations", "transcript", "audit", "channel_keys"):
        assert backend.rows(f"SELECT count(*) FROM {table}")[0][0] == 0, table


def test_channel_keys_map_to_conversations(backend):
    store = backend.open()
    store.bind("discord", "thread-9", "c9")
    assert store.bound("discord", "thread-9") == "c9"
    assert store.bound("web", "thread-9") is None
    store.bind("discord", "thread-9", "c10")
    assert backend.open().bound("discord", "thread-9") == "c10"


def test_bindings_match_a_pattern_exactly(backend):
    store = backend.open()
    for key, cid in (("g1:user7:t1", "a"), ("g2:user7:dm", "b"), ("g1:user70:t2", "c"), ("g1:User7:t3", "d"),
                     ("g1:us_r7%:t4", "e")):
        store.bind("discord", key, cid)
    store.bind("web", "g9:user7:x", "f")
    assert store.bindings("discord", "*:user7:*") == {"g1:user7:t1": "a", "g2:user7:dm": "b"}
    assert store.bindings("discord", "*:us_r7%:*") == {"g1:us_r7%:t4": "e"}
    assert store.bindings("discord", "nothing*") == {}


def test_audit_log_keeps_decisions_in_order(backend):
    store = backend.open()
    store.audit([AuditEntry("c1", "knee_instability", (3, 9), ("uncertain",), "confirm", "v1"),
                 AuditEntry("c1", "knee_instability", None, (), "recorded_on_confirmation", "v1")])
    store.audit([AuditEntry("c2", "rapid_swelling", None, (), "record", "v1")])
    log = store.audit_log("c1")
    assert [e.decision for e in log] == ["confirm", "recorded_on_confirmation"]
    assert log[0].span == (3, 9) and log[0].modifiers == ("uncertain",) and log[0].matched is None
    assert [e.conversation_id for e in store.audit_log()] == ["c1", "c1", "c2"]


def test_purge_applies_retention_to_conversations_and_their_bindings(backend):
    store = backend.open()
    for cid in ("old", "new"):
        store.save(cid, {"turn": 1})
        store.bind("discord", f"thread-{cid}", cid)
        store.audit([AuditEntry(cid, "rapid_swelling", None, (), "record", "v1")])
    store.bind("web", "never-wrote", "unsaved-old")  # a new conversation nobody wrote in
    store.bind("web", "just-now", "unsaved-new")
    backend.rows("UPDATE conversations SET updated_at = 0 WHERE id = 'old'")
    backend.rows("UPDATE channel_keys SET bound_at = 0 WHERE conversation_id = 'unsaved-old'")
    assert store.purge(30) == 1
    assert store.load("old") is None and store.load("new") is not None
    assert store.bound("discord", "thread-old") is None and store.bound("discord", "thread-new") == "new"
    assert store.bound("web", "never-wrote") is None and store.bound("web", "just-now") == "unsaved-new"
    assert [e.conversation_id for e in store.audit_log()] == ["new"]


def test_both_backends_apply_the_same_migration_versions_to_the_same_tables(tmp_path, pg_url):
    assert len(lite.MIGRATIONS) == len(pg.MIGRATIONS)
    open_store(tmp_path / "s.sqlite3").close()
    open_store(pg_url).close()
    lite_db = Backend("sqlite", str(tmp_path / "s.sqlite3"))
    pg_db = Backend("postgres", pg_url)
    assert lite_db.rows("PRAGMA user_version") == [(len(lite.MIGRATIONS),)]
    assert pg_db.rows("SELECT max(version) FROM schema_version") == [(len(pg.MIGRATIONS),)]
    for table in ("conversations", "channel_keys", "transcript", "audit"):
        lite_columns = {r[1] for r in lite_db.rows(f"PRAGMA table_info({table})")}
        pg_columns = {r[0] for r in pg_db.rows("SELECT column_name FROM information_schema.columns"
                                               f" WHERE table_name = '{table}'")}
        assert pg_columns - {"seq"} == lite_columns, table  # seq: PostgreSQL's rowid, for order


def test_a_database_at_the_first_version_is_migrated_keeping_its_rows(backend):
    if backend.name == "sqlite":
        with sqlite3.connect(backend.db) as conn:
            conn.executescript(lite.MIGRATIONS[0] + "PRAGMA user_version = 1;")
    else:
        backend.rows("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);"
                     + pg.MIGRATIONS[0])
    backend.rows("INSERT INTO conversations VALUES ('c1', 0, 0, '{\"turn\": 3}')")
    backend.rows("INSERT INTO channel_keys VALUES ('web', 'browser-1', 'c1')")
    store = backend.open()
    assert store.load("c1") == {"turn": 3} and store.bound("web", "browser-1") == "c1"
    assert store.purge(30) == 1 and store.bound("web", "browser-1") is None


def test_a_schema_from_a_newer_version_is_refused_naming_the_setting(backend):
    backend.open()
    if backend.name == "sqlite":
        backend.rows(f"PRAGMA user_version = {len(lite.MIGRATIONS) + 1}")
    else:
        backend.rows(f"INSERT INTO schema_version VALUES ({len(pg.MIGRATIONS) + 1})")
    with pytest.raises(StoreError, match="^KNEEBOT_DB: .*newer kneebot") as caught:
        backend.open()
    assert "\n" not in str(caught.value)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_the_folders_it_creates_are_private_to_their_owner(tmp_path):
    folder = tmp_path / "state" / "deeper"
    old = os.umask(0)  # checked by mode bits, which hold for root as for anyone, whatever the umask
    try:
        store = SQLiteStore(folder / "s.sqlite3")
        with store.turn("c1"):
            store.save("c1", {"turn": 1})
    finally:
        os.umask(old)
    for name in ("s.sqlite3", "s.sqlite3-wal", "s.sqlite3-shm", "s.sqlite3-turns"):
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


def test_open_store_opens_postgresql_for_a_url_even_through_settings(pg_url):
    for db in (pg_url, Settings.from_env({"KNEEBOT_DB": pg_url}).db_path):
        store = open_store(db)
        assert isinstance(store, pg.PostgresStore)
        store.save("c1", {"turn": 1})
        assert store.load("c1") == {"turn": 1}
        store.close()


def test_wrong_credentials_and_an_unreachable_server_give_one_line_naming_the_setting(postgres, pg_url):
    from pgserver import free_port

    dbname = pg_url.rsplit("/", 1)[1]
    cases = {"password authentication failed": postgres.url(dbname, password="not-the-password"),
             "refused": f"postgresql://kneebot:s3cret@127.0.0.1:{free_port()}/kneebot"}
    for reason, url in cases.items():
        with pytest.raises(StoreError, match=f"^KNEEBOT_DB: .*127.0.0.1.*{reason}") as caught:
            open_store(url)
        message = str(caught.value)
        assert "\n" not in message and "s3cret" not in message and "not-the-password" not in message


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


# --- turns: two workers never interleave one conversation's turns ----------------------------------

def _take_turns(db, name, turns, pause):
    """A worker: `turns` read-modify-write turns on one conversation, each under the turn lock."""
    import time

    store = open_store(db)
    for _ in range(turns):
        with store.turn("shared"):
            state = store.load("shared") or {"count": 0, "by": []}
            time.sleep(pause)  # the turn's work: another worker's save here would be lost
            store.save("shared", {"count": state["count"] + 1, "by": [*state.get("by", []), name]})


def test_two_processes_taking_turns_on_one_conversation_serialise(backend):
    backend.open()
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=_take_turns, args=(backend.db, f"w{n}", 15, 0.01)) for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    state = backend.open().load("shared")
    assert state["count"] == 30, "a turn was lost: two workers interleaved load and save"
    assert sorted(state["by"]) == ["w0"] * 15 + ["w1"] * 15


def _acknowledge_then_hang(db, acks):
    """A worker that saves and acknowledges turns, then is killed while holding the next turn."""
    import time

    store = open_store(db)
    for n in range(1, 1000):
        with store.turn("shared"):
            store.save("shared", {"count": n})
            acks.put(n)  # acknowledged: the reply would now go out
            if n == 5:
                time.sleep(600)  # mid-turn, lock held, when the kill comes


def test_a_worker_killed_mid_turn_loses_no_acknowledged_turn_and_frees_the_conversation(backend):
    import queue
    import signal
    import time

    backend.open()
    spawn = multiprocessing.get_context("spawn")
    acks = spawn.Queue()
    worker = spawn.Process(target=_acknowledge_then_hang, args=(backend.db, acks))
    worker.start()
    acked = [acks.get(timeout=60) for _ in range(5)]
    time.sleep(0.2)
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(10)
    with pytest.raises(queue.Empty):
        acks.get(timeout=0.1)
    assert backend.open().load("shared") == {"count": acked[-1]}
    other = spawn.Process(target=_take_turns, args=(backend.db, "after", 1, 0))
    other.start()
    other.join(60)  # the dead worker's lock went with it
    assert other.exitcode == 0
    assert backend.open().load("shared")["count"] == acked[-1] + 1


def test_a_conversation_turn_holds_the_lock_from_load_to_save(fast_assistant):
    calls = []
    store = fast_assistant.store

    class Watching:
        def __getattr__(self, name):
            return getattr(store, name)

        def turn(self, cid):
            calls.append("turn")
            held = store.turn(cid)

            class Watch:
                def __enter__(self):
                    held.__enter__()
                    calls.append("locked")

                def __exit__(self, *exc):
                    calls.append("unlocked")
                    return held.__exit__(*exc)
            return Watch()

        def load(self, cid):
            calls.append("load")
            return store.load(cid)

        def save(self, cid, state, **kw):
            calls.append("save")
            return store.save(cid, state, **kw)

    from dataclasses import replace

    from bot.dialogue import Conversation

    chat = Conversation(replace(fast_assistant.services, store=Watching()))
    calls.clear()
    chat.send("I feel a pull behind my knee when I stretch")
    assert calls[:2] == ["turn", "locked"] and calls[-1] == "unlocked"
    assert "load" in calls and "save" in calls, calls


def _hold_forever(db, ready):
    """A worker stuck mid-turn."""
    import time

    store = open_store(db)
    with store.turn("stuck"):
        ready.set()
        time.sleep(600)


def test_a_turn_waits_for_a_stuck_worker_only_so_long(backend):
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Event()
    stuck = spawn.Process(target=_hold_forever, args=(backend.db, ready))
    stuck.start()
    try:
        assert ready.wait(60)
        store = (lite.SQLiteStore if backend.name == "sqlite" else pg.PostgresStore)(backend.db, lock_timeout=0.5)
        backend.opened.append(store)
        with pytest.raises(StoreError):
            with store.turn("stuck"):
                pass
        with store.turn("another"):  # other conversations are not held up
            store.save("another", {"turn": 1})
    finally:
        stuck.kill()
        stuck.join()
