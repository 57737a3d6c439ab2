"""Channel sessions: (channel, key) -> conversation, restart, forget, and the throttle's red-flag check."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from bot.errors import KneebotError
from bot.session import RED_FLAG_SCAN_LIMIT, Sessions

RED_FLAG = "my knee gave way and I can't put weight on it"
SYMPTOM = "I feel a pull behind my knee when I stretch"


@pytest.fixture
def sessions(fast_assistant) -> Sessions:
    return Sessions(fast_assistant)


@pytest.fixture
def key() -> str:
    return uuid.uuid4().hex


def test_the_first_message_binds_the_key_and_later_ones_continue(sessions, key):
    first = sessions.send("web", key, SYMPTOM)
    cid = sessions.bound("web", key)
    assert first.started and not first.forgotten and cid is not None
    second = sessions.send("web", key, RED_FLAG)
    assert not second.started and not second.forgotten
    assert sessions.bound("web", key) == cid
    assert second.reply.red_flags and sessions.conversation("web", key)[0].state.red_flags


def test_keys_and_channels_never_share_a_conversation(sessions, key):
    sessions.send("web", key, RED_FLAG)
    other_channel = sessions.send("discord", key, SYMPTOM)
    other_key = sessions.send("web", key + "-b", SYMPTOM)
    assert other_channel.started and not other_channel.reply.red_flags
    assert other_key.started and not other_key.reply.red_flags
    assert len({sessions.bound("web", key), sessions.bound("discord", key), sessions.bound("web", key + "-b")}) == 3


def test_a_stored_conversation_is_resumed_by_a_new_sessions_object(fast_assistant, sessions, key):
    sessions.send("discord", key, RED_FLAG)
    chat, new = Sessions(fast_assistant).conversation("discord", key)
    assert not new and chat.id == sessions.bound("discord", key)
    assert chat.state.red_flags


def test_forget_me_deletes_the_conversation_and_the_next_message_starts_a_new_one(fast_assistant, sessions, key):
    sessions.send("web", key, RED_FLAG)
    cid = sessions.bound("web", key)
    turn = sessions.send("web", key, "forget me")
    assert turn.forgotten and not turn.started
    assert sessions.bound("web", key) is None and fast_assistant.store.load(cid) is None
    after = sessions.send("web", key, SYMPTOM)
    assert after.started and not after.reply.red_flags
    assert sessions.bound("web", key) not in (None, cid)


def test_forget_me_as_the_first_message_leaves_nothing_bound(sessions, key):
    turn = sessions.send("discord", key, "forget me")
    assert turn.started and turn.forgotten
    assert sessions.bound("discord", key) is None


def test_restart_binds_a_new_empty_conversation_and_keeps_the_old_one(fast_assistant, sessions, key):
    sessions.send("discord", key, SYMPTOM)
    old = sessions.bound("discord", key)
    chat = sessions.restart("discord", key)
    assert sessions.bound("discord", key) == chat.id != old
    assert fast_assistant.store.load(old) is not None, "left to the retention purge"
    assert not sessions.send("discord", key, "no").started


def test_forget_deletes_everything_stored_for_the_key_only(fast_assistant, sessions, key):
    sessions.send("web", key, RED_FLAG)
    sessions.send("web", key + "-b", SYMPTOM)
    cid, other = sessions.bound("web", key), sessions.bound("web", key + "-b")
    sessions.forget("web", key)
    assert sessions.bound("web", key) is None
    assert fast_assistant.store.load(cid) is None and fast_assistant.store.audit_log(cid) == []
    assert sessions.bound("web", key + "-b") == other and fast_assistant.store.load(other) is not None
    sessions.forget("web", key)  # nothing bound: nothing to do


def test_a_conversation_that_cannot_be_resumed_is_replaced(fast_assistant, sessions, key, monkeypatch):
    sessions.send("web", key, SYMPTOM)
    broken = sessions.bound("web", key)
    real = fast_assistant.conversation

    def conversation(conversation_id=None):
        if conversation_id == broken:
            raise KneebotError("unreadable")
        return real(conversation_id)

    monkeypatch.setattr(fast_assistant, "conversation", conversation)
    turn = sessions.send("web", key, SYMPTOM)
    assert turn.started and sessions.bound("web", key) not in (None, broken)


def test_mentions_red_flag(sessions):
    assert sessions.mentions_red_flag(RED_FLAG)
    assert not sessions.mentions_red_flag(SYMPTOM)


class _Detector:
    def __init__(self, fail: bool = False) -> None:
        self.fail, self.seen = fail, []

    def scan(self, text: str):
        self.seen.append(text)
        if self.fail:
            raise RuntimeError("broken detector")
        return SimpleNamespace(detections=())


def test_mentions_red_flag_reads_at_most_the_limit():
    detector = _Detector()
    sessions = Sessions(SimpleNamespace(detector=detector))  # type: ignore[arg-type]
    assert not sessions.mentions_red_flag("x" * (RED_FLAG_SCAN_LIMIT * 3))
    assert len(detector.seen[0]) == RED_FLAG_SCAN_LIMIT


def test_mentions_red_flag_says_yes_when_in_doubt():
    sessions = Sessions(SimpleNamespace(detector=_Detector(fail=True)))  # type: ignore[arg-type]
    assert sessions.mentions_red_flag("hello")
