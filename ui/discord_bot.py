"""kneebot on Discord: direct messages, a thread per @mention, and slash commands.

A DM (key: the user) and a thread (key: the thread and the person) each map to one conversation id in
the store under channel "discord", so a restart, or another shard, resumes them, and nobody else's
messages in a thread reach that person's conversation. The bot is an `AutoShardedClient`: one process
runs every shard it is given, and all of them share the store. A mention in a channel opens a thread
(private unless the operator chose public ones); a mention inside a thread or forum post is answered
there. Follow-ups without a mention are read only in threads the bot opened, which it knows without
asking the store.
"""
from __future__ import annotations

import logging
import re
from collections import OrderedDict
from typing import Any, Literal

import discord
from discord import app_commands

from ui import discord_delivery as deliver
from ui import discord_format as fmt
from ui.discord_commands import Commands
from ui.discord_format import notice
from ui.discord_turns import CHANNEL, Closing, Turns, dm_key, thread_key
from ui.throttle import Throttle

__all__ = ["CHANNEL", "KneeBot", "Throttle", "build_bot", "dm_key", "thread_key"]
log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440  # a day without messages
SHUTDOWN_GRACE_SECONDS = 30.0  # how long closing waits for the replies in progress
_THREADS_KEPT = 4096  # uncached threads remembered, so each costs one fetch
_MENTION = re.compile(r"<@[!&]?(\d+)>")
# What the bot needs in a server (docs/discord.md shows this integer in the invite URL).
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                  create_public_threads=True, create_private_threads=True,
                                  embed_links=True, read_message_history=True)
SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int) -> str:
    """The URL that adds the bot to a server with exactly the scopes and permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)


def strip_mentions(text: str, ids: set[int]) -> str:
    """The message without mentions of the bot (its user or its managed role)."""
    return _MENTION.sub(lambda m: "" if int(m.group(1)) in ids else m.group(0), text).strip()


class KneeBot(discord.AutoShardedClient):
    """The Discord adapter: maps DMs and threads to conversations and shows their replies."""

    def __init__(self, assistant: Any, *, intents: discord.Intents | None = None,
                 throttle: Throttle | None = None, sync_commands: bool = True,
                 shard_count: int | None = None, public_threads: bool = False) -> None:
        if intents is None:
            intents = discord.Intents.default()
            intents.message_content = True  # follow-ups in a thread come without a mention
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none(),
                         shard_count=shard_count)
        self.assistant = assistant
        self.turns = Turns(assistant)
        self.sessions = self.turns.sessions
        self.throttle = throttle or Throttle()
        self.sync_commands = sync_commands
        self.public_threads = public_threads
        self.tree = app_commands.CommandTree(self)
        days = getattr(getattr(assistant, "settings", None), "retention_days", 30)
        self.commands = Commands(self.tree, self.turns, lambda: self.throttle, days)
        self._threads: OrderedDict[int, discord.Thread | None] = OrderedDict()

    # --- messages --------------------------------------------------------------------------------
    async def on_message(self, message: discord.Message) -> None:
        """Answer DMs, open a thread on a mention, and answer in threads."""
        if message.author.bot or message.webhook_id is not None or self.user is None:
            return
        try:
            if message.guild is None:
                await self._answer(message.channel, message.author, dm_key(message.author.id), message.content)
            elif isinstance(message.channel, (discord.Thread, discord.PartialMessageable)):  # uncached: a thread?
                await self.on_thread_message(message)
            elif self.mentioned(message):
                await self.on_mention(message)
        except Closing:
            log.info("a message arrived while shutting down; not answered")

    def _my_ids(self, message: discord.Message) -> set[int]:
        assert self.user is not None
        role = message.guild.self_role if message.guild else None
        return {self.user.id} | ({role.id} if role else set())

    def mentioned(self, message: discord.Message) -> bool:
        """Whether the message mentions the bot, by its user or by its managed role."""
        assert self.user is not None
        role = message.guild.self_role if message.guild else None
        return self.user in message.mentions or (role is not None and role.id in message.raw_role_mentions)

    def text_of(self, message: discord.Message) -> str:
        """The message's text without mentions of the bot."""
        return strip_mentions(message.content, self._my_ids(message))

    async def on_mention(self, message: discord.Message) -> None:
        """A mention in a server channel opens a thread for a new conversation."""
        if not await self._allowed(message.channel, message.author, message.content):
            return
        thread = await self.open_thread(message)
        if thread is not None:
            await self.begin(thread, message.author, self.text_of(message))

    async def open_thread(self, message: discord.Message) -> discord.Thread | None:
        """A thread for the person's conversation (private by default), or None after saying why not."""
        channel = message.channel
        if not isinstance(channel, discord.TextChannel):
            await deliver.send(channel, notice(fmt.NO_THREAD_KIND))
            return None
        kind = "Create Public Threads" if self.public_threads else "Create Private Threads"
        thread: discord.Thread | None = None
        try:
            if self.public_threads:
                thread = await message.create_thread(name=fmt.THREAD_NAME,
                                                     auto_archive_duration=THREAD_ARCHIVE_MINUTES)
            else:
                thread = await channel.create_thread(name=fmt.THREAD_NAME, type=discord.ChannelType.private_thread,
                                                     invitable=False, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
                await thread.add_user(message.author)
                await deliver.send(channel, notice(fmt.THREAD_OPENED.format(thread=thread.mention)))
            return thread
        except discord.Forbidden:
            log.warning("no permission to open a thread in channel %s", channel.id)
            text = fmt.NO_THREAD_PERMISSION.format(permission=kind)
        except discord.HTTPException as exc:
            log.warning("could not open a thread in channel %s (HTTP %s, code %s)", channel.id, exc.status, exc.code)
            text = fmt.THREAD_FAILED.format(reason=f"HTTP {exc.status}")
        if thread is not None and not self.public_threads:
            try:
                await thread.delete()  # nobody could be added to it
            except discord.HTTPException:
                log.warning("could not delete the unused thread %s", thread.id)
        await deliver.send(channel, notice(text))
        return None

    async def begin(self, thread: discord.abc.Messageable, person: discord.User | discord.Member, text: str,
                    key: str | None = None) -> None:
        """Begin the person's new conversation in a thread, and answer its first message."""
        key = key or thread_key(getattr(thread, "id", 0), person.id)
        async with self.turns.holding(key):
            try:
                earlier = await self.turns.core(self.turns.begin, key, person.id)
            except Exception:
                log.exception("could not start a conversation for %s", key)
                await deliver.send(thread, notice(fmt.FAILED), person=person)
                return
            lead = notice(fmt.EARLIER_CARE) if earlier else []
            if not text:
                await deliver.send(thread, [*lead, *notice(fmt.GREETING)], person=person)
                return
            async with deliver.typing(thread):
                out = await self.turns.converse(key, text)
            await deliver.send(thread, [*lead, *out], person=person)

    async def resolve_thread(self, channel: discord.abc.Messageable) -> discord.Thread | None:
        """The thread a message came from; an uncached one is fetched once and remembered (None when
        the channel is not a thread or cannot be read)."""
        if isinstance(channel, discord.Thread):
            return channel
        cid = getattr(channel, "id", None)
        if cid is None:
            return None
        if cid not in self._threads:
            try:
                fetched = await self.fetch_channel(cid)
            except discord.HTTPException as exc:
                log.warning("could not read channel %s (HTTP %s)", cid, exc.status)
                return None
            self._threads[cid] = fetched if isinstance(fetched, discord.Thread) else None
            while len(self._threads) > _THREADS_KEPT:
                self._threads.popitem(last=False)
        return self._threads[cid]

    async def on_thread_message(self, message: discord.Message) -> None:
        """In a thread, answer the person whose conversation it holds; a mention starts one there."""
        assert self.user is not None
        mentioned = self.mentioned(message)
        thread = await self.resolve_thread(message.channel)
        if thread is None or (thread.owner_id != self.user.id and not mentioned):
            return  # not a thread, or someone else's not addressed to the bot: no store lookup
        key = thread_key(thread.id, message.author.id)
        text = self.text_of(message)
        try:
            bound = await self.turns.core(self.sessions.bound, CHANNEL, key)
        except Exception:
            log.exception("could not look up %s", key)
            if mentioned:
                await deliver.send(thread, notice(fmt.FAILED), person=message.author)
            return
        if bound is not None:
            await self._answer(thread, message.author, key, text)
        elif mentioned:
            if await self._allowed(thread, message.author, text):
                await self.begin(thread, message.author, text, key)
        else:
            await self.on_bystander(message, thread, text)

    async def on_bystander(self, message: discord.Message, thread: discord.Thread, text: str) -> None:
        """Someone else's message in the bot's thread: a red flag is answered privately, in their DMs
        (their private conversation); anything else is left alone."""
        if not await self.turns.core(self.sessions.mentions_red_flag, text):
            return
        person, key = message.author, dm_key(message.author.id)
        async with self.turns.holding(key):
            out = await self.turns.converse(key, text)
            if await deliver.send_dm(person, [*notice(fmt.BYSTANDER_DM), *out]):
                return
            warning = [item for item in out if item.embed is not None]
            await deliver.send(thread, [*warning, *notice(fmt.BYSTANDER_NO_DM)])

    async def _answer(self, channel: discord.abc.Messageable, user: discord.User | discord.Member, key: str,
                      text: str) -> None:
        if not await self._allowed(channel, user, text):
            return
        async with self.turns.holding(key):
            async with deliver.typing(channel):
                out = await self.turns.converse(key, text)
            await deliver.send(channel, out, person=user)

    async def _allowed(self, channel: discord.abc.Messageable, user: discord.abc.User, text: str) -> bool:
        wait = self.throttle.take(user.id)
        if wait and await self.turns.core(self.sessions.mentions_red_flag, text):
            return True  # a flood never hides a red flag
        if wait and self.throttle.first_warning(user.id):
            await deliver.send(channel, notice(fmt.THROTTLED.format(seconds=max(1, round(wait)))))
        return not wait

    # --- lifecycle -------------------------------------------------------------------------------
    async def setup_hook(self) -> None:
        """Register the slash commands with Discord."""
        if self.sync_commands:
            try:
                await self.tree.sync()
            except discord.HTTPException:
                log.warning("could not register the slash commands; messages still work", exc_info=True)

    async def on_ready(self) -> None:
        """Say where the bot is connected, and how to invite it."""
        log.info("connected to Discord as %s in %d servers over %s shard(s)", self.user, len(self.guilds),
                 self.shard_count)
        if self.application_id:
            log.info("invite URL: %s", invite_url(self.application_id))

    async def close(self) -> None:
        """Let the replies in progress finish and be sent, then disconnect and close the store."""
        try:
            await self.turns.drain(SHUTDOWN_GRACE_SECONDS)
            await super().close()
        finally:
            await self.close_core()

    async def close_core(self) -> None:
        """Close the store on the worker thread that used it and stop the worker."""
        await self.turns.close()


def build_bot(assistant: Any, *, intents: discord.Intents | None = None, throttle: Throttle | None = None,
              sync_commands: bool = True, shard_count: int | None = None, public_threads: bool = False) -> KneeBot:
    """The bot over a loaded assistant, not yet connected."""
    return KneeBot(assistant, intents=intents, throttle=throttle, sync_commands=sync_commands,
                   shard_count=shard_count, public_threads=public_threads)
