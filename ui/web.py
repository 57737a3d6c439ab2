"""The Gradio web page: a thin adapter from a browser to `Conversation.send`.

Each browser holds a random key in its own storage; the store maps that key (channel "web") to a
conversation id, so the conversation survives a reload. The visible messages live in the same
browser storage rather than on the server, because the server keeps no raw text unless the operator
turns transcripts on. `build_app` constructs the page without serving it; `launch` serves it.
"""
from __future__ import annotations

import html
import logging
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from bot.errors import StoreError
from bot.ids import Triage
from bot.reply import Citation, Reply
from bot.session import Sessions
from bot.templates import Templates
from ui.throttle import Throttle

if TYPE_CHECKING:
    from bot.assistant import Assistant

log = logging.getLogger(__name__)

CHANNEL = "web"
API_CHANNEL = "web-api"
CSS_PATH = Path(__file__).parent / "assets" / "web.css"
# The core answers over-long messages politely itself; this only stops absurd payloads reaching it.
PAYLOAD_LIMIT = 50_000
STORAGE_KEY = "kneebot-web"

# The page's own wording lives with the reviewed templates (bot/data/templates.yaml, "channels.web").
_TEXT = Templates.load()
EXAMPLES = tuple(_TEXT.data["channels"]["web"]["examples"])
BANNER_HEADINGS = {level: _TEXT(f"channels.web.banner_headings.{level}") for level in
                   (Triage.EMERGENCY, Triage.SEEK_CARE, Triage.BOOK_ASSESSMENT)}
BANNER_DEFAULTS = {level: _TEXT(f"escalate_banner.{level}") for level in BANNER_HEADINGS}
INTRO = _TEXT("channels.web.intro")
FOOTER = _TEXT("channels.web.footer")
SORRY = _TEXT("channels.web.sorry")
THROTTLED = _TEXT("throttled")

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def as_text(text: str) -> str:
    """Escape a person's message so the chat shows it literally: no HTML, no markdown."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(text, quote=False))


def clean_message(message: Any) -> str:
    """A message as the core should see it: a string, control characters gone, absurd length cut."""
    if not isinstance(message, str):
        message = "" if message is None else str(message)
    return _CONTROL.sub("", message)[:PAYLOAD_LIMIT].strip()


def citation_html(citation: Citation) -> str:
    """One cited passage, collapsed under its section title."""
    section = html.escape(citation.section or "Passage")
    body = "<br>".join(html.escape(line) for line in citation.text.splitlines() if line.strip())
    source = html.escape(citation.source)
    return (f'<details class="kb-citation"><summary>{section}</summary>'
            f'<blockquote>{body}</blockquote><span class="kb-source-name">From: {source}</span></details>')


def _separate_quotes(text: str) -> str:
    """End each quoted passage with a blank line, so the bot's next words are not shown as quoted."""
    lines: list[str] = []
    quoting = False
    for line in text.splitlines():
        quote = line.startswith(">")
        if quoting and not quote:
            lines.append("")
        lines.append(line)
        if quote and line.lstrip("> ").startswith("\u2014"):  # "> — Section (source)" ends a passage
            lines.append("")
            quote = False
        quoting = quote
    return "\n".join(lines).strip("\n")


def reply_markdown(reply: Reply) -> str:
    """A reply as chat markdown: its text, then its sources, each collapsible."""
    # Reviewed templates and verbatim passages: markdown is meant ("> " quotes a passage), HTML is not.
    text = _separate_quotes(reply.text.replace("&", "&amp;").replace("<", "&lt;"))
    if not reply.citations:
        return text
    # No blank lines inside the HTML block, or the markdown renderer would end it early.
    sources = "".join(citation_html(c) for c in reply.citations)
    return f'{text}\n\n<div class="kb-sources"><p>What this is based on:</p>{sources}</div>'


def banner_html(triage: str | None, escalation: str | None) -> str:
    """The triage banner in words with an ARIA role; empty while no care is recommended."""
    try:
        level = Triage(triage) if triage else Triage.SELF_CARE
    except ValueError:
        level = Triage.SELF_CARE
    if level is Triage.SELF_CARE or (level is Triage.BOOK_ASSESSMENT and not escalation):
        return ""
    role = "alert" if level.rank >= Triage.SEEK_CARE.rank else "status"
    statement = html.escape(escalation or BANNER_DEFAULTS[level])
    return (f'<div class="kb-banner kb-{level.value}" role="{role}" data-triage="{level.value}">'
            f"<strong>{BANNER_HEADINGS[level]}</strong>{statement}</div>")


def _fresh_state() -> dict[str, Any]:
    return {"key": secrets.token_urlsafe(18), "messages": [], "triage": None, "escalation": None}


def _browser_state(value: Any) -> dict[str, Any]:
    """The browser's stored value, or a fresh one when it is missing or not ours."""
    if (isinstance(value, dict) and isinstance(value.get("key"), str) and len(value["key"]) >= 16
            and isinstance(value.get("messages"), list)):
        return value
    return _fresh_state()


class Throttled(Exception):
    """A message refused by the rate limits; `wait` is the seconds until the next is read."""

    def __init__(self, wait: float) -> None:
        super().__init__(wait)
        self.wait = wait

    @property
    def notice(self) -> str:
        """The polite reply, from the reviewed templates."""
        return THROTTLED.format(seconds=max(1, round(self.wait)))


class WebChannel:
    """The page's and the API's handlers: session key -> conversation -> reply -> chat messages."""

    def __init__(self, assistant: Assistant, *, rate_limits: bool = True) -> None:
        self.sessions = Sessions(assistant)
        # Per conversation and per client (Gradio session); a red flag is read whatever the rate.
        self.per_conversation = Throttle(burst=6, refill_seconds=2.0) if rate_limits else None
        self.per_client = Throttle(burst=12, refill_seconds=1.0) if rate_limits else None

    def _check_rate(self, key: str, client: str | None, text: str) -> None:
        waits = [bucket.take(k) for bucket, k in ((self.per_conversation, key), (self.per_client, client))
                 if bucket is not None and k]
        wait = max(waits, default=0.0)
        if wait and not self.sessions.mentions_red_flag(text):
            raise Throttled(wait)

    def send(self, channel: str, key: str, text: str, client: str | None = None) -> tuple[Reply, bool]:
        """Send one message on the conversation bound to `key`; True when the page should start afresh
        (a new conversation, or "forget me" deleted this one).

        Raises Throttled when the conversation or the client sends faster than the rate limits allow.
        """
        self._check_rate(f"{channel}:{key}", client, text)
        turn = self.sessions.send(channel, key, text)
        return turn.reply, turn.started or turn.forgotten

    def load(self, stored: Any) -> tuple[Any, ...]:
        """Page (re)load: the stored messages, unless the server no longer has their conversation."""
        state = _browser_state(stored)
        try:
            held = not state["messages"] or self.sessions.bound(CHANNEL, state["key"]) is not None
        except StoreError:  # the store is down: keep what the browser holds; the next message says so
            log.exception("could not look up the conversation on page load")
            held = True
        if not held:  # forgotten or past retention: don't show what the server no longer holds
            state = _fresh_state()
        return (*_view(state), state)

    def message(self, message: Any, stored: Any, request: gr.Request | None = None) -> tuple[Any, ...]:
        """A message typed in the page: the cleared textbox, the chat, banner, examples and state."""
        state = _browser_state(stored)
        text = clean_message(message)
        if not text:
            return (gr.update(), *_view(state), state)
        client = getattr(request, "session_hash", None)
        try:
            reply, new = self.send(CHANNEL, state["key"], text, client)
        except Throttled as exc:
            answer = exc.notice
        except Exception:  # a person gets words, never a stack trace; the operator gets the log
            log.exception("web message failed")
            answer = SORRY
        else:
            if new:
                state = {**state, "messages": [], "triage": None, "escalation": None}
            answer = reply_markdown(reply)
            state = {**state, "triage": str(reply.triage), "escalation": reply.escalation}
        state["messages"] = [*state["messages"], {"role": "user", "content": as_text(text)},
                             {"role": "assistant", "content": answer}]
        return ("", *_view(state), state)

    def example(self, stored: Any, evt: gr.EventData, request: gr.Request) -> tuple[Any, ...]:
        """An example opener clicked: send its text."""
        return self.message(getattr(evt.target, "value", ""), stored, request)

    def new(self, stored: Any = None) -> tuple[Any, ...]:
        """The "New conversation" button: a new browser key, so the next message starts a new conversation."""
        state = _fresh_state()  # the old conversation is left to the retention purge
        return ("", *_view(state), state)

    def api(self, message: str, request: gr.Request) -> dict[str, Any]:
        """Send a message on this API client's conversation; returns the reply and its escalation."""
        text = clean_message(message)
        if not text:
            raise gr.Error("Please send a message describing what you feel.", print_exception=False)
        if not request.session_hash:
            raise gr.Error("This client has no session; reconnect and try again.", print_exception=False)
        try:
            reply, _ = self.send(API_CHANNEL, request.session_hash, text, request.session_hash)
        except Throttled as exc:
            raise gr.Error(exc.notice, print_exception=False) from None
        except Exception:
            log.exception("api message failed")
            raise gr.Error(SORRY, print_exception=False) from None
        return {**reply.to_dict(), "escalation": reply.escalation}


def _view(state: dict[str, Any]) -> tuple[list[dict[str, str]], str, Any]:
    """Chat messages, banner and example row for a browser state."""
    return (state["messages"], banner_html(state["triage"], state["escalation"]),
            gr.update(visible=not state["messages"]))


def build_app(assistant: Assistant, *, concurrency_limit: int = 4, max_queue: int = 256,
              storage_secret: str = "kneebot-web-page", title: str = "kneebot",
              rate_limits: bool = True) -> gr.Blocks:
    """The web page for `assistant`, built but not served.

    `concurrency_limit` is how many messages are processed at once (the queue holds up to
    `max_queue` more). `storage_secret` keys the browser-storage encryption; it reaches the page,
    so it only obscures, and it is fixed so that a browser's conversation survives a server restart.
    `rate_limits` turns the per-conversation and per-client limits off (load benchmarks only).
    """
    channel = WebChannel(assistant, rate_limits=rate_limits)
    private: dict[str, Any] = {"api_visibility": "private"}
    with gr.Blocks(title=title, analytics_enabled=False, fill_width=False) as app:
        stored = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=storage_secret)
        with gr.Column(elem_id="kb-page"):
            banner = gr.HTML("", elem_id="kb-banner", js_on_load=None, container=False)
            gr.Markdown(INTRO, elem_id="kb-intro")
            chatbot = gr.Chatbot(
                label="Conversation", elem_id="kb-chat", height="min(62vh, 640px)",
                latex_delimiters=[], sanitize_html=True, allow_tags=False, feedback_options=None,
                buttons=["copy"], placeholder="Your conversation will appear here.",
            )
            with gr.Column(elem_id="kb-examples") as examples:
                gr.Markdown("Or start with one of these:", elem_classes="kb-chat-note")
                with gr.Row():
                    example_buttons = [gr.Button(text, size="sm", variant="secondary", elem_classes="kb-example")
                                       for text in EXAMPLES]
            message = gr.Textbox(
                label="Your message", elem_id="kb-message", lines=1, max_lines=6,
                placeholder="Describe what you feel, e.g. a pull behind the knee when I stretch",
            )
            with gr.Row():
                send = gr.Button("Send", variant="primary", elem_id="kb-send")
                new = gr.Button("New conversation", variant="secondary", elem_id="kb-new")
            gr.Markdown(FOOTER, elem_id="kb-footer")

        view = [chatbot, banner, examples, stored]
        app.load(channel.load, inputs=[stored], outputs=view, **private)
        message.submit(channel.message, inputs=[message, stored], outputs=[message, *view], **private)
        send.click(channel.message, inputs=[message, stored], outputs=[message, *view], **private)
        # The chat's own clear (bin) icon means the same as "New conversation".
        for event in (new.click, chatbot.clear):
            event(channel.new, inputs=[stored], outputs=[message, *view], **private)
        for button in example_buttons:
            button.click(channel.example, inputs=[stored], outputs=[message, *view], **private)
        gr.api(channel.api, api_name="chat")
    app.queue(default_concurrency_limit=concurrency_limit, max_size=max_queue)
    return app


def launch(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, root_path: str | None = None,
           auth: str | tuple[str, str] | None = None, share: bool = False, block: bool = True) -> gr.Blocks:
    """Serve a built page.

    host: interface to bind (127.0.0.1 by default; "0.0.0.0" to expose it on the network).
    port: TCP port (7860 by default). root_path: the public path prefix when served behind a reverse
    proxy (e.g. "/kneebot"). auth: optional basic auth as "user:password" or (user, password).
    share: ask Gradio for a public share link; off unless explicitly wanted. block: False returns once
    the server is up (for tests); True serves until interrupted.
    """
    credentials: tuple[str, str] | None = None
    if isinstance(auth, str):
        user, sep, password = auth.partition(":")
        if not sep or not user or not password:
            raise ValueError("auth must look like USER:PASSWORD")
        credentials = (user, password)
    elif auth is not None:
        credentials = (auth[0], auth[1])
    app.launch(
        server_name=host, server_port=port, root_path=root_path, auth=credentials, share=share,
        prevent_thread_lock=not block, show_error=False, quiet=not block, inbrowser=False,
        css=CSS_PATH.read_text(encoding="utf-8"), theme=gr.themes.Default(primary_hue="blue"),
        footer_links=["api"],
        enable_monitoring=False, ssr_mode=False, pwa=False, mcp_server=False,
    )
    return app
