"""Shards and processes share conversations through the store: two bots over one PostgreSQL
database (a real server, tests/pgserver.py), as two shard processes of one application would run."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# tests/ui is a plain folder (no __init__.py): pytest puts it on sys.path.
from discord_fixtures import RED_FLAG, SYMPTOM, discord_index_dir, dm, load_assistant, member, open_thread, wired

from bot.ids import Triage
from ui.discord_bot import CHANNEL, build_bot, dm_key, thread_key

__all__ = ["discord_index_dir"]  # fixtures, used by name


async def test_another_shard_continues_and_forgets_the_same_conversations(
        pg_url: str, discord_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first: Any = load_assistant(discord_index_dir, pg_url)
    second: Any = load_assistant(discord_index_dir, pg_url)
    other = build_bot(second, sync_commands=False, shard_count=2)
    try:
        async for bot in wired(first, monkeypatch, shard_count=2):
            alice = member("alice")
            await dm(RED_FLAG, alice)
            thread = await open_thread(bot, alice, SYMPTOM)
            keys = {dm_key(alice.id), thread_key(thread.id, alice.id)}
            assert set(second.store.bindings(CHANNEL, f"*:{alice.id}")) == keys

            out = await other.turns.converse(dm_key(alice.id), "thanks")
            assert out[0].embed is not None and out[0].embed.title.startswith("⚠️"), "the red flag was lost"
            assert await other.turns.core(other.turns.highest_triage, alice.id) is Triage.SEEK_CARE

            assert await other.turns.core(other.turns.forget_person, alice.id) == 2
            assert first.store.bindings(CHANNEL, f"*:{alice.id}") == {}
            assert bot.sessions.bound(CHANNEL, dm_key(alice.id)) is None
    finally:
        await other.close_core()
        first.store.close()
