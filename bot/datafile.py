"""Reading kneebot's YAML data files (rules, templates, evidence, lay terms, source titles)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.errors import KneebotError, RulesError

if TYPE_CHECKING:
    from pydantic import ValidationError


# libyaml's parser when PyYAML has it: the same documents, several times faster (start-up reads many files).
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SafeLoader(_Loader):  # type: ignore[misc,valid-type]
    """The safe loader, refusing a key given twice in one mapping: YAML would keep the last silently, so a cue
    whose list marker was lost would replace the cue before it without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool):  # (a mapping or list as a key is left to YAML)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"key {key!r} given twice", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


def read_yaml(path: Path, what: str, error: type[KneebotError] = RulesError) -> Any:
    """The parsed file; an unreadable or malformed one raises `error` naming the file and what it holds."""
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise error(f"{path}: cannot read {what}: {exc}") from None


def describe_validation(exc: ValidationError) -> str:
    """A data file's validation errors as `key.path: message` parts, for errors that name the key."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
