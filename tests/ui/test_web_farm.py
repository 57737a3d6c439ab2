"""Several `kneebot web` workers behind nginx, sharing PostgreSQL: 20 gradio_client conversations, one
worker killed with SIGKILL halfway. No acknowledged turn is lost, no conversation sees another's red
flag, and every conversation ends with the triage, red flags and findings the same messages give
without the kill. nginx, PostgreSQL and the workers are the real ones (the tests start them)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CLIENTS = 20
STATEMENTS = (
    "I feel a pull behind my knee when I stretch",
    "the pain is right behind the knee, not at the front",
    "pointing my toes makes it ease off",
    "it burns down into my calf",
    "it's worse when I lock my knee straight",
)
RED_FLAG = "my knee gave way and I can't put weight on it"


def script(index: int) -> list[str]:
    """A client's messages: statements only (a resent one changes nothing), half with a red flag."""
    messages = list(STATEMENTS)
    if index % 2 == 0:
        messages.insert(1 + index % 4, RED_FLAG)
    return messages


@dataclass
class Talk:
    """What one client sent and saw."""

    index: int
    messages: list[str]
    session: str = ""
    acked: list[str] = field(default_factory=list)  # messages whose reply came back, in order
    sent: list[str] = field(default_factory=list)  # every attempt, in order
    crosstalk: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def converse(url: str, talk: Talk, progress: list[int], start: threading.Barrier) -> None:
    """One client: each message until its reply comes back (resent after a failure, as a person would)."""
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False, ssl_verify=False)
    talk.session = client.session_hash
    start.wait()
    for message in talk.messages:
        for attempt in range(6):
            talk.sent.append(message)
            try:
                reply = client.submit(message, api_name="/chat").result(timeout=45)
            except Exception as exc:  # the worker died under it, or the limiter asks to wait
                talk.errors.append(f"{message!r} attempt {attempt}: {type(exc).__name__}: {str(exc)[:120]}")
                time.sleep(2)
                continue
            talk.acked.append(message)
            progress.append(1)
            flagged = bool(reply["red_flags"]) or reply["triage"] != "self_care"
            if flagged != (RED_FLAG in talk.acked):
                talk.crosstalk.append(f"after {talk.acked}: triage {reply['triage']}, flags {reply['red_flags']}")
            break
    client.close()


@pytest.fixture(scope="module")
def built_index(tmp_path_factory) -> Path:
    """The index as an operator builds it: `kneebot index`."""
    folder = tmp_path_factory.mktemp("farm") / "index"
    subprocess.run([sys.executable, "-m", "bot.cli", "index"], check=True, capture_output=True, timeout=600,
                   env={**os.environ, "KNEEBOT_INDEX": str(folder)})
    return folder


@pytest.fixture
def farm(pg_url, built_index):
    """nginx in front of two `kneebot web` workers sharing PostgreSQL and one browser-storage secret."""
    from webfarm import FarmUnavailable, start_farm

    env = {"KNEEBOT_DB": pg_url, "KNEEBOT_INDEX": str(built_index), "KNEEBOT_WEB_SECRET": "farm-secret-" + "x" * 20,
           "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    try:
        running = start_farm(env, workers=2)
    except FarmUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"nginx and the web workers must run in CI: {exc}")
        pytest.skip(str(exc))
    yield running
    running.stop()


def expected_states(built_index: Path, tmp_path: Path, sequences: list[list[str]]) -> list[dict]:
    """What each message sequence leaves in a conversation, undisturbed, on one in-process assistant."""
    from bot.assistant import Assistant
    from bot.config import Settings

    assistant = Assistant.load(settings=Settings(index_dir=built_index, db_path=tmp_path / "replay.sqlite3"))
    states = []
    for messages in sequences:
        chat = assistant.conversation()
        for message in messages:
            chat.send(message)
        states.append(chat.state.to_dict())
    assistant.close()
    return states


def test_a_worker_killed_halfway_loses_no_turn_and_mixes_no_conversations(farm, pg_url, built_index, tmp_path):
    from bot.store import open_store

    talks = [Talk(i, script(i)) for i in range(CLIENTS)]
    total = sum(len(t.messages) for t in talks)
    progress: list[int] = []
    start = threading.Barrier(CLIENTS + 1)
    threads = [threading.Thread(target=converse, args=(farm.url, t, progress, start)) for t in talks]
    for thread in threads:
        thread.start()
    start.wait(timeout=120)
    deadline = time.monotonic() + 300
    while len(progress) < total // 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    victim = next(iter(farm.workers.values()))
    victim.send_signal(signal.SIGKILL)  # halfway, turns in flight
    victim.wait()
    for thread in threads:
        thread.join(timeout=600)
    assert len(progress) == total, [t.errors for t in talks if len(t.acked) < len(t.messages)]
    assert not [c for t in talks for c in t.crosstalk]

    store = open_store(pg_url)
    stored = []
    for talk in talks:
        cid = store.bound("web-api", talk.session)
        assert cid is not None, f"client {talk.index}'s conversation is bound"
        stored.append(store.load(cid))
    store.close()
    # A resent message whose first attempt was saved before the kill counts twice; replay it so.
    replays = []
    for talk, state in zip(talks, stored, strict=True):
        assert state["turn"] >= len(talk.acked), f"client {talk.index} lost an acknowledged turn"
        replays.append(talk.sent if state["turn"] == len(talk.sent) else talk.acked)
    for talk, state, want in zip(talks, stored, expected_states(built_index, tmp_path, replays), strict=True):
        for key in ("triage", "red_flags", "known"):
            assert state[key] == want[key], (talk.index, key, talk.sent, talk.errors)


@pytest.mark.browser
def test_a_page_keeps_its_conversation_when_its_worker_is_killed(farm):
    """A browser's conversation (its key in browser storage, under KNEEBOT_WEB_SECRET) continues on the
    other worker when the one that served it dies."""
    from test_web_browser import banner, chromium_browser, flat, open_page, say

    with chromium_browser() as chromium:
        tab = chromium.new_context().new_page()
        tab.set_default_timeout(30_000)
        open_page(tab, farm.url)
        first = say(tab, RED_FLAG)
        assert banner(tab).count() == 1, first
        upstream = tab.request.get(farm.url + "gradio_api/info").headers["x-kneebot-upstream"]
        victim = farm.workers[int(upstream.rsplit(":", 1)[1])]  # the worker this page's cookie sticks to
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        later = flat(say(tab, "it's right behind the knee"))
        assert banner(tab).count() == 1 and "stop" in later.lower(), later  # still seek_care, not a new start
        open_page(tab, farm.url)  # a reload, now from the other worker, shows the same conversation
        tab.wait_for_selector('#kb-banner [role="alert"]')
        assert "it's right behind the knee" in flat(tab.locator("#kb-chat").inner_text())
