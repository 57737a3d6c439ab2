"""Running the Discord bot: connect, serve until a signal, and word every failure for the operator."""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from contextlib import suppress
from typing import Any

import aiohttp
import discord

from bot.errors import ConfigError
from bot.retention import start_retention
from ui.discord_bot import KneeBot, build_bot

log = logging.getLogger("ui.discord_bot")


def options(shards: str | None = None, threads: str | None = None) -> dict[str, Any]:
    """The bot's options from KNEEBOT_DISCORD_SHARDS and KNEEBOT_DISCORD_THREADS (unset: automatic
    shard count, private threads); raises ConfigError naming the setting."""
    out: dict[str, Any] = {}
    if shards and shards.strip():
        try:
            out["shard_count"] = int(shards)
        except ValueError:
            out["shard_count"] = 0
        if out["shard_count"] < 1:
            raise ConfigError(f"KNEEBOT_DISCORD_SHARDS must be a whole number of shards, 1 or more, "
                              f"got {shards!r}; leave it unset to let Discord choose")
    choice = (threads or "private").strip().lower()
    if choice not in ("private", "public"):
        raise ConfigError(f"KNEEBOT_DISCORD_THREADS must be 'private' or 'public', got {threads!r}")
    out["public_threads"] = choice == "public"
    return out


async def serve(bot: KneeBot, token: str) -> None:
    """Connect and answer until SIGTERM or Ctrl-C, purging conversations idle past the retention period
    meanwhile, then close the bot and the store."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or Windows: Ctrl-C still cancels asyncio.run
    settings = getattr(bot.assistant, "settings", None)
    retention = start_retention(bot.assistant.store, getattr(settings, "retention_days", 30))
    try:
        async with bot:
            runner = asyncio.create_task(bot.start(token))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if runner in done:
                runner.result()  # a rejected token or a fatal gateway error ends the bot here
            else:
                log.info("shutting down")
                await bot.close()
                with suppress(asyncio.CancelledError):
                    await runner
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await asyncio.get_running_loop().run_in_executor(None, retention.stop)
        await bot.close_core()


def run_bot(assistant: Any, token: str, **options: Any) -> None:
    """Serve the assistant on Discord until stopped; raises discord.LoginFailure for a rejected token."""
    asyncio.run(serve(build_bot(assistant, **options), token))


def main(assistant: Any, token: str | None, *, shards: str | None = None, threads: str | None = None) -> int:
    """What `kneebot discord` runs: serve until stopped and return an exit code, worded errors on stderr."""
    token = (token or "").strip()
    if not token:
        print("kneebot discord: no bot token. Set DISCORD_TOKEN to the token from the Bot page of your "
              "application in the Discord Developer Portal (see docs/discord.md).", file=sys.stderr)
        return 2
    try:
        settings = options(shards, threads)
    except ConfigError as exc:
        print(f"kneebot discord: {exc}", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        discord.utils.setup_logging(level=logging.INFO)
    try:
        run_bot(assistant, token, **settings)
    except discord.LoginFailure:
        print("kneebot discord: Discord rejected the bot token in DISCORD_TOKEN. Copy a fresh one from "
              "Bot > Reset Token in the Discord Developer Portal (see docs/discord.md).", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print("kneebot discord: Discord refused the Message Content intent. Turn on 'Message Content Intent' "
              "on the Bot page of the Developer Portal (see docs/discord.md).", file=sys.stderr)
        return 1
    except (TimeoutError, OSError, aiohttp.ClientError) as exc:
        print(f"kneebot discord: could not reach Discord ({type(exc).__name__}: {exc}). Check the network "
              "connection and try again.", file=sys.stderr)
        return 1
    except discord.DiscordException as exc:
        print(f"kneebot discord: the connection to Discord failed ({type(exc).__name__}: {exc}).",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        with suppress(Exception):
            assistant.store.close()
    return 0
