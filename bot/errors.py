"""Exceptions kneebot raises; channels and the CLI word them for people.

    KneebotError
    ├── ConfigError          a setting is missing or invalid (e.g. no DISCORD_TOKEN)
    ├── CorpusError          the corpus folder or one of its files cannot be used
    ├── ModelError           the embedding model is missing or its weights fail the checksum
    ├── IndexCorruptError    index/ exists but cannot be read
    ├── IndexBuildError      index/ is missing or stale and cannot be (re)built there (e.g. read-only)
    ├── RulesError           a packaged data file (rules, templates, evidence) is invalid
    ├── SafetyLayerError     the learned red-flag layer's weights are missing, corrupt or for other rules
    ├── StoreError           the conversation store (SQLite or PostgreSQL) cannot be read or written
    └── DialogueFileError    a test-dialogue or query file is malformed
"""
from __future__ import annotations


class KneebotError(Exception):
    """Base of every error kneebot raises on purpose."""


class ConfigError(KneebotError):
    """A setting is missing or invalid."""


class CorpusError(KneebotError):
    """The corpus folder or one of its files cannot be used."""


class ModelError(KneebotError):
    """The embedding model is missing or fails verification."""


class IndexCorruptError(KneebotError):
    """The built index cannot be read."""


class IndexBuildError(KneebotError):
    """The index cannot be written where it belongs."""


class RulesError(KneebotError):
    """A packaged data file is invalid."""


class SafetyLayerError(KneebotError):
    """The learned red-flag layer cannot be used; the assistant never runs without it."""


class StoreError(KneebotError):
    """The conversation store cannot be read or written."""


class DialogueFileError(KneebotError):
    """A test-dialogue or query file is malformed."""
