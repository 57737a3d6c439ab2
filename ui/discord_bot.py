"""kneebot on Discord: direct messages, a thread per @mention, and slash commands.

A DM (key: the user) and a bot-opened thread (key: the thread and the person who opened it) each
map to one conversation id in the store under channel "discord", so a restart resumes them and
nobody else's messages in a public thread reach that person's conversation. The core blocks, so
every call into it runs on one worker thread: the event loop never waits on it, turns reach the
core one at a time, and the store's per-thread SQLite connection is closed on that same thread.
"""
from __future__ import annotations

import asyncio
import logging
import re
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from typing import Any, Literal, TypeVar

import discord
from discord import app_commands

from bot.reply import Reply
from bot.session import Sessions
from ui import discord_format as fmt
from ui.discord_format import Outgoing, notice
from ui.throttle import Throttle

log = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "discord"
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440  # a day without messages

# The SPEC's own phrases, so /reset and /forget behave exactly as typing them does.
START_OVER = "start over"
FORGET_ME = "forget me"

_MENTION = re.compile(r"<@!?(\d+)>")


def dm_key(user_id: int) -> str:
    """The store key of a person's private conversation (DMs and /knee in servers)."""
    return f"dm:{user_id}"


def thread_key(thread_id: int, user_id: int) -> str:
    """The store key of the conversation a person opened in a thread."""
    return f"thread:{thread_id}:{user_id}"


def strip_mentions(text: str, user_id: int) -> str:
    """The message without mentions of the bot."""
    return _MENTION.sub(lambda m: "" if int(m.group(1)) == user_id else m.group(0), text).strip()


class KneeBot(discord.Client):
    """The Discord adapter: maps DMs and threads to conversations and shows their replies."""

    def __init__(self, assistant: Any, *, intents: discord.Intents | None = None,
                 throttle: Throttle | None = None, sync_commands: bool = True) -> None:
        if intents is None:
            intents = discord.Intents.default()
            intents.message_content = True  # follow-ups in a thread come without a mention
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none())
        self.assistant = assistant
        self.sessions = Sessions(assistant)
        self.throttle = throttle or Throttle()
        self.sync_commands = sync_commands
        self.tree = app_commands.CommandTree(self)
        self._core = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kneebot-core")
        self._core_closed = False
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._register_commands()

    # --- the core, off the event loop -----------------------------------------------------------
    async def core(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call into the core on the worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self._core, fn, *args)

    def _turn(self, key: str, text: str) -> Reply:
        turn = self.sessions.send(CHANNEL, key, text)
        if turn.forgotten and key.startswith("thread:"):
            # The thread stays the opener's, now mapped to an empty conversation so they can carry on there.
            self.sessions.restart(CHANNEL, key)
        return turn.reply

    def _label(self, flag: str) -> str:
        templates = getattr(self.assistant, "templates", None)
        try:
            return str(templates(f"flag_labels.{flag}")) if templates else fmt.flag_label(flag)
        except Exception:  # a missing label must never stop an escalation from showing
            return fmt.flag_label(flag)

    def render(self, reply: Reply) -> list[Outgoing]:
        """The Discord messages for one reply."""
        return fmt.format_reply(reply, labels=self._label)

    async def converse(self, key: str, text: str) -> list[Outgoing]:
        """One turn of the conversation behind `key`, as messages to send."""
        try:
            reply = await self.core(self._turn, key, text)
        except Exception:
            log.exception("a turn failed for %s", key)
            return notice(fmt.FAILED)
        return self.render(reply)

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    # --- messages --------------------------------------------------------------------------------
    async def on_message(self, message: discord.Message) -> None:
        """Answer DMs, open a thread on a mention, and answer follow-ups in our threads."""
        if message.author.bot or message.webhook_id is not None or self.user is None:
            return
        if message.guild is None:
            await self.on_direct_message(message)
        elif isinstance(message.channel, (discord.Thread, discord.PartialMessageable)):  # uncached: a thread
            await self.on_thread_message(message)
        elif self.user in message.mentions:
            await self.on_mention(message)

    async def on_direct_message(self, message: discord.Message) -> None:
        """A DM continues the person's private conversation."""
        await self._answer(message.channel, message.author, dm_key(message.author.id), message.content)

    async def on_mention(self, message: discord.Message) -> None:
        """A mention in a server channel opens a public thread for a new conversation."""
        assert self.user is not None
        if not await self._allowed(message.channel, message.author, message.content):
            return
        name = f"kneebot · {message.author.display_name}"[:100]
        try:
            thread = await message.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except (discord.Forbidden, discord.HTTPException, ValueError):
            log.warning("could not open a thread in channel %s", message.channel.id)
            await self._send(message.channel, notice(fmt.NO_THREAD))
            return
        key = thread_key(thread.id, message.author.id)
        text = strip_mentions(message.content, self.user.id)
        async with self._lock(key):
            try:
                await self.core(self.sessions.restart, CHANNEL, key)
            except Exception:
                log.exception("could not start a conversation for %s", key)
                await self._send(thread, notice(fmt.FAILED))
                return
            if not text:
                await self._send(thread, notice(fmt.GREETING))
                return
            async with typing(thread):
                out = await self.converse(key, text)
            await self._send(thread, out)

    async def on_thread_message(self, message: discord.Message) -> None:
        """In a thread, answer the person whose conversation it holds; point anyone else elsewhere."""
        assert self.user is not None
        key = thread_key(message.channel.id, message.author.id)
        mentioned = self.user in message.mentions
        if await self.core(self.sessions.bound, CHANNEL, key) is None:
            if mentioned:
                await self._send(message.channel, notice(fmt.NOT_YOURS))
            return
        text = strip_mentions(message.content, self.user.id)
        await self._answer(message.channel, message.author, key, text)

    async def _answer(self, channel: discord.abc.Messageable, user: discord.abc.User, key: str,
                      text: str) -> None:
        if not await self._allowed(channel, user, text):
            return
        async with self._lock(key):
            async with typing(channel):
                out = await self.converse(key, text)
            await self._send(channel, out)

    async def _allowed(self, channel: discord.abc.Messageable, user: discord.abc.User, text: str) -> bool:
        wait = self.throttle.take(user.id)
        if wait and self.sessions.mentions_red_flag(text):
            return True  # a flood never hides a red flag
        if wait and self.throttle.first_warning(user.id):
            await self._send(channel, notice(fmt.THROTTLED.format(seconds=max(1, round(wait)))))
        return not wait

    async def _send(self, channel: discord.abc.Messageable, out: Sequence[Outgoing]) -> None:
        embeds = _can_embed(channel)
        try:
            for item in out:
                await channel.send(**fmt.send_kwargs(item, embeds))
        except discord.Forbidden:
            log.warning("not allowed to send messages in channel %s", getattr(channel, "id", "?"))

    # --- slash commands --------------------------------------------------------------------------
    def _register_commands(self) -> None:
        @self.tree.command(name="knee", description="Start or continue your private kneebot conversation")
        @app_commands.describe(message="What you feel, or your answer to my last question")
        async def knee(interaction: discord.Interaction, message: str) -> None:
            await self.knee_command(interaction, message)

        @self.tree.command(name="reset", description="Start a new conversation")
        async def reset(interaction: discord.Interaction) -> None:
            await self.reset_command(interaction)

        @self.tree.command(name="forget", description="Delete what kneebot stored about this conversation")
        async def forget(interaction: discord.Interaction) -> None:
            await self.forget_command(interaction)

        @self.tree.command(name="about", description="What kneebot is, how to use it, what it stores")
        async def about(interaction: discord.Interaction) -> None:
            await self.about_command(interaction)

    async def knee_command(self, interaction: discord.Interaction, message: str) -> None:
        """/knee: a turn of the person's private conversation, ephemeral in servers."""
        ephemeral = interaction.guild is not None
        wait = self.throttle.take(interaction.user.id)
        if wait and not self.sessions.mentions_red_flag(message):
            await interaction.response.send_message(fmt.THROTTLED.format(seconds=max(1, round(wait))),
                                                    ephemeral=True)
            return
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        key = dm_key(interaction.user.id)
        async with self._lock(key):
            out = await self.converse(key, message)
            await self._followup(interaction, out, ephemeral)

    async def _command_key(self, interaction: discord.Interaction) -> str:
        """The thread's conversation when the person owns it here, else their private one."""
        channel = interaction.channel
        if isinstance(channel, discord.Thread):
            key = thread_key(channel.id, interaction.user.id)
            if await self.core(self.sessions.bound, CHANNEL, key) is not None:
                return key
        return dm_key(interaction.user.id)

    async def reset_command(self, interaction: discord.Interaction) -> None:
        """/reset: start over, as the core does for "start over" (earlier advice to get checked stands)."""
        await self._command_turn(interaction, START_OVER)

    async def forget_command(self, interaction: discord.Interaction) -> None:
        """/forget: delete what is stored about the current conversation, as "forget me" does."""
        await self._command_turn(interaction, FORGET_ME, thread_note=fmt.FORGET_THREAD)

    async def _command_turn(self, interaction: discord.Interaction, text: str, thread_note: str = "") -> None:
        ephemeral = interaction.guild is not None
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        key = await self._command_key(interaction)
        async with self._lock(key):
            out = await self.converse(key, text)
            if thread_note and key.startswith("thread:"):
                out = [*out, *notice(thread_note)]
            await self._followup(interaction, out, ephemeral)

    async def about_command(self, interaction: discord.Interaction) -> None:
        """/about: what kneebot is, how to use it and what it stores."""
        settings = getattr(self.assistant, "settings", None)
        days = getattr(settings, "retention_days", 30)
        embed = discord.Embed(title="About kneebot", description=fmt.ABOUT.format(days=days),
                              colour=discord.Colour.blurple())
        await interaction.response.send_message(embed=embed, ephemeral=interaction.guild is not None)

    async def _followup(self, interaction: discord.Interaction, out: Sequence[Outgoing],
                        ephemeral: bool) -> None:
        permissions = getattr(interaction, "app_permissions", None)
        embeds = permissions is None or permissions.embed_links
        for item in out:
            await interaction.followup.send(**fmt.send_kwargs(item, embeds), ephemeral=ephemeral)

    # --- lifecycle -------------------------------------------------------------------------------
    async def setup_hook(self) -> None:
        """Register the slash commands with Discord."""
        if self.sync_commands:
            try:
                await self.tree.sync()
            except discord.HTTPException:
                log.warning("could not register the slash commands; messages still work", exc_info=True)

    async def on_ready(self) -> None:
        """Say where the bot is connected."""
        log.info("connected to Discord as %s in %d servers", self.user, len(self.guilds))

    async def close(self) -> None:
        """Disconnect, then close the store on the worker thread that used it."""
        try:
            await super().close()
        finally:
            await self.close_core()

    async def close_core(self) -> None:
        """Let the turn in progress finish, then close the store and stop the worker."""
        if self._core_closed:
            return
        self._core_closed = True
        store = self.assistant.store
        with suppress(Exception):
            await asyncio.get_running_loop().run_in_executor(self._core, store.close)
        self._core.shutdown(wait=False)
        store.close()


@asynccontextmanager
async def typing(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """Show "kneebot is typing…" while the core works; a failure to show it never stops the answer."""
    indicator = channel.typing()
    try:
        await indicator.__aenter__()
    except (discord.HTTPException, AttributeError, RuntimeError):
        log.debug("no typing indicator in channel %s", getattr(channel, "id", "?"))
        yield
        return
    try:
        yield
    finally:
        await indicator.__aexit__(None, None, None)


def _can_embed(channel: discord.abc.Messageable) -> bool:
    guild = getattr(channel, "guild", None)
    if guild is None or guild.me is None:
        return True
    return channel.permissions_for(guild.me).embed_links  # type: ignore[attr-defined]


def build_bot(assistant: Any, *, intents: discord.Intents | None = None, throttle: Throttle | None = None,
              sync_commands: bool = True) -> KneeBot:
    """The bot over a loaded assistant, not yet connected."""
    return KneeBot(assistant, intents=intents, throttle=throttle, sync_commands=sync_commands)
