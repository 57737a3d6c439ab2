"""The terminal chat, fed from a string instead of a keyboard."""
from __future__ import annotations

import io

from ui.terminal import CHANNEL, run_terminal

RED_FLAG = "my knee gave way and I can't put weight on it"


def chat(assistant, *lines: str) -> str:
    out = io.StringIO()
    assert run_terminal(assistant, io.StringIO("".join(f"{line}\n" for line in lines)), out) == 0
    return out.getvalue()


def test_a_red_flag_leads_with_the_escalation_and_quit_ends_the_run(fast_assistant):
    shown = chat(fast_assistant, RED_FLAG, "quit", "never read")
    assert "not a diagnosis" in shown and "\n!! " in shown
    assert shown.count("!! ") == 1


def test_forget_me_starts_afresh(fast_assistant):
    *_, forgotten, after = chat(fast_assistant, RED_FLAG, "forget me", "thanks").strip().split("\n\n")
    assert "deleted" in forgotten
    assert "!! " not in after, "the forgotten conversation's triage is gone"


def test_each_run_is_its_own_session(fast_assistant, monkeypatch):
    keys: list[tuple[str, str]] = []
    real = fast_assistant.store.bind
    monkeypatch.setattr(fast_assistant.store, "bind", lambda c, k, cid: (keys.append((c, k)), real(c, k, cid)))
    chat(fast_assistant, "hello")
    chat(fast_assistant, "hello")
    assert len(keys) == 2 and keys[0][0] == CHANNEL and keys[0][1] != keys[1][1]
