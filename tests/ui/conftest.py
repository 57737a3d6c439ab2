"""Fixtures for the web channel: an assistant on temporary state, and a served page."""
from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ids import Triage
from bot.reply import Citation, Reply
from bot.store import Store

REPO = Path(__file__).resolve().parents[2]


class _StandInChat:
    def __init__(self, assistant: _StandInAssistant, cid: str) -> None:
        self.assistant, self.id = assistant, cid

    def send(self, text: str) -> Reply:
        state = self.assistant.states.setdefault(self.id, {"triage": "self_care", "flags": []})
        if "gave way" in text:
            state["triage"], state["flags"] = "seek_care", ["knee_instability", "cannot_bear_weight"]
        self.assistant.store.save(self.id, state)
        cite = Citation("c1", "000.txt", "When to Seek Medical Guidance", "If the knee gives way.")
        escalation = "Stop stretching that leg and get it checked promptly." if state["flags"] else None
        question = "Where exactly do you feel it?" if "pull" in text else None
        body = question or f"You said: {text}"
        return Reply(body, Triage(state["triage"]), tuple(state["flags"]), question, (cite,),
                     escalation=escalation)


class _StandInAssistant:
    """Temporary stand-in for bot.Assistant while the core is being written."""

    def __init__(self, db: Path) -> None:
        self.store, self.states = Store(db), {}

    def conversation(self, cid: str | None = None) -> _StandInChat:
        if cid is not None and self.store.load(cid) is None and cid not in self.states:
            raise LookupError(cid)
        return _StandInChat(self, cid or uuid.uuid4().hex)

    def forget(self, cid: str) -> None:
        self.store.forget(cid)


@pytest.fixture(scope="session")
def web_assistant(tmp_path_factory: pytest.TempPathFactory):
    """An assistant over the real corpus with all state under a temporary folder."""
    tmp = tmp_path_factory.mktemp("web")
    return _StandInAssistant(tmp / "kneebot.sqlite3")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def web_url(web_assistant) -> Iterator[str]:
    """The page served on a free loopback port; yields its URL."""
    from ui.web import build_app, launch

    app = build_app(web_assistant)
    port = free_port()
    launch(app, port=port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()
