"""Channels: thin adapters that carry a conversation to people (web page, Discord, terminal)."""
