"""The web page built but not served: its handlers, rendering and endpoints."""
from __future__ import annotations

import re

import gradio as gr
import pytest

from bot.errors import StoreError
from bot.ids import Triage
from bot.reply import Citation, Reply
from ui.web import (
    CHANNEL,
    PAYLOAD_LIMIT,
    SORRY,
    WebChannel,
    as_text,
    banner_html,
    build_app,
    clean_message,
    launch,
    reply_markdown,
)

RED_FLAG = "my knee gave way and I can't put weight on it"
SYMPTOM = "I feel a pull behind my knee when I stretch"


@pytest.fixture
def channel(web_assistant) -> WebChannel:
    return WebChannel(web_assistant)


def send(channel: WebChannel, text: str, stored=None):
    """One typed message; returns (textbox, messages, banner, state)."""
    box, messages, banner, _examples, state = channel.message(text, stored)
    return box, messages, banner, state


def test_build_app_without_serving(web_assistant):
    app = build_app(web_assistant, concurrency_limit=3)
    assert isinstance(app, gr.Blocks)
    assert not app.is_running
    assert app._queue.default_concurrency_limit == 3
    assert app._queue.max_size == 256


def test_only_the_chat_endpoint_is_public(web_assistant):
    app = build_app(web_assistant)
    info = app.get_api_info(all_endpoints=True)
    assert list(info["named_endpoints"]) == ["/chat"]
    assert not info["unnamed_endpoints"]
    public = {fn.api_name for fn in app.fns.values() if fn.api_visibility != "private"}
    assert public == {"chat"}


def test_first_message_binds_the_browser_to_a_conversation(web_assistant, channel):
    box, messages, banner, state = send(channel, SYMPTOM)
    assert box == ""
    assert web_assistant.store.bound(CHANNEL, state["key"]) is not None
    assert [m["role"] for m in messages] == ["user", "assistant"]
    expected = web_assistant.conversation().send(SYMPTOM)
    assert expected.question
    assert as_text(expected.question) in as_text(messages[1]["content"]) or expected.question in messages[1][
        "content"]
    assert banner == ""


def test_conversation_continues_on_the_same_key(web_assistant, channel):
    *_, state = send(channel, SYMPTOM)
    cid = web_assistant.store.bound(CHANNEL, state["key"])
    _, messages, _, state = send(channel, "I don't know", state)
    assert web_assistant.store.bound(CHANNEL, state["key"]) == cid
    assert len(messages) == 4


def test_red_flag_banner_appears_and_stays(channel):
    *_, state = send(channel, SYMPTOM)
    _, _, banner, state = send(channel, RED_FLAG, state)
    assert 'role="alert"' in banner and 'data-triage="seek_care"' in banner
    assert re.search(r"<strong>[^<]+</strong>\s*\S", banner), "the banner says what to do in words"
    _, _, banner, state = send(channel, "ok, thanks", state)
    assert 'role="alert"' in banner
    assert state["triage"] in {"seek_care", "emergency"}


def test_markup_in_a_message_is_shown_as_text(channel):
    _, messages, _, _ = send(channel, "<img src=x onerror=alert(1)> **bold** [link](http://x)")
    shown = messages[0]["content"]
    assert "<img" not in shown and "&lt;img" in shown
    assert r"\*\*bold\*\*" in shown and r"\[link\]" in shown


def test_an_oversized_message_gets_a_reply_not_an_error(channel):
    _, messages, _, _ = send(channel, "pain " * 300_000)
    assert messages[-1]["role"] == "assistant" and messages[-1]["content"] != SORRY
    assert len(messages[0]["content"]) <= PAYLOAD_LIMIT * 2


@pytest.mark.parametrize("message", [None, "", "   ", "\x00\x01"])
def test_empty_or_malformed_messages_change_nothing(channel, message):
    box, messages, banner, state = send(channel, message)
    assert messages == [] and banner == ""
    assert box != ""  # left as it was: gr.update()


def test_a_failure_is_worded_never_raised(web_assistant, channel, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(web_assistant, "conversation", broken)
    _, messages, _, _ = send(channel, SYMPTOM)
    assert messages[-1]["content"] == SORRY
    assert "boom" not in str(messages) and "Traceback" not in str(messages)


def test_new_conversation_starts_clean(web_assistant, channel):
    *_, state = send(channel, RED_FLAG)
    old = web_assistant.store.bound(CHANNEL, state["key"])
    box, messages, banner, examples, fresh = channel.new(state)
    assert (box, messages, banner) == ("", [], "")
    assert examples["visible"] is True
    assert fresh["key"] != state["key"]
    _, _, banner, fresh = send(channel, SYMPTOM, fresh)
    assert banner == ""
    assert web_assistant.store.bound(CHANNEL, fresh["key"]) != old


def test_reload_restores_the_visible_conversation(channel):
    *_, state = send(channel, RED_FLAG)
    messages, banner, examples, restored = channel.load(state)
    assert restored == state and len(messages) == 2
    assert 'role="alert"' in banner
    assert examples["visible"] is False


def test_reload_after_forget_shows_a_clean_page(web_assistant, channel):
    *_, state = send(channel, SYMPTOM)
    web_assistant.forget(web_assistant.store.bound(CHANNEL, state["key"]))
    messages, banner, _, restored = channel.load(state)
    assert messages == [] and restored["key"] != state["key"]


def test_forget_me_drops_what_was_said_and_the_next_message_starts_afresh(web_assistant, channel):
    *_, state = send(channel, RED_FLAG)
    cid = web_assistant.store.bound(CHANNEL, state["key"])
    _, messages, banner, state = send(channel, "forget me", state)
    assert len(messages) == 2 and "deleted" in messages[1]["content"] and banner == ""
    assert web_assistant.store.bound(CHANNEL, state["key"]) is None
    _, _, banner, state = send(channel, SYMPTOM, state)
    assert banner == "" and web_assistant.store.bound(CHANNEL, state["key"]) not in (None, cid)


def test_reload_while_the_store_is_down_keeps_the_page_and_the_next_message_is_answered(
        web_assistant, channel, monkeypatch):
    *_, state = send(channel, RED_FLAG)

    def down(*_args, **_kwargs):
        raise StoreError("database unreachable")

    monkeypatch.setattr(web_assistant.store, "bound", down)
    messages, banner, _, restored = channel.load(state)
    assert restored == state and len(messages) == 2 and 'role="alert"' in banner
    _, messages, banner, state = send(channel, "and my calf is swollen and hot", restored)
    assert len(messages) == 4 and messages[3]["content"] != SORRY


@pytest.mark.parametrize("stored", [None, "junk", {"key": "short", "messages": []}, {"messages": "x"}])
def test_load_tolerates_missing_or_foreign_storage(channel, stored):
    messages, banner, _, state = channel.load(stored)
    assert messages == [] and banner == "" and len(state["key"]) >= 16


def test_banner_levels_are_in_words_with_roles():
    assert banner_html(None, None) == "" and banner_html("self_care", None) == ""
    emergency = banner_html("emergency", None)
    assert 'role="alert"' in emergency and "emergency" in emergency.lower()
    assert 'role="status"' in banner_html("book_assessment", "Book an assessment.")
    assert banner_html("book_assessment", None) == ""
    assert "&lt;b&gt;" in banner_html("seek_care", "<b>x</b>")


def test_citations_collapse_under_their_section_title():
    cite = Citation("c9", "guide.md", "Pointing the <toes>", "First line.\n\nSecond & last line.")
    shown = reply_markdown(Reply("Try this.", Triage.SELF_CARE, citations=(cite,)))
    block = shown.split("\n\n", 1)[1]
    assert "\n\n" not in block, "a blank line would end the HTML block"
    assert '<details class="kb-citation"><summary>Pointing the &lt;toes&gt;</summary>' in block
    assert "Second &amp; last line." in block and "guide.md" in block


def test_reply_markdown_keeps_quotes_but_not_html():
    shown = reply_markdown(Reply("The guidance says:\n> a quoted <em>passage</em> & more", Triage.SELF_CARE))
    assert "\n> a quoted &lt;em>passage&lt;/em> &amp; more" in shown


def test_the_bots_own_words_after_a_quote_are_not_quoted():
    text = "The guidance says:\n> First passage.\n> \u2014 Section A (a.md)\n> Second.\n> \u2014 B (b.md)\nMy words."
    shown = reply_markdown(Reply(text, Triage.SELF_CARE)).split("\n")
    assert shown == ["The guidance says:", "> First passage.", "> \u2014 Section A (a.md)", "",
                     "> Second.", "> \u2014 B (b.md)", "", "My words."]


def test_clean_message_cuts_control_characters_and_length():
    assert clean_message("a\x00b\nc\x7f") == "ab\nc"
    assert len(clean_message("x" * (PAYLOAD_LIMIT + 10))) == PAYLOAD_LIMIT
    assert clean_message(42) == "42"


@pytest.mark.parametrize("auth", ["nocolon", ":pw", "user:"])
def test_launch_refuses_malformed_auth_before_serving(web_assistant, auth):
    app = build_app(web_assistant)
    with pytest.raises(ValueError, match="USER:PASSWORD"):
        launch(app, auth=auth, block=False)
    assert not app.is_running


class _Request:
    def __init__(self, session_hash: str) -> None:
        self.session_hash = session_hash


def test_a_flooding_conversation_is_asked_to_slow_down(web_assistant):
    channel = WebChannel(web_assistant)
    state, answers = None, []
    for n in range(9):
        _, messages, _, state = send_as(channel, f"{SYMPTOM} {n}", state, _Request("client-a"))
        answers.append(messages[-1]["content"])
    assert "faster than I can answer" not in answers[0]
    assert any("faster than I can answer" in a for a in answers)


def test_a_red_flag_is_read_even_when_throttled(web_assistant):
    channel = WebChannel(web_assistant)
    state = None
    for n in range(9):
        _, _, _, state = send_as(channel, f"{SYMPTOM} {n}", state, _Request("client-b"))
    _, messages, banner, state = send_as(channel, RED_FLAG, state, _Request("client-b"))
    assert "faster than I can answer" not in messages[-1]["content"]
    assert 'role="alert"' in banner and state["triage"] == "seek_care"


def test_rate_limits_can_be_turned_off_for_benchmarks(web_assistant):
    channel = WebChannel(web_assistant, rate_limits=False)
    state = None
    for n in range(12):
        _, messages, _, state = send_as(channel, f"{SYMPTOM} {n}", state, _Request("client-c"))
        assert "faster than I can answer" not in messages[-1]["content"]


def send_as(channel: WebChannel, text: str, stored, request):
    box, messages, banner, _examples, state = channel.message(text, stored, request)
    return box, messages, banner, state
