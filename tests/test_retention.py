"""Retention as a job: `kneebot purge` and the periodic purge of running servers, on both backends."""
import logging
import time

import pytest

from bot.cli import main
from bot.errors import StoreError
from bot.retention import RetentionJob, start_retention
from bot.store import open_store


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    """A store location for each backend."""
    return str(tmp_path / "s.sqlite3") if request.param == "sqlite" else request.getfixturevalue("pg_url")


def _age(store, cid):
    """Make a saved conversation look idle since 1970."""
    from test_store import Backend

    Backend("sqlite" if "://" not in store else "postgres", store).rows(
        f"UPDATE conversations SET updated_at = 0 WHERE id = '{cid}'")


def _two_conversations(db):
    store = open_store(db)
    for cid in ("old", "new"):
        store.save(cid, {"turn": 1})
        store.bind("discord", f"guild:user:{cid}", cid)
    store.close()
    _age(db, "old")


def test_kneebot_purge_deletes_idle_conversations_and_their_bindings(db, capsys):
    _two_conversations(db)
    assert main(["--db", db, "purge"]) == 0
    assert "purged 1 conversation idle for more than 30 days" in capsys.readouterr().out
    store = open_store(db)
    assert store.load("old") is None and store.bound("discord", "guild:user:old") is None
    assert store.load("new") is not None and store.bound("discord", "guild:user:new") == "new"
    assert main(["--db", db, "purge", "--days", "0"]) == 0
    assert "purged 1 conversation idle for more than 0 days" in capsys.readouterr().out
    store.close()


def test_a_running_server_purges_periodically(db):
    _two_conversations(db)
    store = open_store(db)
    job = start_retention(store, 30, interval=0.05)
    try:
        deadline = time.monotonic() + 30
        while store.bound("discord", "guild:user:old") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.load("old") is None and store.bound("discord", "guild:user:old") is None
        _age(db, "new")  # goes idle while the server runs
        runs = job.runs
        while job.runs < runs + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.load("new") is None
    finally:
        job.stop()
        store.close()


def test_a_failing_purge_is_logged_and_the_job_carries_on(caplog):
    class Broken:
        def purge(self, days):
            raise StoreError("the disk is full")

    job = RetentionJob(Broken(), 30, interval=0.01)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="bot.retention"):
        assert job.purge() is None
        job.start()
        deadline = time.monotonic() + 10
        while job.runs < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        job.stop()
    assert job.runs >= 3 and "could not apply the retention period" in caplog.text


def test_purge_of_an_unreachable_database_is_one_line_naming_the_setting(capsys):
    from pgserver import free_port

    assert main(["--db", f"postgresql://u:pw@127.0.0.1:{free_port()}/k", "purge"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kneebot: KNEEBOT_DB:") and err.count("\n") == 1 and "pw@" not in err


def test_kneebot_web_starts_the_periodic_purge_and_passes_the_shared_secret(fast_assistant, monkeypatch):
    import threading

    import bot.cli
    import ui.web

    built = {}
    monkeypatch.setattr(bot.cli, "_assistant", lambda args: fast_assistant)
    monkeypatch.setattr(ui.web, "build_app", lambda assistant, **kw: built.update(kw) or "app")
    monkeypatch.setattr(ui.web, "launch", lambda app, **kw: built.update(launched=app))
    monkeypatch.setenv("KNEEBOT_WEB_SECRET", "shared-by-every-worker")
    assert main(["web"]) == 0
    assert built == {"storage_secret": "shared-by-every-worker", "launched": "app"}
    assert any(t.name == "kneebot-retention" and t.is_alive() for t in threading.enumerate())
