"""Stores under faults: a refused write still answers red flags and keeps them (both backends); PostgreSQL
connections the server drops are replaced."""
import logging
import sqlite3
import time
from dataclasses import replace

import psycopg
import pytest

from bot.errors import StoreError
from bot.ids import RedFlag, Triage
from bot.store import open_store

RED = "my knee gave way and I can't put weight on it"
RED_FLAGS = {RedFlag.KNEE_INSTABILITY, RedFlag.CANNOT_BEAR_WEIGHT}


def _assistant(fast_settings, db):
    from bot.assistant import Assistant
    from bot.guidance.embedding import HashEmbedder

    return Assistant.load(settings=replace(fast_settings, db_path=db), embedder=HashEmbedder())


@pytest.fixture
def pg_assistant(fast_settings, pg_url):
    """The fast assistant on a PostgreSQL store of its own."""
    assistant = _assistant(fast_settings, pg_url)
    yield assistant
    assistant.close()


def _sql(url, sql):
    if "://" not in url:
        with sqlite3.connect(url) as conn:
            conn.executescript(sql)
        return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


REFUSE = {
    "sqlite": "CREATE TRIGGER refuse_insert BEFORE INSERT ON conversations BEGIN SELECT RAISE(ABORT, 'no space left');"
              " END; CREATE TRIGGER refuse_update BEFORE UPDATE ON conversations BEGIN"
              " SELECT RAISE(ABORT, 'no space left'); END;",
    "postgres": "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'no space left'; END $$"
                " LANGUAGE plpgsql; CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON conversations"
                " FOR EACH ROW EXECUTE FUNCTION refuse()",
}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_refused_save_still_answers_the_red_flag_and_keeps_it(backend, fast_settings, tmp_path, request, caplog):
    db = str(tmp_path / "s.sqlite3") if backend == "sqlite" else request.getfixturevalue("pg_url")
    assistant = _assistant(fast_settings, db)
    request.addfinalizer(assistant.close)
    chat = assistant.conversation()
    chat.send("hi")  # saved: reading it back would bring back a conversation without red flags
    _sql(db, REFUSE[backend])
    with caplog.at_level(logging.ERROR, logger="bot"):
        reply = chat.send(RED)
    assert RED_FLAGS <= set(reply.red_flags) and reply.triage == Triage.SEEK_CARE and reply.escalation
    assert "couldn't save this conversation" in reply.text
    errors = [r.exc_info[1] for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], StoreError)]
    assert errors and "no space left" in str(errors[-1])
    later = chat.send("what should I do?")
    assert RED_FLAGS <= set(later.red_flags) and later.escalation, "kept in memory while saving fails"


def test_connections_killed_by_the_server_are_replaced(pg_assistant, pg_url):
    chat = pg_assistant.conversation()
    chat.send(RED)
    dbname = pg_url.rsplit("/", 1)[1]
    _sql(pg_url.rsplit("/", 1)[0] + "/postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
         f" WHERE datname = '{dbname}'")
    reply = chat.send("what should I do?")
    assert "couldn't save" not in reply.text and RED_FLAGS <= set(reply.red_flags)
    stored = open_store(pg_url)
    assert stored.load(chat.id)["turn"] == 2
    stored.close()


def test_an_unreachable_server_fails_turns_fast_and_they_save_again_when_it_is_back(fast_settings, monkeypatch,
                                                                                   caplog):
    """The server goes down mid-run: the red flag is answered within seconds (not after every
    operation's wait for a connection), kept in memory, and saved once the server is back."""
    from pgserver import start

    import bot.store.postgres as pg

    monkeypatch.setattr(pg, "RETRY_AFTER", 1.0)
    server = start()
    try:
        url = server.create_database()
        assistant = _assistant(fast_settings, url)
        chat = assistant.conversation()
        chat.send("hi")
        server.halt()
        started = time.monotonic()
        with caplog.at_level(logging.ERROR, logger="bot"):
            reply = chat.send(RED)
        assert time.monotonic() - started < 15
        assert RED_FLAGS <= set(reply.red_flags) and "couldn't save this conversation" in reply.text
        assert "unreachable" in caplog.text
        from bot.session import Sessions

        channel = Sessions(assistant).send("web", "a-browser-key", RED)  # its binding cannot be read either
        assert RED_FLAGS <= set(channel.reply.red_flags) and "couldn't save" in channel.reply.text
        server.resume()
        time.sleep(1.2)
        later = chat.send("what should I do?")
        assert "couldn't save" not in later.text and RED_FLAGS <= set(later.red_flags)
        stored = open_store(url)
        assert set(stored.load(chat.id)["red_flags"]) >= RED_FLAGS
        stored.close()
        assistant.close()
    finally:
        server.stop()
